/**
 * The `fabric` backend: a real Fabric network through @hyperledger/fabric-gateway,
 * one long-lived gRPC client per peer, each organisation signing with its own
 * identity, deadlines on every call type.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  type CloseableAsyncIterable,
  type Commit,
  CommitError,
  type Contract,
  EndorseError,
  type Gateway,
  GatewayError,
  type Network,
  connect,
  hash,
} from '@hyperledger/fabric-gateway';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AppError } from '../http/errors';
import { nativeP256Signer } from './signer';
import type { Logger } from '../http/logger';
import {
  fromChaincodeMessage,
  fromValidationCode,
  MAX_SUBMIT_ATTEMPTS,
  RETRYABLE_VALIDATION_CODES,
  retryPause,
  unavailable,
  type UnavailableReason,
} from './errors';
import type { BlockStream, Committed, LedgerBlock, LedgerClient, LedgerTransaction } from './types';

/** The connection file `network:up` writes (paths relative to the file). */
export interface ConnectionProfile {
  readonly channel: string;
  readonly chaincode: string;
  readonly peers: readonly {
    readonly name: string;
    readonly mspId: string;
    readonly endpoint: string;
    readonly hostnameOverride: string;
    readonly tlsRootCertPath: string;
  }[];
  readonly organisations: readonly {
    readonly mspId: string;
    /**
     * The peers this organisation's gateway connection uses, most trusted first: its own peer,
     * then the peers it falls back to (client-only organisations name only others').
     */
    readonly peers?: readonly string[];
    /** Older profiles: the one peer the organisation uses. */
    readonly peer?: string;
    readonly certPath: string;
    readonly keyPath: string;
  }[];
}

/**
 * The connection file of a per-organisation gateway: its own entry names only its peers, never
 * a key (the keys come from the organisation's key directory).
 */
export interface OrganisationProfile extends Omit<ConnectionProfile, 'organisations'> {
  readonly organisations: readonly { readonly mspId: string; readonly peers: readonly string[] }[];
}

/** An organisation's client identity and the peers it trusts, most trusted first. */
interface OrganisationIdentity {
  readonly mspId: string;
  readonly peers: readonly string[];
  readonly credentials: Buffer;
  readonly key: KeyObject;
}

/** The connection profile of a per-organisation gateway names another organisation's private key. */
export class ForeignKeyInProfileError extends Error {
  readonly code = 'FOREIGN_ORG_KEY';

  constructor(profilePath: string, foreign: string, own: string) {
    super(
      `FOREIGN_ORG_KEY: connection profile ${profilePath} names ${foreign}'s private key; ` +
        `a gateway for ${own} holds ${own}'s keys only`,
    );
    this.name = 'ForeignKeyInProfileError';
  }
}

/** One peer an organisation can go through. */
interface Target {
  readonly peer: string;
  readonly gateway: Gateway;
  readonly network: Network;
  readonly contract: Contract;
}

/** How long a peer that failed with a transient error is tried last. */
const PEER_BACKOFF_MS = 5_000;

/**
 * How long a submit waits for the organisation's other peers to commit the transaction too,
 * after the peer it went through did; a peer that is down or slower is logged, not waited for.
 */
const PEER_CATCH_UP_MS = 5_000;

/** Deadlines per call type, in milliseconds. */
export interface Deadlines {
  readonly evaluateMs: number;
  readonly endorseMs: number;
  readonly submitMs: number;
  readonly commitStatusMs: number;
}

const DEFAULT_DEADLINES: Deadlines = {
  evaluateMs: 5_000,
  endorseMs: 15_000,
  submitMs: 5_000,
  commitStatusMs: 60_000,
};

/** How a peer gateway prefixes a chaincode's error response in an ErrorDetail message. */
const CHAINCODE_RESPONSE = /^chaincode response \d+, /;

const VALIDATION_CODE_NAMES = new Map<number, string>(
  Object.entries(peer.TxValidationCode).map(([name, value]) => [value as number, name]),
);

