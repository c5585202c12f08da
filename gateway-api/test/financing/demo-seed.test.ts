/**
 * The financing demo seed (`npm start`) on the embedded ledger: products,
 * demands in several counties, claims in each state and loans are there at
 * once, through the same API the console and the CLI read.
 */
import { expect } from 'chai';
import { DOMAIN_MODULES } from '../../src/app';
import { seedFinancing } from '../../src/demo/financing-seed';
import { residentId, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';

type Rec = Record<string, unknown>;

describe('financing demo seed', () => {
  let g: ConsortiumGateway;
  before(async function () {
    if ((process.env.TEST_LEDGER ?? 'embedded') !== 'embedded') this.skip();
    g = await startConsortiumGateway(DOMAIN_MODULES);
  });
  after(() => g?.stop());

  it('when the demo is seeded, then products, demands in four counties, claims in each state and loans are listed', async () => {
    const summary = await seedFinancing(g.context, residentId, 500);
    expect(summary).to.deep.equal({ products: 5, demands: 12, claims: 19, loans: 3 });
    // Seeding again (a resumed start) changes nothing.
    expect(await seedFinancing(g.context, residentId, 500)).to.deep.equal(summary);
    const as = ['regulator', 'REGULATOR_ADMIN'] as const;
    const products = (await g.api('/products?limit=100')).body as { items: Rec[] };
    expect(products.items.map((p) => p.productId)).to.deep.equal([
      'demo-product-1',
      'demo-product-2',
      'demo-product-3',
      'demo-product-4',
    ]);
    const retired = (await g.api('/products/demo-product-retired')).body as { versions: Rec[] };
    expect(retired.versions.map((v) => v.status)).to.deep.equal(['ACTIVE', 'WITHDRAWN']);
    const demands = (await g.api('/demands?limit=100', { as: [...as] })).body as { items: Rec[] };
    expect(new Set(demands.items.map((d) => d.countyCode)).size).to.equal(4);
    expect(new Set(demands.items.map((d) => d.status))).to.deep.equal(new Set(['OPEN', 'CLOSED']));
    const claims = (await g.api('/claims?limit=100', { as: [...as] })).body as { items: Rec[] };
    expect(new Set(claims.items.map((c) => c.status))).to.deep.equal(
      new Set(['CLAIMED', 'CONTACTED', 'APPROVED', 'DECLINED', 'RELEASED', 'DISBURSED', 'CANCELLED']),
    );
    const loans = (await g.api('/loans?limit=100', { as: [...as] })).body as { items: Rec[] };
    expect(loans.items.map((l) => [l.loanId, l.status]).sort()).to.deep.equal([
      ['demo-loan-7', 'OVERDUE'],
      ['demo-loan-8', 'ACTIVE'],
      ['demo-loan-9', 'REPAID'],
    ]);
  });
});
