/**
 * The MSP roots a per-organisation gateway checks callers against follow the channel's
 * configuration block (issue 13), with throw-away organisation CAs made by openssl and
 * configuration blocks built from Fabric's protos; on the real network the block comes from the
 * organisation's own peer (test/fabric-network/org-gateways.test.ts).
 */
import type { X509Certificate } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { AppError } from '../../src/http/errors';
import { ChannelMspRoots, type LiveMspRoots } from '../../src/organisation/channel-roots';
import { loadOrgIdentity } from '../../src/organisation/identity';
import { signOrgRequest, verifyOrgRequest } from '../../src/organisation/signed-request';
import { memoryLogger, tempDir } from '../helpers';
import { makeOrg } from './support';

interface SettableMap<V> {
  set(key: string, value: V): void;
}

/** A channel configuration block whose Application group holds these organisations' roots. */
function configBlock(roots: Readonly<Record<string, X509Certificate>>): Uint8Array {
  const application = new common.ConfigGroup();
  for (const [mspId, ca] of Object.entries(roots)) {
    const fabric = new msp.FabricMSPConfig();
    fabric.setName(mspId);
    fabric.setRootCertsList([Buffer.from(ca.toString())]);
    const config = new msp.MSPConfig();
    config.setConfig(fabric.serializeBinary());
    const value = new common.ConfigValue();
    value.setValue(config.serializeBinary());
    const org = new common.ConfigGroup();
    (org.getValuesMap() as unknown as SettableMap<common.ConfigValue>).set('MSP', value);
    (application.getGroupsMap() as unknown as SettableMap<common.ConfigGroup>).set(mspId, org);
  }
  const channel = new common.ConfigGroup();
  (channel.getGroupsMap() as unknown as SettableMap<common.ConfigGroup>).set('Application', application);
  const config = new common.Config();
  config.setChannelGroup(channel);
  const envelope = new common.ConfigEnvelope();
  envelope.setConfig(config);
  const payload = new common.Payload();
  payload.setData(envelope.serializeBinary());
  const tx = new common.Envelope();
  tx.setPayload(payload.serializeBinary());
  const data = new common.BlockData();
  data.setDataList([tx.serializeBinary()]);
  const block = new common.Block();
  block.setData(data);
  return block.serializeBinary();
}

