import { expect } from 'chai';
import { createIndexer, IndexerImpl } from '../../src/indexer/indexer';
import {
  accessIndexKeys,
  accessRecordKey,
  CHECKPOINT_KEY,
  INDEX_VERSION_KEY,
  txKey,
} from '../../src/indexer/keys';
import type { BlockStream, LedgerClient } from '../../src/ledger/types';
import { LevelIndexStore, type IndexOp, type IndexStore, type KeyRange } from '../../src/indexer/store';
import type { IndexedEvent } from '../../src/indexer/types';
import type { AccessEntry } from '../../src/indexer/access-entry';
import { AppError } from '../../src/http/errors';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { memoryLogger } from '../helpers';
import {
  byPosition,
  embeddedLedger,
  recordAccess,
  recordAccessBatch,
  recordAccessesInOneBlock,
  recordGrant,
  replayLedger,
  OPERATOR,
} from './ledger-fixture';

/** A store that fails one chosen write once, and counts writes per checkpoint position. */
class FlakyStore implements IndexStore {
  readonly writesAt = new Map<string, number>();
  failures = 0;
  readonly #inner: IndexStore;
  readonly #failAt: { blockNumber: number; txIndex: number };

  constructor(inner: IndexStore, failAt: { blockNumber: number; txIndex: number }) {
    this.#inner = inner;
    this.#failAt = failAt;
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.#inner.get<T>(key);
  }

  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.#inner.getMany<T>(keys);
  }

  entries<T>(range: KeyRange): AsyncIterable<[string, T]> {
    return this.#inner.entries<T>(range);
  }

  async write(ops: readonly IndexOp[]): Promise<void> {
    const checkpoint = ops.find((op) => op.key === CHECKPOINT_KEY);
    const at =
      checkpoint?.type === 'put' ? (checkpoint.value as { blockNumber: number; txIndex: number }) : undefined;
    if (
      at !== undefined &&
      this.failures === 0 &&
      at.blockNumber === this.#failAt.blockNumber &&
      at.txIndex === this.#failAt.txIndex
    ) {
      this.failures += 1;
      throw new Error('injected store failure');
    }
    await this.#inner.write(ops);
    if (at !== undefined) {
      const k = `${at.blockNumber}/${at.txIndex}`;
      this.writesAt.set(k, (this.writesAt.get(k) ?? 0) + 1);
    }
  }
}

/**
 * `ledger` as the indexer saw it before bulk accesses were indexed: the same blocks with the
 * `AccessesRecorded` events left out (that indexer wrote their transactions' locations only).
 */
