/**
 * Issue 12 item 18: client-chosen access IDs (the report requests' idempotency
 * keys) are one namespace per bank. Bank B's denied attempt with an ID does
 * not block bank A's valid request with the same ID, and bank B's attempt
 * with an ID bank A already used is refused as an access (403 ACCESS_DENIED,
 * recorded DENIED) rather than answered 409 ACCESS_ID_TAKEN, which would tell
 * it that the ID exists. The audit index must hold every attempt.
 */
import { expect } from 'chai';
import type { ApiResponse } from '../helpers';
import {
  ORG,
  errorCode,
  grantConsent,
  homestead,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
  type OrgName,
} from './fixture';
import { caseIt } from './recorder';

describe('security: access IDs per bank (issue 12 item 18)', () => {
  let g: ConsortiumGateway;
  const SUBJECT = residentId(1811);

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h18', [homestead(1811)]);
    await grantConsent(g, 'bankA', {
      consentId: 'c-a-h18',
      subjectId: SUBJECT,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
  });
  after(() => g.stop());

  const request = (bank: OrgName, accessId: string): Promise<ApiResponse> =>
    g.api('/reports', {
      method: 'POST',
      as: [bank, 'LOAN_OFFICER'],
      json: {
        subjectId: SUBJECT,
        // Bank B has no consent of its own: it names bank A's.
        consentId: 'c-a-h18',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        accessId,
      },
    });

  caseIt(
    'H18',
    "when two banks use the same accessId in either order, then each bank's request is decided on its own (bank A 201, bank B 403 ACCESS_DENIED, never 409 ACCESS_ID_TAKEN) and every attempt is on the ledger",
    async (figures) => {
      const problems: string[] = [];
      const expectOutcome = async (
        label: string,
        res: Promise<ApiResponse>,
        status: number,
        code?: string,
      ) => {
        figures.tried += 1;
        const r = await res;
        if (r.status < 300) figures.acknowledged += 1;
        if (r.status !== status || (code !== undefined && errorCode(r) !== code))
          problems.push(`${label}: ${r.status} ${r.text.slice(0, 200)}`);
        return r;
      };
      // Bank B first (denied), then bank A with the same ID.
      await expectOutcome('bank B, loan-2026-0042', request('bankB', 'loan-2026-0042'), 403, 'ACCESS_DENIED');
      await expectOutcome('bank A, loan-2026-0042', request('bankA', 'loan-2026-0042'), 201);
      // Bank A first, then bank B with the same ID: refused as an access, not as a taken ID.
      await expectOutcome('bank A, loan-2026-0043', request('bankA', 'loan-2026-0043'), 201);
      await expectOutcome('bank B, loan-2026-0043', request('bankB', 'loan-2026-0043'), 403, 'ACCESS_DENIED');
      // Retries answer from the ledger with nothing new recorded.
      const replay = await expectOutcome('bank A retry', request('bankA', 'loan-2026-0042'), 200);
      await expectOutcome('bank B retry', request('bankB', 'loan-2026-0043'), 403, 'ACCESS_DENIED');
      // The filed report still verifies against its own bank's access.
      figures.tried += 1;
      const verified = await g.api('/reports/verify', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { report: (replay.body as { report: unknown }).report },
      });
      if (verified.status !== 200 || (verified.body as { valid?: boolean }).valid !== true)
        problems.push(`verify: ${verified.status} ${verified.text.slice(0, 200)}`);

      const listed = await g.api(`/audit/accesses?subjectId=${SUBJECT}&limit=100`, {
        as: ['auditor', 'AUDITOR'],
      });
      const entries = (listed.body as { items: { accessId: string; accessor: string; outcome: string }[] })
        .items;
      const recorded = entries
        .filter((e) => e.accessId.startsWith('loan-2026-004'))
        .map((e) => `${e.accessId} ${e.accessor} ${e.outcome}`)
        .sort();
      figures.found = recorded.length;
      expect(recorded, 'attempts on the ledger').to.deep.equal([
        `loan-2026-0042 ${ORG.bankA} GRANTED`,
        `loan-2026-0042 ${ORG.bankB} DENIED`,
        `loan-2026-0043 ${ORG.bankA} GRANTED`,
        `loan-2026-0043 ${ORG.bankB} DENIED`,
      ]);
      figures.notes.push(
        '2 IDs x 2 banks in both orders, 2 retries, 1 verify; found = attempts on the ledger (4 expected)',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );
});
