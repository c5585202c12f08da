import { expect } from 'chai';
import { AccessContract, CollateralContract } from '../src';
import { MSP, TestConsortium, days, plus, subject } from './support/consortium';
import { countStateCalls } from './support/state-calls';
import { peerBatchingOf } from '../src/lib/peer-batch';
import { encode } from '../src/lib/protobuf';

const OWNER = subject(1);

/** A consortium with a budgeted grant, a land contract right of OWNER and a collateral grant. */
async function start(): Promise<TestConsortium> {
  const c = await TestConsortium.start();
  await c.grant('bankA', { grantId: 'g-1', subject: OWNER, maxAccesses: 10 });
  await c.submit(
    'agri',
    'Collateral:RegisterAsset',
    JSON.stringify({
      assetType: 'LAND_CONTRACT_RIGHT',
      certificateNo: 'LC-001',
      owner: OWNER,
      location: '350902-101-0007',
      areaValue: 12.5,
      areaUnit: 'MU',
      appraisedValueFen: 10_000_000,
      appraisalDate: c.now,
      rightExpiry: plus(c.now, days(365 * 20)),
    }),
  );
  await c.grant('bankA', {
    grantId: 'col-1',
    subject: OWNER,
    scope: ['COLLATERAL'],
    purpose: 'COLLATERAL_REGISTRATION',
  });
  return c;
}

describe('State calls per transaction (each a round trip to the peer on Fabric; fabric-shim 2.5 sends one message per call)', () => {
  let c: TestConsortium;
  let counter: ReturnType<typeof countStateCalls>;
  before(async () => {
    c = await start();
    counter = countStateCalls({}, AccessContract, CollateralContract);
  });
  after(async () => {
    counter.restore();
    await c.stop();
  });
  beforeEach(() => counter.take());

  const access = (accessId: string, override: Record<string, unknown> = {}) =>
    c.access('bankA', { accessId, grantId: 'g-1', subject: OWNER, ...override });

  it('RecordAccess GRANTED over one dataset', async () => {
    expect(await access('n-1')).to.include({ outcome: 'GRANTED' });
    expect(counter.take()).to.deep.equal({ getState: 4, putState: 6, createCompositeKey: 10, setEvent: 1 });
  });

  it('RecordAccess GRANTED over two datasets', async () => {
    expect(await access('n-2', { datasets: ['HOMESTEAD', 'LAND_CONTRACT'] })).to.include({
      outcome: 'GRANTED',
    });
    expect(counter.take()).to.deep.equal({ getState: 4, putState: 6, createCompositeKey: 10, setEvent: 1 });
  });

  it('RecordAccess DENIED (no grant)', async () => {
    expect(await access('n-3', { grantId: 'g-none' })).to.include({ outcome: 'DENIED', reason: 'NO_GRANT' });
    expect(counter.take()).to.deep.equal({ getState: 5, putState: 5, createCompositeKey: 10, setEvent: 1 });
  });

  it('RecordAccess refused on a duplicate ID writes nothing', async () => {
    await c.refused(
      'CONFLICT',
      'bankA',
      'Access:RecordAccess',
      JSON.stringify({
        accessId: 'n-1',
        grantId: 'g-1',
        subject: OWNER,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: subject(5),
        releaseDigest: subject(6),
      }),
    );
    // The legacy key is read with the others (in one message on a batching peer).
    expect(counter.take()).to.deep.equal({ getState: 4, createCompositeKey: 4 });
  });

  it("RecordAccess reads the catalogue for a dataset outside the grant's scope, and refuses COLLATERAL as a dataset", async () => {
    const body = (accessId: string, grantId: string, datasets: string[]) =>
      JSON.stringify({
        accessId,
        grantId,
        subject: OWNER,
        datasets,
        purpose: 'LOAN_APPLICATION',
        operator: subject(5),
        releaseDigest: subject(6),
      });
    await c.refused('INVALID', 'bankA', 'Access:RecordAccess', body('n-4', 'col-1', ['COLLATERAL']));
    expect(counter.take()).to.include({ getState: 5 });
    await c.refused(
      'INVALID',
      'bankA',
      'Access:RecordAccess',
      body('n-5', 'g-1', ['HOMESTEAD', 'NO_SUCH_TYPE']),
    );
    expect(counter.take()).to.include({ getState: 5 });
    expect(await access('n-6', { datasets: ['AGRI_SUBSIDY'] })).to.include({ reason: 'OUT_OF_SCOPE' });
    expect(counter.take()).to.deep.equal({ getState: 5, putState: 5, createCompositeKey: 10, setEvent: 1 });
  });

  it('RegisterLien', async () => {
    const lien = await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      JSON.stringify({
        lienId: 'l-1',
        assetId: 'LAND_CONTRACT_RIGHT:LC-001',
        grantId: 'col-1',
        securedAmountFen: 1_000_000,
        loanEnd: '2027-02-01T00:00:00Z',
      }),
    );
    expect(lien).to.include({ mortgagee: MSP.bankA, rank: 1 });
    expect(counter.take()).to.deep.equal({ getState: 5, putState: 3, createCompositeKey: 7, setEvent: 1 });
  });
});

