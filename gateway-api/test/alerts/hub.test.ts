import { expect } from 'chai';
import type { Response } from 'express';
import { AlertHubImpl } from '../../src/alerts/hub';
import { SseStream } from '../../src/alerts/sse';
import type { AlertLog, IndexedEvent, LedgerPosition } from '../../src/indexer/types';

const BANK_A = 'BankAMSP';
const BANK_B = 'BankBMSP';

/** A revocation of a consent granted to `grantee`, committed at `blockNumber`-`txIndex`. */
const revoked = (blockNumber: number, txIndex: number, grantee = BANK_A): IndexedEvent => ({
  name: 'ConsentRevoked',
  payload: { grantId: `g-${blockNumber}-${txIndex}`, grantee },
  txId: `tx-${blockNumber}-${txIndex}`,
  blockNumber,
  txIndex,
  timestamp: '2026-01-01T00:00:00.000Z',
});

/** The part of an Express response an {@link SseStream} writes to, recording what it wrote. */
class RecordingResponse {
  readonly chunks: string[] = [];
  writableEnded = false;
  destroyed = false;
  writableLength = 0;
  status(): this {
    return this;
  }
  setHeader(): void {}
  flushHeaders(): void {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The `id:` of every message written. */
  ids(): string[] {
    return this.chunks.flatMap((c) => /^id: (.*)$/m.exec(c)?.[1] ?? []);
  }
}

/** A promise with its resolve function. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function hubWith(options: { log?: AlertLog; height?: () => Promise<number>; replayLimit?: number }) {
  const listeners = new Set<(event: IndexedEvent) => void>();
  const hub = new AlertHubImpl({
    bus: {
      subscribe: (listener) => {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    },
    log: options.log,
    height: options.height ?? (() => Promise.resolve(0)),
    heartbeatMs: 60_000,
    maxStreamsPerUser: 5,
    replayLimit: options.replayLimit ?? 1000,
  });
  const publish = (...events: IndexedEvent[]) => events.forEach((e) => listeners.forEach((l) => l(e)));
  return { hub, publish };
}

describe('alert hub', () => {
  const owner = { orgMspId: BANK_A, userId: 'u-1' };

  it('when live events are published while the replay is being read, then the replay comes first and only live events after it follow, once each, in order', async () => {
    const read = deferred<IndexedEvent[]>();
    const asked: [string, LedgerPosition, number][] = [];
    const log: AlertLog = {
      readAfter: (mspId, after, limit) => {
        asked.push([mspId, after, limit]);
        return read.promise;
      },
      latest: () => Promise.reject(new Error('not expected')),
    };
    const { hub, publish } = hubWith({ log });
    const res = new RecordingResponse();
    const connecting = hub.connect(
      owner,
      { blockNumber: 4, txIndex: 0 },
      () => new SseStream(res as unknown as Response, 5000),
    );
    expect(hub.size, 'counted while its start is read').to.equal(1);

    // Indexed after the replay's snapshot or before it: both must come out once.
    publish(revoked(6, 0), revoked(7, 1), revoked(8, 0, BANK_B), revoked(8, 1));
    expect(res.chunks, 'nothing sent before the start is settled').to.deep.equal([]);
    read.resolve([revoked(5, 0), revoked(6, 0), revoked(7, 1)]);
    await connecting;
    publish(revoked(9, 0), revoked(7, 1));

    expect(asked).to.deep.equal([[BANK_A, { blockNumber: 4, txIndex: 0 }, 1001]]);
    expect(res.chunks[0]).to.equal('retry: 5000\n\n');
    expect(res.ids()).to.deep.equal(['5-0', '6-0', '7-1', '8-1', '9-0']);
    hub.close();
  });

  it('when a stream does not resume, then it starts at the ledger height: events of lower blocks published by a catching-up indexer are dropped', async () => {
    const height = deferred<number>();
    const { hub, publish } = hubWith({ height: () => height.promise });
    const res = new RecordingResponse();
    const connecting = hub.connect(owner, undefined, () => new SseStream(res as unknown as Response, 5000));
    publish(revoked(2, 0), revoked(5, 0));
    height.resolve(5);
    await connecting;
    publish(revoked(3, 0), revoked(4, 7), revoked(5, 1), revoked(6, 0));
    // First the stream's starting position (an id-only frame), then the alerts.
    expect(res.ids()).to.deep.equal(['4-999999', '5-0', '5-1', '6-0']);
    hub.close();
  });

  it('when the start cannot be read, then the error is thrown before anything is sent and the stream is not counted', async () => {
    const { hub } = hubWith({ height: () => Promise.reject(new Error('ledger down')) });
    let opened = false;
    const failure = await hub
      .connect(owner, undefined, () => {
        opened = true;
        return new SseStream(new RecordingResponse() as unknown as Response, 5000);
      })
      .then(
        () => undefined,
        (err: Error) => err.message,
      );
    expect([failure, opened, hub.size]).to.deep.equal(['ledger down', false, 0]);
    const noLog = await hubWith({})
      .hub.connect(owner, { blockNumber: 1, txIndex: 0 }, () => {
        throw new Error('not expected');
      })
      .then(
        () => undefined,
        (err: { code?: string }) => err.code,
      );
    expect(noLog, 'resuming without a log').to.equal('EVENT_REPLAY_UNAVAILABLE');
  });
});
