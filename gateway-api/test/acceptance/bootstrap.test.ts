import { expect } from 'chai';
import { buildGateway, loadConsortium } from '../../src/app';
import { ORG, startConsortiumGateway, type ConsortiumGateway } from './consortium-gateway';

describe('gateway bootstrap on the ledger', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([]);
  });
  after(() => g.stop());

  it('when the gateway starts on a new ledger, then every organisation is a member with its signing key registered', async () => {
    const consortium = loadConsortium();
    for (const o of consortium.organisations) {
      const member = await g.context.ledger.evaluate<{ role: string; status: string; signer?: string }>(
        ORG.auditor,
        'Membership:GetMember',
        [o.mspId],
      );
      expect(member, o.mspId).to.include({ role: o.role, status: 'ACTIVE' });
      expect(member.signer, o.mspId).to.equal(
        (await g.context.signers.wallet(o.mspId)).address.toLowerCase(),
      );
    }
    const datasets = await g.context.ledger.evaluate<{ records: { code: string }[] }>(
      ORG.bankA,
      'Catalogue:ListDatasetTypes',
      ['', ''],
    );
    expect(datasets.records.map((d) => d.code)).to.deep.equal(
      consortium.datasetTypes.map((d) => d.code).sort(),
    );
  });

  it('when the bootstrap runs again, then it changes nothing', async () => {
    const height = await g.context.ledger.height();
    const again = await buildGateway({
      config: g.config,
      db: g.gateway.deps.db,
      ledger: g.context.ledger,
      consortium: loadConsortium(),
      domainModules: [],
    });
    expect(again.bootstrap).to.deep.equal({
      bootstrapped: false,
      admitted: [],
      datasetTypes: [],
      assetTypes: [],
      signers: [],
    });
    expect(await g.context.ledger.height()).to.equal(height);
  });

  it('when /readyz is asked, then the ledger check is ok', async () => {
    const res = await fetch(`${g.operationsUrl}/readyz`);
    expect(res.status).to.equal(200);
  });
});
