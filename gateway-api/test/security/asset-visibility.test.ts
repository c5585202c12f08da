/**
 * Issue 12 item 7: what each member sees of a pledged asset. Bank A holds two
 * liens on a ranked right of one owner; bank B one lien on it under its own
 * COLLATERAL consent, and nothing on a second owner's right that bank A
 * pledged. Every reader (both banks, the issuer, another provider, the
 * auditor, the regulator) reads both assets at the gateway (`GET /assets`,
 * a report's collateral section) and at the chaincode with its own identity
 * (`GetAsset`, `ListAssetsByOwner`, `GetLien`); each answer is searched for
 * what the reader may not see.
 */
import { expect } from 'chai';
import {
  ORG,
  grantConsent,
  landContractRight,
  lienBody,
  ok,
  registerAsset,
  residentId,
  startSecurityGateway,
  uploadBatch,
  homestead,
  type ConsortiumGateway,
  type OrgName,
} from './fixture';
import { caseIt } from './recorder';

type Visibility = 'FULL' | 'COLLATERAL_GRANT' | 'MEMBER';

describe('security: what members see of an asset and its liens (issue 12 item 7)', () => {
  let g: ConsortiumGateway;
  const OWNER = residentId(711);
  const OTHER_OWNER = residentId(712);
  const ASSET = 'LAND_CONTRACT_RIGHT:LC-H7-1';
  const OTHER_ASSET = 'LAND_CONTRACT_RIGHT:LC-H7-2';
  const LOCATION = 'FJ-ND-0101';
  const APPRAISED = '10000000';
  const A_AMOUNTS = [1_111_111, 2_222_222];
  const B_AMOUNTS = [1_234_567, 1_000_001];
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h7', [homestead(711), homestead(712)]);
    const collateral = { scope: ['COLLATERAL'], purpose: 'COLLATERAL_REGISTRATION' };
    await grantConsent(g, 'bankA', { consentId: 'col-a-h7', subjectId: OWNER, ...collateral });
    await grantConsent(g, 'bankB', { consentId: 'col-b-h7', subjectId: OWNER, ...collateral });
    await grantConsent(g, 'bankA', { consentId: 'col-a2-h7', subjectId: OTHER_OWNER, ...collateral });
    // Bank B may read the second owner's data, but not its collateral.
    await grantConsent(g, 'bankB', {
      consentId: 'loan-b-h7',
      subjectId: OTHER_OWNER,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    await registerAsset(g, 'agri', landContractRight('LC-H7-1', OWNER));
    await registerAsset(g, 'agri', landContractRight('LC-H7-2', OTHER_OWNER));
    const lien = async (bank: OrgName, assetId: string, consentId: string, lienId: string, amount: number) =>
      ok(
        await g.api('/liens', {
          method: 'POST',
          as: [bank, 'LOAN_OFFICER'],
          json: lienBody(assetId, consentId, { lienId, securedAmountFen: amount }),
        }),
      );
    await lien('bankA', ASSET, 'col-a-h7', 'lien-a1-h7', A_AMOUNTS[0]!);
    await lien('bankA', ASSET, 'col-a-h7', 'lien-a2-h7', A_AMOUNTS[1]!);
    await lien('bankB', ASSET, 'col-b-h7', 'lien-b1-h7', B_AMOUNTS[0]!);
    await lien('bankB', ASSET, 'col-b-h7', 'lien-b2-h7', B_AMOUNTS[1]!);
    await lien('bankA', OTHER_ASSET, 'col-a2-h7', 'lien-a3-h7', A_AMOUNTS[0]!);
    await lien('bankA', OTHER_ASSET, 'col-a2-h7', 'lien-a4-h7', A_AMOUNTS[1]!);
  });
  after(() => g.stop());

  /** What `reader` may see of `assetId`, and what must not appear in its answer. */
  async function expected(
    reader: OrgName,
    assetId: string,
  ): Promise<{ visibility: Visibility; forbidden: string[] }> {
    const owner = await g.context.subjects.pseudonym(assetId === ASSET ? OWNER : OTHER_OWNER);
    if (reader === 'agri' || reader === 'regulator') return { visibility: 'FULL', forbidden: [] };
    const others =
      reader === 'bankA'
        ? [...B_AMOUNTS.map(String), 'lien-b1-h7', 'lien-b2-h7', ORG.bankB]
        : reader === 'bankB'
          ? [...A_AMOUNTS.map(String), 'lien-a1-h7', 'lien-a2-h7', 'lien-a3-h7', 'lien-a4-h7', ORG.bankA]
          : [
              ...A_AMOUNTS.map(String),
              ...B_AMOUNTS.map(String),
              'lien-a1-h7',
              'lien-a3-h7',
              'lien-b1-h7',
              ORG.bankA,
              ORG.bankB,
            ];
    const grant = reader === 'bankA' || (reader === 'bankB' && assetId === ASSET);
    return grant
      ? { visibility: 'COLLATERAL_GRANT', forbidden: others }
      : { visibility: 'MEMBER', forbidden: [...others, owner, LOCATION, APPRAISED] };
  }

  const READERS: [OrgName, 'LOAN_OFFICER' | 'DATA_OFFICER' | 'AUDITOR'][] = [
    ['bankA', 'LOAN_OFFICER'],
    ['bankB', 'LOAN_OFFICER'],
    ['agri', 'DATA_OFFICER'],
    ['land', 'DATA_OFFICER'],
    ['auditor', 'AUDITOR'],
    ['regulator', 'AUDITOR'],
  ];

  caseIt(
    'H7',
    "when every member reads two pledged assets at the gateway and at the chaincode, then a bank sees only its own liens' amounts (others as count and total), owner, location and appraisal only under a COLLATERAL consent; the issuer and the regulator see all",
    async (figures) => {
      const problems: string[] = [];
      const check = async (
        label: string,
        reader: OrgName,
        assetId: string,
        answer: unknown,
      ): Promise<void> => {
        figures.tried += 1;
        const { visibility, forbidden } = await expected(reader, assetId);
        const text = JSON.stringify(answer);
        const a = answer as { visibility?: string; otherLiens?: { count: number; totalSecuredFen: number } };
        const leaked = forbidden.filter((f) => text.includes(f));
        if (leaked.length > 0) {
          figures.acknowledged += 1;
          figures.found += leaked.length;
          problems.push(`${label} as ${reader}: shows ${leaked.join(', ')}`);
        }
        if (a.visibility !== visibility) problems.push(`${label} as ${reader}: visibility ${a.visibility}`);
        if (visibility !== 'FULL') {
          const others =
            assetId === OTHER_ASSET
              ? reader === 'bankA'
                ? []
                : A_AMOUNTS
              : reader === 'bankA'
                ? B_AMOUNTS
                : reader === 'bankB'
                  ? A_AMOUNTS
                  : [...A_AMOUNTS, ...B_AMOUNTS];
          if (a.otherLiens?.count !== others.length || a.otherLiens.totalSecuredFen !== sum(others))
            problems.push(`${label} ${assetId} as ${reader}: otherLiens ${JSON.stringify(a.otherLiens)}`);
        }
        if (visibility === 'FULL' && !text.includes(String(B_AMOUNTS[0])) && assetId === ASSET)
          problems.push(`${label} as ${reader}: the full view lacks bank B's lien`);
      };
      for (const [reader, role] of READERS) {
        for (const assetId of [ASSET, OTHER_ASSET]) {
          const res = await g.api(`/assets/${assetId}`, { as: [reader, role] });
          if (res.status !== 200) problems.push(`GET /assets/${assetId} as ${reader}: ${res.status}`);
          else await check(`GET /assets/${assetId}`, reader, assetId, res.body);
          await check(
            `Collateral:GetAsset ${assetId}`,
            reader,
            assetId,
            await g.context.ledger.evaluate(ORG[reader], 'Collateral:GetAsset', [assetId]),
          );
        }
        for (const subjectId of [OWNER, OTHER_OWNER]) {
          const page = await g.context.ledger.evaluate<{ records: { assetId: string }[] }>(
            ORG[reader],
            'Collateral:ListAssetsByOwner',
            [await g.context.subjects.pseudonym(subjectId), '10', ''],
          );
          for (const asset of page.records)
            await check('Collateral:ListAssetsByOwner', reader, asset.assetId, asset);
        }
      }
      // A lien of bank A as bank B, another provider and the auditor see it: no amount, no mortgagor.
      for (const reader of ['bankB', 'land', 'auditor'] as const) {
        figures.tried += 1;
        const lien = await g.context.ledger.evaluate<Record<string, unknown>>(
          ORG[reader],
          'Collateral:GetLien',
          ['lien-a1-h7'],
        );
        if ('securedAmountFen' in lien || 'mortgagor' in lien || 'grantId' in lien) {
          figures.acknowledged += 1;
          figures.found += 1;
          problems.push(`Collateral:GetLien as ${reader}: ${JSON.stringify(lien)}`);
        }
      }
      // Bank B's report on the second owner (a loan consent, no COLLATERAL one): no appraisal, no liens of bank A.
      figures.tried += 1;
      const report = ok<{ report: { collateral: Record<string, unknown>[] } }>(
        await g.api('/reports', {
          method: 'POST',
          as: ['bankB', 'LOAN_OFFICER'],
          json: {
            subjectId: OTHER_OWNER,
            consentId: 'loan-b-h7',
            datasets: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
          },
        }),
      ).report;
      const collateral = JSON.stringify(report.collateral);
      const leaked = [...A_AMOUNTS.map(String), 'lien-a3-h7', ORG.bankA, APPRAISED, LOCATION].filter((f) =>
        collateral.includes(f),
      );
      if (leaked.length > 0 || report.collateral.length !== 1) {
        figures.acknowledged += 1;
        figures.found += leaked.length;
        problems.push(`report collateral as bankB: ${collateral}`);
      }
      figures.notes.push(
        `${READERS.length} readers x 2 assets x (gateway, GetAsset, ListAssetsByOwner), GetLien x 3, one report`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );
});