describe('State calls per transaction on a peer that takes batches (Fabric 3.1 runtimeParams; a double of its handler)', () => {
  let c: TestConsortium;
  let counter: ReturnType<typeof countStateCalls>;
  before(async () => {
    c = await start();
    counter = countStateCalls({ batchingPeer: true }, AccessContract, CollateralContract);
  });
  after(async () => {
    counter.restore();
    await c.stop();
  });
  beforeEach(() => counter.take());

  it('RecordAccess GRANTED: one message reads, one message writes, and the ledger holds the access and the charged grant', async () => {
    const recorded = await c.access('bankA', { accessId: 'b-1', grantId: 'g-1', subject: OWNER });
    expect(recorded).to.include({ outcome: 'GRANTED' });
    expect(counter.take()).to.deep.equal({
      GET_STATE_MULTIPLE: 1,
      WRITE_BATCH_STATE: 1,
      createCompositeKey: 10,
      setEvent: 1,
    });
    expect(await c.evaluate('bankA', 'Access:GetAccess', 'b-1')).to.deep.equal(recorded);
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 1 });
    const bySubject = await c.evaluate<{ records: { accessId: string }[] }>(
      'bankA',
      'Access:ListAccessesBySubject',
      OWNER,
      '',
      '',
      '10',
      '',
    );
    expect(bySubject.records.map((a) => a.accessId)).to.deep.equal(['b-1']);
    await c.refused(
      'CONFLICT',
      'bankA',
      'Access:RecordAccess',
      JSON.stringify({
        accessId: 'b-1',
        grantId: 'g-1',
        subject: OWNER,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: subject(5),
        releaseDigest: subject(6),
      }),
    );
  });

  it('RegisterLien: one message reads, the asset type, one message writes', async () => {
    const lien = await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      JSON.stringify({
        lienId: 'l-b',
        assetId: 'LAND_CONTRACT_RIGHT:LC-001',
        grantId: 'col-1',
        securedAmountFen: 1_000_000,
        loanEnd: '2027-02-01T00:00:00Z',
      }),
    );
    expect(counter.take()).to.deep.equal({
      GET_STATE_MULTIPLE: 1,
      getState: 1,
      WRITE_BATCH_STATE: 1,
      createCompositeKey: 7,
      setEvent: 1,
    });
    expect(await c.evaluate('bankA', 'Collateral:GetLien', 'l-b')).to.deep.equal(lien);
    const asset = await c.evaluate<{ liens: { lienId: string }[] }>(
      'bankA',
      'Collateral:GetAsset',
      'LAND_CONTRACT_RIGHT:LC-001',
    );
    expect(asset.liens.map((l) => l.lienId)).to.deep.equal(['l-b']);
    const mine = await c.evaluate<{ records: { lienId: string }[] }>(
      'bankA',
      'Collateral:ListMyLiens',
      '10',
      '',
    );
    expect(mine.records.map((l) => l.lienId)).to.deep.equal(['l-b']);
  });
});

describe('What a peer offers in its READY message (ChaincodeAdditionalParams)', () => {
  class Message {}
  it('reads the write-batch and multiple-key offers with their sizes, and nothing from an older peer', () => {
    expect(
      peerBatchingOf(
        encode([
          [1, 1],
          [2, 1000],
          [3, 1],
          [4, 500],
        ]),
        Message as never,
      ),
    ).to.include({
      maxWrites: 1000,
      maxReads: 500,
    });
    expect(
      peerBatchingOf(
        encode([
          [3, 1],
          [4, 7],
        ]),
        Message as never,
      ),
    ).to.include({ maxWrites: 0, maxReads: 7 });
    expect(peerBatchingOf(new Uint8Array(), Message as never)).to.equal(undefined);
    expect(
      peerBatchingOf(
        encode([
          [1, 0],
          [2, 1000],
        ]),
        Message as never,
      ),
    ).to.equal(undefined);
  });
});
