/**
 * Worker thread of {@link LeafHasher}: hashes the chunks it is sent
 * (`{ chunk, bytes, length, ends }`, bytes and ends transferred) and answers
 * `{ chunk, leaves, root, bytes, ends }`, the leaves' buffer transferred, not
 * copied, and the chunk's own buffers transferred back for the next chunks.
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
  readonly ends: Uint32Array<ArrayBuffer>;
}

/** A hashed chunk. */
export interface ChunkResponse {
  readonly chunk: number;
  readonly leaves: Uint8Array;
  readonly root: Uint8Array;
  /** The request's buffers, handed back to be filled again. */
  readonly bytes: ArrayBuffer;
  readonly ends: Uint32Array<ArrayBuffer>;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: ChunkRequest) => {
    const { leaves, root } = hashChunk(new Uint8Array(request.bytes, 0, request.length), request.ends);
    const { chunk, bytes, ends } = request;
    const response: ChunkResponse = { chunk, leaves, root, bytes, ends };
    port.postMessage(response, [leaves.buffer as ArrayBuffer, bytes, ends.buffer]);
  });
}
