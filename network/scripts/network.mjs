#!/usr/bin/env node
/**
 * The project's Fabric network of native processes, from network/consortium.json:
 * 3 etcdraft orderers joined through the channel participation API, one peer
 * per peer organisation, the chaincode as a service (one chaincode server per
 * peer), every link over TLS.
 *
 *   network.mjs up [--profile dev|standard] [--orderer raft|bft] [--bench]
 *                                            create (raft: 3 etcdraft orderers; bft: 4 SmartBFT), or restart what is stopped;
 *                                            --bench (benchmarks and tests only) also deploys the test-only
 *                                            blind-write chaincode `blindwrite` (network/bench-chaincode)
 *   network.mjs down [--clean]                stop every process (--clean: wipe ledgers, crypto, logs)
 *   network.mjs status                        one line per node
 *   network.mjs stop|start|kill <node>        one node (orderer0, peer0.banka, ccaas.banka, ...)
 *
 * NETWORK_DIR (default network/) holds .generated, .data, .logs and .run;
 * NETWORK_PORT_BASE moves every port (default from consortium.json).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { configtx, cryptoConfig } from './lib/channel-config.mjs';
import { requireFabric } from './lib/fabric-bin.mjs';
import {
  blindWriteServerProcess,
  chaincodeServerProcess,
  ordererProcess,
  peerCliEnv,
  peerProcess,
  writeBuilderConfig,
} from './lib/nodes.mjs';
import {
  healthz,
  portOpen,
  runningPid,
  sleep,
  startProcess,
  stopProcess,
  waitFor,
} from './lib/processes.mjs';
import { probeEndorsement } from './lib/ready.mjs';
import { PROFILES, topology } from './lib/topology.mjs';

const run = promisify(execFile);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
let step = 0;
const say = (message) => console.log(`network: [${++step}] ${message} (${elapsed()})`);

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const flags = new Map();
  const positional = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      if (v !== undefined) flags.set(k, v);
      else if (rest[i + 1] && !rest[i + 1].startsWith('--')) flags.set(k, rest[++i]);
      else flags.set(k, 'true');
    } else positional.push(a);
  }
  return { command, flags, positional };
}

const topologyOptions = {
  networkDir: process.env.NETWORK_DIR,
  portBase: process.env.NETWORK_PORT_BASE ? Number(process.env.NETWORK_PORT_BASE) : undefined,
};
/** The topology; its ordering service (raft or bft) is fixed when the network is created. */
let t = topology(topologyOptions);

function readState() {
  return existsSync(t.stateFile) ? JSON.parse(readFileSync(t.stateFile, 'utf8')) : {};
}

