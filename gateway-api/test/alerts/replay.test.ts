import { expect } from 'chai';
import type { AlertData, ResetData } from '../../src/alerts/hub';
import { createAlertsModule } from '../../src/alerts/module';
import type { DomainContext } from '../../src/domain';
import type { GatewayDeps } from '../../src/feature';
import { createIndexer, IndexerImpl, type Indexer } from '../../src/indexer/indexer';
import { LevelIndexStore } from '../../src/indexer/store';
import type { IndexedEvent } from '../../src/indexer/types';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError, tempDir, testEnv } from '../helpers';
import { recordGrant } from '../indexer/ledger-fixture';
import { startGatewayAt } from './durable-gateway';
import { subscribe, type ResumeOptions, type SseFrame, type SseSubscription } from './sse-client';

/** Small, so exceeding it takes a few transactions. */
const REPLAY_LIMIT = 5;

/** The alerts module over the gateway's shared indexer, as app.ts wires it. */
const alerts = createAlertsModule({
  bus: (ctx, deps) => createIndexer(ctx, deps).bus,
  log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
  heartbeatMs: 100,
  replayLimit: REPLAY_LIMIT,
});

type Bank = 'bankA' | 'bankB';

/** Message IDs of the frames that carry an event. */
const ids = (frames: readonly SseFrame[]): (string | undefined)[] =>
  frames.filter((f) => f.event !== undefined).map((f) => f.id);

/** Resolves once `s` has received the message with ID `id`. */
const received = (s: SseSubscription, id: string): Promise<void> => s.until((f) => ids(f).includes(id));

let grants = 0;

/** Commits one alert for `bank` on `g`'s ledger: the revocation of a consent granted to it. Returns its transaction ID. */
async function commitRevocation(g: ConsortiumGateway, bank: Bank): Promise<string> {
  grants += 1;
  const grantId = `g-replay-${grants}`;
  const subject = await g.context.subjects.pseudonym(residentId(400 + grants));
  await recordGrant(g.context.ledger, ORG[bank], grantId, subject);
  const { txId } = await g.context.ledger.submit(ORG[bank], 'Consent:RevokeGrant', [grantId, 'LOAN_CLOSED']);
  return txId;
}

/** Commits one alert for `bank` and returns its message ID once `indexer` has indexed it. */
async function commitAlert(g: ConsortiumGateway, indexer: Indexer, bank: Bank): Promise<string> {
  const txId = await commitRevocation(g, bank);
  await indexer.catchUp();
  const at = await indexer.locator.locate(txId);
  if (at === undefined) throw new Error(`${txId} was not indexed`);
  return `${at.blockNumber}-${at.txIndex}`;
}

