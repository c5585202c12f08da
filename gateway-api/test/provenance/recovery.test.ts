import { PassThrough, Readable } from 'node:stream';
import { expect } from 'chai';
import { HASH_BYTES, MerkleTree, leafHash, verifyInclusion } from '@ruralcredit/protocol';
import { loadConsortium, openLedger } from '../../src/app';
import type { Principal } from '../../src/auth/principal';
import type { DomainContext } from '../../src/domain';
import { AppError } from '../../src/http/errors';
import { EmbeddedLedgerClientImpl } from '../../src/ledger/embedded';
import type { LedgerClient } from '../../src/ledger/types';
import { provenanceModule } from '../../src/provenance';
import {
  AnchorIntentSchema,
  BatchFinaliser,
  LEAF_CHUNK,
  RecordStoreImpl,
  UploadStaging,
  provenanceSublevels,
  type AnchorIntent,
  type ProvenanceSublevels,
} from '../../src/provenance/record-store';
import type { AnchoredBatch, BatchView } from '../../src/provenance/schemas';
import { ProvenanceServiceImpl, type ProvenanceServiceOptions } from '../../src/provenance/service';
import { createGateway } from '../../src/server';
import { memoryLogger } from '../helpers';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { homestead, storedKeyCounts } from './fixtures';

/** Records of a batch spanning three leaf chunks, the last one partial. */
const COUNT = 2 * LEAF_CHUNK + 52;

/** What the process was doing when it stopped: thrown where a crash would have cut the work. */
class ProcessStopped extends Error {
  constructor(where: string) {
    super(`process stopped ${where}`);
  }
}

/** A finaliser that never runs: the process stopped right after the ledger committed the anchor. */
class StoppedAfterAnchor extends BatchFinaliser {
  override finalise(): Promise<void> {
    return Promise.reject(new ProcessStopped('after the anchor committed'));
  }
}

const land: Principal = {
  userId: 'usr-land-data-officer',
  username: 'land.data_officer',
  orgMspId: ORG.land,
  roles: ['DATA_OFFICER'],
  operator: 'opr-land-data-officer',
};

const query = (batchId: string) => ({
  batchId,
  periodStart: '2026-10-01T00:00:00Z',
  periodEnd: '2026-10-31T23:59:59Z',
});

/** `COUNT` HOMESTEAD records of subjects `first`..; each test uses its own subjects. */
function records(first: number, count = COUNT): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => homestead(first + i));
}

