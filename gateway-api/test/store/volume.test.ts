import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { deviceNumbers, deviceReadahead, readaheadWarning, volumeReadahead } from '../../src/store/volume';
import { tempDir } from '../helpers';

describe('store/volume: the data volume readahead', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  /** A sysfs tree with one disk (8:0, readahead `kib`) and its partition 8:1, linked as sysfs links them. */
  function sysfs(kib: string): string {
    const root = path.join(dir, 'sys');
    mkdirSync(path.join(root, 'block', 'sda', 'queue'), { recursive: true });
    mkdirSync(path.join(root, 'block', 'sda', 'sda1'), { recursive: true });
    writeFileSync(path.join(root, 'block', 'sda', 'queue', 'read_ahead_kb'), `${kib}\n`);
    mkdirSync(path.join(root, 'dev', 'block'), { recursive: true });
    symlinkSync('../../block/sda', path.join(root, 'dev', 'block', '8:0'));
    symlinkSync('../../block/sda/sda1', path.join(root, 'dev', 'block', '8:1'));
    return root;
  }

  it('when a dev_t is split, then major and minor match glibc, including the wide encoding', () => {
    expect(deviceNumbers(0xfd01n)).to.deep.equal({ major: 253, minor: 1 });
    expect(deviceNumbers(0x10010305n)).to.deep.equal({ major: 259, minor: 65541 });
    expect(deviceNumbers(0x0123_4000_0000_0001n)).to.deep.equal({ major: 0x1234000, minor: 1 });
  });

  it('when sysfs gives the disk queue, then its readahead is read, and a partition reads its disk queue', () => {
    const root = sysfs('8192');
    const disk = path.join(realpathSync(root), 'block', 'sda', 'queue', 'read_ahead_kb');
    expect(deviceReadahead('8:0', root)).to.deep.equal({ device: '8:0', readaheadKiB: 8192, setting: disk });
    const partition = deviceReadahead('8:1', root);
    expect(partition).to.deep.equal({ device: '8:1', readaheadKiB: 8192, setting: disk });
    expect(readFileSync(partition!.setting, 'utf8')).to.equal('8192\n');
    expect(deviceReadahead('8:2', root)).to.equal(undefined);
  });

  it('when the directory is on a block device, then its dev_t leads to that device in sysfs', function () {
    const { major, minor } = deviceNumbers(statSync(dir, { bigint: true }).dev);
    if (major === 0) this.skip(); // tmpfs or overlay: no block device to look up
    const root = sysfs('4096');
    const link = path.join(root, 'dev', 'block', `${major}:${minor}`);
    if (!existsSync(link)) symlinkSync('../../block/sda', link);
    expect(volumeReadahead(dir, root)).to.deep.equal({
      device: `${major}:${minor}`,
      readaheadKiB: 4096,
      setting: path.join(realpathSync(root), 'block', 'sda', 'queue', 'read_ahead_kb'),
    });
  });

  it('when the readahead is above 128 KiB, then the gateway warns with the setting to write; at 128 or unknown, not', () => {
    const volume = deviceReadahead('8:1', sysfs('8192'));
    expect(readaheadWarning(volume)).to.equal(
      `GATEWAY_DATA_DIR is on block device 8:1 with 8192 KiB readahead: LevelDB reads its tables through mmap, ` +
        `so every cold index read pulls up to that much from disk; set it to 128 KiB ` +
        `(as root: echo 128 > ${path.join(realpathSync(dir), 'sys', 'block', 'sda', 'queue', 'read_ahead_kb')})`,
    );
    expect(readaheadWarning({ device: '8:0', readaheadKiB: 129, setting: 'x' })).to.match(
      /^GATEWAY_DATA_DIR .* 129 KiB/,
    );
    expect(readaheadWarning({ device: '8:0', readaheadKiB: 128, setting: 'x' })).to.equal(undefined);
    expect(readaheadWarning(undefined)).to.equal(undefined);
  });

  it('when sysfs holds nonsense or nothing for the directory, then the readahead is unknown', () => {
    const root = sysfs('lots');
    expect(deviceReadahead('8:0', root)).to.equal(undefined);
    expect(volumeReadahead(dir, path.join(dir, 'no-sysfs'))).to.equal(undefined);
    expect(volumeReadahead(path.join(dir, 'absent'))).to.equal(undefined);
  });
});