describe('organisation: MSP roots follow the channel configuration (issue 13)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let orgs: Record<'bank' | 'agri' | 'newcomer' | 'rotated', ReturnType<typeof makeOrg>>;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    orgs = {
      bank: makeOrg(dir, 'BankAMSP'),
      agri: makeOrg(dir, 'AgricultureMSP'),
      newcomer: makeOrg(dir, 'CooperativeMSP'),
      rotated: makeOrg(dir, 'AgricultureMSP-next'),
    };
  });
  after(() => cleanup());

  const fromFile = (): LiveMspRoots =>
    new Map([
      ['BankAMSP', [orgs.bank.ca]],
      ['AgricultureMSP', [orgs.agri.ca]],
    ]);

  /**
   * Who a release request signed by `org`'s client identity (its key checked against its own CA)
   * is verified as against `roots`, or the refusal's code.
   */
  const callerOf = async (roots: LiveMspRoots, mspId: string, org: ReturnType<typeof makeOrg>) => {
    const identity = loadOrgIdentity(mspId, org.keyDir, new Map([[mspId, [org.ca]]]));
    const body = { accessId: 'acc-1' };
    return verifyOrgRequest(
      signOrgRequest(identity, 'POST', '/api/v1/org/releases', body),
      { method: 'POST', path: '/api/v1/org/releases', body },
      roots,
      () => Promise.resolve(true),
    ).then(
      (caller) => caller.mspId,
      (err: AppError) => err.code,
    );
  };

  it('when the channel admits an organisation and removes another, then the same roots map verifies the newcomer and refuses the removed one, without a restart', async () => {
    const roots = fromFile();
    const { logger, lines } = memoryLogger();
    const channel = new ChannelMspRoots(
      roots,
      () => Promise.resolve(configBlock({ BankAMSP: orgs.bank.ca, CooperativeMSP: orgs.newcomer.ca })),
      'BankAMSP',
      logger,
    );
    const before = {
      agri: await callerOf(roots, 'AgricultureMSP', orgs.agri),
      newcomer: await callerOf(roots, 'CooperativeMSP', orgs.newcomer),
    };
    const change = await channel.refresh();
    expect(channel.roots).to.equal(roots);
    expect(change).to.deep.equal({ added: ['CooperativeMSP'], removed: ['AgricultureMSP'], changed: [] });
    expect([...roots.keys()].sort()).to.deep.equal(['BankAMSP', 'CooperativeMSP']);
    const after = {
      agri: await callerOf(roots, 'AgricultureMSP', orgs.agri),
      newcomer: await callerOf(roots, 'CooperativeMSP', orgs.newcomer),
    };
    expect({ before, after }).to.deep.equal({
      before: { agri: 'AgricultureMSP', newcomer: 'ORG_SIGNATURE_INVALID' },
      after: { agri: 'ORG_SIGNATURE_INVALID', newcomer: 'CooperativeMSP' },
    });
    expect(
      lines.filter((l) => l.msg === 'channel MSP roots updated from the configuration block'),
    ).to.have.length(1);
    // The same configuration again changes nothing and logs nothing.
    expect(await channel.refresh()).to.deep.equal({ added: [], removed: [], changed: [] });
    expect(
      lines.filter((l) => l.msg === 'channel MSP roots updated from the configuration block'),
    ).to.have.length(1);
  });

  it("when an organisation's CA is rotated by a configuration update, then its old client certificate is refused", async () => {
    const roots = fromFile();
    const channel = new ChannelMspRoots(
      roots,
      () => Promise.resolve(configBlock({ BankAMSP: orgs.bank.ca, AgricultureMSP: orgs.rotated.ca })),
      'BankAMSP',
      memoryLogger().logger,
    );
    expect(await callerOf(roots, 'AgricultureMSP', orgs.agri)).to.equal('AgricultureMSP');
    expect(await channel.refresh()).to.deep.equal({ added: [], removed: [], changed: ['AgricultureMSP'] });
    expect(await callerOf(roots, 'AgricultureMSP', orgs.agri)).to.equal('ORG_SIGNATURE_INVALID');
  });

  it('when the block cannot be read, is not a configuration block, or does not name this organisation, then the roots held stay and the reason is logged', async () => {
    const roots = fromFile();
    const { logger, lines } = memoryLogger();
    const answers: (() => Promise<Uint8Array>)[] = [
      () => Promise.reject(new Error('peer unavailable')),
      () => Promise.resolve(new common.Block().serializeBinary()),
      () => Promise.resolve(configBlock({ CooperativeMSP: orgs.newcomer.ca })),
    ];
    let next = 0;
    const channel = new ChannelMspRoots(roots, () => answers[next++]!(), 'BankAMSP', logger);
    const outcomes = [await channel.refresh(), await channel.refresh(), await channel.refresh()];
    expect(outcomes).to.deep.equal([undefined, undefined, undefined]);
    expect([...roots.keys()]).to.deep.equal(['BankAMSP', 'AgricultureMSP']);
    expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'channel MSP roots: configuration block not read; keeping the roots held'],
      ['warn', 'channel MSP roots: configuration block not read; keeping the roots held'],
      ['error', 'channel MSP roots: the configuration block does not name this organisation; ignored'],
    ]);
  });

  it('when started with an interval, then it reads the block again on each tick until stopped', async () => {
    let reads = 0;
    const channel = new ChannelMspRoots(
      fromFile(),
      () => {
        reads += 1;
        return Promise.resolve(configBlock({ BankAMSP: orgs.bank.ca }));
      },
      'BankAMSP',
      memoryLogger().logger,
    );
    channel.start(20);
    await new Promise((r) => setTimeout(r, 150));
    await channel.stop();
    const atStop = reads;
    await new Promise((r) => setTimeout(r, 60));
    expect(atStop).to.be.within(3, 8);
    expect(reads).to.equal(atStop);
  });
});