/** Resolves once `done()` holds; fails after 30 s. */
async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (const started = Date.now(); !(await done());) {
    if (Date.now() - started > 30_000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function jsonBody(rs: readonly Record<string, unknown>[]): Readable {
  return Readable.from([Buffer.from(JSON.stringify(rs))]);
}

describe('provenance: recovery of uploads a stopped process left unfinished', function () {
  this.timeout(120_000);
  let g: ConsortiumGateway;
  let levels: ProvenanceSublevels;
  let store: RecordStoreImpl;

  before(async () => {
    g = await startConsortiumGateway([provenanceModule]);
    levels = provenanceSublevels(g.gateway.deps);
    store = new RecordStoreImpl(levels);
  });
  after(() => g.stop());

  /** A service over the gateway's database, as a restarted process would build it. */
  function freshService(options: Partial<ProvenanceServiceOptions> = {}) {
    const { logger, lines } = memoryLogger();
    const service = new ProvenanceServiceImpl({
      context: g.context,
      db: g.gateway.deps.db,
      levels,
      logger,
      ...options,
    });
    return { service, logs: lines };
  }

  async function intents(): Promise<AnchorIntent[]> {
    const out: AnchorIntent[] = [];
    for await (const value of levels.intents.values()) out.push(AnchorIntentSchema.parse(value));
    return out;
  }

  /** The one intent left behind. */
  async function onlyIntent(): Promise<AnchorIntent> {
    const all = await intents();
    expect(
      all.map((i) => i.uploadId),
      'intents left',
    ).to.have.length(1);
    return all[0]!;
  }

  /** Keys under `uploadId!` in the record and tree sublevels, by kind, and whether its intent is there. */
  async function stagedKeys(
    uploadId: string,
  ): Promise<{ records: number; leafChunks: number; subjectChunks: number; roots: number; intent: number }> {
    const range = { gte: `${uploadId}!`, lt: `${uploadId}"` };
    let recordKeys = 0;
    for await (const _ of levels.recordsRaw.keys(range)) recordKeys += 1;
    const out = { records: recordKeys, leafChunks: 0, subjectChunks: 0, roots: 0, intent: 0 };
    for await (const key of levels.tree.keys(range)) {
      const kind = key.slice(uploadId.length + 1, uploadId.length + 2);
      if (kind === 'L') out.leafChunks += 1;
      else if (kind === 'S') out.subjectChunks += 1;
      else if (kind === 'R') out.roots += 1;
    }
    for await (const key of levels.intents.keys()) if (key === uploadId) out.intent += 1;
    return out;
  }

  /** Entries of `batchId` in the subject and leaf indexes, and how many distinct record positions each covers. */
  async function indexEntries(
    batchId: string,
  ): Promise<{ bySubject: number; subjectPositions: number; byLeaf: number; leafPositions: number }> {
    const mark = `!${batchId}!`;
    const subjectPositions = new Set<string>();
    const leafPositions = new Set<string>();
    let bySubject = 0;
    let byLeaf = 0;
    for await (const key of levels.bySubject.keys()) {
      if (!key.includes(mark)) continue;
      bySubject += 1;
      subjectPositions.add(key.slice(key.indexOf(mark) + mark.length));
    }
    for await (const key of levels.byLeaf.keys()) {
      if (!key.includes(mark)) continue;
      byLeaf += 1;
      leafPositions.add(key.slice(key.indexOf(mark) + mark.length));
    }
    return { bySubject, subjectPositions: subjectPositions.size, byLeaf, leafPositions: leafPositions.size };
  }

  async function ledgerBatch(ledger: LedgerClient, batchId: string): Promise<AnchoredBatch> {
    return ledger.evaluate<AnchoredBatch>(ORG.bankA, 'Provenance:GetBatch', [batchId]);
  }

  async function blockOf(ledger: LedgerClient, txId: string): Promise<number | undefined> {
    return (await (ledger as EmbeddedLedgerClientImpl).ledger.getTransaction(txId))?.blockNumber;
  }

  /**
   * Asserts the batch is stored exactly as an uninterrupted upload stores it:
   * COMPLETE with the anchored facts, every record with a proof that verifies
   * against the anchored root, each record once in each index, and nothing
   * left that only recovery needed.
   */
  async function expectStoredOnce(
    ledger: LedgerClient,
    batchId: string,
    uploadId: string,
    rs: readonly Record<string, unknown>[],
  ): Promise<void> {
    const anchored = await ledgerBatch(ledger, batchId);
    const tree = MerkleTree.fromRecords(rs);
    expect(anchored.merkleRoot, 'anchored root').to.equal(tree.rootHex());
    expect(await store.batch(batchId), 'batch meta').to.deep.equal({
      batchId,
      uploadId,
      datasetType: 'HOMESTEAD',
      merkleRoot: anchored.merkleRoot,
      recordCount: rs.length,
      anchoredAt: anchored.anchoredAt,
      txId: anchored.txId,
      blockNumber: await blockOf(ledger, anchored.txId),
      state: 'COMPLETE',
    });
    for (const [i, record] of rs.entries()) {
      const stored = await store.recordAt(batchId, i);
      expect(stored?.record, `record ${i}`).to.deep.equal(record);
      expect(stored?.proof, `proof of ${i}`).to.deep.equal(tree.proof(i));
      const leaf = leafHash(record).toString('hex');
      expect(
        verifyInclusion(leaf, stored!.proof, anchored.merkleRoot, anchored.recordCount),
        `proof ${i}`,
      ).to.equal(true);
    }
    expect(await indexEntries(batchId), 'index entries').to.deep.equal({
      bySubject: rs.length,
      subjectPositions: rs.length,
      byLeaf: rs.length,
      leafPositions: rs.length,
    });
    for (const i of [0, LEAF_CHUNK - 1, LEAF_CHUNK, rs.length - 1]) {
      const subjectId = (rs[i] as { subjectId: string }).subjectId;
      const latest = await store.latestForSubject(await g.context.subjects.pseudonym(subjectId), 'HOMESTEAD');
      expect(
        latest.map((r) => [r.batchId, r.index]),
        `subject of record ${i}`,
      ).to.deep.equal([[batchId, i]]);
    }
    expect(await stagedKeys(uploadId), 'staged keys').to.deep.equal({
      records: rs.length,
      leafChunks: Math.ceil(rs.length / LEAF_CHUNK),
      subjectChunks: 0,
      roots: 1,
      intent: 0,
    });
  }

  /** Stages `rs` as an upload would and records the anchor intent, without submitting it. */
  async function stageUnsubmitted(uploadId: string, batchId: string, rs: readonly Record<string, unknown>[]) {
    const staging = new UploadStaging(g.gateway.deps.db, levels, uploadId);
    await staging.begin();
    for (const [i, record] of rs.entries()) {
      const subject = await g.context.subjects.pseudonym((record as { subjectId: string }).subjectId);
      await staging.addRecord(i, record, Buffer.from(subject, 'hex'));
    }
    await staging.finishRecords();
    const leaves = Buffer.concat(rs.map((r) => leafHash(r)));
    const merkleRoot = await staging.writeTree(leaves);
    await staging.prepareAnchor({
      batchId,
      datasetType: 'HOMESTEAD',
      provider: ORG.land,
      merkleRoot,
      recordCount: rs.length,
      ledgerHeight: await g.context.ledger.height(),
    });
    expect(leaves.length).to.equal(rs.length * HASH_BYTES);
  }

  it('when the process stopped after the anchor committed, then recovery on a fresh service stores the batch once', async () => {
    const rs = records(1000);
    const stopped = freshService({ finaliser: new StoppedAfterAnchor(levels) });
    const err = await stopped.service
      .upload(land, 'HOMESTEAD', query('rc-after-anchor'), 'json', jsonBody(rs))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err, 'upload error').to.be.instanceOf(AppError);
    expect((err as AppError).status).to.equal(500);
    const anchored = await ledgerBatch(g.context.ledger, 'rc-after-anchor');
    expect((err as AppError).txId, 'txId of the anchor').to.equal(anchored.txId);
    // What the stop left: anchored on the ledger, staged but not stored.
    expect(await store.batch('rc-after-anchor'), 'batch meta before recovery').to.equal(undefined);
    const intent = await onlyIntent();
    expect(intent).to.deep.include({
      state: 'ANCHORING',
      batchId: 'rc-after-anchor',
      datasetType: 'HOMESTEAD',
      provider: ORG.land,
      merkleRoot: MerkleTree.fromRecords(rs).rootHex(),
      recordCount: COUNT,
    });
    expect(await stagedKeys(intent.uploadId)).to.deep.equal({
      records: COUNT,
      leafChunks: 3,
      subjectChunks: 3,
      roots: 1,
      intent: 1,
    });
    expect(
      ((await g.api('/batches/rc-after-anchor', { as: ['bankA', 'LOAN_OFFICER'] })).body as BatchView)
        .storedRecordCount,
    ).to.equal(0);

    const restarted = freshService();
    expect(await restarted.service.recoverPendingBatches()).to.deep.equal({
      recovered: 1,
      discarded: 0,
      pending: 0,
    });

    await expectStoredOnce(g.context.ledger, 'rc-after-anchor', intent.uploadId, rs);
    expect(await intents()).to.deep.equal([]);
    expect(
      ((await g.api('/batches/rc-after-anchor', { as: ['bankA', 'LOAN_OFFICER'] })).body as BatchView)
        .storedRecordCount,
    ).to.equal(COUNT);
    const verify = await g.api('/provenance/verify', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: { record: rs[COUNT - 1], proof: MerkleTree.fromRecords(rs).proof(COUNT - 1) },
    });
    expect(verify.body).to.deep.include({ valid: true, batchId: 'rc-after-anchor', txId: anchored.txId });
    expect(await restarted.service.recoverPendingBatches(), 'a second run').to.deep.equal({
      recovered: 0,
      discarded: 0,
      pending: 0,
    });
  });

  it('when the process stopped with half the index written, then recovery completes it without duplicate entries', async () => {
    const rs = records(4000);
    const stopped = freshService({
      finaliser: new BatchFinaliser(levels, {
        onProgress: (indexed) => {
          if (indexed === LEAF_CHUNK) throw new ProcessStopped('while indexing');
        },
      }),
    });
    const err = await stopped.service
      .upload(land, 'HOMESTEAD', query('rc-mid-index'), 'json', jsonBody(rs))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as AppError).status, 'upload error status').to.equal(500);
    const intent = await onlyIntent();
    expect((await store.batch('rc-mid-index'))?.state, 'state when stopped').to.equal('INDEXING');
    expect(await indexEntries('rc-mid-index'), 'index entries when stopped').to.deep.equal({
      bySubject: LEAF_CHUNK,
      subjectPositions: LEAF_CHUNK,
      byLeaf: LEAF_CHUNK,
      leafPositions: LEAF_CHUNK,
    });
    expect(await store.recordAt('rc-mid-index', 0), 'readable before COMPLETE').to.equal(undefined);

    const restarted = freshService();
    expect(await restarted.service.recoverPendingBatches()).to.deep.equal({
      recovered: 1,
      discarded: 0,
      pending: 0,
    });
    await expectStoredOnce(g.context.ledger, 'rc-mid-index', intent.uploadId, rs);
    expect(await intents()).to.deep.equal([]);
  });

  it('when recovery runs while an upload of the same process is streaming, then it leaves that upload alone', async () => {
    const rs = records(14_000, 5);
    const { service } = freshService();
    const body = new PassThrough();
    body.write(`[${JSON.stringify(rs[0])}`);
    const uploading = service.upload(land, 'HOMESTEAD', query('rc-in-flight'), 'json', body);
    await waitFor(async () => (await intents()).length === 1);
    expect(await service.recoverPendingBatches()).to.deep.equal({ recovered: 0, discarded: 0, pending: 0 });
    expect((await onlyIntent()).state, 'intent of the running upload').to.equal('STAGING');
    body.end(
      `,${rs
        .slice(1)
        .map((r) => JSON.stringify(r))
        .join(',')}]`,
    );
    const result = await uploading;
    expect(result.recordCount).to.equal(rs.length);
    expect(await intents()).to.deep.equal([]);
    expect((await store.batch('rc-in-flight'))?.state).to.equal('COMPLETE');
  });

  it('when an unfinished upload names a batch already stored from another upload, then recovery discards it and the stored batch stays', async () => {
    const rs = records(12_000, 4);
    const first = await freshService().service.upload(
      land,
      'HOMESTEAD',
      query('rc-dup'),
      'json',
      jsonBody(rs),
    );
    expect(first.recordCount).to.equal(rs.length);
    await stageUnsubmitted('upl-dup-retry', 'rc-dup', rs);
    expect(await freshService({ anchorGraceMs: 60_000 }).service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 1,
      pending: 0,
    });
    expect((await stagedKeys('upl-dup-retry')).intent).to.equal(0);
    expect((await stagedKeys('upl-dup-retry')).records).to.equal(0);
    const read = await g.api('/batches/rc-dup', { as: ['bankA', 'LOAN_OFFICER'] });
    expect(read.status, read.text).to.equal(200);
    expect((read.body as BatchView).storedRecordCount).to.equal(rs.length);
  });

  it('when the process stopped before the anchor reached the ledger, then recovery discards the staging and the intent', async () => {
    const before = await storedKeyCounts(g);
    const rs = records(7000);
    await stageUnsubmitted('upl-never-anchored', 'rc-never-anchored', rs);
    expect(await stagedKeys('upl-never-anchored')).to.deep.equal({
      records: COUNT,
      leafChunks: 3,
      subjectChunks: 3,
      roots: 1,
      intent: 1,
    });
    const height = await g.context.ledger.height();

    const restarted = freshService();
    expect(await restarted.service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 1,
      pending: 0,
    });

    expect(await stagedKeys('upl-never-anchored')).to.deep.equal({
      records: 0,
      leafChunks: 0,
      subjectChunks: 0,
      roots: 0,
      intent: 0,
    });
    expect(await storedKeyCounts(g), 'stored keys').to.deep.equal(before);
    expect(await g.context.ledger.height(), 'ledger height').to.equal(height);
    const read = await g.api('/batches/rc-never-anchored', { as: ['bankA', 'LOAN_OFFICER'] });
    expect(read.status, read.text).to.equal(404);
  });

  it('when an unanchored intent is younger than the anchor grace, then it stays pending until the grace has passed', async () => {
    const rs = records(10_000, 3);
    await stageUnsubmitted('upl-recent', 'rc-recent', rs);
    const cautious = freshService({ anchorGraceMs: 60_000 });
    expect(await cautious.service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 0,
      pending: 1,
    });
    expect((await stagedKeys('upl-recent')).intent, 'intent kept').to.equal(1);
    expect(await freshService({ anchorGraceMs: 0 }).service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 1,
      pending: 0,
    });
    expect(await intents()).to.deep.equal([]);
  });

  it('when the grace has passed but the ledger holds no transaction made after it (a lagging peer), then the intent stays pending until one is', async () => {
    const rs = records(10_100, 3);
    await stageUnsubmitted('upl-lagging', 'rc-lagging', rs);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Grace of 1 ms: long past, but nothing was committed since the intent was written.
    const lagging = freshService({ anchorGraceMs: 1 });
    expect(await lagging.service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 0,
      pending: 1,
    });
    expect((await stagedKeys('upl-lagging')).intent, 'intent kept').to.equal(1);
    // Any later transaction shows this ledger has moved past the grace: now "not found" is final.
    await g.context.ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
      JSON.stringify({
        grantId: 'g-after-grace',
        subject: await g.context.subjects.pseudonym(residentId(10_100)),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: '2026-01-01T00:00:00Z',
        validUntil: '2030-01-01T00:00:00Z',
        evidence: { type: 'FORM_HASH', formHash: 'a'.repeat(64) },
      }),
    ]);
    expect(await lagging.service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 1,
      pending: 0,
    });
    expect((await stagedKeys('upl-lagging')).intent).to.equal(0);
  });

  it('when the batch ID was anchored with another root, then recovery discards the staging and logs an error', async () => {
    const first = records(11_000, 5);
    const res = await g.api(
      `/datasets/HOMESTEAD/batches?${new URLSearchParams(query('rc-taken')).toString()}`,
      {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        body: JSON.stringify(first),
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(res.status, res.text).to.equal(201);
    const storedBefore = await store.batch('rc-taken');
    await stageUnsubmitted('upl-other-root', 'rc-taken', records(12_000, 5));

    const restarted = freshService();
    expect(await restarted.service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 1,
      pending: 0,
    });
    expect(await stagedKeys('upl-other-root')).to.deep.equal({
      records: 0,
      leafChunks: 0,
      subjectChunks: 0,
      roots: 0,
      intent: 0,
    });
    expect(await store.batch('rc-taken'), 'the anchored batch').to.deep.equal(storedBefore);
    const errors = restarted.logs.filter((l) => l.level === 'error');
    expect(errors.map((l) => [l.msg, l.batchId, l.uploadId])).to.deep.equal([
      ['batch ID anchored with another root; discarded this upload', 'rc-taken', 'upl-other-root'],
    ]);
  });

  it('when the ledger is unreachable, then the intent is kept, and the module recovers it when it next starts', async () => {
    const rs = records(20_000);
    const stopped = freshService({ finaliser: new StoppedAfterAnchor(levels) });
    await stopped.service.upload(land, 'HOMESTEAD', query('rc-ledger-down'), 'json', jsonBody(rs)).then(
      () => expect.fail('the upload should have stopped'),
      (e: unknown) => expect(e).to.be.instanceOf(AppError),
    );
    const anchoredIntent = await onlyIntent();
    // And an upload stopped while streaming: settled without the ledger.
    const streaming = new UploadStaging(g.gateway.deps.db, levels, 'upl-stopped-streaming');
    await streaming.begin();
    await streaming.addRecord(0, homestead(30_000), Buffer.alloc(HASH_BYTES, 1));
    await streaming.finishRecords();

    await g.context.ledger.close();
    const offline = freshService();
    expect(await offline.service.recoverPendingBatches()).to.deep.equal({
      recovered: 0,
      discarded: 1,
      pending: 1,
    });
    expect(await stagedKeys('upl-stopped-streaming')).to.deep.equal({
      records: 0,
      leafChunks: 0,
      subjectChunks: 0,
      roots: 0,
      intent: 0,
    });
    expect(await stagedKeys(anchoredIntent.uploadId), 'kept for the next run').to.deep.equal({
      records: COUNT,
      leafChunks: 3,
      subjectChunks: 3,
      roots: 1,
      intent: 1,
    });
    expect(await store.batch('rc-ledger-down')).to.equal(undefined);
    expect(
      offline.logs
        .filter((l) => l.level === 'warn')
        .map((l) => [l.msg, l.uploadId])
        .sort(),
    ).to.deep.equal([
      ['discarded an upload that stopped before anchoring', 'upl-stopped-streaming'],
      ['ledger unreachable while recovering an upload; left for the next run', anchoredIntent.uploadId],
    ]);

    const ledger = await openLedger(g.config, loadConsortium(), memoryLogger().logger);
    try {
      const context: DomainContext = { ...g.context, ledger };
      const { logger, lines } = memoryLogger();
      const restarted = createGateway({
        config: g.config,
        db: g.gateway.deps.db,
        logger,
        modules: [{ name: 'provenance', register: (r, d) => provenanceModule(context, d).register(r, d) }],
      });
      const finished = (l: Record<string, unknown>) => l.msg === 'provenance recovery finished';
      await waitFor(() => lines.some(finished));
      await restarted.stop();
      expect(
        lines
          .filter((l) => l.msg === 'provenance recovery finished')
          .map((l) => [l.level, l.recovered, l.discarded, l.pending]),
      ).to.deep.equal([['info', 1, 0, 0]]);
      await expectStoredOnce(ledger, 'rc-ledger-down', anchoredIntent.uploadId, rs);
      expect(await intents()).to.deep.equal([]);
      const view = await new ProvenanceServiceImpl({
        context,
        db: g.gateway.deps.db,
        levels,
        logger,
      }).get(land, 'rc-ledger-down');
      expect(view.storedRecordCount).to.equal(COUNT);
    } finally {
      await ledger.close();
    }
  });
});
