/**
 * A gRPC double of the peer's Gateway service (and of its Deliver service),
 * for tests only: a @grpc/grpc-js server with TLS that answers
 * `gateway.Gateway/{Evaluate,Endorse,Submit,CommitStatus}` and
 * `protos.Deliver/Deliver` by running proposals on the embedded ledger.
 *
 * It is NOT Fabric and makes no claim about Fabric's behaviour beyond the
 * wire messages. It exists so that the `fabric` backend's client code
 * (FabricLedgerClientImpl over the real @hyperledger/fabric-gateway library)
 * can run on a machine where Fabric binaries cannot be built: proposals and
 * transactions are built and signed by the real library, decoded here from
 * the protobuf messages, their signatures checked against the creator's
 * certificate and MSP, and the chaincode run by the embedded ledger. The
 * replies mirror what a peer's gateway sends (hyperledger/fabric
 * internal/pkg/gateway/api.go): a chaincode error is ABORTED (Endorse) or
 * UNKNOWN (Evaluate) with `ErrorDetail{address, msp_id, "chaincode response
 * <status>, <message>"}` in the google.rpc.Status details, commit status is
 * the `peer.TxValidationCode` number, blocks carry a TRANSACTIONS_FILTER.
 *
 * Only protocol translation lives here: what is valid, permitted or
 * conflicting is decided by the chaincode and the embedded ledger. Test
 * hooks inject transport faults (status codes, delays) and run code between
 * a transaction's endorsement and its commit.
 *
 * Simplifications a reader should know about: one peer endorses everything
 * (no endorsement policy, no discovery); Submit commits what this double
 * endorsed for that transaction ID, one transaction per block; block hashes
 * are the embedded ledger's, not Fabric's header hashes; CommitStatus does
 * not wait for transactions it has never seen; ChaincodeEvents, DeliverFiltered
 * and DeliverWithPrivateData answer UNIMPLEMENTED.
 */
import { createHash, sign, verify, X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  common,
  gateway,
  google,
  ledger as ledgerProtos,
  msp,
  orderer,
  peer,
} from '@hyperledger/fabric-protos';
import {
  ChaincodeError,
  DuplicateTransactionError,
  VALIDATION_CODE_NUMBERS,
  type Block,
  type BlockTransaction,
  type CommitStatus,
  type EmbeddedLedger,
  type Proposal,
  type ReadWriteSet,
} from '@ruralcredit/embedded-ledger';

/** google.protobuf.Timestamp as the fabric-protos messages hold it (google-protobuf ships no types). */
interface ProtoTimestamp {
  getSeconds(): number;
  getNanos(): number;
  toDate(): Date;
}

/** google.protobuf.Any, as google.rpc.Status holds its details. */
interface ProtoAny {
  setTypeUrl(value: string): void;
  setValue(value: Uint8Array): void;
}

// google-protobuf ships no type declarations; these are the well-known types fabric-protos messages embed.
/* eslint-disable @typescript-eslint/no-require-imports */
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb') as {
  Timestamp: { fromDate(date: Date): ProtoTimestamp };
};
const { Any } = require('google-protobuf/google/protobuf/any_pb') as { Any: new () => ProtoAny };
/* eslint-enable @typescript-eslint/no-require-imports */

/** The Gateway service calls a test can inject faults into. */
export type GatewayMethod = 'evaluate' | 'endorse' | 'submit' | 'commitStatus';

/** A transport fault: wait `delayMs`, then fail with `code` (or carry on when no code is given). */
export interface Fault {
  readonly code?: grpc.status;
  readonly delayMs?: number;
}

/** An X.509 certificate and its private key, PEM. */
export interface PemPair {
  readonly certificate: string;
  readonly privateKey: string;
}

/** Options of {@link PeerGatewayDoubleImpl.start}. */
export interface PeerGatewayDoubleOptions {
  /** The ledger that runs the chaincode and records blocks. */
  readonly ledger: EmbeddedLedger;
  /** Host name in the TLS server certificate and in error details, e.g. `peer0.banka.example`. */
  readonly hostname: string;
  /** TLS server certificate (for `hostname`) and key. */
  readonly tls: PemPair;
  /** The peer's own signing identity: the endorser of every transaction. */
  readonly peer: PemPair & { readonly mspId: string };
  /** Trusted MSPs: MSP ID to the PEM certificate of its CA, which must have issued every creator certificate. */
  readonly msps: ReadonlyMap<string, string>;
}

