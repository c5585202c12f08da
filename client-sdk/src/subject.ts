/**
 * The data subject's own client: no gateway account, only the signing key the
 * subject bound to its pseudonym at a bank's counter. Each page of the access
 * log is a fresh EIP-712 request signed with that key.
 */
import {
  isoFromEpochSeconds,
  signTypedMessage,
  type Deployment,
  type SubjectAccessLogRequestMessage,
  type SelfServiceAction,
  type SubjectKeyRotationMessage,
  type SubjectSelfServiceRequestMessage,
  type TypedDataSigner,
} from '@ruralcredit/protocol';
import { HttpTransportImpl, type HttpTransport } from './http';
import type { Schemas } from './types';

/** `bytes` random bytes in hex, from Web Crypto (Node and browsers alike). */
function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** One access to the subject's data, as the gateway shows it to the subject. */
export type SubjectAccess = Schemas['SubjectAccess'];

/** A committed change of the subject's key binding. */
export type SubjectKeyChange = Schemas['SubjectSigner'];

/** A consent the subject withdrew. */
export type SubjectRevocationResult = Schemas['SubjectRevocationResult'];

/** The subject's consents, every bank's, with their status. */
export type SelfConsentList = Schemas['SelfConsentList'];

/** The subject's own records, released after the SELF access committed. */
export type SelfRecords = Schemas['SelfRecords'];

/** A dispute as the subject follows it. */
export type SelfDispute = Schemas['SelfDispute'];

/** Options of {@link SubjectClient}. */
export interface SubjectClientOptions {
  /** Gateway URL, with or without `/api/v1`. */
  readonly url: string;
  /** The subject's pseudonym (64 hex), as its key binding names it. */
  readonly pseudonym: string;
  /** The key bound to the pseudonym (an ethers `Wallet`, for instance). */
  readonly signer: TypedDataSigner;
  /**
   * The deployment the signatures are for (channel and chaincode); by default the one the
   * gateway names at `GET /signing-domain`, asked once.
   */
  readonly deployment?: Deployment;
  /** Per-request timeout in milliseconds (default 30,000). */
  readonly timeoutMs?: number;
  /** Seconds since the epoch now (tests). */
  readonly now?: () => number;
}

/** What a data subject can ask the gateway on its own. */
export class SubjectClient {
  readonly #http: HttpTransport;
  readonly #pseudonym: string;
  readonly #signer: TypedDataSigner;
  readonly #now: () => number;
  #deployment: Deployment | undefined;

  /** @param options gateway URL, pseudonym and signing key. */
  constructor(options: Readonly<SubjectClientOptions>) {
    this.#http = new HttpTransportImpl({
      baseUrl: options.url,
      tokens: { token: () => Promise.resolve(undefined), invalidate: () => Promise.resolve(false) },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.#pseudonym = options.pseudonym;
    this.#signer = options.signer;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#deployment = options.deployment;
  }

