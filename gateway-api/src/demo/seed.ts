/**
 * Demo data for `npm start`: a few thousand synthetic farmers with records
 * from each department, rights registered on the ledger, consents and a few
 * liens. Runs once per data directory. Every write goes through the same
 * services and chaincode as real traffic.
 */
import { Readable } from 'node:stream';
import { isoFromEpochSeconds, makeResidentId, sha256Hex } from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import { operatorPseudonym } from '../auth/pseudonym';
import type { DomainContext } from '../domain';
import type { GatewayDeps } from '../feature';
import { AppError } from '../http/errors';
import { provenanceSublevels } from '../provenance/record-store';
import { ProvenanceServiceImpl } from '../provenance/service';
import { seedFinancing } from './financing-seed';

const MARKER = 'demo!seeded';
const DAY = 86_400;

/** The demo farmer the start-up hint and the README's quick start name (consent `demo-consent-2`). */
export const DEMO_TRY_FARMER = 2;

/** The resident ID of demo farmer `n` (valid check digit, real birth date). */
export function demoFarmerId(n: number): string {
  const day = String(1 + (n % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(n / 28) % 12)).padStart(2, '0');
  const year = 1960 + (Math.floor(n / 336) % 40);
  const sequence = String(Math.floor(n / 13_440) % 1000).padStart(3, '0');
  return makeResidentId(`350902${year}${month}${day}${sequence}`);
}

function principal(ctx: DomainContext, deps: GatewayDeps, mspId: string): Principal {
  const userId = `demo-seed@${mspId}`;
  return {
    userId,
    username: userId,
    orgMspId: mspId,
    roles: ['DATA_OFFICER'],
    operator: operatorPseudonym(deps.config.pseudonymSecret, userId),
  };
}

/** Ledger writes the seeding keeps in flight at once. */
const SEED_CONCURRENCY = 32;

