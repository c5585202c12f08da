// Item 5, indexer catch-up: an embedded ledger (the gateway's
// EmbeddedLedgerClientImpl running the real compiled contracts) holding
// consent grants and accesses, then the gateway's IndexerImpl (what
// createIndexer builds: restart loop around the BlockProcessor) replaying
// it from block 0 into a fresh LevelDB index.
//
// Building: every proposal is endorsed by the real contracts, then BLOCK
// proposals are committed as one block with commitBatch (validation and
// MVCC checks included), which is faster than one block per submit. Each
// block names a grant at most once, so no access conflicts with another.
//
// Baseline: reading the same block stream (ledger.blocks(0), decoded as the
// indexer receives it) without indexing, in the same process and run.
//
//   node bench/indexer-catchup.mjs --transactions N [--rounds R]
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { emit, gateway, intArg, log, now, parseArgs, peakRssBytes, require, tempDir } from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');
const { newCryptoMaterial } = require('@ruralcredit/embedded-ledger');
const { EmbeddedLedgerClientImpl } = gateway('ledger/embedded');
const { ensureConsortium } = gateway('consortium/bootstrap');
const { loadConsortium } = gateway('consortium/definition');
const { OrgSignerStoreImpl } = gateway('consortium/signers');
const { SealedStore } = gateway('store/sealed');
const { openDatabase } = gateway('store/db');
const { IndexerImpl } = gateway('indexer/indexer');
const { LevelIndexStore } = gateway('indexer/store');
const { silentLogger } = gateway('http/logger');

/** Proposals per committed block. */
const BLOCK = 100;
/** Accesses per grant: the ledger is one fifth grants, four fifths accesses. */
const ACCESSES_PER_GRANT = 4;
const OPERATOR = sha256Hex('bench-operator');

function grantJson(grantId, subject) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    grantId,
    subject,
    scope: ['HOMESTEAD', 'LAND_CONTRACT'],
    purpose: 'LOAN_APPLICATION',
    validFrom: isoFromEpochSeconds(nowSeconds - 3600),
    validUntil: isoFromEpochSeconds(nowSeconds + 30 * 86_400),
    evidence: { type: 'FORM_HASH', formHash: sha256Hex(`form-${grantId}`) },
  });
}

function accessJson(accessId, grantId, subject) {
  return JSON.stringify({
    accessId,
    grantId,
    subject,
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
    operator: OPERATOR,
    releaseDigest: sha256Hex(`release-${accessId}`),
  });
}

/** Endorses `calls` and commits them in blocks of BLOCK; returns the validation codes. */
async function commitInBlocks(ledger, calls) {
  const codes = new Map();
  for (let first = 0; first < calls.length; first += BLOCK) {
    const proposals = [];
    for (const call of calls.slice(first, first + BLOCK)) {
      proposals.push(await ledger.endorse(call.identity, call.fn, [call.arg]));
    }
    for (const status of await ledger.commitBatch(proposals)) {
      codes.set(status.validationCode, (codes.get(status.validationCode) ?? 0) + 1);
    }
  }
  return codes;
}

async function buildLedger(dir, transactions) {
  const consortium = loadConsortium();
  const client = await EmbeddedLedgerClientImpl.open({
    dataDir: path.join(dir, 'embedded'),
    organisations: consortium.organisations.map((o) => ({ mspId: o.mspId, name: o.name })),
    channelName: consortium.channel,
    chaincodeName: consortium.chaincode,
  });
  const db = await openDatabase(path.join(dir, 'gateway'));
  const signers = new OrgSignerStoreImpl(
    new SealedStore({ db, name: 'orgkeys', key: randomBytes(32), schema: OrgSignerStoreImpl.schema }),
  );
  await ensureConsortium(client, consortium, signers);
  await db.close();

  // The same identity files the client loaded (as the gateway's own tests do).
  const crypto = newCryptoMaterial({ directory: path.join(dir, 'embedded', 'crypto') });
  const banks = [];
  for (const o of consortium.organisations.filter((org) => org.role === 'BANK')) {
    banks.push(await crypto.identity({ mspId: o.mspId, organization: o.name, name: `gateway.${o.mspId}` }));
  }
  const grants = Math.ceil(transactions / (1 + ACCESSES_PER_GRANT));
  const grantCalls = [];
  for (let g = 0; g < grants; g++) {
    grantCalls.push({
      identity: banks[g % banks.length],
      fn: 'Consent:RecordGrant',
      arg: grantJson(`grt-${g}`, sha256Hex(`bench-subject-${g}`)),
      grant: g,
    });
  }
  // Round r accesses every grant once, so a block (BLOCK consecutive calls) never names a grant twice.
  const accessCalls = [];
  for (let r = 0; r < ACCESSES_PER_GRANT && grantCalls.length + accessCalls.length < transactions; r++) {
    for (const call of grantCalls) {
      if (grantCalls.length + accessCalls.length >= transactions) break;
      const accessId = `acc-${r}-${call.grant}`;
      accessCalls.push({
        identity: call.identity,
        fn: 'Access:RecordAccess',
        arg: accessJson(accessId, `grt-${call.grant}`, sha256Hex(`bench-subject-${call.grant}`)),
      });
    }
  }
  const t0 = now();
  const grantCodes = await commitInBlocks(client.ledger, grantCalls);
  log(`committed ${grantCalls.length} grants`);
  const accessCodes = await commitInBlocks(client.ledger, accessCalls);
  const buildMs = now() - t0;
  log(`committed ${accessCalls.length} accesses; ledger built in ${(buildMs / 1000).toFixed(1)} s`);
  const codes = {};
  for (const [code, count] of [...grantCodes, ...accessCodes]) codes[code] = (codes[code] ?? 0) + count;
  return { client, grants: grantCalls.length, accesses: accessCalls.length, codes, buildMs };
}

