import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  COLLATERAL_SCOPE,
  GRANTEE_ROLES,
  epochSecondsFromIso,
  isSignedBy,
  mayUsePurpose,
} from '@ruralcredit/protocol';
import { deploymentOf } from '../lib/deployment';
import { recordLending } from '../lib/lending';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, checkKeyPart, key, lastKeyPart } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import { requireCaller, seesAll } from '../lib/members';
import {
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
import { Grant, REVOCATION_REASONS, Revocation, type RevocationReason } from '../model/grant';
import type { Member } from '../model/member';

/** Reads a grant or throws NOT_FOUND. */
export async function readGrant(ctx: Context, grantId: string): Promise<Grant | undefined> {
  return readRecord<Grant>(ctx, key(ctx, KeyType.grant, [grantId]));
}

/** Most grants of one subject read to find who must hear of a change to its key. */
export const MAX_SUBJECT_GRANTS_SCANNED = 1000;

/**
 * The banks holding an ACTIVE grant from `subject` at the transaction time,
 * sorted, each once (read from the subject's grant index, at most
 * {@link MAX_SUBJECT_GRANTS_SCANNED} grants).
 */
export async function activeGrantees(ctx: Context, subject: string): Promise<string[]> {
  const banks = new Set<string>();
  const now = txEpochSeconds(ctx);
  // A plain range read: a peer refuses paginated reads in a transaction that writes.
  const iterator = await ctx.stub.getStateByPartialCompositeKey(KeyType.grantBySubject, [
    checkKeyPart(subject),
  ]);
  const ids: string[] = [];
  try {
    for (
      let r = await iterator.next();
      !r.done && ids.length < MAX_SUBJECT_GRANTS_SCANNED;
      r = await iterator.next()
    ) {
      ids.push(lastKeyPart(ctx, r.value.key));
    }
  } finally {
    await iterator.close();
  }
  for (const g of await readRecords<Grant>(ctx, KeyType.grant, ids)) {
    if (Grant.statusAt(g, now) === 'ACTIVE') banks.add(g.grantee);
  }
  return [...banks].sort();
}

/** A grant as returned to clients: the record plus its status at the transaction time. */
function view(ctx: Context, g: Grant): object {
  return { ...g, status: Grant.statusAt(g, txEpochSeconds(ctx)), statusAt: txTime(ctx) };
}

/**
 * Consent grants: a bank records a subject's consent to itself, anyone
 * entitled revokes it, and every status is decided at the transaction time.
 */
@Info({ title: 'Consent', description: 'Subject consent grants to banks' })
export class ConsentContract extends Contract {
  constructor() {
    super('Consent');
  }

  /**
   * Records a grant from a subject to the calling institution (a bank, a
   * guarantor, an insurer or a microlender), for a purpose its role may use
   * (`ROLE_PURPOSES` of the protocol).
   *
   * @param grantJson `{ grantId, subject, scope, purpose, validFrom, validUntil, maxAccesses?, evidence }`
   * @throws FORBIDDEN when the grantee is another institution or the caller's role
   * may not use the purpose; INVALID on an unknown scope, an
   * already-expired window, or a subject signature that does not verify; CONFLICT on a duplicate ID.
   */
  @Transaction()
  @Returns('string')
  async RecordGrant(ctx: Context, grantJson: string): Promise<string> {
    const bank = await requireCaller(ctx, ...GRANTEE_ROLES);
    const grant = Grant.newInstance(parseArgument(grantJson, 'grant'), bank.mspId);
    if (grant.grantee !== bank.mspId) throw forbidden('an institution records grants to itself only');
    if (!mayUsePurpose(bank.role, grant.purpose)) {
      throw forbidden(`a ${bank.role} may not take consent for purpose ${grant.purpose}`);
    }
    for (const code of grant.scope) {
      if (code !== COLLATERAL_SCOPE && !(await exists(ctx, key(ctx, KeyType.datasetType, [code])))) {
        throw invalid(`grant.scope names undefined dataset type ${code}`);
      }
    }
    if (epochSecondsFromIso(grant.validUntil) <= txEpochSeconds(ctx)) {
      throw invalid('grant.validUntil is already past');
    }
    if (grant.evidence.type === 'SUBJECT_SIGNATURE') {
      const signer = await this.#subjectSigner(ctx, grant.subject);
      if (
        !isSignedBy(
          'ConsentGrant',
          Grant.message(grant),
          grant.evidence.signature ?? '',
          signer,
          deploymentOf(ctx),
        )
      ) {
        throw invalid("grant.evidence.signature is not the subject's signature of this grant");
      }
      grant.evidence.signer = signer;
    }
    const k = key(ctx, KeyType.grant, [grant.grantId]);
    if (await exists(ctx, k)) throw conflict(`grant ${grant.grantId} already exists`);
    grant.recordedAt = txTime(ctx);
    grant.txId = ctx.stub.getTxID();
    await writeRecord(ctx, k, grant);
    await putIndex(ctx, KeyType.grantByGrantee, [grant.grantee, grant.grantId]);
    await putIndex(ctx, KeyType.grantBySubject, [grant.subject, grant.grantId]);
    await putIndex(ctx, KeyType.grantByGranteeSubject, [grant.grantee, grant.subject, grant.grantId]);
    if (grant.purpose === 'LOAN_APPLICATION') await recordLending(ctx, grant.subject, grant.grantee);
    emit(ctx, 'ConsentRecorded', {
      grantId: grant.grantId,
      subject: grant.subject,
      grantee: grant.grantee,
      purpose: grant.purpose,
      scope: grant.scope,
    });
    return marshal(view(ctx, grant));
  }

  /**
   * Revokes a grant: by the grantee bank or the regulator.
   *
   * @throws FORBIDDEN for anyone else; CONFLICT when already revoked.
   */
  @Transaction()
  @Returns('string')
  async RevokeGrant(ctx: Context, grantId: string, reason: string): Promise<string> {
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR');
    const f = new Fields({ grantId, reason }, 'revocation');
    const grant = await this.#existing(ctx, f.id('grantId'));
    if (caller.role !== 'REGULATOR' && grant.grantee !== caller.mspId) {
      throw forbidden('only the grantee bank or the regulator may revoke this grant');
    }
    return this.#revoke(ctx, grant, caller, f.oneOf('reason', REVOCATION_REASONS), false);
  }

  /**
   * Revokes a grant on the subject's own EIP-712 `ConsentRevocation`
   * signature, submitted by the grantee bank or the regulator (the gateway
   * relays a subject's own request as the regulator). No other bank relays
   * it: one that holds a subject's key must not act "as the subject" on
   * another bank's grant.
   *
   * @throws FORBIDDEN when the caller is another bank; INVALID when the
   * signature is not the subject's; CONFLICT when already revoked.
   */
  @Transaction()
  @Returns('string')
  async RevokeGrantBySubject(ctx: Context, grantId: string, signature: string): Promise<string> {
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR');
    const f = new Fields({ grantId, signature }, 'revocation');
    const grant = await this.#existing(ctx, f.id('grantId'));
    if (caller.role !== 'REGULATOR' && grant.grantee !== caller.mspId) {
      throw forbidden("only the grantee bank or the regulator may submit the subject's revocation");
    }
    const signer = await this.#subjectSigner(ctx, grant.subject);
    if (
      !isSignedBy(
        'ConsentRevocation',
        { grantId: grant.grantId, subject: grant.subject },
        f.signature('signature'),
        signer,
        deploymentOf(ctx),
      )
    ) {
      throw invalid("signature is not the subject's revocation of this grant");
    }
    return this.#revoke(ctx, grant, caller, 'SUBJECT_REQUEST', true);
  }

  /**
   * Reads a grant with its status at the transaction time: the grantee bank,
   * the regulator and auditors only. Another bank's grant is NOT_FOUND, with
   * the very message of a missing one, so a bank cannot probe which IDs exist.
   */
  @Transaction(false)
  @Returns('string')
  async GetGrant(ctx: Context, grantId: string): Promise<string> {
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
    const id = new Fields({ grantId }, 'query').id('grantId');
    const grant = await readGrant(ctx, id);
    if (!grant || (!seesAll(caller) && grant.grantee !== caller.mspId)) {
      throw notFound(`grant ${id} does not exist`);
    }
    return marshal(view(ctx, grant));
  }

  /** Lists grants: a bank its own, the regulator and auditors all. */
  @Transaction(false)
  @Returns('string')
  async ListGrants(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
    const page = seesAll(caller)
      ? await readIndexPage(ctx, {
          type: KeyType.grant,
          prefix: [],
          pageSize: pageSizeOf(pageSize),
          bookmark,
        })
      : await readIndexPage(ctx, {
          type: KeyType.grantByGrantee,
          prefix: [caller.mspId],
          pageSize: pageSizeOf(pageSize),
          bookmark,
        });
    const grants = await readRecords<Grant>(ctx, KeyType.grant, page.records);
    return marshal({ records: grants.map((g) => view(ctx, g)), bookmark: page.bookmark });
  }

  /** Lists a subject's grants: a bank its own, the regulator and auditors all. */
  @Transaction(false)
  @Returns('string')
  async ListGrantsBySubject(
    ctx: Context,
    subject: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const caller = await requireCaller(ctx, ...GRANTEE_ROLES, 'REGULATOR', 'AUDITOR');
    const pseudonym = new Fields({ subject }, 'query').pseudonym('subject');
    const page = seesAll(caller)
      ? await readIndexPage(ctx, {
          type: KeyType.grantBySubject,
          prefix: [pseudonym],
          pageSize: pageSizeOf(pageSize),
          bookmark,
        })
      : await readIndexPage(ctx, {
          type: KeyType.grantByGranteeSubject,
          prefix: [caller.mspId, pseudonym],
          pageSize: pageSizeOf(pageSize),
          bookmark,
        });
    const grants = await readRecords<Grant>(ctx, KeyType.grant, page.records);
    return marshal({ records: grants.map((g) => view(ctx, g)), bookmark: page.bookmark });
  }

  async #revoke(
    ctx: Context,
    grant: Grant,
    caller: Member,
    reason: RevocationReason,
    bySubject: boolean,
  ): Promise<string> {
    if (grant.revocation) throw conflict(`grant ${grant.grantId} is already revoked`);
    const revocation = new Revocation();
    revocation.at = txTime(ctx);
    revocation.by = caller.mspId;
    revocation.reason = reason;
    revocation.bySubjectSignature = bySubject;
    revocation.txId = ctx.stub.getTxID();
    grant.revocation = revocation;
    await writeRecord(ctx, key(ctx, KeyType.grant, [grant.grantId]), grant);
    emit(ctx, 'ConsentRevoked', {
      grantId: grant.grantId,
      subject: grant.subject,
      grantee: grant.grantee,
      revokedBy: caller.mspId,
      reason,
    });
    return marshal(view(ctx, grant));
  }

  async #existing(ctx: Context, grantId: string): Promise<Grant> {
    const grant = await readGrant(ctx, grantId);
    if (!grant) throw notFound(`grant ${grantId} does not exist`);
    return grant;
  }

  async #subjectSigner(ctx: Context, subject: string): Promise<string> {
    const record = await readRecord<{ signer: string }>(ctx, key(ctx, KeyType.subjectSigner, [subject]));
    if (!record) throw invalid('the subject has no registered signing address');
    return record.signer;
  }
}
