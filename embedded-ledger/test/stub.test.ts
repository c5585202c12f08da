import { join } from 'node:path';
import { expect } from 'chai';
import { TransactionSimulator } from '../src/simulator';
import { LedgerStore } from '../src/store';
import { EmbeddedChaincodeStub } from '../src/stub';
import { rejectionOf, removeDirectory, temporaryDirectory } from './support';

describe('EmbeddedChaincodeStub', () => {
  let directory: string;
  let store: LedgerStore;
  let simulator: TransactionSimulator;
  let stub: EmbeddedChaincodeStub;

  beforeEach(async () => {
    directory = temporaryDirectory('stub');
    store = await LedgerStore.open({
      location: join(directory, 'ledger'),
      channelName: 'ch',
      chaincodeName: 'cc',
    });
    simulator = new TransactionSimulator({ store, transactionId: 'tx-stub', totalQueryLimit: 100_000 });
    stub = new EmbeddedChaincodeStub({
      simulator,
      channelName: 'ch',
      transactionId: 'tx-stub',
      args: [Buffer.from('Asset:Do'), Buffer.from('a'), Buffer.from('b')],
      creator: { mspid: 'Org1MSP', idBytes: Buffer.from('cert') },
      timestamp: { seconds: 1, nanos: 2 },
      transient: new Map(),
      binding: 'binding',
    });
  });
  afterEach(async () => {
    await simulator.done();
    await store.close();
    removeDirectory(directory);
  });

  it('when a value is empty, undefined or a string, then putState writes what a peer would receive', async () => {
    await stub.putState('empty', Buffer.alloc(0));
    await stub.putState('missing', undefined as unknown as Uint8Array);
    await stub.putState('text', 'héllo');
    expect(simulator.results().writes).to.deep.equal([
      { key: 'empty', isDelete: true, value: Buffer.alloc(0) },
      { key: 'missing', isDelete: true, value: Buffer.alloc(0) },
      { key: 'text', isDelete: false, value: Buffer.from('héllo', 'utf8') },
    ]);
  });

  it('when a key is absent, then getState resolves an empty buffer and records a read without version', async () => {
    const value = await stub.getState('nothing');
    expect(Buffer.isBuffer(value) && value.length).to.equal(0);
    expect(simulator.results().reads).to.deep.equal([{ key: 'nothing', version: null }]);
  });

  it('when a key holds a lone surrogate, then it reaches the peer as protobuf’s JavaScript encoder sends it', async () => {
    await stub.putState('a\ud800b', Buffer.from('dropped high surrogate'));
    expect(simulator.results().writes.map((w) => w.key)).to.deep.equal(['ab']);
    const error = await rejectionOf(stub.putState('x\udc00', Buffer.from('v')));
    expect(error.message).to.equal(
      'PUT_STATE failed: transaction ID: tx-stub: unmarshal failed: string field contains invalid UTF-8',
    );
  });

  it('when events are set twice, then only the last one is kept, and a string payload is read as base64', () => {
    stub.setEvent('First', Buffer.from('1'));
    stub.setEvent('Second', 'aGk=' as unknown as Uint8Array);
    expect(stub.chaincodeEvent).to.deep.equal({ eventName: 'Second', payload: Buffer.from('hi') });
    expect(() => stub.setEvent('', Buffer.from('x'))).to.throw('Event name must be a non-empty string');
  });

  it('when arguments are asked for, then they come as the shim gives them', () => {
    expect(stub.getFunctionAndParameters()).to.deep.equal({ fcn: 'Asset:Do', params: ['a', 'b'] });
    expect(stub.getArgs()).to.deep.equal(['Asset:Do', 'a', 'b']);
    expect(stub.getBufferArgs()).to.deep.equal([Buffer.from('Asset:Do'), Buffer.from('a'), Buffer.from('b')]);
    expect(stub.getCreator()).to.deep.equal({ mspid: 'Org1MSP', idBytes: Buffer.from('cert') });
    expect(stub.getDateTimestamp().toISOString()).to.equal('1970-01-01T00:00:01.000Z');
  });

  it('when private data or chaincode-to-chaincode calls are used, then they are refused as not supported', async () => {
    const error = await rejectionOf(stub.getPrivateData('collection', 'k'));
    expect(error.message).to.equal('getPrivateData is not supported in embedded ledger');
    const invoke = await rejectionOf(stub.invokeChaincode('other', [], ''));
    expect(invoke.message).to.equal('invokeChaincode is not supported in embedded ledger');
  });

  it('when the simulation is done, then further stub calls fail as on a peer without ledger context', async () => {
    await simulator.done();
    const error = await rejectionOf(stub.getState('k'));
    expect(error.message).to.equal('GET_STATE failed: transaction ID: tx-stub: no ledger context');
  });
});
