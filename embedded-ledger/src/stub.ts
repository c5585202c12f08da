/**
 * The `ChaincodeStub` the contracts receive: fabric-shim 2.5's stub with the
 * peer connection replaced by an in-process {@link TransactionSimulator}.
 *
 * Argument handling, defaults, validation and result shapes follow the
 * shim's code (including what it does not check). Methods a LevelDB peer
 * without private data collections or chaincode-to-chaincode calls cannot
 * serve here throw (or reject with) "<method> is not supported in embedded
 * ledger".
 */
import Long from 'long';
import type {
  ChaincodeProposal,
  ChaincodeResponse,
  ChaincodeStub,
  Iterators,
  SerializedIdentity,
} from 'fabric-shim';
import type { StateQueryResponse, Timestamp } from 'fabric-shim-api';
import {
  EMPTY_KEY_SUBSTITUTE,
  assertSimpleKeys,
  createCompositeKey,
  partialCompositeKeyRange,
  splitCompositeKey,
  type SplitCompositeKey,
} from './composite-key';
import { wireString } from './codec';
import { notSupportedMessage } from './errors';
import { chaincodeHeaderExtension, chaincodeInvocationSpec } from './proposal-header';
import type { KVResult, QueryResponse } from './peer-queries';
import { historyIterator, stateIterator, withAsyncIterator } from './shim-iterators';
import type { QueryMetadata, TransactionSimulator } from './simulator';
import type { ChaincodeEventData } from './types';

/** Options of {@link EmbeddedChaincodeStub}. */
export interface EmbeddedChaincodeStubOptions {
  /** Peer side of the transaction. */
  readonly simulator: TransactionSimulator;
  readonly channelName: string;
  /** The chaincode the proposal invokes; without it `getSignedProposal()` returns undefined. */
  readonly chaincodeName?: string;
  readonly transactionId: string;
  /** Invocation arguments: the function name, then its parameters. */
  readonly args: readonly Buffer[];
  /** The submitter as the proposal carries it. */
  readonly creator: Readonly<{ mspid: string; idBytes: Uint8Array }>;
  /** Proposal timestamp. */
  readonly timestamp: Readonly<{ seconds: number; nanos: number }>;
  /** Transient data of the proposal. */
  readonly transient: ReadonlyMap<string, Uint8Array>;
  /** Hex SHA-256 of nonce, creator and epoch. */
  readonly binding: string;
  /** Value of `CORE_PEER_LOCALMSPID` for `getMspID()`, if configured. */
  readonly localMspId?: string;
}

/** The stub of one transaction. */
export class EmbeddedChaincodeStub implements ChaincodeStub {
  readonly #simulator: TransactionSimulator;
  readonly #channelName: string;
  readonly #chaincodeName: string | undefined;
  readonly #transactionId: string;
  readonly #bufferArgs: Buffer[];
  readonly #args: string[];
  readonly #creator: SerializedIdentity;
  readonly #timestamp: Readonly<{ seconds: number; nanos: number }>;
  readonly #transient: Map<string, Uint8Array>;
  readonly #binding: string;
  readonly #localMspId: string | undefined;
  #event: ChaincodeEventData | undefined;

  /** @param options - the transaction the stub serves. */
  constructor(options: Readonly<EmbeddedChaincodeStubOptions>) {
    this.#simulator = options.simulator;
    this.#channelName = options.channelName;
    this.#chaincodeName = options.chaincodeName;
    this.#transactionId = options.transactionId;
    this.#bufferArgs = options.args.map((arg) => Buffer.from(arg));
    this.#args = this.#bufferArgs.map((arg) => arg.toString());
    this.#creator = { mspid: options.creator.mspid, idBytes: Buffer.from(options.creator.idBytes) };
    this.#timestamp = options.timestamp;
    this.#transient = new Map([...options.transient].map(([key, value]) => [key, Buffer.from(value)]));
    this.#binding = options.binding;
    this.#localMspId = options.localMspId;
  }

  /** The event set last by the chaincode (only one per transaction; the last call wins). */
  get chaincodeEvent(): ChaincodeEventData | undefined {
    return this.#event;
  }

