import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  CATALOGUE_CODE_PATTERN,
  COLLATERAL_SCOPE,
  GRANTEE_ROLES,
  idFromNonce,
  isGranteeRole,
  isSignedBy,
  mayUsePurpose,
  parseLedgerTime,
  SELF_ACCESS_ACTIONS,
  SELF_PURPOSE,
  type SubjectSelfServiceRequestMessage,
} from '@ruralcredit/protocol';
import { deploymentOf } from '../lib/deployment';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields, timeRange } from '../lib/fields';
import { KeyType, type KeyTypeName, key, lastKeyPart } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import { callerMspId, checkCaller, memberKey, readMember, requireCaller, seesAll } from '../lib/members';
import {
  emit,
  exists,
  pageSizeOf,
  readIndexPage,
  readRecord,
  readRecordsAt,
  txEpochSeconds,
  txTime,
  Writes,
} from '../lib/state';
import { AccessRecord, type DenialReason } from '../model/access';
import type { DatasetType } from '../model/catalogue';
import { Grant } from '../model/grant';
import type { Member } from '../model/member';
import { readGrant } from './consent';

/**
 * Decides an access against a grant at `atSeconds`; undefined means GRANTED.
 * The order is fixed so the same request always gets the same reason.
 */
function denialReason(
  access: AccessRecord,
  grant: Grant | undefined,
  atSeconds: number,
  role: string,
): DenialReason | undefined {
  if (!mayUsePurpose(role, access.purpose)) return 'PURPOSE_NOT_ALLOWED';
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

/** Most accesses one {@link AccessContract.RecordAccessBatch} transaction records. */
export const MAX_BATCH_ACCESSES = 500;

/**
 * The calling member, which must be an institution that receives consent (a bank, guarantor,
 * insurer or microlender), ACTIVE or not: a suspended member's attempt is recorded DENIED.
 */
async function requireGrantee(ctx: Context): Promise<Member> {
  const mspId = callerMspId(ctx);
  return granteeOf(mspId, await readMember(ctx, mspId));
}

/** {@link requireGrantee} on the caller's member record already read. */
function granteeOf(mspId: string, caller: Member | undefined): Member {
  if (!caller || !isGranteeRole(caller.role)) {
    // Refuses as every other transaction does: not a member, suspended, or not a grantee role.
    checkCaller(mspId, caller, GRANTEE_ROLES);
    throw forbidden(`${mspId} is not a member institution that receives consent`);
  }
  return caller;
}

/**
 * The dataset codes a grant's scope proves defined, without a read: every grant names only
 * catalogue codes besides COLLATERAL (`Consent:RecordGrant` and a financing claim's grant check
 * each code against the catalogue when they write it) and dataset types are never removed.
 */
function definedByGrant(grant: Grant | undefined): Set<string> {
  return new Set(grant?.scope.filter((code) => code !== COLLATERAL_SCOPE));
}

/** Checks every dataset code is in the catalogue; `known` holds codes already known defined in this transaction. */
async function requireDatasetTypes(ctx: Context, datasets: string[], known: Set<string>): Promise<void> {
  const codes = datasets.filter((code) => !known.has(code));
  const types = await readRecordsAt(
    ctx,
    codes.map((code) => key(ctx, KeyType.datasetType, [code])),
  );
  codes.forEach((code, i) => {
    if (types[i] === undefined) throw invalid(`access.datasets names undefined dataset type ${code}`);
    known.add(code);
  });
}

/** Whether a recorded access answers the same request as `access` (a retry of it). */
function sameRequest(recorded: AccessRecord, access: AccessRecord): boolean {
  return (
    recorded.grantId === access.grantId &&
    recorded.subject === access.subject &&
    recorded.purpose === access.purpose &&
    recorded.operator === access.operator &&
    recorded.releaseDigest === access.releaseDigest &&
    // A record written before counties were kept answers the same request with one.
    (recorded.countyCode === undefined || recorded.countyCode === access.countyCode) &&
    [...recorded.datasets].sort().join() === [...access.datasets].sort().join()
  );
}

/** The event payload of one access: IDs, MSP IDs, pseudonyms and the digest only. */
function accessEvent(access: AccessRecord): Record<string, unknown> {
  return {
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
    ...(access.countyCode === undefined ? {} : { countyCode: access.countyCode }),
  };
}

/** How far a subject's signed request may be from the transaction time, in seconds, either way. */
export const SELF_REQUEST_WINDOW_SECONDS = 300;

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
   * @param accessJson `{ accessId, grantId, subject, datasets, purpose, operator, releaseDigest, countyCode? }`;
   *   `countyCode` is the subject's 6-digit county code (never its ID), kept for statistics by county
   * @throws FORBIDDEN when the caller is not a bank; INVALID on malformed input or an
   * undefined dataset type; CONFLICT on a duplicate access ID.
   */
  @Transaction()
  @Returns('string')
  async RecordAccess(ctx: Context, accessJson: string): Promise<string> {
    const mspId = callerMspId(ctx);
    let access: AccessRecord;
    try {
      access = AccessRecord.newInstance(parseArgument(accessJson, 'access'));
    } catch (error) {
      await requireGrantee(ctx); // a caller that may not record accesses hears that first
      throw error;
    }
    // Everything the decision needs, in one read: the caller, the grant, and the access ID in
    // the caller's namespace and under the key of records written before namespaces.
    const [member, grant, own, legacy] = (await readRecordsAt(ctx, [
      memberKey(ctx, mspId),
      key(ctx, KeyType.grant, [access.grantId]),
      key(ctx, KeyType.access, [mspId, access.accessId]),
      key(ctx, KeyType.access, [access.accessId]),
    ])) as [Member?, Grant?, AccessRecord?, AccessRecord?];
    const caller = granteeOf(mspId, member);
    // The datasets the grant covers need no catalogue read (usually all of them).
    await requireDatasetTypes(ctx, access.datasets, definedByGrant(grant));
    // Access IDs are the client's idempotency keys, one namespace per institution: another
    // bank's use of the same ID neither blocks this attempt nor keeps it off the ledger.
    if (own || legacy?.accessor === mspId) throw conflict(`access ${access.accessId} already exists`);
    const text = await this.#decideAndWrite(ctx, caller, access, grant);
    emit(ctx, 'AccessRecorded', accessEvent(access));
    return text;
  }

  /**
   * Records up to {@link MAX_BATCH_ACCESSES} access attempts of the calling bank in one
   * transaction (bulk download). Each access is decided against its own grant as read in
   * this transaction, in list order: the first use of a grant reads it from the ledger and
   * later uses in the same batch see the budget the earlier ones consumed (Fabric does not
   * show a transaction its own writes). Every GRANTED access writes its grant, so a
   * revocation committed concurrently invalidates the whole batch (MVCC) and a new
   * attempt decides against the revoked grant.
   *
   * An access ID already recorded by this bank for the very same request (grant, subject,
   * datasets, purpose, operator, digest) is returned as recorded, not written again: a
   * retry after a lost answer records nothing twice. One event `AccessesRecorded` lists
   * the new accesses.
   *
   * @param batchJson `{ accesses: [{ accessId, grantId, subject, datasets, purpose, operator, releaseDigest, countyCode? }] }`
   * @returns `{ records, replayed }`: every access in list order; the IDs that were already recorded.
   * @throws FORBIDDEN when the caller is not a bank; INVALID on malformed input, an undefined
   * dataset type, more than {@link MAX_BATCH_ACCESSES} accesses or an ID listed twice; CONFLICT when
   * an access ID was recorded for another request.
   */
  @Transaction()
  @Returns('string')
  async RecordAccessBatch(ctx: Context, batchJson: string): Promise<string> {
    const caller = await requireGrantee(ctx);
    const raw = parseArgument(batchJson, 'batch');
    const list = raw.accesses;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_ACCESSES) {
      throw invalid(`batch.accesses must list 1 to ${MAX_BATCH_ACCESSES} accesses`);
    }
    if (Object.keys(raw).some((k) => k !== 'accesses')) throw invalid('batch takes accesses only');
    const accesses = list.map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw invalid(`batch.accesses[${i}] must be an object`);
      }
      return AccessRecord.newInstance(item as Record<string, unknown>);
    });
    if (new Set(accesses.map((a) => a.accessId)).size !== accesses.length) {
      throw invalid('batch.accesses lists an access ID twice');
    }
    const knownTypes = new Set<string>();
    const grants = new Map<string, Grant | undefined>();
    const records: AccessRecord[] = [];
    const replayed: string[] = [];
    const written: AccessRecord[] = [];
    for (const access of accesses) {
      await requireDatasetTypes(ctx, access.datasets, knownTypes);
      const earlier = await readAccess(ctx, caller.mspId, access.accessId);
      if (earlier) {
        if (!sameRequest(earlier, access)) {
          throw conflict(`access ${access.accessId} already exists for another request`);
        }
        records.push(earlier);
        replayed.push(access.accessId);
        continue;
      }
      if (!grants.has(access.grantId)) grants.set(access.grantId, await readGrant(ctx, access.grantId));
      await this.#decideAndWrite(ctx, caller, access, grants.get(access.grantId));
      records.push(access);
      written.push(access);
    }
    if (written.length > 0) emit(ctx, 'AccessesRecorded', { accesses: written.map(accessEvent) });
    return marshal({ records, replayed });
  }

  /**
   * Decides `access` against `grant` at the transaction time, charges the grant's budget when
   * GRANTED (writing the grant; the caller's in-memory copy carries the new count), and writes
   * the access with its indexes. Returns the access as written (canonical JSON).
   */
  async #decideAndWrite(
    ctx: Context,
    caller: Member,
    access: AccessRecord,
    grant: Grant | undefined,
  ): Promise<string> {
    access.accessor = caller.mspId;
    access.accessedAt = txTime(ctx);
    access.txId = ctx.stub.getTxID();
    const reason =
      caller.status !== 'ACTIVE'
        ? 'SUSPENDED'
        : denialReason(access, grant, txEpochSeconds(ctx), caller.role);
    const writes = new Writes();
    if (reason === undefined && grant) {
      access.outcome = 'GRANTED';
      grant.accessesUsed += 1;
      writes.record(key(ctx, KeyType.grant, [grant.grantId]), grant);
    } else {
      access.outcome = 'DENIED';
      access.reason = reason;
    }
    return this.#write(ctx, access, writes);
  }

  /**
   * Writes an access (keyed by its accessor and ID) with its indexes, after `writes` already
   * collected, all together; returns the access as written (canonical JSON).
   */
  async #write(ctx: Context, access: AccessRecord, writes = new Writes()): Promise<string> {
    const text = writes.record(key(ctx, KeyType.access, [access.accessor, access.accessId]), access);
    const at = access.accessedAt;
    writes.index(ctx, KeyType.accessById, [access.accessId, access.accessor]);
    writes.index(ctx, KeyType.accessBySubject, [access.subject, at, access.accessor, access.accessId]);
    writes.index(ctx, KeyType.accessByAccessor, [access.accessor, at, access.accessId]);
    writes.index(ctx, KeyType.accessByAccessorSubject, [
      access.accessor,
      access.subject,
      at,
      access.accessId,
    ]);
    await writes.flush(ctx);
    return text;
  }

  /**
   * Records a data subject's access to its own records (purpose SELF, no
   * grant), on the subject's EIP-712 `SubjectSelfServiceRequest` signed by
   * the key bound to its pseudonym, relayed by the regulator's gateway. The
   * request must be at most {@link SELF_REQUEST_WINDOW_SECONDS} from the
   * transaction time, and its nonce makes the access ID (`self-` and the nonce in letters), so
   * a signed request is recorded once.
   *
   * @param requestJson the signed message `{ subject, action, target, detail, requestedAt, nonce }`
   * @param releaseDigest SHA-256 of what the gateway releases
   * @throws FORBIDDEN when the caller is not the regulator; INVALID on a bad signature, a stale
   *   request, an action that releases nothing or an undefined dataset; CONFLICT on a replay.
   */
  @Transaction()
  @Returns('string')
  async RecordSelfAccess(
    ctx: Context,
    requestJson: string,
    signature: string,
    releaseDigest: string,
  ): Promise<string> {
    const caller = await requireCaller(ctx, 'REGULATOR');
    const f = new Fields(parseArgument(requestJson, 'request'), 'request', [
      'subject',
      'action',
      'target',
      'detail',
      'requestedAt',
      'nonce',
    ]);
    const message: SubjectSelfServiceRequestMessage = {
      subject: f.pseudonym('subject'),
      action: f.oneOf('action', SELF_ACCESS_ACTIONS),
      target: f.string(
        'target',
        /^[A-Z][A-Z0-9_]{1,31}(,[A-Z][A-Z0-9_]{1,31}){0,31}$/,
        'must list dataset types',
      ),
      detail: f.string('detail', /^$/, 'must be empty for a read'),
      requestedAt: f.time('requestedAt'),
      nonce: f.string('nonce', /^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    };
    const g = new Fields({ signature, releaseDigest }, 'access');
    const sig = g.signature('signature');
    const digest = g.digest('releaseDigest');
    const skew = Math.abs(txEpochSeconds(ctx) - (parseLedgerTime(message.requestedAt) ?? 0));
    if (skew > SELF_REQUEST_WINDOW_SECONDS) {
      throw invalid(
        `request.requestedAt must be within ${SELF_REQUEST_WINDOW_SECONDS} s of the transaction time`,
      );
    }
    const binding = await readRecord<{ signer: string }>(
      ctx,
      key(ctx, KeyType.subjectSigner, [message.subject]),
    );
    if (
      !binding ||
      !isSignedBy('SubjectSelfServiceRequest', message, sig, binding.signer, deploymentOf(ctx))
    ) {
      throw invalid("signature is not by the subject's bound key");
    }
    const datasets = [...new Set(message.target.split(','))].sort();
    for (const code of datasets) {
      if (!CATALOGUE_CODE_PATTERN.test(code) || !(await exists(ctx, key(ctx, KeyType.datasetType, [code])))) {
        throw invalid(`request.target names undefined dataset type ${code}`);
      }
    }
    const access = new AccessRecord();
    access.accessId = idFromNonce('self', message.nonce);
    access.accessor = caller.mspId;
    if (await readAccess(ctx, access.accessor, access.accessId)) {
      throw conflict(`access ${access.accessId} already exists: the signed request was answered`);
    }
    access.grantId = SELF_PURPOSE;
    access.subject = message.subject;
    access.operator = message.subject;
    access.datasets = datasets;
    access.purpose = SELF_PURPOSE;
    access.releaseDigest = digest;
    access.outcome = 'GRANTED';
    access.accessedAt = txTime(ctx);
    access.txId = ctx.stub.getTxID();
    const text = await this.#write(ctx, access);
    emit(ctx, 'AccessRecorded', accessEvent(access));
    return text;
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
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
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
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
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
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
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
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
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
    const { start, end } = timeRange(from, to);
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
