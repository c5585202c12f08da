/**
 * A test consortium: the real contracts on the embedded ledger (real
 * LevelDB, fabric-shim's dispatch and ClientIdentity over real X.509
 * certificates), with one identity per organisation and a controllable clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { HDNodeWallet, Wallet } from 'ethers';
import {
  type Identity,
  type Proposal,
  ChaincodeError,
  EmbeddedLedger,
  newCryptoMaterial,
} from '@ruralcredit/embedded-ledger';
import {
  epochSecondsFromIso,
  isoFromEpochSeconds,
  signTypedMessage,
  type TypedMessageKind,
  type TypedMessages,
} from '@ruralcredit/protocol';
import { contracts } from '../../src';
import type { Deployment } from '@ruralcredit/protocol';

/** Organisations of the test consortium, by short name. */
export const MSP = {
  regulator: 'RegulatorMSP',
  bankA: 'BankAMSP',
  bankB: 'BankBMSP',
  land: 'NaturalResourcesMSP',
  agri: 'AgricultureMSP',
  auditor: 'AuditorMSP',
  outsider: 'OutsiderMSP',
  /** Identities only: tests admit these with the roles of issue 16. */
  guarantor: 'GuarantorMSP',
  insurer: 'InsurerMSP',
  microlender: 'MicrolenderMSP',
  /** Banks without a peer of their own (client organisations). */
  bankC: 'BankCMSP',
  bankD: 'BankDMSP',
} as const;
/** A short organisation name. */
export type Org = keyof typeof MSP;

interface ConsortiumFile {
  organisations: { mspId: string; role: string; name: string }[];
  datasetTypes: Record<string, unknown>[];
  assetTypes: Record<string, unknown>[];
}

/** The consortium definition shared with the network and the gateway demo. */
export const CONSORTIUM = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', '..', 'network', 'consortium.json'), 'utf8'),
) as ConsortiumFile;

/** Start of the test clock. */
export const T0 = '2026-03-01T00:00:00Z';

/** A deterministic 64-hex pseudonym for test subject `n`. */
export function subject(n: number): string {
  return n.toString(16).padStart(64, 'a');
}

/** The deployment the test ledger runs (channel and chaincode): every signature names it. */
export const DEPLOYMENT: Deployment = { channel: 'ruralcredit', chaincode: 'ruralcredit' };

/** A deterministic SHA-256-shaped digest for tests. */
export function digest(n: number): string {
  return n.toString(16).padStart(64, 'd');
}

/** Adds seconds to a ledger time. */
export function plus(iso: string, seconds: number): string {
  return isoFromEpochSeconds(epochSecondsFromIso(iso) + seconds);
}

/** Days in seconds. */
export const days = (n: number): number => n * 86_400;

/** A test network. */
export class TestConsortium {
  readonly ledger: EmbeddedLedger;
  readonly #dir: string;
  readonly #identities: Map<Org, Identity>;
  readonly signers = new Map<Org, HDNodeWallet | Wallet>();
  readonly subjectSigners = new Map<string, HDNodeWallet | Wallet>();
  #clock = epochSecondsFromIso(T0);

  private constructor(ledger: EmbeddedLedger, dir: string, identities: Map<Org, Identity>) {
    this.ledger = ledger;
    this.#dir = dir;
    this.#identities = identities;
  }

  /**
   * Opens a fresh ledger. With `bootstrap` (default) the regulator bootstraps,
   * every organisation but the outsider is admitted, the catalogue is defined
   * and both providers register signing keys.
   */
  static async start(options: { bootstrap?: boolean } = {}): Promise<TestConsortium> {
    const dir = mkdtempSync(join(tmpdir(), 'rcl-cc-'));
    const identities = new Map<Org, Identity>();
    const crypto = newCryptoMaterial({ directory: join(dir, 'crypto') });
    for (const [org, mspId] of Object.entries(MSP) as [Org, string][]) {
      identities.set(
        org,
        await crypto.identity({ mspId, organization: `${org}.example.org`, name: `${org}-user` }),
      );
    }
    const ledger = await EmbeddedLedger.open({
      location: join(dir, 'ledger'),
      channelName: DEPLOYMENT.channel,
      chaincodeName: DEPLOYMENT.chaincode,
      contracts,
    });
    const c = new TestConsortium(ledger, dir, identities);
    if (options.bootstrap !== false) await c.#bootstrap();
    return c;
  }

