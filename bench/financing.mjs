// Issue 14's benchmark rows, on the embedded ledger with the real contracts:
//
//   --mode claims --demands N --banks B   B banks race for each of N demands. Each round, every bank
//     still trying endorses its claim against committed state, and the round's endorsements are
//     committed as one block (as an orderer would cut it): per demand one claim is VALID and the
//     others lose with MVCC_READ_CONFLICT and are retried in the next round, until three claims are
//     active and the rest are refused by the chaincode (CONFLICT). Checks exactly 3 winners per demand.
//   --mode signal --accesses A --liens L --samples S   one subject with A GRANTED accesses by 20 banks
//     and L liens on its assets; times `Lending:RecordMultiLenderSignal` (evaluated, the chaincode
//     reading the ledger's indexes) S times.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { emit, gateway, intArg, log, now, parseArgs, percentile, require, tempDir } from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');
const { newCryptoMaterial } = require('@ruralcredit/embedded-ledger');
const { EmbeddedLedgerClientImpl } = gateway('ledger/embedded');
const { ensureConsortium } = gateway('consortium/bootstrap');
const { loadConsortium } = gateway('consortium/definition');
const { OrgSignerStoreImpl } = gateway('consortium/signers');
const { SealedStore } = gateway('store/sealed');
const { openDatabase } = gateway('store/db');