/** A passing failure: its reason code and the peer's words. */
export interface TransientCause {
  readonly reason: UnavailableReason;
  readonly message: string;
}

/** Peer messages that mean "not now" rather than "no", most specific first. */
const TRANSIENT_MESSAGES: readonly (readonly [RegExp, UnavailableReason])[] = [
  [
    /no peer combination can satisfy the endorsement policy|failed to (?:get|create) endorsement plan|no endorsement plan|discovery service/i,
    'DISCOVERY_NOT_READY',
  ],
  [
    /could not launch chaincode|chaincode registration failed|failed to connect to chaincode|error (?:starting|connecting to) (?:container|chaincode)|chaincode .*(?:not running|unavailable)|connection refused/i,
    'CHAINCODE_UNAVAILABLE',
  ],
  [
    /failed to collect enough transaction endorsements|no endorsers|endorsing peer.*unavailable/i,
    'ENDORSERS_UNAVAILABLE',
  ],
  [
    /orderer.*(?:unavailable|not available)|no orderers|failed to send transaction to orderer|SERVICE_UNAVAILABLE/i,
    'ORDERER_UNAVAILABLE',
  ],
];

/**
 * Why a call failed, when the cause is passing and the same call may succeed
 * later or through another peer: the peer is unreachable or restarting, its
 * chaincode server is down, or service discovery cannot plan an endorsement
 * yet (after a commit or a restart). `undefined` for everything else,
 * including every answer of the chaincode itself.
 */
export function transientCause(err: unknown): TransientCause | undefined {
  if (!(err instanceof GatewayError)) return undefined;
  if (err.details.some((d) => CHAINCODE_RESPONSE.test(d.message))) return undefined;
  const message = [err.message, ...err.details.map((d) => `${d.mspId}@${d.address}: ${d.message}`)].join(
    '; ',
  );
  for (const [pattern, reason] of TRANSIENT_MESSAGES) if (pattern.test(message)) return { reason, message };
  if (err.code === (grpc.status.UNAVAILABLE as number)) return { reason: 'PEER_UNAVAILABLE', message };
  if (err.code === (grpc.status.DEADLINE_EXCEEDED as number)) return { reason: 'DEADLINE_EXCEEDED', message };
  return undefined;
}

/** {@link LedgerClient} over a Fabric network. */
export class FabricLedgerClientImpl implements LedgerClient {
  readonly backend = 'fabric';
  readonly #clients: grpc.Client[];
  readonly #targets: ReadonlyMap<string, readonly Target[]>;
  readonly #logger: Logger;
  readonly #maxAttempts: number;
  /** Whether this client holds one organisation's identity only (the per-organisation gateway). */
  readonly #singleOrganisation: boolean;
  /** Peer name -> time until which it is tried after the others. */
  readonly #backoff = new Map<string, number>();

  private constructor(options: {
    clients: grpc.Client[];
    targets: Map<string, Target[]>;
    logger: Logger;
    maxAttempts: number;
    singleOrganisation: boolean;
  }) {
    this.#singleOrganisation = options.singleOrganisation;
    this.#clients = options.clients;
    this.#targets = options.targets;
    this.#logger = options.logger;
    this.#maxAttempts = options.maxAttempts;
  }

  /**
   * Connects every organisation of the connection profile, through each of the peers it trusts.
   *
   * @throws Error when a certificate or key file cannot be read or the profile names an unknown peer.
   */
  static async connect(
    profilePath: string,
    logger: Logger,
    deadlines: Deadlines = DEFAULT_DEADLINES,
  ): Promise<FabricLedgerClientImpl> {
    const base = path.dirname(profilePath);
    const profile = JSON.parse(await readFile(profilePath, 'utf8')) as ConnectionProfile;
    const identities: OrganisationIdentity[] = [];
    for (const org of profile.organisations) {
      identities.push({
        mspId: org.mspId,
        peers: org.peers ?? (org.peer === undefined ? [] : [org.peer]),
        credentials: await readFile(path.resolve(base, org.certPath)),
        key: createPrivateKey(await readFile(path.resolve(base, org.keyPath))),
      });
    }
    return FabricLedgerClientImpl.#open(profile, base, identities, logger, deadlines);
  }

