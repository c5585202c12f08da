/**
 * The readahead of the block device under the gateway's data directory.
 *
 * LevelDB (classic-level) reads its table files through mmap, and a page
 * fault on a mapped file that is not in the page cache reads the device's
 * whole readahead window around the faulting page. With the 8 MiB some
 * machines default to, the benchmark's 440 audit queries on a cold
 * 15-million-access index read about 5,000 MiB from disk (subject trace p95
 * 25-51 ms); at 128 KiB they read 973 MiB (p95 11.5-14.8 ms). bench/README.md
 * has the figures.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** The largest readahead the gateway's data volume should have, in KiB. */
export const RECOMMENDED_READAHEAD_KIB = 128;

/** A block device and its readahead. */
export interface VolumeReadahead {
  /** `major:minor` of the device holding the directory. */
  readonly device: string;
  /** The device's readahead in KiB (`queue/read_ahead_kb`). */
  readonly readaheadKiB: number;
  /** The sysfs file it was read from (symbolic links resolved), which an operator (root) can write. */
  readonly setting: string;
}

/** Major and minor numbers of a Linux `dev_t` (glibc's `gnu_dev_major`/`gnu_dev_minor`). */
export function deviceNumbers(dev: bigint): { major: number; minor: number } {
  const major = ((dev & 0xfff00n) >> 8n) | ((dev & 0xfffff00000000000n) >> 32n);
  const minor = (dev & 0xffn) | ((dev & 0xffffff00000n) >> 12n);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * The readahead of the block device holding `dir`, from sysfs (a partition
 * has its disk's queue). `undefined` when `dir` is not on a block device
 * (tmpfs, overlay) or sysfs does not say.
 */
export function volumeReadahead(dir: string, sysRoot = '/sys'): VolumeReadahead | undefined {
  let dev: bigint;
  try {
    dev = statSync(dir, { bigint: true }).dev;
  } catch {
    return undefined;
  }
  const { major, minor } = deviceNumbers(dev);
  return major === 0 ? undefined : deviceReadahead(`${major}:${minor}`, sysRoot);
}

/**
 * The readahead of block device `device` (`major:minor`) from sysfs: its own
 * queue, or its disk's for a partition. `undefined` when sysfs does not say.
 */
export function deviceReadahead(device: string, sysRoot = '/sys'): VolumeReadahead | undefined {
  let base: string;
  try {
    // A link to the device's directory; a partition's directory sits in its disk's.
    base = realpathSync(path.join(sysRoot, 'dev', 'block', device));
  } catch {
    return undefined;
  }
  for (const setting of [
    path.join(base, 'queue', 'read_ahead_kb'),
    path.join(base, '..', 'queue', 'read_ahead_kb'),
  ]) {
    let text: string;
    try {
      text = readFileSync(setting, 'utf8');
    } catch {
      continue;
    }
    const readaheadKiB = Number(text.trim());
    if (text.trim() !== '' && Number.isInteger(readaheadKiB) && readaheadKiB >= 0) {
      return { device, readaheadKiB, setting };
    }
  }
  return undefined;
}

/**
 * The warning the gateway logs at start when its data volume (from
 * {@link volumeReadahead}) reads ahead more than {@link RECOMMENDED_READAHEAD_KIB},
 * or `undefined` when it does not or the readahead is unknown.
 */
export function readaheadWarning(volume: VolumeReadahead | undefined): string | undefined {
  if (volume === undefined || volume.readaheadKiB <= RECOMMENDED_READAHEAD_KIB) return undefined;
  return (
    `GATEWAY_DATA_DIR is on block device ${volume.device} with ${volume.readaheadKiB} KiB readahead: ` +
    `LevelDB reads its tables through mmap, so every cold index read pulls up to that much from disk; ` +
    `set it to ${RECOMMENDED_READAHEAD_KIB} KiB (as root: echo ${RECOMMENDED_READAHEAD_KIB} > ${volume.setting})`
  );
}
