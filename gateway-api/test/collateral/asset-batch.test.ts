import { expect } from 'chai';
import type { Role } from '../../src/auth/roles';
import { collateralModule } from '../../src/collateral/module';
import type { AssetBatchChange, AssetDetail } from '../../src/collateral/schemas';
import { residentId, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';

const OWNERS = [residentId(201), residentId(202)];
/** The first owner's ID with a wrong check digit. */
const BAD_SUBJECT = `${OWNERS[0]!.slice(0, 17)}${OWNERS[0]!.endsWith('0') ? '1' : '0'}`;

/** A land contract right (the agriculture department issues them). */
const right = (n: number, override: Record<string, unknown> = {}) => ({
  assetType: 'LAND_CONTRACT_RIGHT',
  certificateNo: `LC-B${n}`,
  ownerSubjectId: OWNERS[n % 2],
  location: `FJ-ND-${1000 + n}`,
  areaValue: 1 + n,
  areaUnit: 'MU',
  appraisedValueFen: 5_000_000 + n,
  appraisalDate: '2026-01-15T00:00:00Z',
  rightExpiry: '2040-12-31T00:00:00Z',
  ...override,
});

describe('POST /assets/batch (a registry bulk-registering its certificates)', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([collateralModule]);
  });
  after(() => g.stop());

  const upload = (assets: unknown, as: 'agri' | 'land' | 'bankA' = 'agri', role: Role = 'DATA_OFFICER') =>
    g.api('/assets/batch', { method: 'POST', as: [as, role], json: { assets } });

  /** Asserts `res` is the error `status`/`code` whose message names `where`, and the ledger did not grow. */
  async function refusedWholly(
    res: Awaited<ReturnType<typeof upload>>,
    status: number,
    code: string,
    where: string,
    height: number,
  ): Promise<void> {
    const error = expectError(res, status, code);
    expect(error.message, error.message).to.include(where);
    expect(await g.context.ledger.height(), 'ledger height').to.equal(height);
  }

  it('when the issuer uploads three rights, then 201 with the three IDs in one committed transaction, each readable with its owner', async () => {
    const height = await g.context.ledger.height();
    const res = await upload([0, 1, 2].map((n) => right(n)));
    expect(res.status, res.text).to.equal(201);
    const change = res.body as AssetBatchChange;
    expect(change.registered).to.deep.equal([
      'LAND_CONTRACT_RIGHT:LC-B0',
      'LAND_CONTRACT_RIGHT:LC-B1',
      'LAND_CONTRACT_RIGHT:LC-B2',
    ]);
    expect(change.replayed).to.deep.equal([]);
    expect(change.txId).to.match(/^[0-9a-f]{64}$/);
    expect(change.blockNumber).to.equal(height);
    expect(await g.context.ledger.height()).to.equal(height + 1);
    const read = await g.api('/assets/LAND_CONTRACT_RIGHT:LC-B1', { as: ['agri', 'DATA_OFFICER'] });
    expect(read.status, read.text).to.equal(200);
    expect(read.body).to.include({
      owner: await g.context.subjects.pseudonym(OWNERS[1]!),
      issuer: 'AgricultureMSP',
      status: 'ACTIVE',
      areaValue: 2,
    });
  });

  it('when the same batch is retried, and then with one new right, then the registered rights come back as replayed and only the new one is written', async () => {
    const rights = [10, 11].map((n) => right(n));
    expect((await upload(rights)).status).to.equal(201);
    const retry = await upload(rights);
    expect(retry.status, retry.text).to.equal(201);
    expect((retry.body as AssetBatchChange).registered).to.deep.equal([]);
    expect((retry.body as AssetBatchChange).replayed).to.deep.equal([
      'LAND_CONTRACT_RIGHT:LC-B10',
      'LAND_CONTRACT_RIGHT:LC-B11',
    ]);
    const grown = await upload([...rights, right(12)]);
    expect(grown.status, grown.text).to.equal(201);
    expect((grown.body as AssetBatchChange).registered).to.deep.equal(['LAND_CONTRACT_RIGHT:LC-B12']);
    const read = await g.api('/assets/LAND_CONTRACT_RIGHT:LC-B10', { as: ['agri', 'DATA_OFFICER'] });
    expect((read.body as AssetDetail).history.map((h) => h.action)).to.deep.equal(['REGISTERED']);
  });

  it('when a row is bad, then the batch is refused with a stable code naming the row, and nothing is registered', async () => {
    const height = await g.context.ledger.height();
    const good = right(20);
    await refusedWholly(
      await upload([good, right(21, { ownerSubjectId: BAD_SUBJECT })]),
      400,
      'INVALID_SUBJECT_ID',
      'assets[1]',
      height,
    );
    await refusedWholly(
      await upload([good, right(21, { areaValue: -1 })]),
      400,
      'INVALID_REQUEST',
      'assets',
      height,
    );
    await refusedWholly(await upload([good, right(20)]), 400, 'INVALID', 'listed twice', height);
    await refusedWholly(
      await upload([good, right(21, { rightExpiry: '2020-01-01T00:00:00Z' })]),
      400,
      'INVALID',
      'batch.assets[1]',
      height,
    );
    await refusedWholly(
      await upload([good, right(21, { assetType: 'HOMESTEAD_RIGHT' })]),
      403,
      'FORBIDDEN',
      'batch.assets[1]',
      height,
    );
    await refusedWholly(
      await upload([good, right(21, { assetType: 'NO_SUCH_TYPE' })]),
      404,
      'NOT_FOUND',
      'batch.assets[1]',
      height,
    );
    // LC-B0 is registered to another owner: not a retry of it.
    await refusedWholly(
      await upload([good, right(0, { ownerSubjectId: OWNERS[1] })]),
      409,
      'CONFLICT',
      'batch.assets[1]',
      height,
    );
    await refusedWholly(await upload([]), 400, 'INVALID_REQUEST', 'assets', height);
    await refusedWholly(
      await upload(Array.from({ length: 501 }, (_, n) => right(100 + n))),
      400,
      'INVALID_REQUEST',
      'assets',
      height,
    );
    await refusedWholly(await upload([good], 'bankA', 'LOAN_OFFICER'), 403, 'FORBIDDEN_ROLE', '', height);
    expectError(
      await g.api('/assets/LAND_CONTRACT_RIGHT:LC-B20', { as: ['agri', 'DATA_OFFICER'] }),
      404,
      'NOT_FOUND',
    );
  });
});
