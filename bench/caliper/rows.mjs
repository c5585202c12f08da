// Table rows of bench items 1 and 6 (Caliper on the real network) from bench/caliper/run.mjs's
// result, shared by `node bench/caliper/run.mjs` and `npm run bench` (bench/run.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, readResults, writeResults } from '../lib.mjs';

/** Fabric 2.5's published blind-write throughput and the hardware it was measured on. */
export const FABRIC_25 = { tps: 2947, servers: 3, threadsPerServer: 40 };
/**
 * ECDSA P-256 verifications one transaction costs this network (3 peers, 2-of-3 endorsement):
 * the client's proposal signature at each of the 2 endorsing peers (2), the envelope's client
 * signature at the orderer that receives it (1), and at validation on each of the 3 peers the
 * creator's signature and the 2 endorsements (3 x 3 = 9). Block signatures (1 orderer signature
 * per block on Raft, 3 on SmartBFT, checked by each peer) are shared by a block's transactions
 * and left out; signing (cheaper than verifying) is not counted.
 */
export const VERIFICATIONS_PER_TX = 2 + 1 + 3 * 3;

export function anchorsOf(crypto, cores) {
  const threads = FABRIC_25.servers * FABRIC_25.threadsPerServer;
  return {
    fabric25: {
      ...FABRIC_25,
      cores,
      scaledTps: (FABRIC_25.tps * cores) / threads,
      formula: `${FABRIC_25.tps} tx/s x ${cores} cores / (${FABRIC_25.servers} servers x ${FABRIC_25.threadsPerServer} threads)`,
    },
    ecdsa:
      crypto.verifyPerSecond === undefined
        ? { error: crypto.error }
        : {
            verifyPerSecondOneCore: crypto.verifyPerSecond,
            cores,
            verificationsPerTx: VERIFICATIONS_PER_TX,
            ceilingTps: (crypto.verifyPerSecond * cores) / VERIFICATIONS_PER_TX,
            formula: `${Math.round(crypto.verifyPerSecond)} verifications/s per core x ${cores} cores / ${VERIFICATIONS_PER_TX} per transaction`,
          },
  };
}

const OP_NAMES = {
  blindWrite: 'blind write (test-only chaincode)',
  recordAccess: 'Access:RecordAccess',
  registerLien: 'Collateral:RegisterLien, distinct assets',
  getAsset: 'Collateral:GetAsset (evaluate)',
};
const NETWORK_NAMES = { raft: 'Raft (3 orderers)', bft: 'BFT (4 SmartBFT orderers)' };
const GROUP_NAMES = {
  orderers: 'orderers',
  peers: 'peers',
  chaincodeServers: 'chaincode servers',
  blindWriteServers: 'blind-write servers',
  client: 'Caliper',
};
const ms = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const tps = (v) => (v === undefined ? '-' : v.toFixed(1));

function controlName(r) {
  return r.control === 'fixed-rate'
    ? `fixed rate ${r.controlOpts.tps} tx/s`
    : `fixed load (at most ${r.controlOpts.transactionLoad} in flight)`;
}

/** Failures: Caliper's failed transactions, plus answers the workload found wrong (not GRANTED, not the bank's lien). */
const failures = (r) => (r.fail ?? 0) + (r.checked?.unexpected ?? 0);

function cell(r) {
  if (r.succ === undefined) return 'no Caliper summary for this round';
  const wrong = r.checked?.unexpected ? ` (${r.checked.unexpected} answers not as expected)` : '';
  // The load the controller held (counted by the workload as each transaction left), and the mean
  // in flight by Little's law from Caliper's figures (the time inside the Fabric client only).
  const held = r.inFlightAtSend === undefined ? '' : `, ${r.inFlightAtSend.toFixed(0)} in flight at send`;
  const inFlight =
    r.control === 'fixed-load'
      ? `${held}, ${(r.tps * r.avgLatencyS).toFixed(0)} in flight on average by Little's law`
      : '';
  return `${tps(r.tps)} tx/s, p50/p95/max ${ms(r.p50Ms)}/${ms(r.p95Ms)}/${ms(r.maxMs)} ms, ${r.succ} ok, ${failures(r)} failed${wrong}${inFlight}`;
}

