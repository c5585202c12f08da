import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DAY_SECONDS, epochSecondsFromIso, isoFromEpochSeconds, sha256Hex } from '@ruralcredit/protocol';
import { disputesModule } from '../../src/disputes/module';
import { DISPUTE_NOTES_STORE } from '../../src/disputes/notes';
import type { DisputeChange, DisputeDetail, DisputeView } from '../../src/disputes/schemas';
import type { Page } from '../../src/http/pagination';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';
import { anchorBatch, digest, recordGrant } from '../collateral/support';

const SUBJECT = residentId(201);
/**
 * Per run: on a shared ledger (Fabric) other files and earlier runs leave batches, consents and
 * disputes, so IDs are unique to the run and lists are read down to this run's subject, whose
 * pseudonym is unique to this gateway (its pseudonym secret is random per test gateway).
 */
const RUN = randomBytes(3).toString('hex');
const BAD_SUBJECT = `${SUBJECT.slice(0, 17)}${SUBJECT.endsWith('0') ? '1' : '0'}`;
const FILING_NOTE = 'The farmer says the homestead area of 1200 m² is wrong; the certificate shows 120 m².';
const RESOLUTION_NOTE = 'Checked against the certificate register: the recorded area is correct.';

describe('disputes API', () => {
  let g: ConsortiumGateway;
  let subject: string;

  before(async () => {
    g = await startConsortiumGateway([disputesModule]);
    subject = await g.context.subjects.pseudonym(SUBJECT);
    await anchorBatch(g, 'land', { batchId: `hs-1-${RUN}`, datasetType: 'HOMESTEAD' });
    await anchorBatch(g, 'land', {
      batchId: `hs-2-${RUN}`,
      datasetType: 'HOMESTEAD',
      corrects: `hs-1-${RUN}`,
    });
    await recordGrant(g, 'bankA', {
      grantId: `loan-bankA-${RUN}`,
      subjectId: SUBJECT,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
  });
  after(() => g.stop());

  const filing = (override: Record<string, unknown> = {}) => ({
    subjectId: SUBJECT,
    datasetType: 'HOMESTEAD',
    batchId: `hs-1-${RUN}`,
    recordHash: digest(1),
    consentId: `loan-bankA-${RUN}`,
    reason: 'WRONG_VALUE',
    ...override,
  });

  const file = async (
    json: Record<string, unknown>,
    as: ['bankA', 'LOAN_OFFICER'] | ['regulator', 'REGULATOR_ADMIN'] = ['bankA', 'LOAN_OFFICER'],
  ): Promise<DisputeChange> => {
    const res = await g.api('/disputes', { method: 'POST', as, json });
    expect(res.status, res.text).to.equal(201);
    return res.body as DisputeChange;
  };

  const resolve = (id: string, json: Record<string, unknown>, as: 'land' | 'agri' = 'land') =>
    g.api(`/disputes/${id}/resolution`, { method: 'POST', as: [as, 'DATA_OFFICER'], json });

  describe('POST /disputes', () => {
    it('when a bank with the subject’s consent files, then 201: the record is disputed at once, due in 20 days, and the note is sealed off the ledger', async () => {
      const res = await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: filing({ disputeId: `d-01-${RUN}`, note: FILING_NOTE }),
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.headers.get('location')).to.equal(`/api/v1/disputes/d-01-${RUN}`);
      const body = res.body as DisputeChange;
      expect(body.blockNumber).to.be.a('number');
      const filedAt = body.dispute.filedAt;
      expect(body.dispute).to.deep.equal({
        disputeId: `d-01-${RUN}`,
        datasetType: 'HOMESTEAD',
        batchId: `hs-1-${RUN}`,
        recordHash: digest(1),
        subject,
        provider: ORG.land,
        filedBy: ORG.bankA,
        consentId: `loan-bankA-${RUN}`,
        reason: 'WRONG_VALUE',
        status: 'OPEN',
        filedAt,
        dueBy: isoFromEpochSeconds(epochSecondsFromIso(filedAt) + 20 * DAY_SECONDS),
        overdue: false,
        resolution: null,
        txId: body.txId,
        notes: { filing: { text: FILING_NOTE, author: ORG.bankA, txId: body.txId }, resolution: null },
      });
      const onLedger = JSON.stringify(
        await g.context.ledger.evaluate(ORG.regulator, 'Dispute:GetDispute', [`d-01-${RUN}`]),
      );
      expect(onLedger).not.to.contain('homestead area');
      expect(onLedger).not.to.contain(SUBJECT);
      const raw = g.gateway.deps.db.sublevel<string, Buffer>(DISPUTE_NOTES_STORE, {
        keyEncoding: 'utf8',
        valueEncoding: 'buffer',
      });
      const stored = await raw.get(`d-01-${RUN}/filing`);
      expect(stored.toString('latin1')).not.to.contain('homestead area');
      expect(JSON.stringify(g.logs)).not.to.contain(SUBJECT);
      expect(JSON.stringify(g.logs)).not.to.contain('homestead area');
    });

    it('when the regulator files without a consent, then 201 with no consent and no note; a generated ID', async () => {
      const { dispute } = await file(filing({ recordHash: digest(2), consentId: undefined }), [
        'regulator',
        'REGULATOR_ADMIN',
      ]);
      expect(dispute.disputeId).to.match(/^dsp-[0-9a-f-]{36}$/);
      expect(dispute).to.deep.include({
        filedBy: ORG.regulator,
        consentId: null,
        provider: ORG.land,
        status: 'OPEN',
      });
      expect(dispute.notes).to.deep.equal({ filing: null, resolution: null });
    });

    it('when a data officer or an auditor files, then 403 FORBIDDEN_ROLE', async () => {
      const json = filing({ recordHash: digest(3) });
      expectError(
        await g.api('/disputes', { method: 'POST', as: ['land', 'DATA_OFFICER'], json }),
        403,
        'FORBIDDEN_ROLE',
      );
      expectError(
        await g.api('/disputes', { method: 'POST', as: ['auditor', 'AUDITOR'], json }),
        403,
        'FORBIDDEN_ROLE',
      );
    });

    it('when another bank files under this bank’s consent, or a bank files without one, then 403 FORBIDDEN from the ledger and nothing is filed', async () => {
      const json = filing({ disputeId: `d-x-${RUN}`, recordHash: digest(4) });
      expectError(
        await g.api('/disputes', { method: 'POST', as: ['bankB', 'LOAN_OFFICER'], json }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await g.api('/disputes', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: { ...json, consentId: undefined },
        }),
        403,
        'FORBIDDEN',
      );
      expectError(await g.api(`/disputes/d-x-${RUN}`, { as: ['regulator', 'AUDITOR'] }), 404, 'NOT_FOUND');
    });

    it('when the subject ID is invalid, then 400 INVALID_SUBJECT_ID; a malformed body is 400 INVALID_REQUEST', async () => {
      const bad = await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: filing({ subjectId: BAD_SUBJECT, recordHash: digest(5) }),
      });
      expectError(bad, 400, 'INVALID_SUBJECT_ID');
      expect(bad.text).not.to.contain(BAD_SUBJECT);
      for (const json of [
        filing({ recordHash: 'xyz' }),
        filing({ reason: undefined }),
        filing({ colour: 'red' }),
        filing({ note: '' }),
        filing({ note: 'x'.repeat(4001) }),
      ]) {
        expectError(
          await g.api('/disputes', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json }),
          400,
          'INVALID_REQUEST',
        );
      }
    });

    it('when the batch is unknown, then 404 NOT_FOUND; when the record is already disputed, then 409 CONFLICT', async () => {
      expectError(
        await g.api('/disputes', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: filing({ batchId: `hs-404-${RUN}`, recordHash: digest(6) }),
        }),
        404,
        'NOT_FOUND',
      );
      expectError(
        await g.api('/disputes', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: filing({ disputeId: `d-dup-${RUN}` }),
        }),
        409,
        'CONFLICT',
      );
      expectError(
        await g.api('/disputes', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: filing({ disputeId: `d-01-${RUN}`, recordHash: digest(7), note: 'overwrite attempt' }),
        }),
        409,
        'CONFLICT',
      );
      const kept = await g.api(`/disputes/d-01-${RUN}`, { as: ['bankA', 'LOAN_OFFICER'] });
      expect((kept.body as DisputeDetail).notes.filing?.text).to.equal(FILING_NOTE);
    });
  });

  describe('POST /disputes/{id}/resolution', () => {
    it('when the provider resolves with a note, then 200 RESOLVED with the note’s SHA-256 anchored and the note sealed; a second resolution is 409', async () => {
      await file(filing({ disputeId: `d-02-${RUN}`, recordHash: digest(8) }));
      const res = await resolve(`d-02-${RUN}`, { outcome: 'UPHELD', note: RESOLUTION_NOTE });
      expect(res.status, res.text).to.equal(200);
      const body = res.body as DisputeChange;
      expect(body.dispute.status).to.equal('RESOLVED');
      expect(body.dispute.overdue).to.equal(false);
      expect(body.dispute.resolution).to.deep.equal({
        outcome: 'UPHELD',
        correctingBatchId: null,
        noteDigest: sha256Hex(RESOLUTION_NOTE),
        resolvedBy: ORG.land,
        resolvedAt: body.dispute.resolution?.resolvedAt,
        late: false,
        txId: body.txId,
      });
      expect(body.dispute.notes).to.deep.equal({
        filing: null,
        resolution: { text: RESOLUTION_NOTE, author: ORG.land, txId: body.txId, digestMatches: true },
      });
      const onLedger = JSON.stringify(
        await g.context.ledger.evaluate(ORG.regulator, 'Dispute:GetDispute', [`d-02-${RUN}`]),
      );
      expect(onLedger).not.to.contain('certificate register');
      expectError(await resolve(`d-02-${RUN}`, { outcome: 'REJECTED', note: 'again' }), 409, 'CONFLICT');
      const kept = (await g.api(`/disputes/d-02-${RUN}`, { as: ['land', 'DATA_OFFICER'] }))
        .body as DisputeDetail;
      expect(kept.notes.resolution?.text).to.equal(RESOLUTION_NOTE);
    });

    it('when the provider corrects, then the correcting batch is recorded', async () => {
      await file(filing({ disputeId: `d-03-${RUN}`, recordHash: digest(9) }));
      const res = await resolve(`d-03-${RUN}`, {
        outcome: 'CORRECTED',
        correctingBatchId: `hs-2-${RUN}`,
        note: `Corrected in hs-2-${RUN}.`,
      });
      expect(res.status, res.text).to.equal(200);
      expect((res.body as DisputeChange).dispute.resolution).to.deep.include({
        outcome: 'CORRECTED',
        correctingBatchId: `hs-2-${RUN}`,
      });
    });

    it('when a loan officer or another provider resolves, then 403 (FORBIDDEN_ROLE, FORBIDDEN); malformed is 400; unknown is 404', async () => {
      await file(filing({ disputeId: `d-04-${RUN}`, recordHash: digest(10) }));
      const json = { outcome: 'UPHELD', note: 'n' };
      expectError(
        await g.api(`/disputes/d-04-${RUN}/resolution`, {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json,
        }),
        403,
        'FORBIDDEN_ROLE',
      );
      expectError(await resolve(`d-04-${RUN}`, json, 'agri'), 403, 'FORBIDDEN');
      expectError(await resolve(`d-04-${RUN}`, { outcome: 'UPHELD' }), 400, 'INVALID_REQUEST');
      expectError(
        await resolve(`d-04-${RUN}`, { outcome: 'UPHELD', note: 'n', extra: 1 }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await resolve(`d-04-${RUN}`, { outcome: 'CORRECTED', correctingBatchId: `hs-1-${RUN}`, note: 'n' }),
        400,
        'INVALID',
      );
      expectError(await resolve(`d-404-${RUN}`, json), 404, 'NOT_FOUND');
      const still = (await g.api(`/disputes/d-04-${RUN}`, { as: ['land', 'DATA_OFFICER'] }))
        .body as DisputeDetail;
      expect(still).to.deep.include({ status: 'OPEN', resolution: null });
      expect(still.notes).to.deep.equal({ filing: null, resolution: null });
    });
  });

  describe('GET /disputes/{id}', () => {
    it('when a party, the regulator or an auditor reads, then it sees the dispute and its notes; another bank gets 403', async () => {
      for (const as of [
        ['bankA', 'LOAN_OFFICER'],
        ['land', 'DATA_OFFICER'],
        ['regulator', 'REGULATOR_ADMIN'],
        ['auditor', 'AUDITOR'],
      ] as const) {
        const res = await g.api(`/disputes/d-01-${RUN}`, { as: [as[0], as[1]] });
        expect(res.status, `${as[0]}: ${res.text}`).to.equal(200);
        const body = res.body as DisputeDetail;
        expect(body.disputeId).to.equal(`d-01-${RUN}`);
        expect(body.notes.filing).to.deep.equal({ text: FILING_NOTE, author: ORG.bankA, txId: body.txId });
      }
      expectError(await g.api(`/disputes/d-01-${RUN}`, { as: ['bankB', 'LOAN_OFFICER'] }), 403, 'FORBIDDEN');
      expectError(await g.api(`/disputes/d-01-${RUN}`, { as: ['agri', 'DATA_OFFICER'] }), 403, 'FORBIDDEN');
      expectError(await g.api(`/disputes/d-404-${RUN}`, { as: ['auditor', 'AUDITOR'] }), 404, 'NOT_FOUND');
      expectError(await g.api('/disputes/bad%20id', { as: ['auditor', 'AUDITOR'] }), 400, 'INVALID_REQUEST');
      expectError(await g.api(`/disputes/d-01-${RUN}`), 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /disputes', () => {
    /** Every page of the list, each of at most `limit=` items. */
    const all = async (
      query: string,
      as: Parameters<ConsortiumGateway['api']>[1],
    ): Promise<DisputeView[]> => {
      const items: DisputeView[] = [];
      let cursor: string | null = null;
      do {
        const res = await g.api(`/disputes?${query}${cursor === null ? '' : `&cursor=${cursor}`}`, as);
        expect(res.status, res.text).to.equal(200);
        const page = res.body as Page<DisputeView>;
        expect(page.items.length).to.be.at.most(2);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return items;
    };
    /** The disputes of this run: those about this gateway's subject. */
    const ours = (items: DisputeView[]): DisputeView[] => items.filter((d) => d.subject === subject);

    it('when a party lists with overdue=false, then it gets its own disputes page by page, each with an overdue flag', async () => {
      const listed = await all('overdue=false&limit=2', { as: ['bankA', 'LOAN_OFFICER'] });
      expect(listed.every((d) => d.filedBy === ORG.bankA || d.provider === ORG.bankA)).to.equal(true);
      const mine = ours(listed);
      expect(mine.map((d) => d.disputeId)).to.deep.equal([
        `d-01-${RUN}`,
        `d-02-${RUN}`,
        `d-03-${RUN}`,
        `d-04-${RUN}`,
      ]);
      expect(mine.map((d) => [d.status, d.overdue])).to.deep.equal([
        ['OPEN', false],
        ['RESOLVED', false],
        ['RESOLVED', false],
        ['OPEN', false],
      ]);
      expect(mine[0]).not.to.have.property('notes');
      const provider = await all('limit=2', { as: ['land', 'DATA_OFFICER'] });
      expect(ours(provider)).to.have.length(5);
      expect(provider.every((d) => d.provider === ORG.land)).to.equal(true);
      const other = await all('limit=2', { as: ['bankB', 'LOAN_OFFICER'] });
      expect(other.every((d) => d.filedBy === ORG.bankB || d.provider === ORG.bankB)).to.equal(true);
      expect(ours(other)).to.deep.equal([]);
    });

    it('when the regulator or an auditor lists, then it sees every dispute', async () => {
      const everything = await all('limit=2', { as: ['auditor', 'AUDITOR'] });
      const provider = await all('limit=2', { as: ['land', 'DATA_OFFICER'] });
      expect(everything.map((d) => d.disputeId)).to.include.members(provider.map((d) => d.disputeId));
      expect(ours(everything)).to.have.length(5);
      expect(ours(everything).filter((d) => d.filedBy === ORG.regulator)).to.have.length(1);
    });

    it('when overdue=true is asked, then only open disputes past their 20 days are listed: none of the fresh ones', async () => {
      // The ledger clock cannot be moved through the API: disputes past their due date are
      // covered by the chaincode's own tests; here, none of the fresh disputes is overdue, and
      // whatever else a shared ledger lists is open and overdue.
      for (const as of [
        ['regulator', 'REGULATOR_ADMIN'],
        ['bankA', 'LOAN_OFFICER'],
      ] as const) {
        const overdue = await all('overdue=true&limit=2', { as: [as[0], as[1]] });
        expect(overdue.every((d) => d.status === 'OPEN' && d.overdue)).to.equal(true);
        expect(ours(overdue)).to.deep.equal([]);
      }
    });

    it('when the query is malformed, then 400 with a stable code', async () => {
      const as = { as: ['auditor', 'AUDITOR'] as ['auditor', 'AUDITOR'] };
      expectError(await g.api('/disputes?overdue=maybe', as), 400, 'INVALID_REQUEST');
      expectError(await g.api(`/disputes?limit=${g.config.pageSizeCap + 1}`, as), 400, 'PAGE_SIZE_TOO_LARGE');
      expectError(await g.api('/disputes?cursor=bm90LWEtY3Vyc29y', as), 400, 'INVALID_CURSOR');
      expectError(await g.api('/disputes?colour=red', as), 400, 'INVALID_REQUEST');
    });
  });
});