const args = parseArgs();
const mode = args.mode ?? 'claims';
const COUNTY = '350921';
const DAY = 86_400;
const { dir, cleanup } = await tempDir('financing');
try {
  const base = loadConsortium();
  const bankCount = intArg(args, 'banks', 20);
  const banks = Array.from({ length: bankCount }, (_, i) => ({
    mspId: `BenchBank${String(i + 1).padStart(2, '0')}MSP`,
    role: 'BANK',
    name: `Bench bank ${i + 1}`,
    peer: false,
  }));
  const consortium = { ...base, organisations: [...base.organisations, ...banks] };
  const organisations = consortium.organisations.map((o) => ({ mspId: o.mspId, name: o.name }));
  const dataDir = path.join(dir, 'embedded');
  const client = await EmbeddedLedgerClientImpl.open({
    dataDir,
    organisations,
    channelName: consortium.channel,
    chaincodeName: consortium.chaincode,
    sync: false,
  });
  const db = await openDatabase(path.join(dir, 'gateway'));
  const signers = new OrgSignerStoreImpl(
    new SealedStore({ db, name: 'orgkeys', key: randomBytes(32), schema: OrgSignerStoreImpl.schema }),
  );
  await ensureConsortium(client, consortium, signers);
  await db.close();
  const crypto = newCryptoMaterial({ directory: path.join(dataDir, 'crypto') });
  const identity = async (o) =>
    crypto.identity({ mspId: o.mspId, organization: o.name, name: `gateway.${o.mspId}` });
  const regulator = consortium.organisations.find((o) => o.role === 'REGULATOR');
  const ledger = client.ledger;
  const seconds = Math.floor(Date.now() / 1000);
  const submit = (mspId, fn, ...a) => client.submit(mspId, fn, a);
  for (const [i, b] of banks.entries()) {
    await submit(
      b.mspId,
      'Financing:PublishProduct',
      JSON.stringify({
        productId: `bench-product-${i}`,
        version: 1,
        name: 'Bench loan',
        assetTypes: [],
        minAmountFen: 1,
        maxAmountFen: 100_000_000,
        minTermMonths: 1,
        maxTermMonths: 60,
        minRateBps: 300,
        maxRateBps: 900,
        counties: [COUNTY],
      }),
    );
  }
  const grant = (bank, grantId, subject, purpose, scope) =>
    submit(
      bank,
      'Consent:RecordGrant',
      JSON.stringify({
        grantId,
        subject,
        scope,
        purpose,
        validFrom: isoFromEpochSeconds(seconds - 3600),
        validUntil: isoFromEpochSeconds(seconds + 300 * DAY),
        evidence: { type: 'FORM_HASH', formHash: sha256Hex(grantId) },
      }),
    );

  if (mode === 'claims') {
    const demands = intArg(args, 'demands', 1000);
    const ids = [];
    for (let d = 0; d < demands; d++) {
      const demandId = `bench-demand-${d}`;
      ids.push(demandId);
      await submit(
        regulator.mspId,
        'Financing:FileDemand',
        JSON.stringify({
          demandId,
          subject: sha256Hex(`bench-subject-${d}`),
          amountFen: 5_000_000,
          termMonths: 12,
          purpose: 'PLANTING',
          countyCode: COUNTY,
          offeredAssets: [],
          datasets: ['HOMESTEAD'],
          expiresAt: isoFromEpochSeconds(seconds + 30 * DAY),
          evidence: { type: 'FORM_HASH', formHash: sha256Hex(demandId) },
        }),
      );
    }
    const ids2 = await Promise.all(banks.map(identity));
    let pending = ids.flatMap((demandId) => ids2.map((id, b) => ({ demandId, id, b })));
    let retried = 0;
    let refused = 0;
    let valid = 0;
    let endorsements = 0;
    let rounds = 0;
    const winners = new Map(ids.map((id) => [id, 0]));
    const t0 = now();
    while (pending.length > 0) {
      rounds += 1;
      const proposals = [];
      const CHUNK = 64;
      for (let i = 0; i < pending.length; i += CHUNK) {
        const part = pending.slice(i, i + CHUNK);
        const results = await Promise.all(
          part.map(async (p) => {
            endorsements += 1;
            try {
              return {
                p,
                proposal: await ledger.endorse(p.id, 'Financing:ClaimDemand', [
                  `bench-claim-${p.demandId}-${p.b}`,
                  p.demandId,
                ]),
              };
            } catch (err) {
              if (!String(err.message).startsWith('CONFLICT:')) throw err;
              refused += 1;
              return undefined;
            }
          }),
        );
        for (const r of results) if (r) proposals.push(r);
      }
      const next = [];
      for (let i = 0; i < proposals.length; i += 500) {
        const block = proposals.slice(i, i + 500);
        const statuses = await ledger.commitBatch(block.map((x) => x.proposal));
        statuses.forEach((s, k) => {
          const { p } = block[k];
          if (s.validationCode === 'VALID') {
            valid += 1;
            winners.set(p.demandId, winners.get(p.demandId) + 1);
          } else if (
            s.validationCode === 'MVCC_READ_CONFLICT' ||
            s.validationCode === 'PHANTOM_READ_CONFLICT'
          ) {
            retried += 1;
            next.push(p);
          } else throw new Error(`unexpected validation code ${s.validationCode}`);
        });
      }
      pending = next;
    }
    const totalMs = now() - t0;
    const counts = [...winners.values()];
    const exactlyThree = counts.every((c) => c === 3);
    log(
      `${demands} demands x ${bankCount} banks: ${valid} claims VALID in ${(totalMs / 1000).toFixed(1)} s, ${retried} MVCC conflicts retried, ${refused} refused, ${rounds} rounds; exactly 3 winners each: ${exactlyThree}`,
    );
    emit({
      demands,
      banks: bankCount,
      validClaims: valid,
      exactlyThreeWinnersEach: exactlyThree,
      minWinners: Math.min(...counts),
      maxWinners: Math.max(...counts),
      conflictsRetried: retried,
      refusedFull: refused,
      endorsements,
      rounds,
      totalMs,
      claimsPerSecond: valid / (totalMs / 1000),
    });
  } else {
    const accesses = intArg(args, 'accesses', 1000);
    const liens = intArg(args, 'liens', 50);
    const samples = intArg(args, 'samples', 50);
    const subject = sha256Hex('bench-signal-subject');
    const issuer = consortium.assetTypes.find((a) => a.code === 'LAND_CONTRACT_RIGHT').issuer;
    for (const b of banks) {
      await grant(b.mspId, `bench-app-${b.mspId}`, subject, 'LOAN_APPLICATION', ['HOMESTEAD']);
      await grant(b.mspId, `bench-col-${b.mspId}`, subject, 'COLLATERAL_REGISTRATION', ['COLLATERAL']);
    }
    for (let l = 0; l < liens; l++) {
      await submit(
        issuer,
        'Collateral:RegisterAsset',
        JSON.stringify({
          assetType: 'LAND_CONTRACT_RIGHT',
          certificateNo: `BENCH-${l}`,
          owner: subject,
          location: `350921-${l}`,
          areaValue: 5,
          areaUnit: 'MU',
          appraisedValueFen: 100_000_000,
          appraisalDate: isoFromEpochSeconds(seconds - DAY),
          rightExpiry: '2048-12-31T00:00:00Z',
        }),
      );
      const b = banks[l % banks.length].mspId;
      await submit(
        b,
        'Collateral:RegisterLien',
        JSON.stringify({
          lienId: `bench-lien-${l}`,
          assetId: `LAND_CONTRACT_RIGHT:BENCH-${l}`,
          grantId: `bench-col-${b}`,
          securedAmountFen: 1_000_000,
          loanEnd: isoFromEpochSeconds(seconds + 200 * DAY),
        }),
      );
    }
    for (let a = 0; a < accesses; a++) {
      const b = banks[a % banks.length].mspId;
      await submit(
        b,
        'Access:RecordAccess',
        JSON.stringify({
          accessId: `bench-access-${a}`,
          grantId: `bench-app-${b}`,
          subject,
          datasets: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          operator: sha256Hex('op'),
          releaseDigest: sha256Hex(`r-${a}`),
        }),
      );
    }
    const asker = banks[0].mspId;
    const latencies = [];
    let last;
    for (let s = 0; s < samples; s++) {
      const started = now();
      last = await client.evaluate(asker, 'Lending:RecordMultiLenderSignal', [
        `bench-signal-${s}`,
        subject,
        `bench-app-${asker}`,
      ]);
      latencies.push(now() - started);
    }
    log(
      `signal over ${accesses} accesses and ${liens} liens: p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms; applying ${last.applyingInstitutions}, liens ${last.otherLiens.count}`,
    );
    emit({
      accesses,
      liens,
      samples,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      maxMs: Math.max(...latencies),
      signal: {
        applyingInstitutions: last.applyingInstitutions,
        accessingInstitutions: last.accessingInstitutions,
        otherLiens: last.otherLiens,
      },
    });
  }
  await client.close();
} finally {
  await cleanup();
}
