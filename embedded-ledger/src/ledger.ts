/**
 * The embedded ledger: one channel, one chaincode, the real contract
 * classes, LevelDB persistence and the peer behaviour the contracts rely on
 * (simulation against committed state, MVCC and phantom read validation,
 * duplicate transaction IDs, blocks, history and chaincode events).
 *
 * Ordering: every `commit`/`commitBatch` call cuts exactly one block, and
 * calls are committed one at a time in call order.
 */
import { computeDataHash } from './block-hash';
import { applyChaincodeLogLevel } from './chaincode-logging';
import { utf8RoundTrip } from './codec';
import { ContractDispatcher, type ContractClass, type SerializerConfiguration } from './dispatch';
import { ChaincodeError, CommitError, DuplicateTransactionError, LedgerClosedError } from './errors';
import { ReadWriteLock, SerialQueue } from './concurrency';
import { newProposalHeader } from './proposal-header';
import { timestampOf } from './peer-queries';
import { TransactionSimulator } from './simulator';
import { LedgerStore, type StateUpdate } from './store';
import { BlockStream, ChaincodeEventStream, ChangeNotifier } from './streams';
import { EmbeddedChaincodeStub } from './stub';
import { BlockUpdates, validateReadSet } from './validator';
import type {
  Block,
  BlockTransaction,
  ChaincodeEvent,
  ChaincodeEventData,
  CloseableAsyncIterable,
  CommitStatus,
  Identity,
  Proposal,
  SubmitResult,
  TransactionLocation,
  ValidationCode,
} from './types';

/** Fabric's default `ledger.state.totalQueryLimit`. */
export const DEFAULT_TOTAL_QUERY_LIMIT = 100_000;

/** An invocation argument: text (sent as UTF-8) or bytes. */
export type TransactionArgument = string | Uint8Array;

/** Options of {@link EmbeddedLedger.open}. */
export interface EmbeddedLedgerOptions {
  /** LevelDB directory; created if absent, resumed if present. */
  readonly location: string;
  /** Channel name the chaincode sees (`stub.getChannelID()`). */
  readonly channelName: string;
  /** Chaincode name (state namespace, stamped on chaincode events). */
  readonly chaincodeName: string;
  /** Contract classes, as the chaincode module exports them in `contracts`. */
  readonly contracts: readonly ContractClass[];
  /** Chaincode version reported in the generated contract metadata. */
  readonly chaincodeVersion?: string;
  /** Serializers, as a chaincode module may export them; the shim's JSON serializer by default. */
  readonly serializers?: SerializerConfiguration;
  /** Contract metadata (META-INF/metadata.json); introspected from the classes when absent. */
  readonly metadata?: object;
  /** Most results a single query returns (Fabric's `ledger.state.totalQueryLimit`). */
  readonly totalQueryLimit?: number;
  /** MSP ID `stub.getMspID()` returns (the peer's `CORE_PEER_LOCALMSPID`). */
  readonly localMspId?: string;
  /** Whether each block is on disk before its commit returns (LevelDB `sync`); true by default. */
  readonly sync?: boolean;
}

/** Per-transaction options. */
export interface TransactionOptions {
  /** Transaction ID to use instead of Fabric's derivation from nonce and creator. */
  readonly transactionId?: string;
  /** Proposal timestamp (default: now). Millisecond precision. */
  readonly timestamp?: Date;
  /** Transient data (`stub.getTransient()`); empty by default. */
  readonly transient?: Readonly<Record<string, Uint8Array>>;
}

/** Options of {@link EmbeddedLedger.blocks} and {@link EmbeddedLedger.chaincodeEvents}. */
export interface StreamOptions {
  /** First block to deliver (default 0); blocks not yet committed are awaited. */
  readonly startBlock?: number;
}

/** An in-process Fabric-like ledger for one channel and chaincode. */
export interface EmbeddedLedger {
  /** Channel name. */
  readonly channelName: string;
  /** Chaincode name. */
  readonly chaincodeName: string;

  /**
   * Simulates a transaction and returns its payload without recording
   * anything (a Fabric evaluate).
   *
   * @throws ChaincodeError when the chaincode answers with status >= 400;
   *   `message` is the chaincode response message.
   * @throws LedgerClosedError after {@link close}.
   */
  evaluate(
    identity: Identity,
    functionName: string,
    args?: readonly TransactionArgument[],
    options?: TransactionOptions,
  ): Promise<Uint8Array>;

