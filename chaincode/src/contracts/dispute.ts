import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { DAY_SECONDS, isoFromEpochSeconds } from '@ruralcredit/protocol';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, key } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import { requireCaller, seesAll } from '../lib/members';
import {
  deleteIndex,
  emit,
  exists,
  pageSizeOf,
  putIndex,
  readIndexPage,
  readRecord,
  readRecords,
  txEpochSeconds,
  txTime,
  writeRecord,
} from '../lib/state';
import { DISPUTE_DAYS, DISPUTE_OUTCOMES, Dispute, Resolution } from '../model/dispute';
import { Grant } from '../model/grant';
import type { Member } from '../model/member';
import { readGrant } from './consent';
import { readBatch } from './provenance';

/** Most records {@link DisputeContract.GetOpenDisputes} checks in one call. */
export const MAX_DISPUTE_CHECKS = 100;

/** A dispute as returned: the record plus whether it is overdue at the transaction time. */
function view(ctx: Context, d: Dispute): object {
  return { ...d, overdue: d.status === 'OPEN' && txTime(ctx) > d.dueBy };
}

/**
 * Disputes (异议): a bank holding the subject's grant, or the regulator, files
 * one on a record; it is marked disputed at once; the dataset's provider must
 * resolve it within 20 days.
 */
@Info({ title: 'Dispute', description: 'Disputes on anchored records' })
export class DisputeContract extends Contract {
  constructor() {
    super('Dispute');
  }

  /**
   * Files a dispute on a record (dataset type, batch, record hash).
   *
   * @param disputeJson `{ disputeId, datasetType, batchId, recordHash, subject, grantId?, reason }`
   * @throws FORBIDDEN for a bank without an active grant from the subject covering the dataset;
   * INVALID when the batch is of another type; CONFLICT on a duplicate ID or an open dispute on the record.
   */
  @Transaction()
  @Returns('string')
  async FileDispute(ctx: Context, disputeJson: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR');
    const dispute = Dispute.newInstance(parseArgument(disputeJson, 'dispute'));
    if (caller.role === 'BANK') await this.#requireGrant(ctx, caller, dispute);
    const batch = await readBatch(ctx, dispute.batchId);
    if (batch.datasetType !== dispute.datasetType)
      throw invalid(`batch ${batch.batchId} is not of ${dispute.datasetType}`);
    const k = key(ctx, KeyType.dispute, [dispute.disputeId]);
    if (await exists(ctx, k)) throw conflict(`dispute ${dispute.disputeId} already exists`);
    const markKey = key(ctx, KeyType.disputeByRecord, [dispute.batchId, dispute.recordHash]);
    const open = await readRecord<{ disputeId: string }>(ctx, markKey);
    if (open) throw conflict(`the record is already disputed by ${open.disputeId}`);
    const filedAt = txEpochSeconds(ctx);
    dispute.provider = batch.provider;
    dispute.filedBy = caller.mspId;
    dispute.filedAt = isoFromEpochSeconds(filedAt);
    dispute.dueBy = isoFromEpochSeconds(filedAt + DISPUTE_DAYS * DAY_SECONDS);
    dispute.txId = ctx.stub.getTxID();
    await writeRecord(ctx, k, dispute);
    await writeRecord(ctx, markKey, { disputeId: dispute.disputeId });
    await putIndex(ctx, KeyType.disputeOpen, [dispute.filedAt, dispute.disputeId]);
    for (const party of [dispute.filedBy, dispute.provider]) {
      await putIndex(ctx, KeyType.disputeByParty, [party, dispute.disputeId]);
      await putIndex(ctx, KeyType.disputeOpenByParty, [party, dispute.filedAt, dispute.disputeId]);
    }
    emit(ctx, 'DisputeFiled', {
      disputeId: dispute.disputeId,
      datasetType: dispute.datasetType,
      batchId: dispute.batchId,
      recordHash: dispute.recordHash,
      subject: dispute.subject,
      provider: dispute.provider,
      filedBy: dispute.filedBy,
    });
    return marshal(view(ctx, dispute));
  }

