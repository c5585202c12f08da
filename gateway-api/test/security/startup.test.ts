/**
 * Issue 12 item 22: start-up and README.
 *
 * - A taken port was found only after the demo ledger was bootstrapped and
 *   seeded, then reported as a raw EADDRINUSE stack trace: now it is checked
 *   first, and the message names the setting that changes it.
 * - The start-up hint and the README's quick start name the same demo
 *   subject, consent and bank.
 * - The README's table of settings lists every GATEWAY_* variable the gateway
 *   reads, with the default config.ts applies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SECRET_SETTINGS, settingDefaults } from '../../src/config';
import { caseIt } from './recorder';

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const SRC = path.join(REPO, 'gateway-api', 'src');

function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function startMain(env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string; exit: Promise<Exit> } {
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exit = new Promise<Exit>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  );
  return { child, out: () => stdout, exit };
}

function baseEnv(dir: string): NodeJS.ProcessEnv {
  return {
    GATEWAY_DATA_DIR: dir,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: '0',
    GATEWAY_OPERATIONS_PORT: '0',
    GATEWAY_DEMO: '1',
    GATEWAY_DEMO_FARMERS: '5',
    GATEWAY_LOG_LEVEL: 'error',
    GATEWAY_SCRYPT_LOG2_N: '14',
    GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
    GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
  };
}

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('security: start-up and README (issue 12 item 22)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-startup-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  caseIt(
    'H22',
    'when the API or operations port is taken, then the gateway exits 1 before opening the ledger, naming the setting, without a stack trace',
    async (figures) => {
      const held = await holdPort();
      try {
        const violations: string[] = [];
        for (const setting of ['GATEWAY_PORT', 'GATEWAY_OPERATIONS_PORT']) {
          figures.tried += 1;
          const dataDir = path.join(dir, setting);
          const run = startMain({ ...baseEnv(dataDir), [setting]: String(held.port) });
          const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
          const exit = await run.exit;
          clearTimeout(timer);
          if (exit.code === 0 || exit.stdout.includes('Gateway listening')) figures.acknowledged += 1;
          const message = exit.stderr.trim();
          if (exit.code !== 1) violations.push(`${setting}: exit ${exit.code}`);
          if (
            !message.includes(setting) ||
            !message.includes(`port ${held.port}`) ||
            !message.includes('in use')
          )
            violations.push(`${setting}: message ${JSON.stringify(message.slice(0, 200))}`);
          if (/^\s+at /m.test(message)) violations.push(`${setting}: stack trace printed`);
          if (existsSync(path.join(dataDir, 'embedded')))
            violations.push(`${setting}: the ledger was opened first`);
          figures.notes.push(
            `${setting} taken: exit ${exit.code} after ${exit.ms} ms: ${message.split('\n')[0]}`,
          );
        }
        figures.found = violations.length;
        expect(violations).to.deep.equal([]);
      } finally {
        held.server.close();
      }
    },
  );

  caseIt(
    'H22',
    'when the demo starts, then its hint names the subject, consent and bank of the README quick start',
    async (figures) => {
      const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
      const quick =
        /ruralcredit login --username (\S+) .*\n.*report request --subject (\S+) --consent (\S+)/.exec(
          readme,
        );
      expect(quick, 'README quick start: login, then report request').not.to.equal(null);
      const [, readmeUser, readmeSubject, readmeConsent] = quick!;
      const run = startMain(baseEnv(dir));
      try {
        const deadline = Date.now() + 90_000;
        while (!/Try a report/.test(run.out()) && Date.now() < deadline && run.child.exitCode === null)
          await new Promise((r) => setTimeout(r, 100));
        const hint = /Try a report as (\S+)'s loan officer: subjectId (\S+), consentId (\S+),/.exec(
          run.out(),
        );
        expect(hint, `start-up output: ${run.out()}`).not.to.equal(null);
        const [, bank, subject, consent] = hint!;
        figures.tried = 1;
        const login = new RegExp(`${bank}\\s+(\\S+loan-officer)\\s`).exec(run.out());
        expect({ subject, consent, user: login?.[1] }).to.deep.equal({
          subject: readmeSubject,
          consent: readmeConsent,
          user: readmeUser,
        });
        figures.acknowledged = 1;
        figures.notes.push(`hint and README: ${readmeUser} of ${bank}, subject ${subject}, ${consent}`);
      } finally {
        run.child.kill('SIGTERM');
        await run.exit;
      }
    },
  );

  caseIt(
    'H22',
    'when the README table of settings is compared with config.ts and the sources, then every GATEWAY_* variable is listed once with its default',
    (figures) => {
      const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
      const rows = new Map<string, string>();
      for (const m of readme.matchAll(/^\| `(GATEWAY_[A-Z0-9_]+)` \| ([^|]*) \|/gm)) {
        expect(rows.has(m[1]!), `${m[1]} listed twice`).to.equal(false);
        rows.set(m[1]!, m[2]!.trim());
      }
      const read = new Set<string>();
      for (const file of sources(SRC)) {
        for (const m of readFileSync(file, 'utf8').matchAll(/\b(GATEWAY_[A-Z0-9_]+)\b/g)) read.add(m[1]!);
      }
      read.delete('GATEWAY_TIMEOUT'); // an error code, not a setting
      const problems: string[] = [];
      for (const name of read) if (!rows.has(name)) problems.push(`${name} is read but not in the README`);
      for (const name of rows.keys())
        if (!read.has(name)) problems.push(`${name} is in the README but never read`);
      for (const [name, value] of Object.entries(settingDefaults())) {
        figures.tried += 1;
        const cell = rows.get(name);
        if (value !== undefined && cell !== undefined && !cell.startsWith(`\`${value}\``))
          problems.push(`${name}: README says ${cell}, config.ts ${value}`);
      }
      for (const name of SECRET_SETTINGS)
        if (!rows.get(name)?.startsWith('none')) problems.push(`${name}: default should say none`);
      figures.found = problems.length;
      figures.notes.push(`${rows.size} settings in the README table; ${read.size} read by the sources`);
      expect(problems).to.deep.equal([]);
      return Promise.resolve();
    },
  );
});
