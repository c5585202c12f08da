/**
 * Issue 7 case 4 on the embedded backend: the gateway process (which here
 * also holds the ledger) is killed with SIGKILL by PID in the middle of a
 * stream of consent and report writes, and started again over the same data
 * directory. Every acknowledged write must be found, the unacknowledged ones
 * resubmitted must not be duplicated, and the off-chain audit index must
 * equal a replay of the ledger: every access exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { sha256Hex } from '@ruralcredit/protocol';
import { loadConsortium, openLedger } from '../../src/app';
import { loadConfig } from '../../src/config';
import { demoFarmerId } from '../../src/demo/seed';
import { memoryLogger } from '../helpers';
import { replayLedger } from '../indexer/ledger-fixture';
import { caseIt } from './recorder';

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const WORKERS = 4;
/** Acknowledged writes after which the gateway is killed. */
const KILL_AFTER = 80;

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  /** Password of each demo login, by user name. */
  readonly logins: ReadonlyMap<string, { orgMspId: string; password: string; roles: string }>;
}

/** Starts `npm start`'s entry point as a process and reads its URL and demo logins. */
function startGateway(env: NodeJS.ProcessEnv): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${err}`)));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const url = /Gateway listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url === undefined || !out.includes('Demo data')) return;
      const logins = new Map<string, { orgMspId: string; password: string; roles: string }>();
      for (const m of out.matchAll(/^\s+(\S+MSP)\s+(\S+)\s+(\S+)\s+\[([^\]]+)\]$/gm)) {
        logins.set(m[2]!, { orgMspId: m[1]!, password: m[3]!, roles: m[4]! });
      }
      child.removeAllListeners('exit');
      resolve({ child, url, logins });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function login(gw: Running, orgMspId: string, role: string): Promise<string> {
  const entry = [...gw.logins].find(([, l]) => l.orgMspId === orgMspId && l.roles.includes(role));
  if (!entry) throw new Error(`no demo login for ${orgMspId} ${role}`);
  const res = await fetch(`${gw.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: entry[0], password: entry[1].password }),
  });
  expect(res.status).to.equal(200);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** The signed form uploaded with `consentId`. */
function formText(consentId: string): string {
  return `%PDF-1.7\nsigned form ${consentId}`;
}

function consentForm(consentId: string, n: number): FormData {
  const now = Math.floor(Date.now() / 1000);
  const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const data = new FormData();
  data.set(
    'consent',
    JSON.stringify({
      consentId,
      subjectId: demoFarmerId(n),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      validFrom: iso(now - 60),
      validUntil: iso(now + 30 * 86_400),
    }),
  );
  data.set('evidence', new Blob([Buffer.from(formText(consentId))]), 'consent.pdf');
  return data;
}

