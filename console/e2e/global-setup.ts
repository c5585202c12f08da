/**
 * Starts the real gateway (embedded ledger, demo consortium and data) on free
 * ports in a temporary data directory, reads its URL and demo logins from
 * what it prints, and hands them to the journeys through the environment.
 * The returned function stops it and removes the directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function globalSetup(): Promise<() => Promise<void>> {
  const main = path.join(repo, 'gateway-api', 'dist', 'src', 'main.js');
  const built = path.join(repo, 'console', 'dist', 'index.html');
  for (const file of [main, built]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'console-e2e-'));
  const child = spawn(process.execPath, [main], {
    cwd: repo,
    env: {
      ...process.env,
      GATEWAY_PORT: '0',
      GATEWAY_OPERATIONS_PORT: '0',
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_DEMO: '1',
      GATEWAY_DEMO_FARMERS: '120',
      GATEWAY_SCRYPT_LOG2_N: '14',
      GATEWAY_LOG_LEVEL: 'error',
      GATEWAY_LEDGER: 'embedded',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Try a report as|Demo data already present/.test(output)) resolve(output);
    });
    child.once('exit', (code) =>
      reject(new Error(`the gateway exited (${code}) before it was ready:\n${output}`)),
    );
    setTimeout(
      () => reject(new Error(`the gateway was not ready within 120 s:\n${output}`)),
      120_000,
    ).unref();
  });
  const printed = await ready;
  const url = /Gateway listening on (http:\/\/\S+)/.exec(printed)?.[1];
  if (url === undefined) throw new Error(`no URL in the gateway's output:\n${printed}`);
  const logins: Record<string, string> = {};
  for (const m of printed.matchAll(/^\s+(\w+MSP)\s+(\S+)\s+(\S+)\s+\[/gm)) logins[m[2]!] = m[3]!;
  const tryLine = /Try a report as (\w+)'s loan officer: subjectId (\S+), consentId ([^,\s]+)/.exec(printed);
  if (tryLine === null) throw new Error(`no demo report hint in the gateway's output:\n${printed}`);
  process.env.CONSOLE_E2E_TRY = JSON.stringify({
    bank: tryLine[1],
    subjectId: tryLine[2],
    consentId: tryLine[3],
  });
  process.env.CONSOLE_E2E_URL = url;
  process.env.CONSOLE_E2E_LOGINS = JSON.stringify(logins);
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
}
