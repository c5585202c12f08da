/**
 * Faults on the real network (issue 7 and 17, cases 1, 2, 3 and 5): nodes are
 * killed by PID with SIGKILL (or stopped) while the REST gateway writes, and
 * afterwards every write acknowledged with a 2xx is found on the ledger
 * exactly once, by scanning the blocks for the writes' own client IDs.
 * Unacknowledged writes are retried with the same client IDs and must be
 * recorded at most once.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { expect } from 'chai';
import { common } from '@hyperledger/fabric-protos';
import { DOMAIN_MODULES } from '../../src/app';
import { residentId, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import type { ApiResponse } from '../helpers';
import { replayLedger } from '../indexer/ledger-fixture';
import { caseIt } from '../security/recorder';
import {
  grantConsent,
  homestead,
  homesteadRight,
  ledgerTime,
  lienBody,
  registerAsset,
  uploadBatch,
} from '../security/fixture';
import {
  connectAs,
  countOnLedger,
  eventually,
  networkScript,
  networkStep,
  requireNetwork,
  type NetworkNodes,
} from './support';

/** The orderer that leads the channel's Raft, from each orderer's `consensus_etcdraft_is_leader` metric. */
async function raftLeader(nodes: NetworkNodes): Promise<string> {
  for (const o of nodes.orderers) {
    const [host, port] = o.operationsEndpoint.split(':');
    const metrics = await new Promise<string>((resolve) => {
      http
        .get({ host, port: Number(port), path: '/metrics', timeout: 2_000 }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', () => resolve(''));
    });
    if (/consensus_etcdraft_is_leader\{channel="[^"]+"\} 1\b/.test(metrics)) return o.name;
  }
  throw new Error('no orderer reports itself Raft leader');
}

describe('Fabric network: faults while the gateway writes (cases 1, 2, 3, 5)', function () {
  let nodes: NetworkNodes;
  let g: ConsortiumGateway;
  const run = randomBytes(4).toString('hex');
  const base = Number.parseInt(run.slice(0, 4), 16) % 5000;
  const subject = residentId(20_000 + base);
  const owner = residentId(30_000 + base);
  const consentId = `c-faults-${run}`;
  const collateralId = `c-faults-col-${run}`;
  let assetNo = 0;

  const report = (accessId: string): Promise<ApiResponse> =>
    g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { subjectId: subject, consentId, datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION', accessId },
    });

  const newAsset = async (): Promise<string> => {
    assetNo += 1;
    return (await registerAsset(g, 'land', homesteadRight(`HS-F-${run}-${assetNo}`, owner))).asset.assetId;
  };

  const lien = (lienId: string, assetId: string): Promise<ApiResponse> =>
    g.api('/liens', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      // The loan ends within the collateral grant's validity (180 days).
      json: { ...lienBody(assetId, collateralId, { loanEnd: ledgerTime(90 * 86_400) }), lienId },
    });

  /** The subject's accesses in the gateway's index, as the auditor lists them (every page). */
  const indexedAccessesOf = async (
    subjectId: string,
  ): Promise<{ accessId: string; txId: string; blockNumber: number }[]> => {
    type Entry = { accessId: string; txId: string; blockNumber: number };
    const all: Entry[] = [];
    let cursor: string | null = null;
    do {
      const more: string = cursor === null ? '' : `&cursor=${cursor}`;
      const res = await g.api(`/audit/accesses?subjectId=${subjectId}&limit=100${more}`, {
        as: ['auditor', 'AUDITOR'],
      });
      expect(res.status, res.text).to.equal(200);
      const page = res.body as { items: Entry[]; nextCursor: string | null };
      all.push(...page.items.map(({ accessId, txId, blockNumber }) => ({ accessId, txId, blockNumber })));
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  };

  before(async function () {
    nodes = requireNetwork(this);
    g = await startConsortiumGateway(DOMAIN_MODULES);
    await uploadBatch(g, 'land', 'HOMESTEAD', `hs-faults-${run}`, [{ ...homestead(1), subjectId: subject }]);
    await grantConsent(g, 'bankA', {
      consentId,
      subjectId: subject,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      maxAccesses: 10_000,
    });
    await grantConsent(g, 'bankA', {
      consentId: collateralId,
      subjectId: owner,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
  });

  after(async () => {
    if (nodes) {
      await networkScript('up');
    }
    await g?.stop();
  });

  caseIt(
    '1',
    'when the Raft leader is killed (SIGKILL) during streams of report and lien writes, then every acknowledged write is on the ledger once and retried ones at most once',
    async (figures) => {
      const start = await g.context.ledger.height();
      const assets: string[] = [];
      for (let i = 0; i < 12; i++) assets.push(await newAsset());
      const acked = { reports: new Set<string>(), liens: new Set<string>() };
      const unacked: { kind: 'report' | 'lien'; id: string; assetId?: string }[] = [];
      let killed: string | undefined;
      let ackedBeforeKill = -1;
      const stream = async (kind: 'report' | 'lien', count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          const id = `${kind}-raft-${run}-${i}`;
          const assetId = assets[i];
          figures.tried += 1;
          const res = kind === 'report' ? await report(id) : await lien(id, assetId!);
          if (res.status === 201 || res.status === 200) {
            (kind === 'report' ? acked.reports : acked.liens).add(id);
          } else {
            expect([503, 502, 409], `${kind} ${id}: ${res.text}`).to.include(res.status);
            unacked.push({ kind, id, ...(assetId ? { assetId } : {}) });
          }
          if (!killed && acked.reports.size + acked.liens.size >= 6) {
            killed = await raftLeader(nodes);
            ackedBeforeKill = acked.reports.size + acked.liens.size;
            await networkStep('kill', killed);
          }
        }
      };
      await Promise.all([stream('report', 24), stream('lien', 12)]);
      expect(killed, 'a leader was killed').to.be.a('string');
      await networkStep('start', killed!);
      // Unacknowledged writes are retried with their client IDs once the cluster has a leader again.
      let recoveredOnRetry = 0;
      for (const w of unacked) {
        const { value: res } = await eventually(async () => {
          const r = w.kind === 'report' ? await report(w.id) : await lien(w.id, w.assetId!);
          if (r.status >= 500) throw new Error(`still ${r.status}`);
          return r;
        });
        if (res.status === 200 || res.status === 201 || (w.kind === 'lien' && res.status === 409))
          recoveredOnRetry++;
      }
      figures.acknowledged = acked.reports.size + acked.liens.size;
      const accesses = await countOnLedger(g, start, 'accessId');
      const liens = await countOnLedger(g, start, 'lienId');
      const ackedFound =
        [...acked.reports].filter((id) => accesses.get(id) === 1).length +
        [...acked.liens].filter((id) => liens.get(id) === 1).length;
      figures.found = ackedFound;
      const duplicated = [...accesses.entries(), ...liens.entries()].filter(
        ([id, n]) => id.includes(run) && n > 1,
      );
      figures.notes.push(
        `killed ${killed} (leader) after ${ackedBeforeKill} acknowledged writes; ${unacked.length} unacknowledged, ` +
          `${recoveredOnRetry} of them recorded by their retry; duplicates on the ledger: ${duplicated.length}`,
      );
      expect(duplicated).to.deep.equal([]);
      expect(ackedFound, 'acknowledged writes found exactly once').to.equal(figures.acknowledged);
    },
  );

  caseIt(
    '2',
    'when two of three orderers are stopped, then writes answer 503 without being acknowledged, reads work, and writes resume after restart',
    async (figures) => {
      const [first, second] = nodes.orderers;
      await networkStep('stop', first!.name);
      await networkStep('stop', second!.name);
      const start = await g.context.ledger.height();
      try {
        // The remaining orderer notices it lost its quorum within an election timeout (10 ticks of 500 ms).
        await new Promise((resolve) => setTimeout(resolve, 8_000));
        const answers: string[] = [];
        const latencies: number[] = [];
        for (let i = 0; i < 4; i++) {
          const id = `report-quorum-${run}-${i}`;
          figures.tried += 1;
          const began = Date.now();
          const res = await report(id);
          latencies.push(Date.now() - began);
          if (res.status < 300) figures.acknowledged += 1;
          answers.push(`${res.status} ${(res.body as { error?: { code?: string } }).error?.code ?? ''}`);
        }
        expect(answers).to.deep.equal(Array(4).fill('503 LEDGER_UNAVAILABLE'));
        const read = await g.api(`/consents/${consentId}`, { as: ['bankA', 'LOAN_OFFICER'] });
        expect(read.status, read.text).to.equal(200);
        figures.notes.push(`writes answered 503 in ${Math.max(...latencies)} ms at most; reads 200`);
      } finally {
        await networkStep('start', first!.name);
        await networkStep('start', second!.name);
      }
      const { value: resumed, tries } = await eventually(async () => {
        const res = await report(`report-quorum-${run}-after`);
        if (res.status !== 201 && res.status !== 200) throw new Error(`still ${res.status}`);
        return res;
      });
      expect(resumed.status).to.be.oneOf([200, 201]);
      const accesses = await countOnLedger(g, start, 'accessId');
      figures.found = [0, 1, 2, 3].filter((i) => accesses.has(`report-quorum-${run}-${i}`)).length;
      figures.notes.push(
        `writes resumed after restart (${tries} tries); refused writes found on the ledger: ${figures.found}`,
      );
      expect(accesses.get(`report-quorum-${run}-after`)).to.equal(1);
    },
  );

  caseIt(
    '3',
    'when a bank’s peer is killed during its writes, then its gateway goes on through the next peer, nothing acknowledged is lost, and the peer catches up',
    async (figures) => {
      const bankPeer = nodes.peers.find((p) => p.mspId === 'BankAMSP')!;
      const start = await g.context.ledger.height();
      const acked = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const id = `report-peer-${run}-${i}`;
        figures.tried += 1;
        if (i === 5) await networkStep('kill', bankPeer.name);
        const res = await report(id);
        if (res.status === 201 || res.status === 200) acked.add(id);
      }
      figures.acknowledged = acked.size;
      await networkStep('start', bankPeer.name);
      const accesses = await countOnLedger(g, start, 'accessId');
      figures.found = [...acked].filter((id) => accesses.get(id) === 1).length;
      expect(figures.found).to.equal(acked.size);
      expect(acked.size, 'writes acknowledged while the peer was down').to.equal(20);
      // The restarted peer catches up with the others.
      const heights = async (): Promise<number[]> => {
        const all: number[] = [];
        for (const p of nodes.peers) {
          const c = connectAs(nodes, p.mspId, p.name);
          try {
            const info = await c.gateway
              .getNetwork(nodes.channel)
              .getContract('qscc')
              .evaluateTransaction('GetChainInfo', nodes.channel);
            all.push(Number(common.BlockchainInfo.deserializeBinary(info).getHeight()));
          } finally {
            c.close();
          }
        }
        return all;
      };
      const { value: caughtUp } = await eventually(async () => {
        const h = await heights();
        if (new Set(h).size !== 1) throw new Error(`heights ${h.join(', ')}`);
        return h;
      });
      // The gateway's index (built from the blocks while the peer was down and after) equals a replay
      // of the ledger from block 0, for the subject of these reports: each access once, same block.
      const pseudonym = await g.context.subjects.pseudonym(subject);
      const { value: compared } = await eventually(async () => {
        const replay = (await replayLedger(g.context.ledger)).accesses
          .filter((a) => a.subject === pseudonym)
          .map(({ accessId, txId, blockNumber }) => ({ accessId, txId, blockNumber }));
        const indexed = await indexedAccessesOf(subject);
        const byId = (a: { accessId: string }, b: { accessId: string }) =>
          a.accessId.localeCompare(b.accessId);
        expect(indexed.sort(byId)).to.deep.equal(replay.sort(byId));
        return replay.length;
      });
      figures.notes.push(
        `${bankPeer.name} killed after 5 writes; heights after restart ${caughtUp.join(', ')}; index = ledger replay for the subject (${compared} accesses, each once)`,
      );
    },
  );

  caseIt(
    '5',
    'when chaincode servers are killed, then one down changes nothing, all down answers 503 CHAINCODE_UNAVAILABLE, and writes succeed again after restart',
    async (figures) => {
      const servers = nodes.peers.map((p) => p.chaincodeServer);
      const start = await g.context.ledger.height();
      await networkStep('kill', servers[1]!);
      const acked = new Set<string>();
      const refusals: string[] = [];
      try {
        for (let i = 0; i < 5; i++) {
          figures.tried += 1;
          const id = `report-cc-${run}-${i}`;
          const res = await report(id);
          if (res.status < 300) acked.add(id);
          else refusals.push(`${res.status}`);
        }
        expect(refusals, 'one chaincode server down').to.deep.equal([]);
        for (const s of servers) await networkScript('kill', s);
        for (let i = 5; i < 8; i++) {
          figures.tried += 1;
          const res = await report(`report-cc-${run}-${i}`);
          if (res.status < 300) acked.add(`report-cc-${run}-${i}`);
          else
            refusals.push(
              `${res.status} ${(res.body as { error: { details?: { reason?: string } } }).error.details?.reason}`,
            );
        }
        expect(refusals).to.deep.equal(Array(3).fill('503 CHAINCODE_UNAVAILABLE'));
      } finally {
        for (const s of servers) await networkScript('start', s);
      }
      const { tries } = await eventually(async () => {
        const res = await report(`report-cc-${run}-after`);
        if (res.status >= 300) throw new Error(`still ${res.status}`);
        acked.add(`report-cc-${run}-after`);
      });
      figures.tried += 1;
      figures.acknowledged = acked.size;
      const accesses = await countOnLedger(g, start, 'accessId');
      figures.found = [...acked].filter((id) => accesses.get(id) === 1).length;
      figures.notes.push(
        `1 of 3 servers killed: 5 of 5 acknowledged; 3 of 3 killed: 3 x 503; after restart: ok in ${tries} tries`,
      );
      expect(figures.found).to.equal(acked.size);
    },
  );
});