function writeState(state) {
  writeFileSync(t.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Every long-running node, in start order. */
function allNodes(fabric, state) {
  const nodes = [
    ...t.orderers.map((o) => ({
      spec: o,
      proc: () => ordererProcess(t, fabric, o),
      health: o.operationsPort,
    })),
    ...t.peers.map((p) => ({ spec: p, proc: () => peerProcess(t, fabric, p), health: p.operationsPort })),
  ];
  if (state.packageId) {
    for (const p of t.peers) {
      nodes.push({
        spec: p.ccaas,
        proc: () => chaincodeServerProcess(t, p, state.packageId),
        port: p.ccaas.port,
      });
    }
  }
  if (state.bench?.packageId) {
    for (const p of t.peers) {
      nodes.push({
        spec: p.benchCcaas,
        proc: () => blindWriteServerProcess(t, p, state.bench.packageId),
        port: p.benchCcaas.port,
      });
    }
  }
  return nodes;
}

async function fabricTool(fabric, tool, args, env = {}) {
  try {
    const { stdout } = await run(path.join(fabric.binDir, tool), args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, FABRIC_CFG_PATH: fabric.cfgDir, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    throw new Error(`${tool} ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`);
  }
}

/** Starts a node unless it runs; waits until it is healthy (or its port answers). */
async function ensureNode(node) {
  const name = node.spec.name;
  if (runningPid(t.runDir, name) === undefined) {
    const port = node.spec.port;
    if (await portOpen(t.host, port)) {
      throw new Error(
        `${name}: port ${port} is taken by another program (set NETWORK_PORT_BASE to move every port)`,
      );
    }
    const proc = node.proc();
    mkdirSync(proc.cwd, { recursive: true });
    startProcess({ ...proc, runDir: t.runDir, logDir: t.logDir });
  }
  const log = path.join(t.logDir, `${name}.log`);
  if (node.health) {
    await waitFor(`${name} health (log: ${log})`, async () => {
      if (runningPid(t.runDir, name) === undefined) throw new Error(`${name} exited; see ${log}`);
      return (await healthz(t.host, node.health)) === 200;
    });
  } else {
    await waitFor(`${name} listening on ${node.port} (log: ${log})`, async () => {
      if (runningPid(t.runDir, name) === undefined) throw new Error(`${name} exited; see ${log}`);
      return portOpen(t.host, node.port);
    });
  }
}

function adminTls() {
  const tls = path.join(t.ordererOrg.adminDir, 'tls');
  return [
    '--ca-file',
    path.join(tls, 'ca.crt'),
    '--client-cert',
    path.join(tls, 'client.crt'),
    '--client-key',
    path.join(tls, 'client.key'),
  ];
}

/** The ccaas package of chaincode `name`: metadata.json and code.tar.gz holding the connection.json template. */
async function packageChaincode(name = t.chaincode) {
  const dir = path.join(t.generated, `chaincode-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  const label = `${name}_1`;
  writeFileSync(
    path.join(dir, 'src', 'connection.json'),
    JSON.stringify({
      address: `{{ccaas:${name}}}`,
      dial_timeout: '10s',
      tls_required: true,
      client_auth_required: true,
    }),
  );
  writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify({ type: 'ccaas', label }));
  // Fixed owner and mtime: the same package bytes (and so package ID) on every run.
  const tarFlags = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf'];
  await run('tar', [
    ...tarFlags,
    path.join(dir, 'code.tar.gz'),
    '-C',
    path.join(dir, 'src'),
    'connection.json',
  ]);
  const file = path.join(t.generated, `${label}.tar.gz`);
  await run('tar', [...tarFlags, file, '-C', dir, 'metadata.json', 'code.tar.gz']);
  const packageId = `${label}:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
  return { file, label, packageId };
}

async function create(fabric, profileName, bench) {
  const profile = PROFILES[profileName];
  if (!profile) throw new Error(`unknown profile ${profileName} (dev, standard)`);
  const state = readState();

  if (!state.crypto) {
    say('generating crypto material with cryptogen');
    mkdirSync(t.generated, { recursive: true });
    const cryptoFile = path.join(t.generated, 'crypto-config.yaml');
    writeFileSync(cryptoFile, JSON.stringify(cryptoConfig(t), null, 2));
    await fabricTool(fabric, 'cryptogen', ['generate', `--config=${cryptoFile}`, `--output=${t.crypto}`]);
    state.crypto = true;
    writeState(state);
  }
  if (!state.genesis) {
    say(
      `writing the channel genesis block (${t.consensus === 'bft' ? 'SmartBFT' : 'etcdraft'}, ${t.orderers.length} orderers, profile ${profileName}: batch timeout ${profile.batchTimeout})`,
    );
    const cfgDir = path.join(t.generated, 'configtx');
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(path.join(cfgDir, 'configtx.yaml'), JSON.stringify(configtx(t, profile), null, 2));
    await fabricTool(fabric, 'configtxgen', [
      '-configPath',
      cfgDir,
      '-profile',
      'RuralCredit',
      '-channelID',
      t.channel,
      '-outputBlock',
      t.genesisBlock,
    ]);
    state.genesis = true;
    state.profile = profileName;
    state.consensus = t.consensus;
    writeState(state);
  }
  mkdirSync(path.join(t.generated, 'builders'), { recursive: true });
  for (const p of t.peers) writeBuilderConfig(t, p);

  say(`starting ${t.orderers.length} orderers`);
  for (const o of t.orderers)
    await ensureNode({ spec: o, proc: () => ordererProcess(t, fabric, o), health: o.operationsPort });

  state.ordererJoined ??= {};
  for (const o of t.orderers) {
    if (state.ordererJoined[o.name]) continue;
    say(`joining ${o.name} to channel ${t.channel} (osnadmin, admin mutual TLS)`);
    await fabricTool(fabric, 'osnadmin', [
      'channel',
      'join',
      '--channelID',
      t.channel,
      '--config-block',
      t.genesisBlock,
      '-o',
      `${t.host}:${o.adminPort}`,
      ...adminTls(),
    ]);
    state.ordererJoined[o.name] = true;
    writeState(state);
  }
  say(`waiting until every orderer is an active consenter of the channel`);
  await waitFor(
    'active consenters on channel ' + t.channel,
    async () => {
      for (const o of t.orderers) {
        const out = await fabricTool(fabric, 'osnadmin', [
          'channel',
          'list',
          '--channelID',
          t.channel,
          '-o',
          `${t.host}:${o.adminPort}`,
          ...adminTls(),
        ]);
        const info = JSON.parse(out.slice(out.indexOf('{')));
        if (info.status !== 'active') return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );

  say(`starting ${t.peers.length} peers`);
  for (const p of t.peers)
    await ensureNode({ spec: p, proc: () => peerProcess(t, fabric, p), health: p.operationsPort });

  state.peerJoined ??= {};
  for (const p of t.peers) {
    if (state.peerJoined[p.name]) continue;
    say(`joining ${p.name} to channel ${t.channel}`);
    await fabricTool(
      fabric,
      'peer',
      ['channel', 'join', '-b', t.genesisBlock],
      peerCliEnv(t, fabric, p.org, p),
    );
    state.peerJoined[p.name] = true;
    writeState(state);
  }

  const pkg = await packageChaincode();
  await installPackage(fabric, pkg, state, state);
  state.packageId = pkg.packageId;
  writeState(state);

  say(`starting ${t.peers.length} chaincode servers`);
  for (const p of t.peers) {
    await ensureNode({
      spec: p.ccaas,
      proc: () => chaincodeServerProcess(t, p, pkg.packageId),
      port: p.ccaas.port,
    });
  }
  await commitDefinition(fabric, t.chaincode, pkg, state, state);

  if (bench || state.bench) {
    // Test-only: the blind-write baseline chaincode, its own servers and definition.
    state.bench ??= {};
    const benchPkg = await packageChaincode(t.benchChaincode);
    await installPackage(fabric, benchPkg, state, state.bench);
    state.bench.packageId = benchPkg.packageId;
    writeState(state);
    say(`starting ${t.peers.length} blind-write chaincode servers (--bench, test-only)`);
    for (const p of t.peers) {
      await ensureNode({
        spec: p.benchCcaas,
        proc: () => blindWriteServerProcess(t, p, benchPkg.packageId),
        port: p.benchCcaas.port,
      });
    }
    await commitDefinition(fabric, t.benchChaincode, benchPkg, state, state.bench);
  }
  writeConnectionProfile();
}

/** Installs `pkg` on every peer that does not have it; progress in `record.installed`. */
async function installPackage(fabric, pkg, state, record) {
  record.installed ??= {};
  for (const p of t.peers) {
    if (record.installed[p.name] === pkg.packageId) continue;
    say(`installing chaincode package ${pkg.label} on ${p.name}`);
    const env = peerCliEnv(t, fabric, p.org, p);
    const installed = await fabricTool(
      fabric,
      'peer',
      ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'],
      env,
    );
    const already = (JSON.parse(installed || '{}').installed_chaincodes ?? []).some(
      (c) => c.package_id === pkg.packageId,
    );
    if (!already) await fabricTool(fabric, 'peer', ['lifecycle', 'chaincode', 'install', pkg.file], env);
    record.installed[p.name] = pkg.packageId;
    writeState(state);
  }
}

/** Approves (each peer organisation) and commits the definition of chaincode `name`; progress in `record`. */
async function commitDefinition(fabric, name, pkg, state, record) {
  const orderer = t.orderers[0];
  const ordererArgs = [
    '-o',
    `${t.host}:${orderer.port}`,
    '--tls',
    '--cafile',
    path.join(orderer.tlsDir, 'ca.crt'),
  ];
  const definition = ['--channelID', t.channel, '--name', name, '--version', '1.0', '--sequence', '1'];
  if (!record.committed) {
    const commitStart = Date.now();
    for (const p of t.peers) {
      say(`approving the definition of ${name} for ${p.mspId}`);
      const env = peerCliEnv(t, fabric, p.org, p);
      const approved = await fabricTool(
        fabric,
        'peer',
        ['lifecycle', 'chaincode', 'checkcommitreadiness', ...definition, '--output', 'json'],
        env,
      );
      if (JSON.parse(approved).approvals?.[p.mspId]) continue;
      await fabricTool(
        fabric,
        'peer',
        [
          'lifecycle',
          'chaincode',
          'approveformyorg',
          ...ordererArgs,
          ...definition,
          '--package-id',
          pkg.packageId,
          '--waitForEvent',
        ],
        env,
      );
    }
    say(
      `committing the definition of ${name} (endorsement: ${t.endorsementRequired} of ${t.peers.length} peer organisations)`,
    );
    const first = t.peers[0];
    await fabricTool(
      fabric,
      'peer',
      [
        'lifecycle',
        'chaincode',
        'commit',
        ...ordererArgs,
        ...definition,
        ...t.peers.flatMap((p) => [
          '--peerAddresses',
          `${t.host}:${p.port}`,
          '--tlsRootCertFiles',
          p.org.tlsCaCert,
        ]),
        '--waitForEvent',
      ],
      peerCliEnv(t, fabric, first.org, first),
    );
    record.committed = true;
    record.commitSeconds = (Date.now() - commitStart) / 1000;
    writeState(state);
  }
}

/** network/.generated/connection.json: peers, orderers and each organisation's client identity and trusted peers. */
function writeConnectionProfile() {
  const rel = (f) => path.relative(t.generated, f);
  const profile = {
    channel: t.channel,
    chaincode: t.chaincode,
    peers: t.peers.map((p) => ({
      name: p.name,
      mspId: p.mspId,
      endpoint: `${t.host}:${p.port}`,
      hostnameOverride: p.hostname,
      tlsRootCertPath: rel(p.org.tlsCaCert),
    })),
    orderers: t.orderers.map((o) => ({
      name: o.name,
      endpoint: `${t.host}:${o.port}`,
      tlsRootCertPath: rel(path.join(o.tlsDir, 'ca.crt')),
    })),
    organisations: t.organisations.map((o) => {
      const msp = path.join(o.clientDir, 'msp');
      return {
        mspId: o.mspId,
        peers: t.gatewayPeers(o).map((p) => p.name),
        certPath: rel(path.join(msp, 'signcerts', `User1@${o.domain}-cert.pem`)),
        keyPath: rel(path.join(msp, 'keystore', 'priv_sk')),
      };
    }),
  };
  writeFileSync(t.connectionProfile, `${JSON.stringify(profile, null, 2)}\n`);
  // What tests and operators need beyond the gateway's profile: nodes, admin identities, CAs.
  const bench = readState().bench?.committed === true;
  const nodes = {
    consensus: t.consensus,
    channel: t.channel,
    chaincode: t.chaincode,
    ...(bench ? { benchChaincode: t.benchChaincode } : {}),
    fabricCfgDir: requireFabric().cfgDir,
    orderers: t.orderers.map((o) => ({
      name: o.name,
      endpoint: `${t.host}:${o.port}`,
      adminEndpoint: `${t.host}:${o.adminPort}`,
      operationsEndpoint: `${t.host}:${o.operationsPort}`,
      tlsCaCert: path.join(o.tlsDir, 'ca.crt'),
    })),
    peers: t.peers.map((p) => ({
      name: p.name,
      mspId: p.mspId,
      endpoint: `${t.host}:${p.port}`,
      hostname: p.hostname,
      operationsEndpoint: `${t.host}:${p.operationsPort}`,
      tlsCaCert: p.org.tlsCaCert,
      chaincodeServer: p.ccaas.name,
      ...(bench ? { benchChaincodeServer: p.benchCcaas.name } : {}),
    })),
    organisations: t.organisations.map((o) => ({
      mspId: o.mspId,
      adminMspDir: path.join(o.adminDir, 'msp'),
      clientMspDir: path.join(o.clientDir, 'msp'),
      gatewayPeers: t.gatewayPeers(o).map((p) => p.name),
    })),
  };
  writeFileSync(path.join(t.generated, 'nodes.json'), `${JSON.stringify(nodes, null, 2)}\n`);
}

async function waitEndorsable() {
  say('waiting until every organisation can get an endorsement through its gateway peer (service discovery)');
  for (const org of t.organisations) {
    const p = t.gatewayPeers(org)[0];
    await waitFor(
      `an endorsement for ${org.mspId} through ${p.name}`,
      async () => {
        await probeEndorsement(t, org, p);
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
  }
}

async function up(flags) {
  const fabric = requireFabric();
  say(`Fabric ${fabric.version} from ${fabric.binDir} (${fabric.source})`);
  const state = readState();
  const nodes = allNodes(fabric, state);
  const benchMissing = flags.has('bench') && !state.bench?.committed;
  if (
    state.committed &&
    !benchMissing &&
    nodes.every((n) => runningPid(t.runDir, n.spec.name) !== undefined)
  ) {
    console.log(
      `network: already running (${nodes.length} processes); nothing changed. 'network:status' shows them.`,
    );
    return;
  }
  if (state.committed) say('restarting the stopped processes of the existing network (ledgers kept)');
  await create(fabric, flags.get('profile') ?? state.profile ?? 'dev', flags.has('bench'));
  await waitEndorsable();
  const s = readState();
  console.log(
    `network: up in ${elapsed()}: ${t.orderers.length} orderers, ${t.peers.length} peers, ${t.peers.length} chaincode servers` +
      ` on channel ${t.channel}; connection profile ${t.connectionProfile}` +
      (s.commitSeconds ? `; chaincode committed in ${s.commitSeconds.toFixed(1)}s` : ''),
  );
}

async function down(flags) {
  const state = readState();
  const names = [
    ...t.peers.map((p) => p.benchCcaas.name),
    ...t.peers.map((p) => p.ccaas.name),
    ...t.peers.map((p) => p.name),
    ...t.orderers.map((o) => o.name),
  ];
  let stopped = 0;
  for (const name of names) if (await stopProcess(t.runDir, name)) stopped++;
  console.log(`network: stopped ${stopped} process(es) (${elapsed()})`);
  if (flags.has('clean')) {
    for (const dir of [t.generated, t.dataDir, t.logDir, t.runDir])
      rmSync(dir, { recursive: true, force: true });
    console.log('network: removed ledgers, crypto material, logs and the connection profile');
  } else if (state.committed) {
    console.log("network: ledgers kept; 'network:up' restarts it");
  }
}

async function status() {
  const state = readState();
  if (!state.crypto) {
    console.log(`network: not created (no ${t.stateFile}); run 'npm run network:up'`);
    return 3;
  }
  let down = 0;
  const rows = [
    ...t.orderers.map((o) => [o.name, o.port, o.operationsPort]),
    ...t.peers.map((p) => [p.name, p.port, p.operationsPort]),
    ...t.peers.map((p) => [p.ccaas.name, p.ccaas.port, undefined]),
    ...(state.bench ? t.peers.map((p) => [p.benchCcaas.name, p.benchCcaas.port, undefined]) : []),
  ];
  for (const [name, port, ops] of rows) {
    const pid = runningPid(t.runDir, name);
    let health = '-';
    if (pid !== undefined)
      health = ops
        ? (await healthz(t.host, ops)) === 200
          ? 'healthy'
          : 'unhealthy'
        : (await portOpen(t.host, port))
          ? 'listening'
          : 'not listening';
    if (pid === undefined) down++;
    console.log(
      `${name.padEnd(14)} ${pid === undefined ? 'stopped'.padEnd(14) : `pid ${pid}`.padEnd(14)} ${`${t.host}:${port}`.padEnd(18)} ${health}`,
    );
  }
  console.log(
    `channel ${t.channel} (${t.consensus}), chaincode ${state.committed ? `committed (${state.packageId})` : 'not committed'}, profile ${state.profile ?? '-'}` +
      (state.bench?.committed ? `; test-only ${t.benchChaincode} committed (--bench)` : ''),
  );
  return down === 0 ? 0 : 1;
}

async function single(command, name) {
  const fabric = requireFabric();
  const node = allNodes(fabric, readState()).find((n) => n.spec.name === name);
  if (!node) throw new Error(`unknown node ${name}`);
  if (command === 'start') {
    await ensureNode(node);
    console.log(`network: ${name} running (${elapsed()})`);
  } else {
    const stopped = await stopProcess(t.runDir, name, command === 'kill' ? { signal: 'SIGKILL' } : {});
    console.log(
      `network: ${name} ${stopped ? (command === 'kill' ? 'killed' : 'stopped') : 'was not running'}`,
    );
  }
}

async function main() {
  const { command, flags, positional } = parseArgs(process.argv.slice(2));
  const created = readState().consensus;
  const wanted = flags.get('orderer');
  if (created && wanted && wanted !== created) {
    throw new Error(
      `this network was created with --orderer ${created}; 'network:down -- --clean' first to change it`,
    );
  }
  t = topology({ ...topologyOptions, consensus: created ?? wanted ?? 'raft' });
  switch (command) {
    case 'up':
      return up(flags);
    case 'down':
      return down(flags);
    case 'status':
      process.exitCode = await status();
      return;
    case 'start':
    case 'stop':
    case 'kill':
      if (!positional[0]) throw new Error(`usage: network.mjs ${command} <node>`);
      return single(command, positional[0]);
    default:
      console.error(
        'usage: network.mjs up [--profile dev|standard] [--orderer raft|bft] [--bench] | down [--clean] | status | start|stop|kill <node>',
      );
      process.exitCode = 2;
  }
}

main().catch(async (err) => {
  console.error(`network: FAILED after ${elapsed()}: ${err instanceof Error ? err.message : String(err)}`);
  await sleep(0);
  process.exitCode = 1;
});
