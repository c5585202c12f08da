// Item 2, gateway cost, OVER THE gRPC PEER DOUBLE (not Fabric): the REST
// gateway on its `fabric` backend against the same ledger operations issued
// directly with @hyperledger/fabric-gateway, same peer, same organisation,
// same concurrency and duration.
//
// Three processes, so that each one's CPU time is its own (/proc/<pid>/stat):
//   - the peer double (fabric-peer-double.mjs): Gateway + Deliver gRPC over
//     TLS, the embedded ledger running the real contracts;
//   - the gateway (gateway-over-double.mjs): the real app, fabric backend,
//     seeded through its own services (demo seed + unbudgeted consents);
//   - this process: the load generator (keep-alive HTTP for REST; the
//     fabric-gateway client itself for the direct path).
// On 2 cores the three compete for CPU, as a gateway co-located with its
// peer would; the per-process CPU seconds per operation say where the time goes.
//
// Operations, each run for `--seconds` after `--warmup` seconds, with
// `--concurrency` requests in flight:
//   asset read:  REST GET /api/v1/assets/{id} (loan officer JWT, random asset)
//                vs direct contract.evaluate('Collateral:GetAsset', [id]);
//   report:      REST POST /api/v1/reports (201 only after the access committed)
//                vs the ledger calls ReportService.issue makes, in its order:
//                Dispute:GetOpenDisputes over the report's records (none open),
//                Collateral:ListAssetsByOwner, Lending:RecordMultiLenderSignal
//                (evaluated), then Access:RecordAccess
//                submitted and committed (outcome GRANTED checked).
// Each worker owns a disjoint set of subjects (and their consents), so no two
// accesses in flight write the same grant: no MVCC conflicts by construction.
// Order: REST asset read, direct asset read (the gateway idle, its CPU kept),
// REST report, then the gateway is stopped before the direct report run, so
// its indexer does not follow (and pay for) the blocks the direct path commits.
//
// With `--ledger fabric` the peer double is not started: the gateway and the
// direct path use the real network of GATEWAY_CONNECTION_PROFILE (brought up
// by network.mjs; bench/run.mjs does it when the Fabric binaries are found),
// and the CPU of every network process (NETWORK_DIR/.run/<node>.pid: peers,
// chaincode servers, orderers) is read over each round beside the gateway's.
// `--cpu-profile DIR` writes a V8 CPU profile of the gateway over each REST
// round into DIR (the inspector's profiler, started and stopped over IPC).
//
//   node bench/gateway-cost.mjs [--seconds 20] [--warmup 2] [--concurrency 16] [--farmers 200]
//                               [--ledger double|fabric] [--cpu-profile DIR] [--gateway-dir DIR]
// (`--gateway-dir` keeps the gateway's data between runs against the same network, so that a
// second run skips the seeding; by default it is a temporary directory.)
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { randomUUID, createPrivateKey } from 'node:crypto';
import { openSync, readdirSync, readFileSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { emit, gateway, intArg, log, now, parseArgs, percentile, require, tempDir } from './lib.mjs';

const grpc = require('@grpc/grpc-js');
const { connect, hash } = require('@hyperledger/fabric-gateway');
// The same signer the gateway's fabric backend uses (native OpenSSL, low-S), so that the
// ratio measures the gateway's own work and not a choice of signer.
const { nativeP256Signer } = gateway('ledger/signer');
const { sha256Hex } = require('@ruralcredit/protocol');
const { countyField } = gateway('supervision/county');

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const CLOCK_TICKS = 100;
/** The gateway's default deadlines (src/ledger/fabric.ts), so both paths wait alike. */
const DEADLINES = { evaluateMs: 5_000, endorseMs: 15_000, submitMs: 5_000, commitStatusMs: 60_000 };
const PURPOSE = 'LOAN_APPLICATION';

const args = parseArgs();
const seconds = intArg(args, 'seconds', 20);
const warmup = intArg(args, 'warmup', 2);
const concurrency = intArg(args, 'concurrency', 16);
const farmers = intArg(args, 'farmers', 200);
const ledgerKind = args.ledger ?? 'double';
if (!['double', 'fabric'].includes(ledgerKind)) throw new Error('--ledger must be double or fabric');
if (ledgerKind === 'fabric' && !(process.env.GATEWAY_CONNECTION_PROFILE && process.env.NETWORK_DIR)) {
  throw new Error('--ledger fabric needs GATEWAY_CONNECTION_PROFILE and NETWORK_DIR (network.mjs up)');
}
const cpuProfileDir = typeof args['cpu-profile'] === 'string' ? path.resolve(args['cpu-profile']) : undefined;

/** utime + stime of a process, in seconds (Linux); NaN elsewhere or once it has exited. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** CPU seconds of a process's threads by thread name (main thread, libuv workers, V8 workers...). */
function threadCpuSeconds(pid) {
  const byName = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    }
  } catch {
    // The process (or a thread) exited meanwhile: what was read is kept.
  }
  return byName;
}

