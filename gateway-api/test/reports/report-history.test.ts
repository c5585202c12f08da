import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { consentModule } from '../../src/consent/routes';
import { provenanceModule } from '../../src/provenance/routes';
import { reportsModule } from '../../src/reports/routes';
import type { Report } from '../../src/reports/schemas';
import { residentId, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';

const now = Math.floor(Date.now() / 1000);

function homestead(n: number, area: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `HS-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: area,
    registeredOn: '2019-05-01',
  };
}

describe("verification reports with each dataset's history in a window", () => {
  let g: ConsortiumGateway;

  before(async () => {
    g = await startConsortiumGateway([provenanceModule, consentModule, reportsModule]);
    for (const [batchId, area] of [
      ['h-1', 120],
      ['h-2', 150],
    ] as const) {
      const upload = await g.api(
        `/datasets/HOMESTEAD/batches?batchId=${batchId}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
        { method: 'POST', as: ['land', 'DATA_OFFICER'], json: [homestead(1, area), homestead(2, 99)] },
      );
      expect(upload.status, upload.text).to.equal(201);
    }
    const form = new FormData();
    form.set(
      'consent',
      JSON.stringify({
        consentId: 'h-c-1',
        subjectId: residentId(1),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 86_400),
      }),
    );
    form.set('evidence', new Blob([Buffer.from('%PDF-1.7\nform h-c-1')]), 'form.pdf');
    const consent = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
    expect(consent.status, consent.text).to.equal(201);
  });
  after(() => g.stop());

  it('when a window is asked for, then each dataset carries every record in it with proofs and the change between the last two batches, and the report verifies', async () => {
    const res = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'h-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        historyFrom: isoFromEpochSeconds(now - 3600),
      },
    });
    expect(res.status, res.text).to.equal(201);
    const report = (res.body as { report: Report }).report;
    const section = report.datasets[0]!;
    expect(report.historyWindow).to.deep.equal({ from: isoFromEpochSeconds(now - 3600) });
    expect(section.records.map((r) => r.batchId)).to.deep.equal(['h-2']);
    expect(section.history!.map((r) => [r.batchId, r.record.areaSquareMetres])).to.deep.equal([
      ['h-1', 120],
      ['h-2', 150],
    ]);
    expect(section.changes).to.deep.equal([
      {
        field: 'areaSquareMetres',
        previous: 120,
        latest: 150,
        changePercent: 25,
        previousBatchId: 'h-1',
        latestBatchId: 'h-2',
      },
    ]);
    const verified = await g.api('/reports/verify', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { report },
    });
    expect(verified.body).to.deep.include({ valid: true, digestMatches: true, anchored: true });
    expect((verified.body as { records: unknown[] }).records).to.have.length(3);
    const tampered = structuredClone(report);
    tampered.datasets[0]!.history![0]!.record.areaSquareMetres = 121;
    const refused = await g.api('/reports/verify', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { report: tampered },
    });
    expect(refused.body).to.deep.include({ valid: false, digestMatches: false });
  });

  it('when the window is before every batch, then the history is empty and no change is shown', async () => {
    const res = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'h-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        historyFrom: isoFromEpochSeconds(now - 7200),
        historyTo: isoFromEpochSeconds(now - 3600),
      },
    });
    expect(res.status, res.text).to.equal(201);
    const section = (res.body as { report: Report }).report.datasets[0]!;
    expect(section.history).to.deep.equal([]);
    expect(section.changes).to.deep.equal([]);
  });

  it('refuses historyTo without historyFrom', async () => {
    const res = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'h-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        historyTo: isoFromEpochSeconds(now),
      },
    });
    expect(res.status).to.equal(400);
    expect(res.body).to.nested.include({ 'error.code': 'INVALID_REQUEST' });
  });
});
