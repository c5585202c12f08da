/**
 * Issue 12 item 6: personal identifiers inside client-chosen IDs, certificate
 * numbers and location codes. Each value is tried at the gateway (400
 * PERSONAL_IDENTIFIER_IN_FIELD) and at the chaincode with the organisation's
 * own identity (INVALID); afterwards the ledger has not grown and no block
 * holds any of the identifiers.
 */
import { expect } from 'chai';
import { makeCreditCode } from '@ruralcredit/protocol';
import type { ApiResponse } from '../helpers';
import {
  ORG,
  allBlocks,
  consentForm,
  errorCode,
  grantConsent,
  height,
  homestead,
  homesteadRight,
  ledgerTime,
  lienBody,
  registerAsset,
  residentId,
  startSecurityGateway,
  uploadBatch,
  validity,
  type ConsortiumGateway,
  outcome,
} from './fixture';
import { caseIt } from './recorder';

const RESIDENT = '350902196001030009';
const CREDIT_CODE = makeCreditCode('93350902MA31RQ2K5');
const MOBILE = '13805931234';

describe('security: personal identifiers in client-chosen IDs and free text (issue 12 item 6)', () => {
  let g: ConsortiumGateway;
  const SUBJECT = residentId(611);
  const OWNER = residentId(612);

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h6', [homestead(611)]);
    const scope = { scope: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' };
    await grantConsent(g, 'bankA', { consentId: 'c-h6', subjectId: SUBJECT, ...scope });
    await grantConsent(g, 'bankA', {
      consentId: 'col-h6',
      subjectId: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await registerAsset(g, 'land', homesteadRight('HS-H6', OWNER));
  });
  after(() => g.stop());

  caseIt(
    'H6',
    'when a resident ID, credit code or mobile number is put in a consent, access, batch, lien, dispute or seizure ID, a certificate number or a location code, then the gateway answers 400 PERSONAL_IDENTIFIER_IN_FIELD, the chaincode INVALID, and no block holds it',
    async (figures) => {
      const start = await height(g);
      const problems: string[] = [];
      const identifiers = [RESIDENT, CREDIT_CODE, MOBILE];
      const subject = await g.context.subjects.pseudonym(SUBJECT);
      const owner = await g.context.subjects.pseudonym(OWNER);
      for (const pii of identifiers) {
        const api: [string, () => Promise<ApiResponse>][] = [
          [
            'consentId',
            () =>
              g.api('/consents', {
                method: 'POST',
                as: ['bankA', 'LOAN_OFFICER'],
                body: consentForm({
                  consentId: `C-${pii}`,
                  subjectId: SUBJECT,
                  scope: ['HOMESTEAD'],
                  purpose: 'LOAN_APPLICATION',
                  ...validity(),
                }),
              }),
          ],
          [
            'accessId',
            () =>
              g.api('/reports', {
                method: 'POST',
                as: ['bankA', 'LOAN_OFFICER'],
                json: {
                  subjectId: SUBJECT,
                  consentId: 'c-h6',
                  datasets: ['HOMESTEAD'],
                  purpose: 'LOAN_APPLICATION',
                  accessId: `acc-${pii}`,
                },
              }),
          ],
          [
            'batchId',
            () =>
              g.api(
                `/datasets/HOMESTEAD/batches?batchId=hs-${pii}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T00:00:00Z`,
                { method: 'POST', as: ['land', 'DATA_OFFICER'], json: [homestead(613)] },
              ),
          ],
          [
            'lienId',
            () =>
              g.api('/liens', {
                method: 'POST',
                as: ['bankA', 'LOAN_OFFICER'],
                json: lienBody('HOMESTEAD_RIGHT:HS-H6', 'col-h6', { lienId: `lien-${pii}` }),
              }),
          ],
          [
            'certificateNo',
            () =>
              g.api('/assets', {
                method: 'POST',
                as: ['land', 'DATA_OFFICER'],
                json: homesteadRight(`HS-${pii}`, OWNER),
              }),
          ],
          [
            'location',
            () =>
              g.api('/assets', {
                method: 'POST',
                as: ['land', 'DATA_OFFICER'],
                json: { ...homesteadRight('HS-H6-LOC', OWNER), location: `FJ-${pii}` },
              }),
          ],
          [
            'orderRef',
            () =>
              g.api('/assets/HOMESTEAD_RIGHT:HS-H6/seizure', {
                method: 'POST',
                as: ['land', 'DATA_OFFICER'],
                json: { orderRef: `ord-${pii}` },
              }),
          ],
          [
            'disputeId',
            () =>
              g.api('/disputes', {
                method: 'POST',
                as: ['bankA', 'LOAN_OFFICER'],
                json: {
                  disputeId: `d-${pii}`,
                  subjectId: SUBJECT,
                  datasetType: 'HOMESTEAD',
                  batchId: 'hs-h6',
                  recordHash: '0'.repeat(64),
                  consentId: 'c-h6',
                  reason: 'WRONG_VALUE',
                },
              }),
          ],
        ];
        for (const [label, call] of api) {
          figures.tried += 1;
          const res = await call();
          if (res.status < 300) figures.acknowledged += 1;
          if (res.status !== 400 || errorCode(res) !== 'PERSONAL_IDENTIFIER_IN_FIELD')
            problems.push(`${label} with ${pii} (gateway): ${res.status} ${res.text.slice(0, 200)}`);
        }
        const ledger = g.context.ledger;
        const direct: [string, () => Promise<unknown>][] = [
          [
            'Consent:RecordGrant',
            () =>
              ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
                JSON.stringify({
                  grantId: `C-${pii}`,
                  subject,
                  scope: ['HOMESTEAD'],
                  purpose: 'LOAN_APPLICATION',
                  ...validity(),
                  evidence: { type: 'FORM_HASH', formHash: 'a'.repeat(64) },
                }),
              ]),
          ],
          [
            'Access:RecordAccess',
            () =>
              ledger.submit(ORG.bankA, 'Access:RecordAccess', [
                JSON.stringify({
                  accessId: `acc-${pii}`,
                  grantId: 'c-h6',
                  subject,
                  datasets: ['HOMESTEAD'],
                  purpose: 'LOAN_APPLICATION',
                  operator: 'b'.repeat(64),
                  releaseDigest: 'c'.repeat(64),
                }),
              ]),
          ],
          [
            'Collateral:RegisterLien',
            () =>
              ledger.submit(ORG.bankA, 'Collateral:RegisterLien', [
                JSON.stringify({
                  lienId: `lien-${pii}`,
                  assetId: 'HOMESTEAD_RIGHT:HS-H6',
                  grantId: 'col-h6',
                  securedAmountFen: 1_000_000,
                  loanEnd: ledgerTime(90 * 86_400),
                }),
              ]),
          ],
          [
            'Collateral:RegisterAsset certificateNo',
            () =>
              ledger.submit(ORG.land, 'Collateral:RegisterAsset', [
                JSON.stringify({ ...assetArgs(owner), certificateNo: `HS-${pii}` }),
              ]),
          ],
          [
            'Collateral:RegisterAsset location',
            () =>
              ledger.submit(ORG.land, 'Collateral:RegisterAsset', [
                JSON.stringify({ ...assetArgs(owner), location: `FJ-${pii}` }),
              ]),
          ],
          [
            'Collateral:SeizeAsset',
            () => ledger.submit(ORG.land, 'Collateral:SeizeAsset', ['HOMESTEAD_RIGHT:HS-H6', `ord-${pii}`]),
          ],
        ];
        for (const [label, call] of direct) {
          figures.tried += 1;
          const result = await outcome(call());
          if (result === 'OK') figures.acknowledged += 1;
          if (result !== '400 INVALID') problems.push(`${label} with ${pii} (chaincode): ${result}`);
        }
      }
      const all = await allBlocks(g);
      const blocks = JSON.stringify(all);
      const text = all
        .flatMap((b) =>
          b.transactions.flatMap((t) =>
            t.writes.map((w) => w.key + Buffer.from(w.value, 'base64').toString('utf8')),
          ),
        )
        .join('\n');
      for (const pii of identifiers) {
        if (blocks.includes(pii) || text.includes(pii)) {
          figures.found += 1;
          problems.push(`${pii} is on the ledger`);
        }
      }
      figures.found += (await height(g)) - start;
      figures.notes.push(
        `${identifiers.length} identifiers (resident ID, credit code, mobile) x 8 gateway fields and 6 chaincode calls; ledger searched afterwards`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );

  function assetArgs(owner: string): Record<string, unknown> {
    return {
      assetType: 'HOMESTEAD_RIGHT',
      certificateNo: 'HS-H6-DIRECT',
      owner,
      location: 'FJ-ND-0202',
      areaValue: 120,
      areaUnit: 'SQUARE_METRE',
      appraisedValueFen: 50_000_000,
      appraisalDate: '2026-01-15T00:00:00Z',
      rightExpiry: '2070-01-01T00:00:00Z',
    };
  }
});