/** Runs `tasks` with at most `limit` in flight; rejects with the first failure. */
async function inParallel(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      if (task) await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * Seeds the demo unless this data directory was seeded before.
 *
 * @returns lines to print: what was created and what to try.
 */
export async function seedDemo(ctx: DomainContext, deps: GatewayDeps, farmers: number): Promise<string[]> {
  const seeded = await deps.db.get(MARKER).catch(() => undefined);
  if (typeof seeded === 'string') return [`Demo data already present (${seeded})`];
  const started = Date.now();
  const org = (role: string): string => {
    const o = ctx.consortium.organisations.find((x) => x.role === role);
    if (!o) throw new Error(`the consortium has no ${role}`);
    return o.mspId;
  };
  // Consents and liens rotate over the banks running a peer (the README's quick start names bank A).
  const banks = ctx.consortium.organisations.filter((o) => o.role === 'BANK' && o.peer).map((o) => o.mspId);
  const provenance = new ProvenanceServiceImpl({
    context: ctx,
    db: deps.db,
    levels: provenanceSublevels(deps),
    logger: deps.logger,
  });
  const now = Math.floor(Date.now() / 1000);
  const period = {
    periodStart: isoFromEpochSeconds(now - 30 * DAY),
    periodEnd: isoFromEpochSeconds(now - 60),
  };
  const records: Record<string, (n: number) => Record<string, unknown>> = {
    HOMESTEAD: (n) => ({
      subjectId: demoFarmerId(n),
      certificateNo: `HS-2019-${String(n).padStart(6, '0')}`,
      parcelCode: `350902-${100 + (n % 37)}-${String(n).padStart(5, '0')}`,
      areaSquareMetres: 90 + (n % 150),
      registeredOn: '2019-06-15',
    }),
    LAND_CONTRACT: (n) => ({
      subjectId: demoFarmerId(n),
      contractNo: `LC-${String(n).padStart(6, '0')}`,
      areaMu: 2 + (n % 19) / 2,
      termEnd: '2048-12-31',
    }),
    AGRI_SUBSIDY: (n) => ({
      subjectId: demoFarmerId(n),
      programme: n % 3 === 0 ? 'GRAIN_DIRECT' : 'FARMLAND_PROTECTION',
      amountFen: 50_000 + (n % 40) * 1_000,
      paidOn: '2026-10-15',
    }),
  };
  // Independent writes go to the ledger many at a time: on Fabric each waits for its block.
  await Promise.all(
    ctx.consortium.datasetTypes.map(async (dataset) => {
      const make = records[dataset.code];
      if (!make) return;
      const lines = (function* () {
        for (let n = 1; n <= farmers; n++) yield Buffer.from(`${JSON.stringify(make(n))}\n`, 'utf8');
      })();
      await provenance.upload(
        principal(ctx, deps, dataset.provider),
        dataset.code,
        { batchId: `demo-${dataset.code.toLowerCase()}-1`, ...period },
        'ndjson',
        Readable.from(lines),
      );
    }),
  );
  // An interrupted seeding is resumed: what was written before answers CONFLICT and is skipped.
  const submit = async (mspId: string, fn: string, body: unknown): Promise<void> => {
    try {
      await ctx.ledger.submit(mspId, fn, [JSON.stringify(body)]);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
    }
  };
  const issuer =
    ctx.consortium.assetTypes.find((a) => a.code === 'LAND_CONTRACT_RIGHT')?.issuer ?? org('DATA_PROVIDER');
  const assets = Math.min(200, farmers);
  const writes: (() => Promise<void>)[] = [];
  for (let n = 1; n <= assets; n++) {
    writes.push(async () =>
      submit(issuer, 'Collateral:RegisterAsset', {
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: `LC-${String(n).padStart(6, '0')}`,
        owner: await ctx.subjects.pseudonym(demoFarmerId(n)),
        location: `350902-${100 + (n % 37)}-${String(n).padStart(5, '0')}`,
        areaValue: 2 + (n % 19) / 2,
        areaUnit: 'MU',
        appraisedValueFen: 8_000_000 + (n % 20) * 250_000,
        appraisalDate: isoFromEpochSeconds(now - 10 * DAY),
        rightExpiry: '2048-12-31T00:00:00Z',
        provenanceBatch: 'demo-land_contract-1',
      }),
    );
  }
  const validity = {
    validFrom: isoFromEpochSeconds(now - DAY),
    validUntil: isoFromEpochSeconds(now + 365 * DAY),
  };
  const consents = Math.min(50, farmers);
  const collateral: { n: number; bank: string; subject: string; evidence: unknown }[] = [];
  for (let n = 1; n <= consents; n++) {
    const bank = banks[n % banks.length] ?? org('BANK');
    const subject = await ctx.subjects.pseudonym(demoFarmerId(n));
    const evidence = { type: 'FORM_HASH', formHash: sha256Hex(`demo signed consent form ${n}`) };
    writes.push(() =>
      submit(bank, 'Consent:RecordGrant', {
        grantId: `demo-consent-${n}`,
        subject,
        scope: ctx.consortium.datasetTypes.map((d) => d.code),
        purpose: 'LOAN_APPLICATION',
        maxAccesses: 20,
        evidence,
        ...validity,
      }),
    );
    if (n <= 10) {
      collateral.push({ n, bank, subject, evidence });
      writes.push(() =>
        submit(bank, 'Consent:RecordGrant', {
          grantId: `demo-collateral-${n}`,
          subject,
          scope: ['COLLATERAL'],
          purpose: 'COLLATERAL_REGISTRATION',
          evidence,
          ...validity,
        }),
      );
    }
  }
  await inParallel(writes, SEED_CONCURRENCY);
  // Liens need their asset and collateral grant committed first.
  await inParallel(
    collateral.map(
      ({ n, bank }) =>
        () =>
          submit(bank, 'Collateral:RegisterLien', {
            lienId: `demo-lien-${n}`,
            assetId: `LAND_CONTRACT_RIGHT:LC-${String(n).padStart(6, '0')}`,
            grantId: `demo-collateral-${n}`,
            securedAmountFen: 3_000_000,
            loanEnd: isoFromEpochSeconds(now + 330 * DAY), // within the consent, as the chaincode requires
          }),
    ),
    SEED_CONCURRENCY,
  );
  const financing = await seedFinancing(ctx, demoFarmerId, Math.min(100, farmers) + 1);
  const summary =
    `${farmers} farmers, ${ctx.consortium.datasetTypes.length} batches, ${assets} assets, ${consents} consents, ` +
    `${Math.min(10, consents)} liens, ${financing.products} loan products, ${financing.demands} financing demands, ` +
    `${financing.claims} claims, ${financing.loans} loans`;
  await deps.db.put(MARKER, summary);
  // The README's quick start uses the same subject, consent and bank.
  const tryBank = banks[DEMO_TRY_FARMER % banks.length] ?? org('BANK');
  return [
    `Demo data seeded in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary}`,
    `Try a report as ${tryBank}'s loan officer: subjectId ${demoFarmerId(DEMO_TRY_FARMER)}, consentId demo-consent-${DEMO_TRY_FARMER}, datasets ${ctx.consortium.datasetTypes
      .map((d) => d.code)
      .join(',')}, purpose LOAN_APPLICATION`,
  ];
}
