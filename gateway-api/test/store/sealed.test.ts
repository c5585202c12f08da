import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { z } from 'zod';
import type { GatewayDb } from '../../src/store/db';
import { SealedDataError, SealedStore } from '../../src/store/sealed';
import { tempDir } from '../helpers';

const Record = z.object({ subjectId: z.string(), amount: z.number() }).strict();
type Record = z.infer<typeof Record>;

describe('SealedStore', () => {
  let db: Level<string, unknown>;
  let cleanup: () => Promise<void>;
  let store: SealedStore<Record>;
  let raw: { get(k: string): Promise<Buffer>; put(k: string, v: Buffer): Promise<void> };
  const key = randomBytes(32);

  beforeEach(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    db = new Level<string, unknown>(path.join(tmp.dir, 'db'), { valueEncoding: 'json' });
    await db.open();
    store = new SealedStore<Record>({ db, name: 'records', key, schema: Record });
    raw = db.sublevel<string, Buffer>('records', { valueEncoding: 'buffer' });
  });
  afterEach(async () => {
    await db.close();
    await cleanup();
  });

  const rawBytes = (k: string): Promise<Buffer> => raw.get(k);

  it('when a value is stored, then it reads back and the stored bytes do not contain the plaintext', async () => {
    await store.put('r1', { subjectId: '11010519491231002X', amount: 42 });
    expect(await store.get('r1')).to.deep.equal({ subjectId: '11010519491231002X', amount: 42 });
    const bytes = await rawBytes('r1');
    expect(bytes[0]).to.equal(0x01);
    expect(bytes.includes(Buffer.from('11010519491231002X'))).to.equal(false);
    expect(bytes.includes(Buffer.from('subjectId'))).to.equal(false);
  });

  it('when the same value is stored twice, then the ciphertexts differ (random IV)', async () => {
    const value = { subjectId: 'x', amount: 1 };
    await store.put('a', value);
    const first = await rawBytes('a');
    await store.put('a', value);
    expect((await rawBytes('a')).equals(first)).to.equal(false);
  });

  it('when a ciphertext is copied to another key, then reading it fails with SealedDataError', async () => {
    await store.put('alice', { subjectId: 'alice', amount: 1 });
    await store.put('bob', { subjectId: 'bob', amount: 2 });
    await raw.put('bob', await rawBytes('alice'));
    let error: unknown;
    try {
      await store.get('bob');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(SealedDataError);
  });

  it('when a ciphertext is copied to another store under the same key, then it fails to open', async () => {
    const other = new SealedStore<Record>({ db, name: 'other', key });
    await store.put('k', { subjectId: 's', amount: 1 });
    expect(() => other.open('k', store.seal('k', { subjectId: 's', amount: 1 }))).to.throw(SealedDataError);
  });

  it('when a byte is flipped or the key is wrong, then it fails to open', () => {
    const sealed = store.seal('k', { subjectId: 's', amount: 1 });
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(() => store.open('k', flipped)).to.throw(SealedDataError);
    const wrongKey = new SealedStore<Record>({ db, name: 'records', key: randomBytes(32) });
    expect(() => wrongKey.open('k', sealed)).to.throw(SealedDataError);
  });

  it('when iterating by prefix, then only matching keys come back, in order, resumable after a key', async () => {
    for (const k of ['org1!b', 'org1!a', 'org2!a', 'org1!c']) await store.put(k, { subjectId: k, amount: 0 });
    const keys = async (opts: Parameters<typeof store.iterate>[0]): Promise<string[]> => {
      const out: string[] = [];
      for await (const [k] of store.iterate(opts)) out.push(k);
      return out;
    };
    expect(await keys({ prefix: 'org1!' })).to.deep.equal(['org1!a', 'org1!b', 'org1!c']);
    expect(await keys({ prefix: 'org1!', after: 'org1!a', limit: 1 })).to.deep.equal(['org1!b']);
    expect(await keys({ prefix: 'org1!', reverse: true })).to.deep.equal(['org1!c', 'org1!b', 'org1!a']);
  });

  it('when deleted, then get returns undefined; batch ops write atomically with other sublevels', async () => {
    await store.put('gone', { subjectId: 'g', amount: 0 });
    await store.del('gone');
    expect(await store.get('gone')).to.equal(undefined);
    const gatewayDb: GatewayDb = db;
    const index = gatewayDb.sublevel<string, string>('index', { valueEncoding: 'utf8' });
    await gatewayDb.batch([
      store.putOp('b1', { subjectId: 'b', amount: 5 }),
      { type: 'put', sublevel: index, key: 'b', value: 'b1' },
    ]);
    expect(await store.get('b1')).to.deep.equal({ subjectId: 'b', amount: 5 });
  });

  it('when the key is not 32 bytes, then the store refuses to construct', () => {
    expect(() => new SealedStore({ db, name: 'x', key: randomBytes(16) })).to.throw(RangeError);
  });
});
