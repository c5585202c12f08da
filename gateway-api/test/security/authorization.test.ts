/**
 * Issue 7 case 9: object-level authorization. Each refusal is checked twice:
 * at the gateway (real HTTP request with the user's token) and at the
 * chaincode, called directly through the embedded ledger with that
 * organisation's own X.509 identity (the embedded stand-in for a direct
 * @hyperledger/fabric-gateway call, which needs a Fabric network this machine
 * cannot run).
 */
import { expect } from 'chai';
import { leafHash, signTypedMessage } from '@ruralcredit/protocol';
import { loadConsortium } from '../../src/app';
import type { LedgerClient } from '../../src/ledger/types';
import type { ApiResponse } from '../helpers';
import {
  ORG,
  grantConsent,
  height,
  homestead,
  homesteadRight,
  landContractRight,
  lienBody,
  ok,
  registerAsset,
  residentId,
  startSecurityGateway,
  uploadBatch,
  validity,
  type ConsortiumGateway,
  type OrgName,
  outcome,
} from './fixture';
import type { Figures } from './recorder';
import { caseIt } from './recorder';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

describe('security: object-level authorization, gateway and chaincode (issue 7 case 9, chaincode called through the embedded ledger with each organisation’s identity)', () => {
  let g: ConsortiumGateway;
  let ledger: LedgerClient;
  /** Arguments of every transaction the set-up flow submitted, by function: real, valid arguments to replay. */
  const captured = new Map<string, (readonly string[])[]>();
  let accessA: string;
  let lienA: string;
  const SUBJECT = residentId(901);
  const OWNER = residentId(902);

  before(async () => {
    g = await startSecurityGateway();
    ledger = g.context.ledger;
    const submit = ledger.submit.bind(ledger);
    (ledger as { submit: LedgerClient['submit'] }).submit = (mspId, fn, args) => {
      captured.set(fn, [...(captured.get(fn) ?? []), [...args]]);
      return submit(mspId, fn, args);
    };
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-authz', [homestead(901), homestead(902)]);
    const scope = { scope: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' };
    await grantConsent(g, 'bankA', { consentId: 'c-a', subjectId: SUBJECT, ...scope });
    await grantConsent(g, 'bankB', { consentId: 'c-b', subjectId: SUBJECT, ...scope });
    await grantConsent(g, 'bankA', {
      consentId: 'col-a',
      subjectId: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    const report = (bank: OrgName, consentId: string) =>
      g.api('/reports', {
        method: 'POST',
        as: [bank, 'LOAN_OFFICER'],
        json: { subjectId: SUBJECT, consentId, datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' },
      });
    accessA = ok<{ accessId: string }>(await report('bankA', 'c-a')).accessId;
    ok(await report('bankB', 'c-b'));
    await registerAsset(g, 'land', homesteadRight('HS-AUTHZ', OWNER));
    await registerAsset(g, 'agri', landContractRight('LC-AUTHZ', OWNER));
    lienA = ok<{ lien: { lienId: string } }>(
      await g.api('/liens', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: lienBody('HOMESTEAD_RIGHT:HS-AUTHZ', 'col-a'),
      }),
    ).lien.lienId;
    ok(
      await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          disputeId: 'd-authz',
          subjectId: SUBJECT,
          datasetType: 'HOMESTEAD',
          batchId: 'hs-authz',
          recordHash: leafHash(homestead(901)).toString('hex'),
          consentId: 'c-a',
          reason: 'WRONG_VALUE',
        },
      }),
    );
  });
  after(() => g.stop());

  /** Checks an API refusal and a chaincode refusal; counts them. */
  async function refusedBoth(
    figures: Figures,
    label: string,
    api: Promise<ApiResponse>,
    expectedApi: string,
    chaincode: Promise<unknown> | undefined,
    expectedChaincode = '403 FORBIDDEN',
  ): Promise<string[]> {
    // Both calls are already under way: mark the chaincode one handled until it is awaited.
    chaincode?.catch(() => undefined);
    const problems: string[] = [];
    figures.tried += 1;
    const res = await api;
    const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code ?? '';
    if (res.status < 300) figures.acknowledged += 1;
    if (`${res.status} ${code}` !== expectedApi)
      problems.push(`${label} (gateway): ${res.status} ${res.text}`);
    if (chaincode !== undefined) {
      figures.tried += 1;
      const direct = await outcome(chaincode);
      if (direct === 'OK') figures.acknowledged += 1;
      if (direct !== expectedChaincode) problems.push(`${label} (chaincode): ${direct}`);
    }
    return problems;
  }

  caseIt(
    '9',
    "when a bank reads or revokes another bank's consent, then the gateway and the chaincode refuse, and the consent stays ACTIVE",
    async (figures) => {
      const start = await height(g);
      const problems = [
        // Another bank's consent is answered like a missing one (issue 12 item 20).
        ...(await refusedBoth(
          figures,
          'read',
          g.api('/consents/c-a', { as: ['bankB', 'LOAN_OFFICER'] }),
          '404 NOT_FOUND',
          ledger.evaluate(ORG.bankB, 'Consent:GetGrant', ['c-a']),
          '404 NOT_FOUND',
        )),
        ...(await refusedBoth(
          figures,
          'read as org admin',
          g.api('/consents/c-a', { as: ['bankB', 'ORG_ADMIN'] }),
          '404 NOT_FOUND',
          undefined,
        )),
        ...(await refusedBoth(
          figures,
          'download form',
          g.api('/consents/c-a/form', { as: ['bankB', 'LOAN_OFFICER'] }),
          '404 NOT_FOUND',
          undefined,
        )),
        ...(await refusedBoth(
          figures,
          'revoke',
          g.api('/consents/c-a/revoke', {
            method: 'POST',
            as: ['bankB', 'LOAN_OFFICER'],
            json: { reason: 'BANK_REQUEST' },
          }),
          '403 FORBIDDEN',
          ledger.submit(ORG.bankB, 'Consent:RevokeGrant', ['c-a', 'BANK_REQUEST']),
        )),
      ];
      figures.tried += 2;
      const listed = (await g.api('/consents', { as: ['bankB', 'LOAN_OFFICER'] })).body as {
        items: { consentId: string }[];
      };
      if (listed.items.some((c) => c.consentId === 'c-a')) problems.push('GET /consents lists c-a to bankB');
      const page = await ledger.evaluate<{ items?: { grantId: string }[] }>(ORG.bankB, 'Consent:ListGrants', [
        '100',
        '',
      ]);
      if ((page.items ?? []).some((c) => c.grantId === 'c-a')) problems.push('Consent:ListGrants lists c-a');
      const grant = await ledger.evaluate<{ status: string }>(ORG.bankA, 'Consent:GetGrant', ['c-a']);
      if (grant.status !== 'ACTIVE') problems.push(`c-a is ${grant.status}`);
      figures.found = problems.length + ((await height(g)) - start);
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );

  caseIt(
    '9',
    "when a bank reads another bank's access records (audit endpoints, Access:GetAccessOf, Access:GetAccess, Access:ListAccessesByAccessor), then both refuse; its own lists hold none of them",
    async (figures) => {
      const problems = [
        ...(await refusedBoth(
          figures,
          'audit/accesses?accessor',
          g.api(`/audit/accesses?accessor=${ORG.bankA}`, { as: ['bankB', 'LOAN_OFFICER'] }),
          '403 FORBIDDEN_ORG',
          ledger.evaluate(ORG.bankB, 'Access:GetAccessOf', [ORG.bankA, accessA]),
        )),
        // Access IDs are per bank (issue 12 item 18): by ID alone, bank B looks in its own namespace.
        ...(await refusedBoth(
          figures,
          'Access:GetAccess by ID',
          g.api(`/audit/accesses?accessor=${ORG.bankA}&limit=1`, { as: ['bankB', 'ORG_ADMIN'] }),
          '403 FORBIDDEN_ORG',
          ledger.evaluate(ORG.bankB, 'Access:GetAccess', [accessA]),
          '404 NOT_FOUND',
        )),
        ...(await refusedBoth(
          figures,
          'audit/export?accessor',
          g.api(`/audit/export?accessor=${ORG.bankA}`, { as: ['bankB', 'ORG_ADMIN'] }),
          '403 FORBIDDEN_ORG',
          ledger.evaluate(ORG.bankB, 'Access:ListAccessesByAccessor', [ORG.bankA, '', '', '100', '']),
        )),
        ...(await refusedBoth(
          figures,
          'audit/export/summary?accessor',
          g.api(`/audit/export/summary?accessor=${ORG.bankA}`, { as: ['bankB', 'LOAN_OFFICER'] }),
          '403 FORBIDDEN_ORG',
          undefined,
        )),
      ];
      figures.tried += 2;
      const own = (
        (await g.api(`/audit/accesses?subjectId=${SUBJECT}`, { as: ['bankB', 'LOAN_OFFICER'] })).body as {
          items: { accessor: string }[];
        }
      ).items;
      if (own.length === 0 || own.some((a) => a.accessor !== ORG.bankB))
        problems.push(`bankB's audit list: ${JSON.stringify(own.map((a) => a.accessor))}`);
      const bySubject = await ledger.evaluate<{ items?: { accessor: string }[] }>(
        ORG.bankB,
        'Access:ListAccessesBySubject',
        [await g.context.subjects.pseudonym(SUBJECT), '', '', '100', ''],
      );
      if ((bySubject.items ?? []).some((a) => a.accessor !== ORG.bankB))
        problems.push('Access:ListAccessesBySubject shows another bank');
      figures.found = problems.length;
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    '9',
    "when a bank releases or enforces another bank's lien, then both refuse and the lien stays ACTIVE",
    async (figures) => {
      const start = await height(g);
      const problems = [
        ...(await refusedBoth(
          figures,
          'release',
          g.api(`/liens/${lienA}/release`, { method: 'POST', as: ['bankB', 'LOAN_OFFICER'] }),
          '403 FORBIDDEN',
          ledger.submit(ORG.bankB, 'Collateral:ReleaseLien', [lienA]),
        )),
        ...(await refusedBoth(
          figures,
          'enforce',
          g.api(`/liens/${lienA}/enforce`, { method: 'POST', as: ['bankB', 'LOAN_OFFICER'] }),
          '403 FORBIDDEN',
          ledger.submit(ORG.bankB, 'Collateral:EnforceLien', [lienA]),
        )),
      ];
      const lien = await ledger.evaluate<{ status: string }>(ORG.bankA, 'Collateral:GetLien', [lienA]);
      if (lien.status !== 'ACTIVE') problems.push(`lien is ${lien.status}`);
      figures.found = problems.length + ((await height(g)) - start);
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );

  /** Every endpoint that writes, with a body that would be valid for a permitted caller. */
  const WRITES: Record<string, { path: string; json?: unknown }> = {
    'POST /api/v1/datasets/{type}/batches': {
      path: '/datasets/HOMESTEAD/batches?batchId=hs-aud&periodStart=2026-02-01T00:00:00Z&periodEnd=2026-02-28T00:00:00Z',
      json: [homestead(903)],
    },
    'POST /api/v1/consents': {
      path: '/consents',
      json: { subjectId: residentId(903), scope: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION', ...validity() },
    },
    'POST /api/v1/consents/{id}/revoke': { path: '/consents/c-a/revoke', json: { reason: 'BANK_REQUEST' } },
    'POST /api/v1/reports': {
      path: '/reports',
      json: {
        subjectId: residentId(901),
        consentId: 'c-a',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    },
    'POST /api/v1/assets': { path: '/assets', json: homesteadRight('HS-AUD', residentId(902)) },
    'POST /api/v1/assets/batch': {
      path: '/assets/batch',
      json: { assets: [homesteadRight('HS-AUD-B', residentId(902))] },
    },
    'POST /api/v1/liens': { path: '/liens', json: lienBody('HOMESTEAD_RIGHT:HS-AUTHZ', 'col-a') },
    'POST /api/v1/liens/{id}/release': { path: '/liens/LIEN/release' },
    'POST /api/v1/liens/{id}/enforce': { path: '/liens/LIEN/enforce' },
    'POST /api/v1/assets/{id}/seizure': {
      path: '/assets/HOMESTEAD_RIGHT:HS-AUTHZ/seizure',
      json: { orderRef: 'ord-1' },
    },
    'DELETE /api/v1/assets/{id}/seizure': { path: '/assets/HOMESTEAD_RIGHT:HS-AUTHZ/seizure' },
    'POST /api/v1/assets/{id}/transfer': {
      path: '/assets/LAND_CONTRACT_RIGHT:LC-AUTHZ/transfer',
      json: { newOwnerSubjectId: residentId(903) },
    },
    'POST /api/v1/disputes': {
      path: '/disputes',
      json: {
        subjectId: residentId(901),
        datasetType: 'HOMESTEAD',
        batchId: 'hs-authz',
        recordHash: leafHash(homestead(901)).toString('hex'),
        reason: 'NOT_MINE',
      },
    },
    'POST /api/v1/disputes/{id}/resolution': {
      path: '/disputes/d-authz/resolution',
      json: { outcome: 'UPHELD', note: 'checked' },
    },
    'POST /api/v1/subjects/signers': {
      path: '/subjects/signers',
      json: {
        subjectId: residentId(903),
        consentId: 'c-a',
        address: `0x${'1'.repeat(40)}`,
        signature: `0x${'1'.repeat(130)}`,
        kyc: { evidenceDigest: '0'.repeat(64) },
      },
    },
    'POST /api/v1/subjects/signers/replacement': {
      path: '/subjects/signers/replacement',
      json: {
        subjectId: residentId(903),
        address: `0x${'1'.repeat(40)}`,
        signature: `0x${'1'.repeat(130)}`,
        reason: 'LOST_KEY',
        kyc: { evidenceDigest: '0'.repeat(64) },
      },
    },
    'POST /api/v1/members': {
      path: '/members',
      json: { mspId: 'AuditedMSP', role: 'INSURER', name: 'Audited insurer', reason: 'licensed' },
    },
    'POST /api/v1/members/{mspId}/suspension': {
      path: '/members/BankBMSP/suspension',
      json: { reason: 'x' },
    },
    'POST /api/v1/members/{mspId}/reinstatement': {
      path: '/members/BankBMSP/reinstatement',
      json: { reason: 'x' },
    },
    'POST /api/v1/catalogue/dataset-types': {
      path: '/catalogue/dataset-types',
      json: { ...loadConsortium().datasetTypes[0], code: 'AUDIT_DS' },
    },
    'PUT /api/v1/catalogue/dataset-types/{type}': {
      path: '/catalogue/dataset-types/HOMESTEAD',
      json: { ...loadConsortium().datasetTypes[0], code: undefined, schemaVersion: 9 },
    },
    'POST /api/v1/catalogue/asset-types': {
      path: '/catalogue/asset-types',
      json: { ...loadConsortium().assetTypes[0], code: 'AUDIT_AT' },
    },
    'PUT /api/v1/catalogue/asset-types/{type}': {
      path: '/catalogue/asset-types/TEA_GARDEN',
      json: { ...loadConsortium().assetTypes[0], code: undefined, version: 9 },
    },
    // Financing (issue 14): the role check comes before the ledger, so minimal bodies suffice.
    ...Object.fromEntries(
      (
        [
          ['POST /api/v1/products', '/products', { productId: 'p-aud' }],
          ['POST /api/v1/products/{id}/withdraw', '/products/p-aud/withdraw'],
          ['POST /api/v1/demands', '/demands', { subjectId: residentId(903) }],
          [
            'POST /api/v1/demands/{id}/withdraw',
            '/demands/d-aud/withdraw',
            { evidence: { type: 'FORM_HASH' } },
          ],
          ['POST /api/v1/demands/{id}/claims', '/demands/d-aud/claims', {}],
          ['POST /api/v1/claims/{id}/contact', '/claims/c-aud/contact'],
          ['POST /api/v1/claims/{id}/approve', '/claims/c-aud/approve'],
          ['POST /api/v1/claims/{id}/decline', '/claims/c-aud/decline'],
          ['POST /api/v1/claims/{id}/release', '/claims/c-aud/release'],
          ['POST /api/v1/claims/{id}/disburse', '/claims/c-aud/disburse', { amountFen: 1 }],
          ['POST /api/v1/claims/overdue-sweep', '/claims/overdue-sweep'],
          ['POST /api/v1/loans', '/loans', { loanId: 'l-aud' }],
          ['POST /api/v1/loans/{id}/status', '/loans/l-aud/status', { status: 'REPAID' }],
          [
            'POST /api/v1/loans/{id}/post-loan-consent',
            '/loans/l-aud/post-loan-consent',
            { consentId: 'c-a' },
          ],
          ['POST /api/v1/multi-lender-signals', '/multi-lender-signals', { consentId: 'c-a' }],
          ['PUT /api/v1/financing/policy', '/financing/policy', { contactDays: 5 }],
          // Bulk download and watches (issue 15).
          ['POST /api/v1/bulk/jobs', '/bulk/jobs', { items: [] }],
          ['POST /api/v1/watches', '/watches', { consentId: 'c-a' }],
          ['DELETE /api/v1/watches/{watchId}', '/watches/w-aud'],
          ['PUT /api/v1/webhooks/endpoint', '/webhooks/endpoint', { url: 'https://bank.example/hook' }],
          ['POST /api/v1/webhooks/deliveries/{deliveryId}/redeliver', '/webhooks/deliveries/d-aud/redeliver'],
        ] as [string, string, unknown?][]
      ).map(([endpoint, path, json]) => [endpoint, json === undefined ? { path } : { path, json }]),
    ),
  };
  /** POST endpoints that do not write to the ledger, and why they are not "writes" here. */
  const NOT_WRITES: Record<string, string> = {
    'POST /api/v1/auth/token': 'login',
    'POST /api/v1/users': "user administration inside the caller's own organisation (gateway store)",
    'POST /api/v1/users/{id}/disable': "user administration inside the caller's own organisation",
    'POST /api/v1/provenance/verify': 'read-only check',
    'POST /api/v1/reports/verify': 'read-only check',
    'POST /api/v1/audit/export/verify': 'read-only check',
    'POST /api/v1/subjects/pseudonym': 'read-only computation',
    'POST /api/v1/pseudonyms/evaluate':
      "read-only computation on blinded elements, authorised by an organisation's signed request, never a user token (case below)",
    'POST /api/v1/subjects/access-log':
      "read-only: the data subject's own access log (signed request, no account)",
    'POST /api/v1/subjects/signers/rotation':
      "the data subject's own request, no account: authorised by its current key's signature (case H1)",
    'POST /api/v1/subjects/revocations':
      "the data subject's own request, no account: authorised by its bound key's signature (case H1)",
    ...Object.fromEntries(
      ['consents', 'records', 'report.pdf', 'disputes', 'disputes/list'].map((p) => [
        `POST /api/v1/subjects/self/${p}`,
        "the data subject's own self-service request, no account: authorised by its bound key's signature",
      ]),
    ),
  };

  caseIt(
    '9',
    'when auditors (AuditorMSP auditor and admin, the regulator’s AUDITOR) call every write endpoint, then 403 FORBIDDEN_ROLE each time and the ledger is unchanged',
    async (figures) => {
      const doc = (await g.api('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const writes = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter((m) => m !== 'get')
          .map((m) => `${m.toUpperCase()} ${p}`),
      );
      // Every documented write endpoint must be covered here (a new one fails until it is).
      const documented = writes.filter((w) => !(w in NOT_WRITES));
      expect(
        documented.filter((w) => !(w in WRITES)),
        'write endpoints in the OpenAPI document without a case here',
      ).to.deep.equal([]);
      const start = await height(g);
      const problems: string[] = [];
      for (const as of [
        ['auditor', 'AUDITOR'],
        ['auditor', 'ORG_ADMIN'],
        ['regulator', 'AUDITOR'],
      ] as const) {
        for (const endpoint of documented) {
          const { path, json } = WRITES[endpoint]!;
          figures.tried += 1;
          const res = await g.api(path.replace('LIEN', lienA), {
            method: endpoint.split(' ')[0]!,
            as: [as[0], as[1]],
            ...(json === undefined ? {} : { json }),
          });
          if (res.status < 300) figures.acknowledged += 1;
          const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
          if (res.status !== 403 || code !== 'FORBIDDEN_ROLE')
            problems.push(`${as.join('/')} ${endpoint}: ${res.status} ${res.text}`);
        }
      }
      figures.found = problems.length + ((await height(g)) - start);
      figures.notes.push(
        `${documented.length} write endpoints x 3 auditor users; not writes: ${Object.keys(NOT_WRITES).join(', ')}`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );

  caseIt(
    '9',
    "when users of every role and organisation call the regulator's pseudonym evaluation with their tokens, then 401 ORG_SIGNATURE_INVALID each time: it answers only an organisation's signed request",
    async (figures) => {
      const problems: string[] = [];
      const json = { blinded: ['4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY='] };
      for (const as of [
        ['regulator', 'REGULATOR_ADMIN'],
        ['regulator', 'AUDITOR'],
        ['bankA', 'LOAN_OFFICER'],
        ['bankA', 'ORG_ADMIN'],
        ['land', 'DATA_OFFICER'],
        ['auditor', 'AUDITOR'],
      ] as const) {
        figures.tried += 1;
        const res = await g.api('/pseudonyms/evaluate', { method: 'POST', as: [as[0], as[1]], json });
        if (res.status < 300) figures.acknowledged += 1;
        const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
        if (`${res.status} ${code}` !== '401 ORG_SIGNATURE_INVALID')
          problems.push(`${as.join('/')}: ${res.status} ${res.text}`);
      }
      figures.found = problems.length;
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    '9',
    'when AuditorMSP calls every SUBMIT function of the chaincode directly (embedded ledger, AuditorMSP identity, valid arguments), then FORBIDDEN each time and nothing commits',
    async (figures) => {
      const metadata = await ledger.evaluate<{
        contracts: Record<string, { transactions: { name: string; tag?: string[] }[] }>;
      }>(ORG.auditor, 'org.hyperledger.fabric:GetMetadata', []);
      const submits = Object.entries(metadata.contracts).flatMap(([contract, c]) =>
        c.transactions.filter((t) => (t.tag ?? []).includes('SUBMIT')).map((t) => `${contract}:${t.name}`),
      );
      const owner = await g.context.subjects.pseudonym(OWNER);
      const fallback: Record<string, readonly string[]> = {
        'Membership:Bootstrap': ['Auditors'],
        'Membership:AdmitMember': [JSON.stringify({ mspId: 'EvilMSP', name: 'Evil', role: 'BANK' })],
        'Membership:SuspendMember': [ORG.bankA, 'audit finding'],
        'Membership:ReinstateMember': [ORG.bankA, 'audit closed'],
        'Membership:RegisterSubjectSigner': [
          owner,
          `0x${'1'.repeat(40)}`,
          `0x${'1'.repeat(130)}`,
          JSON.stringify({
            grantId: 'c-a',
            operator: '0'.repeat(64),
            attestedAt: '2026-01-01T00:00:00Z',
            evidenceDigest: '0'.repeat(64),
          }),
        ],
        'Membership:ReplaceSubjectSigner': [
          owner,
          `0x${'1'.repeat(40)}`,
          `0x${'1'.repeat(130)}`,
          JSON.stringify({
            reason: 'LOST_KEY',
            operator: '0'.repeat(64),
            attestedAt: '2026-01-01T00:00:00Z',
            evidenceDigest: '0'.repeat(64),
          }),
        ],
        'Membership:RotateSubjectSigner': [
          owner,
          `0x${'1'.repeat(40)}`,
          `0x${'1'.repeat(130)}`,
          `0x${'2'.repeat(130)}`,
        ],
        'Catalogue:DefineDatasetType': [
          JSON.stringify({ ...g.context.consortium.datasetTypes[0], code: 'AUDIT_X' }),
        ],
        'Catalogue:UpdateDatasetType': [
          JSON.stringify({ ...g.context.consortium.datasetTypes[0], schemaVersion: 2 }),
        ],
        'Catalogue:UpdateAssetType': [JSON.stringify({ ...g.context.consortium.assetTypes[0], version: 2 })],
        'Catalogue:DefineAssetType': [
          JSON.stringify({ ...g.context.consortium.assetTypes[0], code: 'AUDIT_Y' }),
        ],
        'Consent:RevokeGrantBySubject': ['c-a', `0x${'1'.repeat(130)}`],
        'Access:RecordAccessBatch': [
          JSON.stringify({
            accesses: [
              {
                accessId: 'aud-batch-1',
                grantId: 'c-a',
                subject: owner,
                datasets: ['HOMESTEAD'],
                purpose: 'LOAN_APPLICATION',
                operator: '0'.repeat(64),
                releaseDigest: '0'.repeat(64),
              },
            ],
          }),
        ],
        'Access:RecordSelfAccess': [
          JSON.stringify({
            subject: owner,
            action: 'READ_RECORDS',
            target: 'HOMESTEAD',
            detail: '',
            requestedAt: '2026-01-01T00:00:00Z',
            nonce: '0'.repeat(32),
          }),
          `0x${'1'.repeat(130)}`,
          '0'.repeat(64),
        ],
        // A department's batch registration (issue 17), with a registration the flow made as its one row.
        'Collateral:RegisterAssets': [
          JSON.stringify({
            assets: [JSON.parse(captured.get('Collateral:RegisterAsset')?.[0]?.[0] ?? '{}')],
          }),
        ],
        'Collateral:SeizeAsset': ['HOMESTEAD_RIGHT:HS-AUTHZ', 'ord-1'],
        'Collateral:LiftSeizure': ['HOMESTEAD_RIGHT:HS-AUTHZ'],
        'Collateral:EnforceLien': [lienA],
        'Collateral:TransferAsset': ['LAND_CONTRACT_RIGHT:LC-AUTHZ', owner],
        'Dispute:ResolveDispute': [
          'd-authz',
          JSON.stringify({ outcome: 'UPHELD', noteDigest: '0'.repeat(64) }),
        ],
        // Financing (issue 14): every one checks the caller's role first.
        'Financing:SetPolicy': ['5'],
        'Financing:PublishProduct': [JSON.stringify({ productId: 'p-authz', version: 1 })],
        'Financing:WithdrawProduct': ['p-authz'],
        'Financing:FileDemand': [JSON.stringify({ demandId: 'd-authz', subject: owner })],
        'Financing:WithdrawDemand': [
          'd-authz',
          JSON.stringify({ type: 'FORM_HASH', formHash: '0'.repeat(64) }),
        ],
        'Financing:ClaimDemand': ['c-authz', 'd-authz'],
        'Financing:ContactClaim': ['c-authz'],
        'Financing:ApproveClaim': ['c-authz'],
        'Financing:DeclineClaim': ['c-authz'],
        'Financing:ReleaseClaim': ['c-authz'],
        'Financing:DisburseClaim': ['c-authz', JSON.stringify({ loanId: 'l-authz' })],
        'Financing:FlagOverdueClaims': [],
        'Lending:RecordLoan': [JSON.stringify({ loanId: 'l-authz', subject: owner, grantId: 'c-a' })],
        'Lending:AttachPostLoanGrant': ['l-authz', 'c-a'],
        'Lending:UpdateLoanStatus': ['l-authz', 'REPAID', ''],
        'Lending:RecordMultiLenderSignal': ['s-authz', owner, 'c-a'],
      };
      const start = await height(g);
      const problems: string[] = [];
      const replayed: string[] = [];
      for (const fn of submits) {
        // Members register their own EIP-712 key (the bootstrap does it for AuditorMSP too):
        // checked separately below.
        if (fn === 'Membership:RegisterSigner') continue;
        const args = captured.get(fn)?.[0] ?? fallback[fn];
        if (args === undefined) {
          problems.push(`${fn}: no arguments to try (new function?)`);
          continue;
        }
        if (captured.has(fn)) replayed.push(fn);
        figures.tried += 1;
        const result = await outcome(ledger.submit(ORG.auditor, fn, args));
        if (result === 'OK') figures.acknowledged += 1;
        if (result !== '403 FORBIDDEN') problems.push(`${fn}: ${result}`);
      }
      // RegisterSigner writes only the caller's own member record: a binding for another member is refused.
      figures.tried += 1;
      const wallet = await g.context.signers.wallet(ORG.auditor);
      const forBankA = await signTypedMessage(
        wallet,
        'MemberKeyBinding',
        {
          mspId: ORG.bankA,
          signer: wallet.address.toLowerCase(),
        },
        DEPLOYMENT,
      );
      const own = await outcome(
        ledger.submit(ORG.auditor, 'Membership:RegisterSigner', [wallet.address, forBankA]),
      );
      if (own !== '400 INVALID') problems.push(`RegisterSigner with another member's binding: ${own}`);
      figures.found = problems.length + ((await height(g)) - start);
      figures.notes.push(
        `${submits.length - 1} SUBMIT functions as AuditorMSP (${replayed.length} with the real arguments the flow used); ` +
          'Membership:RegisterSigner is open to every member for its own key (bootstrap) and was checked to bind the caller only',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );

  caseIt(
    '9',
    "when a provider anchors another provider's dataset or registers another issuer's asset type, then both refuse",
    async (figures) => {
      const start = await height(g);
      const manifest = (provider: string) => ({
        batchId: 'lc-by-land',
        datasetType: 'LAND_CONTRACT',
        provider,
        merkleRoot: '7'.repeat(64),
        recordCount: 1,
        periodStart: '2026-01-01T00:00:00Z',
        periodEnd: '2026-01-31T23:59:59Z',
        schemaVersion: 1,
        corrects: '',
      });
      const landWallet = await g.context.signers.wallet(ORG.land);
      const anchor = async (provider: string) => {
        const m = manifest(provider);
        return ledger.submit(ORG.land, 'Provenance:AnchorBatch', [
          JSON.stringify(m),
          await signTypedMessage(landWallet, 'BatchManifest', m, DEPLOYMENT),
        ]);
      };
      const problems = [
        ...(await refusedBoth(
          figures,
          'anchor LAND_CONTRACT as natural resources',
          g.api(
            '/datasets/LAND_CONTRACT/batches?batchId=lc-by-land&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z',
            {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: [{ subjectId: residentId(904), contractNo: 'C-1', areaMu: 3, termEnd: '2030-01-01' }],
            },
          ),
          '403 FORBIDDEN_ORG',
          anchor(ORG.land),
        )),
      ];
      figures.tried += 1;
      const impersonating = await outcome(anchor(ORG.agri));
      if (!/^40[03] /.test(impersonating)) problems.push(`manifest naming AgricultureMSP: ${impersonating}`);
      figures.notes.push(`AnchorBatch naming the other provider in the manifest: ${impersonating}`);
      const asset = { ...landContractRight('LC-BY-LAND', OWNER) };
      /** The real registration arguments of the set-up flow for `certificateNo`, with a new certificate number. */
      const registration = (certificateNo: string, replacement: string): string => {
        const args = (captured.get('Collateral:RegisterAsset') ?? []).find((a) =>
          a[0]?.includes(certificateNo),
        );
        if (args?.[0] === undefined) throw new Error(`no captured registration of ${certificateNo}`);
        return args[0].split(certificateNo).join(replacement);
      };
      problems.push(
        ...(await refusedBoth(
          figures,
          'register LAND_CONTRACT_RIGHT as natural resources',
          g.api('/assets', { method: 'POST', as: ['land', 'DATA_OFFICER'], json: asset }),
          '403 FORBIDDEN',
          ledger.submit(ORG.land, 'Collateral:RegisterAsset', [registration('LC-AUTHZ', 'LC-BY-LAND')]),
        )),
      );
      // And the other way round: natural resources' HOMESTEAD_RIGHT registration replayed as agriculture.
      figures.tried += 1;
      const asAgri = await outcome(
        ledger.submit(ORG.agri, 'Collateral:RegisterAsset', [registration('HS-AUTHZ', 'HS-BY-AGRI')]),
      );
      if (asAgri !== '403 FORBIDDEN') problems.push(`HOMESTEAD_RIGHT by agriculture (chaincode): ${asAgri}`);
      figures.tried += 1;
      const defineType = await outcome(
        ledger.submit(ORG.land, 'Catalogue:DefineAssetType', [
          JSON.stringify({ ...g.context.consortium.assetTypes[0], code: 'LAND_BY_LAND', issuer: ORG.land }),
        ]),
      );
      if (defineType !== '403 FORBIDDEN') problems.push(`DefineAssetType by a provider: ${defineType}`);
      expect(
        await outcome(ledger.evaluate(ORG.regulator, 'Provenance:GetBatch', ['lc-by-land'])),
        'batch lc-by-land',
      ).to.equal('404 NOT_FOUND');
      figures.found = problems.length + ((await height(g)) - start);
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );
});
