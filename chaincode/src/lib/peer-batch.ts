/**
 * Several state reads in one message to the peer, and several writes in one.
 *
 * Each `getState` or `putState` of fabric-shim is a round trip to the peer: a message out, a
 * goroutine and a response back, serialised per transaction. Fabric 3.1 peers also take
 * GET_STATE_MULTIPLE (many keys, one answer) and WRITE_BATCH_STATE (many writes, one answer),
 * and announce them in the READY message's `ChaincodeAdditionalParams` (core.yaml
 * `chaincode.runtimeParams`: useGetMultipleKeys, useWriteBatch and their maximum sizes). The
 * Node shim (fabric-shim 2.5.8, the latest) neither reads those parameters nor sends those
 * messages; this module does both on the shim's own message handler and its per-transaction
 * queue, and falls back to one call per key wherever a peer did not offer them (an older peer,
 * the options turned off) or the stub is not fabric-shim's (the embedded ledger).
 *
 * The read and write sets are the same either way (the peer records each key of a multiple
 * read as a read, and applies batched writes in order), so peers that batch and peers that
 * do not endorse the same result.
 */
import type { Context } from 'fabric-contract-api';
import { ChaincodeMessageHandler } from 'fabric-shim/lib/handler';
import { encode, fields } from './protobuf';

/** `ChaincodeMessage.Type` values (fabric-protos peer/chaincode_shim.proto). */
const MESSAGE = { READY: 4, WRITE_BATCH_STATE: 24, GET_STATE_MULTIPLE: 25 } as const;
/** `WriteRecord.Type.PUT_STATE`. */
const WRITE_RECORD_PUT_STATE = 9;

/** A ChaincodeMessage as fabric-shim's protobuf classes build it. */
interface ShimMessage {
  getType(): number;
  getPayload_asU8(): Uint8Array;
  setType(type: number): void;
  setPayload(payload: Uint8Array): void;
  setTxid(txId: string): void;
  setChannelId(channelId: string): void;
}

/** What this module uses of fabric-shim's ChaincodeMessageHandler. */
interface ShimHandler {
  _stream: { on(event: 'data', listener: (message: ShimMessage) => void): void };
  _askPeerAndListen(message: ShimMessage, method: string): Promise<unknown>;
}

/** What the peer of one connection offered; a size of 0 means the message is not offered. */
export interface PeerBatching {
  /** Most writes in one WRITE_BATCH_STATE message. */
  readonly maxWrites: number;
  /** Most keys in one GET_STATE_MULTIPLE message. */
  readonly maxReads: number;
  /** The ChaincodeMessage class of the shim's protobuf module. */
  readonly Message: new () => ShimMessage;
}

/** Offers by message handler (one per peer connection). */
const offers = new WeakMap<object, PeerBatching>();

/**
 * Decodes `ChaincodeAdditionalParams { bool use_write_batch = 1; uint32 max_size_write_batch = 2;
 * bool use_get_multiple_keys = 3; uint32 max_size_get_multiple_keys = 4; }`.
 */
export function peerBatchingOf(
  payload: Uint8Array,
  Message: new () => ShimMessage,
): PeerBatching | undefined {
  const v = new Map<number, number>();
  for (const [field, wire, value] of fields(payload)) if (wire === 0) v.set(field, value as number);
  const size = (use: number, max: number): number => (v.get(use) ? Math.max(1, v.get(max) ?? 0) : 0);
  const offer = { maxWrites: size(1, 2), maxReads: size(3, 4), Message };
  return offer.maxWrites > 0 || offer.maxReads > 0 ? offer : undefined;
}

let installed = false;

/**
 * Listens on every peer connection of fabric-shim for the peer's READY message and keeps what
 * it offers. Called once when the chaincode module loads, before the shim connects.
 */
