/**
 * The network with Fabric 3's SmartBFT ordering service (`network:up -- --orderer bft`,
 * four orderers, tolerating one faulty): one orderer stopped keeps the
 * network writing; two stopped halt writes cleanly, and writes resume once
 * they are back. The whole-flow journey runs on this network too (the Fabric
 * suite's BFT phase).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DOMAIN_MODULES } from '../../src/app';
import { residentId, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { caseIt } from '../security/recorder';
import { grantConsent } from '../security/fixture';
import {
  countOnLedger,
  eventually,
  networkScript,
  networkStep,
  requireNetwork,
  type NetworkNodes,
} from './support';

describe('Fabric network with SmartBFT ordering: orderers stopped', function () {
  let nodes: NetworkNodes;
  let g: ConsortiumGateway;
  const run = randomBytes(4).toString('hex');
  const base = Number.parseInt(run.slice(0, 4), 16) % 5000;

  before(async function () {
    nodes = requireNetwork(this, 'bft');
    g = await startConsortiumGateway(DOMAIN_MODULES);
  });

  after(async () => {
    if (nodes) await networkScript('up');
    await g?.stop();
  });

  caseIt(
    'B1',
    'when one of four BFT orderers is stopped, then writes go on; when two are stopped, they answer 503 and none is acknowledged; after restart they resume',
    async (figures) => {
      expect(nodes.orderers).to.have.length(4);
      const [first, second] = nodes.orderers;
      const start = await g.context.ledger.height();
      const acked: string[] = [];
      const write = async (label: string): Promise<number> => {
        figures.tried += 1;
        const res = await grantConsent(g, 'bankA', {
          consentId: `c-bft-${run}-${label}`,
          subjectId: residentId(40_000 + base + figures.tried),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        }).then(
          () => 201,
          (err: unknown) => {
            const match = /expected 201: .*?"code":"([A-Z_]+)"/.exec(String(err));
            return match?.[1] === 'LEDGER_UNAVAILABLE' ? 503 : 0;
          },
        );
        if (res === 201) {
          figures.acknowledged += 1;
          acked.push(`c-bft-${run}-${label}`);
        }
        return res;
      };
      await networkStep('stop', first!.name);
      const oneDown = [await write('one-down-1'), await write('one-down-2'), await write('one-down-3')];
      expect(oneDown, 'one of four orderers stopped').to.deep.equal([201, 201, 201]);
      await networkStep('stop', second!.name);
      let twoDown: number[] = [];
      let twoDownSeconds = 0;
      const began = Date.now();
      try {
        // No quorum: the writes cannot be ordered and end at the gateway's deadlines.
        twoDown = await Promise.all([1, 2, 3].map((i) => write(`two-down-${i}`)));
        twoDownSeconds = Math.round((Date.now() - began) / 1000);
      } finally {
        await networkStep('start', first!.name);
        await networkStep('start', second!.name);
      }
      expect(twoDown, 'two of four orderers stopped').to.deep.equal([503, 503, 503]);
      const { tries } = await eventually(async () => {
        if ((await write(`after-${Date.now()}`)) !== 201) throw new Error('not yet');
      }, 180_000);
      const grants = await countOnLedger(g, start, 'grantId');
      figures.found = acked.filter((id) => grants.get(id) === 1).length;
      expect(figures.found, 'acknowledged consents on the ledger once').to.equal(acked.length);
      const refusedFound = [1, 2, 3].filter((i) => grants.has(`c-bft-${run}-two-down-${i}`)).length;
      figures.notes.push(
        `one down: 3 x 201; two down: 3 x 503 after ${twoDownSeconds} s; writes resumed after ${tries} tries; refused writes found later: ${refusedFound}`,
      );
    },
  );
});
