import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, type KeyTypeName, key, lastKeyPart } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import { callerMspId, readMember, requireCaller, seesAll } from '../lib/members';
import {
  emit,
  exists,
  pageSizeOf,
  putIndex,
  readIndexPage,
  readRecord,
  txEpochSeconds,
  txTime,
  writeRecord,
} from '../lib/state';
import { AccessRecord, type DenialReason } from '../model/access';
import type { DatasetType } from '../model/catalogue';
import { Grant } from '../model/grant';
import { readGrant } from './consent';

/**
 * Decides an access against a grant at `atSeconds`; undefined means GRANTED.
 * The order is fixed so the same request always gets the same reason.
 */
function denialReason(
  access: AccessRecord,
  grant: Grant | undefined,
  atSeconds: number,
): DenialReason | undefined {
  if (!grant) return 'NO_GRANT';
  if (grant.grantee !== access.accessor) return 'OTHER_BANK_GRANT';
  if (grant.subject !== access.subject) return 'WRONG_SUBJECT';
  const status = Grant.statusAt(grant, atSeconds);
  if (status !== 'ACTIVE') return status;
  if (grant.purpose !== access.purpose) return 'WRONG_PURPOSE';
  if (!access.datasets.every((d) => grant.scope.includes(d))) return 'OUT_OF_SCOPE';
  if (grant.maxAccesses > 0 && grant.accessesUsed >= grant.maxAccesses) return 'BUDGET_EXHAUSTED';
  return undefined;
}

/**
 * Reads an access record of `accessor`. Records written before access IDs were
 * scoped per institution (issue 12 item 18) are keyed by the access ID alone:
 * they are found there when their accessor matches.
 */
async function readAccess(
  ctx: Context,
  accessor: string,
  accessId: string,
): Promise<AccessRecord | undefined> {
  const scoped = await readRecord<AccessRecord>(ctx, key(ctx, KeyType.access, [accessor, accessId]));
  if (scoped) return scoped;
  const legacy = await readRecord<AccessRecord>(ctx, key(ctx, KeyType.access, [accessId]));
  return legacy?.accessor === accessor ? legacy : undefined;
}

/** The institutions that recorded an access under `accessId` (bounded: IDs are per institution). */
async function accessorsOf(ctx: Context, accessId: string): Promise<string[]> {
  const accessors: string[] = [];
  const iterator = await ctx.stub.getStateByPartialCompositeKey(KeyType.accessById, [accessId]);
  try {
    for (let r = await iterator.next(); !r.done && accessors.length < 1000; r = await iterator.next()) {
      accessors.push(lastKeyPart(ctx, r.value.key));
    }
  } finally {
    await iterator.close();
  }
  const legacy = await readRecord<AccessRecord>(ctx, key(ctx, KeyType.access, [accessId]));
  if (legacy && !accessors.includes(legacy.accessor)) accessors.push(legacy.accessor);
  return accessors;
}

/** Validates an optional time-range bound ('' = open). */
function bound(value: string, name: string): string {
  return value === '' ? '' : new Fields({ [name]: value }, 'range').time(name);
}

/**
 * The query audit trail. A bank records every access before releasing any
 * data; the chaincode decides GRANTED or DENIED against the grant, read in
 * the same transaction, and both outcomes go on the ledger.
 */
@Info({ title: 'Access', description: 'Query audit trail of data accesses' })
export class AccessContract extends Contract {
  constructor() {
    super('Access');
  }

