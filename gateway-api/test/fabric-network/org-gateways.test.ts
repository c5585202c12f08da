/**
 * One gateway per organisation (issue 13): one gateway process for each organisation of
 * network/consortium.json, each with only its own keys (from its kit), its own users and its own
 * LevelDB, on the real Fabric network the Fabric suite started. The whole business flow runs
 * across them, the bank's report is assembled from records the providers' gateways release
 * against the ledger, and the refusals the issue lists are checked. Skipped outside the Fabric
 * suite (see support.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import { isoFromEpochSeconds, parseSubjectId } from '@ruralcredit/protocol';
import { writeOrgKits, type OrgKits } from '../../src/cli/org-kit';
import { loadOrgIdentity, type OrgIdentity } from '../../src/organisation/identity';
import { readMspRoots } from '../../src/organisation/msp';
import { signOrgRequest } from '../../src/organisation/signed-request';
import { EVALUATE_PATH } from '../../src/pseudonyms/client';
import { OprfBlinder, OprfKeyHolder } from '../../src/pseudonyms/oprf';
import { residentId } from '../acceptance/consortium-gateway';
import type { Role } from '../../src/auth/roles';
import { subscribe, type SseSubscription } from '../alerts/sse-client';
import { requireNetwork, type NetworkNodes } from './support';

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const RELEASES = '/api/v1/org/releases';
/** Short, so the "after the window" case needs only a short wait; long enough for the flow test before it on a loaded machine. */
const RELEASE_WINDOW_SECONDS = 90;
const RUN = randomBytes(3).toString('hex');
const now = Math.floor(Date.now() / 1000);
const window = {
  validFrom: isoFromEpochSeconds(now - 60),
  validUntil: isoFromEpochSeconds(now + 86_400 * 365),
};
const FARMER = residentId(4200 + (parseInt(RUN, 16) % 500));
/** Blinded elements each organisation may have evaluated per minute at the regulator's gateway. */
const OPRF_RATE_PER_MINUTE = 40;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface OrgProcess {
  readonly mspId: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Demo logins of this organisation only, by role. */
  readonly logins: Map<string, { username: string; password: string }>;
  output(): string;
}

/** Starts one organisation's gateway and waits for its banner (or its exit). */
function startOrg(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; out: string; code?: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const done = (code?: number) => resolve({ child, out, ...(code === undefined ? {} : { code }) });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Demo logins') && /\[[A-Z_, ]+\]\n(?!\s+\S+MSP)/.test(out)) done();
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => done(code ?? 1));
  });
}

