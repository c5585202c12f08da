/**
 * Issue 12 items 12 and 13: what a peer's own configuration may decide.
 * Every peer must reach the same decision on the same transaction, so the
 * regulator is fixed in state at bootstrap (H13), whatever a peer's
 * environment says afterwards.
 */
import { expect } from 'chai';
import { AppError } from '../../src/http/errors';
import { ORG, startSecurityGateway, type ConsortiumGateway } from './fixture';
import { caseIt } from './recorder';

/** How a direct chaincode call ended: `OK`, or the refusal's status and code. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    if (err instanceof AppError) return `${err.status} ${err.code}`;
    throw err;
  }
}

describe('security: deployment-bound decisions (issue 12 items 12 and 13)', () => {
  let g: ConsortiumGateway;
  const savedRegulatorEnv = process.env.RCL_REGULATOR_MSP;

  before(async () => {
    g = await startSecurityGateway();
  });
  after(async () => {
    if (savedRegulatorEnv === undefined) delete process.env.RCL_REGULATOR_MSP;
    else process.env.RCL_REGULATOR_MSP = savedRegulatorEnv;
    await g.stop();
  });

  caseIt(
    'H13',
    'when peers run with different RCL_REGULATOR_MSP after bootstrap (unset, RegulatorMSP, BankAMSP, AuditorMSP), then every peer answers Bootstrap alike (CONFLICT for the regulator fixed in state, FORBIDDEN for anyone else), the regulator read from state is RegulatorMSP, and regulator-only transactions answer alike',
    async (figures) => {
      const ledger = g.context.ledger;
      const peerSettings = [undefined, ORG.regulator, ORG.bankA, ORG.auditor];
      const callers = [ORG.regulator, ORG.bankA, ORG.auditor];
      const answers = new Map<string, Set<string>>();
      const note = (decision: string, answer: string) => {
        answers.set(decision, (answers.get(decision) ?? new Set()).add(answer));
      };
      const heightBefore = await ledger.height();
      for (const setting of peerSettings) {
        if (setting === undefined) delete process.env.RCL_REGULATOR_MSP;
        else process.env.RCL_REGULATOR_MSP = setting;
        for (const caller of callers) {
          figures.tried += 1;
          const answer = await outcome(ledger.submit(caller, 'Membership:Bootstrap', ['take over']));
          if (answer === 'OK') figures.acknowledged += 1;
          note(`Bootstrap by ${caller}`, answer);
          const expected = caller === ORG.regulator ? '409 CONFLICT' : '403 FORBIDDEN';
          if (answer !== expected) {
            figures.found += 1;
            figures.notes.push(
              `peer with RCL_REGULATOR_MSP=${setting ?? '(unset)'}: ${caller} got ${answer}`,
            );
          }
        }
        figures.tried += 1;
        const config = await ledger.evaluate<{ regulator: string }>(
          ORG.bankA,
          'Membership:GetConsortium',
          [],
        );
        note('GetConsortium', config.regulator);
        figures.tried += 1;
        note(
          'SuspendMember by BankAMSP',
          await outcome(ledger.submit(ORG.bankA, 'Membership:SuspendMember', [ORG.bankB, 'peer setting'])),
        );
      }
      if (savedRegulatorEnv === undefined) delete process.env.RCL_REGULATOR_MSP;
      else process.env.RCL_REGULATOR_MSP = savedRegulatorEnv;
      const divergent = [...answers]
        .filter(([, set]) => set.size > 1)
        .map(([d, set]) => `${d}: ${[...set].join(' / ')}`);
      figures.notes.push(
        `${answers.size} decisions, ${divergent.length} answered differently by peer setting`,
      );
      expect(divergent, 'decisions that depend on the peer environment').to.deep.equal([]);
      expect([...(answers.get('GetConsortium') ?? [])]).to.deep.equal([ORG.regulator]);
      expect([...(answers.get('SuspendMember by BankAMSP') ?? [])]).to.deep.equal(['403 FORBIDDEN']);
      expect(figures.found, figures.notes.join('; ')).to.equal(0);
      expect(await ledger.height(), 'blocks committed by the refused calls').to.equal(heightBefore);
      const member = await ledger.evaluate<{ role: string }>(ORG.bankA, 'Membership:GetMember', [ORG.bankA]);
      expect(member.role).to.equal('BANK');
    },
  );
});
