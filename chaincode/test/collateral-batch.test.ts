import { expect } from 'chai';
import { MSP, TestConsortium, days, plus, subject } from './support/consortium';

const OWNERS = [subject(11), subject(12)];

/** A land contract right registration (agri is its issuer), overridden by `override`. */
function right(
  c: TestConsortium,
  n: number,
  override: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    assetType: 'LAND_CONTRACT_RIGHT',
    certificateNo: `LCB-${n}`,
    owner: OWNERS[n % 2],
    location: `350902-101-${String(n).padStart(4, '0')}`,
    areaValue: 2 + n,
    areaUnit: 'MU',
    appraisedValueFen: 1_000_000 + n,
    appraisalDate: c.now,
    rightExpiry: plus(c.now, days(365 * 20)),
    ...override,
  };
}

const batch = (assets: unknown[]): string => JSON.stringify({ assets });

describe('Collateral:RegisterAssets (a registry bulk-registering its certificates)', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
  });
  afterEach(() => c.stop());

  it('when the issuer registers three rights in one batch, then all three are registered in one transaction, indexed by owner, with one event', async () => {
    const height = c.ledger.getBlockHeight();
    const result = await c.submit(
      'agri',
      'Collateral:RegisterAssets',
      batch([0, 1, 2].map((n) => right(c, n))),
    );
    expect(result).to.deep.equal({
      registered: ['LAND_CONTRACT_RIGHT:LCB-0', 'LAND_CONTRACT_RIGHT:LCB-1', 'LAND_CONTRACT_RIGHT:LCB-2'],
      replayed: [],
    });
    expect(c.ledger.getBlockHeight()).to.equal(height + 1);
    const asset = await c.evaluate('agri', 'Collateral:GetAsset', 'LAND_CONTRACT_RIGHT:LCB-1');
    expect(asset).to.include({ issuer: MSP.agri, owner: OWNERS[1], status: 'ACTIVE', areaValue: 3 });
    const owned = await c.evaluate<{ records: { assetId: string }[] }>(
      'agri',
      'Collateral:ListAssetsByOwner',
      OWNERS[0]!,
      '10',
      '',
    );
    expect(owned.records.map((a) => a.assetId)).to.deep.equal([
      'LAND_CONTRACT_RIGHT:LCB-0',
      'LAND_CONTRACT_RIGHT:LCB-2',
    ]);
    const block = (await c.ledger.getBlock(height))!;
    expect(block.transactions.map((t) => t.event?.eventName)).to.deep.equal(['AssetsRegistered']);
    const payload = JSON.parse(
      Buffer.from(block.transactions[0]!.event!.payload, 'base64').toString('utf8'),
    ) as {
      assets: { assetId: string; owner: string }[];
    };
    expect(payload.assets.map((a) => [a.assetId, a.owner])).to.deep.equal([
      ['LAND_CONTRACT_RIGHT:LCB-0', OWNERS[0]],
      ['LAND_CONTRACT_RIGHT:LCB-1', OWNERS[1]],
      ['LAND_CONTRACT_RIGHT:LCB-2', OWNERS[0]],
    ]);
  });

  it('when a committed batch is retried whole or with new rows, then the registered rows are replayed, not written again, and only the new ones are registered', async () => {
    const first = [0, 1].map((n) => right(c, n));
    await c.submit('agri', 'Collateral:RegisterAssets', batch(first));
    const retry = await c.submit('agri', 'Collateral:RegisterAssets', batch(first));
    expect(retry).to.deep.equal({
      registered: [],
      replayed: ['LAND_CONTRACT_RIGHT:LCB-0', 'LAND_CONTRACT_RIGHT:LCB-1'],
    });
    const grown = await c.submit('agri', 'Collateral:RegisterAssets', batch([...first, right(c, 2)]));
    expect(grown).to.deep.equal({
      registered: ['LAND_CONTRACT_RIGHT:LCB-2'],
      replayed: ['LAND_CONTRACT_RIGHT:LCB-0', 'LAND_CONTRACT_RIGHT:LCB-1'],
    });
    const asset = await c.evaluate<{ history: { action: string }[] }>(
      'bankA',
      'Collateral:GetAsset',
      'LAND_CONTRACT_RIGHT:LCB-0',
    );
    expect(asset.history.map((h) => h.action)).to.deep.equal(['REGISTERED']);
  });

  it('when any row is bad, then the whole batch is refused with the single registration’s code naming the row, and nothing is written', async () => {
    await c.submit('agri', 'Collateral:RegisterAsset', JSON.stringify(right(c, 9)));
    const good = right(c, 0);
    const cases: [string, 'agri' | 'land' | 'bankA', unknown[], string][] = [
      ['INVALID', 'agri', [good, right(c, 1, { areaUnit: 'ACRE' })], 'batch.assets[1]'],
      ['INVALID', 'agri', [good, right(c, 1, { extra: 1 })], 'batch.assets[1]'],
      ['INVALID', 'agri', [good, 'not an object'], 'batch.assets[1] must be an object'],
      ['INVALID', 'agri', [good, right(c, 0)], 'listed twice'],
      ['INVALID', 'agri', [good, right(c, 1, { rightExpiry: plus(c.now, -days(1)) })], 'already past'],
      ['FORBIDDEN', 'agri', [good, right(c, 1, { assetType: 'HOMESTEAD_RIGHT' })], 'batch.assets[1]'],
      ['NOT_FOUND', 'agri', [good, right(c, 1, { assetType: 'NO_SUCH_TYPE' })], 'batch.assets[1]'],
      ['NOT_FOUND', 'agri', [good, right(c, 1, { provenanceBatch: 'no-such-batch' })], 'batch.assets[1]'],
      // Registered already, with another owner: not a retry.
      ['CONFLICT', 'agri', [good, right(c, 9, { owner: subject(13) })], 'batch.assets[1]'],
      ['FORBIDDEN', 'land', [good], 'batch.assets[0]'],
      ['FORBIDDEN', 'bankA', [good], ''],
      ['INVALID', 'agri', [], 'batch.assets must list 1 to 500'],
      ['INVALID', 'agri', Array.from({ length: 501 }, (_, n) => right(c, 100 + n)), 'must list 1 to 500'],
    ];
    for (const [code, org, assets, where] of cases) {
      const message = await c.refused(code, org, 'Collateral:RegisterAssets', batch(assets));
      expect(message, message).to.include(where);
    }
    await c.refused(
      'INVALID',
      'agri',
      'Collateral:RegisterAssets',
      JSON.stringify({ assets: [good], more: 1 }),
    );
    await c.queryRefused('NOT_FOUND', 'agri', 'Collateral:GetAsset', 'LAND_CONTRACT_RIGHT:LCB-0');
  });

  it('when a single registration meets an asset registered by a batch, then it is still a CONFLICT (only a batch replays)', async () => {
    await c.submit('agri', 'Collateral:RegisterAssets', batch([right(c, 0)]));
    await c.refused('CONFLICT', 'agri', 'Collateral:RegisterAsset', JSON.stringify(right(c, 0)));
  });
});
