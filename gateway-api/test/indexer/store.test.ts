import { expect } from 'chai';
import { Level } from 'level';
import { GET_MANY_GROUP, LevelIndexStore } from '../../src/indexer/store';
import { tempDir } from '../helpers';

describe('index store', () => {
  it('when many keys are read at once, then the values come back in the order asked, absent keys as undefined, however the reads are split', async () => {
    const { dir, cleanup } = await tempDir();
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      const store = new LevelIndexStore({ db });
      // Keys k00..k99; every third one is written.
      const key = (i: number): string => `k${String(i).padStart(2, '0')}`;
      const written: { type: 'put'; key: string; value: unknown }[] = [];
      for (let i = 0; i < 100; i += 3) written.push({ type: 'put', key: key(i), value: { n: i } });
      await store.write(written);
      const expected = (i: number): { n: number } | undefined => (i % 3 === 0 ? { n: i } : undefined);

      // Sizes at and around the split: one call, two groups, the most groups, more keys than groups.
      for (const size of [1, GET_MANY_GROUP, GET_MANY_GROUP + 1, 4 * GET_MANY_GROUP + 1, 100]) {
        // A reversed, interleaved order: the answer follows the request, not the key order.
        const indexes = Array.from({ length: size }, (_, j) => (j * 37) % 100).reverse();
        const values = await store.getMany<{ n: number }>(indexes.map(key));
        expect(values, `${size} keys`).to.deep.equal(indexes.map(expected));
      }
      expect(await store.getMany([])).to.deep.equal([]);
    } finally {
      await db.close();
      await cleanup();
    }
  });
});
