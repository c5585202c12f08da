import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Wallet, type HDNodeWallet } from 'ethers';
import {
  isoFromEpochSeconds,
  reportDigest,
  signTypedMessage,
  type SubjectSelfServiceRequestMessage,
} from '@ruralcredit/protocol';
import { auditModule } from '../../src/audit/routes';
import { consentModule } from '../../src/consent/routes';
import { disputesModule } from '../../src/disputes/module';
import { provenanceModule } from '../../src/provenance/routes';
import type { Report } from '../../src/reports/schemas';
import { reportsModule } from '../../src/reports/routes';
import { selfServiceModule } from '../../src/self-service/module';
import { subjectsModule } from '../../src/subjects/routes';
import {
  bindSubjectKey,
  DEPLOYMENT,
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';

const run = promisify(execFile);

describe("a farmer's own self-service: POST /subjects/self/...", function () {
  this.timeout(60_000);
  let g: ConsortiumGateway;
  let dir: string;
  let s1: string;
  let s2: string;
  const wallet1 = Wallet.createRandom();
  const wallet2 = Wallet.createRandom();

  async function signed(
    wallet: HDNodeWallet,
    fields: Partial<SubjectSelfServiceRequestMessage> &
      Pick<SubjectSelfServiceRequestMessage, 'subject' | 'action'>,
  ): Promise<SubjectSelfServiceRequestMessage & { signature: string }> {
    const message: SubjectSelfServiceRequestMessage = {
      target: '',
      detail: '',
      requestedAt: isoFromEpochSeconds(Date.now() / 1000),
      nonce: randomBytes(16).toString('hex'),
      ...fields,
    };
    return {
      ...message,
      signature: await signTypedMessage(wallet, 'SubjectSelfServiceRequest', message, DEPLOYMENT),
    };
  }

  const homestead = (n: number) => ({
    subjectId: residentId(n),
    certificateNo: `HS-SELF-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: 100 + n,
    registeredOn: '2019-05-01',
  });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-self-'));
    g = await startConsortiumGateway([
      provenanceModule,
      subjectsModule,
      consentModule,
      reportsModule,
      disputesModule,
      selfServiceModule,
      auditModule,
    ]);
    s1 = await g.context.subjects.pseudonym(residentId(1));
    s2 = await g.context.subjects.pseudonym(residentId(2));
    const upload = await g.api(
      '/datasets/HOMESTEAD/batches?batchId=self-hs-1&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z',
      { method: 'POST', as: ['land', 'DATA_OFFICER'], json: [homestead(1), homestead(2)] },
    );
    expect(upload.status, upload.text).to.equal(201);
    await bindSubjectKey(g.context.ledger, ORG.bankA, s1, wallet1);
    await bindSubjectKey(g.context.ledger, ORG.bankA, s2, wallet2);
    const now = Math.floor(Date.now() / 1000);
    const form = new FormData();
    form.set(
      'consent',
      JSON.stringify({
        consentId: 'self-c-1',
        subjectId: residentId(1),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 86_400),
      }),
    );
    form.set('evidence', new Blob([Buffer.from('%PDF-1.7\nform')]), 'form.pdf');
    const consent = await g.api('/consents', { method: 'POST', as: ['bankB', 'LOAN_OFFICER'], body: form });
    expect(consent.status, consent.text).to.equal(201);
  });
  after(async () => {
    await g.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the farmer lists its consents, then it sees every bank’s with status; another’s list is its own', async () => {
    const res = await g.api('/subjects/self/consents', {
      method: 'POST',
      json: await signed(wallet1, { subject: s1, action: 'LIST_CONSENTS' }),
    });
    expect(res.status, res.text).to.equal(200);
    const consents = (res.body as { consents: { consentId: string; grantee: string; status: string }[] })
      .consents;
    expect(consents.map((c) => [c.grantee, c.status]).sort()).to.deep.equal([
      [ORG.bankA, 'ACTIVE'],
      [ORG.bankB, 'ACTIVE'],
    ]);
    expect(consents.map((c) => c.consentId)).to.include('self-c-1');
    const other = await g.api('/subjects/self/consents', {
      method: 'POST',
      json: await signed(wallet2, { subject: s2, action: 'LIST_CONSENTS' }),
    });
    const theirs = (other.body as { consents: { consentId: string }[] }).consents.map((c) => c.consentId);
    expect(theirs).to.have.length(1);
    expect(theirs).to.not.include('self-c-1');
  });

  it('when the farmer revokes a consent with its key, then the bank’s next access is DENIED REVOKED', async () => {
    const before = await g.api('/reports', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'self-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(before.status, before.text).to.equal(201);
    const signature = await signTypedMessage(
      wallet1,
      'ConsentRevocation',
      { grantId: 'self-c-1', subject: s1 },
      DEPLOYMENT,
    );
    const revoked = await g.api('/subjects/revocations', {
      method: 'POST',
      json: { consentId: 'self-c-1', signature },
    });
    expect(revoked.status, revoked.text).to.equal(200);
    expect(revoked.body).to.include({ consentId: 'self-c-1', status: 'REVOKED' });
    const after = await g.api('/reports', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'self-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    const body = expectError(after, 403, 'ACCESS_DENIED');
    expect(body.details).to.include({ reason: 'REVOKED' });
  });

  it('when the farmer reads its records, then the SELF access is on the ledger with the digest of what was released', async () => {
    const res = await g.api('/subjects/self/records', {
      method: 'POST',
      json: await signed(wallet1, { subject: s1, action: 'READ_RECORDS', target: 'HOMESTEAD' }),
    });
    expect(res.status, res.text).to.equal(200);
    const out = res.body as {
      accessId: string;
      releaseDigest: string;
      datasets: { datasetType: string; records: { record: unknown; batchId: string }[] }[];
    };
    expect(out.datasets.map((d) => d.datasetType)).to.deep.equal(['HOMESTEAD']);
    expect(out.datasets[0]!.records.map((r) => r.record)).to.deep.equal([homestead(1)]);
    const access = await g.context.ledger.evaluate<Record<string, unknown>>(
      ORG.auditor,
      'Access:GetAccessOf',
      [ORG.regulator, out.accessId],
    );
    expect(access).to.include({
      purpose: 'SELF',
      outcome: 'GRANTED',
      subject: s1,
      releaseDigest: out.releaseDigest,
    });
    // The auditor's trace of the subject shows the SELF access, recorded by the regulator's gateway.
    const trace = await g.api(`/audit/accesses?subjectId=${residentId(1)}&accessor=${ORG.regulator}`, {
      as: ['auditor', 'AUDITOR'],
    });
    expect(trace.status, trace.text).to.equal(200);
    const items = (trace.body as { items: Record<string, unknown>[] }).items;
    expect(items.filter((e) => e.accessId === out.accessId)).to.have.length(1);
    expect(items.find((e) => e.accessId === out.accessId)).to.deep.include({
      grantId: 'SELF',
      subject: s1,
      accessor: ORG.regulator,
      operator: s1,
      datasets: ['HOMESTEAD'],
      purpose: 'SELF',
      outcome: 'GRANTED',
      releaseDigest: out.releaseDigest,
      txId: access.txId,
    });
  });

  it("when a farmer signs for another subject's pseudonym, then 401 SIGNATURE_REJECTED and nothing is recorded", async () => {
    const res = await g.api('/subjects/self/records', {
      method: 'POST',
      json: await signed(wallet1, { subject: s2, action: 'READ_RECORDS', target: 'HOMESTEAD' }),
    });
    expectError(res, 401, 'SIGNATURE_REJECTED');
    const page = await g.context.ledger.evaluate<{ records: { purpose: string }[] }>(
      ORG.auditor,
      'Access:ListAccessesBySubject',
      [s2, '', '', '10', ''],
    );
    expect(page.records.filter((r) => r.purpose === 'SELF')).to.deep.equal([]);
  });

  it('when a request is replayed, older than 5 minutes or for another endpoint, then refused', async () => {
    const request = await signed(wallet1, { subject: s1, action: 'LIST_CONSENTS' });
    expect((await g.api('/subjects/self/consents', { method: 'POST', json: request })).status).to.equal(200);
    expectError(
      await g.api('/subjects/self/consents', { method: 'POST', json: request }),
      409,
      'REPLAYED_REQUEST',
    );
    const old = await signed(wallet1, {
      subject: s1,
      action: 'READ_RECORDS',
      target: 'HOMESTEAD',
      requestedAt: isoFromEpochSeconds(Date.now() / 1000 - 301),
    });
    expectError(await g.api('/subjects/self/records', { method: 'POST', json: old }), 400, 'STALE_REQUEST');
    const wrong = await signed(wallet1, { subject: s1, action: 'LIST_CONSENTS' });
    expectError(await g.api('/subjects/self/records', { method: 'POST', json: wrong }), 400, 'WRONG_ACTION');
  });

  it('when the farmer disputes its own record, then it is marked at once and it follows the resolution; another’s record is refused', async () => {
    const notMine = await g.api('/subjects/self/disputes', {
      method: 'POST',
      json: await signed(wallet1, {
        subject: s1,
        action: 'FILE_DISPUTE',
        target: 'self-hs-1#1',
        detail: 'WRONG_VALUE',
      }),
    });
    expectError(notMine, 403, 'NOT_YOUR_RECORD');
    const filed = await g.api('/subjects/self/disputes', {
      method: 'POST',
      json: await signed(wallet1, {
        subject: s1,
        action: 'FILE_DISPUTE',
        target: 'self-hs-1#0',
        detail: 'WRONG_VALUE',
      }),
    });
    expect(filed.status, filed.text).to.equal(201);
    const dispute = filed.body as { disputeId: string; status: string; batchId: string };
    expect(dispute).to.include({ status: 'OPEN', batchId: 'self-hs-1' });
    const open = await g.context.ledger.evaluate<{ disputeId: string }>(ORG.bankA, 'Dispute:GetOpenDispute', [
      'self-hs-1',
      await g
        .api('/subjects/self/disputes/list', {
          method: 'POST',
          json: await signed(wallet1, { subject: s1, action: 'LIST_DISPUTES' }),
        })
        .then((r) => (r.body as { disputes: { recordHash: string }[] }).disputes[0]!.recordHash),
    ]);
    expect(open.disputeId).to.equal(dispute.disputeId);
    const resolved = await g.api(`/disputes/${dispute.disputeId}/resolution`, {
      method: 'POST',
      as: ['land', 'DATA_OFFICER'],
      json: { outcome: 'UPHELD', note: 'checked against the register' },
    });
    expect(resolved.status, resolved.text).to.equal(200);
    const list = await g.api('/subjects/self/disputes/list', {
      method: 'POST',
      json: await signed(wallet1, { subject: s1, action: 'LIST_DISPUTES' }),
    });
    const disputes = (
      list.body as { disputes: { disputeId: string; status: string; resolution?: { outcome: string } }[] }
    ).disputes;
    expect(disputes.map((d) => [d.disputeId, d.status, d.resolution?.outcome])).to.deep.equal([
      [dispute.disputeId, 'RESOLVED', 'UPHELD'],
    ]);
    const others = await g.api('/subjects/self/disputes/list', {
      method: 'POST',
      json: await signed(wallet2, { subject: s2, action: 'LIST_DISPUTES' }),
    });
    expect((others.body as { disputes: unknown[] }).disputes).to.deep.equal([]);
  });

  it('when the farmer downloads its own report as PDF, then a SELF access whose digest is the embedded report’s', async () => {
    const res = await fetch(`${g.url}/api/v1/subjects/self/report.pdf`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await signed(wallet1, { subject: s1, action: 'REPORT_PDF', target: 'HOMESTEAD' })),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pdf');
    const file = path.join(dir, 'own.pdf');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    await run('pdfdetach', ['-saveall', '-o', dir, file]);
    const report = JSON.parse(await readFile(path.join(dir, 'verification-report.json'), 'utf8')) as Report;
    expect(reportDigest(report)).to.equal(report.digest);
    expect(report.datasets[0]!.records.map((r) => r.record)).to.deep.equal([homestead(1)]);
    const access = await g.context.ledger.evaluate<Record<string, unknown>>(
      ORG.auditor,
      'Access:GetAccessOf',
      [ORG.regulator, report.accessId],
    );
    expect(access).to.include({ purpose: 'SELF', releaseDigest: report.digest, subject: s1 });
    const text = (await run('pdftotext', [file, '-'])).stdout;
    expect(text).to.include(report.subject.maskedId);
    expect(text).to.not.include(residentId(1));
  });
});
