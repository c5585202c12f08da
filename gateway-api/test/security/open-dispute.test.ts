/**
 * Issue 12 item 8: `Dispute:GetOpenDispute` tells any member that a record is
 * disputed, and nothing else. Bank A files a dispute under its consent; every
 * other member asks the chaincode, with its own identity, about the record
 * and gets the dispute's ID and status only, while `GetDispute` (and
 * `GET /disputes/{id}`) still refuse them.
 */
import { expect } from 'chai';
import { leafHash } from '@ruralcredit/protocol';
import { AppError } from '../../src/http/errors';
import {
  ORG,
  grantConsent,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
  type OrgName,
} from './fixture';
import { caseIt } from './recorder';

describe('security: the open-dispute mark (issue 12 item 8)', () => {
  let g: ConsortiumGateway;
  const SUBJECT = residentId(811);
  const RECORD_HASH = leafHash(homestead(811)).toString('hex');

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h8', [homestead(811)]);
    await grantConsent(g, 'bankA', {
      consentId: 'c-h8',
      subjectId: SUBJECT,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    ok(
      await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          disputeId: 'd-h8',
          subjectId: SUBJECT,
          datasetType: 'HOMESTEAD',
          batchId: 'hs-h8',
          recordHash: RECORD_HASH,
          consentId: 'c-h8',
          reason: 'NOT_MINE',
          note: 'the holder says this homestead is not hers',
        },
      }),
    );
  });
  after(() => g.stop());

  caseIt(
    'H8',
    "when any member (parties or not) asks the chaincode for a record's open dispute, then it gets the dispute's ID and status only, and GetDispute still refuses non-parties",
    async (figures) => {
      const problems: string[] = [];
      const subject = await g.context.subjects.pseudonym(SUBJECT);
      const outsiders: OrgName[] = ['bankB', 'agri', 'auditor', 'regulator', 'bankA', 'land'];
      for (const org of outsiders) {
        figures.tried += 1;
        const mark = await g.context.ledger.evaluate<Record<string, unknown>>(
          ORG[org],
          'Dispute:GetOpenDispute',
          ['hs-h8', RECORD_HASH],
        );
        const text = JSON.stringify(mark);
        const leaked = [subject, ORG.bankA, 'c-h8', 'NOT_MINE', 'dueBy', 'filedAt', 'txId'].filter((f) =>
          text.includes(f),
        );
        if (leaked.length > 0) {
          figures.acknowledged += 1;
          figures.found += leaked.length;
        }
        if (text !== JSON.stringify({ disputeId: 'd-h8', status: 'OPEN' }))
          problems.push(`GetOpenDispute as ${org}: ${text}`);
      }
      for (const org of ['bankB', 'agri'] as const) {
        figures.tried += 2;
        const res = await g.api('/disputes/d-h8', {
          as: [org, org === 'bankB' ? 'LOAN_OFFICER' : 'DATA_OFFICER'],
        });
        if (res.status < 300) figures.acknowledged += 1;
        if (res.status !== 403) problems.push(`GET /disputes/d-h8 as ${org}: ${res.status}`);
        const direct = await g.context.ledger
          .evaluate(ORG[org], 'Dispute:GetDispute', ['d-h8'])
          .then(() => 'OK')
          .catch((err: unknown) => (err instanceof AppError ? `${err.status} ${err.code}` : String(err)));
        if (direct === 'OK') figures.acknowledged += 1;
        if (direct !== '403 FORBIDDEN') problems.push(`Dispute:GetDispute as ${org}: ${direct}`);
      }
      figures.notes.push('6 members ask GetOpenDispute; 2 non-parties try GetDispute and GET /disputes/{id}');
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );
});
