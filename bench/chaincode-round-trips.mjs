#!/usr/bin/env node
// Messages between the chaincode and its peer per transaction, on the real network.
//
// Runs a short loop of Access:RecordAccess and of Collateral:RegisterLien (distinct assets)
// through fabric-gateway against a running network (node network/scripts/network.mjs up;
// NETWORK_DIR as for the network script), and reads every peer's Prometheus counter
// chaincode_shim_requests_received (by message type) before and after each loop: the
// messages per committed transaction, summed over the endorsing peers, the CPU milliseconds
// per committed transaction of the chaincode servers, peers and orderers (from /proc, by the
// PID files in NETWORK_DIR/.run), and the loop's throughput. Bootstraps the consortium first when the network is fresh.
//
//   node bench/chaincode-round-trips.mjs [count=100] [inFlight=16]
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { get } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const networkDir = process.env.NETWORK_DIR ?? path.join(root, 'network');
const nodes = JSON.parse(readFileSync(path.join(networkDir, '.generated', 'nodes.json'), 'utf8'));
const consortium = JSON.parse(readFileSync(path.join(root, 'network', 'consortium.json'), 'utf8'));
const count = Number(process.argv[2] ?? 100);
const inFlight = Number(process.argv[3] ?? 16);
const run = randomBytes(4).toString('hex');
const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const hex = (n) => n.toString(16).padStart(64, '0');

const onlyFile = (dir) => path.join(dir, readdirSync(dir)[0]);
const connections = [];
/** A contract handle as `mspId`'s client user, through its organisation's (or the regulator's) gateway peer. */
function contractAs(mspId) {
  const org = nodes.organisations.find((o) => o.mspId === mspId);
  const peerName = org.gatewayPeers[0] ?? nodes.peers[0].name;
  const peer = nodes.peers.find((p) => p.name === peerName);
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaCert)), {
    'grpc.ssl_target_name_override': peer.hostname,
  });
  const gateway = connect({
    client,
    identity: { mspId, credentials: readFileSync(onlyFile(path.join(org.clientMspDir, 'signcerts'))) },
    signer: signers.newPrivateKeySigner(
      createPrivateKey(readFileSync(onlyFile(path.join(org.clientMspDir, 'keystore')))),
    ),
  });
  connections.push(() => {
    gateway.close();
    client.close();
  });
  return gateway.getNetwork(nodes.channel).getContract(nodes.chaincode);
}

/** Submits, treating CONFLICT (already done by an earlier run) as done. */
async function once(contract, fn, ...args) {
  try {
    await contract.submitTransaction(fn, ...args);
  } catch (err) {
    const text = JSON.stringify(err.details ?? []) + String(err.message);
    if (!text.includes('CONFLICT')) throw err;
  }
}