  /**
   * Resolves a dispute, by the dataset's provider. CORRECTED names the
   * correcting batch, which must correct the disputed batch.
   *
   * @param resolutionJson `{ outcome, correctingBatchId?, noteDigest }`
   * @throws FORBIDDEN for anyone but the provider; CONFLICT when already resolved.
   */
  @Transaction()
  @Returns('string')
  async ResolveDispute(ctx: Context, disputeId: string, resolutionJson: string): Promise<string> {
    const provider = await requireCaller(ctx, 'DATA_PROVIDER');
    const dispute = await this.#existing(ctx, new Fields({ disputeId }, 'resolution').id('disputeId'));
    if (dispute.provider !== provider.mspId)
      throw forbidden('only the dataset provider may resolve this dispute');
    if (dispute.status !== 'OPEN') throw conflict(`dispute ${dispute.disputeId} is already resolved`);
    const f = new Fields(parseArgument(resolutionJson, 'resolution'), 'resolution', [
      'outcome',
      'correctingBatchId',
      'noteDigest',
    ]);
    const resolution = new Resolution();
    resolution.outcome = f.oneOf('outcome', DISPUTE_OUTCOMES);
    resolution.noteDigest = f.digest('noteDigest');
    if (resolution.outcome === 'CORRECTED') {
      const correcting = await readBatch(ctx, f.id('correctingBatchId'));
      if (correcting.corrects !== dispute.batchId) {
        throw invalid(`batch ${correcting.batchId} does not correct ${dispute.batchId}`);
      }
      resolution.correctingBatchId = correcting.batchId;
    } else if (f.has('correctingBatchId')) {
      throw invalid(`resolution.correctingBatchId is only for CORRECTED`);
    }
    resolution.resolvedBy = provider.mspId;
    resolution.resolvedAt = txTime(ctx);
    resolution.late = resolution.resolvedAt > dispute.dueBy;
    resolution.txId = ctx.stub.getTxID();
    dispute.status = 'RESOLVED';
    dispute.resolution = resolution;
    await writeRecord(ctx, key(ctx, KeyType.dispute, [dispute.disputeId]), dispute);
    await ctx.stub.deleteState(key(ctx, KeyType.disputeByRecord, [dispute.batchId, dispute.recordHash]));
    await deleteIndex(ctx, KeyType.disputeOpen, [dispute.filedAt, dispute.disputeId]);
    for (const party of [dispute.filedBy, dispute.provider]) {
      await deleteIndex(ctx, KeyType.disputeOpenByParty, [party, dispute.filedAt, dispute.disputeId]);
    }
    emit(ctx, 'DisputeResolved', {
      disputeId: dispute.disputeId,
      datasetType: dispute.datasetType,
      subject: dispute.subject,
      provider: dispute.provider,
      filedBy: dispute.filedBy,
      outcome: resolution.outcome,
      late: resolution.late,
    });
    return marshal(view(ctx, dispute));
  }

  /** Reads a dispute: the filer, the provider, the regulator and auditors. */
  @Transaction(false)
  @Returns('string')
  async GetDispute(ctx: Context, disputeId: string): Promise<string> {
    const caller = await requireCaller(ctx);
    const dispute = await this.#existing(ctx, new Fields({ disputeId }, 'query').id('disputeId'));
    if (!seesAll(caller) && dispute.filedBy !== caller.mspId && dispute.provider !== caller.mspId) {
      throw forbidden('only the parties, the regulator and auditors may read this dispute');
    }
    return marshal(view(ctx, dispute));
  }

  /**
   * Whether a record is disputed (any active member: the mark is public): the
   * open dispute's ID and status only. Who filed it, on whose record and why is
   * for the parties, the regulator and auditors ({@link GetDispute}).
   */
  @Transaction(false)
  @Returns('string')
  async GetOpenDispute(ctx: Context, batchId: string, recordHash: string): Promise<string> {
    await requireCaller(ctx);
    const f = new Fields({ batchId, recordHash }, 'query');
    const mark = await readRecord<{ disputeId: string }>(
      ctx,
      key(ctx, KeyType.disputeByRecord, [f.id('batchId'), f.digest('recordHash')]),
    );
    if (!mark) throw notFound('the record has no open dispute');
    const dispute = await this.#existing(ctx, mark.disputeId);
    return marshal({ disputeId: dispute.disputeId, status: dispute.status });
  }

