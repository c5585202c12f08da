/**
 * The whole business flow across organisations, through the REST API only,
 * with every module the gateway runs: a department anchors its data, a bank
 * gets the farmer's consent and a verification report, registers a lien, a
 * wrong record is disputed and corrected, and the auditor and the regulator
 * trace and verify everything that happened.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { isoFromEpochSeconds, verifyAuditExport } from '@ruralcredit/protocol';
import { DOMAIN_MODULES } from '../../src/app';
import {
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
  type ConsortiumGatewayOptions,
  ORG,
} from './consortium-gateway';

const now = Math.floor(Date.now() / 1000);
const DAY = 86_400;
const window = { validFrom: isoFromEpochSeconds(now - 60), validUntil: isoFromEpochSeconds(now + 365 * DAY) };
const FARMER = residentId(42);
/** Per run: the ledger may hold an earlier run's records (Fabric), so IDs are unique and counts are deltas. */
const RUN = randomBytes(3).toString('hex');

function landContract(area: number): Record<string, unknown> {
  return { subjectId: FARMER, contractNo: `LC-42-${RUN}`, areaMu: area, termEnd: '2048-12-31' };
}

function form(consent: Record<string, unknown>, text: string): FormData {
  const data = new FormData();
  data.set('consent', JSON.stringify(consent));
  data.set('evidence', new Blob([Buffer.from(`%PDF-1.7\n${text}`)]), 'consent.pdf');
  return data;
}

/** The parts of `/stats` the journey checks. */
interface Institution {
  mspId: string;
  accessesGranted: number;
  accessesDenied: number;
  consentsRecorded: number;
  liensRegistered: number;
}
interface Stats {
  institutions: Institution[];
  overdueDisputes: { count: number };
}

const BACKENDS: readonly (readonly [string, ConsortiumGatewayOptions])[] = [
  ['acceptance: the whole business flow across organisations', {}],
  [
    'acceptance: the whole business flow through the Fabric client over a gRPC double of the peer Gateway service',
    { ledger: 'fabric-double' },
  ],
];