  /**
   * Simulates a transaction and returns the endorsed proposal, with its
   * read/write set, for {@link commit}.
   *
   * @throws ChaincodeError when the chaincode answers with status >= 400.
   * @throws DuplicateTransactionError when the transaction ID is already on the ledger.
   * @throws LedgerClosedError after {@link close}.
   */
  endorse(
    identity: Identity,
    functionName: string,
    args?: readonly TransactionArgument[],
    options?: TransactionOptions,
  ): Promise<Proposal>;

  /**
   * Validates and commits one proposal in a new block. Invalid transactions
   * are recorded with their validation code and change no state.
   *
   * @throws Error when the proposal targets another channel or chaincode.
   * @throws LedgerClosedError after {@link close}.
   */
  commit(proposal: Proposal): Promise<CommitStatus>;

  /**
   * Validates and commits proposals as one block, in the given order; a
   * transaction conflicts with earlier valid ones of the same block as in
   * Fabric.
   *
   * @throws Error when the list is empty or a proposal targets another channel or chaincode.
   * @throws LedgerClosedError after {@link close}.
   */
  commitBatch(proposals: readonly Proposal[]): Promise<CommitStatus[]>;

  /**
   * Endorses and commits a transaction (fabric-gateway's `submitTransaction`).
   *
   * @throws ChaincodeError when the chaincode answers with status >= 400.
   * @throws CommitError when the transaction is recorded but invalid (e.g. MVCC_READ_CONFLICT).
   * @throws DuplicateTransactionError when the transaction ID is already on the ledger.
   * @throws LedgerClosedError after {@link close}.
   */
  submit(
    identity: Identity,
    functionName: string,
    args?: readonly TransactionArgument[],
    options?: TransactionOptions,
  ): Promise<SubmitResult>;

  /** Number of blocks, including the genesis block 0. */
  getBlockHeight(): number;

  /** A block, or `undefined` when it does not exist yet. */
  getBlock(blockNumber: number): Promise<Block | undefined>;

  /** Where a transaction was recorded and its validation code, or `undefined`. */
  getTransaction(transactionId: string): Promise<TransactionLocation | undefined>;

  /** Blocks from `startBlock`, then new blocks as they commit, until closed. */
  blocks(options?: StreamOptions): CloseableAsyncIterable<Block>;

  /** Chaincode events of valid transactions from `startBlock`, then live, until closed. */
  chaincodeEvents(options?: StreamOptions): CloseableAsyncIterable<ChaincodeEvent>;

  /** Waits for running work, ends every stream and closes LevelDB. */
  close(): Promise<void>;
}

/** Opens embedded ledgers. */
export const EmbeddedLedger = {
  /**
   * Opens the ledger at `options.location`, creating it with a genesis block
   * when new and resuming at its height when it exists.
   *
   * @throws Error when the directory holds another channel's or chaincode's
   *   ledger, or the contracts cannot be loaded by the contract API.
   */
  async open(options: Readonly<EmbeddedLedgerOptions>): Promise<EmbeddedLedger> {
    applyChaincodeLogLevel();
    const dispatcher = new ContractDispatcher({
      contracts: options.contracts,
      serializers: options.serializers,
      metadata: options.metadata,
      title: options.chaincodeName,
      version: options.chaincodeVersion ?? '',
    });
    const store = await LedgerStore.open(options);
    return new EmbeddedLedgerImpl({ ...options, store, dispatcher });
  },
};

/** Options of {@link EmbeddedLedgerImpl}. */
export interface EmbeddedLedgerImplOptions extends EmbeddedLedgerOptions {
  /** The opened store. */
  readonly store: LedgerStore;
  /** The contract dispatcher. */
  readonly dispatcher: ContractDispatcher;
}

/** {@link EmbeddedLedger} over a {@link LedgerStore}. */
export class EmbeddedLedgerImpl implements EmbeddedLedger {
  readonly #store: LedgerStore;
  readonly #dispatcher: ContractDispatcher;
  readonly #channelName: string;
  readonly #chaincodeName: string;
  readonly #totalQueryLimit: number;
  readonly #localMspId: string | undefined;
  readonly #commitLock = new ReadWriteLock();
  readonly #commitQueue = new SerialQueue();
  readonly #changes = new ChangeNotifier();
  /** No new work is accepted (set when closing starts). */
  #closed = false;
  /** LevelDB is closed. */
  #storeClosed = false;
  #closing: Promise<void> | undefined;

  /** @param options - ledger options with the opened store and dispatcher. */
  constructor(options: Readonly<EmbeddedLedgerImplOptions>) {
    this.#store = options.store;
    this.#dispatcher = options.dispatcher;
    this.#channelName = options.channelName;
    this.#chaincodeName = options.chaincodeName;
    this.#totalQueryLimit = options.totalQueryLimit ?? DEFAULT_TOTAL_QUERY_LIMIT;
    this.#localMspId = options.localMspId;
  }

