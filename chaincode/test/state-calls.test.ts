import { expect } from 'chai';
import { AccessContract, CollateralContract } from '../src';
import { MSP, TestConsortium, days, plus, subject } from './support/consortium';
import { countStateCalls } from './support/state-calls';

const OWNER = subject(1);

describe('State calls per transaction (each a round trip to the peer on Fabric)', () => {
  let c: TestConsortium;
  let counter: ReturnType<typeof countStateCalls>;
  before(async () => {
    c = await TestConsortium.start();
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
    counter = countStateCalls(AccessContract, CollateralContract);
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
    expect(counter.take()).to.deep.equal({ getState: 3, createCompositeKey: 3 });
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
    expect(counter.take()).to.include({ getState: 3 });
    await c.refused(
      'INVALID',
      'bankA',
      'Access:RecordAccess',
      body('n-5', 'g-1', ['HOMESTEAD', 'NO_SUCH_TYPE']),
    );
    expect(counter.take()).to.include({ getState: 3 });
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