  getArgs(): string[] {
    return this.#args;
  }

  getStringArgs(): string[] {
    return this.#args;
  }

  /** Arguments as buffers (used by the contract dispatcher). */
  getBufferArgs(): Buffer[] {
    return this.#bufferArgs;
  }

  getFunctionAndParameters(): { params: string[]; fcn: string } {
    const [fcn, ...params] = this.#args;
    return fcn === undefined ? { fcn: '', params: [] } : { fcn, params };
  }

  getTxID(): string {
    return this.#transactionId;
  }

  getChannelID(): string {
    return this.#channelName;
  }

  getCreator(): SerializedIdentity {
    return this.#creator;
  }

  getMspID(): string {
    const mspId = this.#localMspId ?? process.env.CORE_PEER_LOCALMSPID;
    if (mspId === undefined) throw new Error('CORE_PEER_LOCALMSPID is unset in chaincode process');
    return mspId;
  }

  getTransient(): Map<string, Uint8Array> {
    return this.#transient;
  }

  /**
   * The proposal as fabric-shim decodes it, with the parts a chaincode reads:
   * the channel header (channel, transaction, timestamp, and the
   * ChaincodeHeaderExtension naming the chaincode), the creator, and the
   * payload (the ChaincodeInvocationSpec with the arguments, the transient
   * map). There is no client signature in-process: the signature is empty.
   * Undefined when the stub was made without a chaincode name.
   */
  getSignedProposal(): ChaincodeProposal.SignedProposal {
    if (this.#chaincodeName === undefined) return undefined as unknown as ChaincodeProposal.SignedProposal;
    const proposal = {
      header: {
        channelHeader: {
          type: 3,
          version: 0,
          timestamp: this.getTxTimestamp(),
          channelId: this.#channelName,
          txId: this.#transactionId,
          epoch: 0,
          extension: new Uint8Array(chaincodeHeaderExtension(this.#chaincodeName)),
          tlsCertHash: new Uint8Array(0),
        },
        signatureHeader: { creator: this.#creator, nonce: new Uint8Array(0) },
      },
      payload: {
        input: new Uint8Array(chaincodeInvocationSpec(this.#chaincodeName, this.#bufferArgs)),
        transientMap: this.#transient,
      },
    };
    const signed: ChaincodeProposal.SignedProposal = { proposal, signature: new Uint8Array(0) };
    return signed;
  }

  getTxTimestamp(): Timestamp {
    return { nanos: this.#timestamp.nanos, seconds: Long.fromNumber(this.#timestamp.seconds, true) };
  }

  getDateTimestamp(): Date {
    return new Date(this.#timestamp.seconds * 1000 + this.#timestamp.nanos / 1_000_000);
  }

  getBinding(): string {
    return this.#binding;
  }

  async getState(key: string): Promise<Uint8Array> {
    return this.#simulator.getState(key);
  }

  /** Strings are written as UTF-8; an empty or missing value deletes the key, as on a peer. */
  async putState(key: string, value: Uint8Array | string): Promise<void> {
    return this.#simulator.putState(key, typeof value === 'string' ? Buffer.from(value) : toBytes(value));
  }

  async deleteState(key: string): Promise<void> {
    return this.#simulator.deleteState(key);
  }

  setStateValidationParameter(_key: string, _ep: Uint8Array): Promise<void> {
    return rejectNotSupported('setStateValidationParameter');
  }

  getStateValidationParameter(_key: string): Promise<Uint8Array> {
    return rejectNotSupported('getStateValidationParameter');
  }

  getStateByRange(
    startKey: string,
    endKey: string,
  ): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    const start = startKey || EMPTY_KEY_SUBSTITUTE;
    try {
      assertSimpleKeys(start, endKey);
    } catch (error) {
      return rejectedQuery(error);
    }
    const promise = this.#simulator
      .getStateByRange(start, endKey ?? '')
      .then((response) => stateIterator(this.#simulator, response) as Iterators.StateQueryIterator);
    return withAsyncIterator(promise);
  }

  getStateByRangeWithPagination(
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark?: string,
  ): Promise<StateQueryResponse<Iterators.StateQueryIterator>> & AsyncIterable<Iterators.KV> {
    const start = startKey || EMPTY_KEY_SUBSTITUTE;
    let metadata: QueryMetadata;
    try {
      assertSimpleKeys(start, endKey);
      metadata = { pageSize: toInt32(pageSize), bookmark: bookmark || '' };
    } catch (error) {
      return rejectedQuery(error);
    }
    return withAsyncIterator(this.#paginatedRange(start, endKey ?? '', metadata));
  }

  getStateByPartialCompositeKey(
    objectType: string,
    attributes: string[],
  ): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    const { startKey, endKey } = partialCompositeKeyRange(objectType, attributes);
    const promise = this.#simulator
      .getStateByRange(startKey, endKey)
      .then((response) => stateIterator(this.#simulator, response) as Iterators.StateQueryIterator);
    return withAsyncIterator(promise);
  }

  getStateByPartialCompositeKeyWithPagination(
    objectType: string,
    attributes: string[],
    pageSize: number,
    bookmark?: string,
  ): Promise<StateQueryResponse<Iterators.StateQueryIterator>> & AsyncIterable<Iterators.KV> {
    const { startKey, endKey } = partialCompositeKeyRange(objectType, attributes);
    let metadata: QueryMetadata;
    try {
      metadata = { pageSize: toInt32(pageSize), bookmark: bookmark || '' };
    } catch (error) {
      return rejectedQuery(error);
    }
    return withAsyncIterator(this.#paginatedRange(startKey, endKey, metadata));
  }

  getQueryResult(query: string): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    const promise = this.#simulator
      .getQueryResult(query)
      .then((response) => stateIterator(this.#simulator, response) as Iterators.StateQueryIterator);
    return withAsyncIterator(promise);
  }

  getQueryResultWithPagination(
    query: string,
    pageSize: number,
    bookmark?: string,
  ): Promise<StateQueryResponse<Iterators.StateQueryIterator>> & AsyncIterable<Iterators.KV> {
    const promise = this.#simulator
      .getQueryResult(query, { pageSize: toInt32(pageSize), bookmark: bookmark || '' })
      .then((response) => this.#withMetadata(response));
    return withAsyncIterator(promise);
  }

  getHistoryForKey(
    key: string,
  ): Promise<Iterators.HistoryQueryIterator> & AsyncIterable<Iterators.KeyModification> {
    const promise = this.#simulator
      .getHistoryForKey(key)
      .then((response) => historyIterator(this.#simulator, response) as Iterators.HistoryQueryIterator);
    return withAsyncIterator(promise);
  }

  invokeChaincode(_chaincodeName: string, _args: string[], _channel: string): Promise<ChaincodeResponse> {
    return rejectNotSupported('invokeChaincode');
  }

  /**
   * Sets the transaction's event; a later call replaces it. The payload is
   * converted as protobuf's JavaScript runtime converts a bytes field when
   * the shim sends it (a string is read as base64, an array of numbers as
   * bytes).
   */
  setEvent(name: string, payload: Uint8Array): void {
    if (typeof name !== 'string' || name === '') {
      throw new Error('Event name must be a non-empty string');
    }
    // The event travels to the peer in protobuf; a name the peer cannot decode fails here instead.
    this.#event = { eventName: wireString(name), payload: protobufBytes(payload) };
  }

  createCompositeKey(objectType: string, attributes: string[]): string {
    return createCompositeKey(objectType, attributes);
  }

  /** As the shim: `objectType` is `null` when the key is not composite. */
  splitCompositeKey(compositeKey: string): { objectType: string; attributes: string[] } {
    const split: SplitCompositeKey = splitCompositeKey(compositeKey);
    return split as { objectType: string; attributes: string[] };
  }

  getPrivateData(_collection: string, _key: string): Promise<Uint8Array> {
    return rejectNotSupported('getPrivateData');
  }

  getPrivateDataHash(_collection: string, _key: string): Promise<Uint8Array> {
    return rejectNotSupported('getPrivateDataHash');
  }

  putPrivateData(_collection: string, _key: string, _value: Uint8Array): Promise<void> {
    return rejectNotSupported('putPrivateData');
  }

  deletePrivateData(_collection: string, _key: string): Promise<void> {
    return rejectNotSupported('deletePrivateData');
  }

  purgePrivateData(_collection: string, _key: string): Promise<void> {
    return rejectNotSupported('purgePrivateData');
  }

  setPrivateDataValidationParameter(_collection: string, _key: string, _ep: Uint8Array): Promise<void> {
    return rejectNotSupported('setPrivateDataValidationParameter');
  }

  getPrivateDataValidationParameter(_collection: string, _key: string): Promise<Uint8Array> {
    return rejectNotSupported('getPrivateDataValidationParameter');
  }

  getPrivateDataByRange(
    _collection: string,
    _startKey: string,
    _endKey: string,
  ): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    return rejectNotSupported('getPrivateDataByRange') as Promise<Iterators.StateQueryIterator> &
      AsyncIterable<Iterators.KV>;
  }

  getPrivateDataByPartialCompositeKey(
    _collection: string,
    _objectType: string,
    _attributes: string[],
  ): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    return rejectNotSupported(
      'getPrivateDataByPartialCompositeKey',
    ) as Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV>;
  }

  getPrivateDataQueryResult(
    _collection: string,
    _query: string,
  ): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    return rejectNotSupported('getPrivateDataQueryResult') as Promise<Iterators.StateQueryIterator> &
      AsyncIterable<Iterators.KV>;
  }

  #paginatedRange(
    startKey: string,
    endKey: string,
    metadata: QueryMetadata,
  ): Promise<StateQueryResponse<Iterators.StateQueryIterator>> {
    return this.#simulator
      .getStateByRange(startKey, endKey, metadata)
      .then((response) => this.#withMetadata(response));
  }

  /**
   * `{ iterator, metadata }` as the shim builds it. The shim attaches
   * `metadata` only when the peer sent non-empty metadata bytes, and an
   * empty page with an empty bookmark encodes to zero bytes, so such a page
   * (and a non-paginated answer) comes without `metadata`.
   */
  #withMetadata(response: QueryResponse<KVResult>): StateQueryResponse<Iterators.StateQueryIterator> {
    const result: {
      iterator: Iterators.StateQueryIterator;
      metadata?: StateQueryResponse<unknown>['metadata'];
    } = {
      iterator: stateIterator(this.#simulator, response) as Iterators.StateQueryIterator,
    };
    const metadata = response.metadata;
    if (metadata !== undefined && (metadata.fetchedRecordsCount !== 0 || metadata.bookmark !== '')) {
      result.metadata = { fetchedRecordsCount: metadata.fetchedRecordsCount, bookmark: metadata.bookmark };
    }
    return result as StateQueryResponse<Iterators.StateQueryIterator>;
  }
}

/** A rejected query promise, typed as the stub method returns it (the shim attaches no async iterator). */
function rejectedQuery<T>(error: unknown): Promise<T> & AsyncIterable<Iterators.KV> {
  const reason = error instanceof Error ? error : new Error(String(error));
  return Promise.reject(reason) as Promise<T> & AsyncIterable<Iterators.KV>;
}

function rejectNotSupported<T>(method: string): Promise<T> {
  return Promise.reject(new Error(notSupportedMessage(method)));
}

/**
 * The page size as protobuf encodes an int32 field (`undefined` is 0).
 *
 * @throws TypeError for values protobuf's runtime refuses to encode.
 */
function toInt32(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new TypeError(
      `page size ${typeof value === 'number' ? value : typeof value} is not a 32-bit integer`,
    );
  }
  return value;
}

/** Bytes of a value written to a protobuf bytes field by protobuf's JavaScript runtime. */
function protobufBytes(value: unknown): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (value instanceof Uint8Array || Array.isArray(value)) return Buffer.from(value as Uint8Array);
  if (value instanceof ArrayBuffer) return Buffer.from(new Uint8Array(value));
  throw new TypeError('Type not convertible to Uint8Array.');
}

/** Bytes of a `putState` value other than a string (see {@link protobufBytes}; strings were UTF-8 encoded before). */
function toBytes(value: unknown): Buffer {
  return protobufBytes(value);
}
