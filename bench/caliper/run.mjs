// Bench items 1 and 6 on a real Fabric network: Hyperledger Caliper 0.6 with its Fabric
// peer-gateway connector (the packages `caliper bind --caliper-bind-sut fabric:fabric-gateway`
// installs, pinned in bench/caliper/package.json) against the project's network, started here with
// `network.mjs up --bench` (3 Raft orderers, or 4 SmartBFT with --orderer bft; 3 peers, 2-of-3
// endorsement, 250 ms batches; plus the test-only blind-write chaincode as a second CCaaS chaincode).
//
//   node bench/caliper/run.mjs [--orderer raft,bft] [--seconds 20] [--rate 10] [--load 64]
//                              [--fresh] [--keep] [--emit]
// --fresh wipes a network left in .data/caliper/<raft|bft> first (its ledger grows with every
// run); --keep leaves the network running afterwards (else it is stopped, ledger kept).
//
// Caliper and its binding are installed on demand (`npm ci --prefix bench/caliper`); they are not
// in the root workspaces' lockfile. Rounds: fixed-rate then fixed-load rounds (at most --load in
// flight, bench/caliper/in-flight.cjs) of blind write,
// Access:RecordAccess, Collateral:RegisterLien (distinct seeded assets) and Collateral:GetAsset;
// on BFT the blind write and RecordAccess rounds. CPU seconds of every network process (and of
// Caliper itself) are read from /proc/<pid>/stat when Caliper logs a round's start and end.
// Without --emit: prints the table and writes the rows into bench/results/latest.json (replacing
// the item 1 and 6 rows); with --emit (bench/run.mjs): prints the result as one JSON line.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFabric } from '../../network/scripts/lib/fabric-bin.mjs';
import { topology } from '../../network/scripts/lib/topology.mjs';
import { intArg, log, parseArgs, percentile } from '../lib.mjs';
import { anchorsOf, caliperRows, mergeIntoResults, table } from './rows.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const NETWORK = path.join(ROOT, 'network', 'scripts', 'network.mjs');
const CALIPER_BIN = path.join(HERE, 'node_modules', '@hyperledger', 'caliper-cli', 'caliper.js');
const WORK = path.join(ROOT, '.data', 'caliper');
const execFileAsync = promisify(execFile);
const CLK_TCK = 100;

const args = parseArgs();
const orderers = String(args.orderer ?? 'raft,bft').split(',');
const seconds = intArg(args, 'seconds', 20);
const rate = intArg(args, 'rate', 10);
const load = intArg(args, 'load', 64);
const WORKERS = 2;