describe('alert replay (GET /events with Last-Event-ID)', () => {
  let env: NodeJS.ProcessEnv;
  let cleanup: () => Promise<void>;
  let g: ConsortiumGateway;
  const open: SseSubscription[] = [];

  before(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    env = testEnv(temp.dir);
    g = await startGatewayAt(env, [alerts]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(async () => {
    await g.stop();
    await cleanup();
  });

  const alertFor = (bank: Bank): Promise<string> =>
    commitAlert(g, createIndexer(g.context, g.gateway.deps), bank);

  const watch = async (bank: Bank, resume: ResumeOptions = {}): Promise<SseSubscription> => {
    const s = await subscribe(g, bank, 'LOAN_OFFICER', resume);
    open.push(s);
    expect(s.status, `stream of ${bank} ${JSON.stringify(resume)}`).to.equal(200);
    return s;
  };

  it('when a client reconnects with the Last-Event-ID of the last alert it received, then it gets exactly the alerts it missed, in order, then live ones, none twice', async () => {
    const first = await watch('bankA');
    const seen = await alertFor('bankA');
    await received(first, seen);
    first.close();

    const a1 = await alertFor('bankA');
    await alertFor('bankB');
    const a2 = await alertFor('bankA');
    const a3 = await alertFor('bankA');

    const again = await watch('bankA', { lastEventId: seen });
    const live = await alertFor('bankA');
    await received(again, live);
    expect(ids(again.frames), 'replayed, then live').to.deep.equal([a1, a2, a3, live]);
    expect(again.frames[0], 'the stream starts with the retry hint').to.deep.equal({
      retry: '5000',
      comments: [],
    });
    for (const frame of again.events()) {
      const data = JSON.parse(frame.data ?? '{}') as AlertData;
      expect([
        frame.event,
        data.name,
        data.payload.grantee,
        `${data.blockNumber}-${data.txIndex}`,
      ]).to.deep.equal(['ConsentRevoked', 'ConsentRevoked', ORG.bankA, frame.id]);
    }
  });

  it('when alerts are committed while a client reconnects, then each arrives once and in ledger order', async () => {
    const from = await alertFor('bankA');
    const before = [await alertFor('bankA'), await alertFor('bankA')];
    // Committed while the stream is being opened and its replay read: replayed or live, never both.
    const during = Promise.all([alertFor('bankA'), alertFor('bankA')]);
    const again = await watch('bankA', { lastEventId: from });
    const [d1 = '', d2 = ''] = (await during).sort(
      (x, y) => Number(x.split('-')[0]) - Number(y.split('-')[0]),
    );
    await received(again, d2);
    expect(ids(again.frames)).to.deep.equal([...before, d1, d2]);
  });

  it('when the Last-Event-ID is the newest alert, then nothing is replayed; the lastEventId query parameter works the same, and the header wins over it', async () => {
    const newest = await alertFor('bankA');
    const byHeader = await watch('bankA', { lastEventId: newest });
    const byQuery = await watch('bankA', { queryLastEventId: newest });
    const headerWins = await watch('bankB', { lastEventId: newest, queryLastEventId: '0-0' });
    const nextA = await alertFor('bankA');
    const nextB = await alertFor('bankB');
    await received(byHeader, nextA);
    await received(byQuery, nextA);
    await received(headerWins, nextB);
    expect(ids(byHeader.frames), 'header').to.deep.equal([nextA]);
    expect(ids(byQuery.frames), 'query').to.deep.equal([nextA]);
    expect(ids(headerWins.frames), 'header and query').to.deep.equal([nextB]);
  });

  it('when the Last-Event-ID is not <blockNumber>-<txIndex>[-<watchSeq>], then 400 INVALID_LAST_EVENT_ID, from the header or the query', async () => {
    for (const bad of [
      'abc',
      '12',
      '1-',
      '-1',
      '01-0',
      '1-01',
      '1-2-3-4',
      '1-2-03',
      '1-2-',
      '1-2-99999999999999999',
      '1.5-0',
      '1-1234567',
      '99999999999999999-0',
    ]) {
      const res = await g.api('/events', {
        as: ['bankA', 'LOAN_OFFICER'],
        headers: { 'last-event-id': bad },
      });
      const error = expectError(res, 400, 'INVALID_LAST_EVENT_ID');
      expect(error.details, bad).to.deep.equal({ lastEventId: bad });
    }
    const res = await g.api('/events?lastEventId=12', { as: ['bankA', 'LOAN_OFFICER'] });
    expectError(res, 400, 'INVALID_LAST_EVENT_ID');
  });

  it('when more alerts are pending than the replay limit, then the stream sends one reset event naming where it resumes, then live alerts; at the limit everything is replayed', async () => {
    const from = await alertFor('bankA');
    const missed: string[] = [];
    for (let i = 0; i < REPLAY_LIMIT; i++) missed.push(await alertFor('bankA'));
    const atLimit = await watch('bankA', { lastEventId: from });
    await received(atLimit, missed.at(-1) ?? '');
    expect(ids(atLimit.frames), 'exactly the limit: all replayed').to.deep.equal(missed);

    missed.push(await alertFor('bankA'));
    const overLimit = await watch('bankA', { lastEventId: from });
    await overLimit.until((f) => ids(f).length >= 1);
    const live = await alertFor('bankA');
    await received(overLimit, live);
    const events = overLimit.events();
    expect(events.map((f) => [f.event, f.id])).to.deep.equal([
      ['reset', missed.at(-1)],
      ['ConsentRevoked', live],
    ]);
    expect(JSON.parse(events[0]?.data ?? '')).to.deep.equal({
      reason: 'REPLAY_LIMIT',
      limit: REPLAY_LIMIT,
    } satisfies ResetData);

    // A client that resyncs and resumes from the reset's ID gets only what followed it.
    const resumed = await watch('bankA', { lastEventId: missed.at(-1) ?? '' });
    const next = await alertFor('bankA');
    await received(resumed, next);
    expect(ids(resumed.frames)).to.deep.equal([live, next]);
  });

  it('when organisations resume from the same position, then each gets only its own alerts', async () => {
    const from = await alertFor('bankA');
    const b1 = await alertFor('bankB');
    const a1 = await alertFor('bankA');
    const b2 = await alertFor('bankB');
    const a = await watch('bankA', { lastEventId: from });
    const b = await watch('bankB', { lastEventId: from });
    const land = await subscribe(g, 'land', 'DATA_OFFICER', { lastEventId: from });
    open.push(land);
    const a2 = await alertFor('bankA');
    const b3 = await alertFor('bankB');
    await received(a, a2);
    await received(b, b3);
    expect(ids(a.frames), 'bank A').to.deep.equal([a1, a2]);
    expect(ids(b.frames), 'bank B').to.deep.equal([b1, b2, b3]);
    await land.until((f) => f.filter((x) => x.comments.includes('heartbeat')).length >= 2);
    expect(ids(land.frames), 'an organisation with no alerts').to.deep.equal([]);
  });

  it('when the gateway restarts over the same data, then a client resuming with its Last-Event-ID gets the alerts it missed from the durable log', async () => {
    const first = await watch('bankA');
    const seen = await alertFor('bankA');
    await received(first, seen);
    first.close();
    const missed = [await alertFor('bankA'), await alertFor('bankB'), await alertFor('bankA')];

    await g.stop();
    g = await startGatewayAt(env, [alerts]);
    await createIndexer(g.context, g.gateway.deps).catchUp();

    const again = await watch('bankA', { lastEventId: seen });
    const live = await alertFor('bankA');
    await received(again, live);
    expect(ids(again.frames)).to.deep.equal([missed[0], missed[2], live]);
  });
});

describe('alert streams while the index catches up', () => {
  it('when a stream opens before the indexer has caught up from block 0, then it receives no alert committed before it connected, only those committed after', async () => {
    let late: IndexerImpl | undefined;
    const attach = (ctx: DomainContext, deps: GatewayDeps): IndexerImpl => {
      if (late === undefined) {
        const created = new IndexerImpl({
          ledger: ctx.ledger,
          store: new LevelIndexStore({ db: deps.db, name: 'idx-late' }),
          logger: deps.logger,
        });
        deps.onShutdown(() => created.stop());
        late = created;
      }
      return late;
    };
    const g = await startConsortiumGateway([
      createAlertsModule({
        bus: (ctx, deps) => attach(ctx, deps).bus,
        log: (ctx, deps) => attach(ctx, deps).alertLog,
        heartbeatMs: 100,
      }),
    ]);
    const early = await subscribe(g, 'bankA', 'LOAN_OFFICER');
    try {
      const indexer = late;
      if (indexer === undefined) throw new Error('the alerts module did not create the indexer');
      // History: alerts committed before the index exists (its indexer not started), as on an existing ledger.
      const history: string[] = [];
      for (let i = 0; i < 3; i++) history.push(await commitRevocation(g, 'bankA'));
      const published: IndexedEvent[] = [];
      indexer.bus.subscribe((e) => published.push(e));

      const opened = await subscribe(g, 'bankA', 'LOAN_OFFICER');
      expect([early.status, opened.status]).to.deep.equal([200, 200]);
      indexer.start();
      await indexer.catchUp();
      expect(
        published.filter((e) => e.name === 'ConsentRevoked' && e.payload.grantee === ORG.bankA).length,
        'historical alerts published on the bus during catch-up',
      ).to.equal(3);

      const live = await commitAlert(g, indexer, 'bankA');
      await received(opened, live);
      await received(early, live);
      expect(ids(opened.frames), 'opened after the history, before catch-up').to.deep.equal([live]);
      const historyIds = await Promise.all(
        history.map(async (txId) => {
          const at = await indexer.locator.locate(txId);
          return `${at?.blockNumber}-${at?.txIndex}`;
        }),
      );
      expect(ids(early.frames), 'opened before the history was committed: it is news to it').to.deep.equal([
        ...historyIds,
        live,
      ]);
      opened.close();
    } finally {
      early.close();
      await g.stop();
    }
  });
});
