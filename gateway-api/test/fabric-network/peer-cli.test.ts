/**
 * Fabric's own `peer` CLI, a client nobody here wrote, against the network
 * the project's scripts started: it queries and invokes the chaincode, and
 * the REST gateway sees what it wrote.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { DOMAIN_MODULES } from '../../src/app';
import { ORG, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { peerCli, requireNetwork, type NetworkNodes } from './support';

describe('Fabric network: Fabric’s peer CLI queries and invokes the chaincode', function () {
  let nodes: NetworkNodes;
  let g: ConsortiumGateway;

  before(async function () {
    nodes = requireNetwork(this);
    g = await startConsortiumGateway(DOMAIN_MODULES);
  });

  after(async () => {
    await g?.stop();
  });

  it('when a bank admin queries its member record with `peer chaincode query`, then the chaincode answers it', async () => {
    const { stdout } = await peerCli(nodes, ORG.bankA, 'peer0.banka', [
      'chaincode',
      'query',
      '-C',
      nodes.channel,
      '-n',
      nodes.chaincode,
      '-c',
      JSON.stringify({ Args: ['Membership:GetMember', ORG.bankA] }),
    ]);
    expect(JSON.parse(stdout)).to.deep.include({ mspId: ORG.bankA, role: 'BANK', status: 'ACTIVE' });
  });

  it('when a bank admin records a consent with `peer chaincode invoke` on two peers, then it commits and the gateway reads it', async () => {
    const grantId = `c-peer-cli-${randomBytes(4).toString('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    const grant = {
      grantId,
      subject: createHash('sha256').update(grantId).digest('hex'),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      maxAccesses: 3,
      evidence: { type: 'FORM_HASH', formHash: createHash('sha256').update('form').digest('hex') },
      validFrom: isoFromEpochSeconds(now - 60),
      validUntil: isoFromEpochSeconds(now + 86_400),
    };
    const orderer = nodes.orderers[0]!;
    const endorsers = nodes.peers.filter((p) => p.name !== 'peer0.bankb');
    const { stderr } = await peerCli(nodes, ORG.bankA, 'peer0.banka', [
      'chaincode',
      'invoke',
      '-o',
      orderer.endpoint,
      '--tls',
      '--cafile',
      orderer.tlsCaCert,
      '-C',
      nodes.channel,
      '-n',
      nodes.chaincode,
      ...endorsers.flatMap((p) => ['--peerAddresses', p.endpoint, '--tlsRootCertFiles', p.tlsCaCert]),
      '--waitForEvent',
      '-c',
      JSON.stringify({ Args: ['Consent:RecordGrant', JSON.stringify(grant)] }),
    ]);
    expect(stderr).to.match(/Chaincode invoke successful\. result: status:200/);
    const { stdout } = await peerCli(nodes, ORG.bankA, 'peer0.banka', [
      'chaincode',
      'query',
      '-C',
      nodes.channel,
      '-n',
      nodes.chaincode,
      '-c',
      JSON.stringify({ Args: ['Consent:GetGrant', grantId] }),
    ]);
    expect(JSON.parse(stdout)).to.deep.include({ grantId, grantee: ORG.bankA, status: 'ACTIVE' });
    const viaGateway = await g.api(`/consents/${grantId}`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(viaGateway.status, viaGateway.text).to.equal(200);
    expect(viaGateway.body).to.deep.include({ consentId: grantId, status: 'ACTIVE' });
  });
});
