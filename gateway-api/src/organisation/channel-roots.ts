/**
 * The channel's MSP roots, kept current. A per-organisation gateway starts from the roots file of
 * its kit, then reads the channel's configuration block from its own peer (`cscc GetConfigBlock`)
 * at start and every `GATEWAY_MSP_REFRESH_SECONDS`: an organisation added to the channel, one
 * removed, or a CA rotated by a channel configuration update is what the organisation-to-organisation
 * API checks next, without a restart. The peer is the organisation's own, the one it trusts for
 * every ledger read; the file is only where it starts.
 */
import type { X509Certificate } from 'node:crypto';
import type { Logger } from '../http/logger';
import { mspRootsFromConfigBlock, type MspRoots } from './msp';

/** What a refresh changed, by MSP ID. */
export interface RootsChange {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/** Roots that a refresh updates in place. */
export type LiveMspRoots = Map<string, readonly X509Certificate[]>;

/** Reads the channel's latest configuration block (the Fabric backend's `channelConfigBlock`). */
export type ConfigBlockReader = () => Promise<Uint8Array>;

const fingerprints = (certs: readonly X509Certificate[]) =>
  certs
    .map((c) => c.fingerprint256)
    .sort()
    .join(',');

/** The roots one gateway checks callers against, updated in place from its peer. */
export class ChannelMspRoots {
  readonly #roots: LiveMspRoots;
  readonly #read: ConfigBlockReader;
  readonly #ownMspId: string;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  /** `roots` (read from the kit's file) is updated in place: whoever holds it sees each refresh. */
  constructor(roots: LiveMspRoots, read: ConfigBlockReader, ownMspId: string, logger: Logger) {
    this.#roots = roots;
    this.#read = read;
    this.#ownMspId = ownMspId;
    this.#logger = logger;
  }

  /** The current roots (the same map after every refresh). */
  get roots(): MspRoots {
    return this.#roots;
  }

  /**
   * Reads the configuration block and replaces the roots with the channel's. A block that does not
   * name this gateway's own organisation changes nothing (that answer is not one to act on alone).
   *
   * @returns what changed, or undefined when the read failed or the block was refused (logged).
   */
  async refresh(): Promise<RootsChange | undefined> {
    let next: MspRoots;
    try {
      next = mspRootsFromConfigBlock(await this.#read());
    } catch (err) {
      this.#logger.warn('channel MSP roots: configuration block not read; keeping the roots held', {
        err: (err as Error).message,
      });
      return undefined;
    }
    if (!next.has(this.#ownMspId)) {
      this.#logger.error(
        'channel MSP roots: the configuration block does not name this organisation; ignored',
        {
          mspId: this.#ownMspId,
        },
      );
      return undefined;
    }
    const change: RootsChange = {
      added: [...next.keys()].filter((m) => !this.#roots.has(m)).sort(),
      removed: [...this.#roots.keys()].filter((m) => !next.has(m)).sort(),
      changed: [...next]
        .filter(
          ([m, certs]) => this.#roots.has(m) && fingerprints(this.#roots.get(m)!) !== fingerprints(certs),
        )
        .map(([m]) => m)
        .sort(),
    };
    this.#roots.clear();
    for (const [mspId, certs] of next) this.#roots.set(mspId, certs);
    if (change.added.length + change.removed.length + change.changed.length > 0) {
      this.#logger.info('channel MSP roots updated from the configuration block', { ...change });
    }
    return change;
  }

  /** Refreshes every `intervalMs` (never two at once) until `stop`. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.refresh().finally(() => (this.#running = undefined));
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a refresh in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