  /**
   * Records an access attempt by the calling bank and decides its outcome.
   * A GRANTED access consumes one unit of the grant's budget and writes the
   * grant, so a revocation committed concurrently invalidates one of the two.
   * A suspended bank's attempt is recorded as DENIED (SUSPENDED).
   *
   * @param accessJson `{ accessId, grantId, subject, datasets, purpose, operator, releaseDigest }`
   * @throws FORBIDDEN when the caller is not a bank; INVALID on malformed input or an
   * undefined dataset type; CONFLICT on a duplicate access ID.
   */
  @Transaction()
  @Returns('string')
  async RecordAccess(ctx: Context, accessJson: string): Promise<string> {
    const mspId = callerMspId(ctx);
    const caller = await readMember(ctx, mspId);
    if (!caller || caller.role !== 'BANK') throw forbidden(`${mspId} is not a member bank`);
    const access = AccessRecord.newInstance(parseArgument(accessJson, 'access'));
    for (const code of access.datasets) {
      if (!(await exists(ctx, key(ctx, KeyType.datasetType, [code])))) {
        throw invalid(`access.datasets names undefined dataset type ${code}`);
      }
    }
    // Access IDs are the client's idempotency keys, one namespace per institution: another
    // bank's use of the same ID neither blocks this attempt nor keeps it off the ledger.
    const accessKey = key(ctx, KeyType.access, [mspId, access.accessId]);
    if (await readAccess(ctx, mspId, access.accessId)) {
      throw conflict(`access ${access.accessId} already exists`);
    }
    access.accessor = mspId;
    access.accessedAt = txTime(ctx);
    access.txId = ctx.stub.getTxID();
    const grant = await readGrant(ctx, access.grantId);
    const reason =
      caller.status !== 'ACTIVE' ? 'SUSPENDED' : denialReason(access, grant, txEpochSeconds(ctx));
    if (reason === undefined && grant) {
      access.outcome = 'GRANTED';
      grant.accessesUsed += 1;
      await writeRecord(ctx, key(ctx, KeyType.grant, [grant.grantId]), grant);
    } else {
      access.outcome = 'DENIED';
      access.reason = reason;
    }
    await writeRecord(ctx, accessKey, access);
    const at = access.accessedAt;
    await putIndex(ctx, KeyType.accessById, [access.accessId, access.accessor]);
    await putIndex(ctx, KeyType.accessBySubject, [access.subject, at, access.accessor, access.accessId]);
    await putIndex(ctx, KeyType.accessByAccessor, [access.accessor, at, access.accessId]);
    await putIndex(ctx, KeyType.accessByAccessorSubject, [
      access.accessor,
      access.subject,
      at,
      access.accessId,
    ]);
    emit(ctx, 'AccessRecorded', {
      accessId: access.accessId,
      grantId: access.grantId,
      subject: access.subject,
      accessor: access.accessor,
      operator: access.operator,
      datasets: access.datasets,
      purpose: access.purpose,
      outcome: access.outcome,
      reason: access.reason,
      releaseDigest: access.releaseDigest,
    });
    return marshal(access);
  }

  /**
   * Reads an access record by ID: a bank its own (another bank's ID is simply
   * not found: each bank has its own namespace); the regulator and auditors
   * the one access recorded under the ID.
   *
   * @throws NOT_FOUND when there is none; CONFLICT for the regulator or an auditor when
   * several institutions used the ID (read it with {@link GetAccessOf}).
   */
  @Transaction(false)
  @Returns('string')
  async GetAccess(ctx: Context, accessId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const id = new Fields({ accessId }, 'query').id('accessId');
    if (!seesAll(caller)) return this.#own(ctx, caller.mspId, id);
    const accessors = await accessorsOf(ctx, id);
    if (accessors.length > 1) {
      throw conflict(`access ID ${id} was used by ${accessors.length} institutions: name the accessor`);
    }
    return this.#own(ctx, accessors[0] ?? caller.mspId, id);
  }

  /**
   * Reads the access `accessId` of institution `accessor`: a bank its own only,
   * the regulator and auditors any.
   *
   * @throws FORBIDDEN when a bank names another institution (whether or not the access exists).
   */
  @Transaction(false)
  @Returns('string')
  async GetAccessOf(ctx: Context, accessor: string, accessId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const f = new Fields({ accessor, accessId }, 'query');
    const mspId = f.mspId('accessor');
    const id = f.id('accessId');
    if (!seesAll(caller) && mspId !== caller.mspId) throw forbidden('a bank reads its own accesses only');
    return this.#own(ctx, mspId, id);
  }