/** A peer's Prometheus metrics text. */
function metricsOf(endpoint) {
  return new Promise((resolve, reject) => {
    get(`http://${endpoint}/metrics`, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

/** Shim messages received by every peer for the chaincode, by type. */
async function shimMessages() {
  const totals = {};
  for (const p of nodes.peers) {
    const text = await metricsOf(p.operationsEndpoint);
    for (const line of text.split('\n')) {
      const m = /^chaincode_shim_requests_received\{([^}]*)\} (\d+)/.exec(line);
      if (!m || !/chaincode="ruralcredit/.test(m[1])) continue;
      const type = /type="([^"]+)"/.exec(m[1])[1];
      totals[type] = (totals[type] ?? 0) + Number(m[2]);
    }
  }
  return totals;
}

/** CPU seconds (user + system) so far of each network process with a PID file, by kind. */
function cpuByKind() {
  const runDir = path.join(networkDir, '.run');
  const ticks = 100; // USER_HZ on Linux
  const out = {};
  for (const file of readdirSync(runDir).filter((f) => f.endsWith('.pid'))) {
    const kind = file.split('.')[0].replace(/\d+$/, '');
    try {
      const { pid } = JSON.parse(readFileSync(path.join(runDir, file), 'utf8'));
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / ticks;
    } catch {
      // a stopped process: not counted
    }
  }
  return out;
}

/** Runs `count` submissions with `inFlight` at once; returns per-transaction messages and tx/s. */
async function measure(label, submit) {
  const before = await shimMessages();
  const cpuBefore = cpuByKind();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      while (next < count) await submit(next++, worker);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await shimMessages();
  const cpuAfter = cpuByKind();
  const cpu = Object.keys(cpuAfter)
    .map((k) => `${k} ${(((cpuAfter[k] - (cpuBefore[k] ?? 0)) * 1000) / count).toFixed(1)}`)
    .join(', ');
  const perTx = Object.fromEntries(
    Object.keys(after)
      .map((t) => [t, (after[t] - (before[t] ?? 0)) / count])
      .filter(([, v]) => v > 0),
  );
  const total = Object.values(perTx).reduce((a, b) => a + b, 0);
  console.log(
    `${label}: ${count} committed in ${seconds.toFixed(1)} s = ${(count / seconds).toFixed(1)} tx/s (${inFlight} in flight); ` +
      `messages to the peers per tx (all endorsers): ${total.toFixed(1)} ${JSON.stringify(perTx)}; ` +
      `CPU ms per tx (all processes of a kind): ${cpu}`,
  );
}

const regulator = contractAs('RegulatorMSP');
await once(regulator, 'Membership:Bootstrap', 'round-trip bench');
for (const o of consortium.organisations) {
  if (o.role !== 'REGULATOR') {
    await once(
      regulator,
      'Membership:AdmitMember',
      JSON.stringify({ mspId: o.mspId, role: o.role, name: o.name }),
    );
  }
}
for (const d of consortium.datasetTypes)
  await once(regulator, 'Catalogue:DefineDatasetType', JSON.stringify(d));
for (const a of consortium.assetTypes) await once(regulator, 'Catalogue:DefineAssetType', JSON.stringify(a));

const bank = contractAs('BankAMSP');
const issuer = contractAs('AgricultureMSP');
const owner = hex(Number.parseInt(run, 16));
const now = Date.now();
const grant = (grantId, scope, purpose) =>
  bank.submitTransaction(
    'Consent:RecordGrant',
    JSON.stringify({
      grantId,
      subject: owner,
      scope,
      purpose,
      validFrom: iso(now - 120_000),
      validUntil: iso(now + 300 * 86_400_000),
      evidence: { type: 'FORM_HASH', formHash: hex(99) },
    }),
  );
// One grant per worker: a GRANTED access writes its grant, so two in one block would conflict.
for (let w = 0; w < inFlight; w++)
  await grant(`rt-${run}-${w}`, ['HOMESTEAD', 'LAND_CONTRACT'], 'LOAN_APPLICATION');
await grant(`rt-col-${run}`, ['COLLATERAL'], 'COLLATERAL_REGISTRATION');

const granted = async (bytes) => {
  const access = JSON.parse(Buffer.from(bytes).toString('utf8'));
  if (access.outcome !== 'GRANTED')
    throw new Error(`access ${access.accessId} ${access.outcome} ${access.reason}`);
};
await measure('Access:RecordAccess (GRANTED, one dataset)', async (i, worker) =>
  granted(
    await bank.submitTransaction(
      'Access:RecordAccess',
      JSON.stringify({
        accessId: `rt-${run}-${i}`,
        grantId: `rt-${run}-${worker}`,
        subject: owner,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: hex(5),
        releaseDigest: hex(6),
      }),
    ),
  ),
);

let registered = 0;
const assets = Array.from({ length: count }, (_, i) => `RT${run}${i}`);
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (registered < count) {
      const certificateNo = assets[registered++];
      await issuer.submitTransaction(
        'Collateral:RegisterAsset',
        JSON.stringify({
          assetType: 'LAND_CONTRACT_RIGHT',
          certificateNo,
          owner,
          location: '350902-101-0007',
          areaValue: 12.5,
          areaUnit: 'MU',
          appraisedValueFen: 10_000_000,
          appraisalDate: iso(now - 86_400_000),
          rightExpiry: iso(now + 20 * 365 * 86_400_000),
        }),
      );
    }
  }),
);
await measure('Collateral:RegisterLien (distinct assets)', (i) =>
  bank.submitTransaction(
    'Collateral:RegisterLien',
    JSON.stringify({
      lienId: `rt-${run}-${i}`,
      assetId: `LAND_CONTRACT_RIGHT:${assets[i]}`,
      grantId: `rt-col-${run}`,
      securedAmountFen: 1_000_000,
      loanEnd: iso(now + 200 * 86_400_000),
    }),
  ),
);
for (const close of connections) close();