/** The PID of every node network.mjs started, by node name (peer0.banka, ccaas.banka, orderer0, ...). */
function networkPids(networkDir) {
  const runDir = path.join(networkDir, '.run');
  const pids = {};
  for (const file of readdirSync(runDir)
    .filter((f) => f.endsWith('.pid'))
    .sort()) {
    pids[file.slice(0, -'.pid'.length)] = JSON.parse(readFileSync(path.join(runDir, file), 'utf8')).pid;
  }
  if (Object.keys(pids).length === 0) throw new Error(`no network processes in ${runDir}`);
  return pids;
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Starts `bench/<script>` with an IPC channel and waits for its `ready` message. */
function startChild(script, childArgs, logFile) {
  const logFd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [path.join(BENCH_DIR, script), ...childArgs], {
    stdio: ['ignore', logFd, logFd, 'ipc'],
    env: process.env,
  });
  closeSync(logFd);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('error', reject);
    void exited.then(async ({ code, signal }) => {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready; log tail:\n${tail}`));
    });
  });
  return {
    proc,
    ready,
    /** Sends `message` and waits for the child's answer (the next message it sends). */
    call(message) {
      return new Promise((resolve) => {
        proc.once('message', resolve);
        proc.send(message);
      });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.send('stop');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Waits until `pids` together use under 5% of a core for a second (at most `maxMs`): seeding and indexing done. */
async function settle(pids, maxMs = 60_000) {
  const started = now();
  const total = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  let before = total();
  while (now() - started < maxMs) {
    await sleep(1000);
    const after = total();
    if (after - before < 0.05) return now() - started;
    before = after;
  }
  return now() - started;
}

/** CPU seconds per second of each process over `ms` with nothing in flight. */
async function idleCpuPerSecond(pids, ms) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  await sleep(ms);
  return Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, (cpuSeconds(pid) - before[k]) / (ms / 1000)]),
  );
}

/** A keep-alive HTTP request; resolves with the status and the parsed JSON body. */
function request(agent, url, method, token, json) {
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': body.length }),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The direct path: one fabric-gateway connection as `mspId`, from the same connection profile. */
async function directContract(profilePath, mspId) {
  const base = path.dirname(profilePath);
  const profile = JSON.parse(await readFile(profilePath, 'utf8'));
  const org = profile.organisations.find((o) => o.mspId === mspId);
  // The double's profile names one peer per organisation; network.mjs's names the trusted ones, own first.
  const peer = profile.peers.find((p) => p.name === (org?.peer ?? org?.peers?.[0]));
  if (!org || !peer) throw new Error(`connection profile has no peer for ${mspId}`);
  const client = new grpc.Client(
    peer.endpoint,
    grpc.credentials.createSsl(await readFile(path.resolve(base, peer.tlsRootCertPath))),
    { 'grpc.ssl_target_name_override': peer.hostnameOverride },
  );
  const gw = connect({
    client,
    identity: { mspId, credentials: await readFile(path.resolve(base, org.certPath)) },
    signer: nativeP256Signer(createPrivateKey(await readFile(path.resolve(base, org.keyPath)))),
    hash: hash.none,
    evaluateOptions: () => ({ deadline: Date.now() + DEADLINES.evaluateMs }),
    endorseOptions: () => ({ deadline: Date.now() + DEADLINES.endorseMs }),
    submitOptions: () => ({ deadline: Date.now() + DEADLINES.submitMs }),
    commitStatusOptions: () => ({ deadline: Date.now() + DEADLINES.commitStatusMs }),
  });
  const contract = gw.getNetwork(profile.channel).getContract(profile.chaincode);
  return {
    contract,
    close() {
      gw.close();
      client.close();
    },
  };
}

/**
 * Runs `op(worker, i)` from `concurrency` workers until `durationMs` has passed.
 * `op` resolves on success and throws on failure; latency is kept for successes.
 */
async function load(op, durationMs) {
  const latencies = [];
  const errors = new Map();
  let failures = 0;
  const t0 = now();
  const deadline = t0 + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; now() < deadline; i++) {
        const start = now();
        try {
          await op(worker, i);
          latencies.push(now() - start);
        } catch (err) {
          failures += 1;
          const message = String(err?.message ?? err).slice(0, 160);
          errors.set(message, (errors.get(message) ?? 0) + 1);
        }
      }
    }),
  );
  return { elapsedMs: now() - t0, latencies, failures, errors: Object.fromEntries(errors) };
}

/** Warm-up, then a measured run with the CPU time of every process involved. */
async function measure(name, op, pids, profiler) {
  log(`${name}: ${warmup} s warm-up, ${seconds} s measured, ${concurrency} in flight`);
  await load(op, warmup * 1000);
  await profiler?.start();
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const threadsBefore = pids.gateway === undefined ? undefined : threadCpuSeconds(pids.gateway);
  const selfBefore = selfCpuSeconds();
  const run = await load(op, seconds * 1000);
  const selfCpu = selfCpuSeconds() - selfBefore;
  const cpu = { loadGenerator: selfCpu };
  for (const [k, pid] of Object.entries(pids)) cpu[k] = cpuSeconds(pid) - cpuBefore[k];
  let gatewayThreads;
  if (threadsBefore !== undefined) {
    gatewayThreads = threadCpuSeconds(pids.gateway);
    for (const name of Object.keys(gatewayThreads)) gatewayThreads[name] -= threadsBefore[name] ?? 0;
  }
  await profiler?.stop();
  const successes = run.latencies.length;
  const perOp = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, successes ? v / successes : NaN]));
  const result = {
    successes,
    failures: run.failures,
    errors: run.errors,
    elapsedMs: run.elapsedMs,
    perSecond: successes / (run.elapsedMs / 1000),
    p50Ms: percentile(run.latencies, 50),
    p95Ms: percentile(run.latencies, 95),
    maxMs: run.latencies.length ? Math.max(...run.latencies) : NaN,
    cpuSeconds: cpu,
    cpuMsPerOp: Object.fromEntries(Object.entries(perOp).map(([k, v]) => [k, v * 1000])),
    ...(gatewayThreads === undefined ? {} : { gatewayThreadCpuSeconds: gatewayThreads }),
  };
  log(
    `${name}: ${result.perSecond.toFixed(1)}/s, p50 ${result.p50Ms.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms, ` +
      `${result.failures} failures; CPU ms/op ${JSON.stringify(result.cpuMsPerOp, (_, v) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))}` +
      (gatewayThreads === undefined
        ? ''
        : `; gateway threads (CPU s) ${JSON.stringify(gatewayThreads, (_, v) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))}`),
  );
  return result;
}

const pick = (list, worker, i) => {
  // Worker w owns list[w], list[w + concurrency], ...: disjoint per worker.
  const own = Math.ceil((list.length - worker) / concurrency);
  return list[worker + concurrency * (i % own)];
};

const { dir, cleanup } = await tempDir('gateway');
let double;
let gatewayChild;
let direct;
try {
  const t0 = now();
  let profilePath;
  /** The ledger's processes, whose CPU is read over each round: the double, or every network node. */
  let ledgerPids;
  if (ledgerKind === 'fabric') {
    profilePath = process.env.GATEWAY_CONNECTION_PROFILE;
    ledgerPids = networkPids(process.env.NETWORK_DIR);
    log(
      `Fabric network: ${Object.entries(ledgerPids)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  } else {
    double = startChild(
      'fabric-peer-double.mjs',
      ['--dir', path.join(dir, 'peer')],
      path.join(dir, 'peer.log'),
    );
    const peerReady = await double.ready;
    log(`peer double on ${peerReady.endpoint} (pid ${peerReady.pid})`);
    profilePath = peerReady.profilePath;
    ledgerPids = { peerDouble: peerReady.pid };
  }
  gatewayChild = startChild(
    'gateway-over-double.mjs',
    [
      '--dir',
      typeof args['gateway-dir'] === 'string' ? path.resolve(args['gateway-dir']) : path.join(dir, 'gateway'),
      '--profile',
      profilePath,
      '--farmers',
      String(farmers),
    ],
    path.join(dir, 'gateway.log'),
  );
  const gw = await gatewayChild.ready;
  log(`gateway on ${gw.url} (pid ${gw.pid}); ${gw.seed.notes.join('; ')}`);
  log(`${gw.seed.grants} unbudgeted consents in ${(gw.seed.grantSeedMs / 1000).toFixed(1)} s`);
  if (gw.subjects.length < concurrency) throw new Error(`need at least ${concurrency} subjects`);
  const seedMs = now() - t0;
  const settleMs = await settle([gw.pid]);
  log(`setup ${(seedMs / 1000).toFixed(1)} s, settled after ${(settleMs / 1000).toFixed(1)} s`);

  let agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const login = await request(agent, `${gw.url}/api/v1/auth/token`, 'POST', undefined, {
    username: gw.username,
    password: gw.password,
  });
  const token = login.body?.accessToken;
  if (login.status !== 200 || typeof token !== 'string') throw new Error(`login failed: ${login.status}`);

  const randomAsset = () => gw.assetIds[Math.floor(Math.random() * gw.assetIds.length)];
  const expect = (res, status, what) => {
    if (res.status !== status) {
      throw new Error(`${what}: HTTP ${res.status} ${res.body?.code ?? ''} ${res.body?.message ?? ''}`);
    }
    return res.body;
  };

  // One report first: its records name the batches whose records a report checks for open disputes
  // (one record per data set and subject in this seed, so every subject's report has the same shape).
  const sample = expect(
    await request(agent, `${gw.url}/api/v1/reports`, 'POST', token, {
      subjectId: gw.subjects[0].subjectId,
      consentId: gw.subjects[0].grantId,
      datasets: gw.datasets,
      purpose: PURPOSE,
    }),
    201,
    'sample report',
  );
  const recordBatches = sample.report.datasets.flatMap((d) => d.records.map((r) => r.batchId));
  log(
    `sample report: ${recordBatches.length} records (${recordBatches.join(', ')}), ` +
      `${sample.report.collateral.length} assets`,
  );

  const pids = { gateway: gw.pid, ...ledgerPids };
  /** Runs `measure` with a CPU profile of the gateway over the measured seconds when asked. */
  const profiled = async (name, op) => {
    if (cpuProfileDir === undefined) return measure(name, op, pids);
    const file = path.join(cpuProfileDir, `gateway-${name.replaceAll(' ', '-')}.cpuprofile`);
    return measure(name, op, pids, {
      start: () => gatewayChild.call({ profile: 'start' }),
      stop: () => gatewayChild.call({ profile: 'stop', file }),
    });
  };
  const restAsset = await profiled('REST asset read', async () => {
    const body = expect(
      await request(agent, `${gw.url}/api/v1/assets/${randomAsset()}`, 'GET', token),
      200,
      'asset',
    );
    if (typeof body.assetId !== 'string') throw new Error('asset body without assetId');
  });
  // The direct path: the same peer and organisation through fabric-gateway in this process.
  direct = await directContract(profilePath, gw.bank);
  const { contract } = direct;
  const operator = sha256Hex('bench-direct-operator');
  const evaluateJson = async (fn, fnArgs) =>
    JSON.parse(Buffer.from(await contract.evaluate(fn, { arguments: fnArgs })).toString('utf8'));
  const directAsset = await measure(
    'direct asset read',
    async () => {
      const asset = await evaluateJson('Collateral:GetAsset', [randomAsset()]);
      if (typeof asset.assetId !== 'string') throw new Error('asset without assetId');
    },
    // The gateway is up but idle (asset reads commit no blocks): its CPU is kept to show it.
    { ...ledgerPids, gatewayIdle: gw.pid },
  );
  // What every process spends with no request in flight (peers gossip, the gateway's timers),
  // so that a reader can tell the REST report round's own CPU from the background.
  const idleCpu = await idleCpuPerSecond(pids, 3000);
  // Fresh connections: the gateway closes keep-alive sockets left idle over the direct rounds, and a
  // request sent on one as it closes fails with ECONNRESET (a load generator's artefact, not the gateway's).
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  log(
    `idle CPU s per s: ${JSON.stringify(idleCpu, (_, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}`,
  );
  const restReport = await profiled('REST report', async (worker, i) => {
    const s = pick(gw.subjects, worker, i);
    const body = expect(
      await request(agent, `${gw.url}/api/v1/reports`, 'POST', token, {
        subjectId: s.subjectId,
        consentId: s.grantId,
        datasets: gw.datasets,
        purpose: PURPOSE,
      }),
      201,
      'report',
    );
    if (typeof body.txId !== 'string') throw new Error('report without txId');
  });
  agent.destroy();
  // No gateway process for the direct writes: its indexer would follow (and pay for) their blocks.
  await gatewayChild.stop();
  await settle(Object.values(ledgerPids), 10_000);

  const directReport = await measure(
    'direct report ledger calls',
    async (worker, i) => {
      const s = pick(gw.subjects, worker, i);
      // As ReportService: one call over the report's records, none for a report without records.
      const disputes =
        recordBatches.length === 0
          ? []
          : await evaluateJson('Dispute:GetOpenDisputes', [
              JSON.stringify({
                records: recordBatches.map((batchId) => ({
                  batchId,
                  recordHash: sha256Hex(`${s.pseudonym}/${batchId}`),
                })),
              }),
            ]);
      if (disputes.length !== recordBatches.length || disputes.some((d) => d.disputeId !== undefined)) {
        throw new Error('unexpected open dispute');
      }
      await evaluateJson('Collateral:ListAssetsByOwner', [s.pseudonym, '50', '']);
      const accessId = `acc-${randomUUID()}`;
      await evaluateJson('Lending:RecordMultiLenderSignal', [`sig-${accessId}`, s.pseudonym, s.grantId]);
      const result = await contract.submit('Access:RecordAccess', {
        arguments: [
          JSON.stringify({
            accessId,
            grantId: s.grantId,
            subject: s.pseudonym,
            datasets: [...gw.datasets].sort(),
            purpose: PURPOSE,
            operator,
            releaseDigest: sha256Hex(randomUUID()),
            ...countyField(s.subjectId),
          }),
        ],
      });
      const access = JSON.parse(Buffer.from(result).toString('utf8'));
      if (access.outcome !== 'GRANTED') throw new Error(`access ${access.outcome}: ${access.reason}`);
    },
    ledgerPids,
  );
  emit({
    ledger: ledgerKind,
    peer:
      ledgerKind === 'fabric'
        ? 'Fabric network brought up by network.mjs (GATEWAY_CONNECTION_PROFILE)'
        : 'gRPC peer double over the embedded ledger (gateway-api/test/fabric/peer-double.ts), not Fabric',
    concurrency,
    seconds,
    warmupSeconds: warmup,
    farmers,
    assets: gw.assetIds.length,
    consents: gw.seed.grants,
    bank: gw.bank,
    reportRecords: recordBatches.length,
    setupMs: seedMs,
    seed: gw.seed,
    assetRead: { rest: restAsset, direct: directAsset, ratio: restAsset.perSecond / directAsset.perSecond },
    report: { rest: restReport, direct: directReport, ratio: restReport.perSecond / directReport.perSecond },
    idleCpuPerSecond: idleCpu,
  });
} finally {
  direct?.close();
  await gatewayChild?.stop();
  await double?.stop();
  await cleanup();
}
