import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import { signTypedMessage } from '@ruralcredit/protocol';
import { COMMANDS } from '../src/cli/commands';
import {
  eventually,
  homestead,
  ledgerTime,
  ORG,
  residentId,
  startSdkGateway,
  type SdkGateway,
  type UserName,
  DEPLOYMENT,
} from './fixture';

const CLI = path.resolve(__dirname, '..', 'src', 'cli.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a process. */
function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  onStderr?: (text: string) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function json<T = Record<string, unknown>>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

describe('ruralcredit command line (as a process)', function () {
  this.timeout(120_000);
  let s: SdkGateway;
  let dir: string;
  /** Environment of `user`'s own config file. */
  const envOf = (user: string): NodeJS.ProcessEnv => ({
    RURALCREDIT_CONFIG: path.join(dir, user, 'config.json'),
    RURALCREDIT_URL: s.url,
  });
  const as = (user: UserName, args: readonly string[], input?: string) => run(args, envOf(user), input);
  const login = async (user: UserName): Promise<void> => {
    const r = await as(user, [
      'login',
      '-u',
      s.credentials(user).username,
      '-p',
      s.credentials(user).password,
    ]);
    expect(r.code, r.stderr).to.equal(0);
  };

  before(async () => {
    s = await startSdkGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-sdk-cli-'));
  });
  after(async () => {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('help and usage', () => {
    it('when any command is asked for --help, then exit 0 with its usage and every option', async function () {
      // One process per command, all at once: slow on a loaded machine.
      this.timeout(300_000);
      const results = await Promise.all(COMMANDS.map((c) => run([...c.name.split(' '), '--help'], {})));
      results.forEach((r, i) => {
        const command = COMMANDS[i]!;
        expect(r.code, command.name).to.equal(0);
        expect(r.stdout, command.name).to.match(new RegExp(`^Usage: ruralcredit ${command.name}`));
        for (const option of [...Object.keys(command.options), 'json', 'url'])
          expect(r.stdout).to.contain(`--${option}`);
      });
      const main = await run(['--help'], {});
      expect(main.code).to.equal(0);
      for (const c of COMMANDS) expect(main.stdout).to.contain(`  ${c.name}  `);
    });

    it('when the command line is wrong, then exit 2 with the reason; with --json the reason is JSON on stdout', async () => {
      expect((await run([], {})).code).to.equal(2);
      const unknown = await run(['frobnicate'], {});
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.contain('unknown command "frobnicate"');
      const missing = await run(['anchor', 'file.ndjson', '--json'], envOf('nobody'));
      expect(missing.code).to.equal(2);
      expect(json(missing)).to.deep.equal({ error: { code: 'USAGE', message: '--dataset is required' } });
      const both = await run(
        [
          'consent',
          'grant',
          '--subject',
          'x',
          '--scope',
          'A',
          '--purpose',
          'P',
          '--valid-from',
          'a',
          '--valid-until',
          'b',
          '--form',
          'f',
          '--subject-signature',
          '0x',
          '--json',
        ],
        envOf('nobody'),
      );
      expect(both.code).to.equal(2);
      expect(json(both)).to.deep.equal({
        error: { code: 'USAGE', message: 'give exactly one of --form and --subject-signature' },
      });
      const badOption = await run(['asset', 'show', 'x', '--frob'], envOf('nobody'));
      expect(badOption.code).to.equal(2);
      expect(badOption.stderr).to.contain("Unknown option '--frob'");
      const notLoggedIn = await run(['asset', 'show', 'x', '--json'], envOf('nobody'));
      expect(notLoggedIn.code).to.equal(2);
      expect(json(notLoggedIn)).to.deep.equal({
        error: { code: 'USAGE', message: 'not logged in: run `ruralcredit login` first' },
      });
    });
  });

  describe('login', () => {
    it('when the password is wrong, then exit 1 with the gateway error code, as text and as JSON', async () => {
      const r = await as('auditor', ['login', '-u', 'sdk.auditor', '-p', 'wrong-password-x']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal('ruralcredit: UNAUTHENTICATED (HTTP 401): invalid username or password\n');
      const j = await as(
        'auditor',
        ['login', '-u', 'sdk.auditor', '--password-stdin', '--json'],
        'wrong-password-x\n',
      );
      expect(j.code).to.equal(1);
      expect(json(j)).to.deep.equal({
        error: { status: 401, code: 'UNAUTHENTICATED', message: 'invalid username or password' },
      });
    });

    it('when the password is right, then exit 0 and the token is kept in a 0600 config file', async () => {
      const r = await as('auditor', ['login', '-u', 'sdk.auditor', '--json'], undefined);
      expect(r.code, 'no password given').to.equal(2);
      const ok = await run(['login', '-u', 'sdk.auditor', '--json'], {
        ...envOf('auditor'),
        RURALCREDIT_PASSWORD: s.credentials('auditor').password,
      });
      expect(ok.code, ok.stderr).to.equal(0);
      const out = json<{ url: string; username: string; expiresAt: string; config: string }>(ok);
      expect(Object.keys(out).sort()).to.deep.equal(['config', 'expiresAt', 'url', 'username']);
      expect(out).to.include({
        url: s.url,
        username: 'sdk.auditor',
        config: envOf('auditor').RURALCREDIT_CONFIG,
      });
      expect(Date.parse(out.expiresAt) - Date.now()).to.be.within(0, 900_000);
      const file = envOf('auditor').RURALCREDIT_CONFIG!;
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      const saved = JSON.parse(await readFile(file, 'utf8')) as { token: string };
      expect(saved.token.split('.')).to.have.length(3);
    });
  });

  describe('expired tokens', () => {
    it('when the saved token is no longer valid, then exit 1 with UNAUTHENTICATED and the hint to log in again', async () => {
      const env = envOf('expired');
      await mkdir(path.dirname(env.RURALCREDIT_CONFIG!), { recursive: true });
      await writeFile(env.RURALCREDIT_CONFIG!, JSON.stringify({ url: s.url, token: 'not.a.token' }));
      const r = await run(['asset', 'show', 'LAND_CONTRACT_RIGHT:X'], env);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^ruralcredit: UNAUTHENTICATED \(HTTP 401\): .*\n/);
      expect(r.stderr).to.contain('run `ruralcredit login`');
    });
  });

  describe('from a dataset file to a verified report', () => {
    let reportFile: string;

    it('when a data officer anchors an NDJSON file, then exit 0 with the anchored batch as JSON and progress on stderr', async () => {
      await login('landOfficer');
      const file = path.join(dir, 'homestead.ndjson');
      await writeFile(file, `${[1, 2, 3, 4].map((n) => JSON.stringify(homestead(n))).join('\n')}\n`);
      const r = await as('landOfficer', [
        'anchor',
        file,
        '--dataset',
        'HOMESTEAD',
        '--batch-id',
        'cli-hs-1',
        '--period-start',
        '2026-01-01T00:00:00Z',
        '--period-end',
        '2026-01-31T23:59:59Z',
        '--json',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const out = json(r);
      expect(Object.keys(out).sort()).to.deep.equal([
        'batchId',
        'blockNumber',
        'datasetType',
        'merkleRoot',
        'recordCount',
        'txId',
      ]);
      expect(out).to.include({ batchId: 'cli-hs-1', datasetType: 'HOMESTEAD', recordCount: 4 });
      expect(r.stderr).to.match(/\[#{30}\] 100% {2}4 records {2}0\.0 MB {2}\d+ records\/s\n$/);
      const again = await as('landOfficer', [
        'anchor',
        file,
        '--dataset',
        'HOMESTEAD',
        '--batch-id',
        'cli-hs-1',
        '-q',
        '--period-start',
        '2026-01-01T00:00:00Z',
        '--period-end',
        '2026-01-31T23:59:59Z',
      ]);
      expect(again.code).to.equal(1);
      expect(again.stderr).to.match(/^ruralcredit: CONFLICT \(HTTP 409\): /);
      const shown = await as('landOfficer', ['batch', 'show', 'cli-hs-1', '--json']);
      expect(json<{ signatureValid: boolean }>(shown).signatureValid).to.equal(true);
    });

    it('when a loan officer grants consent with the signed form and requests a report, then the report is saved', async () => {
      await login('bankAOfficer');
      const form = path.join(dir, 'consent-form.pdf');
      await writeFile(form, '%PDF-1.7\nsigned consent form of subject 2');
      const grant = await as('bankAOfficer', [
        'consent',
        'grant',
        '--subject',
        residentId(2),
        '--scope',
        'HOMESTEAD',
        '--purpose',
        'LOAN_APPLICATION',
        '--valid-from',
        ledgerTime(-60),
        '--valid-until',
        ledgerTime(30 * 86_400),
        '--consent-id',
        'cli-c-1',
        '--max-accesses',
        '3',
        '--form',
        form,
        '--json',
      ]);
      expect(grant.code, grant.stderr).to.equal(0);
      expect(json<{ consent: Record<string, unknown> }>(grant).consent).to.include({
        consentId: 'cli-c-1',
        status: 'ACTIVE',
        grantee: ORG.bankA,
        maxAccesses: 3,
      });
      reportFile = path.join(dir, 'report.json');
      const r = await as('bankAOfficer', [
        'report',
        'request',
        '--subject',
        residentId(2),
        '--consent',
        'cli-c-1',
        '--datasets',
        'HOMESTEAD',
        '--purpose',
        'LOAN_APPLICATION',
        '--out',
        reportFile,
        '--json',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const out = json<{ file: string; records: number; digest: string }>(r);
      expect(out).to.include({ file: reportFile, records: 1 });
      const saved = JSON.parse(await readFile(reportFile, 'utf8')) as {
        digest: string;
        datasets: { records: { record: unknown }[] }[];
      };
      expect(saved.digest).to.equal(out.digest);
      expect(saved.datasets[0]!.records[0]!.record).to.deep.equal(homestead(2));
    });

    it('when the saved report is verified offline and online, then exit 0 and VALID', async () => {
      const offline = await run(['report', 'verify', '--offline', reportFile, '--json'], {});
      expect(offline.code, offline.stderr).to.equal(0);
      expect(json(offline)).to.deep.include({ valid: true, digestMatches: true, mode: 'self-consistent' });
      const text = await run(['report', 'verify', '--offline', reportFile], {});
      expect(text.stdout.split('\n')[0]).to.equal('VALID (offline, self-consistent)');
      const online = await as('bankAOfficer', ['report', 'verify', reportFile, '--json']);
      expect(online.code, online.stderr).to.equal(0);
      expect(json(online)).to.deep.include({ valid: true, digestMatches: true, anchored: true });
    });

    it('when the provider gets a record proof and verifies it, then VALID; the bank gets it under the report’s access only', async () => {
      const proofFile = path.join(dir, 'proof-1.json');
      const proof = await as('landOfficer', [
        'provenance',
        'proof',
        'cli-hs-1',
        '1',
        '--out',
        proofFile,
        '--json',
      ]);
      expect(proof.code, proof.stderr).to.equal(0);
      expect(json(proof)).to.include({ batchId: 'cli-hs-1', datasetType: 'HOMESTEAD', index: 1 });
      const recordFile = path.join(dir, 'record-2.json');
      await writeFile(recordFile, JSON.stringify(homestead(2)));
      const verified = await as('landOfficer', ['provenance', 'verify', recordFile, '--proof', proofFile]);
      expect(verified.code, verified.stderr).to.equal(0);
      expect(verified.stdout).to.match(/^VALID: under batch cli-hs-1 \(HOMESTEAD\)/);
      const otherRecord = path.join(dir, 'record-3.json');
      await writeFile(otherRecord, JSON.stringify(homestead(3)));
      const wrong = await as('landOfficer', ['provenance', 'verify', otherRecord, '--proof', proofFile]);
      expect(wrong.code).to.equal(3);
      expect(wrong.stdout).to.match(/^INVALID/);

      const { accessId } = JSON.parse(await readFile(reportFile, 'utf8')) as { accessId: string };
      const released = await as('bankAOfficer', [
        'provenance',
        'proof',
        'cli-hs-1',
        '1',
        '--access',
        accessId,
        '--json',
      ]);
      expect(released.code, released.stderr).to.equal(0);
      expect(json(released)).to.deep.equal(json(proof));
      const refused = await as('bankAOfficer', [
        'provenance',
        'proof',
        'cli-hs-1',
        '0',
        '--access',
        accessId,
      ]);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/^ruralcredit: NOT_RELEASED \(HTTP 403\): /);
    });

    it('when a bank files a dispute of the record and the provider resolves it, then dispute list, show and resolve print it', async () => {
      const proof = JSON.parse(await readFile(path.join(dir, 'proof-1.json'), 'utf8')) as {
        leafHash: string;
      };
      const filed = await as('bankAOfficer', [
        'dispute',
        'file',
        '--subject',
        residentId(2),
        '--dataset',
        'HOMESTEAD',
        '--batch',
        'cli-hs-1',
        '--record-hash',
        proof.leafHash,
        '--reason',
        'WRONG_VALUE',
        '--consent',
        'cli-c-1',
        '--dispute-id',
        'cli-d-1',
        '--json',
      ]);
      expect(filed.code, filed.stderr).to.equal(0);
      expect(json<{ dispute: Record<string, unknown> }>(filed).dispute).to.include({
        disputeId: 'cli-d-1',
        status: 'OPEN',
        provider: ORG.land,
      });
      const listed = await as('landOfficer', ['dispute', 'list', '--json']);
      expect(listed.code, listed.stderr).to.equal(0);
      expect(json<{ items: { disputeId: string }[] }>(listed).items.map((d) => d.disputeId)).to.include(
        'cli-d-1',
      );
      const resolved = await as('landOfficer', [
        'dispute',
        'resolve',
        'cli-d-1',
        '--outcome',
        'UPHELD',
        '--note',
        'checked',
      ]);
      expect(resolved.code, resolved.stderr).to.equal(0);
      expect(resolved.stdout).to.match(/status:\s+RESOLVED/);
      const shown = await as('bankAOfficer', ['dispute', 'show', 'cli-d-1', '--json']);
      expect(json(shown)).to.include({ disputeId: 'cli-d-1', status: 'RESOLVED' });
    });

    it('when verified offline against the anchored roots read from the batch, then exit 0; a wrong root exits 3', async () => {
      const shown = await as('bankAOfficer', ['batch', 'show', 'cli-hs-1', '--json']);
      const { batch } = json<{ batch: { merkleRoot: string; recordCount: number } }>(shown);
      const roots = path.join(dir, 'roots.json');
      await writeFile(
        roots,
        JSON.stringify({ 'cli-hs-1': { merkleRoot: batch.merkleRoot, recordCount: batch.recordCount } }),
      );
      const ok = await run(['report', 'verify', '--offline', reportFile, '--roots', roots, '--json'], {});
      expect(ok.code, ok.stderr).to.equal(0);
      expect(json(ok)).to.deep.include({ valid: true, mode: 'anchored' });
      await writeFile(roots, JSON.stringify({ 'cli-hs-1': { merkleRoot: '0'.repeat(64) } }));
      const wrong = await run(['report', 'verify', '--offline', reportFile, '--roots', roots], {});
      expect(wrong.code).to.equal(3);
      expect(wrong.stdout.split('\n')[0]).to.equal('INVALID (offline, against the given anchored roots)');
    });

    it('when one byte of the saved report changes, then verification exits 3 offline and online', async () => {
      const text = await readFile(reportFile, 'utf8');
      const at = text.indexOf('"areaSquareMetres": 122') + '"areaSquareMetres": 12'.length;
      const tamperedFile = path.join(dir, 'tampered.json');
      await writeFile(tamperedFile, `${text.slice(0, at)}3${text.slice(at + 1)}`);
      const offline = await run(['report', 'verify', '--offline', tamperedFile, '--json'], {});
      expect(offline.code).to.equal(3);
      const result = json<{
        valid: boolean;
        digestMatches: boolean;
        records: { leafHashMatches: boolean }[];
      }>(offline);
      expect(result).to.deep.include({ valid: false, digestMatches: false });
      expect(result.records.map((r) => r.leafHashMatches)).to.deep.equal([false]);
      const online = await as('bankAOfficer', ['report', 'verify', tamperedFile, '--json']);
      expect(online.code).to.equal(3);
      expect(json(online)).to.deep.include({ valid: false, digestMatches: false });
      const missing = await run(['report', 'verify', '--offline', path.join(dir, 'none.json')], {});
      expect(missing.code).to.equal(2);
    });

    it('when an auditor traces, exports and verifies the audit trail, then the access is there and the export verifies', async () => {
      await login('auditor');
      await eventually(async () => {
        for await (const a of s.client('auditor').audit.accesses({ subjectId: residentId(2) })) return a;
        return undefined;
      });
      const trace = await as('auditor', ['audit', 'trace', '--subject', residentId(2), '--json']);
      expect(trace.code, trace.stderr).to.equal(0);
      const accesses = json<{ accessor: string; grantId: string; outcome: string }[]>(trace);
      expect(accesses.map((a) => [a.accessor, a.grantId, a.outcome])).to.deep.equal([
        [ORG.bankA, 'cli-c-1', 'GRANTED'],
      ]);
      const table = await as('auditor', ['audit', 'trace', '--subject', residentId(2)]);
      expect(table.stdout.split('\n')[0]).to.match(
        /^TIME\s+ACCESSOR\s+SUBJECT\s+CONSENT\s+PURPOSE\s+DATASETS\s+OUTCOME\s+TX$/,
      );
      const exportFile = path.join(dir, 'audit.ndjson');
      const exported = await as('auditor', ['audit', 'export', '--out', exportFile, '--json']);
      expect(exported.code, exported.stderr).to.equal(0);
      const { count, summary } = json<{ count: number; summary: { count: number; lastDigest: string } }>(
        exported,
      );
      expect(count).to.equal(summary.count).and.to.be.greaterThan(0);
      const verified = await run(
        [
          'audit',
          'verify',
          exportFile,
          '--expected-count',
          String(count),
          '--expected-last-digest',
          summary.lastDigest,
          '--json',
        ],
        {},
      );
      expect(verified.code, verified.stderr).to.equal(0);
      expect(json(verified)).to.deep.equal({ ok: true, count, lastDigest: summary.lastDigest });
      const lines = (await readFile(exportFile, 'utf8')).split('\n');
      lines[0] = lines[0]!.replace('"outcome":"GRANTED"', '"outcome":"GRANTEE"');
      await writeFile(exportFile, lines.join('\n'));
      const tampered = await run(['audit', 'verify', exportFile, '--json'], {});
      expect(tampered.code).to.equal(3);
      expect(json(tampered)).to.deep.include({ ok: false, line: 1, reason: 'DIGEST_MISMATCH' });
      const online = await as('auditor', ['audit', 'verify', exportFile, '--online', '--json']);
      expect(online.code).to.equal(3);
      expect(json(online)).to.deep.include({ ok: false, line: 1, reason: 'DIGEST_MISMATCH' });
    });

    it('when the subject reads its own access log with its bound key, then it sees the bank, consent and purpose; another key exits 1', async () => {
      const officer = s.client('bankAOfficer');
      const { pseudonym } = await officer.subjects.pseudonym(residentId(2), 'cli-c-1');
      const key = Wallet.createRandom();
      const signer = key.address.toLowerCase();
      await officer.subjects.registerSigner({
        subjectId: residentId(2),
        consentId: 'cli-c-1',
        address: signer,
        signature: await signTypedMessage(
          key,
          'SubjectKeyBinding',
          { subject: pseudonym, signer },
          DEPLOYMENT,
        ),
        kyc: { evidenceDigest: '0'.repeat(64) },
      });
      const keyFile = path.join(dir, 'subject.key');
      await writeFile(keyFile, `${key.privateKey}\n`, { mode: 0o600 });
      const log = await run(
        ['subject', 'access-log', '--pseudonym', pseudonym, '--key-file', keyFile, '--json'],
        {
          RURALCREDIT_URL: s.url,
        },
      );
      expect(log.code, log.stderr).to.equal(0);
      const accesses = json<{ accessor: string; grantId: string; purpose: string; outcome: string }[]>(log);
      expect(accesses.map((a) => [a.accessor, a.grantId, a.purpose, a.outcome])).to.deep.equal([
        [ORG.bankA, 'cli-c-1', 'LOAN_APPLICATION', 'GRANTED'],
      ]);
      expect(accesses[0]).to.not.have.any.keys('operator', 'subject');
      const stranger = await run(['subject', 'access-log', '--pseudonym', pseudonym, '--json'], {
        RURALCREDIT_URL: s.url,
        RURALCREDIT_SUBJECT_KEY: Wallet.createRandom().privateKey,
      });
      expect(stranger.code).to.equal(1);
      expect(json<{ error: { code: string } }>(stranger).error.code).to.equal('SIGNATURE_REJECTED');
    });
  });

  describe('collateral and alerts', () => {
    const OWNER = residentId(60);

    it('when the issuer seizes, releases and transfers an asset, then each command prints the asset', async () => {
      await login('agriOfficer');
      await s.client('agriOfficer').assets.register({
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: 'CLI-LC-2',
        ownerSubjectId: OWNER,
        location: 'FJ-ND-0103',
        areaValue: 3,
        areaUnit: 'MU',
        appraisedValueFen: 2_000_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2040-12-31T00:00:00Z',
      });
      const asset = 'LAND_CONTRACT_RIGHT:CLI-LC-2';
      const seized = await as('agriOfficer', ['asset', 'seize', asset, '--order', 'court-2026-7', '--json']);
      expect(seized.code, seized.stderr).to.equal(0);
      expect(json<{ asset: { status: string } }>(seized).asset.status).to.equal('SEIZED');
      const lifted = await as('agriOfficer', ['asset', 'release-seizure', asset]);
      expect(lifted.code, lifted.stderr).to.equal(0);
      expect(lifted.stdout).to.match(/status:\s+ACTIVE/);
      const moved = await as('agriOfficer', [
        'asset',
        'transfer',
        asset,
        '--new-owner',
        residentId(61),
        '--json',
      ]);
      expect(moved.code, moved.stderr).to.equal(0);
      expect(json<{ asset: { owner: string } }>(moved).asset.owner).not.to.equal(
        json<{ asset: { owner: string } }>(seized).asset.owner,
      );
    });

    it('when the regulator asks for stats and an admin manages users, then stats, user create, list and disable work', async () => {
      await login('regulator');
      const stats = await as('regulator', ['stats', '--json']);
      expect(stats.code, stats.stderr).to.equal(0);
      expect(json<{ institutions: { mspId: string }[] }>(stats).institutions.map((i) => i.mspId)).to.include(
        ORG.bankA,
      );
      // The human form lists every county of byCounty with its figures, under the institutions.
      const byCounty = json<{
        byCounty: { county: string; accesses: number; granted: number; denied: number }[];
      }>(stats).byCounty;
      expect(byCounty, 'the report of the flow above is counted in its county').to.have.length.greaterThan(0);
      const human = await as('regulator', ['stats']);
      expect(human.code, human.stderr).to.equal(0);
      const countyLines = human.stdout.slice(human.stdout.indexOf('\n\ncounty')).trim().split('\n');
      expect(countyLines[0]).to.match(/^county\s+accesses\s+granted\s+denied$/);
      expect(countyLines.slice(2).map((l) => l.trim().split(/\s+/))).to.deep.equal(
        byCounty.map((c) => [c.county, String(c.accesses), String(c.granted), String(c.denied)]),
      );
      const refused = await as('bankAOfficer', ['stats']);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/^ruralcredit: FORBIDDEN_ROLE \(HTTP 403\): /);
      await login('bankAAdmin');
      const created = await as('bankAAdmin', [
        'user',
        'create',
        '--username',
        'cli.new-officer',
        '--roles',
        'LOAN_OFFICER',
        '--json',
      ]);
      expect(created.code, created.stderr).to.equal(0);
      const user = json<{ user: { id: string; username: string }; initialPassword: string }>(created);
      expect(user.user.username).to.equal('cli.new-officer');
      expect(user.initialPassword).to.have.length(24);
      const listed = await as('bankAAdmin', ['user', 'list', '--json']);
      expect(json<{ items: { username: string }[] }>(listed).items.map((u) => u.username)).to.include(
        'cli.new-officer',
      );
      const disabled = await as('bankAAdmin', ['user', 'disable', user.user.id, '--json']);
      expect(disabled.code, disabled.stderr).to.equal(0);
      expect(json(disabled)).to.include({ id: user.user.id, disabled: true });
    });

    it('when a bank registers and releases a lien, then the asset shows it and then no longer', async () => {
      await login('bankAOfficer');
      await s.client('agriOfficer').assets.register({
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: 'CLI-LC-1',
        ownerSubjectId: OWNER,
        location: 'FJ-ND-0102',
        areaValue: 8,
        areaUnit: 'MU',
        appraisedValueFen: 5_000_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2040-12-31T00:00:00Z',
      });
      const form = path.join(dir, 'collateral-form.pdf');
      await writeFile(form, '%PDF-1.7\ncollateral consent');
      const grant = await as('bankAOfficer', [
        'consent',
        'grant',
        '--subject',
        OWNER,
        '--scope',
        'COLLATERAL',
        '--purpose',
        'COLLATERAL_REGISTRATION',
        '--valid-from',
        ledgerTime(-60),
        '--valid-until',
        ledgerTime(365 * 86_400),
        '--consent-id',
        'cli-col-1',
        '--form',
        form,
      ]);
      expect(grant.code, grant.stderr).to.equal(0);
      const lien = await as('bankAOfficer', [
        'lien',
        'register',
        '--asset',
        'LAND_CONTRACT_RIGHT:CLI-LC-1',
        '--consent',
        'cli-col-1',
        '--amount',
        '1000000',
        '--loan-end',
        ledgerTime(300 * 86_400),
        '--lien-id',
        'cli-lien-1',
        '--json',
      ]);
      expect(lien.code, lien.stderr).to.equal(0);
      expect(json<{ lien: Record<string, unknown> }>(lien).lien).to.include({
        lienId: 'cli-lien-1',
        rank: 1,
        status: 'ACTIVE',
      });
      const shown = await as('bankAOfficer', ['asset', 'show', 'LAND_CONTRACT_RIGHT:CLI-LC-1']);
      expect(shown.code).to.equal(0);
      expect(shown.stdout).to.match(/\n1\s+cli-lien-1\s+BankAMSP\s+1000000\s+\S+\s+ACTIVE\n?$/);
      const released = await as('bankAOfficer', ['lien', 'release', 'cli-lien-1', '--json']);
      expect(json<{ lien: { status: string } }>(released).lien.status).to.equal('RELEASED');
      const after = await as('bankAOfficer', ['asset', 'show', 'LAND_CONTRACT_RIGHT:CLI-LC-1', '--json']);
      expect(json<{ liens: unknown[] }>(after).liens).to.deep.equal([]);
      const missing = await as('bankAOfficer', ['asset', 'show', 'LAND_CONTRACT_RIGHT:NOPE']);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/^ruralcredit: NOT_FOUND \(HTTP 404\): /);
    });

    it('when the bank lists and gets its lien, then lien list and lien get print it; another bank sees the public part', async () => {
      await login('bankBOfficer');
      const listed = await as('bankAOfficer', ['lien', 'list', '--json']);
      expect(listed.code, listed.stderr).to.equal(0);
      const items = json<{ items: { lienId: string; mortgagee: string; status: string }[] }>(listed).items;
      expect(items.find((l) => l.lienId === 'cli-lien-1')).to.include({
        mortgagee: ORG.bankA,
        status: 'RELEASED',
      });
      expect(items.every((l) => l.mortgagee === ORG.bankA)).to.equal(true);
      const own = await as('bankAOfficer', ['lien', 'get', 'cli-lien-1', '--json']);
      expect(json(own)).to.include({ lienId: 'cli-lien-1', mortgagee: ORG.bankA, visibility: 'FULL' });
      const other = await as('bankBOfficer', ['lien', 'get', 'cli-lien-1']);
      expect(other.code, other.stderr).to.equal(0);
      expect(other.stdout).to.match(/mortgagee:\s+\(not shown to this organisation\)/);
      expect(other.stdout).to.match(/visibility:\s+PUBLIC/);
    });

    it('when the regulator admits, suspends and reinstates a member, then member commands print it; a bank may not admit', async () => {
      await login('regulator');
      const admitted = await as('regulator', [
        'member',
        'admit',
        '--msp',
        'CliInsurerMSP',
        '--role',
        'INSURER',
        '--name',
        'Ningde Agricultural Insurance',
        '--reason',
        'licence AI-7',
        '--json',
      ]);
      expect(admitted.code, admitted.stderr).to.equal(0);
      expect(json<{ member: Record<string, unknown> }>(admitted).member).to.include({
        mspId: 'CliInsurerMSP',
        role: 'INSURER',
        status: 'ACTIVE',
        reason: 'licence AI-7',
      });
      const refused = await as('bankAOfficer', [
        'member',
        'admit',
        '--msp',
        'X1MSP',
        '--role',
        'BANK',
        '--name',
        'x',
        '--reason',
        'y',
      ]);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/^ruralcredit: FORBIDDEN_ROLE \(HTTP 403\): /);
      const suspended = await as('regulator', ['member', 'suspend', 'CliInsurerMSP', '--reason', 'audit']);
      expect(suspended.code, suspended.stderr).to.equal(0);
      expect(suspended.stdout).to.match(/status:\s+SUSPENDED since /);
      const shown = await as('bankAOfficer', ['member', 'show', 'CliInsurerMSP', '--json']);
      expect(json(shown)).to.include({ status: 'SUSPENDED', reason: 'audit' });
      const back = await as('regulator', [
        'member',
        'reinstate',
        'CliInsurerMSP',
        '--reason',
        'fixed',
        '--json',
      ]);
      expect(json<{ member: Record<string, unknown> }>(back).member).to.include({
        status: 'ACTIVE',
        reason: 'fixed',
      });
      const list = await as('bankAOfficer', ['member', 'list']);
      expect(list.stdout).to.match(/\nCliInsurerMSP\s+INSURER\s+ACTIVE\s/);
    });

    it('when the catalogue is listed, defined and versioned from files, then versions only increase', async () => {
      await login('regulator');
      await login('auditor');
      await login('bankAOfficer');
      const assets = await as('bankAOfficer', ['catalogue', 'asset-types']);
      expect(assets.code, assets.stderr).to.equal(0);
      expect(assets.stdout).to.match(/\nFISHING_RAFT\s+AgricultureMSP\s+EXCLUSIVE\s+50%\s+1\s/);
      const file = path.join(dir, 'sea-cucumber.json');
      const definition = {
        name: 'Sea cucumber pond right',
        issuer: ORG.agri,
        lienPolicy: 'RANKED',
        maxLtvBps: 5000,
        version: 1,
      };
      await writeFile(file, JSON.stringify({ code: 'SEA_CUCUMBER_POND', ...definition }));
      const defined = await as('regulator', ['catalogue', 'define', 'asset-type', file, '--json']);
      expect(defined.code, defined.stderr).to.equal(0);
      expect(json<{ assetType: Record<string, unknown> }>(defined).assetType).to.include({ version: 1 });
      await writeFile(file, JSON.stringify({ ...definition, version: 2, maxLtvBps: 4500 }));
      const updated = await as('regulator', ['catalogue', 'update', 'asset-type', 'SEA_CUCUMBER_POND', file]);
      expect(updated.code, updated.stderr).to.equal(0);
      expect(updated.stdout).to.match(/version:\s+2\n/);
      const again = await as('regulator', ['catalogue', 'update', 'asset-type', 'SEA_CUCUMBER_POND', file]);
      expect(again.code).to.equal(1);
      expect(again.stderr).to.match(/^ruralcredit: CONFLICT \(HTTP 409\): /);
      const datasets = await as('auditor', ['catalogue', 'dataset-types', '--json']);
      expect(json<{ items: { code: string }[] }>(datasets).items.map((d) => d.code)).to.include('HOMESTEAD');
    });

    it('when the regulator lists every organisation’s users, then logins and requests are counted', async () => {
      await login('regulator');
      await login('bankAAdmin');
      await login('bankAOfficer');
      await as('bankAOfficer', ['member', 'list']);
      await as('bankAOfficer', ['lien', 'list']);
      await as('bankAOfficer', ['catalogue', 'asset-types']);
      const all = await as('regulator', ['user', 'list-all', '--org', ORG.bankA, '--json']);
      expect(all.code, all.stderr).to.equal(0);
      const officer = json<{ items: { username: string; loginCount: number; requestCount: number }[] }>(
        all,
      ).items.find((u) => u.username === s.credentials('bankAOfficer').username);
      expect(officer?.loginCount).to.be.at.least(1);
      expect(officer?.requestCount).to.be.at.least(3);
      const refused = await as('bankAAdmin', ['user', 'list-all']);
      expect(refused.stderr).to.match(/^ruralcredit: FORBIDDEN_ROLE \(HTTP 403\): /);
      const fresh = await as('regulator', ['provider', 'freshness', ORG.land, '--json']);
      expect(
        json<{ datasets: { datasetType: string }[] }>(fresh).datasets.map((d) => d.datasetType),
      ).to.include('HOMESTEAD');
      const batches = await as('auditor', ['batch', 'list', '--dataset-type', 'HOMESTEAD', '--json']);
      expect(batches.code, batches.stderr).to.equal(0);
    });

    it('when following alerts and the consent is revoked, then the alert is printed as JSON and the follower exits 0', async () => {
      let subscribed: () => void = () => undefined;
      const open = new Promise<void>((resolve) => (subscribed = resolve));
      const follower = run(
        ['alerts', 'follow', '--count', '1', '--json'],
        envOf('bankAOfficer'),
        undefined,
        (text) => {
          if (text.includes('Following alerts')) subscribed();
        },
      );
      await open;
      const revoke = await as('bankAOfficer', [
        'consent',
        'revoke',
        'cli-col-1',
        '--reason',
        'LOAN_CLOSED',
        '--json',
      ]);
      expect(revoke.code, revoke.stderr).to.equal(0);
      const revoked = json<{ consent: { status: string }; txId: string }>(revoke);
      expect(revoked.consent.status).to.equal('REVOKED');
      const r = await follower;
      expect(r.code, r.stderr).to.equal(0);
      const alert = JSON.parse(r.stdout.trim()) as { name: string; txId: string };
      expect(alert).to.include({ name: 'ConsentRevoked', txId: revoked.txId });
    });
  });
});