const find = (net, op, control) => net?.rounds.filter((r) => r.op === op && r.control === control) ?? [];
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** The committed transactions a round's CPU is divided by (queries for GetAsset). */
function cpuPerTx(r) {
  if (!r.succ || !r.cpuSeconds) return undefined;
  const perTx = {};
  for (const [k, v] of Object.entries(r.cpuSeconds)) perTx[k] = (v * 1000) / r.succ;
  return perTx;
}

function cpuCell(perTx) {
  const network = Object.entries(perTx).filter(([k, v]) => k !== 'client' && v > 0.005);
  const total = network.reduce((s, [, v]) => s + v, 0);
  return `${network.map(([k, v]) => `${GROUP_NAMES[k]} ${ms(v)}`).join(' + ')} = ${ms(total)} ms; Caliper ${ms(perTx.client)} ms`;
}

function bottleneck(perTx) {
  const [name] = Object.entries(perTx)
    .filter(([k]) => k !== 'client')
    .reduce((a, b) => (b[1] > a[1] ? b : a));
  return GROUP_NAMES[name];
}

const networkTotal = (perTx) =>
  Object.entries(perTx)
    .filter(([k]) => k !== 'client')
    .reduce((s, [, v]) => s + v, 0);

function skippedRows(reason) {
  return [
    {
      item: '1 Chaincode throughput, Caliper 0.6 on Fabric',
      measured: `skipped: ${reason}`,
      baseline: '-',
      ratio: '-',
      target: 'RecordAccess, RegisterLien >= 0.8 x blind write',
      met: 'not run',
    },
    {
      item: '6 CPU ms per committed tx, by process',
      measured: `skipped: ${reason}`,
      baseline: '-',
      ratio: '-',
      target: 'name the bottleneck',
      met: 'not run',
    },
  ];
}