/** Reads every block from 0 without indexing; returns the time and counts. */
async function readStream(client, lastBlock) {
  let blocks = 0;
  let txs = 0;
  const t0 = now();
  const stream = client.blocks(0);
  try {
    for await (const block of stream) {
      blocks += 1;
      txs += block.transactions.length;
      if (block.number >= lastBlock) break;
    }
  } finally {
    stream.close();
  }
  return { ms: now() - t0, blocks, txs };
}

/** Replays the ledger from block 0 into a fresh index with the gateway's indexer. */
async function replay(client, lastBlock, dir) {
  const db = await openDatabase(dir);
  const indexer = new IndexerImpl({
    ledger: client,
    store: new LevelIndexStore({ db }),
    logger: silentLogger(),
    waitTimeoutMs: 3_600_000,
  });
  const t0 = now();
  indexer.start();
  await indexer.waitFor(lastBlock);
  const ms = now() - t0;
  const counters = await indexer.counters();
  await indexer.stop();
  await db.close();
  let accessesGranted = 0;
  let consentsRecorded = 0;
  for (const c of counters.values()) {
    accessesGranted += c.accessesGranted;
    consentsRecorded += c.consentsRecorded;
  }
  return { ms, accessesGranted, consentsRecorded };
}

const args = parseArgs();
const transactions = intArg(args, 'transactions', 10_000);
const rounds = intArg(args, 'rounds', 2);
const { dir, cleanup } = await tempDir('catchup');
try {
  const built = await buildLedger(dir, transactions);
  const height = await built.client.height();
  const lastBlock = height - 1;
  const baselines = [];
  const replays = [];
  let stream;
  // Alternate baseline and indexer so machine noise hits both alike; keep each one's best round.
  for (let r = 0; r < rounds; r++) {
    stream = await readStream(built.client, lastBlock);
    baselines.push(stream.ms);
    const result = await replay(built.client, lastBlock, path.join(dir, `index-${r}`));
    if (result.accessesGranted !== built.accesses || result.consentsRecorded !== built.grants) {
      throw new Error(
        `index counters ${result.accessesGranted} accesses / ${result.consentsRecorded} grants, ` +
          `ledger holds ${built.accesses} / ${built.grants}`,
      );
    }
    replays.push(result.ms);
    log(`round ${r + 1}/${rounds}: stream ${stream.ms.toFixed(0)} ms, indexer ${result.ms.toFixed(0)} ms`);
  }
  await built.client.close();
  const bestReplay = Math.min(...replays);
  const bestStream = Math.min(...baselines);
  emit({
    grants: built.grants,
    accesses: built.accesses,
    validationCodes: built.codes,
    buildMs: built.buildMs,
    blocks: stream.blocks,
    transactions: stream.txs,
    proposalsPerBlock: BLOCK,
    rounds,
    indexer: {
      samplesMs: replays,
      bestMs: bestReplay,
      blocksPerSecond: stream.blocks / (bestReplay / 1000),
      transactionsPerSecond: stream.txs / (bestReplay / 1000),
    },
    streamOnly: {
      samplesMs: baselines,
      bestMs: bestStream,
      blocksPerSecond: stream.blocks / (bestStream / 1000),
      transactionsPerSecond: stream.txs / (bestStream / 1000),
    },
    peakRssBytes: peakRssBytes(),
  });
} finally {
  await cleanup();
}