  /**
   * {@link GetOpenDispute} for several records in one call, as a report checks every record it
   * shows: one proposal and one chaincode call instead of one per record, and a record without a
   * dispute is an answer, not an error. Same visibility: the open dispute's ID and status only.
   *
   * @param recordsJson `{ records: [{ batchId, recordHash }] }`, 1-{@link MAX_DISPUTE_CHECKS} records
   * @returns `[{ batchId, recordHash, disputeId?, status? }]` in the order asked, the dispute's
   *   fields only on a record with an open dispute
   * @throws INVALID on a malformed list, an unknown field or more than {@link MAX_DISPUTE_CHECKS} records.
   */
  @Transaction(false)
  @Returns('string')
  async GetOpenDisputes(ctx: Context, recordsJson: string): Promise<string> {
    await requireCaller(ctx);
    const records = new Fields(parseArgument(recordsJson, 'records'), 'query', ['records']).objects(
      'records',
      MAX_DISPUTE_CHECKS,
      ['batchId', 'recordHash'],
    );
    const out: object[] = [];
    for (const f of records) {
      const batchId = f.id('batchId');
      const recordHash = f.digest('recordHash');
      const mark = await readRecord<{ disputeId: string }>(
        ctx,
        key(ctx, KeyType.disputeByRecord, [batchId, recordHash]),
      );
      if (!mark) {
        out.push({ batchId, recordHash });
        continue;
      }
      const dispute = await this.#existing(ctx, mark.disputeId);
      out.push({ batchId, recordHash, disputeId: dispute.disputeId, status: dispute.status });
    }
    return marshal(out);
  }

  /**
   * Lists disputes, or with overdue 'true' the open ones past their 20 days at
   * the transaction time, oldest first: parties see theirs; the regulator and auditors all.
   */
  @Transaction(false)
  @Returns('string')
  async ListDisputes(ctx: Context, overdue: string, pageSize: string, bookmark: string): Promise<string> {
    const caller = await requireCaller(ctx);
    const onlyOverdue = new Fields({ overdue: overdue === '' ? 'false' : overdue }, 'query').oneOf(
      'overdue',
      ['true', 'false'],
    );
    const size = pageSizeOf(pageSize);
    const cutoff = isoFromEpochSeconds(txEpochSeconds(ctx) - DISPUTE_DAYS * DAY_SECONDS);
    const all = seesAll(caller);
    const page =
      onlyOverdue === 'true'
        ? await readIndexPage(ctx, {
            type: all ? KeyType.disputeOpen : KeyType.disputeOpenByParty,
            prefix: all ? [] : [caller.mspId],
            pageSize: size,
            bookmark,
            stopAt: { index: all ? 0 : 1, value: cutoff },
          })
        : await readIndexPage(ctx, {
            type: all ? KeyType.dispute : KeyType.disputeByParty,
            prefix: all ? [] : [caller.mspId],
            pageSize: size,
            bookmark,
          });
    const disputes = await readRecords<Dispute>(ctx, KeyType.dispute, page.records);
    return marshal({ records: disputes.map((d) => view(ctx, d)), bookmark: page.bookmark });
  }

  async #requireGrant(ctx: Context, bank: Member, dispute: Dispute): Promise<void> {
    if (dispute.grantId === '') throw forbidden("a bank files a dispute under the subject's grant (grantId)");
    const grant = await readGrant(ctx, dispute.grantId);
    if (!grant || grant.grantee !== bank.mspId || grant.subject !== dispute.subject) {
      throw forbidden('no grant from this subject to this bank');
    }
    if (!grant.scope.includes(dispute.datasetType))
      throw forbidden(`the grant does not cover ${dispute.datasetType}`);
    const status = Grant.statusAt(grant, txEpochSeconds(ctx));
    if (status !== 'ACTIVE') throw forbidden(`the grant is ${status}`);
  }

  async #existing(ctx: Context, disputeId: string): Promise<Dispute> {
    const d = await readRecord<Dispute>(ctx, key(ctx, KeyType.dispute, [disputeId]));
    if (!d) throw notFound(`dispute ${disputeId} does not exist`);
    return d;
  }
}
