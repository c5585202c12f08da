/**
 * The gateway on the real network when parts of it stop: start-up waits for
 * the ledger, a stopped chaincode server answers 503 and recovers, a bank's
 * stopped peer fails over to the next peer it trusts, and the network
 * scripts keep ledgers across a restart. Nodes are stopped and started by
 * PID through network/scripts/network.mjs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DOMAIN_MODULES } from '../../src/app';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { grantConsent, homesteadRight, registerAsset } from '../security/fixture';
import {
  connectAs,
  eventually,
  networkScript,
  networkStep,
  requireNetwork,
  type NetworkNodes,
} from './support';

/** Waits until every organisation can get an endorsement again (discovery after a restart). */
async function untilEndorsable(nodes: NetworkNodes): Promise<void> {
  for (const org of nodes.organisations) {
    await eventually(async () => {
      const c = connectAs(nodes, org.mspId);
      try {
        await c.gateway
          .getNetwork(nodes.channel)
          .getContract(nodes.chaincode)
          .newProposal('org.hyperledger.fabric:GetMetadata')
          .endorse();
      } finally {
        c.close();
      }
    }, 120_000);
  }
}

describe('Fabric network: failures of peers and chaincode servers, and restarts', function () {
  let nodes: NetworkNodes;
  let g: ConsortiumGateway;
  let assetId: string;
  const run = randomBytes(4).toString('hex');

  before(async function () {
    nodes = requireNetwork(this);
    g = await startConsortiumGateway(DOMAIN_MODULES);
    const owner = residentId(9900 + Number.parseInt(run.slice(0, 3), 16));
    assetId = (await registerAsset(g, 'land', homesteadRight(`HS-RESILIENCE-${run}`, owner))).asset.assetId;
  });

  after(async () => {
    // Whatever a failed test left stopped is started again for the suites after this one.
    if (nodes) {
      await networkScript('up');
      await untilEndorsable(nodes);
    }
    await g?.stop();
  });

  it('when every chaincode server is stopped, then a read answers 503 LEDGER_UNAVAILABLE (CHAINCODE_UNAVAILABLE, Retry-After), and succeeds once they are back', async () => {
    for (const p of nodes.peers) await networkStep('stop', p.chaincodeServer);
    try {
      const down = await g.api(`/assets/${assetId}`, { as: ['bankA', 'LOAN_OFFICER'] });
      expect(down.status, down.text).to.equal(503);
      const { error } = down.body as { error: { txId?: string } };
      expect(error).to.deep.include({
        code: 'LEDGER_UNAVAILABLE',
        message: 'the ledger is unavailable: chaincode unavailable',
        details: { reason: 'CHAINCODE_UNAVAILABLE' },
      });
      expect(error.txId).to.match(/^[0-9a-f]{64}$/);
      expect(down.headers.get('retry-after')).to.equal('2');
    } finally {
      for (const p of nodes.peers) await networkStep('start', p.chaincodeServer);
    }
    const { value: back } = await eventually(async () => {
      const res = await g.api(`/assets/${assetId}`, { as: ['bankA', 'LOAN_OFFICER'] });
      if (res.status !== 200) throw new Error(`still ${res.status}`);
      return res;
    });
    expect((back.body as { assetId: string }).assetId).to.equal(assetId);
  });

  it('when a bank’s own peer is stopped, then its reads and writes go through the next peer it trusts', async () => {
    const bankPeer = nodes.peers.find((p) => p.mspId === ORG.bankA)!;
    await networkStep('stop', bankPeer.name);
    try {
      const read = await g.api(`/assets/${assetId}`, { as: ['bankA', 'LOAN_OFFICER'] });
      expect(read.status, read.text).to.equal(200);
      const { consent, blockNumber } = await grantConsent(g, 'bankA', {
        consentId: `c-failover-${run}`,
        subjectId: residentId(9950 + Number.parseInt(run.slice(0, 3), 16)),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      expect(consent.consentId).to.equal(`c-failover-${run}`);
      expect(blockNumber).to.be.greaterThan(0);
      expect(
        g.logs.some(
          (l) =>
            l.msg === 'ledger call failed on a peer; trying the next trusted peer' &&
            l.peer === bankPeer.name,
        ),
        'failover logged',
      ).to.equal(true);
    } finally {
      await networkStep('start', bankPeer.name);
    }
    await untilEndorsable(nodes);
  });

  it('when the only peer a gateway trusts is down at start-up, then start-up waits (saying why) and completes once it is back', async () => {
    const regulatorPeer = nodes.peers.find((p) => p.mspId === ORG.regulator)!;
    // A profile where every organisation trusts the regulator's peer only.
    const profilePath = process.env.GATEWAY_CONNECTION_PROFILE!;
    const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as {
      organisations: { peers: string[] }[];
    };
    const onePeer = path.join(path.dirname(profilePath), `one-peer-${run}.json`);
    writeFileSync(
      onePeer,
      JSON.stringify({
        ...profile,
        organisations: profile.organisations.map((o) => ({ ...o, peers: [regulatorPeer.name] })),
      }),
    );
    await networkStep('stop', regulatorPeer.name);
    const saved = process.env.GATEWAY_CONNECTION_PROFILE;
    process.env.GATEWAY_CONNECTION_PROFILE = onePeer;
    let waiting: ConsortiumGateway | undefined;
    try {
      const starting = startConsortiumGateway(DOMAIN_MODULES);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      await networkStep('start', regulatorPeer.name);
      waiting = await starting;
      const waits = waiting.logs.filter((l) => l.msg === 'waiting for the ledger before start-up');
      expect(waits.length, 'start-up said it was waiting').to.be.greaterThan(0);
      expect(waits[0]).to.deep.include({ reason: 'PEER_UNAVAILABLE' });
      const ready = await waiting.api(`/assets/${assetId}`, { as: ['bankB', 'LOAN_OFFICER'] });
      expect(ready.status, ready.text).to.equal(200);
    } finally {
      process.env.GATEWAY_CONNECTION_PROFILE = saved;
      await waiting?.stop();
    }
    await untilEndorsable(nodes);
  });

  it('when `network:up` runs on a running network, then it says so and changes nothing', async () => {
    const before = await networkScript('status');
    const up = await networkScript('up');
    expect(up.code).to.equal(0);
    expect(up.stdout).to.match(/already running \(9 processes\); nothing changed/);
    expect((await networkScript('status')).stdout).to.equal(before.stdout);
  });

  it('when the whole network is stopped and started again, then its ledger is intact', async () => {
    const heightOf = async () => Number((await g.context.ledger.height()).toString());
    const before = await heightOf();
    const down = await networkScript('down');
    expect(down.stdout).to.match(/stopped 9 process\(es\)/);
    expect((await networkScript('status')).code).to.equal(1);
    const up = await networkScript('up');
    expect(up.code, up.stdout).to.equal(0);
    expect(up.stdout).to.match(/restarting the stopped processes of the existing network/);
    await untilEndorsable(nodes);
    const { value: after } = await eventually(heightOf);
    expect(after).to.be.at.least(before);
    const consent = await eventually(async () => {
      const res = await g.api(`/consents/c-failover-${run}`, { as: ['bankA', 'LOAN_OFFICER'] });
      if (res.status !== 200) throw new Error(`still ${res.status}: ${res.text}`);
      return res;
    });
    expect(consent.value.body).to.deep.include({ consentId: `c-failover-${run}`, status: 'ACTIVE' });
  });
});