/** Every access the auditor sees in the index, in index order. */
async function indexedAccesses(
  gw: Running,
  token: string,
): Promise<{ accessId: string; txId: string; blockNumber: number }[]> {
  const all: { accessId: string; txId: string; blockNumber: number }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${cursor}`;
    const res = await fetch(`${gw.url}/api/v1/audit/accesses?limit=50${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).to.equal(200);
    const page = (await res.json()) as {
      items: { accessId: string; txId: string; blockNumber: number }[];
      nextCursor: string | null;
    };
    all.push(...page.items.map(({ accessId, txId, blockNumber }) => ({ accessId, txId, blockNumber })));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

describe('faults: the gateway process killed mid-stream (issue 7 case 4, embedded backend)', function () {
  this.timeout(180_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let gw: Running | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-kill-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GATEWAY_DATA_DIR: dir,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      GATEWAY_OPERATIONS_PORT: '0',
      GATEWAY_SCRYPT_LOG2_N: '14',
      GATEWAY_LEDGER: 'embedded',
      GATEWAY_DEMO: '1',
      GATEWAY_DEMO_FARMERS: '200',
      GATEWAY_LOG_LEVEL: 'error',
      GATEWAY_RATE_LIMIT_PER_MINUTE: '100000',
      GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
      GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
      CORE_CHAINCODE_LOGGING_LEVEL: 'CRITICAL',
    };
  });
  after(async () => {
    if (gw !== undefined && gw.child.exitCode === null) {
      gw.child.kill('SIGKILL');
      await exited(gw.child);
    }
    await rm(dir, { recursive: true, force: true });
  });

  caseIt(
    '4',
    'when the gateway is killed by PID during consent and report writes and restarted, then every acknowledged write is found once, resubmissions are not duplicated, and the index equals the ledger',
    async (figures) => {
      gw = await startGateway(env);
      const first = gw;
      const bankA = await login(first, 'BankAMSP', 'LOAN_OFFICER');
      const consentsAcked = new Set<string>();
      const consentsUnacked = new Set<string>();
      const reportsAcked = new Map<string, string>(); // accessId -> txId
      const reportsUnacked: { accessId: string; consentId: string; n: number }[] = [];
      let acked = 0;
      let killed = false;

      const worker = async (w: number): Promise<void> => {
        for (let k = 0; !killed; k++) {
          const n = 1 + ((w * 50 + k) % 200);
          const consentId = `kill-c-${w}-${k}`;
          figures.tried += 1;
          try {
            const res = await fetch(`${first.url}/api/v1/consents`, {
              method: 'POST',
              headers: { authorization: `Bearer ${bankA}` },
              body: consentForm(consentId, n),
            });
            if (res.status !== 201) throw new Error(`consent ${res.status}: ${await res.text()}`);
            consentsAcked.add(consentId);
            acked += 1;
          } catch (err) {
            if (!killed) throw err;
            consentsUnacked.add(consentId);
            return;
          }
          figures.tried += 1;
          try {
            const res = await fetch(`${first.url}/api/v1/reports`, {
              method: 'POST',
              headers: { authorization: `Bearer ${bankA}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                subjectId: demoFarmerId(n),
                consentId,
                datasets: ['HOMESTEAD'],
                purpose: 'LOAN_APPLICATION',
                accessId: `kill-a-${w}-${k}`,
              }),
            });
            if (res.status !== 201) throw new Error(`report ${res.status}: ${await res.text()}`);
            const body = (await res.json()) as { accessId: string; txId: string };
            reportsAcked.set(body.accessId, body.txId);
            acked += 1;
          } catch (err) {
            if (!killed) throw err;
            reportsUnacked.push({ accessId: `kill-a-${w}-${k}`, consentId, n });
            return;
          }
          if (acked >= KILL_AFTER && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      await exited(first.child);
      expect(first.child.signalCode).to.equal('SIGKILL');
      figures.acknowledged = consentsAcked.size + reportsAcked.size;
      figures.notes.push(
        `killed after ${figures.acknowledged} acknowledged writes (${consentsAcked.size} consents, ${reportsAcked.size} reports); ` +
          `in flight: ${consentsUnacked.size} consents, ${reportsUnacked.length} reports`,
      );

      // Restart over the same data directory.
      gw = await startGateway(env);
      const second = gw;
      const bankA2 = await login(second, 'BankAMSP', 'LOAN_OFFICER');
      const auditor = await login(second, 'RegulatorMSP', 'AUDITOR');

      /** The consent is on the ledger with its form's hash, and the form store holds that form. */
      const readBack = async (consentId: string): Promise<void> => {
        const headers = { authorization: `Bearer ${bankA2}` };
        const res = await fetch(`${second.url}/api/v1/consents/${consentId}`, { headers });
        expect(res.status, consentId).to.equal(200);
        const grant = (await res.json()) as { evidence: { formHash?: string } };
        expect(grant.evidence.formHash, `${consentId} form hash on the ledger`).to.equal(
          sha256Hex(Buffer.from(formText(consentId))),
        );
        const form = await fetch(`${second.url}/api/v1/consents/${consentId}/form`, { headers });
        expect(form.status, `${consentId} form`).to.equal(200);
        expect(await form.text(), `${consentId} stored form`).to.equal(formText(consentId));
      };
      // Every acknowledged consent is on the ledger, with its form stored.
      let found = 0;
      for (const consentId of consentsAcked) {
        await readBack(consentId);
        found += 1;
      }
      // Unacknowledged consents, resubmitted: recorded once (201 now, or 200 if the first attempt committed).
      const resubmitted: number[] = [];
      for (const consentId of consentsUnacked) {
        const [, w, k] = /^kill-c-(\d+)-(\d+)$/.exec(consentId)!.map(Number) as [number, number, number];
        const res = await fetch(`${second.url}/api/v1/consents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bankA2}` },
          body: consentForm(consentId, 1 + ((w * 50 + k) % 200)),
        });
        resubmitted.push(res.status);
        expect([200, 201], await res.clone().text()).to.include(res.status);
        await readBack(consentId);
        const again = await fetch(`${second.url}/api/v1/consents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bankA2}` },
          body: consentForm(consentId, 1 + ((w * 50 + k) % 200)),
        });
        expect(again.status, 'a second resubmission').to.equal(200);
        await readBack(consentId);
      }
      figures.notes.push(
        `resubmitted consents answered ${JSON.stringify(resubmitted)}, then 200 each; every one read back from the ledger and the form store`,
      );

      // Unacknowledged reports, resubmitted with their accessId: answered once, recorded once.
      const reportRetries: number[] = [];
      const resubmittedReports = new Map<string, string>();
      for (const r of reportsUnacked) {
        const retry = async () =>
          fetch(`${second.url}/api/v1/reports`, {
            method: 'POST',
            headers: { authorization: `Bearer ${bankA2}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              subjectId: demoFarmerId(r.n),
              consentId: r.consentId,
              datasets: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
              accessId: r.accessId,
            }),
          });
        const res = await retry();
        reportRetries.push(res.status);
        expect([200, 201], await res.clone().text()).to.include(res.status);
        const body = (await res.json()) as { accessId: string; txId: string };
        const again = await retry();
        expect(again.status, 'a second resubmission').to.equal(200);
        expect(((await again.json()) as { txId: string }).txId).to.equal(body.txId);
        resubmittedReports.set(body.accessId, body.txId);
      }
      figures.notes.push(`resubmitted reports answered ${JSON.stringify(reportRetries)}, then 200 each`);

      // Every acknowledged report's access is in the index exactly once, and the index has no duplicates.
      const indexed = await indexedAccesses(second, auditor);
      const ids = indexed.map((a) => a.accessId);
      expect(new Set(ids).size, 'duplicate access IDs in the index').to.equal(ids.length);
      for (const [accessId, txId] of reportsAcked) {
        const entry = indexed.find((a) => a.accessId === accessId);
        expect(entry?.txId, accessId).to.equal(txId);
        found += 1;
      }
      figures.found = found;
      for (const [accessId, txId] of resubmittedReports) {
        expect(indexed.find((a) => a.accessId === accessId)?.txId, accessId).to.equal(txId);
      }

      // Stop cleanly and compare the index with a replay of the ledger it was built from.
      second.child.kill('SIGTERM');
      await exited(second.child);
      const { logger } = memoryLogger();
      const ledger = await openLedger(loadConfig(env), loadConsortium(), logger, env);
      try {
        const replay = await replayLedger(ledger);
        // The index lists by transaction time, the replay by ledger position: compare as sets.
        const byId = (a: { accessId: string }, b: { accessId: string }) =>
          a.accessId.localeCompare(b.accessId);
        expect([...indexed].sort(byId)).to.deep.equal(
          replay.accesses
            .map(({ accessId, txId, blockNumber }) => ({ accessId, txId, blockNumber }))
            .sort(byId),
        );
        figures.notes.push(`index = ledger replay: ${replay.accesses.length} accesses, each once`);
      } finally {
        await ledger.close();
      }
      expect(found).to.equal(figures.acknowledged);
    },
  );
});