export function installPeerBatching(): void {
  if (installed) return;
  installed = true;
  const prototype = ChaincodeMessageHandler.prototype;
  const chat: (this: ChaincodeMessageHandler, startMessage: unknown) => void = Reflect.get(prototype, 'chat');
  prototype.chat = function (this: ShimHandler, startMessage: unknown): void {
    this._stream.on('data', (message) => {
      if (message.getType() !== MESSAGE.READY) return;
      const offer = peerBatchingOf(message.getPayload_asU8(), message.constructor as new () => ShimMessage);
      if (offer) offers.set(this, offer);
      else offers.delete(this);
    });
    chat.call(this as unknown as ChaincodeMessageHandler, startMessage);
  };
}

/** Registers what a handler's peer offers (for a unit test's double of the peer). */
export function setPeerBatching(handler: object, offer: PeerBatching): void {
  offers.set(handler, offer);
}

/** The shim handler of this transaction and its peer's offer, when it made one. */
function batching(ctx: Context): { handler: ShimHandler; offer: PeerBatching } | undefined {
  const handler = (ctx.stub as unknown as { handler?: unknown }).handler;
  if (handler === null || typeof handler !== 'object') return undefined;
  const offer = offers.get(handler);
  return offer ? { handler: handler as ShimHandler, offer } : undefined;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

async function ask(
  ctx: Context,
  b: NonNullable<ReturnType<typeof batching>>,
  type: number,
  payload: Uint8Array,
  method: string,
): Promise<Uint8Array> {
  const message = new b.offer.Message();
  message.setType(type);
  message.setPayload(payload);
  message.setTxid(ctx.stub.getTxID());
  message.setChannelId(ctx.stub.getChannelID());
  const answer = await b.handler._askPeerAndListen(message, method);
  return answer instanceof Uint8Array ? answer : new Uint8Array();
}

/** The values of `keys` (empty when absent), in one message per chunk when the peer offers it. */
export async function getStates(ctx: Context, keys: readonly string[]): Promise<Uint8Array[]> {
  const b = batching(ctx);
  if (!b || b.offer.maxReads === 0 || keys.length < 2) {
    const values: Uint8Array[] = [];
    for (const k of keys) values.push(await ctx.stub.getState(k));
    return values;
  }
  const values: Uint8Array[] = [];
  for (const chunk of chunks(keys, b.offer.maxReads)) {
    // GetStateMultiple { repeated string keys = 1; string collection = 2; }
    const answer = await ask(
      ctx,
      b,
      MESSAGE.GET_STATE_MULTIPLE,
      encode(chunk.map((k) => [1, k])),
      'GetStateMultiple',
    );
    // GetStateMultipleResult { repeated bytes values = 1; }, one per key, empty when absent.
    const got = [...fields(answer)].filter(([f, w]) => f === 1 && w === 2).map(([, , v]) => v as Uint8Array);
    if (got.length !== chunk.length) {
      throw new Error(`GET_STATE_MULTIPLE answered ${got.length} values for ${chunk.length} keys`);
    }
    values.push(...got);
  }
  return values;
}

/** Writes `writes` in order, in one message per chunk when the peer offers it. */
export async function putStates(ctx: Context, writes: readonly [string, Uint8Array][]): Promise<void> {
  const b = batching(ctx);
  if (!b || b.offer.maxWrites === 0 || writes.length < 2) {
    for (const [k, v] of writes) await ctx.stub.putState(k, v);
    return;
  }
  for (const chunk of chunks(writes, b.offer.maxWrites)) {
    // WriteBatchState { repeated WriteRecord rec = 1; }
    // WriteRecord { string key = 1; bytes value = 2; string collection = 3; ...; Type type = 5; }
    const records = chunk.map(([k, v]): [number, Uint8Array] => [
      1,
      encode([
        [1, k],
        [2, v],
        [5, WRITE_RECORD_PUT_STATE],
      ]),
    ]);
    await ask(ctx, b, MESSAGE.WRITE_BATCH_STATE, encode(records), 'WriteBatchState');
  }
}
