/**
 * Issue 12 item 20: rules the chaincode and the gateway did not check. Each is
 * tried at the gateway and, where the rule is the chaincode's, at the
 * chaincode with the organisation's own identity; nothing may be written.
 * - a lien whose loan ends after the owner's COLLATERAL consent does;
 * - a batch whose period starts in the future;
 * - an uploaded record that repeats a key (JSON array and NDJSON);
 * - an empty batch (a clear 400 EMPTY_BATCH, not the ledger's message);
 * - `GET /consents/{id}` for another bank's consent and for a missing one,
 *   answered alike.
 */
import { expect } from 'chai';
import { signTypedMessage } from '@ruralcredit/protocol';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';
import type { ApiResponse } from '../helpers';
import {
  ORG,
  errorCode,
  grantConsent,
  height,
  homestead,
  landContractRight,
  ledgerTime,
  lienBody,
  registerAsset,
  residentId,
  startSecurityGateway,
  type ConsortiumGateway,
  outcome,
} from './fixture';
import { caseIt } from './recorder';

describe('security: rules on liens, batches, uploaded records and consent reads (issue 12 item 20)', () => {
  let g: ConsortiumGateway;
  const OWNER = residentId(2011);

  before(async () => {
    g = await startSecurityGateway();
    // validity() of the fixture: 180 days.
    await grantConsent(g, 'bankA', {
      consentId: 'col-h20',
      subjectId: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await registerAsset(g, 'agri', landContractRight('LC-H20', OWNER));
  });
  after(() => g.stop());

  const upload = (query: Record<string, string>, body: string, contentType: string): Promise<ApiResponse> =>
    g.api(`/datasets/HOMESTEAD/batches?${new URLSearchParams(query).toString()}`, {
      method: 'POST',
      as: ['land', 'DATA_OFFICER'],
      body,
      headers: { 'content-type': contentType },
    });
  const PERIOD = { periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-01-31T00:00:00Z' };

  caseIt(
    'H20',
    "when a lien outlasts its consent, a batch's period starts in the future, a record repeats a key, a batch is empty, or a bank reads another bank's consent, then each is refused with a clear code and nothing is written",
    async (figures) => {
      const start = await height(g);
      const problems: string[] = [];
      const expectApi = async (label: string, res: Promise<ApiResponse>, status: number, code: string) => {
        figures.tried += 1;
        const r = await res;
        if (r.status < 300) figures.acknowledged += 1;
        if (r.status !== status || errorCode(r) !== code)
          problems.push(`${label}: ${r.status} ${r.text.slice(0, 200)}`);
        return r;
      };
      const expectChaincode = async (label: string, call: Promise<unknown>, expected: string) => {
        figures.tried += 1;
        const result = await outcome(call);
        if (result === 'OK') figures.acknowledged += 1;
        if (result !== expected) problems.push(`${label} (chaincode): ${result}`);
      };

      // 1. A loan ending after the consent (180 days) does.
      const beyond = lienBody('LAND_CONTRACT_RIGHT:LC-H20', 'col-h20', {
        lienId: 'lien-h20',
        loanEnd: ledgerTime(200 * 86_400),
      });
      await expectApi(
        'lien beyond consent',
        g.api('/liens', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json: beyond }),
        400,
        'INVALID',
      );
      await expectChaincode(
        'lien beyond consent',
        g.context.ledger.submit(ORG.bankA, 'Collateral:RegisterLien', [
          JSON.stringify({
            lienId: 'lien-h20',
            assetId: 'LAND_CONTRACT_RIGHT:LC-H20',
            grantId: 'col-h20',
            securedAmountFen: 1_000_000,
            loanEnd: ledgerTime(200 * 86_400),
          }),
        ]),
        '400 INVALID',
      );

      // 2. A period that starts tomorrow.
      const tomorrow = { periodStart: ledgerTime(86_400), periodEnd: ledgerTime(30 * 86_400) };
      await expectApi(
        'future batch',
        upload(
          { batchId: 'hs-h20-future', ...tomorrow },
          JSON.stringify([homestead(2011)]),
          'application/json',
        ),
        400,
        'INVALID',
      );
      const manifest = {
        batchId: 'hs-h20-future',
        datasetType: 'HOMESTEAD',
        provider: ORG.land,
        merkleRoot: 'a'.repeat(64),
        recordCount: 1,
        ...tomorrow,
        schemaVersion: 1,
        corrects: '',
      };
      const signature = await signTypedMessage(
        await g.context.signers.wallet(ORG.land),
        'BatchManifest',
        manifest,
        DEPLOYMENT,
      );
      await expectChaincode(
        'future batch',
        g.context.ledger.submit(ORG.land, 'Provenance:AnchorBatch', [JSON.stringify(manifest), signature]),
        '400 INVALID',
      );

      // 3. A record that repeats a key: the last would win in JSON.parse.
      const record = JSON.stringify(homestead(2012));
      const repeated = `${record.slice(0, -1)},"areaSquareMetres":9999}`;
      for (const [format, body, contentType] of [
        ['json', `[${record},${repeated}]`, 'application/json'],
        ['ndjson', `${record}\n${repeated}\n`, 'application/x-ndjson'],
      ] as const) {
        const res = await expectApi(
          `repeated key (${format})`,
          upload({ batchId: `hs-h20-dup-${format}`, ...PERIOD }, body, contentType),
          400,
          'INVALID_RECORD',
        );
        const details = (res.body as { error?: { details?: unknown } }).error?.details;
        if (
          JSON.stringify(details) !==
          JSON.stringify({
            index: 1,
            ...(format === 'ndjson' ? { line: 2 } : {}),
            field: 'areaSquareMetres',
            rule: 'DUPLICATE_KEY',
          })
        )
          problems.push(`repeated key (${format}) details: ${JSON.stringify(details)}`);
      }

      // 4. An empty batch, both formats.
      await expectApi(
        'empty JSON batch',
        upload({ batchId: 'hs-h20-empty', ...PERIOD }, '[]', 'application/json'),
        400,
        'EMPTY_BATCH',
      );
      await expectApi(
        'empty NDJSON batch',
        upload({ batchId: 'hs-h20-empty', ...PERIOD }, '\n', 'application/x-ndjson'),
        400,
        'EMPTY_BATCH',
      );

      // 5. Another bank's consent and a missing one: the same answer but for the ID.
      const other = await expectApi(
        'GET another bank’s consent',
        g.api('/consents/col-h20', { as: ['bankB', 'LOAN_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
      const missing = await expectApi(
        'GET a missing consent',
        g.api('/consents/col-h20-x', { as: ['bankB', 'LOAN_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
      // Alike but for the ID (each read has its own transaction ID).
      const shape = (r: ApiResponse, id: string) => {
        const e = (r.body as { error?: { code?: string; message?: string } }).error;
        return `${r.status} ${e?.code} ${e?.message?.replace(id, 'ID')}`;
      };
      if (shape(other, 'col-h20') !== shape(missing, 'col-h20-x'))
        problems.push(`answers differ: ${other.text} / ${missing.text}`);
      await expectChaincode(
        'GetGrant of another bank',
        g.context.ledger.evaluate(ORG.bankB, 'Consent:GetGrant', ['col-h20']),
        '404 NOT_FOUND',
      );

      figures.found = (await height(g)) - start;
      figures.notes.push(
        'lien beyond consent, future period, repeated key x2 formats, empty batch x2, consent read by another bank; gateway and chaincode',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(start);
    },
  );
});
