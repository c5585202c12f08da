import { expect } from 'chai';
import { isoFromEpochSeconds, sha256Hex, signTypedMessage } from '@ruralcredit/protocol';
import { supervisionModule } from '../../src/supervision/routes';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';
import { embeddedIdentity, embeddedLedger, recordAccess, recordGrant } from '../indexer/ledger-fixture';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

const DAY = 86_400;

interface Stats {
  institutions: Record<string, number | string>[];
  overdueDatasets: { count: number; datasets: Record<string, number | string>[] };
  overdueDisputes: { count: number; disputeIds: string[] };
  indexedThroughBlock: number;
}

describe('supervision: GET /stats', () => {
  let g: ConsortiumGateway;
  let s1: string;
  let s2: string;
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async () => {
    g = await startConsortiumGateway([supervisionModule]);
    s1 = await g.context.subjects.pseudonym(residentId(1));
    s2 = await g.context.subjects.pseudonym(residentId(2));
    const ledger = g.context.ledger;
    await recordGrant(ledger, ORG.bankA, 'g-a1', s1);
    await recordGrant(ledger, ORG.bankA, 'g-a2', s2);
    await recordGrant(ledger, ORG.bankA, 'g-col', s1, {
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await recordGrant(ledger, ORG.bankB, 'g-b1', s1);
    await ledger.submit(ORG.bankA, 'Consent:RevokeGrant', ['g-a2', 'BANK_REQUEST']);
    await recordAccess(ledger, ORG.bankA, 'acc-1', 'g-a1', s1);
    await recordAccess(ledger, ORG.bankA, 'acc-2', 'g-a1', s1, { purpose: 'POST_LOAN_MANAGEMENT' });
    await recordAccess(ledger, ORG.bankA, 'acc-3', 'g-a2', s2);
    await recordAccess(ledger, ORG.bankB, 'acc-4', 'g-b1', s1);
    await recordAccess(ledger, ORG.bankB, 'acc-5', 'g-a1', s1);
    await ledger.submit(ORG.agri, 'Collateral:RegisterAsset', [
      JSON.stringify({
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: 'LC-0001',
        owner: s1,
        location: 'NINGDE-FUAN-01',
        areaValue: 3.5,
        areaUnit: 'MU',
        appraisedValueFen: 10_000_000,
        appraisalDate: isoFromEpochSeconds(now() - DAY),
        rightExpiry: isoFromEpochSeconds(now() + 10 * 365 * DAY),
      }),
    ]);
    for (const lienId of ['lien-1', 'lien-2']) {
      await ledger.submit(ORG.bankA, 'Collateral:RegisterLien', [
        JSON.stringify({
          lienId,
          assetId: 'LAND_CONTRACT_RIGHT:LC-0001',
          grantId: 'g-col',
          securedAmountFen: 1_000_000,
          loanEnd: isoFromEpochSeconds(now() + 20 * DAY),
        }),
      ]);
    }
    await ledger.submit(ORG.bankA, 'Collateral:ReleaseLien', ['lien-1']);
  });
  after(() => g.stop());

  it('when the regulator asks, then each bank’s accesses, consents and liens are counted exactly', async () => {
    const res = await g.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(res.status, res.text).to.equal(200);
    const stats = res.body as Stats;
    expect(stats.institutions).to.deep.equal([
      {
        mspId: ORG.bankA,
        accessesGranted: 1,
        accessesDenied: 2,
        consentsRecorded: 3,
        consentsRevoked: 1,
        liensRegistered: 2,
        liensReleased: 1,
      },
      {
        mspId: ORG.bankB,
        accessesGranted: 1,
        accessesDenied: 1,
        consentsRecorded: 1,
        consentsRevoked: 0,
        liensRegistered: 0,
        liensReleased: 0,
      },
      // The consortium's banks without a peer, with nothing done yet.
      ...[ORG.bankC, ORG.bankD].map((mspId) => ({
        mspId,
        accessesGranted: 0,
        accessesDenied: 0,
        consentsRecorded: 0,
        consentsRevoked: 0,
        liensRegistered: 0,
        liensReleased: 0,
      })),
    ]);
    expect(stats.overdueDatasets).to.deep.equal({ count: 0, datasets: [] });
    expect(stats.overdueDisputes).to.deep.equal({ count: 0, disputeIds: [] });
    expect(stats.indexedThroughBlock).to.equal((await g.context.ledger.height()) - 1);
    const asAuditor = await g.api('/stats', { as: ['regulator', 'AUDITOR'] });
    expect(asAuditor.status).to.equal(200);
    expect((asAuditor.body as Stats).institutions).to.deep.equal(stats.institutions);
  });

  it('when anyone but the regulator’s REGULATOR_ADMIN or AUDITOR asks, then 403 (or 401 without a token)', async () => {
    expectError(await g.api('/stats', { as: ['auditor', 'AUDITOR'] }), 403, 'FORBIDDEN_ORG');
    expectError(await g.api('/stats', { as: ['bankA', 'ORG_ADMIN'] }), 403, 'FORBIDDEN_ROLE');
    expectError(await g.api('/stats', { as: ['bankA', 'LOAN_OFFICER'] }), 403, 'FORBIDDEN_ROLE');
    expectError(await g.api('/stats', { as: ['land', 'DATA_OFFICER'] }), 403, 'FORBIDDEN_ROLE');
    expectError(await g.api('/stats', { as: ['regulator', 'ORG_ADMIN'] }), 403, 'FORBIDDEN_ROLE');
    expectError(await g.api('/stats'), 401, 'UNAUTHENTICATED');
    expectError(
      await g.api('/stats', { method: 'POST', as: ['regulator', 'REGULATOR_ADMIN'] }),
      405,
      'METHOD_NOT_ALLOWED',
    );
  });

  it('when a dataset type has had no batch for longer than its frequency allows and a dispute is past 20 days, then both are reported overdue', async function () {
    const client = embeddedLedger(g);
    if (client === undefined) this.skip();
    const regulator = await embeddedIdentity(g, ORG.regulator);
    // Backdated transactions: the chaincode judges age by transaction time only.
    await client.ledger.submit(
      regulator,
      'Catalogue:DefineDatasetType',
      [
        JSON.stringify({
          code: 'FOREST_RIGHT',
          name: 'Forest rights',
          provider: ORG.land,
          frequency: 'REALTIME',
          schemaVersion: 1,
          subjectField: 'subjectId',
          fields: [
            { name: 'subjectId', type: 'STRING', personal: true },
            { name: 'certificateNo', type: 'STRING' },
          ],
        }),
      ],
      { timestamp: new Date((now() - 3 * DAY) * 1000) },
    );
    const manifest = {
      batchId: 'batch-h1',
      datasetType: 'HOMESTEAD',
      provider: ORG.land,
      merkleRoot: sha256Hex('root'),
      recordCount: 2,
      periodStart: isoFromEpochSeconds(now() - DAY),
      periodEnd: isoFromEpochSeconds(now()),
      schemaVersion: 1,
      corrects: '',
    };
    const signature = await signTypedMessage(
      await g.context.signers.wallet(ORG.land),
      'BatchManifest',
      manifest,
      DEPLOYMENT,
    );
    await g.context.ledger.submit(ORG.land, 'Provenance:AnchorBatch', [JSON.stringify(manifest), signature]);
    const dispute = (disputeId: string, record: string): string =>
      JSON.stringify({
        disputeId,
        datasetType: 'HOMESTEAD',
        batchId: 'batch-h1',
        recordHash: sha256Hex(record),
        subject: s1,
        reason: 'WRONG_VALUE',
      });
    await client.ledger.submit(regulator, 'Dispute:FileDispute', [dispute('dsp-old', 'r1')], {
      timestamp: new Date((now() - 25 * DAY) * 1000),
    });
    await g.context.ledger.submit(ORG.regulator, 'Dispute:FileDispute', [dispute('dsp-new', 'r2')]);

    const res = await g.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(res.status, res.text).to.equal(200);
    const stats = res.body as Stats;
    expect(stats.overdueDisputes).to.deep.equal({ count: 1, disputeIds: ['dsp-old'] });
    expect(stats.overdueDatasets.count).to.equal(1);
    const [forest] = stats.overdueDatasets.datasets;
    expect(forest).to.deep.equal({
      datasetType: 'FOREST_RIGHT',
      provider: ORG.land,
      frequency: 'REALTIME',
      maxAgeSeconds: DAY,
      ageSeconds: forest?.ageSeconds,
      lastAnchoredAt: '',
    });
    expect(forest?.ageSeconds).to.be.within(3 * DAY, 3 * DAY + 120);
  });
});
