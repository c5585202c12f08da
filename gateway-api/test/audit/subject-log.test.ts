import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Wallet, type HDNodeWallet } from 'ethers';
import {
  isoFromEpochSeconds,
  signTypedMessage,
  type SubjectAccessLogRequestMessage,
} from '@ruralcredit/protocol';
import { auditModule } from '../../src/audit/routes';
import { SUBJECT_LOG_PAGE_SIZE, SubjectAccessLog, type SubjectAccessView } from '../../src/audit/subject-log';
import { createIndexer } from '../../src/indexer/indexer';
import {
  bindSubjectKey,
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError, type ApiResponse } from '../helpers';
import { recordAccess, recordGrant } from '../indexer/ledger-fixture';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

interface SubjectPage {
  items: SubjectAccessView[];
  nextCursor: string | null;
}

describe('a subject reads its own access log: POST /subjects/access-log', () => {
  let g: ConsortiumGateway;
  let s1: string;
  let s2: string;
  let s3: string;
  const wallet1 = Wallet.createRandom();
  const wallet3 = Wallet.createRandom();
  const granted: string[] = [];

  async function bindKey(subject: string, wallet: HDNodeWallet): Promise<void> {
    await bindSubjectKey(g.context.ledger, ORG.bankA, subject, wallet);
  }

  async function signed(
    wallet: HDNodeWallet,
    fields: Partial<SubjectAccessLogRequestMessage> & { subject: string },
  ): Promise<SubjectAccessLogRequestMessage & { signature: string }> {
    const message: SubjectAccessLogRequestMessage = {
      requestedAt: isoFromEpochSeconds(Date.now() / 1000),
      nonce: randomBytes(16).toString('hex'),
      cursor: '',
      ...fields,
    };
    return {
      ...message,
      signature: await signTypedMessage(wallet, 'SubjectAccessLogRequest', message, DEPLOYMENT),
    };
  }

  const read = (json: unknown): Promise<ApiResponse> =>
    g.api('/subjects/access-log', { method: 'POST', json });

  before(async () => {
    g = await startConsortiumGateway([auditModule]);
    const ledger = g.context.ledger;
    s1 = await g.context.subjects.pseudonym(residentId(1));
    s2 = await g.context.subjects.pseudonym(residentId(2));
    s3 = await g.context.subjects.pseudonym(residentId(3));
    await recordGrant(ledger, ORG.bankA, 'g-a1', s1);
    await recordGrant(ledger, ORG.bankB, 'g-b1', s1);
    await recordGrant(ledger, ORG.bankA, 'g-a2', s2);
    await recordGrant(ledger, ORG.bankA, 'g-a3', s3);
    await recordAccess(ledger, ORG.bankA, 'acc-1', 'g-a1', s1);
    await recordAccess(ledger, ORG.bankA, 'acc-2', 'g-a2', s2);
    await recordAccess(ledger, ORG.bankB, 'acc-3', 'g-b1', s1);
    await recordAccess(ledger, ORG.bankA, 'acc-4', 'g-a1', s1, { purpose: 'POST_LOAN_MANAGEMENT' });
    for (let i = 0; i <= SUBJECT_LOG_PAGE_SIZE; i++) {
      const id = `acc-s3-${String(i).padStart(3, '0')}`;
      await recordAccess(ledger, ORG.bankA, id, 'g-a3', s3);
      granted.push(id);
    }
    await bindKey(s1, wallet1);
    await bindKey(s3, wallet3);
  });
  after(() => g.stop());

  it('when the subject signs a fresh request, then it gets every access to its data, both banks, granted and denied, without staff pseudonyms', async () => {
    const res = await read(await signed(wallet1, { subject: s1 }));
    expect(res.status, res.text).to.equal(200);
    const page = res.body as SubjectPage;
    expect(page.nextCursor).to.equal(null);
    expect(page.items.map((e) => [e.accessId, e.accessor, e.grantId, e.purpose, e.outcome])).to.deep.equal([
      ['acc-1', ORG.bankA, 'g-a1', 'LOAN_APPLICATION', 'GRANTED'],
      ['acc-3', ORG.bankB, 'g-b1', 'LOAN_APPLICATION', 'GRANTED'],
      ['acc-4', ORG.bankA, 'g-a1', 'POST_LOAN_MANAGEMENT', 'DENIED'],
    ]);
    expect(page.items[2]?.reason).to.equal('WRONG_PURPOSE');
    for (const entry of page.items) {
      expect(entry).to.not.have.any.keys('operator', 'subject');
      expect(entry.txId).to.match(/^[0-9a-f]{64}$/);
    }
  });

  it('when the same signed request is sent again, then it is refused as a replay', async () => {
    const request = await signed(wallet1, { subject: s1 });
    expect((await read(request)).status).to.equal(200);
    expectError(await read(request), 409, 'REPLAYED_REQUEST');
  });

  it('when two identical signed requests race, then exactly one is answered', async () => {
    const request = await signed(wallet1, { subject: s1 });
    const statuses = (await Promise.all([read(request), read(request), read(request)])).map((r) => r.status);
    expect(statuses.sort()).to.deep.equal([200, 409, 409]);
  });

  it("when the signature is not by the subject's bound key, or the subject has bound none, then 401 and nothing is listed", async () => {
    const stranger = Wallet.createRandom();
    expectError(await read(await signed(stranger, { subject: s1 })), 401, 'SIGNATURE_REJECTED');
    // Subject 3's own key cannot read subject 1's log.
    expectError(await read(await signed(wallet3, { subject: s1 })), 401, 'SIGNATURE_REJECTED');
    // Subject 2 has no bound key: the same answer, so the endpoint tells nothing about who bound one.
    expectError(await read(await signed(stranger, { subject: s2 })), 401, 'SIGNATURE_REJECTED');
  });

  it('when a signed field is changed after signing, then the signature no longer verifies', async () => {
    const request = await signed(wallet1, { subject: s1 });
    expectError(await read({ ...request, nonce: `${request.nonce}00` }), 401, 'SIGNATURE_REJECTED');
    expectError(await read({ ...request, subject: s3 }), 401, 'SIGNATURE_REJECTED');
  });

  it('when the request was signed more than five minutes ago or ahead, then 400 STALE_REQUEST', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await signed(wallet1, { subject: s1, requestedAt: isoFromEpochSeconds(now - 301 - 5) });
    expectError(await read(old), 400, 'STALE_REQUEST');
    const ahead = await signed(wallet1, { subject: s1, requestedAt: isoFromEpochSeconds(now + 400) });
    expectError(await read(ahead), 400, 'STALE_REQUEST');
  });

  it('when the body is malformed, then 400 INVALID_REQUEST', async () => {
    const good = await signed(wallet1, { subject: s1 });
    expectError(await read({ ...good, nonce: 'short' }), 400, 'INVALID_REQUEST');
    expectError(await read({ ...good, requestedAt: '2026-11-23 10:00' }), 400, 'INVALID_REQUEST');
    expectError(await read({ ...good, subject: residentId(1) }), 400, 'INVALID_REQUEST');
    expectError(await read({ ...good, extra: 1 }), 400, 'INVALID_REQUEST');
    expectError(await read({ ...good, signature: '0x00' }), 400, 'INVALID_REQUEST');
  });

  it('when the log spans pages, then each page is a new signed request over the previous cursor, and every access comes exactly once', async () => {
    const first = await read(await signed(wallet3, { subject: s3 }));
    expect(first.status, first.text).to.equal(200);
    const page1 = first.body as SubjectPage;
    expect(page1.items).to.have.length(SUBJECT_LOG_PAGE_SIZE);
    expect(page1.nextCursor).to.be.a('string');
    const cursor = page1.nextCursor ?? '';
    const second = await read(await signed(wallet3, { subject: s3, cursor }));
    expect(second.status, second.text).to.equal(200);
    const page2 = second.body as SubjectPage;
    expect(page2.nextCursor).to.equal(null);
    expect([...page1.items, ...page2.items].map((e) => e.accessId)).to.deep.equal(granted);
    // A cursor the subject did not sign is refused before anything is read.
    const unsigned = await signed(wallet3, { subject: s3 });
    expectError(await read({ ...unsigned, cursor }), 401, 'SIGNATURE_REJECTED');
  });

  it('when the clock is set back after nonces were pruned, then requests older than the pruned bound are refused, not answered twice', async () => {
    let now = Math.floor(Date.now() / 1000) + 3_600;
    const log = new SubjectAccessLog({
      context: g.context,
      indexer: createIndexer(g.context, g.gateway.deps),
      db: g.gateway.deps.db,
      now: () => now,
    });
    const at = (seconds: number) =>
      signed(wallet1, { subject: s1, requestedAt: isoFromEpochSeconds(seconds) });
    const early = await at(now);
    expect((await log.page(early)).items).to.have.length(3);
    // Later, a request prunes the nonces of requests that can no longer be fresh, the early one's among them.
    now += 1_000;
    expect((await log.page(await at(now))).items).to.have.length(3);
    // The clock is set back: the early request is "fresh" again, but its nonce is gone.
    now -= 1_000;
    const err = await log.page(early).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).to.equal('STALE_REQUEST');
  });
});