/** Installs Caliper from its own lockfile when it is missing. */
async function ensureCaliper() {
  if (existsSync(CALIPER_BIN)) return;
  log('installing Caliper 0.6 and its fabric-gateway binding (npm ci --prefix bench/caliper)');
  await execFileAsync('npm', ['ci', '--prefix', HERE, '--no-audit', '--no-fund', '--ignore-scripts'], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** utime + stime of a process in clock ticks, or undefined once it is gone. */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** PIDs of `root` and its descendants. */
function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** The network's processes by group, from its PID files. */
function networkProcesses(t) {
  const pidOf = (name) => {
    const file = path.join(t.runDir, `${name}.pid`);
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).pid : undefined;
  };
  const group = (names) => names.map(pidOf).filter((p) => p !== undefined);
  return {
    orderers: group(t.orderers.map((o) => o.name)),
    peers: group(t.peers.map((p) => p.name)),
    chaincodeServers: group(t.peers.map((p) => p.ccaas.name)),
    blindWriteServers: group(t.peers.map((p) => p.benchCcaas.name)),
  };
}

/** CPU ticks per group at this instant; `client` is Caliper's manager and workers. */
function sampleCpu(groups, caliperPid) {
  const sum = (pids) => pids.reduce((s, p) => s + (cpuTicks(p) ?? 0), 0);
  const sample = { at: Date.now() };
  for (const [name, pids] of Object.entries(groups)) sample[name] = sum(pids);
  sample.client = sum(processTree(caliperPid));
  return sample;
}

/** The Caliper connection profile of one organisation: its own gateway peer. */
function connectionProfile(t, org) {
  const peer = t.gatewayPeers(org)[0];
  return {
    name: `ruralcredit-${org.mspId}`,
    version: '1.0.0',
    client: { organization: org.mspId },
    organizations: { [org.mspId]: { mspid: org.mspId, peers: [peer.name] } },
    peers: {
      [peer.name]: {
        url: `grpcs://${t.host}:${peer.port}`,
        tlsCACerts: { path: peer.org.tlsCaCert },
        grpcOptions: { 'ssl-target-name-override': peer.hostname },
      },
    },
  };
}

function rounds(consensus, seedFile, outcomesDir) {
  const fixedRate = { type: 'fixed-rate', opts: { tps: rate } };
  // Fixed load: at most `load` in flight (in-flight.cjs, which never sleeps while below it).
  const fixedLoad = { type: path.join(HERE, 'in-flight.cjs'), opts: { transactionLoad: load } };
  // Labels are unique (the round's number first): Caliper's summary is read back by label.
  let n = 0;
  const round = (op, control) => ({
    label: `${++n}-${op}-${control === fixedRate ? 'rate' : 'load'}`,
    txDuration: seconds,
    rateControl: control,
    workload: { module: path.join(HERE, 'workload.cjs'), arguments: { op, seedFile, outcomesDir } },
  });
  if (consensus === 'bft') {
    return [
      round('recordAccess', fixedRate),
      round('blindWrite', fixedLoad),
      round('recordAccess', fixedLoad),
    ];
  }
  return [
    round('blindWrite', fixedRate),
    round('recordAccess', fixedRate),
    round('registerLien', fixedRate),
    round('getAsset', fixedRate),
    round('blindWrite', fixedLoad),
    round('recordAccess', fixedLoad),
    round('registerLien', fixedLoad),
    round('getAsset', fixedLoad),
    // The blind write again: the ratios take the mean of the two blind-write load rounds around them.
    round('blindWrite', fixedLoad),
  ];
}

/** Caliper's summary table rows from its console output: name -> figures. */
function parseSummary(output) {
  const summary = new Map();
  for (const line of output.split('\n')) {
    const cells = line
      .split('|')
      .map((c) => c.trim())
      .filter((c, i, all) => i > 0 && i < all.length - 1);
    if (cells.length !== 8 || !/^\d+$/.test(cells[1])) continue;
    const [name, succ, fail, sendTps, maxS, minS, avgS, tps] = cells;
    summary.set(name, {
      succ: Number(succ),
      fail: Number(fail),
      sendTps: Number(sendTps),
      maxLatencyS: Number(maxS),
      minLatencyS: Number(minS),
      avgLatencyS: Number(avgS),
      tps: Number(tps),
    });
  }
  return summary;
}

async function runCaliper(dir, t, plan, groups) {
  const bank = t.organisations.find((o) => o.mspId === 'BankAMSP') ?? t.organisations[1];
  const msp = path.join(bank.clientDir, 'msp');
  const ccpFile = path.join(dir, 'connection-profile.yaml');
  await writeFile(ccpFile, JSON.stringify(connectionProfile(t, bank), null, 2));
  const networkFile = path.join(dir, 'network.yaml');
  await writeFile(
    networkFile,
    JSON.stringify(
      {
        name: 'ruralcredit',
        version: '2.0.0',
        caliper: { blockchain: 'fabric' },
        channels: [
          {
            channelName: t.channel,
            contracts: [{ id: t.chaincode }, { id: t.benchChaincode }],
          },
        ],
        organizations: [
          {
            mspid: bank.mspId,
            identities: {
              certificates: [
                {
                  name: 'User1',
                  clientPrivateKey: { path: path.join(msp, 'keystore', 'priv_sk') },
                  clientSignedCert: { path: path.join(msp, 'signcerts', `User1@${bank.domain}-cert.pem`) },
                },
              ],
            },
            connectionProfile: { path: ccpFile, discover: true },
          },
        ],
      },
      null,
      2,
    ),
  );
  const benchFile = path.join(dir, 'benchmark.yaml');
  await writeFile(
    benchFile,
    JSON.stringify({ test: { name: 'ruralcredit', workers: { number: WORKERS }, rounds: plan } }, null, 2),
  );
  const proc = spawn(
    process.execPath,
    [
      CALIPER_BIN,
      'launch',
      'manager',
      '--caliper-workspace',
      dir,
      '--caliper-networkconfig',
      networkFile,
      '--caliper-benchconfig',
      benchFile,
      '--caliper-flow-only-test',
      '--caliper-report-path',
      path.join(dir, 'report.html'),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const samples = new Map();
  let output = '';
  let pending = '';
  const onData = (chunk) => {
    output += chunk;
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const m = /(Started|Finished) round (\d+) \(([^)]+)\)/.exec(line);
      if (m) {
        const key = `${m[3]}#${m[2]}`;
        if (!samples.has(key)) samples.set(key, {});
        samples.get(key)[m[1] === 'Started' ? 'start' : 'end'] = sampleCpu(groups, proc.pid);
        log(`caliper: ${m[1].toLowerCase()} round ${m[2]} (${m[3]})`);
      } else if (/error/i.test(line) && !/Failed to perform/.test(line)) {
        console.error(`  caliper: ${line.slice(0, 300)}`);
      }
    }
  };
  proc.stdout.setEncoding('utf8').on('data', onData);
  proc.stderr.setEncoding('utf8').on('data', onData);
  const code = await new Promise((resolve) => proc.on('close', resolve));
  await writeFile(path.join(dir, 'caliper.log'), output);
  if (code !== 0) throw new Error(`caliper exited with ${code}; see ${path.join(dir, 'caliper.log')}`);
  return { summary: parseSummary(output), samples, failures: countFailures(output) };
}

/** Caliper's own error lines per transaction, grouped by the first line of the error. */
function countFailures(output) {
  const reasons = {};
  for (const m of output.matchAll(
    /Failed to perform submit transaction \[([^\]]+)\][^\n]*with error: ([^\n]*)/g,
  )) {
    const reason = `${m[1]}: ${m[2].slice(0, 160)}`;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return reasons;
}

/** Per-transaction latencies and checked outcomes the workload module wrote for one round. */
async function outcomesOf(outcomesDir, roundIndex) {
  const files = readdirSync(outcomesDir).filter((f) => f.startsWith(`${roundIndex}-`));
  const merged = { answered: 0, expected: 0, unexpected: 0, failed: 0, exhausted: 0, latenciesMs: [] };
  for (const f of files) {
    const o = JSON.parse(await readFile(path.join(outcomesDir, f), 'utf8'));
    for (const k of ['answered', 'expected', 'unexpected', 'failed', 'exhausted']) merged[k] += o[k] ?? 0;
    merged.latenciesMs.push(...(o.latenciesMs ?? []));
    // Each worker's mean in flight as its transactions left; the workers' sum is the round's load.
    if (o.sent > 0) merged.inFlightAtSend = (merged.inFlightAtSend ?? 0) + o.inFlightAtSend / o.sent;
  }
  return merged;
}

async function measure(consensus) {
  const portBase =
    consensus === 'bft'
      ? Number(process.env.BENCH_FABRIC_BFT_PORT_BASE ?? 25500)
      : Number(process.env.BENCH_FABRIC_PORT_BASE ?? 25000);
  const networkDir = path.join(WORK, consensus);
  const env = { ...process.env, NETWORK_DIR: networkDir, NETWORK_PORT_BASE: String(portBase) };
  const t = topology({ networkDir, portBase, consensus });
  if (args.fresh) {
    await execFileAsync(process.execPath, [NETWORK, 'down', '--clean'], { env }).catch(() => undefined);
  }
  log(`caliper: starting a ${consensus} network with the blind-write chaincode (ports from ${portBase})`);
  await execFileAsync(process.execPath, [NETWORK, 'up', '--orderer', consensus, '--bench'], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  try {
    const dir = path.join(WORK, `${consensus}-run`);
    await rm(dir, { recursive: true, force: true });
    const outcomesDir = path.join(dir, 'outcomes');
    await mkdir(outcomesDir, { recursive: true });
    const seedFile = path.join(dir, 'seed.json');
    // Liens go round the asset pool (ranked assets take 70 liens each): 400 assets keep liens
    // in flight on distinct assets up to 400 in flight.
    const assets = consensus === 'bft' ? 10 : Math.max(400, 4 * load);
    log(`caliper: seeding ${assets} assets and the access grants`);
    const seedStart = Date.now();
    await execFileAsync(
      process.execPath,
      [
        path.join(HERE, 'seed.mjs'),
        '--grants',
        String(Math.max(4 * load, 200)),
        '--assets',
        String(assets),
        '--out',
        seedFile,
      ],
      {
        env: {
          ...env,
          GATEWAY_CONNECTION_PROFILE: t.connectionProfile,
          CORE_CHAINCODE_LOGGING_LEVEL: 'CRITICAL',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // A seed that failed at start-up has been seen to exit 0 having written nothing: every round
    // would then fail in Caliper's prepare phase, and the table would only say "no summary".
    await access(seedFile).catch(() => {
      throw new Error(`caliper: the seed wrote no ${seedFile}; run bench/caliper/seed.mjs alone to see why`);
    });
    const seedSeconds = (Date.now() - seedStart) / 1000;
    const plan = rounds(consensus, seedFile, outcomesDir);
    const groups = networkProcesses(t);
    const { summary, samples, failures } = await runCaliper(dir, t, plan, groups);
    const results = [];
    for (const [i, r] of plan.entries()) {
      const s = summary.get(r.label);
      const cpu = samples.get(`${r.label}#${i + 1}`);
      const outcomes = await outcomesOf(outcomesDir, i);
      const lat = outcomes.latenciesMs.sort((a, b) => a - b);
      const cpuSeconds = {};
      if (cpu?.start && cpu?.end) {
        for (const k of Object.keys(cpu.start)) {
          if (k !== 'at') cpuSeconds[k] = (cpu.end[k] - cpu.start[k]) / CLK_TCK;
        }
      }
      const wallSeconds = cpu?.start && cpu?.end ? (cpu.end.at - cpu.start.at) / 1000 : undefined;
      results.push({
        label: r.label,
        op: r.workload.arguments.op,
        control: r.rateControl.opts.tps === undefined ? 'fixed-load' : 'fixed-rate',
        controlOpts: r.rateControl.opts,
        txDuration: r.txDuration,
        ...s,
        p50Ms: lat.length ? percentile(lat, 50) : undefined,
        p95Ms: lat.length ? percentile(lat, 95) : undefined,
        maxMs: lat.length ? lat[lat.length - 1] : undefined,
        inFlightAtSend: outcomes.inFlightAtSend,
        checked: {
          answered: outcomes.answered,
          expected: outcomes.expected,
          unexpected: outcomes.unexpected,
          failed: outcomes.failed,
          exhausted: outcomes.exhausted,
        },
        wallSeconds,
        cpuSeconds,
      });
    }
    return { consensus, portBase, ordererCount: t.orderers.length, seedSeconds, rounds: results, failures };
  } finally {
    if (!args.keep) await execFileAsync(process.execPath, [NETWORK, 'down'], { env }).catch(() => undefined);
  }
}

/** ECDSA P-256 verifications per second on one core, from `openssl speed`. */
async function opensslVerifies() {
  try {
    const { stdout } = await execFileAsync('openssl', ['speed', '-seconds', '3', 'ecdsap256'], {
      maxBuffer: 1024 * 1024,
    });
    const m = /256 bits ecdsa \(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)/.exec(stdout);
    return m ? { signPerSecond: Number(m[1]), verifyPerSecond: Number(m[2]) } : { error: 'unparsed output' };
  } catch (err) {
    return { error: String(err.message ?? err).slice(0, 200) };
  }
}

async function main() {
  const { install, problem } = findFabric();
  const machine = {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverageAtStart: os.loadavg(),
  };
  let result;
  if (!install) {
    result = { skipped: `no Fabric 3.1.x binaries (${problem})`, machine };
  } else {
    await ensureCaliper();
    await mkdir(WORK, { recursive: true });
    const networks = [];
    for (const consensus of orderers) networks.push(await measure(consensus));
    const crypto = await opensslVerifies();
    result = {
      machine: { ...machine, loadAverageAtEnd: os.loadavg() },
      settings: { seconds, rate, load, workers: WORKERS, caliper: '0.6.0', binding: 'fabric:fabric-gateway' },
      networks,
      crypto,
      anchors: anchorsOf(crypto, machine.cores),
    };
  }
  if (args.emit) {
    console.log(JSON.stringify(result));
    return;
  }
  const rows = caliperRows(result);
  console.log(table(rows));
  await mergeIntoResults(rows, result);
}

await main();
