#!/usr/bin/env node
/**
 * The Fabric suite (`npm run test:fabric`, part of `npm test`): when Fabric
 * 3.1.x binaries are found, brings a fresh network up in a temporary folder
 * on its own ports, runs the gateway's acceptance suites on the `fabric`
 * backend and the network's own tests, and takes the network down. Without
 * the binaries it prints one line saying it was skipped and why.
 *
 *   FABRIC_TEST_KEEP=1       leave the network running afterwards (its folder is printed)
 *   FABRIC_TEST_PORT_BASE    first port (default 23000; the BFT phase 1000 above; below Linux's ephemeral range 32768-60999, where an outgoing connection could take a node's port)
 *   FABRIC_TEST_FILES        mocha file globs for the raft phase instead of the default set (space separated)
 *   FABRIC_TEST_BFT_FILES    the same for the BFT phase
 *   FABRIC_TEST_PHASES       which phases to run (default raft,bft)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
  'gateway-api/dist/test/financing/*.test.js',
  'gateway-api/dist/test/fabric-network/*.test.js',
];

/** The BFT phase: the whole flow and the orderer faults on four SmartBFT orderers. */
const BFT_FILES = [
  'gateway-api/dist/test/acceptance/journey.test.js',
  'gateway-api/dist/test/fabric-network/bft.test.js',
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
const portBase = Number(process.env.FABRIC_TEST_PORT_BASE ?? '23000');

/** The phases: each brings its own network up, runs its files on it, and takes it down. */
const PHASES = [
  { name: 'raft', upArgs: [], ports: portBase, files: DEFAULT_FILES },
  { name: 'bft', upArgs: ['--orderer', 'bft'], ports: portBase + 1000, files: BFT_FILES },
];

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The last lines of every node's log, so a failed phase says what the network did before it is removed. */
function printLogTails(dir, lines = 25) {
  const logDir = path.join(dir, '.logs');
  if (!existsSync(logDir)) return;
  for (const file of readdirSync(logDir).sort()) {
    const text = readFileSync(path.join(logDir, file), 'utf8').replace(
      new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
      '',
    );
    const tail = text.trimEnd().split('\n').slice(-lines);
    console.log(`--- ${file} (last ${tail.length} lines)\n${tail.join('\n')}`);
  }
}

const networkScript = path.join(root, 'network', 'scripts', 'network.mjs');
let current;
async function tearDown() {
  const phase = current;
  current = undefined;
  if (!phase) return;
  if (process.env.FABRIC_TEST_KEEP === '1') {
    console.log(
      `Fabric suite: ${phase.name} network kept running (NETWORK_DIR=${phase.dir} NETWORK_PORT_BASE=${phase.ports})`,
    );
    return;
  }
  await run(process.execPath, [networkScript, 'down', '--clean'], phase.env);
  rmSync(phase.dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void tearDown().then(() => process.exit(130));
  });
}

console.log(`Fabric suite: Fabric ${install.version} from ${install.binDir}`);
const only = process.env.FABRIC_TEST_PHASES?.split(',');
const results = [];
let code = 0;
for (const phase of PHASES.filter((p) => !only || only.includes(p.name))) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ruralcredit-fabric-${phase.name}-`));
  const env = {
    ...process.env,
    NETWORK_DIR: dir,
    NETWORK_PORT_BASE: String(phase.ports),
    TEST_LEDGER: 'fabric',
    GATEWAY_CONNECTION_PROFILE: path.join(dir, '.generated', 'connection.json'),
    CORE_CHAINCODE_LOGGING_LEVEL: process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'CRITICAL',
  };
  current = { ...phase, dir, env };
  console.log(`Fabric suite [${phase.name}]: network in ${dir}, ports from ${phase.ports}`);
  let phaseCode = 1;
  let upMs = 0;
  let testMs = 0;
  try {
    const upStart = Date.now();
    phaseCode = await run(process.execPath, [networkScript, 'up', ...phase.upArgs], env);
    upMs = Date.now() - upStart;
    if (phaseCode === 0) {
      const chosen = process.env[phase.name === 'raft' ? 'FABRIC_TEST_FILES' : 'FABRIC_TEST_BFT_FILES'];
      const files = chosen?.split(/\s+/).filter(Boolean) ?? phase.files;
      const testStart = Date.now();
      phaseCode = await run(
        process.execPath,
        [
          path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
          '--no-config',
          '--timeout',
          '400000',
          '--enable-source-maps',
          '--reporter',
          'spec',
          ...files,
        ],
        env,
      );
      testMs = Date.now() - testStart;
    }
  } finally {
    if (phaseCode !== 0) printLogTails(dir);
    await tearDown();
  }
  results.push(
    `${phase.name}: ${phaseCode === 0 ? 'passed' : 'FAILED'} (network up ${seconds(upMs)}, tests ${seconds(testMs)})`,
  );
  if (phaseCode !== 0) code = phaseCode;
}
console.log(
  `Fabric suite: ${code === 0 ? 'passed' : 'FAILED'}; ${results.join('; ')}; total ${seconds(Date.now() - started)}`,
);
process.exit(code);
