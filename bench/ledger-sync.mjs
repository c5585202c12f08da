// Issue 12 item 4, the cost of durable commits on the embedded backend: the
// gateway's EmbeddedLedgerClientImpl (real contracts) submitting consent
// grants one at a time, one block each, as the gateway does, with LevelDB
// `sync` on each block (the default) and, as the baseline, without it.
//
//   node bench/ledger-sync.mjs --commits N --sync 1|0
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { emit, gateway, intArg, log, now, parseArgs, percentile, require, tempDir } from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');
const { EmbeddedLedgerClientImpl } = gateway('ledger/embedded');
const { ensureConsortium } = gateway('consortium/bootstrap');
const { loadConsortium } = gateway('consortium/definition');
const { OrgSignerStoreImpl } = gateway('consortium/signers');
const { SealedStore } = gateway('store/sealed');
const { openDatabase } = gateway('store/db');

const args = parseArgs();
const commits = intArg(args, 'commits', 300);
const sync = args.sync !== '0';
const { dir, cleanup } = await tempDir('ledger-sync');
try {
  const consortium = loadConsortium();
  const client = await EmbeddedLedgerClientImpl.open({
    dataDir: path.join(dir, 'embedded'),
    organisations: consortium.organisations.map((o) => ({ mspId: o.mspId, name: o.name })),
    channelName: consortium.channel,
    chaincodeName: consortium.chaincode,
    sync,
  });
  const db = await openDatabase(path.join(dir, 'gateway'));
  const signers = new OrgSignerStoreImpl(
    new SealedStore({ db, name: 'orgkeys', key: randomBytes(32), schema: OrgSignerStoreImpl.schema }),
  );
  await ensureConsortium(client, consortium, signers);
  await db.close();
  const bank = consortium.organisations.find((o) => o.role === 'BANK').mspId;
  const seconds = Math.floor(Date.now() / 1000);
  const latencies = [];
  const t0 = now();
  for (let i = 0; i < commits; i++) {
    const grant = JSON.stringify({
      grantId: `sync-${i}`,
      subject: sha256Hex(`sync-subject-${i}`),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      validFrom: isoFromEpochSeconds(seconds - 3600),
      validUntil: isoFromEpochSeconds(seconds + 30 * 86_400),
      evidence: { type: 'FORM_HASH', formHash: sha256Hex(`form-${i}`) },
    });
    const started = now();
    await client.submit(bank, 'Consent:RecordGrant', [grant]);
    latencies.push(now() - started);
  }
  const totalMs = now() - t0;
  await client.close();
  log(`${commits} commits with sync=${sync} in ${(totalMs / 1000).toFixed(2)} s`);
  emit({
    sync,
    commits,
    totalMs,
    commitsPerSecond: (commits * 1000) / totalMs,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
  });
} finally {
  await cleanup();
}
