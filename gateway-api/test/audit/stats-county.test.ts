import { expect } from 'chai';
import { isoFromEpochSeconds, makeCreditCode, makeResidentId } from '@ruralcredit/protocol';
import { createBulkModule } from '../../src/bulk/module';
import { consentModule } from '../../src/consent/routes';
import { reportsModule } from '../../src/reports/routes';
import { supervisionModule } from '../../src/supervision/routes';
import { expectError } from '../helpers';
import { ORG, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { recordAccess } from '../indexer/ledger-fixture';

const now = Math.floor(Date.now() / 1000);
/** Subjects of three counties: two farmers (resident IDs) and a cooperative (credit code, region 3-8). */
const FARMER_NINGDE = makeResidentId('35090219800101001');
const FARMER_FUAN = makeResidentId('35092119800202002');
const COOPERATIVE_FUDING = makeCreditCode('93350981MA2Y3K4L5');

interface CountyStats {
  county: string;
  accesses: number;
  granted: number;
  denied: number;
}

async function consent(g: ConsortiumGateway, consentId: string, subjectId: string): Promise<void> {
  const form = new FormData();
  form.set(
    'consent',
    JSON.stringify({
      consentId,
      subjectId,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      maxAccesses: 10,
      validFrom: isoFromEpochSeconds(now - 60),
      validUntil: isoFromEpochSeconds(now + 30 * 86_400),
    }),
  );
  form.set('evidence', new Blob([Buffer.from(`%PDF-1.7\nsigned form ${consentId}`)]), 'form.pdf');
  const res = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
  expect(res.status, res.text).to.equal(201);
}

/** One report request by bank A; `denied` asks for a purpose the consent does not give. */
async function report(
  g: ConsortiumGateway,
  subjectId: string,
  consentId: string,
  denied = false,
): Promise<void> {
  const res = await g.api('/reports', {
    method: 'POST',
    as: ['bankA', 'LOAN_OFFICER'],
    json: {
      subjectId,
      consentId,
      datasets: ['HOMESTEAD'],
      purpose: denied ? 'POST_LOAN_MANAGEMENT' : 'LOAN_APPLICATION',
    },
  });
  if (denied) expectError(res, 403, 'ACCESS_DENIED');
  else expect(res.status, res.text).to.equal(201);
}

async function byCounty(g: ConsortiumGateway): Promise<CountyStats[]> {
  const res = await g.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] });
  expect(res.status, res.text).to.equal(200);
  return (res.body as { byCounty: CountyStats[] }).byCounty;
}

describe('supervision: GET /stats byCounty (the county code on each access)', () => {
  let g: ConsortiumGateway;

  before(async () => {
    g = await startConsortiumGateway([
      consentModule,
      reportsModule,
      createBulkModule({ chunkSize: 5 }),
      supervisionModule,
    ]);
    await consent(g, 'c-ningde', FARMER_NINGDE);
    await consent(g, 'c-fuan', FARMER_FUAN);
    await consent(g, 'c-coop', COOPERATIVE_FUDING);
  });
  after(() => g.stop());

  it('when nothing was accessed yet, then byCounty is empty', async () => {
    expect(await byCounty(g)).to.deep.equal([]);
  });

  it('when reports are granted and denied for subjects of three counties, then each county is counted exactly, sorted by code', async () => {
    for (let i = 0; i < 3; i++) await report(g, FARMER_NINGDE, 'c-ningde');
    await report(g, FARMER_NINGDE, 'c-ningde', true);
    for (let i = 0; i < 2; i++) await report(g, FARMER_FUAN, 'c-fuan');
    for (let i = 0; i < 2; i++) await report(g, FARMER_FUAN, 'c-fuan', true);
    await report(g, COOPERATIVE_FUDING, 'c-coop');
    expect(await byCounty(g)).to.deep.equal([
      { county: '350902', accesses: 4, granted: 3, denied: 1 },
      { county: '350921', accesses: 4, granted: 2, denied: 2 },
      { county: '350981', accesses: 1, granted: 1, denied: 0 },
    ]);
    // The ledger holds the county code, never the ID.
    const access = await g.context.ledger.evaluate<Record<string, unknown>>(
      ORG.bankA,
      'Access:ListAccessesByAccessor',
      [ORG.bankA, '', '', '200', ''],
    );
    const text = JSON.stringify(access);
    expect(text).to.include('"countyCode":"350981"');
    for (const id of [FARMER_NINGDE, FARMER_FUAN, COOPERATIVE_FUDING]) expect(text).to.not.include(id);
  });

  it('when a bulk job records a batch, then each subject counts in its own county, granted or denied', async () => {
    const job = await g.api('/bulk/jobs', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        items: [
          { subjectId: FARMER_NINGDE, consentId: 'c-ningde' },
          { subjectId: FARMER_FUAN, consentId: 'c-ningde' }, // another subject's consent: DENIED
        ],
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(job.status, job.text).to.equal(201);
    const token = await g.token('bankA', 'LOAN_OFFICER');
    const lines = await fetch(`${g.url}/api/v1/bulk/jobs/${(job.body as { jobId: string }).jobId}/lines`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(lines.status).to.equal(200);
    const subjects = (await lines.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; outcome?: string })
      .filter((l) => l.type === 'subject');
    expect(subjects.map((l) => l.outcome)).to.deep.equal(['GRANTED', 'DENIED']);
    expect(await byCounty(g)).to.deep.equal([
      { county: '350902', accesses: 5, granted: 4, denied: 1 },
      { county: '350921', accesses: 5, granted: 2, denied: 3 },
      { county: '350981', accesses: 1, granted: 1, denied: 0 },
    ]);
  });

  it('when an access carries no county code (recorded before counties were kept), then it counts under unknown, last', async () => {
    const pseudonym = await g.context.subjects.pseudonym(FARMER_NINGDE);
    const { outcome } = await recordAccess(g.context.ledger, ORG.bankB, 'acc-old', 'c-ningde', pseudonym);
    expect(outcome).to.equal('DENIED');
    const counties = await byCounty(g);
    expect(counties.map((c) => c.county)).to.deep.equal(['350902', '350921', '350981', 'unknown']);
    expect(counties.at(-1)).to.deep.equal({ county: 'unknown', accesses: 1, granted: 0, denied: 1 });
    const asAuditor = await g.api('/stats', { as: ['regulator', 'AUDITOR'] });
    expect((asAuditor.body as { byCounty: CountyStats[] }).byCounty).to.deep.equal(counties);
    expectError(await g.api('/stats', { as: ['bankA', 'ORG_ADMIN'] }), 403, 'FORBIDDEN_ROLE');
  });
});
