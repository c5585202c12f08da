import { expect } from 'chai';
import { ChaincodeError, CommitError, LedgerClosedError, type Identity } from '../src';
import {
  CHANNEL,
  issueIdentities,
  json,
  openTemporaryLedger,
  rejectionOf,
  removeDirectory,
  temporaryDirectory,
  text,
  type TemporaryLedger,
  type TestIdentities,
} from './support';

describe('EmbeddedLedger transactions', () => {
  let cryptoDirectory: string;
  let ids: TestIdentities;
  let alice: Identity;
  let t: TemporaryLedger;

  before(async () => {
    cryptoDirectory = temporaryDirectory('crypto');
    ids = await issueIdentities(cryptoDirectory);
    alice = ids.alice;
  });
  after(() => removeDirectory(cryptoDirectory));
  beforeEach(async () => {
    t = await openTemporaryLedger();
  });
  afterEach(() => t.dispose());

  it('when a fresh ledger opens, then it holds only the genesis block 0', async () => {
    expect(t.ledger.getBlockHeight()).to.equal(1);
    const genesis = await t.ledger.getBlock(0);
    expect(genesis).to.deep.include({ number: 0, previousHash: '', transactions: [] });
    expect(await t.ledger.getBlock(1)).to.equal(undefined);
  });

  it('when a value is submitted, then a later evaluate reads it and the transaction is VALID in block 1', async () => {
    const result = await t.ledger.submit(alice, 'Asset:Put', ['k1', 'v1']);
    expect(result.status).to.deep.equal({
      transactionId: result.transactionId,
      blockNumber: 1,
      validationCode: 'VALID',
      successful: true,
    });
    expect(text(await t.ledger.evaluate(alice, 'Asset:Get', ['k1']))).to.equal('v1');
    expect(await t.ledger.getTransaction(result.transactionId)).to.deep.equal({
      transactionId: result.transactionId,
      blockNumber: 1,
      transactionNumber: 0,
      validationCode: 'VALID',
    });
    expect(t.ledger.getBlockHeight()).to.equal(2);
  });

  it('when a transaction reads a key it wrote, then it sees the committed value, not its own write', async () => {
    const fresh = json(await t.ledger.evaluate(alice, 'Asset:PutThenGet', ['new-key', 'mine']));
    expect(fresh).to.deep.equal({ before: '', after: '' });
    await t.ledger.submit(alice, 'Asset:Put', ['old-key', 'committed']);
    const existing = await t.ledger.submit(alice, 'Asset:PutThenGet', ['old-key', 'mine']);
    expect(json(existing.payload)).to.deep.equal({ before: 'committed', after: 'committed' });
    expect(text(await t.ledger.evaluate(alice, 'Asset:Get', ['old-key']))).to.equal('mine');
  });

  it('when a transaction is only evaluated, then nothing is recorded', async () => {
    await t.ledger.evaluate(alice, 'Asset:Put', ['k', 'v']);
    expect(t.ledger.getBlockHeight()).to.equal(1);
    const error = await rejectionOf(t.ledger.evaluate(alice, 'Asset:Get', ['k']));
    expect(error.message).to.equal('NOT_FOUND: k does not exist');
  });

  it('when an endorsement is made, then the proposal carries reads with versions, sorted writes and the event', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['counter', '41']);
    const proposal = await t.ledger.endorse(alice, 'Asset:Increment', ['counter'], {
      transactionId: 'tx-increment',
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
    });
    expect(proposal).to.deep.include({
      transactionId: 'tx-increment',
      channelName: CHANNEL,
      chaincodeName: 'assets',
      functionName: 'Asset:Increment',
      args: ['counter'],
      creatorMspId: 'Org1MSP',
      timestamp: '2026-01-02T03:04:05.678Z',
    });
    expect(text(proposal.payload)).to.equal('42');
    expect(proposal.readWriteSet.reads).to.deep.equal([
      { key: 'counter', version: { blockNum: 1, txNum: 0 } },
    ]);
    expect(proposal.readWriteSet.rangeQueries).to.deep.equal([]);
    expect(proposal.readWriteSet.writes).to.deep.equal([
      { key: 'counter', isDelete: false, value: Buffer.from('42') },
    ]);
    expect(proposal.event).to.deep.equal({ eventName: 'Incremented', payload: Buffer.from('42') });
    expect(t.ledger.getBlockHeight(), 'endorsing must not commit').to.equal(2);
  });

  it('when a key is deleted, then it reads as absent and the write set records a delete', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['gone', 'soon']);
    const proposal = await t.ledger.endorse(alice, 'Asset:Delete', ['gone']);
    expect(proposal.readWriteSet.writes).to.deep.equal([
      { key: 'gone', isDelete: true, value: Buffer.alloc(0) },
    ]);
    await t.ledger.commit(proposal);
    const error = await rejectionOf(t.ledger.evaluate(alice, 'Asset:Get', ['gone']));
    expect(error.message).to.equal('NOT_FOUND: gone does not exist');
  });

  it('when a key has been written, updated and deleted, then its history is newest first with txIds and timestamps', async () => {
    const times = ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.500Z', '2026-01-01T00:00:03.000Z'];
    const first = await t.ledger.submit(alice, 'Asset:Put', ['h', 'one'], { timestamp: new Date(times[0]!) });
    const second = await t.ledger.submit(alice, 'Asset:Put', ['h', 'two'], {
      timestamp: new Date(times[1]!),
    });
    const third = await t.ledger.submit(alice, 'Asset:Delete', ['h'], { timestamp: new Date(times[2]!) });
    await t.ledger.submit(alice, 'Asset:Put', ['h2', 'other']);
    const history = json(await t.ledger.evaluate(alice, 'Asset:History', ['h']));
    expect(history).to.deep.equal([
      { txId: third.transactionId, value: '', isDelete: true, timestamp: { seconds: 1767225603, nanos: 0 } },
      {
        txId: second.transactionId,
        value: 'two',
        isDelete: false,
        timestamp: { seconds: 1767225602, nanos: 500_000_000 },
      },
      {
        txId: first.transactionId,
        value: 'one',
        isDelete: false,
        timestamp: { seconds: 1767225601, nanos: 0 },
      },
    ]);
  });

  it('when the contract throws, then the ChaincodeError message is the thrown message verbatim with status 500', async () => {
    const message = 'NOT_FOUND: asset a-1 does not exist: "quoted" and: colons';
    const error = await rejectionOf(
      t.ledger.submit(alice, 'Asset:Fail', [message], { transactionId: 'tx-fail' }),
    );
    expect(error).to.be.instanceOf(ChaincodeError);
    expect(error.message).to.equal(message);
    expect((error as ChaincodeError).status).to.equal(500);
    expect((error as ChaincodeError).transactionId).to.equal('tx-fail');
    expect(t.ledger.getBlockHeight(), 'a failed endorsement must not reach a block').to.equal(1);
    expect(await t.ledger.getTransaction('tx-fail')).to.equal(undefined);
  });

  it('when the function, the contract or the argument count is wrong, then the contract API messages come back', async () => {
    const unknownFunction = await rejectionOf(t.ledger.evaluate(alice, 'Asset:Nope', []));
    expect(unknownFunction.message).to.equal(
      "You've asked to invoke a function that does not exist: Asset:Nope",
    );
    const unknownContract = await rejectionOf(t.ledger.evaluate(alice, 'Nope:Get', ['k']));
    expect(unknownContract.message).to.equal('Contract name is not known: Nope');
    const wrongCount = await rejectionOf(t.ledger.evaluate(alice, 'Asset:Put', ['only-one']));
    expect(wrongCount.message).to.equal('Expected 2 parameters, but 1 have been supplied');
  });

  it('when no contract name is given, then the default (first) contract is used', async () => {
    await t.ledger.submit(alice, 'Put', ['plain', 'routed']);
    expect(text(await t.ledger.evaluate(alice, 'Get', ['plain']))).to.equal('routed');
  });

  it('when the stub is asked for transaction facts, then it answers as fabric-shim does', async () => {
    const info = json<Record<string, unknown>>(
      await t.ledger.evaluate(alice, 'Asset:TxInfo', [], {
        transactionId: 'tx-info',
        timestamp: new Date('2026-02-03T04:05:06.789Z'),
        transient: { secret: Buffer.from('s') },
      }),
    );
    expect(info).to.deep.include({
      txId: 'tx-info',
      channelId: CHANNEL,
      secondsIsUnsignedLong: true,
      seconds: 1770091506,
      nanos: 789_000_000,
      date: '2026-02-03T04:05:06.789Z',
      functionAndParameters: { fcn: 'Asset:TxInfo', params: [] },
      transientKeys: ['secret'],
    });
    expect(info.binding).to.match(/^[0-9a-f]{64}$/);
  });

  it('when no transaction ID is given, then it is the hex SHA-256 Fabric derives from nonce and creator', async () => {
    const proposal = await t.ledger.endorse(alice, 'Asset:Put', ['k', 'v']);
    expect(proposal.transactionId).to.match(/^[0-9a-f]{64}$/);
    const other = await t.ledger.endorse(alice, 'Asset:Put', ['k', 'v']);
    expect(other.transactionId).to.not.equal(proposal.transactionId);
  });

  it('when the ledger has no rich queries, then getQueryResult fails with the LevelDB peer message', async () => {
    const error = await rejectionOf(
      t.ledger.evaluate(alice, 'Asset:Rich', ['{}'], { transactionId: 'tx-rich' }),
    );
    expect(error.message).to.equal(
      'GET_QUERY_RESULT failed: transaction ID: tx-rich: ExecuteQuery not supported for leveldb',
    );
  });

  it('when a submit is invalidated at commit, then submit throws a CommitError naming the code', async () => {
    await t.ledger.submit(alice, 'Asset:Put', ['c', '1']);
    const racer = await t.ledger.endorse(alice, 'Asset:Increment', ['c']);
    const pending = t.ledger.submit(alice, 'Asset:Increment', ['c'], { transactionId: 'tx-loser' });
    await t.ledger.commit(racer);
    const error = await rejectionOf(pending);
    // The loser's simulation held the commit lock's shared side, so it read c before the racer's block.
    expect(error).to.be.instanceOf(CommitError);
    expect(error).to.deep.include({ transactionId: 'tx-loser', code: 'MVCC_READ_CONFLICT', blockNumber: 3 });
    expect(error.message).to.equal(
      'Transaction tx-loser failed to commit with status code 11 (MVCC_READ_CONFLICT)',
    );
    expect(text(await t.ledger.evaluate(alice, 'Asset:Get', ['c']))).to.equal('2');
  });

  it('when the ledger is closed, then new work is refused with LedgerClosedError', async () => {
    await t.ledger.close();
    const evaluateError = await rejectionOf(t.ledger.evaluate(alice, 'Asset:Get', ['k']));
    expect(evaluateError).to.be.instanceOf(LedgerClosedError);
    const blockError = await rejectionOf(t.ledger.getBlock(0));
    expect(blockError).to.be.instanceOf(LedgerClosedError);
  });
});
