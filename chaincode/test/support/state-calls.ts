/**
 * A unit-test double that counts what a contract asks of the peer: every stub call that is a
 * round trip to the peer on Fabric (state reads, writes, range and history reads), the stub
 * calls that are work in the chaincode process only (composite keys, the event), and, behind a
 * double of a Fabric 3.1 peer that offers them, the batch messages of lib/peer-batch.ts.
 */
import type { Context, Contract } from 'fabric-contract-api';
import type { ChaincodeStub } from 'fabric-shim';
import { setPeerBatching } from '../../src/lib/peer-batch';

/** Stub calls that send a message to the peer and wait for its answer (fabric-shim 2.5). */
export const PEER_CALLS = [
  'getState',
  'putState',
  'deleteState',
  'getStateByRange',
  'getStateByRangeWithPagination',
  'getStateByPartialCompositeKey',
  'getStateByPartialCompositeKeyWithPagination',
  'getQueryResult',
  'getQueryResultWithPagination',
  'getHistoryForKey',
  'getStateValidationParameter',
  'setStateValidationParameter',
  'getPrivateData',
  'getPrivateDataHash',
  'putPrivateData',
  'deletePrivateData',
  'invokeChaincode',
] as const;

/** Stub calls counted as chaincode work that is not a round trip. */
const LOCAL_CALLS = ['createCompositeKey', 'setEvent'] as const;

/** Messages of Fabric 3.1 that carry several keys (lib/peer-batch.ts), as the peer double counts them. */
const BATCH_MESSAGES = { 24: 'WRITE_BATCH_STATE', 25: 'GET_STATE_MULTIPLE' } as const;

/** Calls of one transaction, by stub method or batch message. */
export type CallCounts = Partial<
  Record<
    | (typeof PEER_CALLS)[number]
    | (typeof LOCAL_CALLS)[number]
    | (typeof BATCH_MESSAGES)[keyof typeof BATCH_MESSAGES],
    number
  >
>;

/** The fields of a ChaincodeMessage the double reads, with the setters the chaincode uses. */
class Message {
  #type = 0;
  #payload: Uint8Array = new Uint8Array();
  setType(type: number): void {
    this.#type = type;
  }
  setPayload(payload: Uint8Array): void {
    this.#payload = payload;
  }
  setTxid(): void {}
  setChannelId(): void {}
  getType(): number {
    return this.#type;
  }
  getPayload_asU8(): Uint8Array {
    return this.#payload;
  }
}

/**
 * A double of a Fabric 3.1 peer behind fabric-shim's message handler: it answers
 * GET_STATE_MULTIPLE and WRITE_BATCH_STATE (decoded here independently of the chaincode's
 * encoder) from the transaction's real stub, and counts them.
 */
function batchingPeer(stub: ChaincodeStub, count: (name: keyof CallCounts) => void) {
  return {
    async _askPeerAndListen(message: Message, method: string): Promise<Buffer> {
      const type = message.getType() as keyof typeof BATCH_MESSAGES;
      const name = BATCH_MESSAGES[type];
      if (name === undefined) throw new Error(`the peer double takes batch messages only, not ${method}`);
      count(name);
      const payload = Buffer.from(message.getPayload_asU8());
      if (name === 'GET_STATE_MULTIPLE') {
        const keys = repeated(payload, 1).map((k) => k.toString('utf8'));
        const values: Buffer[] = [];
        for (const k of keys) values.push(Buffer.from(await stub.getState(k)));
        return Buffer.concat(values.map((v) => Buffer.concat([Buffer.from([0x0a]), varint(v.length), v])));
      }
      for (const record of repeated(payload, 1)) {
        const [k] = repeated(record, 1);
        const [v] = repeated(record, 2);
        if (k === undefined || v === undefined || !record.includes(Buffer.from([0x28, 9]))) {
          throw new Error('malformed WriteRecord');
        }
        await stub.putState(k.toString('utf8'), v);
      }
      return Buffer.alloc(0);
    },
  };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return Buffer.from(out);
    }
    out.push((v % 128) | 128);
  }
}

/** The length-delimited values of field `field` in a message of length-delimited and varint fields. */
function repeated(message: Buffer, field: number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  const read = (): number => {
    let n = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = message[i++]!;
      n += (b & 127) * shift;
      if (b < 128) return n;
    }
  };
  while (i < message.length) {
    const tag = read();
    if (tag % 8 === 0) {
      read();
      continue;
    }
    const length = read();
    if (Math.floor(tag / 8) === field) out.push(message.subarray(i, i + length));
    i += length;
  }
  return out;
}

type ContractClass = { prototype: Contract };

/**
 * Wraps the stub of every transaction of `contracts` in a counting proxy (through the contract's
 * `beforeTransaction` hook, which the shim's dispatcher calls before the function) until `restore`.
 */
export function countStateCalls(
  options: { batchingPeer?: boolean },
  ...contracts: ContractClass[]
): {
  /** The calls since the last `take`, and resets the count. */
  take(): CallCounts;
  /** The peer round trips since the last `take` (without resetting). */
  roundTrips(): number;
  restore(): void;
} {
  let counts: CallCounts = {};
  const counted = new Set<string>([...PEER_CALLS, ...LOCAL_CALLS]);
  const originals = contracts.map((c) => {
    const own = Object.prototype.hasOwnProperty.call(c.prototype, 'beforeTransaction');
    const hook: Contract['beforeTransaction'] = Reflect.get(c.prototype, 'beforeTransaction');
    return { c, own, hook };
  });
  for (const { c, hook } of originals) {
    c.prototype.beforeTransaction = async function (this: Contract, ctx: Context): Promise<void> {
      const stub = ctx.stub;
      const count = (name: keyof CallCounts) => {
        counts[name] = (counts[name] ?? 0) + 1;
      };
      const handler = options.batchingPeer ? batchingPeer(stub, count) : undefined;
      if (handler) setPeerBatching(handler, { maxReads: 1000, maxWrites: 1000, Message });
      ctx.stub = new Proxy(stub, {
        get(target, prop) {
          if (prop === 'handler') return handler;
          const value: unknown = Reflect.get(target, prop, target);
          if (typeof value !== 'function') return value;
          // The stub keeps private fields: every method runs on the stub itself, not the proxy.
          if (typeof prop !== 'string' || !counted.has(prop)) return value.bind(target) as unknown;
          return (...args: unknown[]) => {
            count(prop as keyof CallCounts);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      await hook.call(this, ctx);
    };
  }
  return {
    take() {
      const out = counts;
      counts = {};
      return out;
    },
    roundTrips() {
      return PEER_CALLS.reduce((sum, name) => sum + (counts[name] ?? 0), 0);
    },
    restore() {
      for (const { c, own, hook } of originals) {
        if (own) c.prototype.beforeTransaction = hook;
        else delete (c.prototype as Partial<Contract>).beforeTransaction;
      }
    },
  };
}
