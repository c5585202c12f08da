/**
 * Worker thread of {@link LeafHasher}: hashes the chunks it is sent
 * (`{ chunk, bytes, length, ends }`, bytes and ends transferred) and answers
 * `{ chunk, leaves, root }`, the leaves' buffer transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { hashChunk } from './leaf-chunk';

/** A chunk to hash. */
export interface ChunkRequest {
  readonly chunk: number;
  /** The chunk's records (leaf-chunk.ts) in the first `length` bytes. */
  readonly bytes: ArrayBuffer;
  readonly length: number;
  /** Where each record ends in the bytes (leaf-chunk.ts), in its own ArrayBuffer. */
  readonly ends: Uint32Array;
}

/** A hashed chunk. */
export interface ChunkResponse {
  readonly chunk: number;
  readonly leaves: Uint8Array;
  readonly root: Uint8Array;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: ChunkRequest) => {
    const { leaves, root } = hashChunk(new Uint8Array(request.bytes, 0, request.length), request.ends);
    const response: ChunkResponse = { chunk: request.chunk, leaves, root };
    port.postMessage(response, [leaves.buffer as ArrayBuffer]);
  });
}