function withoutBulkEvents(ledger: LedgerClient): LedgerClient {
  const blocks = (start: number): BlockStream => {
    const inner = ledger.blocks(start);
    return {
      close: () => inner.close(),
      async *[Symbol.asyncIterator]() {
        for await (const block of inner) {
          yield {
            ...block,
            transactions: block.transactions.map((tx) => {
              if (tx.event?.name !== 'AccessesRecorded') return tx;
              const { event: _e, ...rest } = tx;
              return rest;
            }),
          };
        }
      },
    };
  };
  return new Proxy(ledger, {
    get(target, prop) {
      if (prop === 'blocks') return blocks;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function collect(iterable: AsyncIterable<AccessEntry>): Promise<AccessEntry[]> {
  const all: AccessEntry[] = [];
  for await (const entry of iterable) all.push(entry);
  return all;
}

/** Asserts that the index holds exactly what a full replay of the ledger holds. */
async function expectIndexEqualsLedger(g: ConsortiumGateway, indexer: IndexerImpl): Promise<void> {
  const replay = await replayLedger(g.context.ledger);
  expect(indexer.processedBlock(), 'processed block').to.equal(replay.lastBlock);
  const indexed = await collect(indexer.accessIndex.scan({}));
  expect([...indexed].sort(byPosition), 'every AccessRecorded once').to.deep.equal(replay.accesses);
  expect(
    indexed.map((e) => e.accessedAt),
    'time order',
  ).to.deep.equal(indexed.map((e) => e.accessedAt).sort());
  const subjects = [...new Set(replay.accesses.map((a) => a.subject))];
  const accessors = [...new Set(replay.accesses.map((a) => a.accessor))];
  for (const outcome of [undefined, 'GRANTED', 'DENIED'] as const) {
    for (const subject of [undefined, ...subjects]) {
      for (const accessor of [undefined, ...accessors]) {
        const got = (await collect(indexer.accessIndex.scan({ subject, accessor, outcome }))).map(
          (e) => e.txId,
        );
        const want = replay.accesses
          .filter(
            (a) =>
              (outcome === undefined || a.outcome === outcome) &&
              (subject === undefined || a.subject === subject) &&
              (accessor === undefined || a.accessor === accessor),
          )
          .map((a) => a.txId);
        expect([...got].sort(), `index ${outcome}/${subject}/${accessor}`).to.deep.equal([...want].sort());
      }
    }
  }
  for (const [txId, location] of replay.locations) {
    expect(await indexer.locator.locate(txId), `location of ${txId}`).to.deep.equal(location);
  }
  expect(Object.fromEntries(await indexer.counters()), 'counters').to.deep.equal(
    Object.fromEntries(replay.counters),
  );
}

describe('block indexer', () => {
  let g: ConsortiumGateway;
  let s: string[];
  before(async () => {
    g = await startConsortiumGateway([]);
    s = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => g.context.subjects.pseudonym(residentId(n))));
  });
  after(() => g.stop());

  it('when the indexer is stopped mid-stream and a new one resumes, then the index equals the ledger, nothing missed or doubled', async () => {
    const ledger = g.context.ledger;
    const [s1 = '', s2 = ''] = s;
    await recordGrant(ledger, ORG.bankA, 'g-a1', s1);
    await recordGrant(ledger, ORG.bankB, 'g-b1', s1);
    await recordGrant(ledger, ORG.bankA, 'g-a2', s2);
    expect((await recordAccess(ledger, ORG.bankA, 'acc-1', 'g-a1', s1)).outcome).to.equal('GRANTED');
    expect(
      (await recordAccess(ledger, ORG.bankA, 'acc-2', 'g-a1', s1, { purpose: 'POST_LOAN_MANAGEMENT' }))
        .outcome,
    ).to.equal('DENIED');
    expect((await recordAccess(ledger, ORG.bankB, 'acc-3', 'g-b1', s1)).outcome).to.equal('GRANTED');
    // A bulk download's batch: one transaction, one AccessesRecorded event, two accesses.
    const batch = await recordAccessBatch(ledger, ORG.bankA, [
      { accessId: 'acc-b1', grantId: 'g-a1', subject: s1 },
      { accessId: 'acc-b2', grantId: 'g-none', subject: s2 },
    ]);
    expect(batch.outcomes).to.deep.equal(['GRANTED', 'DENIED']);

    const { logger } = memoryLogger();
    const store = new LevelIndexStore({ db: g.gateway.deps.db, name: 'idx-restart' });
    const first = new IndexerImpl({ ledger, store, logger });
    first.start();
    await first.catchUp();
    const stoppedAt = first.processedBlock();
    await first.stop();

    // The ledger moves on while no indexer runs.
    await recordAccess(ledger, ORG.bankA, 'acc-4', 'g-a2', s2);
    await recordAccess(ledger, ORG.bankB, 'acc-5', 'g-a2', s2);
    await ledger.submit(ORG.bankB, 'Consent:RevokeGrant', ['g-b1', 'LOAN_CLOSED']);
    expect((await recordAccess(ledger, ORG.bankB, 'acc-6', 'g-b1', s1)).outcome).to.equal('DENIED');
    expect(
      (
        await recordAccessBatch(ledger, ORG.bankA, [
          { accessId: 'acc-b3', grantId: 'g-a2', subject: s2 },
          { accessId: 'acc-b4', grantId: 'g-b1', subject: s1 },
          { accessId: 'acc-b5', grantId: 'g-a1', subject: s1 },
        ])
      ).outcomes,
    ).to.deep.equal(['GRANTED', 'DENIED', 'GRANTED']);

    const second = new IndexerImpl({ ledger, store, logger });
    const published: IndexedEvent[] = [];
    second.bus.subscribe((e) => published.push(e));
    second.start();
    try {
      await second.catchUp();
      await expectIndexEqualsLedger(g, second);
      const replay = await replayLedger(ledger);
      expect(
        published.map((e) => e.txId),
        'only events after the checkpoint are published again',
      ).to.deep.equal(
        [...replay.locations.values()]
          .filter((l) => l.blockNumber > stoppedAt && l.validationCode === 'VALID')
          .map((l) => l.txId),
      );
      expect(published.map((e) => e.name)).to.deep.equal([
        'AccessRecorded',
        'AccessRecorded',
        'ConsentRevoked',
        'AccessRecorded',
        'AccessesRecorded',
      ]);
      const bulk = (await collect(second.accessIndex.scan({ accessor: ORG.bankA }))).filter((e) =>
        e.accessId.startsWith('acc-b'),
      );
      expect(bulk.map((e) => [e.accessId, e.subject, e.outcome, e.reason ?? ''])).to.deep.equal([
        ['acc-b1', s1, 'GRANTED', ''],
        ['acc-b2', s2, 'DENIED', 'NO_GRANT'],
        ['acc-b3', s2, 'GRANTED', ''],
        ['acc-b4', s1, 'DENIED', 'OTHER_BANK_GRANT'],
        ['acc-b5', s1, 'GRANTED', ''],
      ]);
      expect(bulk[0]?.txId, 'one transaction').to.equal(batch.txId).and.equal(bulk[1]?.txId);
      const acc6 = (await collect(second.accessIndex.scan({ accessor: ORG.bankB, outcome: 'DENIED' }))).map(
        (e) => [e.accessId, e.reason],
      );
      expect(acc6).to.deep.equal([
        ['acc-5', 'OTHER_BANK_GRANT'],
        ['acc-6', 'REVOKED'],
      ]);
    } finally {
      await second.stop();
    }
  });

  it('when the store fails in the middle of a block, then the restart loop resumes after the last written transaction of that block', async function () {
    if (embeddedLedger(g) === undefined) this.skip();
    const ledger = g.context.ledger;
    const [, , s3 = '', s4 = ''] = s;
    await recordGrant(ledger, ORG.bankA, 'g-c3', s3);
    await recordGrant(ledger, ORG.bankA, 'g-c4', s4);
    const block = await recordAccessesInOneBlock(g, ORG.bankA, [
      { accessId: 'acc-m0', grantId: 'g-c3', subject: s3 },
      // Same grant as the first: its budget write conflicts, so Fabric rules make it invalid.
      { accessId: 'acc-m1', grantId: 'g-c3', subject: s3 },
      { accessId: 'acc-m2', grantId: 'g-c4', subject: s4 },
      { accessId: 'acc-m3', grantId: 'g-none', subject: s4 },
    ]);
    expect(block.codes).to.deep.equal(['VALID', 'MVCC_READ_CONFLICT', 'VALID', 'VALID']);

    const { logger, lines } = memoryLogger();
    const store = new FlakyStore(new LevelIndexStore({ db: g.gateway.deps.db, name: 'idx-flaky' }), {
      blockNumber: block.blockNumber,
      txIndex: 2,
    });
    const indexer = new IndexerImpl({ ledger, store, logger, initialBackoffMs: 5 });
    indexer.start();
    try {
      await indexer.catchUp();
      expect(store.failures, 'injected failures').to.equal(1);
      const restarts = lines.filter((l) => l.msg === 'block indexer failed; restarting');
      expect(restarts.map((l) => [l.err, l.failures])).to.deep.equal([['injected store failure', 1]]);
      const writesInBlock = [0, 1, 2, 3].map((i) => store.writesAt.get(`${block.blockNumber}/${i}`));
      expect(writesInBlock, 'each transaction of the block written exactly once').to.deep.equal([1, 1, 1, 1]);
      expect(
        [...store.writesAt.values()].every((n) => n === 1),
        'no transaction written twice',
      ).to.equal(true);
      await expectIndexEqualsLedger(g, indexer);
      expect(await indexer.locator.locate(block.txIds[1] ?? '')).to.deep.equal({
        txId: block.txIds[1],
        blockNumber: block.blockNumber,
        txIndex: 1,
        validationCode: 'MVCC_READ_CONFLICT',
      });
      const inBlock = (await collect(indexer.accessIndex.scan({ subject: s4 }))).map((e) => [
        e.accessId,
        e.txIndex,
        e.outcome,
      ]);
      expect(inBlock).to.deep.equal([
        ['acc-m2', 2, 'GRANTED'],
        ['acc-m3', 3, 'DENIED'],
      ]);
      expect((await collect(indexer.accessIndex.scan({ subject: s3 }))).map((e) => e.accessId)).to.deep.equal(
        ['acc-m0'],
      );
    } finally {
      await indexer.stop();
    }
  });

  it('when the store fails writing a bulk batch, then the restart writes its accesses and counters exactly once', async () => {
    const ledger = g.context.ledger;
    const [, , , , , s6 = ''] = s;
    await recordGrant(ledger, ORG.bankB, 'g-f6', s6);
    const batch = await recordAccessBatch(ledger, ORG.bankB, [
      { accessId: 'acc-f1', grantId: 'g-f6', subject: s6 },
      { accessId: 'acc-f2', grantId: 'g-f6', subject: s6 },
      { accessId: 'acc-f3', grantId: 'g-missing', subject: s6 },
    ]);
    expect(batch.outcomes).to.deep.equal(['GRANTED', 'GRANTED', 'DENIED']);
    const { logger } = memoryLogger();
    const store = new FlakyStore(new LevelIndexStore({ db: g.gateway.deps.db, name: 'idx-flaky-batch' }), {
      blockNumber: batch.blockNumber,
      txIndex: 0,
    });
    const indexer = new IndexerImpl({ ledger, store, logger, initialBackoffMs: 5 });
    indexer.start();
    try {
      await indexer.catchUp();
      expect(store.failures, 'injected failures').to.equal(1);
      expect(store.writesAt.get(`${batch.blockNumber}/0`), 'the batch written once').to.equal(1);
      await expectIndexEqualsLedger(g, indexer);
      const trace = await collect(indexer.accessIndex.scan({ subject: s6 }));
      expect(trace.map((e) => [e.accessId, e.outcome, e.txId, e.blockNumber, e.txIndex])).to.deep.equal([
        ['acc-f1', 'GRANTED', batch.txId, batch.blockNumber, 0],
        ['acc-f2', 'GRANTED', batch.txId, batch.blockNumber, 0],
        ['acc-f3', 'DENIED', batch.txId, batch.blockNumber, 0],
      ]);
      const page = await indexer.accessIndex.page({ subject: s6 }, { limit: 2 });
      expect(page.items.map((e) => e.accessId)).to.deep.equal(['acc-f1', 'acc-f2']);
      const next = await indexer.accessIndex.page(
        { subject: s6 },
        { limit: 2, cursor: page.nextCursor ?? undefined },
      );
      expect(
        next.items.map((e) => e.accessId),
        'a cursor inside one batch',
      ).to.deep.equal(['acc-f3']);
      expect(next.nextCursor).to.equal(null);
    } finally {
      await indexer.stop();
    }
  });

  it('when an index written before bulk accesses were read is opened, then their accesses and counters are added once, without publishing them again', async () => {
    const ledger = g.context.ledger;
    const [, , , , , s6 = ''] = s;
    await recordGrant(ledger, ORG.bankA, 'g-u6', s6);
    expect(
      (
        await recordAccessBatch(ledger, ORG.bankA, [
          { accessId: 'acc-u1', grantId: 'g-u6', subject: s6 },
          { accessId: 'acc-u2', grantId: 'g-none', subject: s6 },
        ])
      ).outcomes,
    ).to.deep.equal(['GRANTED', 'DENIED']);
    const { logger, lines } = memoryLogger();
    const store = new LevelIndexStore({ db: g.gateway.deps.db, name: 'idx-format-1' });
    // The index as the earlier gateway left it: no bulk access, no format mark.
    const old = new IndexerImpl({ ledger: withoutBulkEvents(ledger), store, logger });
    old.start();
    await old.catchUp();
    await old.stop();
    await store.write([{ type: 'del', key: INDEX_VERSION_KEY }]);
    const replay = await replayLedger(ledger);
    const bulkIds = (entries: readonly AccessEntry[]): string[] =>
      entries.filter((e) => e.accessId.startsWith('acc-u')).map((e) => e.accessId);
    expect(bulkIds(await collect(old.accessIndex.scan({}))), 'format 1 lacks them').to.deep.equal([]);
    expect(bulkIds(replay.accesses)).to.deep.equal(['acc-u1', 'acc-u2']);
    await recordAccess(ledger, ORG.bankA, 'acc-u3', 'g-u6', s6);

    for (const round of ['upgrade', 'restart']) {
      const indexer = new IndexerImpl({ ledger, store, logger });
      const published: IndexedEvent[] = [];
      indexer.bus.subscribe((e) => published.push(e));
      indexer.start();
      try {
        await indexer.catchUp();
        await expectIndexEqualsLedger(g, indexer);
        expect(
          published.map((e) => e.payload.accessId),
          `${round}: only the new access is published`,
        ).to.deep.equal(round === 'upgrade' ? ['acc-u3'] : []);
      } finally {
        await indexer.stop();
      }
    }
    expect(await store.get(INDEX_VERSION_KEY)).to.equal(2);
    const upgraded = lines.filter((l) => l.msg === 'indexer: index upgraded to format 2');
    expect(
      upgraded.map((l) => l.bulkTransactions),
      'upgraded once',
    ).to.have.length(1);
    expect(upgraded[0]?.bulkTransactions).to.be.above(0);
  });

  it('when an access is recorded, then the shared indexer stores it with the transaction time and publishes it after the write', async () => {
    const indexer = createIndexer(g.context, g.gateway.deps);
    expect(createIndexer(g.context, g.gateway.deps), 'one indexer per gateway').to.equal(indexer);
    const [, , , , s5 = ''] = s;
    await recordGrant(g.context.ledger, ORG.bankB, 'g-e5', s5);
    const seen: { event: IndexedEvent; storedBefore: boolean }[] = [];
    let pending: Promise<void> = Promise.resolve();
    const unsubscribe = indexer.bus.subscribe((event) => {
      pending = pending.then(async () => {
        seen.push({ event, storedBefore: (await indexer.locator.locate(event.txId)) !== undefined });
      });
    });
    const { txId, blockNumber } = await recordAccess(g.context.ledger, ORG.bankB, 'acc-e1', 'g-e5', s5);
    await indexer.waitFor(blockNumber);
    unsubscribe();
    await pending;
    const mine = seen.filter((x) => x.event.txId === txId);
    expect(mine.length, 'published once').to.equal(1);
    const [{ event, storedBefore } = { event: undefined, storedBefore: false }] = mine;
    expect(storedBefore, 'stored before published').to.equal(true);
    expect(event?.name).to.equal('AccessRecorded');
    expect(event?.blockNumber).to.equal(blockNumber);
    expect(event?.payload).to.include({
      accessId: 'acc-e1',
      accessor: ORG.bankB,
      subject: s5,
      outcome: 'GRANTED',
    });
    const page = await indexer.accessIndex.page({ subject: s5 }, { limit: 10 });
    expect(page.nextCursor).to.equal(null);
    expect(page.items).to.deep.equal([
      {
        accessId: 'acc-e1',
        grantId: 'g-e5',
        subject: s5,
        accessor: ORG.bankB,
        operator: OPERATOR,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        outcome: 'GRANTED',
        releaseDigest: page.items[0]?.releaseDigest,
        txId,
        blockNumber,
        txIndex: 0,
        accessedAt: event?.timestamp,
      },
    ]);
    expect(page.items[0]?.accessedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await indexer.locator.locate('no-such-tx')).to.equal(undefined);
  });

  it('when a block is not reached in time, then waitFor fails with 503 INDEX_LAGGING; after stop with INDEXER_STOPPED', async () => {
    const { logger } = memoryLogger();
    const indexer = new IndexerImpl({
      ledger: g.context.ledger,
      store: new LevelIndexStore({ db: g.gateway.deps.db, name: 'idx-wait' }),
      logger,
    });
    indexer.start();
    const lagging = await indexer.waitFor(1_000_000, 30).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(lagging).to.be.instanceOf(AppError);
    expect((lagging as AppError).status).to.equal(503);
    expect((lagging as AppError).code).to.equal('INDEX_LAGGING');
    const pendingWait = indexer.waitFor(1_000_000, 10_000).then(
      () => undefined,
      (err: unknown) => err,
    );
    await indexer.stop();
    expect(((await pendingWait) as AppError).code).to.equal('INDEXER_STOPPED');
    expect(((await indexer.waitFor(1_000_000).catch((e: unknown) => e)) as AppError).code).to.equal(
      'INDEXER_STOPPED',
    );
  });

  it('when 100,000 accesses are indexed, then a subject trace and an institution page answer in milliseconds', async () => {
    const store = new LevelIndexStore({ db: g.gateway.deps.db, name: 'idx-scale' });
    const total = 100_000;
    const subjects = 5_000;
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    for (let start = 0; start < total; start += 2_000) {
      const ops: IndexOp[] = [];
      for (let i = start; i < start + 2_000; i++) {
        const entry: AccessEntry = {
          accessId: `acc-${i}`,
          grantId: `g-${i % subjects}`,
          subject: String(i % subjects).padStart(64, '0'),
          accessor: i % 2 === 0 ? ORG.bankA : ORG.bankB,
          operator: OPERATOR,
          datasets: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          outcome: i % 7 === 0 ? 'DENIED' : 'GRANTED',
          releaseDigest: OPERATOR,
          txId: `tx-${i}`,
          blockNumber: i + 1,
          txIndex: 0,
          accessedAt: new Date(base + i * 1000).toISOString(),
        };
        const recordKey = accessRecordKey(entry.blockNumber, 0);
        ops.push({ type: 'put', key: recordKey, value: entry });
        ops.push({ type: 'put', key: txKey(entry.txId), value: { txId: entry.txId } });
        for (const key of accessIndexKeys(entry)) ops.push({ type: 'put', key, value: recordKey });
      }
      await store.write(ops);
    }
    const { logger } = memoryLogger();
    const reader = new IndexerImpl({ ledger: g.context.ledger, store, logger });
    const subject = String(4_321).padStart(64, '0');
    const started = process.hrtime.bigint();
    const trace = await reader.accessIndex.page({ subject }, { limit: 50 });
    const page = await reader.accessIndex.page(
      { accessor: ORG.bankB, outcome: 'DENIED', from: new Date(base + 50_000_000).toISOString() },
      { limit: 50 },
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(trace.items.map((e) => e.accessId)).to.deep.equal(
      Array.from({ length: total / subjects }, (_, k) => `acc-${4_321 + k * subjects}`),
    );
    expect(page.items.length).to.equal(50);
    expect(page.items.every((e) => e.accessor === ORG.bankB && e.outcome === 'DENIED')).to.equal(true);
    expect(page.items[0]?.accessId).to.equal('acc-50001');
    expect(ms, `two reads took ${ms} ms`).to.be.below(100);
  });
});
