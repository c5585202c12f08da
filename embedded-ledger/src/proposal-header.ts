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

/** Protobuf encoding of `peer.ChaincodeID { string name = 2; }`. */
function chaincodeId(name: string): Buffer {
  return lengthDelimitedField(2, Buffer.from(name, 'utf8'));
}

/**
 * Protobuf encoding of `peer.ChaincodeHeaderExtension { ChaincodeID chaincode_id = 2; }`,
 * the channel header extension by which a peer routes a proposal to a chaincode.
 */
export function chaincodeHeaderExtension(chaincodeName: string): Buffer {
  return lengthDelimitedField(2, chaincodeId(chaincodeName));
}

/**
 * Protobuf encoding of `peer.ChaincodeInvocationSpec { ChaincodeSpec chaincode_spec = 1; }`
 * with `ChaincodeSpec { ChaincodeID chaincode_id = 2; ChaincodeInput input = 3; }` and
 * `ChaincodeInput { repeated bytes args = 1; }`: the proposal payload's input.
 */
export function chaincodeInvocationSpec(chaincodeName: string, args: readonly Buffer[]): Buffer {
  const input = Buffer.concat(args.map((arg) => lengthDelimitedField(1, arg, true)));
  const spec = Buffer.concat([
    lengthDelimitedField(2, chaincodeId(chaincodeName)),
    lengthDelimitedField(3, input, true),
  ]);
  return lengthDelimitedField(1, spec, true);
}

function lengthDelimitedField(fieldNumber: number, bytes: Buffer, keepEmpty = false): Buffer {
  if (bytes.length === 0 && !keepEmpty) return Buffer.alloc(0);
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
