import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { MerkleTree, leafHash } from '@ruralcredit/protocol';
import {
  BatchFinaliser,
  LEAF_CHUNK,
  RecordStoreImpl,
  UploadStaging,
  provenanceSublevels,
} from '../../src/provenance/record-store';
import { SealedStore } from '../../src/store/sealed';
import { tempDir } from '../helpers';

describe('provenance record store', () => {
  let db: Level<string, unknown>;
  let cleanup: () => Promise<void>;
  const key = randomBytes(32);
  const SUBJECT = Buffer.alloc(32, 7);

  before(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    db = new Level<string, unknown>(path.join(t.dir, 'db'), { valueEncoding: 'json' });
    await db.open();
  });
  after(async () => {
    await db.close();
    await cleanup();
  });

  const levels = () =>
    provenanceSublevels({
      db: db,
      sealedStore: <T>(name: string) => new SealedStore<T>({ db: db, name, key }),
    });

  for (const size of [1, 2, LEAF_CHUNK - 1, LEAF_CHUNK, LEAF_CHUNK + 1, 3 * LEAF_CHUNK + 5]) {
    it(`when a batch of ${size} records is stored in chunks, then every proof equals the whole tree's`, async () => {
      const records = Array.from({ length: size }, (_, i) => ({ n: i, tag: `r${size}` }));
      const tree = MerkleTree.fromRecords(records);
      const staging = new UploadStaging(db, levels(), `upl-${size}`);
      const leaves = Buffer.concat(records.map((r) => leafHash(r)));
      for (const [i, r] of records.entries()) await staging.addRecord(i, r, SUBJECT);
      await staging.finishRecords();
      expect(await staging.writeTree(leaves)).to.equal(tree.rootHex());
      await new BatchFinaliser(levels()).finalise({
        batchId: `b-${size}`,
        uploadId: `upl-${size}`,
        datasetType: 'HOMESTEAD',
        merkleRoot: tree.rootHex(),
        recordCount: size,
        anchoredAt: '2026-11-01T00:00:00Z',
        txId: 'tx',
        blockNumber: 1,
      });
      const store = new RecordStoreImpl(levels());
      const probes = [
        ...new Set([0, 1, LEAF_CHUNK - 1, LEAF_CHUNK, LEAF_CHUNK + 1, size - 2, size - 1]),
      ].filter((i) => i >= 0 && i < size);
      for (const i of probes) {
        const stored = await store.recordAt(`b-${size}`, i);
        expect(stored?.proof, `leaf ${i}`).to.deep.equal(tree.proof(i));
        expect(stored?.record).to.deep.equal(records[i]);
      }
      expect(await store.recordAt(`b-${size}`, size)).to.equal(undefined);
    });
  }

  it('when an upload is discarded, then none of its keys remain', async () => {
    const staging = new UploadStaging(db, levels(), 'upl-discard');
    await staging.begin();
    for (let i = 0; i < 1500; i++) await staging.addRecord(i, { i }, SUBJECT);
    await staging.finishRecords();
    await staging.writeTree(Buffer.alloc(1500 * 32, 1));
    await staging.discard();
    const l = levels();
    let left = 0;
    const range = { gte: 'upl-discard!', lt: 'upl-discard"' };
    for await (const _ of l.recordsRaw.keys(range)) left += 1;
    for await (const _ of l.tree.keys(range)) left += 1;
    for await (const _ of l.intents.keys()) left += 1;
    expect(left).to.equal(0);
    expect(await new RecordStoreImpl(l).recordAt('b-1', 0)).to.not.equal(undefined);
  });
});
