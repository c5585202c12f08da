/**
 * A unit-test double that counts what a contract asks of the peer: every stub call that is a
 * round trip to the peer on Fabric (state reads, writes, range and history reads), and the
 * stub calls that are work in the chaincode process only (composite keys, the event).
 */
import type { Context, Contract } from 'fabric-contract-api';

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

/** Calls of one transaction, by stub method. */
export type CallCounts = Partial<Record<(typeof PEER_CALLS)[number] | (typeof LOCAL_CALLS)[number], number>>;

type ContractClass = { prototype: Contract };

/**
 * Wraps the stub of every transaction of `contracts` in a counting proxy (through the contract's
 * `beforeTransaction` hook, which the shim's dispatcher calls before the function) until `restore`.
 */
export function countStateCalls(...contracts: ContractClass[]): {
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
      ctx.stub = new Proxy(stub, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop, target);
          if (typeof value !== 'function') return value;
          // The stub keeps private fields: every method runs on the stub itself, not the proxy.
          if (typeof prop !== 'string' || !counted.has(prop)) return value.bind(target) as unknown;
          return (...args: unknown[]) => {
            const name = prop as keyof CallCounts;
            counts[name] = (counts[name] ?? 0) + 1;
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
