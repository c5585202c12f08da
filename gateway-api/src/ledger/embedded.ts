/**
 * The `embedded` backend: the same compiled chaincode contracts, run
 * in-process by the embedded ledger over LevelDB, each organisation calling
 * with its own X.509 identity.
 */
import path from 'node:path';
// Before the contracts load: their decorators log at import time.
import { applyChaincodeLogLevel } from './chaincode-logging';
import { contracts } from '@ruralcredit/chaincode';
import {
  ChaincodeError,
  CommitError,
  EmbeddedLedger,
  type Identity,
  newCryptoMaterial,
} from '@ruralcredit/embedded-ledger';
import {
  fromChaincodeMessage,
  fromValidationCode,
  MAX_SUBMIT_ATTEMPTS,
  RETRYABLE_VALIDATION_CODES,
  retryPause,
  unavailable,
} from './errors';
import type { BlockStream, Committed, LedgerBlock, LedgerClient } from './types';

/** Options of {@link EmbeddedLedgerClientImpl.open}. */
export interface EmbeddedLedgerClientOptions {
  /** Directory for the ledger's LevelDB and the organisations' crypto material. */
  readonly dataDir: string;
  /** Organisations that may call the ledger, by MSP ID, with their certificate organisation names. */
  readonly organisations: readonly { readonly mspId: string; readonly name: string }[];
  readonly channelName: string;
  readonly chaincodeName: string;
  /** Attempts for a transaction that loses an MVCC race (default {@link MAX_SUBMIT_ATTEMPTS}). */
  readonly maxAttempts?: number;
  /** Whether each block is on disk before its commit returns; true by default (benchmarks compare). */
  readonly sync?: boolean;
  /**
   * The proposal time of each transaction and query (the chaincode's "now"); the system
   * clock by default. Tests move it forward to judge deadlines days away, as a client's
   * proposal timestamp does on Fabric.
   */
  readonly clock?: () => Date;
}

/** {@link LedgerClient} over the embedded ledger. */
export class EmbeddedLedgerClientImpl implements LedgerClient {
  readonly backend = 'embedded';
  readonly #ledger: EmbeddedLedger;
  readonly #identities: ReadonlyMap<string, Identity>;
  readonly #maxAttempts: number;
  readonly #clock: (() => Date) | undefined;

  private constructor(
    ledger: EmbeddedLedger,
    identities: ReadonlyMap<string, Identity>,
    maxAttempts: number,
    clock: (() => Date) | undefined,
  ) {
    this.#ledger = ledger;
    this.#identities = identities;
    this.#maxAttempts = maxAttempts;
    this.#clock = clock;
  }

  /** Opens (or creates) the ledger and loads (or issues) each organisation's identity. */
  static async open(options: Readonly<EmbeddedLedgerClientOptions>): Promise<EmbeddedLedgerClientImpl> {
    applyChaincodeLogLevel();
    const crypto = newCryptoMaterial({ directory: path.join(options.dataDir, 'crypto') });
    const identities = new Map<string, Identity>();
    for (const org of options.organisations) {
      identities.set(
        org.mspId,
        await crypto.identity({ mspId: org.mspId, organization: org.name, name: `gateway.${org.mspId}` }),
      );
    }
    const ledger = await EmbeddedLedger.open({
      location: path.join(options.dataDir, 'ledger'),
      channelName: options.channelName,
      chaincodeName: options.chaincodeName,
      contracts,
      ...(options.sync === undefined ? {} : { sync: options.sync }),
    });
    return new EmbeddedLedgerClientImpl(
      ledger,
      identities,
      options.maxAttempts ?? MAX_SUBMIT_ATTEMPTS,
      options.clock,
    );
  }

  /** The underlying ledger (tests use it to race endorsements). */
  get ledger(): EmbeddedLedger {
    return this.#ledger;
  }

  async evaluate<T>(mspId: string, fn: string, args: readonly string[]): Promise<T> {
    try {
      const payload = await this.#ledger.evaluate(this.#identity(mspId), fn, args, this.#timing());
      return parse<T>(payload);
    } catch (err) {
      throw mapError(err);
    }
  }

  async submit<T>(mspId: string, fn: string, args: readonly string[]): Promise<Committed<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.#ledger.submit(this.#identity(mspId), fn, args, this.#timing());
        return {
          result: parse<T>(result.payload),
          txId: result.transactionId,
          blockNumber: result.status.blockNumber,
        };
      } catch (err) {
        if (
          err instanceof CommitError &&
          RETRYABLE_VALIDATION_CODES.includes(err.code) &&
          attempt < this.#maxAttempts
        ) {
          await retryPause(attempt);
          continue;
        }
        throw mapError(err);
      }
    }
  }

  blocks(startBlock: number): BlockStream {
    const source = this.#ledger.blocks({ startBlock });
    return {
      close: () => source.close(),
      async *[Symbol.asyncIterator](): AsyncIterator<LedgerBlock> {
        for await (const block of source) {
          yield {
            number: block.number,
            transactions: block.transactions.map((tx, txIndex) => ({
              txId: tx.transactionId,
              txIndex,
              creatorMspId: tx.creatorMspId,
              timestamp: tx.timestamp,
              validationCode: tx.validationCode,
              ...(tx.event
                ? { event: { name: tx.event.eventName, payload: Buffer.from(tx.event.payload, 'base64') } }
                : {}),
            })),
          };
        }
      },
    };
  }

  height(): Promise<number> {
    return Promise.resolve(this.#ledger.getBlockHeight());
  }

  ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return this.#ledger.close();
  }

  /** The proposal timestamp option: none (the ledger's own clock) unless a clock was given. */
  #timing(): { timestamp?: Date } {
    return this.#clock === undefined ? {} : { timestamp: this.#clock() };
  }

  #identity(mspId: string): Identity {
    const identity = this.#identities.get(mspId);
    if (!identity) throw unavailable(`no identity for organisation ${mspId}`);
    return identity;
  }
}

function parse<T>(payload: Uint8Array): T {
  return JSON.parse(Buffer.from(payload).toString('utf8')) as T;
}

function mapError(err: unknown): unknown {
  if (err instanceof ChaincodeError) return fromChaincodeMessage(err.message, err.transactionId);
  if (err instanceof CommitError) return fromValidationCode(err.code, err.transactionId);
  return err;
}
