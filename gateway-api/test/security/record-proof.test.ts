/**
 * Issue 12 item 21: a data provider could not get the inclusion proof of its
 * own record. `GET /batches/{id}/records/{index}/proof` answers the batch's
 * provider, and a bank naming its GRANTED access that released the record;
 * nobody else.
 */
import { expect } from 'chai';
import type { ApiResponse } from '../helpers';
import {
  errorCode,
  grantConsent,
  hasErrorShape,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
  type OrgName,
} from './fixture';
import { caseIt } from './recorder';

interface RecordProof {
  batchId: string;
  index: number;
  leafHash: string;
  proof: { leafIndex: number; treeSize: number; path: string[] };
  merkleRoot: string;
}

describe('security: record inclusion proofs (issue 12 item 21)', () => {
  let g: ConsortiumGateway;
  const records = Array.from({ length: 3 }, (_, i) => homestead(2101 + i));
  let grantedAccess = '';
  let deniedAccess = '';
  let reportRecord: { index: number; leafHash: string; proof: RecordProof['proof'] } | undefined;

  const proofOf = (as: [OrgName, 'DATA_OFFICER' | 'LOAN_OFFICER'], index: number, accessId?: string) =>
    g.api(
      `/batches/hs-proof/records/${index}/proof${accessId === undefined ? '' : `?accessId=${accessId}`}`,
      { as },
    );

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-proof', records);
    await grantConsent(g, 'bankA', {
      consentId: 'c-proof',
      subjectId: residentId(2101),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    const issued = ok<{
      accessId: string;
      report: {
        datasets: {
          records: { batchId: string; index: number; leafHash: string; proof: RecordProof['proof'] }[];
        }[];
      };
    }>(
      await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          subjectId: residentId(2101),
          consentId: 'c-proof',
          datasets: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        },
      }),
    );
    grantedAccess = issued.accessId;
    reportRecord = issued.report.datasets[0]?.records.find((r) => r.batchId === 'hs-proof');
    const denied = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(2101),
        consentId: 'c-proof',
        datasets: ['HOMESTEAD'],
        purpose: 'POST_LOAN_MANAGEMENT',
      },
    });
    expect(denied.status, denied.text).to.equal(403);
    deniedAccess = (denied.body as { error: { details: { accessId: string } } }).error.details.accessId;
  });
  after(() => g.stop());

  caseIt(
    'H21',
    'when the provider asks for its record’s proof, then it gets one that verifies; a bank gets it only under its access that released the record; everyone else 403 NOT_RELEASED',
    async (figures) => {
      // The provider, for each of its records.
      for (const [index, record] of records.entries()) {
        const proof = ok<RecordProof>(await proofOf(['land', 'DATA_OFFICER'], index), 200);
        expect(proof.index).to.equal(index);
        const verified = ok<{ valid: boolean; batchId: string }>(
          await g.api('/provenance/verify', {
            method: 'POST',
            as: ['land', 'DATA_OFFICER'],
            json: { record, proof: proof.proof, batchId: 'hs-proof' },
          }),
          200,
        );
        expect(verified, `record ${index} verifies`).to.include({ valid: true, batchId: 'hs-proof' });
      }
      // The bank, under the access that released the record: the proof in its report.
      expect(reportRecord, 'the report holds the record').not.to.equal(undefined);
      const released = ok<RecordProof>(
        await proofOf(['bankA', 'LOAN_OFFICER'], reportRecord!.index, grantedAccess),
        200,
      );
      expect({ leafHash: released.leafHash, proof: released.proof }).to.deep.equal({
        leafHash: reportRecord!.leafHash,
        proof: reportRecord!.proof,
      });

      const hostile: [string, () => Promise<ApiResponse>][] = [
        ['another provider', () => proofOf(['agri', 'DATA_OFFICER'], 0)],
        ['the bank without an access', () => proofOf(['bankA', 'LOAN_OFFICER'], 0)],
        ['the bank, another subject’s record', () => proofOf(['bankA', 'LOAN_OFFICER'], 1, grantedAccess)],
        ['the bank, its denied access', () => proofOf(['bankA', 'LOAN_OFFICER'], 0, deniedAccess)],
        [
          'another bank, with the first bank’s access',
          () => proofOf(['bankB', 'LOAN_OFFICER'], 0, grantedAccess),
        ],
        ['another bank, an unknown access', () => proofOf(['bankB', 'LOAN_OFFICER'], 0, 'acc-unknown')],
      ];
      const violations: string[] = [];
      for (const [who, attempt] of hostile) {
        figures.tried += 1;
        const res = await attempt();
        if (res.status < 300) figures.acknowledged += 1;
        if (res.status !== 403 || errorCode(res) !== 'NOT_RELEASED' || !hasErrorShape(res))
          violations.push(`${who}: ${res.status} ${res.text.slice(0, 120)}`);
        if (res.text.includes('"proof"')) violations.push(`${who}: proof leaked`);
      }
      const missing = await proofOf(['land', 'DATA_OFFICER'], 99);
      expect(missing.status, missing.text).to.equal(404);
      expect(errorCode(missing)).to.equal('RECORD_NOT_FOUND');
      figures.found = violations.length;
      figures.notes.push(
        `${records.length} provider proofs verified, 1 bank proof under its releasing access equal to its report's; ${hostile.length} other callers refused`,
      );
      expect(violations).to.deep.equal([]);
    },
  );
});