  async #bootstrap(): Promise<void> {
    await this.submit('regulator', 'Membership:Bootstrap', 'PBC test branch');
    for (const o of CONSORTIUM.organisations) {
      if (o.role === 'REGULATOR') continue;
      await this.submit(
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: o.mspId, role: o.role, name: o.name }),
      );
    }
    for (const d of CONSORTIUM.datasetTypes) {
      await this.submit('regulator', 'Catalogue:DefineDatasetType', JSON.stringify(d));
    }
    for (const a of CONSORTIUM.assetTypes) {
      await this.submit('regulator', 'Catalogue:DefineAssetType', JSON.stringify(a));
    }
    for (const org of ['land', 'agri'] as const) await this.registerSigner(org);
  }

  /** Closes the ledger and removes its files. */
  async stop(): Promise<void> {
    await this.ledger.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** The identity of an organisation's user. */
  identity(org: Org): Identity {
    const id = this.#identities.get(org);
    if (!id) throw new Error(`no identity for ${org}`);
    return id;
  }

  /** The ledger time the next transaction will carry. */
  get now(): string {
    return isoFromEpochSeconds(this.#clock);
  }

  /** Moves the clock to `iso` (forwards or backwards). */
  setTime(iso: string): void {
    this.#clock = epochSecondsFromIso(iso);
  }

  /** Moves the clock forwards. */
  advance(seconds: number): void {
    this.#clock += seconds;
  }

  #timestamp(): Date {
    // Each transaction is one second after the previous, so time-ordered keys are distinct.
    const at = this.#clock;
    this.#clock += 1;
    return new Date(at * 1000);
  }

  /** Submits a transaction and returns its parsed result. */
  async submit<T = Record<string, unknown>>(org: Org, fn: string, ...args: string[]): Promise<T> {
    const result = await this.ledger.submit(this.identity(org), fn, args, { timestamp: this.#timestamp() });
    return parse<T>(result.payload);
  }

  /** Evaluates a query and returns its parsed result. */
  async evaluate<T = Record<string, unknown>>(org: Org, fn: string, ...args: string[]): Promise<T> {
    const payload = await this.ledger.evaluate(this.identity(org), fn, args, {
      timestamp: this.#timestamp(),
    });
    return parse<T>(payload);
  }

  /** Endorses without committing (for races). */
  endorse(org: Org, fn: string, ...args: string[]): Promise<Proposal> {
    return this.ledger.endorse(this.identity(org), fn, args, { timestamp: this.#timestamp() });
  }

  /**
   * Asserts that a submit is refused by the chaincode with `code`, and that
   * the ledger height did not change. Returns the message.
   */
  async refused(code: string, org: Org, fn: string, ...args: string[]): Promise<string> {
    const height = this.ledger.getBlockHeight();
    let error: unknown;
    try {
      await this.submit(org, fn, ...args);
    } catch (e) {
      error = e;
    }
    expect(error, `${fn} by ${org} should have been refused with ${code}`).to.be.instanceOf(ChaincodeError);
    const message = (error as ChaincodeError).message;
    expect(message.split(':')[0], message).to.equal(code);
    expect(this.ledger.getBlockHeight(), 'a refused transaction must not reach a block').to.equal(height);
    return message;
  }

  /** Asserts that a query is refused with `code`. */
  async queryRefused(code: string, org: Org, fn: string, ...args: string[]): Promise<string> {
    let error: unknown;
    try {
      await this.evaluate(org, fn, ...args);
    } catch (e) {
      error = e;
    }
    expect(error, `${fn} by ${org} should have been refused with ${code}`).to.be.instanceOf(ChaincodeError);
    const message = (error as ChaincodeError).message;
    expect(message.split(':')[0], message).to.equal(code);
    return message;
  }

  /** Creates and registers an organisation's signing key. */
  async registerSigner(org: Org): Promise<HDNodeWallet | Wallet> {
    const wallet = Wallet.createRandom();
    const signature = await signTypedMessage(
      wallet,
      'MemberKeyBinding',
      {
        mspId: MSP[org],
        signer: wallet.address.toLowerCase(),
      },
      DEPLOYMENT,
    );
    await this.submit(org, 'Membership:RegisterSigner', wallet.address, signature);
    this.signers.set(org, wallet);
    return wallet;
  }

  /**
   * Creates a subject key and has `bank` register it under a KYC attestation,
   * recording an ACTIVE grant from the subject to `bank` first when `grantId` is not given.
   */
  #kycGrants = 0;

  async registerSubjectSigner(
    pseudonym: string,
    bank: Org = 'bankA',
    grantId?: string,
  ): Promise<HDNodeWallet | Wallet> {
    const wallet = Wallet.createRandom();
    const signature = await signTypedMessage(
      wallet,
      'SubjectKeyBinding',
      {
        subject: pseudonym,
        signer: wallet.address.toLowerCase(),
      },
      DEPLOYMENT,
    );
    let id = grantId;
    if (id === undefined) {
      this.#kycGrants += 1;
      id = `kyc-grant-${this.#kycGrants}`;
      await this.grant(bank, { grantId: id, subject: pseudonym });
    }
    await this.submit(
      bank,
      'Membership:RegisterSubjectSigner',
      pseudonym,
      wallet.address,
      signature,
      this.kyc(id),
    );
    this.subjectSigners.set(pseudonym, wallet);
    return wallet;
  }

  /** A KYC attestation under grant `grantId`, made now by a test operator. */
  kyc(grantId?: string, overrides: Record<string, unknown> = {}): string {
    return JSON.stringify({
      ...(grantId === undefined ? {} : { grantId }),
      operator: digest(41),
      attestedAt: this.now,
      evidenceDigest: digest(42),
      ...overrides,
    });
  }

  /** Signs a typed message with an organisation's registered key. */
  sign<K extends TypedMessageKind>(org: Org, kind: K, message: TypedMessages[K]): Promise<string> {
    const wallet = this.signers.get(org);
    if (!wallet) throw new Error(`${org} has no signing key`);
    return signTypedMessage(wallet, kind, message, DEPLOYMENT);
  }

  /** Builds, signs and anchors a batch; returns the stored batch. */
  async anchor(
    org: Org,
    manifest: Partial<TypedMessages['BatchManifest']> & { batchId: string; datasetType: string },
  ) {
    const full = this.manifest(org, manifest);
    const signature = await this.sign(org, 'BatchManifest', full);
    return this.submit(org, 'Provenance:AnchorBatch', JSON.stringify(full), signature);
  }

  /** A complete manifest with defaults. */
  manifest(
    org: Org,
    m: Partial<TypedMessages['BatchManifest']> & { batchId: string; datasetType: string },
  ): TypedMessages['BatchManifest'] {
    return {
      provider: MSP[org],
      merkleRoot: digest(7),
      recordCount: 10,
      periodStart: '2026-02-01T00:00:00Z',
      periodEnd: '2026-02-28T23:59:59Z',
      schemaVersion: 1,
      corrects: '',
      ...m,
    };
  }

  /** Records a FORM_HASH grant from a subject to a bank; returns the grant. */
  grant(bank: Org, grant: Record<string, unknown> & { grantId: string; subject: string }) {
    return this.submit(
      bank,
      'Consent:RecordGrant',
      JSON.stringify({
        scope: ['HOMESTEAD', 'LAND_CONTRACT'],
        purpose: 'LOAN_APPLICATION',
        validFrom: this.now,
        validUntil: plus(this.now, days(365)),
        evidence: { type: 'FORM_HASH', formHash: digest(99) },
        ...grant,
      }),
    );
  }

  /** Records an access by a bank; returns the access record. */
  access(
    bank: Org,
    access: Record<string, unknown> & { accessId: string; grantId: string; subject: string },
  ) {
    return this.submit(
      bank,
      'Access:RecordAccess',
      JSON.stringify({
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: digest(5),
        releaseDigest: digest(6),
        ...access,
      }),
    );
  }
}

function parse<T>(payload: Uint8Array): T {
  return JSON.parse(Buffer.from(payload).toString('utf8')) as T;
}

/** Reads every page of a paginated list query, asserting each page's size bound. */
export async function readAllPages<T>(
  c: TestConsortium,
  org: Org,
  fn: string,
  argsBefore: string[],
  pageSize: number,
): Promise<T[]> {
  const all: T[] = [];
  let bookmark = '';
  for (let pages = 0; pages < 1000; pages++) {
    const page = await c.evaluate<{ records: T[]; bookmark: string }>(
      org,
      fn,
      ...argsBefore,
      String(pageSize),
      bookmark,
    );
    expect(page.records.length).to.be.at.most(pageSize);
    all.push(...page.records);
    if (page.bookmark === '') return all;
    bookmark = page.bookmark;
  }
  throw new Error('pagination did not terminate');
}
