/**
 * Issue 12 item 19: a kept report (for retries with the same accessId) is not
 * handed out once the consent it was issued under is revoked or has expired.
 * The retry learns the outcome and the digest (409 CONSENT_NOT_ACTIVE), not
 * the data, and nothing new is recorded on the ledger.
 */
import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import type { ApiResponse } from '../helpers';
import {
  consentForm,
  errorCode,
  height,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
} from './fixture';
import { caseIt } from './recorder';

describe('security: kept reports after the consent ends (issue 12 item 19)', () => {
  let g: ConsortiumGateway;
  const REVOKED_SUBJECT = residentId(1911);
  const EXPIRING_SUBJECT = residentId(1912);

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h19', [homestead(1911), homestead(1912)]);
  });
  after(() => g.stop());

  const consent = async (consentId: string, subjectId: string, seconds: number): Promise<void> => {
    const now = Math.floor(Date.now() / 1000);
    ok(
      await g.api('/consents', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        body: consentForm({
          consentId,
          subjectId,
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          validFrom: isoFromEpochSeconds(now - 60),
          validUntil: isoFromEpochSeconds(now + seconds),
        }),
      }),
    );
  };
  const report = (subjectId: string, consentId: string, accessId: string): Promise<ApiResponse> =>
    g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { subjectId, consentId, datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION', accessId },
    });

  caseIt(
    'H19',
    'when a report request is retried with its accessId after the consent was revoked or expired, then 409 CONSENT_NOT_ACTIVE with the outcome and digest, no report data, and nothing recorded',
    async (figures) => {
      const problems: string[] = [];
      await consent('c-h19-revoked', REVOKED_SUBJECT, 180 * 86_400);
      await consent('c-h19-expiring', EXPIRING_SUBJECT, 4);
      const issued = [
        ok<{ report: { digest: string } }>(await report(REVOKED_SUBJECT, 'c-h19-revoked', 'acc-h19-1')),
        ok<{ report: { digest: string } }>(await report(EXPIRING_SUBJECT, 'c-h19-expiring', 'acc-h19-2')),
      ];
      // While the consent is active, a retry gets the same report.
      const early = await report(REVOKED_SUBJECT, 'c-h19-revoked', 'acc-h19-1');
      expect(early.status, early.text).to.equal(200);
      ok(
        await g.api('/consents/c-h19-revoked/revoke', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: { reason: 'SUBJECT_REQUEST' },
        }),
        200,
      );
      // Let the second consent expire (ledger time has second precision).
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const start = await height(g);
      const cases = [
        { subjectId: REVOKED_SUBJECT, consentId: 'c-h19-revoked', accessId: 'acc-h19-1', status: 'REVOKED' },
        {
          subjectId: EXPIRING_SUBJECT,
          consentId: 'c-h19-expiring',
          accessId: 'acc-h19-2',
          status: 'EXPIRED',
        },
      ];
      for (const [i, c] of cases.entries()) {
        // Twice: the second retry must not find the report either.
        for (const attempt of [1, 2]) {
          figures.tried += 1;
          const res = await report(c.subjectId, c.consentId, c.accessId);
          if (res.status < 300) figures.acknowledged += 1;
          const details = (res.body as { error?: { details?: Record<string, unknown> } }).error?.details;
          if (res.text.includes(`HS-${1911 + i}`) || res.text.includes('"report"')) {
            figures.found += 1;
            problems.push(`${c.accessId} retry ${attempt}: report data handed out`);
          }
          if (
            res.status !== 409 ||
            errorCode(res) !== 'CONSENT_NOT_ACTIVE' ||
            details?.outcome !== 'GRANTED' ||
            details.releaseDigest !== issued[i]!.report.digest ||
            details.consentStatus !== c.status
          )
            problems.push(`${c.accessId} retry ${attempt}: ${res.status} ${res.text.slice(0, 300)}`);
        }
      }
      figures.found += (await height(g)) - start;
      figures.notes.push('2 reports (consent revoked; consent expired) each retried twice');
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );
});