  get channelName(): string {
    return this.#channelName;
  }

  get chaincodeName(): string {
    return this.#chaincodeName;
  }

  async evaluate(
    identity: Identity,
    functionName: string,
    args: readonly TransactionArgument[] = [],
    options: TransactionOptions = {},
  ): Promise<Uint8Array> {
    const proposal = await this.#simulate(identity, functionName, args, options);
    return proposal.payload;
  }

  async endorse(
    identity: Identity,
    functionName: string,
    args: readonly TransactionArgument[] = [],
    options: TransactionOptions = {},
  ): Promise<Proposal> {
    return this.#simulate(identity, functionName, args, options);
  }

  async commit(proposal: Proposal): Promise<CommitStatus> {
    const [status] = await this.commitBatch([proposal]);
    return status!;
  }

  commitBatch(proposals: readonly Proposal[]): Promise<CommitStatus[]> {
    if (this.#closed) return Promise.reject(new LedgerClosedError());
    if (proposals.length === 0) return Promise.reject(new Error('a block needs at least one transaction'));
    for (const proposal of proposals) {
      if (proposal.channelName !== this.#channelName || proposal.chaincodeName !== this.#chaincodeName) {
        return Promise.reject(
          new Error(
            `transaction ${proposal.transactionId} targets ${proposal.channelName}/${proposal.chaincodeName}, ` +
              `not ${this.#channelName}/${this.#chaincodeName}`,
          ),
        );
      }
    }
    return this.#commitQueue.run(() => this.#commitBlock(proposals));
  }

  async submit(
    identity: Identity,
    functionName: string,
    args: readonly TransactionArgument[] = [],
    options: TransactionOptions = {},
  ): Promise<SubmitResult> {
    const proposal = await this.endorse(identity, functionName, args, options);
    const status = await this.commit(proposal);
    if (!status.successful) {
      throw new CommitError({
        transactionId: status.transactionId,
        blockNumber: status.blockNumber,
        code: status.validationCode,
      });
    }
    return { transactionId: proposal.transactionId, payload: proposal.payload, status };
  }

  getBlockHeight(): number {
    return this.#store.height;
  }

  async getBlock(blockNumber: number): Promise<Block | undefined> {
    this.#assertOpen();
    return this.#store.getBlock(blockNumber);
  }

  async getTransaction(transactionId: string): Promise<TransactionLocation | undefined> {
    this.#assertOpen();
    return this.#store.getTransaction(transactionId);
  }

  blocks(options: StreamOptions = {}): CloseableAsyncIterable<Block> {
    return new BlockStream({ source: this.#blockSource(), startBlock: options.startBlock ?? 0 });
  }

  chaincodeEvents(options: StreamOptions = {}): CloseableAsyncIterable<ChaincodeEvent> {
    const blocks = new BlockStream({ source: this.#blockSource(), startBlock: options.startBlock ?? 0 });
    return new ChaincodeEventStream({ blocks, chaincodeName: this.#chaincodeName });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#changes.notifyAll();
    await this.#commitQueue.drain();
    // Waits for running simulations, which hold the shared side.
    const release = await this.#commitLock.acquireExclusive();
    try {
      this.#storeClosed = true;
      await this.#store.close();
    } finally {
      release();
      this.#changes.notifyAll();
    }
  }

  async #simulate(
    identity: Identity,
    functionName: string,
    args: readonly TransactionArgument[],
    options: TransactionOptions,
  ): Promise<Proposal> {
    this.#assertOpen();
    const header = newProposalHeader(identity, options.transactionId);
    const { transactionId } = header;
    const timestamp = (options.timestamp ?? new Date()).toISOString();
    const argBuffers = [functionName, ...args].map((arg) =>
      typeof arg === 'string' ? Buffer.from(arg, 'utf8') : Buffer.from(arg),
    );
    const release = await this.#commitLock.acquireShared();
    const simulator = new TransactionSimulator({
      store: this.#store,
      transactionId,
      totalQueryLimit: this.#totalQueryLimit,
    });
    let stub: EmbeddedChaincodeStub;
    let response: { status: number; message: string; payload: Uint8Array };
    try {
      if (this.#storeClosed) throw new LedgerClosedError();
      if ((await this.#store.getTransaction(transactionId)) !== undefined) {
        throw new DuplicateTransactionError({
          transactionId,
          creatorHex: header.creatorBytes.toString('hex'),
        });
      }
      stub = new EmbeddedChaincodeStub({
        simulator,
        channelName: this.#channelName,
        chaincodeName: this.#chaincodeName,
        transactionId,
        args: argBuffers,
        creator: { mspid: identity.mspId, idBytes: Buffer.from(identity.certificate, 'utf8') },
        timestamp: timestampOf(timestamp),
        transient: new Map(Object.entries(options.transient ?? {})),
        binding: header.binding,
        localMspId: this.#localMspId,
      });
      response = await this.#dispatcher.invoke(stub);
    } finally {
      await simulator.done();
      release();
    }
    // The endorser refuses to endorse any response from 400 upwards.
    if (response.status >= 400) {
      throw new ChaincodeError({ status: response.status, message: response.message, transactionId });
    }
    const event: ChaincodeEventData | undefined = stub.chaincodeEvent;
    return {
      transactionId,
      channelName: this.#channelName,
      chaincodeName: this.#chaincodeName,
      // As the peer decodes them: UTF-8 text.
      functionName: argBuffers[0]!.toString('utf8'),
      args: argBuffers.slice(1).map((arg) => arg.toString('utf8')),
      creatorMspId: utf8RoundTrip(identity.mspId),
      timestamp,
      payload: response.payload,
      readWriteSet: simulator.results(),
      ...(event === undefined ? {} : { event }),
    };
  }

  /** Runs on the commit queue; commits accepted before `close()` still complete. */
  async #commitBlock(proposals: readonly Proposal[]): Promise<CommitStatus[]> {
    const blockNumber = this.#store.height;
    const updates = new BlockUpdates();
    const seenInBlock = new Set<string>();
    const transactions: BlockTransaction[] = [];
    const stateUpdates: StateUpdate[] = [];
    const transactionIndex: TransactionLocation[] = [];

    for (const [txNum, proposal] of proposals.entries()) {
      const version = { blockNum: blockNumber, txNum };
      let validationCode: ValidationCode;
      if (
        seenInBlock.has(proposal.transactionId) ||
        (await this.#store.getTransaction(proposal.transactionId))
      ) {
        validationCode = 'DUPLICATE_TXID';
      } else {
        seenInBlock.add(proposal.transactionId);
        validationCode = await validateReadSet(this.#store, proposal.readWriteSet, updates);
        transactionIndex.push({
          transactionId: proposal.transactionId,
          blockNumber,
          transactionNumber: txNum,
          validationCode,
        });
      }
      if (validationCode === 'VALID') {
        updates.apply(proposal.readWriteSet.writes, version);
        for (const write of proposal.readWriteSet.writes) {
          stateUpdates.push({ key: write.key, isDelete: write.isDelete, value: write.value, version });
        }
      }
      transactions.push(toBlockTransaction(proposal, validationCode));
    }

    const block: Block = {
      number: blockNumber,
      previousHash: this.#store.lastHeaderHash,
      dataHash: computeDataHash(transactions),
      transactions,
    };
    // Applying a block excludes simulations, so none sees it half-way (Fabric's commitRWLock).
    const release = await this.#commitLock.acquireExclusive();
    try {
      await this.#store.writeBlock({ block, stateUpdates, transactionIndex });
    } finally {
      release();
    }
    this.#changes.notifyAll();
    return transactions.map((transaction) => ({
      transactionId: transaction.transactionId,
      blockNumber,
      validationCode: transaction.validationCode,
      successful: transaction.validationCode === 'VALID',
    }));
  }

  #blockSource() {
    return {
      height: () => this.#store.height,
      getBlock: (blockNumber: number) => this.#store.getBlock(blockNumber),
      isClosed: () => this.#closed,
      waitForChange: () => this.#changes.wait(),
      wakeAll: () => this.#changes.notifyAll(),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerClosedError();
  }
}

function toBlockTransaction(proposal: Proposal, validationCode: ValidationCode): BlockTransaction {
  return {
    transactionId: proposal.transactionId,
    creatorMspId: proposal.creatorMspId,
    timestamp: proposal.timestamp,
    functionName: proposal.functionName,
    validationCode,
    ...(proposal.event === undefined
      ? {}
      : {
          event: {
            eventName: proposal.event.eventName,
            payload: Buffer.from(proposal.event.payload).toString('base64'),
          },
        }),
    writes: proposal.readWriteSet.writes.map((write) => ({
      key: write.key,
      isDelete: write.isDelete,
      value: Buffer.from(write.value).toString('base64'),
    })),
  };
}
