import { expect } from 'chai';
import { Wallet } from 'ethers';
import { epochSecondsFromIso, isoFromEpochSeconds, sha256Hex, signTypedMessage } from '@ruralcredit/protocol';
import { consentModule } from '../../src/consent/routes';
import { expectError } from '../helpers';
import {
  bindSubjectKey,
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

const DAY = 86_400;

function window(days: number): { validFrom: string; validUntil: string } {
  const now = Math.floor(Date.now() / 1000);
  return { validFrom: isoFromEpochSeconds(now - 60), validUntil: isoFromEpochSeconds(now + days * DAY) };
}

/** A minimal PDF-looking form (the gateway recognises forms by their first bytes). */
function pdf(text: string): Buffer {
  return Buffer.from(`%PDF-1.7\n${text}`);
}

function formUpload(consent: Record<string, unknown>, form: Buffer): FormData {
  const data = new FormData();
  data.set('consent', JSON.stringify(consent));
  data.set('evidence', new Blob([form], { type: 'application/pdf' }), 'consent-form.pdf');
  return data;
}

describe('consent endpoints', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([consentModule]);
  });
  after(() => g.stop());

  const base = (n: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    subjectId: residentId(n),
    scope: ['HOMESTEAD', 'LAND_CONTRACT'],
    purpose: 'LOAN_APPLICATION',
    ...window(180),
    ...extra,
  });

  it('when a loan officer uploads a signed form, then the consent is ACTIVE with the form hash anchored and the form kept', async () => {
    const form = Buffer.from('%PDF-1.4 signed consent of subject 1');
    const res = await g.api('/consents', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      body: formUpload(base(1, { consentId: 'c-form-1', maxAccesses: 5 }), form),
    });
    expect(res.status, res.text).to.equal(201);
    const body = res.body as { consent: Record<string, unknown>; txId: string; blockNumber: number };
    expect(body.consent).to.include({
      consentId: 'c-form-1',
      grantee: ORG.bankA,
      status: 'ACTIVE',
      maxAccesses: 5,
      accessesUsed: 0,
      purpose: 'LOAN_APPLICATION',
    });
    expect(body.consent.evidence).to.deep.equal({ type: 'FORM_HASH', formHash: sha256Hex(form) });
    expect(body.consent.subject).to.match(/^[0-9a-f]{64}$/);
    expect(res.text).to.not.contain(residentId(1));
    expect(body.txId).to.equal(body.consent.txId);
    expect(body.blockNumber).to.be.a('number');
    const read = await g.api('/consents/c-form-1', { as: ['bankA', 'LOAN_OFFICER'] });
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.include({ consentId: 'c-form-1', status: 'ACTIVE' });
    expect((read.body as { form: Record<string, unknown> }).form).to.include({
      fileName: 'consent-form.pdf',
      sha256: sha256Hex(form),
      size: form.length,
    });
    const download = await fetch(`${g.url}/api/v1/consents/c-form-1/form`, {
      headers: { authorization: `Bearer ${await g.token('bankA', 'LOAN_OFFICER')}` },
    });
    expect(download.status).to.equal(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(form)).to.equal(true);
  });

  it("when the evidence is the subject's EIP-712 signature by a registered key, then it is recorded", async () => {
    const subject = await g.context.subjects.pseudonym(residentId(2));
    const wallet = Wallet.createRandom();
    await bindSubjectKey(g.context.ledger, ORG.bankA, subject, wallet);
    const req = base(2, { consentId: 'c-sig-1', maxAccesses: 0 });
    const signature = await signTypedMessage(
      wallet,
      'ConsentGrant',
      {
        grantId: 'c-sig-1',
        subject,
        grantee: ORG.bankA,
        scope: ['HOMESTEAD', 'LAND_CONTRACT'],
        purpose: 'LOAN_APPLICATION',
        validFrom: req.validFrom as string,
        validUntil: req.validUntil as string,
        maxAccesses: 0,
      },
      DEPLOYMENT,
    );
    const tampered = await g.api('/consents', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { ...req, scope: ['HOMESTEAD'], subjectSignature: signature },
    });
    expectError(tampered, 400, 'INVALID');
    const res = await g.api('/consents', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { ...req, subjectSignature: signature },
    });
    expect(res.status, res.text).to.equal(201);
    expect((res.body as { consent: { evidence: unknown } }).consent.evidence).to.deep.equal({
      type: 'SUBJECT_SIGNATURE',
      signature,
      signer: wallet.address.toLowerCase(),
    });
  });

  it('when input is bad, then a stable 4xx code and nothing is recorded', async () => {
    const as: ['bankA', 'LOAN_OFFICER'] = ['bankA', 'LOAN_OFFICER'];
    const height = await g.context.ledger.height();
    expectError(
      await g.api('/consents', {
        method: 'POST',
        as,
        json: { ...base(3), subjectId: '110105194912310021', subjectSignature: `0x${'1'.repeat(130)}` },
      }),
      400,
      'INVALID_SUBJECT_ID',
    );
    expectError(await g.api('/consents', { method: 'POST', as, json: base(3) }), 400, 'INVALID_EVIDENCE');
    expectError(
      await g.api('/consents', { method: 'POST', as, json: { ...base(3), purpose: 'MARKETING' } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api('/consents', {
        method: 'POST',
        as,
        json: { ...base(3), scope: ['MARRIAGE'], subjectSignature: `0x${'1'.repeat(130)}` },
      }),
      400,
      'INVALID',
    );
    expectError(
      await g.api('/consents', {
        method: 'POST',
        as,
        body: '{"subjectId":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expectError(
      await g.api('/consents', { method: 'POST', as, body: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const noFile = new FormData();
    noFile.set('consent', JSON.stringify(base(3)));
    expectError(await g.api('/consents', { method: 'POST', as, body: noFile }), 400, 'INVALID_UPLOAD');
    expect(await g.context.ledger.height()).to.equal(height);
  });

  it('when a non-bank role or organisation records, then 403', async () => {
    const form = pdf('form');
    expectError(
      await g.api('/consents', {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        body: formUpload(base(4), form),
      }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/consents', {
        method: 'POST',
        as: ['auditor', 'AUDITOR'],
        body: formUpload(base(4), form),
      }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/consents', {
        method: 'POST',
        as: ['bankA', 'ORG_ADMIN'],
        body: formUpload(base(4), form),
      }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/consents', { method: 'POST', body: formUpload(base(4), form) }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it("when another bank reads a bank's consent, then 404 as for a missing one; revoking it 403; the grantee revokes once", async () => {
    await g.api('/consents', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      body: formUpload(base(5, { consentId: 'c-rev' }), pdf('f')),
    });
    expectError(await g.api('/consents/c-rev', { as: ['bankB', 'LOAN_OFFICER'] }), 404, 'NOT_FOUND');
    expectError(await g.api('/consents/c-rev/form', { as: ['bankB', 'LOAN_OFFICER'] }), 404, 'NOT_FOUND');
    expectError(
      await g.api('/consents/c-rev/revoke', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        json: { reason: 'BANK_REQUEST' },
      }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await g.api('/consents/c-rev/revoke', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json: {} }),
      400,
      'INVALID_REQUEST',
    );
    const revoked = await g.api('/consents/c-rev/revoke', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { reason: 'LOAN_CLOSED' },
    });
    expect(revoked.status, revoked.text).to.equal(200);
    expect((revoked.body as { consent: Record<string, unknown> }).consent).to.include({ status: 'REVOKED' });
    expectError(
      await g.api('/consents/c-rev/revoke', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { reason: 'LOAN_CLOSED' },
      }),
      409,
      'CONFLICT',
    );
    expectError(await g.api('/consents/nope', { as: ['auditor', 'AUDITOR'] }), 404, 'NOT_FOUND');
    expect((await g.api('/consents/c-rev', { as: ['auditor', 'AUDITOR'] })).status).to.equal(200);
    expectError(await g.api('/consents/c-rev', { as: ['land', 'DATA_OFFICER'] }), 403, 'FORBIDDEN_ROLE');
  });

  it("lists a subject's consents, a bank its own only, each exactly once across pages", async () => {
    for (let i = 0; i < 3; i++) {
      await g.api('/consents', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        body: formUpload(base(6, { consentId: `c-list-a${i}` }), pdf(`a${i}`)),
      });
      await g.api('/consents', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        body: formUpload(base(6, { consentId: `c-list-b${i}` }), pdf(`b${i}`)),
      });
    }
    const collect = async (as: ['bankA' | 'auditor', 'LOAN_OFFICER' | 'AUDITOR']): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({
          subjectId: residentId(6),
          limit: '2',
          ...(cursor ? { cursor } : {}),
        });
        const res = await g.api(`/consents?${q.toString()}`, { as });
        expect(res.status, res.text).to.equal(200);
        const page = res.body as { items: { consentId: string }[]; nextCursor: string | null };
        expect(page.items.length).to.be.at.most(2);
        ids.push(...page.items.map((c) => c.consentId));
        cursor = page.nextCursor;
      } while (cursor !== null);
      return ids;
    };
    expect(await collect(['bankA', 'LOAN_OFFICER'])).to.deep.equal(['c-list-a0', 'c-list-a1', 'c-list-a2']);
    expect((await collect(['auditor', 'AUDITOR'])).sort()).to.deep.equal([
      'c-list-a0',
      'c-list-a1',
      'c-list-a2',
      'c-list-b0',
      'c-list-b1',
      'c-list-b2',
    ]);
    expectError(
      await g.api('/consents?limit=5000', { as: ['bankA', 'LOAN_OFFICER'] }),
      400,
      'PAGE_SIZE_TOO_LARGE',
    );
    expectError(
      await g.api('/consents?cursor=garbage', { as: ['bankA', 'LOAN_OFFICER'] }),
      400,
      'INVALID_CURSOR',
    );
  });

  it('treats validity by the ledger transaction time', async () => {
    const start = epochSecondsFromIso(window(1).validFrom) + 2 * DAY;
    const res = await g.api('/consents', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      body: formUpload(
        base(7, {
          consentId: 'c-later',
          validFrom: isoFromEpochSeconds(start),
          validUntil: isoFromEpochSeconds(start + DAY),
        }),
        pdf('later'),
      ),
    });
    expect((res.body as { consent: { status: string } }).consent.status).to.equal('NOT_YET_VALID');
  });
});
