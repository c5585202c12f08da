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
import { createPrivateKey } from 'node:crypto';
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
    /** The peer this organisation's gateway connection uses (client-only organisations use another's). */
    readonly peer: string;
    readonly certPath: string;
    readonly keyPath: string;
  }[];
}

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

/** {@link LedgerClient} over a Fabric network. */
export class FabricLedgerClientImpl implements LedgerClient {
  readonly backend = 'fabric';
  readonly #clients: grpc.Client[];
  readonly #gateways: ReadonlyMap<string, { gateway: Gateway; network: Network; contract: Contract }>;
  readonly #logger: Logger;
  readonly #maxAttempts: number;

  private constructor(options: {
    clients: grpc.Client[];
    gateways: Map<string, { gateway: Gateway; network: Network; contract: Contract }>;
    logger: Logger;
    maxAttempts: number;
  }) {
    this.#clients = options.clients;
    this.#gateways = options.gateways;
    this.#logger = options.logger;
    this.#maxAttempts = options.maxAttempts;
  }

  /**
   * Connects every organisation of the connection profile.
   *
   * @throws Error when a certificate or key file cannot be read.
   */
  static async connect(
    profilePath: string,
    logger: Logger,
    deadlines: Deadlines = DEFAULT_DEADLINES,
  ): Promise<FabricLedgerClientImpl> {
    const base = path.dirname(profilePath);
    const profile = JSON.parse(await readFile(profilePath, 'utf8')) as ConnectionProfile;
    const clients = new Map<string, grpc.Client>();
    for (const p of profile.peers) {
      const tlsRoot = await readFile(path.resolve(base, p.tlsRootCertPath));
      clients.set(
        p.name,
        new grpc.Client(p.endpoint, grpc.credentials.createSsl(tlsRoot), {
          'grpc.ssl_target_name_override': p.hostnameOverride,
        }),
      );
    }
    const gateways = new Map<string, { gateway: Gateway; network: Network; contract: Contract }>();
    for (const org of profile.organisations) {
      const client = clients.get(org.peer);
      if (!client)
        throw new Error(`connection profile: organisation ${org.mspId} names unknown peer ${org.peer}`);
      const credentials = await readFile(path.resolve(base, org.certPath));
      const key = createPrivateKey(await readFile(path.resolve(base, org.keyPath)));
      const gateway = connect({
        client,
        identity: { mspId: org.mspId, credentials },
        // Native OpenSSL signing of the whole message (low-S), not the library's JavaScript signer.
        signer: nativeP256Signer(key),
        hash: hash.none,
        evaluateOptions: () => ({ deadline: Date.now() + deadlines.evaluateMs }),
        endorseOptions: () => ({ deadline: Date.now() + deadlines.endorseMs }),
        submitOptions: () => ({ deadline: Date.now() + deadlines.submitMs }),
        commitStatusOptions: () => ({ deadline: Date.now() + deadlines.commitStatusMs }),
      });
      const network = gateway.getNetwork(profile.channel);
      gateways.set(org.mspId, { gateway, network, contract: network.getContract(profile.chaincode) });
    }
    return new FabricLedgerClientImpl({
      clients: [...clients.values()],
      gateways,
      logger,
      maxAttempts: MAX_SUBMIT_ATTEMPTS,
    });
  }

  async evaluate<T>(mspId: string, fn: string, args: readonly string[]): Promise<T> {
    let txId: string | undefined;
    try {
      // A proposal rather than contract.evaluate(), so that failures keep their transaction ID.
      const proposal = this.#org(mspId).contract.newProposal(fn, { arguments: [...args] });
      txId = proposal.getTransactionId();
      return parse<T>(await proposal.evaluate());
    } catch (err) {
      throw this.#map(err, fn, txId);
    }
  }

  async submit<T>(mspId: string, fn: string, args: readonly string[]): Promise<Committed<T>> {
    const { contract } = this.#org(mspId);
    for (let attempt = 1; ; attempt++) {
      let txId: string | undefined;
      try {
        const proposal = contract.newProposal(fn, { arguments: [...args] });
        txId = proposal.getTransactionId();
        const transaction = await proposal.endorse();
        const submitted = await transaction.submit();
        const status = await submitted.getStatus();
        if (!status.successful) {
          const code = VALIDATION_CODE_NAMES.get(status.code) ?? String(status.code);
          if (RETRYABLE_VALIDATION_CODES.includes(code) && attempt < this.#maxAttempts) {
            await retryPause(attempt);
            continue;
          }
          throw fromValidationCode(code, status.transactionId);
        }
        return {
          result: parse<T>(transaction.getResult()),
          txId: status.transactionId,
          blockNumber: Number(status.blockNumber),
        };
      } catch (err) {
        throw this.#map(err, fn, txId);
      }
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

  async ready(): Promise<boolean> {
    try {
      await this.height();
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    for (const { gateway } of this.#gateways.values()) gateway.close();
    for (const client of this.#clients) client.close();
    return Promise.resolve();
  }

  #org(mspId: string): { gateway: Gateway; network: Network; contract: Contract } {
    const org = this.#gateways.get(mspId);
    if (!org) throw unavailable(`no connection for organisation ${mspId}`);
    return org;
  }

  #anyNetwork(): Network {
    const first = this.#gateways.values().next();
    if (first.done) throw unavailable('no organisation is connected');
    return first.value.network;
  }

  /** Keeps the evidence (transaction ID, code, every peer detail) in the log; returns the client error. */
  #map(err: unknown, fn: string, txId?: string): unknown {
    if (err instanceof AppError) return err;
    if (err instanceof GatewayError) {
      const details = err.details.map((d) => ({ address: d.address, mspId: d.mspId, message: d.message }));
      const id = (err as { transactionId?: string }).transactionId ?? txId;
      this.#logger.warn('ledger call failed', { fn, transactionId: id, grpcCode: err.code, details });
      // A peer reports a chaincode's own error response as "chaincode response <status>, <message>",
      // on Endorse (ABORTED) and on Evaluate (UNKNOWN) alike.
      const chaincodeMessage = details.map((d) => d.message).find((m) => CHAINCODE_RESPONSE.test(m));
      if (chaincodeMessage) return fromChaincodeMessage(chaincodeMessage, id);
      const grpcCode = err.code;
      if (
        grpcCode === (grpc.status.DEADLINE_EXCEEDED as number) ||
        grpcCode === (grpc.status.UNAVAILABLE as number)
      ) {
        return unavailable(err.message, id);
      }
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
