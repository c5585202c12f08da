/**
 * The header values a Fabric client derives for a proposal: the serialized
 * creator, the nonce, the transaction ID and the binding, computed as
 * Fabric computes them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Identity } from './types';

/** Nonce length used by Fabric clients. */
const NONCE_LENGTH = 24;

/** Header values of one proposal. */
export interface ProposalHeader {
  /** `msp.SerializedIdentity` bytes of the creator. */
  readonly creatorBytes: Buffer;
  /** Random nonce. */
  readonly nonce: Buffer;
  /** Hex SHA-256 of nonce || creator (Fabric's transaction ID). */
  readonly transactionId: string;
  /** Hex SHA-256 of nonce || creator || epoch (0, 8 bytes little-endian). */
  readonly binding: string;
}

/** Derives the header values for an identity, optionally with a caller-chosen transaction ID. */
export function newProposalHeader(identity: Identity, transactionId?: string): ProposalHeader {
  const creatorBytes = serializeIdentity(identity);
  const nonce = randomBytes(NONCE_LENGTH);
  const epoch = Buffer.alloc(8);
  return {
    creatorBytes,
    nonce,
    transactionId: transactionId ?? sha256Hex(nonce, creatorBytes),
    binding: sha256Hex(nonce, creatorBytes, epoch),
  };
}

/** Protobuf encoding of `msp.SerializedIdentity { string mspid = 1; bytes id_bytes = 2; }`. */
export function serializeIdentity(identity: Identity): Buffer {
  return Buffer.concat([
    lengthDelimitedField(1, Buffer.from(identity.mspId, 'utf8')),
    lengthDelimitedField(2, Buffer.from(identity.certificate, 'utf8')),
  ]);
}

function lengthDelimitedField(fieldNumber: number, bytes: Buffer): Buffer {
  if (bytes.length === 0) return Buffer.alloc(0);
  return Buffer.concat([varint((fieldNumber << 3) | 2), varint(bytes.length), bytes]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let remaining = value;
  while (remaining > 0x7f) {
    bytes.push((remaining & 0x7f) | 0x80);
    remaining = Math.floor(remaining / 128);
  }
  bytes.push(remaining);
  return Buffer.from(bytes);
}

function sha256Hex(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