  /**
   * Connects one organisation only (the per-organisation gateway): its own identity, through the
   * peers its entry of the profile names (its own peer first; a client-only organisation names the
   * peer it trusts). Calls as any other organisation are refused with 403 `NOT_THIS_ORGANISATION`.
   *
   * @throws Error when the profile has no entry for the organisation or names an unknown peer;
   *   {@link ForeignKeyInProfileError} when it names another organisation's private key.
   */
  static async connectOrganisation(
    profilePath: string,
    identity: Readonly<{ mspId: string; credentials: Buffer; key: KeyObject }>,
    logger: Logger,
    deadlines: Deadlines = DEFAULT_DEADLINES,
  ): Promise<FabricLedgerClientImpl> {
    const base = path.dirname(profilePath);
    const profile = JSON.parse(await readFile(profilePath, 'utf8')) as ConnectionProfile;
    const foreign = profile.organisations.find((o) => o.mspId !== identity.mspId && o.keyPath !== undefined);
    if (foreign) throw new ForeignKeyInProfileError(profilePath, foreign.mspId, identity.mspId);
    const own = profile.organisations.find((o) => o.mspId === identity.mspId);
    if (!own) throw new Error(`connection profile ${profilePath}: no entry for ${identity.mspId}`);
    const peers = own.peers ?? (own.peer === undefined ? [] : [own.peer]);
    return FabricLedgerClientImpl.#open(
      profile,
      base,
      [{ mspId: identity.mspId, peers, credentials: identity.credentials, key: identity.key }],
      logger,
      deadlines,
      true,
    );
  }

  static async #open(
    profile: ConnectionProfile,
    base: string,
    identities: readonly OrganisationIdentity[],
    logger: Logger,
    deadlines: Deadlines,
    singleOrganisation = false,
  ): Promise<FabricLedgerClientImpl> {
    const wanted = new Set(identities.flatMap((o) => o.peers));
    const clients = new Map<string, grpc.Client>();
    for (const p of profile.peers) {
      if (!wanted.has(p.name)) continue;
      const tlsRoot = await readFile(path.resolve(base, p.tlsRootCertPath));
      clients.set(
        p.name,
        new grpc.Client(p.endpoint, grpc.credentials.createSsl(tlsRoot), {
          'grpc.ssl_target_name_override': p.hostnameOverride,
          // A restarted peer is found again within a second, not after gRPC's default 2 min backoff cap.
          'grpc.max_reconnect_backoff_ms': 1_000,
        }),
      );
    }
    const targets = new Map<string, Target[]>();
    for (const org of identities) {
      if (org.peers.length === 0)
        throw new Error(`connection profile: organisation ${org.mspId} names no peer`);
      const list: Target[] = [];
      for (const name of org.peers) {
        const client = clients.get(name);
        if (!client)
          throw new Error(`connection profile: organisation ${org.mspId} names unknown peer ${name}`);
        const gateway = connect({
          client,
          identity: { mspId: org.mspId, credentials: org.credentials },
          // Native OpenSSL signing of the whole message (low-S), not the library's JavaScript signer.
          signer: nativeP256Signer(org.key),
          hash: hash.none,
          evaluateOptions: () => ({ deadline: Date.now() + deadlines.evaluateMs }),
          endorseOptions: () => ({ deadline: Date.now() + deadlines.endorseMs }),
          submitOptions: () => ({ deadline: Date.now() + deadlines.submitMs }),
          commitStatusOptions: () => ({ deadline: Date.now() + deadlines.commitStatusMs }),
        });
        const network = gateway.getNetwork(profile.channel);
        list.push({ peer: name, gateway, network, contract: network.getContract(profile.chaincode) });
      }
      targets.set(org.mspId, list);
    }
    return new FabricLedgerClientImpl({
      clients: [...clients.values()],
      targets,
      logger,
      maxAttempts: MAX_SUBMIT_ATTEMPTS,
      singleOrganisation,
    });
  }

  async evaluate<T>(mspId: string, fn: string, args: readonly string[]): Promise<T> {
    return this.#failover(mspId, fn, async (target) => {
      let txId: string | undefined;
      try {
        // A proposal rather than contract.evaluate(), so that failures keep their transaction ID.
        const proposal = target.contract.newProposal(fn, { arguments: [...args] });
        txId = proposal.getTransactionId();
        return parse<T>(await proposal.evaluate());
      } catch (err) {
        throw new CallFailure(err, txId);
      }
    });
  }

  async submit<T>(mspId: string, fn: string, args: readonly string[]): Promise<Committed<T>> {
    for (let attempt = 1; ; attempt++) {
      // Endorsement fails over to the next trusted peer; once the transaction went to the
      // orderer it is not sent again through another peer (the caller retries with its client ID).
      const endorsed = await this.#failover(mspId, fn, async (target) => {
        let txId: string | undefined;
        try {
          const proposal = target.contract.newProposal(fn, { arguments: [...args] });
          txId = proposal.getTransactionId();
          return { transaction: await proposal.endorse(), target };
        } catch (err) {
          throw new CallFailure(err, txId);
        }
      });
      const { transaction } = endorsed;
      let status;
      let submitted: Commit;
      try {
        submitted = await transaction.submit();
        status = await submitted.getStatus();
      } catch (err) {
        throw this.#map(err, fn, transaction.getTransactionId(), endorsed.target.peer);
      }
      if (!status.successful) {
        const code = VALIDATION_CODE_NAMES.get(status.code) ?? String(status.code);
        if (RETRYABLE_VALIDATION_CODES.includes(code) && attempt < this.#maxAttempts) {
          await retryPause(attempt);
          continue;
        }
        throw fromValidationCode(code, status.transactionId);
      }
      await this.#committedOnEveryPeer(mspId, endorsed.target.peer, submitted);
      return {
        result: parse<T>(transaction.getResult()),
        txId: status.transactionId,
        blockNumber: Number(status.blockNumber),
      };
    }
  }

  blocks(startBlock: number): BlockStream {
    const network = this.#anyNetwork();
    let events: CloseableAsyncIterable<common.Block> | undefined;
    let closed = false;
    return {
      close: () => {
        closed = true;
        events?.close();
      },
      async *[Symbol.asyncIterator](): AsyncIterator<LedgerBlock> {
        events = await network.getBlockEvents({ startBlock: BigInt(startBlock) });
        if (closed) events.close();
        try {
          for await (const block of events) yield parseBlock(block);
        } catch (err) {
          // close() cancels the gRPC stream; like the embedded backend, that ends the iteration.
          const cancelledByClose =
            closed && err instanceof GatewayError && err.code === (grpc.status.CANCELLED as number);
          if (!cancelledByClose) throw err;
        } finally {
          // The library's iterator has no return(): a consumer that stops early must not leave the stream open.
          events.close();
        }
      },
    };
  }

  async height(): Promise<number> {
    // qscc GetChainInfo: the channel height (the next block number), readable by any channel member.
    const network = this.#anyNetwork();
    const info = await network.getContract('qscc').evaluateTransaction('GetChainInfo', network.getName());
    return Number(common.BlockchainInfo.deserializeBinary(info).getHeight());
  }

  async channelConfigBlock(): Promise<Uint8Array> {
    // cscc GetConfigBlock: the latest configuration block, readable by any channel member.
    const network = this.#anyNetwork();
    return network.getContract('cscc').evaluateTransaction('GetConfigBlock', network.getName());
  }

  async ready(): Promise<boolean> {
    try {
      await this.height();
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    for (const list of this.#targets.values()) for (const { gateway } of list) gateway.close();
    for (const client of this.#clients) client.close();
    return Promise.resolve();
  }

  /**
   * Runs `call` through the organisation's peers in order of trust (peers that failed
   * recently go last); moves to the next peer only on a transient failure.
   */
  async #failover<R>(mspId: string, fn: string, call: (target: Target) => Promise<R>): Promise<R> {
    const list = this.#targets.get(mspId);
    if (!list && this.#singleOrganisation) {
      throw AppError.forbidden(`this gateway holds no identity of ${mspId}: each organisation runs its own`, {
        code: 'NOT_THIS_ORGANISATION',
      });
    }
    if (!list) throw unavailable(`no connection for organisation ${mspId}`);
    const now = Date.now();
    const ordered = [...list].sort(
      (a, b) =>
        Number((this.#backoff.get(a.peer) ?? 0) > now) - Number((this.#backoff.get(b.peer) ?? 0) > now),
    );
    let last: unknown;
    for (const target of ordered) {
      try {
        const result = await call(target);
        this.#backoff.delete(target.peer);
        return result;
      } catch (err) {
        const failure = err instanceof CallFailure ? err : new CallFailure(err);
        const cause = transientCause(failure.error);
        if (cause === undefined) throw this.#map(failure.error, fn, failure.txId, target.peer);
        this.#backoff.set(target.peer, Date.now() + PEER_BACKOFF_MS);
        this.#logger.warn('ledger call failed on a peer; trying the next trusted peer', {
          fn,
          mspId,
          peer: target.peer,
          transactionId: failure.txId,
          reason: cause.reason,
          cause: cause.message,
        });
        last = this.#map(failure.error, fn, failure.txId, target.peer, { logged: true });
      }
    }
    throw last;
  }

  /**
   * Waits until the organisation's other trusted peers have committed the transaction too. The
   * commit status came from one peer; the caller's next call, perhaps as another organisation
   * through another peer (or endorsed there), must not read the world state from before it.
   * Bounded: a peer that is down or lags is logged and left to catch up on its own.
   */
  async #committedOnEveryPeer(mspId: string, committedOn: string, commit: Commit): Promise<void> {
    const now = Date.now();
    const others = (this.#targets.get(mspId) ?? []).filter(
      (t) => t.peer !== committedOn && (this.#backoff.get(t.peer) ?? 0) <= now,
    );
    if (others.length === 0) return;
    const bytes = commit.getBytes();
    await Promise.all(
      others.map(async (t) => {
        try {
          await t.gateway.newCommit(bytes).getStatus({ deadline: Date.now() + PEER_CATCH_UP_MS });
        } catch (err) {
          this.#logger.warn(
            'a peer did not confirm a committed transaction in time; reads through it may lag',
            {
              mspId,
              peer: t.peer,
              transactionId: commit.getTransactionId(),
              message: err instanceof Error ? err.message : String(err),
            },
          );
        }
      }),
    );
  }

  #anyNetwork(): Network {
    const now = Date.now();
    let fallback: Network | undefined;
    for (const list of this.#targets.values()) {
      for (const t of list) {
        if ((this.#backoff.get(t.peer) ?? 0) <= now) return t.network;
        fallback ??= t.network;
      }
    }
    if (!fallback) throw unavailable('no organisation is connected');
    return fallback;
  }

  /**
   * Maps a failure to the client's error; logs the evidence (transaction ID, code, every
   * peer detail) except for the chaincode's expected business answers.
   */
  #map(err: unknown, fn: string, txId?: string, peerName?: string, options = { logged: false }): unknown {
    if (err instanceof AppError) return err;
    if (err instanceof GatewayError) {
      const details = err.details.map((d) => ({ address: d.address, mspId: d.mspId, message: d.message }));
      const id = (err as { transactionId?: string }).transactionId ?? txId;
      const evidence = {
        fn,
        peer: peerName,
        transactionId: id,
        grpcCode: err.code,
        message: err.message,
        details,
      };
      // A peer reports a chaincode's own error response as "chaincode response <status>, <message>",
      // on Endorse (ABORTED) and on Evaluate (UNKNOWN) alike.
      const chaincodeMessage = details.map((d) => d.message).find((m) => CHAINCODE_RESPONSE.test(m));
      if (chaincodeMessage) {
        const mapped = fromChaincodeMessage(chaincodeMessage, id);
        if (mapped.status >= 500) this.#logger.warn('ledger call failed', evidence);
        else
          this.#logger.debug('chaincode answered with an error', {
            fn,
            code: mapped.code,
            transactionId: id,
          });
        return mapped;
      }
      const cause = transientCause(err);
      if (cause !== undefined) {
        if (!options.logged) this.#logger.warn('ledger unavailable', { ...evidence, reason: cause.reason });
        return unavailable(`${cause.reason.toLowerCase().replaceAll('_', ' ')}`, id, cause.reason);
      }
      this.#logger.warn('ledger call failed', evidence);
      // Endorse failures are EndorseErrors, evaluate failures plain GatewayErrors (SubmitError is not
      // exported as a value): the peer refused the proposal itself (access denied, no endorsers...).
      if (err instanceof EndorseError || err.name === GatewayError.name) {
        return fromChaincodeMessage(err.message, id);
      }
      return unavailable(err.message, id);
    }
    if (err instanceof CommitError) {
      const code = VALIDATION_CODE_NAMES.get(err.code) ?? String(err.code);
      return fromValidationCode(code, err.transactionId);
    }
    return err;
  }
}