describe('per-organisation gateways: one process per organisation, on the Fabric network (issue 13)', function () {
  this.timeout(900_000);
  let nodes: NetworkNodes;
  let tmp: string;
  let kits: OrgKits;
  let staleRootsFile: string;
  const orgs = new Map<string, OrgProcess>();
  const identities = new Map<string, OrgIdentity>();
  /** The regulator's OPRF key seed: only the regulator's gateway is given it (as a file). */
  const oprfSeed = randomBytes(32);
  const oprf = OprfKeyHolder.fromSeed(oprfSeed);
  /** The subject pseudonym of FARMER, as the test harness (which holds the seed) computes it. */
  const subjectOf = (id: string) => oprf.pseudonym(parseSubjectId(id).id);
  let gatewaysJson = '{}';
  const tokens = new Map<string, string>();

  /** A token of `mspId`'s demo user with `role`, logged in at that organisation's own gateway. */
  const tokenOf = async (mspId: string, role: string): Promise<string> => {
    const org = orgs.get(mspId)!;
    let token = tokens.get(`${mspId}/${role}`);
    if (token === undefined) {
      const login = org.logins.get(role);
      if (!login) throw new Error(`${mspId} has no demo ${role}`);
      const res = await fetch(`${org.url}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(login),
      });
      token = ((await res.json()) as { accessToken: string }).accessToken;
      tokens.set(`${mspId}/${role}`, token);
    }
    return token;
  };

  /** The block `mspId`'s gateway last indexed from its own peer, from its operations listener's metrics. */
  const indexedBlock = async (mspId: string): Promise<number> => {
    const ops = /Operations \(readiness, metrics\): (\S+)\/readyz/.exec(orgs.get(mspId)!.output())?.[1];
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    return Number(/^gateway_indexer_processed_block (\d+)/m.exec(metrics)?.[1] ?? -1);
  };

  const api = async (
    mspId: string,
    role: string,
    route: string,
    init: {
      method?: string;
      json?: unknown;
      body?: FormData | string;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const res = await fetch(`${orgs.get(mspId)!.url}/api/v1${route}`, {
      method: init.method ?? (init.json === undefined && init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${await tokenOf(mspId, role)}`,
        ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.json === undefined ? init.body : JSON.stringify(init.json),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') === true && text !== '';
    return { status: res.status, text, body: json ? (JSON.parse(text) as unknown) : undefined };
  };

  /** A release request to `provider`'s gateway signed as `signer` (optionally claiming another org). */
  const askRelease = async (
    provider: string,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<{ status: number; code?: string; body: unknown }> => {
    const res = await fetch(`${orgs.get(provider)!.url}${RELEASES}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json()) as { error?: { code: string } };
    return { status: res.status, body: parsed, ...(parsed.error ? { code: parsed.error.code } : {}) };
  };

  const baseEnv = (mspId: string, kitDir: string, profile: string, port: number, gateways: string) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CORE_CHAINCODE_LOGGING_LEVEL: 'CRITICAL',
    GATEWAY_ORG: mspId,
    GATEWAY_LEDGER: 'fabric',
    GATEWAY_DEMO: '1',
    GATEWAY_ORG_KEY_DIR: kitDir,
    // The others start from a roots file without the auditor: its requests verify only because each
    // gateway reads the channel's MSP definitions from its own peer (step 7 of the flow).
    GATEWAY_MSP_ROOTS: mspId === 'AuditorMSP' ? kits.mspRootsFile : staleRootsFile,
    GATEWAY_CONNECTION_PROFILE: profile,
    // Each organisation's own secret for its own operators' pseudonyms; nothing shared.
    GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
    // Subject pseudonyms: the regulator's gateway holds the OPRF key; every other gateway pins its
    // public key and asks the regulator's gateway (its entry in GATEWAY_ORG_GATEWAYS).
    ...(mspId === 'RegulatorMSP'
      ? { GATEWAY_OPRF_KEY_FILE: path.join(tmp, 'regulator-oprf-seed.hex') }
      : { GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: oprf.publicKey.publicKey }),
    GATEWAY_PSEUDONYM_RATE_PER_MINUTE: String(OPRF_RATE_PER_MINUTE),
    GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
    GATEWAY_DATA_DIR: path.join(tmp, 'data', mspId),
    GATEWAY_PORT: String(port),
    GATEWAY_OPERATIONS_PORT: '0',
    GATEWAY_SCRYPT_LOG2_N: '14',
    GATEWAY_LOG_LEVEL: 'warn',
    GATEWAY_ORG_GATEWAYS: gateways,
    GATEWAY_RELEASE_WINDOW_SECONDS: String(RELEASE_WINDOW_SECONDS),
  });

  before(async function () {
    nodes = requireNetwork(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ruralcredit-orggw-'));
    kits = writeOrgKits(path.resolve(process.env.NETWORK_DIR!), path.join(tmp, 'kits'));
    const stale = JSON.parse(readFileSync(kits.mspRootsFile, 'utf8')) as Record<string, string[]>;
    delete stale.AuditorMSP;
    staleRootsFile = path.join(tmp, 'kits', 'msp-roots-without-auditor.json');
    writeFileSync(staleRootsFile, JSON.stringify(stale));
    writeFileSync(path.join(tmp, 'regulator-oprf-seed.hex'), `${oprfSeed.toString('hex')}\n`, {
      mode: 0o600,
    });
    const roots = readMspRoots(kits.mspRootsFile);
    const ports = new Map<string, number>();
    for (const kit of kits.kits) {
      ports.set(kit.mspId, await freePort());
      identities.set(kit.mspId, loadOrgIdentity(kit.mspId, kit.keyDir, roots));
    }
    const gateways = (gatewaysJson = JSON.stringify(
      Object.fromEntries([...ports].map(([mspId, port]) => [mspId, `http://127.0.0.1:${port}`])),
    ));
    // The regulator's gateway bootstraps the consortium; the others wait to be admitted, then start together.
    const order = [
      kits.kits.filter((k) => k.mspId === 'RegulatorMSP'),
      kits.kits.filter((k) => k.mspId !== 'RegulatorMSP'),
    ];
    for (const group of order) {
      const started = await Promise.all(
        group.map(async (kit) => ({
          kit,
          run: await startOrg(
            baseEnv(kit.mspId, kit.keyDir, kit.connectionProfile, ports.get(kit.mspId)!, gateways),
          ),
        })),
      );
      for (const { kit, run } of started) {
        if (run.code !== undefined) throw new Error(`${kit.mspId}'s gateway exited ${run.code}:\n${run.out}`);
        const logins = new Map<string, { username: string; password: string }>();
        for (const m of run.out.matchAll(/^\s+(\S+MSP)\s+(\S+)\s+(\S+)\s+\[([A-Z_, ]+)\]$/gm)) {
          expect(m[1], `${kit.mspId}'s gateway printed a login of another organisation`).to.equal(kit.mspId);
          for (const role of m[4]!.split(', ')) logins.set(role, { username: m[2]!, password: m[3]! });
        }
        let out = run.out;
        run.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        run.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        orgs.set(kit.mspId, {
          mspId: kit.mspId,
          url: `http://127.0.0.1:${ports.get(kit.mspId)!}`,
          child: run.child,
          logins,
          output: () => out,
        });
      }
    }
    expect([...orgs.keys()].sort()).to.deep.equal(nodes.organisations.map((o) => o.mspId).sort());
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    // The evidence of a failure is in the gateways' own logs: show their errors.
    for (const org of orgs.values()) {
      const errors = org
        .output()
        .split('\n')
        .filter((l) => l.includes('"level":"error"'));
      if (errors.length > 0) console.log(`${org.mspId} logged:\n${errors.slice(-5).join('\n')}`);
    }
  });

  after(async () => {
    for (const org of orgs.values()) {
      const exited = new Promise((resolve) => org.child.once('exit', resolve));
      org.child.kill('SIGTERM');
      await exited;
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  let accessId = '';

  it('runs the whole flow across the gateways: anchors at the providers, a report at the bank fetched from them, a lien, the auditor trace, the regulator stats', async () => {
    const statsBefore = (await api('RegulatorMSP', 'REGULATOR_ADMIN', '/stats')).body as {
      institutions: { mspId: string; accessesGranted: number }[];
    };
    const grantedBefore = statsBefore.institutions.find((i) => i.mspId === 'BankAMSP')?.accessesGranted ?? 0;
    const land = { subjectId: FARMER, contractNo: `LC-${RUN}`, areaMu: 4.5, termEnd: '2048-12-31' };
    const homestead = {
      subjectId: FARMER,
      certificateNo: `HS-${RUN}`,
      parcelCode: `350902-${RUN}`,
      areaSquareMetres: 180,
      registeredOn: '2019-05-01',
    };
    const period = 'periodStart=2026-10-01T00:00:00Z&periodEnd=2026-10-31T23:59:59Z';
    // 1. Each department anchors at its own gateway; the records stay in its own store.
    const lc = await api(
      'AgricultureMSP',
      'DATA_OFFICER',
      `/datasets/LAND_CONTRACT/batches?batchId=lc-${RUN}&${period}`,
      {
        json: [land],
      },
    );
    expect(lc.status, lc.text).to.equal(201);
    const hs = await api(
      'NaturalResourcesMSP',
      'DATA_OFFICER',
      `/datasets/HOMESTEAD/batches?batchId=hs-${RUN}&${period}`,
      {
        json: [homestead],
      },
    );
    expect(hs.status, hs.text).to.equal(201);
    // A bank's gateway cannot anchor for a department: it holds neither the role nor the key.
    const notHere = await api(
      'BankAMSP',
      'ORG_ADMIN',
      `/datasets/LAND_CONTRACT/batches?batchId=x-${RUN}&${period}`,
      {
        json: [land],
      },
    );
    expect(notHere.status).to.equal(403);
    // 2. The agriculture bureau registers the land right.
    const asset = await api('AgricultureMSP', 'DATA_OFFICER', '/assets', {
      json: {
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: `LC-${RUN}`,
        ownerSubjectId: FARMER,
        location: `350902-${RUN}`,
        areaValue: 4.5,
        areaUnit: 'MU',
        appraisedValueFen: 6_000_000,
        appraisalDate: isoFromEpochSeconds(now - 86_400),
        rightExpiry: '2048-12-31T00:00:00Z',
        provenanceBatch: `lc-${RUN}`,
      },
    });
    expect(asset.status, asset.text).to.equal(201);
    // 3. Bank A captures the farmer's signed consents at its own gateway.
    for (const [consentId, scope, purpose] of [
      [`c-loan-${RUN}`, ['LAND_CONTRACT', 'HOMESTEAD'], 'LOAN_APPLICATION'],
      [`c-coll-${RUN}`, ['COLLATERAL'], 'COLLATERAL_REGISTRATION'],
    ] as const) {
      const data = new FormData();
      data.set('consent', JSON.stringify({ consentId, subjectId: FARMER, scope, purpose, ...window }));
      data.set('evidence', new Blob([Buffer.from(`%PDF-1.7\nform ${consentId}`)]), 'consent.pdf');
      const res = await api('BankAMSP', 'LOAN_OFFICER', '/consents', { body: data });
      expect(res.status, res.text).to.equal(201);
    }
    // The consent form is kept by the capturing bank only.
    expect((await api('BankAMSP', 'LOAN_OFFICER', `/consents/c-loan-${RUN}/form`)).status).to.equal(200);
    // 4. The report: access recorded first at Bank A, then each provider releases against it.
    const issued = await api('BankAMSP', 'LOAN_OFFICER', '/reports', {
      json: {
        subjectId: FARMER,
        consentId: `c-loan-${RUN}`,
        datasets: ['LAND_CONTRACT', 'HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(issued.status, issued.text).to.equal(201);
    const { report } = issued.body as {
      report: { accessId: string; datasets: { datasetType: string; records: { record: unknown }[] }[] };
    };
    accessId = report.accessId;
    expect(report.datasets.map((d) => [d.datasetType, d.records.map((r) => r.record)])).to.deep.equal([
      ['HOMESTEAD', [homestead]],
      ['LAND_CONTRACT', [land]],
    ]);
    // A retry with the access ID (its answer lost): the same report, nothing recorded again
    // (step 8 counts one access); with other datasets the ID is another request's.
    const request = {
      subjectId: FARMER,
      consentId: `c-loan-${RUN}`,
      datasets: ['LAND_CONTRACT', 'HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      accessId,
    };
    const retried = await api('BankAMSP', 'LOAN_OFFICER', '/reports', { json: request });
    expect(retried.status, retried.text).to.equal(200);
    expect(retried.body).to.deep.include({ accessId });
    expect((retried.body as { report: { digest: string } }).report.digest).to.equal(
      (report as unknown as { digest: string }).digest,
    );
    const taken = await api('BankAMSP', 'LOAN_OFFICER', '/reports', {
      json: { ...request, datasets: ['LAND_CONTRACT'] },
    });
    expect([taken.status, (taken.body as { error: { code: string } }).error.code]).to.deep.equal([
      409,
      'ACCESS_ID_TAKEN',
    ]);
    const verified = await api('BankAMSP', 'LOAN_OFFICER', '/reports/verify', { json: { report } });
    expect(verified.body).to.include({ valid: true, digestMatches: true, anchored: true });
    // 5. The lien.
    const lien = await api('BankAMSP', 'LOAN_OFFICER', '/liens', {
      json: {
        lienId: `lien-${RUN}`,
        assetId: `LAND_CONTRACT_RIGHT:LC-${RUN}`,
        consentId: `c-coll-${RUN}`,
        securedAmountFen: 4_000_000,
        loanEnd: isoFromEpochSeconds(now + 300 * 86_400),
      },
    });
    expect(lien.status, lien.text).to.equal(201);
    // 6. The auditor traces the access at its own gateway (indexed from its trusted peer's blocks).
    let trace: { items: { accessId: string; outcome: string; releaseDigest: string }[] } = { items: [] };
    for (let i = 0; i < 30 && !trace.items.some((a) => a.accessId === accessId); i++) {
      trace = (await api('AuditorMSP', 'AUDITOR', `/audit/accesses?subjectId=${FARMER}`))
        .body as typeof trace;
      if (!trace.items.some((a) => a.accessId === accessId)) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(trace.items.find((a) => a.accessId === accessId)).to.include({ outcome: 'GRANTED' });
    // Bank B's gateway indexes its own peer's blocks and shows Bank B only its own accesses.
    const bankBView = (await api('BankBMSP', 'LOAN_OFFICER', `/audit/accesses?subjectId=${FARMER}`))
      .body as typeof trace;
    expect(bankBView.items.map((a) => a.accessId)).to.deep.equal([]);
    // 7. The auditor checks each provider's release log against the ledger: same access, same requester
    // (the providers' roots files lacked the auditor; their peers' channel configuration named it).
    for (const provider of ['AgricultureMSP', 'NaturalResourcesMSP']) {
      const logPath = '/api/v1/org/release-log?after=0&limit=1000';
      const res = await fetch(`${orgs.get(provider)!.url}${logPath}`, {
        headers: signOrgRequest(identities.get('AuditorMSP')!, 'GET', logPath, null),
      });
      const log = (await res.json()) as {
        entries: { accessId: string; requester: string; outcome: string; releaseDigest?: string }[];
      };
      expect(res.status).to.equal(200);
      const released = log.entries.filter((e) => e.accessId === accessId && e.outcome === 'RELEASED');
      expect(released.map((e) => e.requester)).to.deep.equal(['BankAMSP']);
      expect(released[0]!.releaseDigest).to.match(/^[0-9a-f]{64}$/);
    }
    // 8. The regulator's statistics count the access.
    const stats = (await api('RegulatorMSP', 'REGULATOR_ADMIN', '/stats')).body as typeof statsBefore;
    expect(stats.institutions.find((i) => i.mspId === 'BankAMSP')?.accessesGranted).to.equal(
      grantedBefore + 1,
    );
    // Every gateway computed the same pseudonym, the regulator's OPRF of the ID: the provider's
    // release names it, and only the regulator's gateway holds the key.
    expect((report as unknown as { subject: { pseudonym: string } }).subject.pseudonym).to.equal(
      subjectOf(FARMER),
    );
    const holders = [...orgs.values()]
      .filter((o) => o.output().includes("holds the regulator's OPRF key"))
      .map((o) => o.mspId);
    expect(holders).to.deep.equal(['RegulatorMSP']);
    for (const mspId of orgs.keys()) {
      expect(
        existsSync(path.join(tmp, 'data', mspId, 'demo-oprf-key.hex')),
        `${mspId} generated a key`,
      ).to.equal(false);
    }
    // The regulator counts each member's evaluations; it never logged the ID.
    const evaluations = (stats as unknown as { pseudonymEvaluations: { mspId: string; elements: number }[] })
      .pseudonymEvaluations;
    for (const member of ['AgricultureMSP', 'NaturalResourcesMSP', 'BankAMSP', 'AuditorMSP']) {
      expect(evaluations.find((e) => e.mspId === member)?.elements, member).to.be.greaterThan(0);
    }
    expect(evaluations.find((e) => e.mspId === 'RegulatorMSP')).to.equal(undefined);
    expect(orgs.get('RegulatorMSP')!.output()).to.not.include(FARMER.slice(0, 14));
  });

  it('when a provider is asked without an access, with another bank access, for other datasets, with a replayed or forged signature, or after the window, then it refuses with a stable code and logs each refusal', async () => {
    expect(accessId, 'the flow test ran first').to.not.equal('');
    const subject = subjectOf(FARMER);
    const bankA = identities.get('BankAMSP')!;
    const bankB = identities.get('BankBMSP')!;
    const sign = (who: OrgIdentity, body: unknown) => signOrgRequest(who, 'POST', RELEASES, body);
    const outcomes: Record<string, string | number | undefined> = {};
    const none = { accessId: `none-${RUN}`, subject, datasets: ['LAND_CONTRACT'] };
    outcomes.noAccess = (await askRelease('AgricultureMSP', sign(bankA, none), none)).code;
    const other = { accessId, subject, datasets: ['LAND_CONTRACT'] };
    outcomes.otherBank = (await askRelease('AgricultureMSP', sign(bankB, other), other)).code;
    const subsidy = { accessId, subject, datasets: ['AGRI_SUBSIDY'] };
    outcomes.otherDatasets = (await askRelease('AgricultureMSP', sign(bankA, subsidy), subsidy)).code;
    const good = { accessId, subject, datasets: ['LAND_CONTRACT'] };
    const headers = sign(bankA, good);
    outcomes.first = (await askRelease('AgricultureMSP', headers, good)).status;
    outcomes.replayed = (await askRelease('AgricultureMSP', headers, good)).code;
    // Bank B's certificate presented as Bank A's: the signature is Bank B's, the claim is not.
    const forged = { ...sign(bankB, good), 'x-rcl-org': 'BankAMSP' };
    outcomes.forged = (await askRelease('AgricultureMSP', forged, good)).code;
    await new Promise((r) => setTimeout(r, (RELEASE_WINDOW_SECONDS + 2) * 1000));
    outcomes.afterWindow = (await askRelease('AgricultureMSP', sign(bankA, good), good)).code;
    expect(outcomes).to.deep.equal({
      noAccess: 'NO_ACCESS',
      otherBank: 'NO_ACCESS',
      otherDatasets: 'DATASET_NOT_COVERED',
      first: 200,
      replayed: 'REQUEST_REPLAYED',
      forged: 'ORG_SIGNATURE_INVALID',
      afterWindow: 'RELEASE_WINDOW_CLOSED',
    });
    const logPath = '/api/v1/org/release-log?after=0&limit=1000';
    const res = await fetch(`${orgs.get('AgricultureMSP')!.url}${logPath}`, {
      headers: signOrgRequest(identities.get('AuditorMSP')!, 'GET', logPath, null),
    });
    const log = (await res.json()) as {
      entries: { accessId: string; requester: string; outcome: string; code?: string }[];
    };
    const refusals = log.entries
      .filter((e) => e.outcome === 'REFUSED' && (e.accessId === accessId || e.accessId === `none-${RUN}`))
      .map((e) => `${e.requester}:${e.code}`);
    expect(refusals).to.deep.equal([
      'BankAMSP:NO_ACCESS',
      'BankBMSP:NO_ACCESS',
      'BankAMSP:DATASET_NOT_COVERED',
      'BankAMSP:REQUEST_REPLAYED',
      'BankAMSP:ORG_SIGNATURE_INVALID',
      'BankAMSP:RELEASE_WINDOW_CLOSED',
    ]);
    // A bank cannot read the release log.
    const bankRead = await fetch(`${orgs.get('AgricultureMSP')!.url}${logPath}`, {
      headers: signOrgRequest(bankA, 'GET', logPath, null),
    });
    expect(bankRead.status).to.equal(403);
  });

  it("when the regulator's pseudonym evaluation is asked unsigned, with a user's token, a replayed or forged signature, or over the allowance, then it refuses with a stable code; a signed request carries only blinded elements", async () => {
    const regulatorUrl = orgs.get('RegulatorMSP')!.url;
    const blinder = new OprfBlinder(oprf.publicKeyBytes);
    const evaluate = async (headers: Record<string, string>, body: unknown) => {
      const res = await fetch(`${regulatorUrl}${EVALUATE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const parsed = (await res.json()) as { error?: { code: string }; evaluated?: string[]; proof?: string };
      return { status: res.status, code: parsed.error?.code, body: parsed };
    };
    const batch = blinder.blind([parseSubjectId(FARMER).id]);
    const body = { blinded: batch.blinded };
    // What travels is a random-looking group element: neither the ID nor any part of it.
    expect(JSON.stringify(body)).to.not.include(FARMER.slice(6, 14));
    expect(Object.keys(body)).to.deep.equal(['blinded']);
    const bankA = identities.get('BankAMSP')!;
    const bankB = identities.get('BankBMSP')!;
    const headers = signOrgRequest(bankA, 'POST', EVALUATE_PATH, body);
    const first = await evaluate(headers, body);
    expect(first.status).to.equal(200);
    // The member verifies the proof against the pinned key and unblinds the same pseudonym.
    expect(
      blinder.finalize(batch, { evaluated: first.body.evaluated!, proof: first.body.proof! }),
    ).to.deep.equal([subjectOf(FARMER)]);
    const regulatorToken = tokens.get('RegulatorMSP/REGULATOR_ADMIN')!;
    const outcomes = {
      unsigned: (await evaluate({}, body)).code,
      userToken: (await evaluate({ authorization: `Bearer ${regulatorToken}` }, body)).code,
      replayed: (await evaluate(headers, body)).code,
      forged: (
        await evaluate(
          { ...signOrgRequest(bankB, 'POST', EVALUATE_PATH, body), 'x-rcl-org': 'BankAMSP' },
          body,
        )
      ).code,
      otherBody: (
        await evaluate(signOrgRequest(bankA, 'POST', EVALUATE_PATH, body), {
          blinded: blinder.blind(['x'.repeat(18)]).blinded,
        })
      ).code,
    };
    expect(outcomes).to.deep.equal({
      unsigned: 'ORG_SIGNATURE_INVALID',
      userToken: 'ORG_SIGNATURE_INVALID',
      replayed: 'REQUEST_REPLAYED',
      forged: 'ORG_SIGNATURE_INVALID',
      otherBody: 'ORG_SIGNATURE_INVALID',
    });
    // Bank B's allowance is OPRF_RATE_PER_MINUTE elements a minute: the second half-allowance batch is refused.
    const half = Math.ceil(OPRF_RATE_PER_MINUTE * 0.6);
    const many = (n: number) => ({
      blinded: blinder.blind(Array.from({ length: n }, (_, i) => parseSubjectId(residentId(6000 + i)).id))
        .blinded,
    });
    const firstHalf = many(half);
    const secondHalf = many(half);
    const allowed = await evaluate(signOrgRequest(bankB, 'POST', EVALUATE_PATH, firstHalf), firstHalf);
    const limited = await evaluate(signOrgRequest(bankB, 'POST', EVALUATE_PATH, secondHalf), secondHalf);
    expect([allowed.status, limited.status, limited.code]).to.deep.equal([
      200,
      429,
      'PSEUDONYM_RATE_LIMITED',
    ]);
    const stats = (await api('RegulatorMSP', 'REGULATOR_ADMIN', '/stats')).body as {
      pseudonymEvaluations: { mspId: string; rateLimited: number }[];
    };
    expect(stats.pseudonymEvaluations.find((e) => e.mspId === 'BankBMSP')?.rateLimited).to.equal(1);
  });

  it('when each gateway is asked what it is, then /readyz names its one organisation', async () => {
    const seen: Record<string, unknown> = {};
    for (const org of orgs.values()) {
      const ops = /Operations \(readiness, metrics\): (\S+)\/readyz/.exec(org.output())?.[1];
      const ready = (await (await fetch(`${ops}/readyz`)).json()) as {
        deployment: { mode: string; organisation: string };
      };
      seen[org.mspId] = `${ready.deployment.mode}:${ready.deployment.organisation}`;
    }
    expect(seen).to.deep.equal(Object.fromEntries([...orgs.keys()].map((m) => [m, `organisation:${m}`])));
  });

  it("when a bank's gateway is configured with a provider's key, then it refuses to start with FOREIGN_ORG_KEY", async () => {
    const provider = kits.kits.find((k) => k.mspId === 'NaturalResourcesMSP')!;
    const bank = kits.kits.find((k) => k.mspId === 'BankAMSP')!;
    const run = await startOrg({
      ...baseEnv('BankAMSP', provider.keyDir, bank.connectionProfile, await freePort(), gatewaysJson),
      GATEWAY_DATA_DIR: path.join(tmp, 'data', 'wrong'),
    });
    expect(run.code).to.equal(1);
    expect(run.out).to.match(/^ruralcredit gateway: FOREIGN_ORG_KEY: .*certificate of NaturalResourcesMSP/m);
  });

  it('when a compromised bank gateway signs as another organisation with its own key, then the ledger refuses', async () => {
    const bankA = identities.get('BankAMSP')!;
    const peer = nodes.peers.find((p) => p.mspId === 'BankAMSP')!;
    const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaCert)), {
      'grpc.ssl_target_name_override': peer.hostname,
    });
    const outcomes: string[] = [];
    try {
      for (const claimed of ['BankBMSP', 'AgricultureMSP', 'RegulatorMSP']) {
        const gateway = connect({
          client,
          identity: { mspId: claimed, credentials: bankA.certificatePem },
          signer: signers.newPrivateKeySigner(
            createPrivateKey(bankA.fabricKey.export({ type: 'pkcs8', format: 'pem' })),
          ),
        });
        try {
          const contract = gateway.getNetwork(nodes.channel).getContract(nodes.chaincode);
          await contract.submitTransaction('Membership:SuspendMember', 'BankBMSP', `forged-${RUN}`);
          outcomes.push(`${claimed}: committed`);
        } catch (err) {
          outcomes.push(`${claimed}: refused`);
          expect(String((err as Error).message)).to.not.include('committed');
        } finally {
          gateway.close();
        }
      }
      // Bank B is still an active member, as Bank B itself reads it with its own identity.
      const bankB = identities.get('BankBMSP')!;
      const own = connect({
        client,
        identity: { mspId: 'BankBMSP', credentials: bankB.certificatePem },
        signer: signers.newPrivateKeySigner(
          createPrivateKey(bankB.fabricKey.export({ type: 'pkcs8', format: 'pem' })),
        ),
      });
      try {
        const member = JSON.parse(
          Buffer.from(
            await own
              .getNetwork(nodes.channel)
              .getContract(nodes.chaincode)
              .evaluateTransaction('Membership:GetMember', 'BankBMSP'),
          ).toString(),
        ) as { status: string };
        outcomes.push(`BankBMSP is ${member.status}`);
      } finally {
        own.close();
      }
    } finally {
      client.close();
    }
    expect(outcomes).to.deep.equal([
      'BankBMSP: refused',
      'AgricultureMSP: refused',
      'RegulatorMSP: refused',
      'BankBMSP is ACTIVE',
    ]);
  });

  it("when the regulator seizes the pledged land right and lifts the seizure, then only Bank A's gateway (the lienholder) alerts, from its own peer's blocks", async () => {
    const assetId = `LAND_CONTRACT_RIGHT:LC-${RUN}`;
    const watching = ['BankAMSP', 'BankBMSP', 'AgricultureMSP', 'RegulatorMSP'] as const;
    const streams = new Map<string, SseSubscription>();
    const role = (mspId: string) =>
      ({ BankAMSP: 'LOAN_OFFICER', BankBMSP: 'LOAN_OFFICER', AgricultureMSP: 'DATA_OFFICER' })[mspId] ??
      'REGULATOR_ADMIN';
    try {
      for (const mspId of watching) {
        const stream = await subscribe(
          { url: orgs.get(mspId)!.url, token: () => tokenOf(mspId, role(mspId)) },
          'bankA',
          role(mspId) as Role,
        );
        expect(stream.status, mspId).to.equal(200);
        streams.set(mspId, stream);
      }
      const seized = await api('RegulatorMSP', 'REGULATOR_ADMIN', `/assets/${assetId}/seizure`, {
        json: { orderRef: `ORDER-${RUN}` },
      });
      expect(seized.status, seized.text).to.equal(200);
      const lifted = await api('RegulatorMSP', 'REGULATOR_ADMIN', `/assets/${assetId}/seizure`, {
        method: 'DELETE',
      });
      expect(lifted.status, lifted.text).to.equal(200);
      const lastBlock = (lifted.body as { blockNumber: number }).blockNumber;
      await streams.get('BankAMSP')!.until((f) => f.some((x) => x.event === 'SeizureLifted'), 30_000);
      // The others have indexed those blocks from their own peers too: their silence is a decision, not a lag.
      for (const mspId of watching) {
        for (let i = 0; i < 60 && (await indexedBlock(mspId)) < lastBlock; i++) {
          await new Promise((r) => setTimeout(r, 500));
        }
        expect(await indexedBlock(mspId), `${mspId} indexed`).to.be.at.least(lastBlock);
      }
      const seen = Object.fromEntries(
        watching.map((mspId) => [
          mspId,
          streams
            .get(mspId)!
            .events()
            .map(
              (f) =>
                `${f.event} ${(JSON.parse(f.data ?? '{}') as { payload: { assetId?: string } }).payload.assetId}`,
            ),
        ]),
      );
      expect(seen).to.deep.equal({
        BankAMSP: [`AssetSeized ${assetId}`, `SeizureLifted ${assetId}`],
        BankBMSP: [],
        AgricultureMSP: [],
        RegulatorMSP: [],
      });
      expect(
        streams
          .get('BankAMSP')!
          .frames.map((f) => f.data ?? '')
          .join(''),
      ).not.to.contain(FARMER);
    } finally {
      for (const stream of streams.values()) stream.close();
    }
  });
});
