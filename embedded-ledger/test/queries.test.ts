import { expect } from 'chai';
import { ChaincodeError, type Identity } from '../src';
import {
  issueIdentities,
  json,
  openTemporaryLedger,
  rejectionOf,
  removeDirectory,
  temporaryDirectory,
  type TemporaryLedger,
} from './support';

interface Page {
  ids: string[];
  hasMetadata: boolean;
  metadata: { fetchedRecordsCount: number; bookmark: string } | null;
}

describe('EmbeddedLedger queries', () => {
  let cryptoDirectory: string;
  let alice: Identity;
  let t: TemporaryLedger;

  before(async () => {
    cryptoDirectory = temporaryDirectory('crypto');
    ({ alice } = await issueIdentities(cryptoDirectory));
  });
  after(() => removeDirectory(cryptoDirectory));
  beforeEach(async () => {
    t = await openTemporaryLedger();
  });
  afterEach(() => t.dispose());

  async function createAssets(owner: string, ids: readonly string[]): Promise<void> {
    const proposals = await Promise.all(
      ids.map((id) => t.ledger.endorse(alice, 'Asset:CreateAsset', [owner, id, `value-${id}`])),
    );
    await t.ledger.commitBatch(proposals);
  }

  async function page(owner: string, pageSize: number, bookmark: string): Promise<Page> {
    return json<Page>(
      await t.ledger.evaluate(alice, 'Asset:PageAssets', [owner, String(pageSize), bookmark]),
    );
  }

  it('when assets are listed by partial composite key, then exactly the owner’s assets come back in key order', async () => {
    await createAssets('alice', ['a2', 'a1', 'a3']);
    await createAssets('alicia', ['x1']);
    await createAssets('al', ['y1']);
    expect(json(await t.ledger.evaluate(alice, 'Asset:ListAssets', ['alice']))).to.deep.equal([
      { id: 'a1', value: 'value-a1' },
      { id: 'a2', value: 'value-a2' },
      { id: 'a3', value: 'value-a3' },
    ]);
  });

  it('when an owner’s assets are paged, then every record comes exactly once and bookmarks are the next key', async () => {
    await createAssets('alice', ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    await createAssets('bob', ['b1']);
    const first = await page('alice', 3, '');
    expect(first).to.deep.equal({
      ids: ['a1', 'a2', 'a3'],
      hasMetadata: true,
      metadata: { fetchedRecordsCount: 3, bookmark: '\u0000asset\u0000alice\u0000a4\u0000' },
    });
    const second = await page('alice', 3, first.metadata!.bookmark);
    expect(second).to.deep.equal({
      ids: ['a4', 'a5', 'a6'],
      hasMetadata: true,
      metadata: { fetchedRecordsCount: 3, bookmark: '\u0000asset\u0000alice\u0000a7\u0000' },
    });
    const third = await page('alice', 3, second.metadata!.bookmark);
    expect(third).to.deep.equal({
      ids: ['a7'],
      hasMetadata: true,
      metadata: { fetchedRecordsCount: 1, bookmark: '' },
    });
  });

  it('when the last page is exactly full, then its bookmark is empty', async () => {
    await createAssets('alice', ['a1', 'a2', 'a3', 'a4']);
    await createAssets('bob', ['b1']);
    const first = await page('alice', 2, '');
    const second = await page('alice', 2, first.metadata!.bookmark);
    expect(second).to.deep.equal({
      ids: ['a3', 'a4'],
      hasMetadata: true,
      metadata: { fetchedRecordsCount: 2, bookmark: '' },
    });
  });

  it('when a page is empty, then the shim gives no metadata at all (zero-length metadata bytes)', async () => {
    await createAssets('bob', ['b1']);
    expect(await page('alice', 5, '')).to.deep.equal({ ids: [], hasMetadata: false, metadata: null });
  });

  it('when a paginated query follows a write in the same transaction, then the peer refuses it', async () => {
    const error = await rejectionOf(
      t.ledger.submit(alice, 'Asset:PutThenPage', ['k'], { transactionId: 'tx-p1' }),
    );
    expect(error).to.be.instanceOf(ChaincodeError);
    expect(error.message).to.equal(
      'GET_STATE_BY_RANGE failed: transaction ID: tx-p1: txid [tx-p1]: unsuppored transaction. ' +
        'Paginated queries are supported only in a read-only transaction',
    );
    expect(t.ledger.getBlockHeight()).to.equal(1);
  });

  it('when a write follows a paginated query in the same transaction, then the peer refuses the write', async () => {
    const error = await rejectionOf(
      t.ledger.submit(alice, 'Asset:PageThenPut', ['k'], { transactionId: 'tx-p2' }),
    );
    expect(error.message).to.equal(
      'PUT_STATE failed: transaction ID: tx-p2: txid [tx-p2]: unsuppored transaction. ' +
        'Transaction has already performed a paginated query. Writes are not allowed',
    );
  });

  it('when a range holds more than one batch, then the iterator fetches every batch in key order', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    await t.ledger.commitBatch(
      await Promise.all(keys.map((key) => t.ledger.endorse(alice, 'Asset:Put', [key, 'v']))),
    );
    expect(json(await t.ledger.evaluate(alice, 'Asset:RangeKeys', ['k', 'l']))).to.deep.equal(keys);
  });

  it('when a range exceeds totalQueryLimit, then results stop at the limit', async () => {
    await t.dispose();
    t = await openTemporaryLedger({ totalQueryLimit: 5 });
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    await t.ledger.commitBatch(
      await Promise.all(keys.map((key) => t.ledger.endorse(alice, 'Asset:Put', [key, 'v']))),
    );
    expect(json(await t.ledger.evaluate(alice, 'Asset:RangeKeys', ['k', 'l']))).to.deep.equal(
      keys.slice(0, 5),
    );
  });

  it('when keys mix BMP and supplementary characters, then ranges follow UTF-8 byte order like LevelDB', async () => {
    const keys = ['k\u{10000}', 'k\uffff', 'k\ue000', 'kz'];
    await t.ledger.commitBatch(
      await Promise.all(keys.map((key) => t.ledger.endorse(alice, 'Asset:Put', [key, 'v']))),
    );
    // UTF-16 order would put k\u{10000} (a surrogate pair) before k\ue000.
    expect(json(await t.ledger.evaluate(alice, 'Asset:RangeKeys', ['k', 'l']))).to.deep.equal([
      'kz',
      'k\ue000',
      'k\uffff',
      'k\u{10000}',
    ]);
  });

  it('when a plain range starts empty, then composite keys (U+0000 namespace) are skipped', async () => {
    await createAssets('alice', ['a1']);
    await t.ledger.submit(alice, 'Asset:Put', ['plain', 'v']);
    expect(json(await t.ledger.evaluate(alice, 'Asset:RangeKeys', ['', '']))).to.deep.equal(['plain']);
  });

  it('when a plain range bound starts with U+0000, then the shim refuses it with its message', async () => {
    const error = await rejectionOf(t.ledger.evaluate(alice, 'Asset:RangeKeys', ['\u0000asset', '']));
    expect(error.message).to.equal(
      'first character of the key [\u0000asset] contains a null character which is not allowed',
    );
    const endError = await rejectionOf(t.ledger.evaluate(alice, 'Asset:RangeKeys', ['a', '\u0000z']));
    expect(endError.message).to.equal(
      'first character of the key [\u0000z] contains a null character which is not allowed',
    );
  });
});