/** A failure on one peer, with the transaction ID of the proposal that failed. */
class CallFailure extends Error {
  readonly error: unknown;
  readonly txId: string | undefined;

  constructor(error: unknown, txId?: string) {
    super(error instanceof Error ? error.message : String(error));
    this.error = error;
    this.txId = txId;
  }
}

function parse<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

/** Extracts transactions, validation codes and chaincode events from a block. */
function parseBlock(block: common.Block): LedgerBlock {
  const number = Number(block.getHeader()?.getNumber() ?? 0);
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const transactions: LedgerTransaction[] = [];
  block
    .getData()
    ?.getDataList_asU8()
    .forEach((envelopeBytes, txIndex) => {
      const payload = common.Payload.deserializeBinary(
        common.Envelope.deserializeBinary(envelopeBytes).getPayload_asU8(),
      );
      const header = payload.getHeader();
      if (!header) return;
      const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
      if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return;
      const creator = msp.SerializedIdentity.deserializeBinary(
        common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8(),
      );
      const code = filter?.[txIndex] ?? 255;
      const timestamp = channelHeader.getTimestamp() as
        { getSeconds(): number; getNanos(): number } | undefined;
      // Milliseconds kept, as the embedded backend keeps them: the indexer orders and shows times by them.
      const millis = (timestamp?.getSeconds() ?? 0) * 1000 + Math.floor((timestamp?.getNanos() ?? 0) / 1e6);
      const tx: LedgerTransaction = {
        txId: channelHeader.getTxId(),
        txIndex,
        creatorMspId: creator.getMspid(),
        timestamp: new Date(millis).toISOString(),
        validationCode: VALIDATION_CODE_NAMES.get(code) ?? String(code),
        ...chaincodeEvent(payload),
      };
      transactions.push(tx);
    });
  return { number, transactions };
}

function chaincodeEvent(payload: common.Payload): { event?: { name: string; payload: Uint8Array } } {
  const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
  const action = transaction.getActionsList()[0];
  if (!action) return {};
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
  const responsePayload = actionPayload.getAction()?.getProposalResponsePayload_asU8();
  if (!responsePayload) return {};
  const extension = peer.ProposalResponsePayload.deserializeBinary(responsePayload).getExtension_asU8();
  const eventBytes = peer.ChaincodeAction.deserializeBinary(extension).getEvents_asU8();
  if (eventBytes.length === 0) return {};
  const event = peer.ChaincodeEvent.deserializeBinary(eventBytes);
  return { event: { name: event.getEventName(), payload: event.getPayload_asU8() } };
}
