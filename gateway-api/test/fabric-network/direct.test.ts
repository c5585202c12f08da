/**
 * The chaincode on the real network, called with @hyperledger/fabric-gateway
 * directly as each organisation's own client identity (no REST gateway in
 * the path): role checks, MVCC races decided by Fabric's validation, chaincode
 * events live and replayed, and identical answers from every peer.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { common, peer as peerProtos } from '@hyperledger/fabric-protos';
import type { Contract } from '@hyperledger/fabric-gateway';
import { DOMAIN_MODULES } from '../../src/app';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { grantConsent, homesteadRight, ledgerTime, registerAsset } from '../security/fixture';
import { chaincodeCode, connectAs, requireNetwork, type NetworkNodes, type OrgConnection } from './support';

const VALIDATION = new Map<number, string>(
  Object.entries(peerProtos.TxValidationCode).map(([name, value]) => [value as number, name]),
);

describe('Fabric network: the chaincode called directly with each organisation’s identity', function () {
  let nodes: NetworkNodes;
  let g: ConsortiumGateway;
  const connections = new Map<string, OrgConnection>();
  /** Unique per run: the ledger is never assumed empty. */
  const run = randomBytes(4).toString('hex');

  const contractOf = (mspId: string): Contract => {
    let c = connections.get(mspId);
    if (!c) {
      c = connectAs(nodes, mspId);
      connections.set(mspId, c);
    }
    return c.gateway.getNetwork(nodes.channel).getContract(nodes.chaincode);
  };

  before(async function () {
    nodes = requireNetwork(this);
    // The REST gateway bootstraps the consortium (idempotent) and sets up fixtures through the API.
    g = await startConsortiumGateway(DOMAIN_MODULES);
  });

  after(async () => {
    for (const c of connections.values()) c.close();
    await g?.stop();
  });

  it('when a client-only organisation (the auditor) endorses every SUBMIT function, then the chaincode answers FORBIDDEN each time', async () => {
    const metadata = JSON.parse(
      Buffer.from(
        await contractOf(ORG.auditor).evaluateTransaction('org.hyperledger.fabric:GetMetadata'),
      ).toString(),
    ) as {
      contracts: Record<string, { transactions: { name: string; tag?: string[]; parameters?: unknown[] }[] }>;
    };
    const submits = Object.entries(metadata.contracts)
      .filter(([name]) => !name.startsWith('org.hyperledger'))
      .flatMap(([contract, c]) =>
        c.transactions
          .filter((t) => (t.tag ?? []).includes('SUBMIT'))
          .map((t) => ({ fn: `${contract}:${t.name}`, arity: t.parameters?.length ?? 0 })),
      )
      // A member registers its own EIP-712 key: checked by the chaincode unit tests.
      .filter(({ fn }) => fn !== 'Membership:RegisterSigner');
    expect(submits.length, 'submit functions found').to.be.greaterThan(20);
    const outcomes: string[] = [];
    for (const { fn, arity } of submits) {
      try {
        // Well-formed enough to reach the caller check: the right number of arguments.
        const args = Array.from({ length: arity }, () => '{}');
        await contractOf(ORG.auditor).newProposal(fn, { arguments: args }).endorse();
        outcomes.push(`${fn}: endorsed`);
      } catch (err) {
        const code = chaincodeCode(err);
        if (code !== 'FORBIDDEN') outcomes.push(`${fn}: ${code}`);
      }
    }
    expect(outcomes, 'functions that did not answer FORBIDDEN').to.deep.equal([]);
  });

  it('when a bank defines a dataset type, admits a member or revokes another bank’s consent, then FORBIDDEN', async () => {
    const subject = residentId(9000 + Number.parseInt(run.slice(0, 3), 16));
    await grantConsent(g, 'bankA', {
      consentId: `c-direct-${run}`,
      subjectId: subject,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    const attempts: [string, string, string[]][] = [
      [
        ORG.bankA,
        'Catalogue:DefineDatasetType',
        [JSON.stringify({ ...g.context.consortium.datasetTypes[0], code: `X${run}` })],
      ],
      [
        ORG.bankB,
        'Membership:AdmitMember',
        [JSON.stringify({ mspId: 'EvilMSP', role: 'BANK', name: 'Evil' })],
      ],
      [ORG.bankB, 'Consent:RevokeGrant', [`c-direct-${run}`, 'BANK_REQUEST']],
      [ORG.land, 'Consent:RevokeGrant', [`c-direct-${run}`, 'BANK_REQUEST']],
    ];
    const codes: string[] = [];
    for (const [org, fn, args] of attempts) {
      try {
        await contractOf(org).newProposal(fn, { arguments: args }).endorse();
        codes.push('endorsed');
      } catch (err) {
        codes.push(chaincodeCode(err));
      }
    }
    expect(codes).to.deep.equal(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    const grant = JSON.parse(
      Buffer.from(
        await contractOf(ORG.bankA).evaluateTransaction('Consent:GetGrant', `c-direct-${run}`),
      ).toString(),
    ) as { status: string };
    expect(grant.status).to.equal('ACTIVE');
  });

  it('when two banks race for one exclusive asset, then Fabric commits exactly one VALID lien and marks the other MVCC_READ_CONFLICT', async () => {
    const owner = residentId(9500 + Number.parseInt(run.slice(0, 3), 16));
    const { asset } = await registerAsset(g, 'land', homesteadRight(`HS-RACE-${run}`, owner));
    for (const bank of ['bankA', 'bankB'] as const) {
      await grantConsent(g, bank, {
        consentId: `c-race-${bank}-${run}`,
        subjectId: owner,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
      });
    }
    const lien = (bank: 'bankA' | 'bankB') =>
      JSON.stringify({
        lienId: `lien-race-${bank}-${run}`,
        assetId: asset.assetId,
        grantId: `c-race-${bank}-${run}`,
        securedAmountFen: 2_000_000,
        // Within the collateral grant's validity (180 days), as the chaincode requires.
        loanEnd: ledgerTime(90 * 86_400),
      });
    // Both endorsed against the same state before either is ordered.
    const endorsedA = await contractOf(ORG.bankA)
      .newProposal('Collateral:RegisterLien', { arguments: [lien('bankA')] })
      .endorse();
    const endorsedB = await contractOf(ORG.bankB)
      .newProposal('Collateral:RegisterLien', { arguments: [lien('bankB')] })
      .endorse();
    const [submittedA, submittedB] = await Promise.all([endorsedA.submit(), endorsedB.submit()]);
    const [statusA, statusB] = await Promise.all([submittedA.getStatus(), submittedB.getStatus()]);
    const codes = [VALIDATION.get(statusA.code), VALIDATION.get(statusB.code)].sort();
    expect(codes).to.deep.equal(['MVCC_READ_CONFLICT', 'VALID']);
    // The block's own validation flags say the same.
    const network = connections.get(ORG.bankA)!.gateway.getNetwork(nodes.channel);
    const events = await network.getBlockEvents({ startBlock: statusA.blockNumber });
    const flags = new Map<string, string>();
    try {
      for await (const block of events) {
        const filter = block.getMetadata()!.getMetadataList_asU8()[2]!;
        block
          .getData()!
          .getDataList_asU8()
          .forEach((envelope, i) => {
            const txId = txIdOf(envelope);
            if (txId === statusA.transactionId || txId === statusB.transactionId)
              flags.set(txId, VALIDATION.get(filter[i]!) ?? '?');
          });
        if (
          flags.size === 2 ||
          block.getHeader()!.getNumber() >= Math.max(Number(statusA.blockNumber), Number(statusB.blockNumber))
        )
          break;
      }
    } finally {
      events.close();
    }
    expect([flags.get(statusA.transactionId), flags.get(statusB.transactionId)]).to.deep.equal([
      VALIDATION.get(statusA.code),
      VALIDATION.get(statusB.code),
    ]);
    const stored = JSON.parse(
      Buffer.from(
        await contractOf(ORG.land).evaluateTransaction('Collateral:GetAsset', asset.assetId),
      ).toString(),
    ) as { liens: unknown[] };
    expect(stored.liens, 'liens on the asset').to.have.length(1);
  });

  it('when a revocation races accesses under the same grant, then no GRANTED access commits alongside the revocation', async () => {
    const subjectId = residentId(9700 + Number.parseInt(run.slice(0, 3), 16));
    const { consent } = await grantConsent(g, 'bankA', {
      consentId: `c-revoke-${run}`,
      subjectId,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      maxAccesses: 50,
    });
    const bank = contractOf(ORG.bankA);
    const access = (i: number) =>
      JSON.stringify({
        accessId: `acc-revoke-${run}-${i}`,
        grantId: `c-revoke-${run}`,
        subject: consent.subject,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: 'f'.repeat(64),
        releaseDigest: 'e'.repeat(64),
      });
    const accesses = [];
    for (let i = 0; i < 3; i++) {
      const endorsed = await bank.newProposal('Access:RecordAccess', { arguments: [access(i)] }).endorse();
      expect(
        (JSON.parse(Buffer.from(endorsed.getResult()).toString()) as { outcome: string }).outcome,
      ).to.equal('GRANTED');
      accesses.push(endorsed);
    }
    const revocation = await bank
      .newProposal('Consent:RevokeGrant', { arguments: [`c-revoke-${run}`, 'BANK_REQUEST'] })
      .endorse();
    const submitted = await Promise.all([revocation, ...accesses].map((t) => t.submit()));
    const statuses = await Promise.all(submitted.map((s) => s.getStatus()));
    const [revoked, ...granted] = statuses.map((s) => VALIDATION.get(s.code));
    const validGrants = granted.filter((c) => c === 'VALID').length;
    expect(
      revoked === 'VALID' ? validGrants : 0,
      `revocation ${revoked}, accesses ${granted.join(', ')}: a GRANTED access committed with the revocation`,
    ).to.equal(0);
    expect([...granted, revoked].every((c) => c === 'VALID' || c === 'MVCC_READ_CONFLICT')).to.equal(true);
  });

  it('when a bank writes, then its chaincode event arrives live and is replayed from an earlier block', async () => {
    contractOf(ORG.bankA);
    const network = connections.get(ORG.bankA)!.gateway.getNetwork(nodes.channel);
    const live = await network.getChaincodeEvents(nodes.chaincode);
    const consentId = `c-events-${run}`;
    const { txId, blockNumber } = await grantConsent(g, 'bankA', {
      consentId,
      subjectId: residentId(9800 + Number.parseInt(run.slice(0, 3), 16)),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    let liveEvent: { name: string; txId: string; block: bigint } | undefined;
    try {
      for await (const e of live) {
        if (e.transactionId === txId) {
          liveEvent = { name: e.eventName, txId: e.transactionId, block: e.blockNumber };
          break;
        }
      }
    } finally {
      live.close();
    }
    expect(liveEvent).to.deep.include({ txId, block: BigInt(blockNumber) });
    const replay = await network.getChaincodeEvents(nodes.chaincode, {
      startBlock: BigInt(Math.max(0, blockNumber - 5)),
    });
    let replayed: { name: string; payload: string } | undefined;
    try {
      for await (const e of replay) {
        if (e.transactionId === txId) {
          replayed = { name: e.eventName, payload: Buffer.from(e.payload).toString() };
          break;
        }
      }
    } finally {
      replay.close();
    }
    expect(replayed?.name).to.equal(liveEvent?.name);
    expect(replayed?.payload).to.contain(consentId);
  });

  it('when the same query is evaluated on each peer, then every peer answers with identical bytes', async () => {
    const answers: string[] = [];
    for (const peer of nodes.peers) {
      const connection = connectAs(nodes, ORG.regulator, peer.name);
      try {
        const contract = connection.gateway.getNetwork(nodes.channel).getContract(nodes.chaincode);
        const bytes = await contract
          .newProposal('Membership:ListMembers', {
            arguments: ['100', ''],
            endorsingOrganizations: [peer.mspId],
          })
          .evaluate();
        answers.push(Buffer.from(bytes).toString('base64'));
      } finally {
        connection.close();
      }
    }
    expect(answers).to.have.length(nodes.peers.length);
    expect(new Set(answers).size, 'distinct answers').to.equal(1);
  });
});

/** The transaction ID of an envelope in a block. */
function txIdOf(envelope: Uint8Array): string {
  const payload = common.Payload.deserializeBinary(
    common.Envelope.deserializeBinary(envelope).getPayload_asU8(),
  );
  return common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getTxId();
}
