import { expect } from 'chai';
import { DuplicateTransactionError, type Identity } from '../src';
import {
  issueIdentities,
  openTemporaryLedger,
  rejectionOf,
  removeDirectory,
  temporaryDirectory,
  text,
  type TemporaryLedger,
} from './support';

describe('EmbeddedLedger commit validation', () => {
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

  async function value(key: string): Promise<string> {
    return text(await t.ledger.evaluate(alice, 'Asset:Get', [key]));
  }

  it('when two endorsements read and write the same key, then the second commit is MVCC_READ_CONFLICT and changes nothing', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['counter', '10']);
    const first = await t.ledger.endorse(alice, 'Asset:Increment', ['counter']);
    const second = await t.ledger.endorse(bob, 'Asset:Increment', ['counter']);
    expect(await t.ledger.commit(first)).to.deep.equal({
      transactionId: first.transactionId,
      blockNumber: 2,
      validationCode: 'VALID',
      successful: true,
    });
    expect(await t.ledger.commit(second)).to.deep.equal({
      transactionId: second.transactionId,
      blockNumber: 3,
      validationCode: 'MVCC_READ_CONFLICT',
      successful: false,
    });
    expect(await value('counter')).to.equal('11');
    const block = await t.ledger.getBlock(3);
    expect(block?.transactions.map((tx) => [tx.transactionId, tx.validationCode])).to.deep.equal([
      [second.transactionId, 'MVCC_READ_CONFLICT'],
    ]);
    expect(await t.ledger.getTransaction(second.transactionId)).to.deep.include({
      blockNumber: 3,
      validationCode: 'MVCC_READ_CONFLICT',
    });
    const history = JSON.parse(
      text(await t.ledger.evaluate(alice, 'Asset:History', ['counter'])),
    ) as unknown[];
    expect(history, 'an invalid transaction leaves no history').to.have.length(2);
  });

  it('when a read key did not exist and was created before commit, then MVCC_READ_CONFLICT', async () => {
    const reader = await t.ledger.endorse(alice, 'Asset:Increment', ['fresh']);
    expect(reader.readWriteSet.reads).to.deep.equal([{ key: 'fresh', version: null }]);
    await t.ledger.submit(bob, 'Asset:Put', ['fresh', '100']);
    expect((await t.ledger.commit(reader)).validationCode).to.equal('MVCC_READ_CONFLICT');
    expect(await value('fresh')).to.equal('100');
  });

  it('when conflicting transactions share one block, then the later one conflicts with the earlier valid one', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['counter', '0']);
    const a = await t.ledger.endorse(alice, 'Asset:Increment', ['counter']);
    const b = await t.ledger.endorse(bob, 'Asset:Increment', ['counter']);
    const blind = await t.ledger.endorse(bob, 'Asset:Put', ['other', 'x']);
    const statuses = await t.ledger.commitBatch([a, b, blind]);
    expect(statuses.map((s) => [s.blockNumber, s.validationCode])).to.deep.equal([
      [2, 'VALID'],
      [2, 'MVCC_READ_CONFLICT'],
      [2, 'VALID'],
    ]);
    expect(await value('counter')).to.equal('1');
    expect(await value('other')).to.equal('x');
    const proposal = await t.ledger.endorse(alice, 'Asset:Increment', ['other']);
    expect(
      proposal.readWriteSet.reads,
      'the third transaction of block 2 wrote version (2, 2)',
    ).to.deep.equal([{ key: 'other', version: { blockNum: 2, txNum: 2 } }]);
  });

  it('when a key is added inside a range read before commit, then PHANTOM_READ_CONFLICT and no state change', async () => {
    await t.ledger.submit(alice, 'Asset:CreateAsset', ['alice', 'a1', '1']);
    const counter = await t.ledger.endorse(alice, 'Asset:CountAssets', ['alice', 'alice-count']);
    expect(text(counter.payload)).to.equal('1');
    expect(counter.readWriteSet.rangeQueries).to.have.length(1);
    expect(counter.readWriteSet.rangeQueries[0]).to.deep.include({
      startKey: '\u0000asset\u0000alice\u0000',
      endKey: '\u0000asset\u0000alice\u0000\u{10ffff}',
      itrExhausted: true,
    });
    await t.ledger.submit(bob, 'Asset:CreateAsset', ['alice', 'a2', '2']);
    expect((await t.ledger.commit(counter)).validationCode).to.equal('PHANTOM_READ_CONFLICT');
    const error = await rejectionOf(t.ledger.evaluate(alice, 'Asset:Get', ['alice-count']));
    expect(error.message).to.equal('NOT_FOUND: alice-count does not exist');
  });

  it('when a key inside a range read is updated before commit, then PHANTOM_READ_CONFLICT', async () => {
    await t.ledger.submit(alice, 'Asset:CreateAsset', ['alice', 'a1', '1']);
    const counter = await t.ledger.endorse(alice, 'Asset:CountAssets', ['alice', 'alice-count']);
    await t.ledger.submit(bob, 'Asset:CreateAsset', ['alice', 'a1', 'changed']);
    expect((await t.ledger.commit(counter)).validationCode).to.equal('PHANTOM_READ_CONFLICT');
  });

  it('when a key outside the range read changes, then the range reader is VALID', async () => {
    await t.ledger.submit(alice, 'Asset:CreateAsset', ['alice', 'a1', '1']);
    const counter = await t.ledger.endorse(alice, 'Asset:CountAssets', ['alice', 'alice-count']);
    await t.ledger.submit(bob, 'Asset:CreateAsset', ['alicia', 'x1', '1']);
    await t.ledger.submit(bob, 'Asset:CreateAsset', ['al', 'x2', '1']);
    expect((await t.ledger.commit(counter)).validationCode).to.equal('VALID');
    expect(await value('alice-count')).to.equal('1');
  });

  it('when a range is read only partly, then phantoms count up to what the peer fetched in its first batch of 100', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => `r${String(i * 10).padStart(5, '0')}`);
    const setup = await Promise.all(keys.map((key) => t.ledger.endorse(alice, 'Asset:Put', [key, 'v'])));
    await t.ledger.commitBatch(setup);
    const nearReader = await t.ledger.endorse(alice, 'Asset:FirstInRange', ['r', 's', 'first-near']);
    const farReader = await t.ledger.endorse(alice, 'Asset:FirstInRange', ['r', 's', 'first-far']);
    expect(text(nearReader.payload)).to.equal('r00000');
    // The peer read 101 results (a batch of 100 plus the one that cut it): r00000 .. r01000.
    expect(nearReader.readWriteSet.rangeQueries[0]).to.deep.include({
      startKey: 'r',
      endKey: 'r01000',
      itrExhausted: false,
    });
    expect(nearReader.readWriteSet.rangeQueries[0]!.reads).to.have.length(101);
    await t.ledger.submit(bob, 'Asset:Put', ['r00995', 'inserted inside the fetched range']);
    expect((await t.ledger.commit(nearReader)).validationCode).to.equal('PHANTOM_READ_CONFLICT');
    const farReaderAgain = await t.ledger.endorse(alice, 'Asset:FirstInRange', ['r', 's', 'first-far']);
    await t.ledger.submit(bob, 'Asset:Put', ['r01005', 'inserted after the fetched range']);
    expect((await t.ledger.commit(farReaderAgain)).validationCode).to.equal('VALID');
    expect(
      (await t.ledger.commit(farReader)).validationCode,
      'farReader saw the range before r00995',
    ).to.equal('PHANTOM_READ_CONFLICT');
  });

  it('when a transaction ID is reused, then endorsement is refused and a second commit is DUPLICATE_TXID', async () => {
    const original = await t.ledger.submit(alice, 'Asset:Put', ['d', 'first'], { transactionId: 'dup-1' });
    const refused = await rejectionOf(
      t.ledger.endorse(bob, 'Asset:Put', ['d', 'second'], { transactionId: 'dup-1' }),
    );
    expect(refused).to.be.instanceOf(DuplicateTransactionError);
    expect(refused.message).to.match(/^duplicate transaction found \[dup-1\]\. Creator \[[0-9a-f]+\]$/);

    const one = await t.ledger.endorse(alice, 'Asset:Put', ['e', 'one'], { transactionId: 'dup-2' });
    const two = await t.ledger.endorse(bob, 'Asset:Put', ['e', 'two'], { transactionId: 'dup-2' });
    expect((await t.ledger.commit(one)).validationCode).to.equal('VALID');
    expect(await t.ledger.commit(two)).to.deep.equal({
      transactionId: 'dup-2',
      blockNumber: 3,
      validationCode: 'DUPLICATE_TXID',
      successful: false,
    });
    expect(await value('e')).to.equal('one');
    expect(await t.ledger.getTransaction('dup-2'), 'the index keeps the first occurrence').to.deep.equal({
      transactionId: 'dup-2',
      blockNumber: 2,
      transactionNumber: 0,
      validationCode: 'VALID',
    });
    expect(original.status.blockNumber).to.equal(1);
  });

  it('when the same transaction ID appears twice in one block, then the second is DUPLICATE_TXID', async () => {
    const one = await t.ledger.endorse(alice, 'Asset:Put', ['f', 'one'], { transactionId: 'same' });
    const two = await t.ledger.endorse(bob, 'Asset:Put', ['f', 'two'], { transactionId: 'same' });
    const statuses = await t.ledger.commitBatch([one, two]);
    expect(statuses.map((s) => s.validationCode)).to.deep.equal(['VALID', 'DUPLICATE_TXID']);
    expect(await value('f')).to.equal('one');
  });

  it('when a proposal targets another chaincode, then commit refuses it without cutting a block', async () => {
    const proposal = await t.ledger.endorse(alice, 'Asset:Put', ['g', 'x']);
    const error = await rejectionOf(t.ledger.commit({ ...proposal, chaincodeName: 'other' }));
    expect(error.message).to.equal(
      `transaction ${proposal.transactionId} targets testchannel/other, not testchannel/assets`,
    );
    expect(t.ledger.getBlockHeight()).to.equal(1);
  });
});
