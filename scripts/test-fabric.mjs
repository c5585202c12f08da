#!/usr/bin/env node
/**
 * The Fabric suite (`npm run test:fabric`, part of `npm test`): when Fabric
 * 3.1.x binaries are found, brings a fresh network up in a temporary folder
 * on its own ports, runs the gateway's acceptance suites on the `fabric`
 * backend and the network's own tests, and takes the network down. Without
 * the binaries it prints one line saying it was skipped and why.
 *
 *   FABRIC_TEST_KEEP=1       leave the network running afterwards (its folder is printed)
 *   FABRIC_TEST_PORT_BASE    first port (default 37000)
 *   FABRIC_TEST_FILES        mocha file globs instead of the default set (space separated)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFabric } from '../network/scripts/lib/fabric-bin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Suites that run on the real network: backend-agnostic acceptance suites, then the network's own. */
const DEFAULT_FILES = [
  'gateway-api/dist/test/acceptance/*.test.js',
  'gateway-api/dist/test/consent/*.test.js',
  'gateway-api/dist/test/reports/*.test.js',
  'gateway-api/dist/test/collateral/*.test.js',
  'gateway-api/dist/test/disputes/*.test.js',
  'gateway-api/dist/test/subjects/*.test.js',
  'gateway-api/dist/test/audit/audit.test.js',
  'gateway-api/dist/test/provenance/provenance.test.js',
  'gateway-api/dist/test/alerts/alerts.test.js',
  'gateway-api/dist/test/fabric-network/*.test.js',
];

const { install, problem } = findFabric();
if (!install) {
  console.log(
    `Fabric suite skipped: no Fabric 3.1.x binaries (${problem}); see "Fabric network" in the README.`,
  );
  process.exit(0);
}

const started = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const networkDir = mkdtempSync(path.join(os.tmpdir(), 'ruralcredit-fabric-'));
const env = {
  ...process.env,
  NETWORK_DIR: networkDir,
  NETWORK_PORT_BASE: process.env.FABRIC_TEST_PORT_BASE ?? '37000',
  TEST_LEDGER: 'fabric',
  GATEWAY_CONNECTION_PROFILE: path.join(networkDir, '.generated', 'connection.json'),
  CORE_CHAINCODE_LOGGING_LEVEL: process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'CRITICAL',
};

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const network = (...args) =>
  run(process.execPath, [path.join(root, 'network', 'scripts', 'network.mjs'), ...args]);

let tearingDown = false;
async function tearDown() {
  if (tearingDown) return;
  tearingDown = true;
  if (process.env.FABRIC_TEST_KEEP === '1') {
    console.log(`Fabric suite: network kept running in ${networkDir} (NETWORK_DIR=${networkDir})`);
    return;
  }
  await network('down', '--clean');
  rmSync(networkDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void tearDown().then(() => process.exit(130));
  });
}

console.log(`Fabric suite: Fabric ${install.version} from ${install.binDir}; network in ${networkDir}`);
let code = 1;
let upMs = 0;
let testMs = 0;
try {
  const upStart = Date.now();
  code = await network('up');
  upMs = Date.now() - upStart;
  if (code === 0) {
    const files = process.env.FABRIC_TEST_FILES?.split(/\s+/).filter(Boolean) ?? DEFAULT_FILES;
    const testStart = Date.now();
    code = await run(process.execPath, [
      path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--no-config',
      '--timeout',
      '180000',
      '--enable-source-maps',
      '--reporter',
      'spec',
      ...files,
    ]);
    testMs = Date.now() - testStart;
  }
} finally {
  await tearDown();
}
console.log(
  `Fabric suite: ${code === 0 ? 'passed' : 'FAILED'}; network up ${seconds(upMs)}, tests ${seconds(testMs)}, ` +
    `total ${seconds(Date.now() - started)}`,
);
process.exit(code);
