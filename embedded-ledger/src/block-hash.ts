/**
 * Hashes that chain the blocks: the data hash over a block's transactions
 * and the header hash each block records of its predecessor.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@ruralcredit/protocol';
import type { Block, BlockTransaction } from './types';

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Hex SHA-256 of the canonical (RFC 8785) JSON of a block's transaction list. */
export function computeDataHash(transactions: readonly BlockTransaction[]): string {
  return sha256Hex(canonicalJson(transactions));
}

/**
 * Hex SHA-256 of the canonical JSON of a block header `{number, previousHash,
 * dataHash}`; the next block stores it as `previousHash`.
 */
export function blockHeaderHash(block: Pick<Block, 'number' | 'previousHash' | 'dataHash'>): string {
  return sha256Hex(
    canonicalJson({ number: block.number, previousHash: block.previousHash, dataHash: block.dataHash }),
  );
}
