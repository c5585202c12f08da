import { expect } from 'chai';
import { blockHeaderHash, computeDataHash, type Block, type ChaincodeEvent, type Identity } from '../src';
import {
  CHAINCODE,
  issueIdentities,
  openTemporaryLedger,
  removeDirectory,
  temporaryDirectory,
  type TemporaryLedger,
} from './support';

/** Takes `count` items from an async iterable, then leaves the loop (which closes the stream). */
async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  if (count === 0) return items;
  for await (const item of iterable) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

function summary(event: ChaincodeEvent): [number, string, string, string] {
  return [
    event.blockNumber,
    event.transactionId,
    event.eventName,
    Buffer.from(event.payload).toString('utf8'),
  ];
}

describe('EmbeddedLedger blocks and events', () => {
  let cryptoDirectory: string;
  let alice: Identity;
  let bob: Identity;
  let t: TemporaryLedger;

  before(async () => {
    cryptoDirectory = temporaryDirectory('crypto');
    ({ alice, bob } = await issueIdentities(cryptoDirectory));
  });
  after(() => removeDirectory(cryptoDirectory));
  beforeEach(async () => {
    t = await openTemporaryLedger();
  });
  afterEach(() => t.dispose());

  it('when blocks are committed, then each records its predecessor’s header hash and the hash of its transactions', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['a', '1'], {
      timestamp: new Date('2026-01-01T00:00:00.000Z'),
    });
    await t.ledger.submit(bob, 'Asset:CreateAsset', ['bob', 'b1', 'x'], { transactionId: 'tx-b1' });
    const blocks = await take(t.ledger.blocks(), 3);
    expect(blocks.map((b) => b.number)).to.deep.equal([0, 1, 2]);
    for (const block of blocks) {
      expect(block.dataHash).to.equal(computeDataHash(block.transactions));
    }
    expect(blocks[1]!.previousHash).to.equal(blockHeaderHash(blocks[0]!));
    expect(blocks[2]!.previousHash).to.equal(blockHeaderHash(blocks[1]!));
    expect(blocks[1]!.transactions[0]).to.deep.include({
      creatorMspId: 'Org1MSP',
      timestamp: '2026-01-01T00:00:00.000Z',
      functionName: 'Asset:Put',
      validationCode: 'VALID',
      writes: [{ key: 'a', isDelete: false, value: Buffer.from('1').toString('base64') }],
    });
    expect(blocks[2]!.transactions[0]).to.deep.include({
      transactionId: 'tx-b1',
      creatorMspId: 'Org2MSP',
      event: {
        eventName: 'AssetCreated',
        payload: Buffer.from('{"owner":"bob","id":"b1"}').toString('base64'),
      },
    });
  });

  it('when a transaction is invalid, then its event is in the block but not among the chaincode events', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['n', '0'], { transactionId: 'tx-setup' });
    const winner = await t.ledger.endorse(alice, 'Asset:Increment', ['n'], { transactionId: 'tx-win' });
    const loser = await t.ledger.endorse(bob, 'Asset:Increment', ['n'], { transactionId: 'tx-lose' });
    await t.ledger.commit(winner);
    await t.ledger.commit(loser);
    await t.ledger.submit(alice, 'Asset:TwoEvents', [], { transactionId: 'tx-two' });
    const invalid = await t.ledger.getBlock(3);
    expect(invalid?.transactions[0]).to.deep.include({
      validationCode: 'MVCC_READ_CONFLICT',
      event: { eventName: 'Incremented', payload: Buffer.from('1').toString('base64') },
    });
    const events = await take(t.ledger.chaincodeEvents(), 2);
    expect(events.map(summary)).to.deep.equal([
      [2, 'tx-win', 'Incremented', '1'],
      [4, 'tx-two', 'Second', '2'],
    ]);
    expect(events[0]!.chaincodeName).to.equal(CHAINCODE);
  });

  it('when events are replayed from an earlier block, then earlier blocks are skipped and new events follow live', async () => {
    await t.ledger.submit(alice, 'Asset:CreateAsset', ['alice', 'a1', 'x'], { transactionId: 'tx-1' });
    await t.ledger.submit(alice, 'Asset:CreateAsset', ['alice', 'a2', 'x'], { transactionId: 'tx-2' });
    await t.ledger.submit(alice, 'Asset:CreateAsset', ['alice', 'a3', 'x'], { transactionId: 'tx-3' });
    const stream = t.ledger.chaincodeEvents({ startBlock: 2 });
    const received = take(stream, 3);
    await t.ledger.submit(bob, 'Asset:CreateAsset', ['bob', 'b1', 'x'], { transactionId: 'tx-live' });
    expect((await received).map(summary)).to.deep.equal([
      [2, 'tx-2', 'AssetCreated', '{"owner":"alice","id":"a2"}'],
      [3, 'tx-3', 'AssetCreated', '{"owner":"alice","id":"a3"}'],
      [4, 'tx-live', 'AssetCreated', '{"owner":"bob","id":"b1"}'],
    ]);
  });

  it('when a block stream waits beyond the height, then it delivers the block once committed', async () => {
    const stream = t.ledger.blocks({ startBlock: 1 });
    const next = take(stream, 1);
    await t.ledger.submit(alice, 'Asset:Put', ['late', 'x'], { transactionId: 'tx-late' });
    const [block] = await next;
    expect(block?.number).to.equal(1);
    expect(block?.transactions.map((tx) => tx.transactionId)).to.deep.equal(['tx-late']);
  });

  it('when the ledger closes, then waiting streams end', async () => {
    const blocks: Block[] = [];
    const consumed = (async () => {
      for await (const block of t.ledger.blocks()) blocks.push(block);
      return 'ended';
    })();
    const events = (async () => {
      let count = 0;
      for await (const _event of t.ledger.chaincodeEvents({ startBlock: 5 })) count++;
      return count;
    })();
    await t.ledger.submit(alice, 'Asset:Put', ['x', '1']);
    while (blocks.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await t.ledger.close();
    expect(await consumed).to.equal('ended');
    expect(await events).to.equal(0);
    expect(blocks.map((b) => b.number)).to.deep.equal([0, 1]);
  });

  it('when the consumer closes a stream, then a pending read ends', async () => {
    const stream = t.ledger.blocks({ startBlock: 10 });
    const iterator = stream[Symbol.asyncIterator]();
    const pending = iterator.next();
    stream.close();
    expect(await pending).to.deep.equal({ done: true, value: undefined });
  });
});