/** A running double; see the file header. */
export interface PeerGatewayDouble {
  /** `127.0.0.1:<port>`, for a connection profile's `endpoint`. */
  readonly endpoint: string;
  /** The next `count` calls of `method` suffer `fault`. */
  failNext(method: GatewayMethod, count: number, fault: Fault): void;
  /**
   * The next `count` Submit calls run `hook(transactionId)` after the
   * transaction was endorsed and before it is committed: the place to commit
   * a conflicting write.
   */
  beforeNextSubmits(count: number, hook: (transactionId: string) => Promise<void>): void;
  /** Deliver streams being served now. */
  readonly openDeliveries: number;
  /** Stops serving at once, cancelling open streams. */
  stop(): Promise<void>;
}

/** A status a handler ends with. */
class RpcFailure extends Error {
  readonly code: grpc.status;
  readonly details: readonly gateway.ErrorDetail[];

  constructor(code: grpc.status, message: string, details: readonly gateway.ErrorDetail[] = []) {
    super(message);
    this.code = code;
    this.details = details;
  }

  /** The status as grpc-js sends it, with the google.rpc.Status the Fabric client decodes. */
  toStatus(): grpc.ServerErrorResponse {
    const metadata = new grpc.Metadata();
    if (this.details.length > 0) {
      const status = new google.rpc.Status();
      status.setCode(this.code);
      status.setMessage(this.message);
      status.setDetailsList(
        this.details.map((detail) => {
          const any = new Any();
          any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
          any.setValue(detail.serializeBinary());
          return any;
        }),
      );
      metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
    }
    return Object.assign(new Error(this.message), { code: this.code, details: this.message, metadata });
  }
}

/** What a signed proposal says, decoded. */
interface DecodedProposal {
  readonly transactionId: string;
  readonly channelName: string;
  readonly chaincodeName: string;
  readonly timestamp: Date;
  readonly creator: msp.SerializedIdentity;
  readonly header: common.Header;
  readonly payload: peer.ChaincodeProposalPayload;
  readonly args: readonly Uint8Array[];
}

/** A transaction endorsed here and not yet submitted. */
interface Endorsed {
  readonly proposal: Proposal;
  /** The `common.Payload` bytes of the prepared transaction, which the submitted envelope must carry. */
  readonly payloadBytes: Uint8Array;
}

/** The peer gateway double over an embedded ledger. */
export class PeerGatewayDoubleImpl implements PeerGatewayDouble {
  readonly #options: Readonly<PeerGatewayDoubleOptions>;
  readonly #server = new grpc.Server();
  readonly #endorsed = new Map<string, Endorsed>();
  readonly #commits = new Map<string, Promise<CommitStatus>>();
  /** Envelopes as submitted, so that delivered blocks carry what the client signed. */
  readonly #envelopes = new Map<string, Uint8Array>();
  readonly #faults = new Map<GatewayMethod, Fault[]>();
  readonly #submitHooks: ((transactionId: string) => Promise<void>)[] = [];
  #port = 0;
  #openDeliveries = 0;

  private constructor(options: Readonly<PeerGatewayDoubleOptions>) {
    this.#options = options;
  }

  /**
   * Starts the double on 127.0.0.1 on a free port.
   *
   * @throws Error when the server cannot bind.
   */
  static async start(options: Readonly<PeerGatewayDoubleOptions>): Promise<PeerGatewayDoubleImpl> {
    const double = new PeerGatewayDoubleImpl(options);
    await double.#listen();
    return double;
  }

  get openDeliveries(): number {
    return this.#openDeliveries;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.#port}`;
  }

  failNext(method: GatewayMethod, count: number, fault: Fault): void {
    const queue = this.#faults.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(fault);
    this.#faults.set(method, queue);
  }

  beforeNextSubmits(count: number, hook: (transactionId: string) => Promise<void>): void {
    for (let i = 0; i < count; i++) this.#submitHooks.push(hook);
  }

