import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { cacheTuning, openDatabase, openFileLimit, RESERVED_FILES } from '../../src/store/db';
import { tempDir } from '../helpers';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            4096                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('store/db: LevelDB cache settings', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('when /proc/self/limits is read, then the open-file limit is its soft limit', () => {
    const file = path.join(dir, 'limits');
    writeFileSync(file, LIMITS);
    expect(openFileLimit(file)).to.equal(4096);
    writeFileSync(file, LIMITS.replace(/4096 {17}524288/, 'unlimited            unlimited'));
    expect(openFileLimit(file)).to.equal(undefined);
    expect(openFileLimit(path.join(dir, 'absent'))).to.equal(undefined);
  });

  it('when the setting leaves the reserve free, or the limit is unknown, then it is kept', () => {
    const settings = { dbCacheBytes: 8 * 1024 * 1024, dbMaxOpenFiles: 10_000 };
    const kept = { tuning: { cacheSize: 8 * 1024 * 1024, maxOpenFiles: 10_000 } };
    expect(cacheTuning(settings, 10_000 + RESERVED_FILES)).to.deep.equal(kept);
    expect(cacheTuning(settings, undefined)).to.deep.equal(kept);
  });

  it('when the open-file limit is too low for the setting, then it is lowered with a warning', () => {
    const settings = { dbCacheBytes: 8 * 1024 * 1024, dbMaxOpenFiles: 10_000 };
    expect(cacheTuning(settings, 4096)).to.deep.equal({
      tuning: { cacheSize: 8 * 1024 * 1024, maxOpenFiles: 4096 - RESERVED_FILES },
      warning:
        'GATEWAY_DB_MAX_OPEN_FILES 10000 lowered to 3072: the process may open only 4096 files (raise ulimit -n)',
    });
    expect(cacheTuning(settings, 1024).tuning.maxOpenFiles).to.equal(64);
  });

  it('when the database is opened with cache settings, then it stores and reads back', async () => {
    const db = await openDatabase(dir, { cacheSize: 16 * 1024 * 1024, maxOpenFiles: 100 });
    try {
      await db.put('k', { v: 1 });
      expect(await db.get('k')).to.deep.equal({ v: 1 });
    } finally {
      await db.close();
    }
    const again = await openDatabase(dir, { cacheSize: 1024 * 1024, maxOpenFiles: 64 });
    try {
      expect(await again.get('k')).to.deep.equal({ v: 1 });
    } finally {
      await again.close();
    }
  });
});
