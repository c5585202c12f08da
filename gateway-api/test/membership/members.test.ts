import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createAlertsModule } from '../../src/alerts/module';
import type { Page } from '../../src/http/pagination';
import { createIndexer } from '../../src/indexer/indexer';
import { membershipModule } from '../../src/membership/routes';
import type { MemberChange, MemberView } from '../../src/membership/schemas';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { subscribe, type SseSubscription } from '../alerts/sse-client';
import { expectError } from '../helpers';

/** Per run: on a shared ledger (Fabric) earlier runs leave their admitted members. */
const RUN = randomBytes(3).toString('hex');
const NEW_MSP = `Guarantor${RUN}MSP`;

describe('members API', () => {
  let g: ConsortiumGateway;
  const open: SseSubscription[] = [];

  before(async () => {
    g = await startConsortiumGateway([
      membershipModule,
      createAlertsModule({
        bus: (ctx, deps) => createIndexer(ctx, deps).bus,
        log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
      }),
    ]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(() => g.stop());

  const listAll = async (as: Parameters<ConsortiumGateway['api']>[1]): Promise<MemberView[]> => {
    const all: MemberView[] = [];
    let cursor: string | null = null;
    do {
      const res = await g.api(`/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`, as);
      expect(res.status, res.text).to.equal(200);
      const page = res.body as Page<MemberView>;
      expect(page.items.length).to.be.at.most(2);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  };

  it('when any member lists members, then every organisation appears once with role, status and since', async () => {
    const members = await listAll({ as: ['bankA', 'LOAN_OFFICER'] });
    const byMsp = new Map(members.map((m) => [m.mspId, m]));
    expect(byMsp.size, 'each once').to.equal(members.length);
    expect(byMsp.get(ORG.regulator)).to.include({ role: 'REGULATOR', status: 'ACTIVE', reason: null });
    expect(byMsp.get(ORG.bankA)).to.include({ role: 'BANK', name: 'Ningde Rural Commercial Bank' });
    expect(byMsp.get(ORG.land)).to.include({ role: 'DATA_PROVIDER' });
    expect(byMsp.get(ORG.auditor)).to.include({ role: 'AUDITOR' });
    for (const m of members) expect(m.since, m.mspId).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('when a non-regulator admits, then 403 FORBIDDEN_ROLE and no member is written', async () => {
    const body = {
      mspId: NEW_MSP,
      role: 'GUARANTOR',
      name: 'Ningde Financing Guarantee',
      reason: 'licensed',
    };
    expectError(
      await g.api('/members', { method: 'POST', as: ['bankA', 'ORG_ADMIN'], json: body }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/members', { method: 'POST', as: ['auditor', 'AUDITOR'], json: body }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(await g.api(`/members/${NEW_MSP}`, { as: ['regulator', 'AUDITOR'] }), 404, 'NOT_FOUND');
  });

  it('when the admission is malformed, then 400 with a stable code and nothing is written', async () => {
    const as = ['regulator', 'REGULATOR_ADMIN'] as [keyof typeof ORG, 'REGULATOR_ADMIN'];
    const good = { mspId: NEW_MSP, role: 'INSURER', name: 'PICC Ningde', reason: 'licensed' };
    expectError(
      await g.api('/members', { method: 'POST', as, json: { ...good, role: 'REGULATOR' } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api('/members', { method: 'POST', as, json: { ...good, reason: '' } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api('/members', { method: 'POST', as, json: { ...good, reason: `for ${residentId(5)}` } }),
      400,
      'PERSONAL_IDENTIFIER_IN_FIELD',
    );
    expectError(await g.api(`/members/${NEW_MSP}`, { as: ['regulator', 'AUDITOR'] }), 404, 'NOT_FOUND');
  });

  it('when the regulator admits a GUARANTOR with a reason, then it is on the ledger, readable by all, once only', async () => {
    const body = {
      mspId: NEW_MSP,
      role: 'GUARANTOR',
      name: 'Ningde Financing Guarantee',
      reason: 'licence FG-12',
    };
    const res = await g.api('/members', { method: 'POST', as: ['regulator', 'REGULATOR_ADMIN'], json: body });
    expect(res.status, res.text).to.equal(201);
    expect(res.headers.get('location')).to.equal(`/api/v1/members/${NEW_MSP}`);
    const change = res.body as MemberChange;
    expect(change.member).to.deep.include({
      mspId: NEW_MSP,
      role: 'GUARANTOR',
      name: 'Ningde Financing Guarantee',
      status: 'ACTIVE',
      reason: 'licence FG-12',
      signer: null,
    });
    expect(change.member.since).to.equal(change.member.admittedAt);
    expect(change.txId).to.match(/^[0-9a-f]{64}$/);
    const read = await g.api(`/members/${NEW_MSP}`, { as: ['bankB', 'LOAN_OFFICER'] });
    expect(read.body).to.deep.equal(change.member);
    expectError(
      await g.api('/members', { method: 'POST', as: ['regulator', 'REGULATOR_ADMIN'], json: body }),
      409,
      'CONFLICT',
    );
  });

  it('when the regulator suspends a bank, then its calls are refused MEMBER_SUSPENDED and it is alerted; reinstated, it works again', async () => {
    const bankB = await subscribe(g, 'bankB', 'LOAN_OFFICER');
    const bankA = await subscribe(g, 'bankA', 'LOAN_OFFICER');
    open.push(bankB, bankA);
    const as = ['regulator', 'REGULATOR_ADMIN'] as [keyof typeof ORG, 'REGULATOR_ADMIN'];
    try {
      const res = await g.api(`/members/${ORG.bankB}/suspension`, {
        method: 'POST',
        as,
        json: { reason: 'on-site inspection 2026-07' },
      });
      expect(res.status, res.text).to.equal(200);
      const suspended = (res.body as MemberChange).member;
      expect(suspended).to.include({
        mspId: ORG.bankB,
        status: 'SUSPENDED',
        reason: 'on-site inspection 2026-07',
      });
      expect(suspended.since).to.equal(suspended.updatedAt);

      const refused = expectError(
        await g.api('/members', { as: ['bankB', 'LOAN_OFFICER'] }),
        403,
        'MEMBER_SUSPENDED',
      );
      expect(refused.message).to.equal(`${ORG.bankB} is suspended: on-site inspection 2026-07`);
      expectError(
        await g.api(`/members/${ORG.bankA}`, { as: ['bankB', 'LOAN_OFFICER'] }),
        403,
        'MEMBER_SUSPENDED',
      );
      expectError(
        await g.api(`/members/${ORG.bankB}/suspension`, { method: 'POST', as, json: { reason: 'again' } }),
        409,
        'CONFLICT',
      );

      await bankB.until((frames) => frames.some((f) => f.event === 'MemberSuspended'), 10_000);
      const alert = bankB.events().find((f) => f.event === 'MemberSuspended');
      expect(JSON.parse(alert?.data ?? '{}')).to.deep.include({
        name: 'MemberSuspended',
        payload: { mspId: ORG.bankB, reason: 'on-site inspection 2026-07' },
      });

      const back = await g.api(`/members/${ORG.bankB}/reinstatement`, {
        method: 'POST',
        as,
        json: { reason: 'findings remedied' },
      });
      expect(back.status, back.text).to.equal(200);
      expect((back.body as MemberChange).member).to.include({
        status: 'ACTIVE',
        reason: 'findings remedied',
      });
      await bankB.until((frames) => frames.some((f) => f.event === 'MemberReinstated'), 10_000);
      expect(bankB.events().map((f) => f.event)).to.deep.equal(['MemberSuspended', 'MemberReinstated']);
      expect(
        bankA.events().map((f) => f.event),
        'another bank hears nothing',
      ).to.deep.equal([]);
      const again = await g.api(`/members/${ORG.bankA}`, { as: ['bankB', 'LOAN_OFFICER'] });
      expect(again.status, again.text).to.equal(200);
      expectError(
        await g.api(`/members/${ORG.bankB}/reinstatement`, { method: 'POST', as, json: { reason: 'again' } }),
        409,
        'CONFLICT',
      );
    } finally {
      // A shared ledger must not keep the bank suspended when an assertion failed half-way.
      await g.api(`/members/${ORG.bankB}/reinstatement`, {
        method: 'POST',
        as,
        json: { reason: 'test cleanup' },
      });
    }
  });

  it('when the regulator suspends itself or an unknown MSP, or a bank suspends, then refused', async () => {
    const as = ['regulator', 'REGULATOR_ADMIN'] as [keyof typeof ORG, 'REGULATOR_ADMIN'];
    const json = { reason: 'x' };
    expectError(
      await g.api(`/members/${ORG.regulator}/suspension`, { method: 'POST', as, json }),
      400,
      'INVALID',
    );
    expectError(
      await g.api(`/members/Nobody${RUN}MSP/suspension`, { method: 'POST', as, json }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await g.api(`/members/${ORG.bankB}/suspension`, { method: 'POST', as: ['bankA', 'ORG_ADMIN'], json }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(await g.api('/members/bad%00id', { as: ['bankA', 'LOAN_OFFICER'] }), 400, 'INVALID_REQUEST');
  });
});