  /**
   * What a data provider needs before it releases records to a bank: the bank's access
   * `accessId`, as committed, and the status of its grant at the transaction time (so a
   * revocation or expiry since the access stops the release). Only a provider of at least one
   * of the access's datasets may read it; `providedDatasets` lists the caller's.
   *
   * @throws FORBIDDEN when the caller is not a data provider or provides none of the access's
   * datasets; NOT_FOUND when the bank has no such access.
   */
  @Transaction(false)
  @Returns('string')
  async GetAccessForRelease(ctx: Context, accessor: string, accessId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'DATA_PROVIDER');
    const f = new Fields({ accessor, accessId }, 'query');
    const access = await readAccess(ctx, f.mspId('accessor'), f.id('accessId'));
    if (!access) throw notFound(`access ${accessId} of ${accessor} does not exist`);
    const providedDatasets: string[] = [];
    for (const code of access.datasets) {
      const type = await readRecord<DatasetType>(ctx, key(ctx, KeyType.datasetType, [code]));
      if (type?.provider === caller.mspId) providedDatasets.push(code);
    }
    if (providedDatasets.length === 0) {
      throw forbidden(`access ${accessId} names none of the datasets ${caller.mspId} provides`);
    }
    const grant = await readGrant(ctx, access.grantId);
    return marshal({
      access,
      providedDatasets,
      grantStatus: grant ? Grant.statusAt(grant, txEpochSeconds(ctx)) : 'NOT_FOUND',
      grantValidUntil: grant?.validUntil ?? '',
      checkedAt: txTime(ctx),
    });
  }

  async #own(ctx: Context, accessor: string, accessId: string): Promise<string> {
    const access = await readAccess(ctx, accessor, accessId);
    if (!access) throw notFound(`access ${accessId} does not exist`);
    return marshal(access);
  }

  /**
   * Lists accesses to a subject's data in [from, to) ('' leaves a bound open),
   * oldest first: a bank sees its own only; the regulator and auditors all.
   */
  @Transaction(false)
  @Returns('string')
  async ListAccessesBySubject(
    ctx: Context,
    subject: string,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const pseudonym = new Fields({ subject }, 'query').pseudonym('subject');
    return seesAll(caller)
      ? this.#page(ctx, KeyType.accessBySubject, [pseudonym], from, to, pageSize, bookmark)
      : this.#page(
          ctx,
          KeyType.accessByAccessorSubject,
          [caller.mspId, pseudonym],
          from,
          to,
          pageSize,
          bookmark,
        );
  }

  /**
   * Lists an institution's accesses in [from, to), oldest first: a bank its
   * own only; the regulator and auditors any institution's.
   */
  @Transaction(false)
  @Returns('string')
  async ListAccessesByAccessor(
    ctx: Context,
    accessor: string,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const mspId = new Fields({ accessor }, 'query').mspId('accessor');
    if (!seesAll(caller) && mspId !== caller.mspId) throw forbidden('a bank reads its own accesses only');
    return this.#page(ctx, KeyType.accessByAccessor, [mspId], from, to, pageSize, bookmark);
  }

  async #page(
    ctx: Context,
    type: KeyTypeName,
    prefix: string[],
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const start = bound(from, 'from');
    const end = bound(to, 'to');
    if (start !== '' && end !== '' && end <= start) throw invalid('range.to must be after range.from');
    const page = await readIndexPage(ctx, {
      type,
      prefix,
      pageSize: pageSizeOf(pageSize),
      bookmark,
      startAfterPrefix: start === '' ? undefined : [start],
      stopAt: end === '' ? undefined : { index: prefix.length, value: end },
      whole: true,
    });
    const records: AccessRecord[] = [];
    for (const attributes of page.keys ?? []) {
      // By subject: [subject, time, accessor, accessId]; by accessor: [accessor, (subject,) time, accessId].
      // Entries written before access IDs were scoped per institution lack the accessor by subject.
      const accessId = attributes[attributes.length - 1]!;
      const accessor =
        type === KeyType.accessBySubject
          ? attributes.length === 4
            ? attributes[2]
            : undefined
          : attributes[0];
      const access =
        accessor === undefined
          ? await readRecord<AccessRecord>(ctx, key(ctx, KeyType.access, [accessId]))
          : await readAccess(ctx, accessor, accessId);
      if (access) records.push(access);
    }
    return marshal({ records, bookmark: page.bookmark });
  }
}