  async stop(): Promise<void> {
    this.#server.forceShutdown();
    // Commits already handed to the ledger finish, so that the ledger can close cleanly.
    await Promise.allSettled(this.#commits.values());
  }

  async #listen(): Promise<void> {
    const unimplemented = (call: grpc.ServerWritableStream<unknown, unknown>): void => {
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'not offered by the peer gateway double',
      });
    };
    const gatewayService: grpc.UntypedServiceImplementation = {
      evaluate: unary((request: gateway.EvaluateRequest) => this.#evaluate(request)),
      endorse: unary((request: gateway.EndorseRequest) => this.#endorse(request)),
      submit: unary((request: gateway.SubmitRequest) => this.#submit(request)),
      commitStatus: unary((request: gateway.SignedCommitStatusRequest) => this.#commitStatus(request)),
      chaincodeEvents: unimplemented,
    };
    const deliverService: grpc.UntypedServiceImplementation = {
      deliver: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => this.#deliver(call),
      deliverFiltered: unimplemented,
      deliverWithPrivateData: unimplemented,
    };
    this.#server.addService(GATEWAY_SERVICE, gatewayService);
    this.#server.addService(DELIVER_SERVICE, deliverService);
    const credentials = grpc.ServerCredentials.createSsl(
      null,
      [
        {
          cert_chain: Buffer.from(this.#options.tls.certificate),
          private_key: Buffer.from(this.#options.tls.privateKey),
        },
      ],
      false,
    );
    this.#port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  async #fault(method: GatewayMethod): Promise<void> {
    const fault = this.#faults.get(method)?.shift();
    if (fault === undefined) return;
    if (fault.delayMs !== undefined) await sleep(fault.delayMs);
    if (fault.code !== undefined) {
      throw new RpcFailure(fault.code, `${method} failed by the peer gateway double's test hook`);
    }
  }

  async #evaluate(request: gateway.EvaluateRequest): Promise<gateway.EvaluateResponse> {
    await this.#fault('evaluate');
    const signed = required(request.getProposedTransaction(), 'a proposed transaction');
    const proposal = this.#decodeProposal(signed);
    const payload =
      proposal.chaincodeName === 'qscc'
        ? await this.#systemQuery(proposal)
        : await this.#run(proposal, 'evaluate').then((p) => p.payload);
    const result = new peer.Response();
    result.setStatus(200);
    result.setPayload(payload);
    const response = new gateway.EvaluateResponse();
    response.setResult(result);
    return response;
  }

  async #endorse(request: gateway.EndorseRequest): Promise<gateway.EndorseResponse> {
    await this.#fault('endorse');
    const signed = required(request.getProposedTransaction(), 'a proposed transaction');
    const decoded = this.#decodeProposal(signed);
    const proposal = await this.#run(decoded, 'endorse');
    const envelope = this.#preparedTransaction(decoded, proposal);
    this.#endorsed.set(decoded.transactionId, { proposal, payloadBytes: envelope.getPayload_asU8() });
    const response = new gateway.EndorseResponse();
    response.setPreparedTransaction(envelope);
    return response;
  }

  async #submit(request: gateway.SubmitRequest): Promise<gateway.SubmitResponse> {
    await this.#fault('submit');
    const envelope = required(request.getPreparedTransaction(), 'a prepared transaction');
    const payloadBytes = envelope.getPayload_asU8();
    const header = required(common.Payload.deserializeBinary(payloadBytes).getHeader(), 'a payload header');
    const creator = msp.SerializedIdentity.deserializeBinary(
      common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8(),
    );
    this.#verify(creator, payloadBytes, envelope.getSignature_asU8());
    const transactionId = request.getTransactionId();
    const endorsed = this.#endorsed.get(transactionId);
    if (endorsed === undefined || !Buffer.from(endorsed.payloadBytes).equals(Buffer.from(payloadBytes))) {
      throw new RpcFailure(
        grpc.status.ABORTED,
        `received unsuccessful response from orderer: status=BAD_REQUEST, info=transaction ${transactionId} ` +
          'is not one this double endorsed',
      );
    }
    this.#endorsed.delete(transactionId);
    const hook = this.#submitHooks.shift();
    if (hook !== undefined) await hook(transactionId);
    this.#envelopes.set(transactionId, envelope.serializeBinary());
    const committing = this.#options.ledger.commit(endorsed.proposal);
    // Failures surface through CommitStatus; this only keeps them from being unhandled.
    committing.catch(() => undefined);
    this.#commits.set(transactionId, committing);
    return new gateway.SubmitResponse();
  }

  async #commitStatus(signed: gateway.SignedCommitStatusRequest): Promise<gateway.CommitStatusResponse> {
    await this.#fault('commitStatus');
    const requestBytes = signed.getRequest_asU8();
    const request = gateway.CommitStatusRequest.deserializeBinary(requestBytes);
    this.#verify(
      msp.SerializedIdentity.deserializeBinary(request.getIdentity_asU8()),
      requestBytes,
      signed.getSignature_asU8(),
    );
    const transactionId = request.getTransactionId();
    let status: { validationCode: keyof typeof VALIDATION_CODE_NUMBERS; blockNumber: number } | undefined;
    try {
      status =
        (await this.#commits.get(transactionId)) ??
        (await this.#options.ledger.getTransaction(transactionId));
    } catch (err) {
      throw new RpcFailure(grpc.status.ABORTED, (err as Error).message);
    }
    if (status === undefined) {
      throw new RpcFailure(
        grpc.status.NOT_FOUND,
        `transaction ${transactionId} was not submitted to this double`,
      );
    }
    const response = new gateway.CommitStatusResponse();
    response.setResult(
      VALIDATION_CODE_NUMBERS[
        status.validationCode
      ] as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap],
    );
    response.setBlockNumber(status.blockNumber);
    return response;
  }

  /** The chaincode's answer, or the error a peer gateway reports for it. */
  async #run(proposal: DecodedProposal, kind: 'evaluate' | 'endorse'): Promise<Proposal> {
    const { ledger } = this.#options;
    if (proposal.channelName !== ledger.channelName || proposal.chaincodeName !== ledger.chaincodeName) {
      throw new RpcFailure(
        grpc.status.FAILED_PRECONDITION,
        `no peers available to ${kind} chaincode ${proposal.chaincodeName} on channel ${proposal.channelName}`,
      );
    }
    const [fn, ...args] = proposal.args;
    if (fn === undefined) {
      throw new RpcFailure(grpc.status.INVALID_ARGUMENT, 'the proposal has no function name');
    }
    const identity = {
      mspId: proposal.creator.getMspid(),
      certificate: Buffer.from(proposal.creator.getIdBytes_asU8()).toString('utf8'),
    };
    const options = { transactionId: proposal.transactionId, timestamp: proposal.timestamp };
    try {
      return await ledger.endorse(identity, Buffer.from(fn).toString('utf8'), args, options);
    } catch (err) {
      if (err instanceof ChaincodeError) {
        const message = `chaincode response ${err.status}, ${err.message}`;
        throw kind === 'evaluate'
          ? new RpcFailure(grpc.status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [
              this.#detail(message),
            ])
          : new RpcFailure(
              grpc.status.ABORTED,
              'failed to endorse transaction, see attached details for more info',
              [this.#detail(message)],
            );
      }
      if (err instanceof DuplicateTransactionError) {
        throw new RpcFailure(
          grpc.status.ABORTED,
          'failed to endorse transaction, see attached details for more info',
          [this.#detail(err.message)],
        );
      }
      throw err;
    }
  }

  /** qscc, as far as the client uses it: GetChainInfo. */
  async #systemQuery(proposal: DecodedProposal): Promise<Uint8Array> {
    const [fn, channel] = proposal.args.map((arg) => Buffer.from(arg).toString('utf8'));
    if (fn !== 'GetChainInfo' || channel !== this.#options.ledger.channelName) {
      const message = `chaincode response 500, qscc ${fn ?? ''} on channel ${channel ?? ''} is not offered by the double`;
      throw new RpcFailure(grpc.status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [
        this.#detail(message),
      ]);
    }
    const height = this.#options.ledger.getBlockHeight();
    const last = await this.#options.ledger.getBlock(height - 1);
    const info = new common.BlockchainInfo();
    info.setHeight(height);
    if (last !== undefined) info.setPreviousblockhash(Buffer.from(last.previousHash, 'hex'));
    return info.serializeBinary();
  }

  #decodeProposal(signed: peer.SignedProposal): DecodedProposal {
    const proposalBytes = signed.getProposalBytes_asU8();
    let decoded: DecodedProposal;
    try {
      const proposal = peer.Proposal.deserializeBinary(proposalBytes);
      const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
      const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
      const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
      const creator = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
      const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
      const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec();
      const timestamp = channelHeader.getTimestamp() as ProtoTimestamp | undefined;
      decoded = {
        transactionId: channelHeader.getTxId(),
        channelName: channelHeader.getChannelId(),
        chaincodeName: spec?.getChaincodeId()?.getName() ?? '',
        timestamp: timestamp?.toDate() ?? new Date(0),
        creator,
        header,
        payload,
        args: spec?.getInput()?.getArgsList_asU8() ?? [],
      };
    } catch (err) {
      throw new RpcFailure(
        grpc.status.INVALID_ARGUMENT,
        `failed to unpack transaction proposal: ${(err as Error).message}`,
      );
    }
    this.#verify(decoded.creator, proposalBytes, signed.getSignature_asU8());
    return decoded;
  }

  /**
   * Checks that `signature` (ECDSA, DER) over `message` is by the creator's
   * certificate and that the certificate was issued by its MSP's CA.
   */
  #verify(creator: msp.SerializedIdentity, message: Uint8Array, signature: Uint8Array): void {
    const caCertificate = this.#options.msps.get(creator.getMspid());
    let valid = false;
    try {
      const certificate = new X509Certificate(Buffer.from(creator.getIdBytes_asU8()));
      const ca = caCertificate === undefined ? undefined : new X509Certificate(caCertificate);
      valid =
        ca !== undefined &&
        certificate.checkIssued(ca) &&
        certificate.verify(ca.publicKey) &&
        verify('sha256', message, certificate.publicKey, signature);
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new RpcFailure(
        grpc.status.PERMISSION_DENIED,
        `the signature is not by a valid identity of ${creator.getMspid() || 'an unknown MSP'}`,
      );
    }
  }

  #detail(message: string): gateway.ErrorDetail {
    const detail = new gateway.ErrorDetail();
    detail.setAddress(`${this.#options.hostname}:${this.#port}`);
    detail.setMspId(this.#options.peer.mspId);
    detail.setMessage(message);
    return detail;
  }

  /**
   * The transaction envelope a peer gateway prepares from an endorsement
   * (Fabric's `prepareTransaction`): the proposal's header, and one action
   * holding the proposal payload without transient data, the endorsed
   * chaincode action and this peer's endorsement.
   */
  #preparedTransaction(decoded: DecodedProposal, proposal: Proposal): common.Envelope {
    const proposalPayload = new peer.ChaincodeProposalPayload();
    proposalPayload.setInput(decoded.payload.getInput_asU8());
    const proposalPayloadBytes = proposalPayload.serializeBinary();

    const responsePayload = new peer.ProposalResponsePayload();
    responsePayload.setProposalHash(
      sha256(
        decoded.header.getChannelHeader_asU8(),
        decoded.header.getSignatureHeader_asU8(),
        proposalPayloadBytes,
      ),
    );
    responsePayload.setExtension$(
      chaincodeAction({
        chaincodeName: decoded.chaincodeName,
        transactionId: decoded.transactionId,
        payload: proposal.payload,
        readWriteSet: proposal.readWriteSet,
        event: proposal.event,
      }).serializeBinary(),
    );
    const responsePayloadBytes = responsePayload.serializeBinary();

    const endorser = new msp.SerializedIdentity();
    endorser.setMspid(this.#options.peer.mspId);
    endorser.setIdBytes(Buffer.from(this.#options.peer.certificate));
    const endorserBytes = endorser.serializeBinary();
    const endorsement = new peer.Endorsement();
    endorsement.setEndorser(endorserBytes);
    endorsement.setSignature(
      sign('sha256', Buffer.concat([responsePayloadBytes, endorserBytes]), this.#options.peer.privateKey),
    );

    const endorsedAction = new peer.ChaincodeEndorsedAction();
    endorsedAction.setProposalResponsePayload(responsePayloadBytes);
    endorsedAction.setEndorsementsList([endorsement]);
    const actionPayload = new peer.ChaincodeActionPayload();
    actionPayload.setChaincodeProposalPayload(proposalPayloadBytes);
    actionPayload.setAction(endorsedAction);
    return transactionEnvelope(decoded.header, actionPayload);
  }

  /** Streams blocks as `network.getBlockEvents()` asks for them with a DELIVER_SEEK_INFO envelope. */
  #deliver(call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>): void {
    call.once('data', (envelope: common.Envelope) => {
      void this.#streamBlocks(call, envelope).catch((err: unknown) => {
        call.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  async #streamBlocks(
    call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>,
    envelope: common.Envelope,
  ): Promise<void> {
    const answer = (status: common.StatusMap[keyof common.StatusMap]): void => {
      const response = new peer.DeliverResponse();
      response.setStatus(status);
      call.end(response);
    };
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const header = payload.getHeader();
    if (header === undefined) return answer(common.Status.BAD_REQUEST);
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    if (
      channelHeader.getType() !== common.HeaderType.DELIVER_SEEK_INFO ||
      channelHeader.getChannelId() !== this.#options.ledger.channelName
    ) {
      return answer(common.Status.BAD_REQUEST);
    }
    try {
      const creator = common.SignatureHeader.deserializeBinary(
        header.getSignatureHeader_asU8(),
      ).getCreator_asU8();
      this.#verify(
        msp.SerializedIdentity.deserializeBinary(creator),
        envelope.getPayload_asU8(),
        envelope.getSignature_asU8(),
      );
    } catch {
      return answer(common.Status.FORBIDDEN);
    }
    const seek = orderer.SeekInfo.deserializeBinary(payload.getData_asU8());
    const height = this.#options.ledger.getBlockHeight();
    const start = seekNumber(seek.getStart(), height);
    const stop = seekNumber(seek.getStop(), height);
    const blocks = this.#options.ledger.blocks({ startBlock: start });
    const end = (): void => blocks.close();
    call.on('cancelled', end);
    call.on('close', end);
    this.#openDeliveries += 1;
    try {
      for await (const block of blocks) {
        if (call.cancelled) break;
        const response = new peer.DeliverResponse();
        response.setBlock(this.#fabricBlock(block));
        if (!call.write(response)) {
          await new Promise((resolve) => {
            call.once('drain', resolve);
            call.once('cancelled', resolve);
          });
        }
        if (block.number >= stop) return answer(common.Status.SUCCESS);
      }
    } finally {
      blocks.close();
      this.#openDeliveries -= 1;
    }
  }

  /** An embedded block as a `common.Block` with a TRANSACTIONS_FILTER. */
  #fabricBlock(block: Block): common.Block {
    const header = new common.BlockHeader();
    header.setNumber(block.number);
    header.setPreviousHash(Buffer.from(block.previousHash, 'hex'));
    header.setDataHash(Buffer.from(block.dataHash, 'hex'));
    const envelopes =
      block.number === 0
        ? // The genesis block stands in for the channel's configuration block: one CONFIG transaction.
          [configEnvelope(this.#options.ledger.channelName)]
        : block.transactions.map((tx) => this.#envelopes.get(tx.transactionId) ?? this.#blockEnvelope(tx));
    const codes =
      block.number === 0 ? [0] : block.transactions.map((tx) => VALIDATION_CODE_NUMBERS[tx.validationCode]);
    const data = new common.BlockData();
    data.setDataList(envelopes);
    const metadata = new common.BlockMetadata();
    // One entry per BlockMetadataIndex (0..n-1); only the transactions filter has content.
    const entries = Array.from({ length: Object.keys(common.BlockMetadataIndex).length }, (_, index) =>
      index === common.BlockMetadataIndex.TRANSACTIONS_FILTER ? Uint8Array.from(codes) : new Uint8Array(0),
    );
    metadata.setMetadataList(entries);
    const result = new common.Block();
    result.setHeader(header);
    result.setData(data);
    result.setMetadata(metadata);
    return result;
  }

  /**
   * An envelope for a transaction that was committed straight on the embedded
   * ledger (not submitted through this double): the block records creator MSP,
   * timestamp, event and writes, not the certificate or signature.
   */
  #blockEnvelope(tx: BlockTransaction): Uint8Array {
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
    channelHeader.setChannelId(this.#options.ledger.channelName);
    channelHeader.setTxId(tx.transactionId);
    channelHeader.setTimestamp(Timestamp.fromDate(new Date(tx.timestamp)));
    const creator = new msp.SerializedIdentity();
    creator.setMspid(tx.creatorMspId);
    const signatureHeader = new common.SignatureHeader();
    signatureHeader.setCreator(creator.serializeBinary());
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());

    const action = chaincodeAction({
      chaincodeName: this.#options.ledger.chaincodeName,
      transactionId: tx.transactionId,
      payload: new Uint8Array(0),
      readWriteSet: {
        reads: [],
        rangeQueries: [],
        writes: tx.writes.map((w) => ({
          key: w.key,
          isDelete: w.isDelete,
          value: Buffer.from(w.value, 'base64'),
        })),
      },
      event:
        tx.event === undefined
          ? undefined
          : { eventName: tx.event.eventName, payload: Buffer.from(tx.event.payload, 'base64') },
    });
    const responsePayload = new peer.ProposalResponsePayload();
    responsePayload.setExtension$(action.serializeBinary());
    const endorsedAction = new peer.ChaincodeEndorsedAction();
    endorsedAction.setProposalResponsePayload(responsePayload.serializeBinary());
    const actionPayload = new peer.ChaincodeActionPayload();
    actionPayload.setAction(endorsedAction);
    return transactionEnvelope(header, actionPayload).serializeBinary();
  }
}

interface ProtoMessage {
  serializeBinary(): Uint8Array;
}

/**
 * A method definition that (de)serialises with the message classes given,
 * rather than fabric-protos' generated definitions: those check `instanceof`
 * against their own module's classes, and with two fabric-protos versions
 * installed (fabric-shim's and fabric-gateway's) sharing google-protobuf's
 * global `proto` namespace, the class a package index exports is not always
 * the one its generated service checks for.
 */
function method<Req extends ProtoMessage, Res extends ProtoMessage>(
  path: string,
  request: { deserializeBinary(bytes: Uint8Array): Req },
  response: { deserializeBinary(bytes: Uint8Array): Res },
  streaming = false,
): grpc.MethodDefinition<Req, Res> {
  const encode = (message: ProtoMessage): Buffer => Buffer.from(message.serializeBinary());
  return {
    path,
    requestStream: streaming,
    responseStream: streaming,
    requestSerialize: encode,
    requestDeserialize: (bytes) => request.deserializeBinary(bytes),
    responseSerialize: encode,
    responseDeserialize: (bytes) => response.deserializeBinary(bytes),
  };
}

/** `gateway.Gateway`, as @hyperledger/fabric-gateway calls it. */
const GATEWAY_SERVICE = {
  evaluate: method('/gateway.Gateway/Evaluate', gateway.EvaluateRequest, gateway.EvaluateResponse),
  endorse: method('/gateway.Gateway/Endorse', gateway.EndorseRequest, gateway.EndorseResponse),
  submit: method('/gateway.Gateway/Submit', gateway.SubmitRequest, gateway.SubmitResponse),
  commitStatus: method(
    '/gateway.Gateway/CommitStatus',
    gateway.SignedCommitStatusRequest,
    gateway.CommitStatusResponse,
  ),
  chaincodeEvents: {
    ...method(
      '/gateway.Gateway/ChaincodeEvents',
      gateway.SignedChaincodeEventsRequest,
      gateway.ChaincodeEventsResponse,
    ),
    responseStream: true,
  },
} satisfies grpc.ServiceDefinition;

/** `protos.Deliver` (bidirectional streams of envelopes in, DeliverResponse out). */
const DELIVER_SERVICE = {
  deliver: method('/protos.Deliver/Deliver', common.Envelope, peer.DeliverResponse, true),
  deliverFiltered: method('/protos.Deliver/DeliverFiltered', common.Envelope, peer.DeliverResponse, true),
  deliverWithPrivateData: method(
    '/protos.Deliver/DeliverWithPrivateData',
    common.Envelope,
    peer.DeliverResponse,
    true,
  ),
} satisfies grpc.ServiceDefinition;

/** A grpc-js unary handler from an async function; {@link RpcFailure} becomes the call's status. */
function unary<Req, Res>(handle: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handle(call.request).then(
      (response) => callback(null, response),
      (err: unknown) =>
        callback(
          err instanceof RpcFailure
            ? err.toStatus()
            : new RpcFailure(grpc.status.INTERNAL, `peer gateway double: ${String(err)}`).toStatus(),
        ),
    );
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new RpcFailure(grpc.status.INVALID_ARGUMENT, `the request needs ${what}`);
  return value;
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The block number a seek position names, given the current height. */
function seekNumber(position: orderer.SeekPosition | undefined, height: number): number {
  switch (position?.getTypeCase()) {
    case orderer.SeekPosition.TypeCase.SPECIFIED:
      return position.getSpecified()?.getNumber() ?? 0;
    case orderer.SeekPosition.TypeCase.OLDEST:
      return 0;
    case orderer.SeekPosition.TypeCase.NEWEST:
      return Math.max(0, height - 1);
    default:
      return height;
  }
}

/** `peer.ChaincodeAction`: the simulation results, event and response of one invocation. */
function chaincodeAction(input: {
  chaincodeName: string;
  transactionId: string;
  payload: Uint8Array;
  readWriteSet: ReadWriteSet;
  event: { eventName: string; payload: Uint8Array } | undefined;
}): peer.ChaincodeAction {
  const action = new peer.ChaincodeAction();
  action.setResults(txReadWriteSet(input.chaincodeName, input.readWriteSet).serializeBinary());
  if (input.event !== undefined) {
    const event = new peer.ChaincodeEvent();
    event.setChaincodeId(input.chaincodeName);
    event.setTxId(input.transactionId);
    event.setEventName(input.event.eventName);
    event.setPayload(input.event.payload);
    action.setEvents(event.serializeBinary());
  }
  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(input.payload);
  action.setResponse(response);
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(input.chaincodeName);
  action.setChaincodeId(chaincodeId);
  return action;
}

/** The embedded read/write set as `rwset.TxReadWriteSet` (KV data model, one namespace). */
function txReadWriteSet(namespace: string, rwset: ReadWriteSet): ledgerProtos.rwset.TxReadWriteSet {
  const kvRead = (read: ReadWriteSet['reads'][number]): ledgerProtos.rwset.kvrwset.KVRead => {
    const result = new ledgerProtos.rwset.kvrwset.KVRead();
    result.setKey(read.key);
    if (read.version !== null) {
      const version = new ledgerProtos.rwset.kvrwset.Version();
      version.setBlockNum(read.version.blockNum);
      version.setTxNum(read.version.txNum);
      result.setVersion(version);
    }
    return result;
  };
  const kv = new ledgerProtos.rwset.kvrwset.KVRWSet();
  kv.setReadsList(rwset.reads.map(kvRead));
  kv.setRangeQueriesInfoList(
    rwset.rangeQueries.map((query) => {
      const info = new ledgerProtos.rwset.kvrwset.RangeQueryInfo();
      info.setStartKey(query.startKey);
      info.setEndKey(query.endKey);
      info.setItrExhausted(query.itrExhausted);
      const reads = new ledgerProtos.rwset.kvrwset.QueryReads();
      reads.setKvReadsList(query.reads.map(kvRead));
      info.setRawReads(reads);
      return info;
    }),
  );
  kv.setWritesList(
    rwset.writes.map((write) => {
      const result = new ledgerProtos.rwset.kvrwset.KVWrite();
      result.setKey(write.key);
      result.setIsDelete(write.isDelete);
      result.setValue(write.value);
      return result;
    }),
  );
  const ns = new ledgerProtos.rwset.NsReadWriteSet();
  ns.setNamespace(namespace);
  ns.setRwset(kv.serializeBinary());
  const result = new ledgerProtos.rwset.TxReadWriteSet();
  result.setDataModel(ledgerProtos.rwset.TxReadWriteSet.DataModel.KV);
  result.setNsRwsetList([ns]);
  return result;
}

/** `common.Envelope{Payload{header, Transaction{[TransactionAction{signature header, action payload}]}}}`, unsigned. */
function transactionEnvelope(
  header: common.Header,
  actionPayload: peer.ChaincodeActionPayload,
): common.Envelope {
  const action = new peer.TransactionAction();
  action.setHeader(header.getSignatureHeader_asU8());
  action.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([action]);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(transaction.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope;
}

/** A CONFIG envelope with an empty configuration, for the genesis block. */
function configEnvelope(channelName: string): Uint8Array {
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG);
  channelHeader.setChannelId(channelName);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope.serializeBinary();
}