/** Item 1 and item 6 rows. */
export function caliperRows(result) {
  if (result.skipped) return skippedRows(result.skipped);
  const rows = [];
  const raft = result.networks.find((n) => n.consensus === 'raft');
  const bft = result.networks.find((n) => n.consensus === 'bft');
  const blindLoad = find(raft, 'blindWrite', 'fixed-load');
  const blindTps = blindLoad.length ? mean(blindLoad.map((r) => r.tps ?? 0)) : undefined;
  for (const net of result.networks) {
    for (const r of net.rounds) {
      const measured = r.op === 'blindWrite' && r.control === 'fixed-load' && net === raft;
      const ratioTarget =
        net === raft && r.control === 'fixed-load' && (r.op === 'recordAccess' || r.op === 'registerLien');
      const row = {
        item: `1 Caliper 0.6, ${NETWORK_NAMES[net.consensus]}: ${OP_NAMES[r.op]}, ${controlName(r)}`,
        measured: cell(r),
        baseline: '-',
        ratio: '-',
        target: 'reported',
        met: '-',
        values: r,
      };
      if (ratioTarget && blindTps) {
        const ratio = (r.tps ?? 0) / blindTps;
        Object.assign(row, {
          baseline: `blind write ${tps(blindTps)} tx/s (mean of ${blindLoad.length} load rounds: ${blindLoad.map((b) => tps(b.tps)).join(', ')})`,
          ratio: ratio.toFixed(2),
          target: '>= 0.8 x blind write',
          met: ratio >= 0.8 && failures(r) === 0 ? 'yes' : 'NO',
          values: { ...r, ratio, blindWriteTps: blindTps },
        });
      } else if (net === bft && r.op === 'recordAccess') {
        const same = find(raft, 'recordAccess', r.control)[0];
        if (same?.tps) {
          Object.assign(row, {
            baseline: `Raft ${cell(same)}`,
            ratio: ((r.tps ?? 0) / same.tps).toFixed(2),
            values: { ...r, raftTps: same.tps, ratioToRaft: (r.tps ?? 0) / same.tps },
          });
        }
      } else if (measured) {
        row.target = 'baseline of the ratios';
      }
      rows.push(row);
    }
  }
  const { fabric25, ecdsa } = result.anchors;
  if (blindTps) {
    rows.push({
      item: "1 Anchor: Fabric 2.5's published blind write, scaled by cores",
      measured: `${tps(fabric25.scaledTps)} tx/s = ${fabric25.formula}`,
      baseline: `ours: blind write ${tps(blindTps)} tx/s`,
      ratio: (blindTps / fabric25.scaledTps).toFixed(2),
      target: 'reported (ours / anchor)',
      met: '-',
      values: fabric25,
    });
    rows.push({
      item: '1 Anchor: ECDSA P-256 verification ceiling (openssl speed)',
      measured:
        ecdsa.ceilingTps === undefined
          ? `not measured: ${ecdsa.error}`
          : `${tps(ecdsa.ceilingTps)} tx/s = ${ecdsa.formula}`,
      baseline: `ours: blind write ${tps(blindTps)} tx/s`,
      ratio: ecdsa.ceilingTps === undefined ? '-' : (blindTps / ecdsa.ceilingTps).toFixed(2),
      target: 'reported (ours / ceiling)',
      met: '-',
      values: ecdsa,
    });
  }
  // Item 6: CPU per committed transaction by process group, saturated (fixed-load) rounds.
  for (const net of result.networks) {
    const blind = find(net, 'blindWrite', 'fixed-load').map(cpuPerTx).filter(Boolean);
    const blindTotal = blind.length ? mean(blind.map(networkTotal)) : undefined;
    for (const r of net.rounds.filter((x) => x.control === 'fixed-load')) {
      const perTx = cpuPerTx(r);
      if (!perTx) continue;
      const busy = Object.entries(r.cpuSeconds).reduce((s, [, v]) => s + v, 0) / r.wallSeconds;
      rows.push({
        item: `6 CPU ms per ${r.op === 'getAsset' ? 'query' : 'committed tx'} by process, ${NETWORK_NAMES[net.consensus]}: ${OP_NAMES[r.op]}, ${controlName(r)}`,
        measured: `${cpuCell(perTx)}; ${busy.toFixed(2)} of ${result.machine.cores} cores busy`,
        baseline: r.op === 'blindWrite' || !blindTotal ? '-' : `blind write ${ms(blindTotal)} ms`,
        ratio:
          r.op === 'blindWrite' || !blindTotal ? '-' : `${(networkTotal(perTx) / blindTotal).toFixed(2)}x`,
        target: 'name the bottleneck',
        met: bottleneck(perTx),
        values: { cpuMsPerTx: perTx, coresBusy: busy, cpuSeconds: r.cpuSeconds, wallSeconds: r.wallSeconds },
      });
    }
  }
  return rows;
}

export const table = formatTable;

const RESULTS_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'results',
  'latest.json',
);

/** Replaces the item 1 and 6 rows (and raw.caliper) of bench/results/latest.json with these. */
export async function mergeIntoResults(rows, result) {
  const doc = (await readResults(RESULTS_FILE)) ?? { rows: [], raw: {} };
  const isOurs = (r) => /^[16] /.test(r.item);
  const kept = doc.rows.filter((r) => !isOurs(r));
  const at = doc.rows.findIndex(isOurs);
  doc.rows = at < 0 ? [...rows, ...kept] : [...kept.slice(0, at), ...rows, ...kept.slice(at)];
  doc.raw = { ...doc.raw, caliper: result };
  doc.caliperDate = new Date().toISOString();
  if (doc.notRun) delete doc.notRun.items;
  await writeResults(RESULTS_FILE, doc);
}