  /** The deployment signatures are for: the option, else the gateway's `GET /signing-domain`. */
  async deployment(): Promise<Deployment> {
    if (this.#deployment === undefined) {
      const { channel, chaincode } = await this.#http.json<Schemas['SigningDomain']>({
        method: 'GET',
        path: '/signing-domain',
        anonymous: true,
      });
      this.#deployment = { channel, chaincode };
    }
    return this.#deployment;
  }

  /**
   * Moves the subject's binding to `next` (a new phone), signed by the current key: the
   * current key signs a `SubjectKeyRotation` for the binding's `version` (1 after
   * registration, one more after each change), the new key its `SubjectKeyBinding`.
   * The bound key is `next` from then on; build a new client with it.
   *
   * @throws GatewayError 400 `INVALID` (a signature does not verify, or `version` is not the
   *   binding's current one), 404 `NOT_FOUND` (no key bound).
   */
  async rotateKey(next: TypedDataSigner & { address: string }, version: number): Promise<SubjectKeyChange> {
    const to = next.address.toLowerCase();
    const current = (this.#signer as Partial<{ address: string }>).address;
    if (current === undefined) throw new TypeError('the current signer has no address');
    const rotation: SubjectKeyRotationMessage = {
      subject: this.#pseudonym,
      from: current.toLowerCase(),
      to,
      version,
    };
    return this.#http.json<SubjectKeyChange>({
      method: 'POST',
      path: '/subjects/signers/rotation',
      json: {
        subject: this.#pseudonym,
        address: next.address,
        signature: await signTypedMessage(
          next,
          'SubjectKeyBinding',
          { subject: this.#pseudonym, signer: to },
          await this.deployment(),
        ),
        rotationSignature: await signTypedMessage(
          this.#signer,
          'SubjectKeyRotation',
          rotation,
          await this.deployment(),
        ),
      },
      anonymous: true,
    });
  }

  /**
   * Withdraws a consent the subject gave, signed with its bound key (PIPL Art. 15).
   *
   * @throws GatewayError 400 `INVALID` (not the bound key), 404 `NOT_FOUND`, 409 `CONFLICT` (already revoked).
   */
  async revokeConsent(consentId: string): Promise<SubjectRevocationResult> {
    const signature = await signTypedMessage(
      this.#signer,
      'ConsentRevocation',
      { grantId: consentId, subject: this.#pseudonym },
      await this.deployment(),
    );
    return this.#http.json<SubjectRevocationResult>({
      method: 'POST',
      path: '/subjects/revocations',
      json: { consentId, signature },
      anonymous: true,
    });
  }

  /**
   * Every access to the subject's data, oldest first, one signed request per page.
   *
   * @throws GatewayError 401 SIGNATURE_REJECTED when the key is not the one
   *   bound to the pseudonym; 400 STALE_REQUEST when this machine's clock is
   *   more than 5 minutes off the gateway's.
   * @example
   * const subject = new SubjectClient({ url, pseudonym, signer: new Wallet(key) });
   * for await (const access of subject.accessLog()) console.log(access.accessor, access.purpose);
   */
  async *accessLog(): AsyncIterableIterator<SubjectAccess> {
    let cursor = '';
    for (;;) {
      const message: SubjectAccessLogRequestMessage = {
        subject: this.#pseudonym,
        requestedAt: isoFromEpochSeconds(this.#now()),
        nonce: randomHex(16),
        cursor,
      };
      const signature = await signTypedMessage(
        this.#signer,
        'SubjectAccessLogRequest',
        message,
        await this.deployment(),
      );
      const page = await this.#http.json<Schemas['SubjectAccessPage']>({
        method: 'POST',
        path: '/subjects/access-log',
        json: { ...message, signature },
        anonymous: true,
      });
      yield* page.items;
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  /** Signs a self-service request for `action` (fresh time and nonce). */
  async #signed(
    action: SelfServiceAction,
    target = '',
    detail = '',
  ): Promise<SubjectSelfServiceRequestMessage & { signature: string }> {
    const message: SubjectSelfServiceRequestMessage = {
      subject: this.#pseudonym,
      action,
      target,
      detail,
      requestedAt: isoFromEpochSeconds(this.#now()),
      nonce: randomHex(16),
    };
    const signature = await signTypedMessage(
      this.#signer,
      'SubjectSelfServiceRequest',
      message,
      await this.deployment(),
    );
    return { ...message, signature };
  }

  async #post<T>(path: string, action: SelfServiceAction, target = '', detail = ''): Promise<T> {
    return this.#http.json<T>({
      method: 'POST',
      path,
      json: await this.#signed(action, target, detail),
      anonymous: true,
    });
  }

  /**
   * The subject's consents, every bank's, with their status now.
   *
   * @throws GatewayError 401 SIGNATURE_REJECTED, 400 STALE_REQUEST.
   */
  consents(): Promise<SelfConsentList> {
    return this.#post('/subjects/self/consents', 'LIST_CONSENTS');
  }

  /**
   * The subject's latest records of `datasets`, recorded first on the ledger as a SELF access.
   *
   * @throws GatewayError 400 INVALID_TARGET (unknown dataset type), 401 SIGNATURE_REJECTED.
   */
  records(datasets: readonly string[]): Promise<SelfRecords> {
    return this.#post('/subjects/self/records', 'READ_RECORDS', [...datasets].sort().join(','));
  }

  /**
   * The subject's own verification report as PDF (its JSON embedded), a SELF access.
   *
   * @throws GatewayError 400 INVALID_TARGET, 401 SIGNATURE_REJECTED, 503 PDF_FONT_MISSING.
   */
  async reportPdf(datasets: readonly string[]): Promise<Uint8Array> {
    const res = await this.#http.send({
      method: 'POST',
      path: '/subjects/self/report.pdf',
      json: await this.#signed('REPORT_PDF', [...datasets].sort().join(',')),
      anonymous: true,
    });
    return new Uint8Array(await res.arrayBuffer());
  }

  /**
   * Disputes the subject's own record `index` of `batchId` for `reason` (WRONG_VALUE, NOT_MINE,
   * OUTDATED, INCOMPLETE, OTHER).
   *
   * @throws GatewayError 403 NOT_YOUR_RECORD, 404 RECORD_NOT_FOUND, 409 CONFLICT (already disputed).
   */
  fileDispute(batchId: string, index: number, reason: string): Promise<SelfDispute> {
    return this.#post('/subjects/self/disputes', 'FILE_DISPUTE', `${batchId}#${index}`, reason);
  }

  /** The disputes the subject filed, with their status and resolution. */
  async disputes(): Promise<SelfDispute[]> {
    return (await this.#post<Schemas['SelfDisputeList']>('/subjects/self/disputes/list', 'LIST_DISPUTES'))
      .disputes;
  }
}