for (const [title, options] of BACKENDS) {
  describe(title, () => {
    let g: ConsortiumGateway;
    before(async () => {
      g = await startConsortiumGateway(DOMAIN_MODULES, {}, options);
    });
    after(() => g.stop());

    it('anchors, consents, reports, pledges, disputes, corrects, and leaves a verifiable trail', async () => {
      // What the ledger held before this run (empty on the embedded ledger; not on a shared network).
      const summaryBefore = (await g.api('/audit/export/summary', { as: ['auditor', 'AUDITOR'] })).body as {
        count: number;
      };
      const statsBefore = (await g.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] })).body as Stats;
      const bankABefore = statsBefore.institutions.find((i) => i.mspId === ORG.bankA);
      // 1. The agriculture bureau anchors land contracts, one of them with a wrong area.
      const batch = await g.api(
        `/datasets/LAND_CONTRACT/batches?batchId=lc-2026-10-${RUN}&periodStart=2026-10-01T00:00:00Z&periodEnd=2026-10-31T23:59:59Z`,
        {
          method: 'POST',
          as: ['agri', 'DATA_OFFICER'],
          body: [
            landContract(3.5),
            { subjectId: residentId(43), contractNo: `LC-43-${RUN}`, areaMu: 8, termEnd: '2040-12-31' },
          ]
            .map((r) => JSON.stringify(r))
            .join('\n'),
          headers: { 'content-type': 'application/x-ndjson' },
        },
      );
      expect(batch.status, batch.text).to.equal(201);
      expect(batch.body).to.include({ batchId: `lc-2026-10-${RUN}`, recordCount: 2 });

      // 2. It registers the farmer's land right, from that batch.
      const asset = await g.api('/assets', {
        method: 'POST',
        as: ['agri', 'DATA_OFFICER'],
        json: {
          assetType: 'LAND_CONTRACT_RIGHT',
          certificateNo: `LC-42-${RUN}`,
          ownerSubjectId: FARMER,
          location: '350902-104-00042',
          areaValue: 3.5,
          areaUnit: 'MU',
          appraisedValueFen: 6_000_000,
          appraisalDate: isoFromEpochSeconds(now - DAY),
          rightExpiry: '2048-12-31T00:00:00Z',
          provenanceBatch: `lc-2026-10-${RUN}`,
        },
      });
      expect(asset.status, asset.text).to.equal(201);

      // 3. Bank A records the farmer's signed consents: a report for the loan, and the collateral registration.
      for (const [consentId, scope, purpose] of [
        [`c-loan-42-${RUN}`, ['LAND_CONTRACT'], 'LOAN_APPLICATION'],
        [`c-coll-42-${RUN}`, ['COLLATERAL'], 'COLLATERAL_REGISTRATION'],
      ] as const) {
        const res = await g.api('/consents', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          body: form({ consentId, subjectId: FARMER, scope, purpose, ...window }, `form ${consentId}`),
        });
        expect(res.status, res.text).to.equal(201);
      }

      // 4. The loan officer gets the verification report: the access is on the ledger first.
      const issued = await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          subjectId: FARMER,
          consentId: `c-loan-42-${RUN}`,
          datasets: ['LAND_CONTRACT'],
          purpose: 'LOAN_APPLICATION',
        },
      });
      expect(issued.status, issued.text).to.equal(201);
      const { report } = issued.body as {
        report: {
          datasets: { records: { record: unknown; leafHash: string }[] }[];
          collateral: { assetId: string }[];
        };
      };
      expect(report.datasets[0]!.records.map((r) => r.record)).to.deep.equal([landContract(3.5)]);
      expect(report.collateral.map((a) => a.assetId)).to.deep.equal([`LAND_CONTRACT_RIGHT:LC-42-${RUN}`]);

      // 5. It pledges the land right; Bank B cannot take the same consent.
      const lien = await g.api('/liens', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          lienId: `lien-42-${RUN}`,
          assetId: `LAND_CONTRACT_RIGHT:LC-42-${RUN}`,
          consentId: `c-coll-42-${RUN}`,
          securedAmountFen: 4_000_000,
          loanEnd: isoFromEpochSeconds(now + 300 * DAY),
        },
      });
      expect(lien.status, lien.text).to.equal(201);
      const stolen = await g.api('/liens', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        json: {
          assetId: `LAND_CONTRACT_RIGHT:LC-42-${RUN}`,
          consentId: `c-coll-42-${RUN}`,
          securedAmountFen: 1,
          loanEnd: isoFromEpochSeconds(now + 300 * DAY),
        },
      });
      expect(stolen.status).to.equal(403);

      // 6. The farmer says the area is wrong: the bank files a dispute; the bureau anchors a correction and resolves it.
      const recordHash = report.datasets[0]!.records[0]!.leafHash;
      const dispute = await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          disputeId: `d-42-${RUN}`,
          subjectId: FARMER,
          datasetType: 'LAND_CONTRACT',
          batchId: `lc-2026-10-${RUN}`,
          recordHash,
          consentId: `c-loan-42-${RUN}`,
          reason: 'WRONG_VALUE',
          note: 'The farmer says the contract covers 5.2 mu.',
        },
      });
      expect(dispute.status, dispute.text).to.equal(201);
      const fix = await g.api(
        `/datasets/LAND_CONTRACT/batches?batchId=lc-2026-10-${RUN}-fix&corrects=lc-2026-10-${RUN}&periodStart=2026-10-01T00:00:00Z&periodEnd=2026-10-31T23:59:59Z`,
        {
          method: 'POST',
          as: ['agri', 'DATA_OFFICER'],
          json: [landContract(5.2)],
        },
      );
      expect(fix.status, fix.text).to.equal(201);
      const resolved = await g.api(`/disputes/d-42-${RUN}/resolution`, {
        method: 'POST',
        as: ['agri', 'DATA_OFFICER'],
        json: {
          outcome: 'CORRECTED',
          correctingBatchId: `lc-2026-10-${RUN}-fix`,
          note: 'Re-measured on site: 5.2 mu.',
        },
      });
      expect(resolved.status, resolved.text).to.equal(200);

      // 7. The next report shows the corrected record.
      const again = await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          subjectId: FARMER,
          consentId: `c-loan-42-${RUN}`,
          datasets: ['LAND_CONTRACT'],
          purpose: 'LOAN_APPLICATION',
        },
      });
      expect(again.status, again.text).to.equal(201);
      const second = (
        again.body as { report: { datasets: { records: { record: unknown; batchId: string }[] }[] } }
      ).report;
      expect(second.datasets[0]!.records.map((r) => [r.batchId, r.record])).to.deep.equal([
        [`lc-2026-10-${RUN}-fix`, landContract(5.2)],
      ]);

      // 8. The auditor traces who accessed the farmer's data, and the exported trail verifies.
      const trace = await g.api(`/audit/accesses?subjectId=${FARMER}`, { as: ['auditor', 'AUDITOR'] });
      expect(trace.status, trace.text).to.equal(200);
      const accesses = (
        trace.body as { items: { accessor: string; outcome: string; grantId: string; purpose: string }[] }
      ).items;
      expect(accesses.map((a) => [a.accessor, a.outcome, a.grantId, a.purpose])).to.deep.equal([
        [ORG.bankA, 'GRANTED', `c-loan-42-${RUN}`, 'LOAN_APPLICATION'],
        [ORG.bankA, 'GRANTED', `c-loan-42-${RUN}`, 'LOAN_APPLICATION'],
      ]);
      const exported = await g.api('/audit/export', { as: ['auditor', 'AUDITOR'] });
      expect(exported.status).to.equal(200);
      const lines = exported.text.split('\n').filter((l) => l !== '');
      const summary = await g.api('/audit/export/summary', { as: ['auditor', 'AUDITOR'] });
      const { count, lastDigest } = summary.body as { count: number; lastDigest: string };
      expect(
        await verifyAuditExport(lines, { expectedCount: count, expectedLastDigest: lastDigest }),
      ).to.deep.include({ ok: true, count: summaryBefore.count + 2 });

      // 9. The regulator sees the institution's use and nothing overdue.
      const stats = await g.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] });
      expect(stats.status, stats.text).to.equal(200);
      const bankA = (stats.body as Stats).institutions.find((i) => i.mspId === ORG.bankA);
      const before = (k: Exclude<keyof Institution, 'mspId'>): number => bankABefore?.[k] ?? 0;
      expect(bankA).to.deep.include({
        accessesGranted: before('accessesGranted') + 2,
        accessesDenied: before('accessesDenied'),
        consentsRecorded: before('consentsRecorded') + 2,
        liensRegistered: before('liensRegistered') + 1,
      });
      expect((stats.body as Stats).overdueDisputes.count).to.equal(statsBefore.overdueDisputes.count);

      // Throughout, the farmer's ID never left the gateway in clear.
      for (const res of [batch, asset, issued, lien, dispute, trace, stats]) {
        if (res !== issued) expect(res.text).to.not.contain(FARMER);
      }
    });
  });
}
