import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { isSignedBy } from '@ruralcredit/protocol';
import { deploymentOf } from '../lib/deployment';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, key } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import {
  callerMspId,
  consortiumKey,
  intendedRegulatorMspId,
  readConsortium,
  readMember,
  requireCaller,
  type ConsortiumConfig,
} from '../lib/members';
import {
  emit,
  exists,
  pageSizeOf,
  readRecordPage,
  readRecord,
  txEpochSeconds,
  txTime,
  writeRecord,
} from '../lib/state';
import { Grant } from '../model/grant';
import { MAX_REASON_LENGTH, Member } from '../model/member';
import {
  KycAttestation,
  REPLACEMENT_REASONS,
  SubjectSigner,
  type SubjectSignerChange,
} from '../model/subject-signer';
import { activeGrantees, readGrant } from './consent';

/**
 * The member registry: bootstrap, admission, suspension and signing keys.
 */
@Info({ title: 'Membership', description: 'Consortium member registry and signing keys' })
export class MembershipContract extends Contract {
  constructor() {
    super('Membership');
  }

  /**
   * Fixes the regulator in state: callable once, and only by the MSP the
   * endorsing peers expect ({@link intendedRegulatorMspId}). Once the
   * consortium exists the answer comes from state alone (the same answer on
   * every peer, whatever its environment says).
   *
   * @throws FORBIDDEN for any MSP but the regulator fixed in state (before
   * bootstrap: the intended one); CONFLICT when already bootstrapped.
   */
  @Transaction()
  @Returns('string')
  async Bootstrap(ctx: Context, name: string): Promise<string> {
    const mspId = callerMspId(ctx);
    const configKey = consortiumKey(ctx);
    const fixed = await readConsortium(ctx);
    if (fixed) {
      if (mspId !== fixed.regulator) throw forbidden(`only ${fixed.regulator} may bootstrap the consortium`);
      throw conflict('the consortium is already bootstrapped');
    }
    const intended = intendedRegulatorMspId();
    if (mspId !== intended) throw forbidden(`only ${intended} may bootstrap the consortium`);
    const at = txTime(ctx);
    const member = new Member();
    member.mspId = mspId;
    member.role = 'REGULATOR';
    member.name = new Fields({ name }, 'bootstrap').text('name', 128);
    member.admittedAt = at;
    member.updatedAt = at;
    const config: ConsortiumConfig = { regulator: mspId, bootstrappedAt: at, txId: ctx.stub.getTxID() };
    await writeRecord(ctx, configKey, config);
    await writeRecord(ctx, key(ctx, KeyType.member, [mspId]), member);
    emit(ctx, 'ConsortiumBootstrapped', { regulator: mspId });
    return marshal(member);
  }

  /**
   * Admits an organisation with a role (regulator only). The member hears of
   * it through the `MemberAdmitted` event, which names it.
   *
   * @param memberJson `{ mspId, role, name, reason? }`
   * @throws CONFLICT when the MSP is already a member.
   */
  @Transaction()
  @Returns('string')
  async AdmitMember(ctx: Context, memberJson: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const member = Member.newInstance(parseArgument(memberJson, 'member'), txTime(ctx));
    const k = key(ctx, KeyType.member, [member.mspId]);
    if (await exists(ctx, k)) throw conflict(`${member.mspId} is already a member`);
    await writeRecord(ctx, k, member);
    emit(ctx, 'MemberAdmitted', {
      mspId: member.mspId,
      role: member.role,
      reason: member.admissionReason ?? '',
    });
    return marshal(member);
  }

  /**
   * Suspends a member (regulator only); a suspended member can do nothing
   * (every call is refused MEMBER_SUSPENDED) until reinstated. The member hears
   * of it through the `MemberSuspended` event, which names it and the reason.
   *
   * @throws NOT_FOUND for an unknown member; CONFLICT when already suspended.
   */
  @Transaction()
  @Returns('string')
  async SuspendMember(ctx: Context, mspId: string, reason: string): Promise<string> {
    const regulator = await requireCaller(ctx, 'REGULATOR');
    const f = new Fields({ mspId, reason }, 'suspension');
    const member = await this.#existing(ctx, f.mspId('mspId'));
    if (member.mspId === regulator.mspId) throw invalid('the regulator cannot suspend itself');
    if (member.status === 'SUSPENDED') throw conflict(`${mspId} is already suspended`);
    member.status = 'SUSPENDED';
    member.suspendedReason = f.text('reason', MAX_REASON_LENGTH);
    member.updatedAt = txTime(ctx);
    member.statusSince = member.updatedAt;
    await writeRecord(ctx, key(ctx, KeyType.member, [mspId]), member);
    emit(ctx, 'MemberSuspended', { mspId, reason: member.suspendedReason });
    return marshal(member);
  }

  /**
   * Reinstates a suspended member (regulator only), with a reason. The member
   * hears of it through the `MemberReinstated` event.
   *
   * @throws NOT_FOUND for an unknown member; CONFLICT when not suspended;
   * INVALID on a missing or over-long reason.
   */
  @Transaction()
  @Returns('string')
  async ReinstateMember(ctx: Context, mspId: string, reason: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const f = new Fields({ mspId, reason }, 'reinstatement');
    const member = await this.#existing(ctx, f.mspId('mspId'));
    const why = f.text('reason', MAX_REASON_LENGTH);
    if (member.status !== 'SUSPENDED') throw conflict(`${mspId} is not suspended`);
    member.status = 'ACTIVE';
    delete member.suspendedReason;
    member.reinstatedReason = why;
    member.updatedAt = txTime(ctx);
    member.statusSince = member.updatedAt;
    await writeRecord(ctx, key(ctx, KeyType.member, [mspId]), member);
    emit(ctx, 'MemberReinstated', { mspId, reason: why });
    return marshal(member);
  }

  /**
   * Registers (or rotates) the caller's signing address. The signature is the
   * key's own EIP-712 `MemberKeyBinding` over the caller's MSP ID, proving possession.
   *
   * @throws INVALID when the signature is not by that address.
   */
  @Transaction()
  @Returns('string')
  async RegisterSigner(ctx: Context, address: string, signature: string): Promise<string> {
    const member = await requireCaller(ctx);
    const f = new Fields({ address, signature }, 'signer');
    const signer = f.address('address');
    if (
      !isSignedBy(
        'MemberKeyBinding',
        { mspId: member.mspId, signer },
        f.signature('signature'),
        signer,
        deploymentOf(ctx),
      )
    ) {
      throw invalid('signature is not a MemberKeyBinding by that address');
    }
    member.signer = signer;
    member.updatedAt = txTime(ctx);
    await writeRecord(ctx, key(ctx, KeyType.member, [member.mspId]), member);
    emit(ctx, 'SignerRegistered', { mspId: member.mspId, signer });
    return marshal(member);
  }

  /**
   * Binds a data subject's signing address, by a bank that holds an ACTIVE
   * grant from that subject and has checked the subject's identity in person
   * (the KYC attestation is recorded with the binding, which names the bank).
   * The subject's own EIP-712 `SubjectKeyBinding` signature proves possession
   * of the key. The first binding stands: only the regulator
   * (`ReplaceSubjectSigner`) or the subject's current key
   * (`RotateSubjectSigner`) changes it.
   *
   * @param kycJson `{ grantId, operator, attestedAt, evidenceDigest }`
   * @throws FORBIDDEN when the grant is not the caller's ACTIVE grant from this
   * subject; INVALID on a bad signature or attestation; CONFLICT when the
   * subject already has a binding.
   */
  @Transaction()
  @Returns('string')
  async RegisterSubjectSigner(
    ctx: Context,
    subject: string,
    address: string,
    signature: string,
    kycJson: string,
  ): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const f = new Fields({ subject, address, signature }, 'subjectSigner');
    const pseudonym = f.pseudonym('subject');
    const signer = this.#possessed(ctx, pseudonym, f.address('address'), f.signature('signature'));
    const kyc = KycAttestation.newInstance(parseArgument(kycJson, 'kyc'), txEpochSeconds(ctx), true);
    const grant = await readGrant(ctx, kyc.grantId ?? '');
    if (
      !grant ||
      grant.grantee !== bank.mspId ||
      grant.subject !== pseudonym ||
      Grant.statusAt(grant, txEpochSeconds(ctx)) !== 'ACTIVE'
    ) {
      throw forbidden("kyc.grantId is not an ACTIVE grant from this subject to the caller's bank");
    }
    const k = key(ctx, KeyType.subjectSigner, [pseudonym]);
    if (await exists(ctx, k)) throw conflict('the subject already has a registered signing address');
    const record = this.#binding(ctx, pseudonym, signer, bank, 'REGISTERED', undefined);
    record.attestedBy = bank.mspId;
    record.kyc = kyc;
    return this.#write(ctx, k, record, 'SubjectSignerRegistered');
  }

  /**
   * Replaces a subject's binding with a new key (regulator only: a lost
   * phone, a binding made by the wrong party), after the regulator's own
   * identity check; the new key's `SubjectKeyBinding` signature proves possession.
   *
   * @param replacementJson `{ reason, operator, attestedAt, evidenceDigest }`
   * @throws NOT_FOUND when the subject has no binding; INVALID on a bad
   * signature or attestation, or when the key is already the bound one.
   */
  @Transaction()
  @Returns('string')
  async ReplaceSubjectSigner(
    ctx: Context,
    subject: string,
    address: string,
    signature: string,
    replacementJson: string,
  ): Promise<string> {
    const regulator = await requireCaller(ctx, 'REGULATOR');
    const f = new Fields({ subject, address, signature }, 'subjectSigner');
    const pseudonym = f.pseudonym('subject');
    const signer = this.#possessed(ctx, pseudonym, f.address('address'), f.signature('signature'));
    const raw = parseArgument(replacementJson, 'replacement');
    const reason = new Fields({ reason: raw.reason }, 'replacement').oneOf('reason', REPLACEMENT_REASONS);
    const { reason: _reason, ...attestation } = raw;
    const kyc = KycAttestation.newInstance(attestation, txEpochSeconds(ctx), false);
    const { k, current } = await this.#current(ctx, pseudonym);
    if (current.signer === signer) throw invalid("address is already the subject's bound key");
    const record = this.#binding(ctx, pseudonym, signer, regulator, 'REPLACED', current);
    record.attestedBy = regulator.mspId;
    record.kyc = kyc;
    record.reason = reason;
    return this.#write(ctx, k, record, 'SubjectSignerReplaced');
  }

  /**
   * Moves a subject's binding to a new key on the subject's own word: the
   * current key signs a `SubjectKeyRotation` for the binding's current
   * version, the new key its `SubjectKeyBinding`. Submitted by a bank or by the
   * regulator (the gateway relays a subject's own request as the regulator);
   * the signatures are the authority, and the version makes each good once.
   *
   * @throws NOT_FOUND when the subject has no binding; INVALID when a signature
   * does not verify or the new key is the current one.
   */
  @Transaction()
  @Returns('string')
  async RotateSubjectSigner(
    ctx: Context,
    subject: string,
    address: string,
    signature: string,
    rotationSignature: string,
  ): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR');
    const f = new Fields({ subject, address, signature, rotationSignature }, 'subjectSigner');
    const pseudonym = f.pseudonym('subject');
    const signer = this.#possessed(ctx, pseudonym, f.address('address'), f.signature('signature'));
    const { k, current } = await this.#current(ctx, pseudonym);
    if (current.signer === signer) throw invalid("address is already the subject's bound key");
    const rotation = { subject: pseudonym, from: current.signer, to: signer, version: current.version };
    if (
      !isSignedBy(
        'SubjectKeyRotation',
        rotation,
        f.signature('rotationSignature'),
        current.signer,
        deploymentOf(ctx),
      )
    ) {
      throw invalid("rotationSignature is not the subject's current key signing this rotation");
    }
    const record = this.#binding(ctx, pseudonym, signer, caller, 'ROTATED', current);
    // The subject vouches for its own new key: the identity check behind it is still the last one.
    record.attestedBy = current.attestedBy;
    if (current.kyc) record.kyc = current.kyc;
    return this.#write(ctx, k, record, 'SubjectSignerRotated');
  }

  /** Reads a subject's registered signing address (banks, regulator, auditors). */
  @Transaction(false)
  @Returns('string')
  async GetSubjectSigner(ctx: Context, subject: string): Promise<string> {
    await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const pseudonym = new Fields({ subject }, 'query').pseudonym('subject');
    const record = await readRecord<SubjectSigner>(ctx, key(ctx, KeyType.subjectSigner, [pseudonym]));
    if (!record) throw notFound('the subject has no registered signing address');
    return marshal(record);
  }

  /** Reads the consortium configuration fixed at bootstrap: the regulator's MSP ID (any active member). */
  @Transaction(false)
  @Returns('string')
  async GetConsortium(ctx: Context): Promise<string> {
    await requireCaller(ctx);
    const config = await readConsortium(ctx);
    if (!config) throw notFound('the consortium is not bootstrapped');
    return marshal(config);
  }

  /** Reads a member (any active member). */
  @Transaction(false)
  @Returns('string')
  async GetMember(ctx: Context, mspId: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(await this.#existing(ctx, new Fields({ mspId }, 'query').mspId('mspId')));
  }

  /** Lists members (any active member), paginated. */
  @Transaction(false)
  @Returns('string')
  async ListMembers(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(
      await readRecordPage(ctx, KeyType.member, {
        type: KeyType.member,
        prefix: [],
        pageSize: pageSizeOf(pageSize),
        bookmark,
      }),
    );
  }

  /**
   * The address, when `signature` is its `SubjectKeyBinding` over the pseudonym.
   *
   * @throws INVALID otherwise.
   */
  #possessed(ctx: Context, pseudonym: string, signer: string, signature: string): string {
    if (
      !isSignedBy('SubjectKeyBinding', { subject: pseudonym, signer }, signature, signer, deploymentOf(ctx))
    ) {
      throw invalid('signature is not a SubjectKeyBinding by that address');
    }
    return signer;
  }

  async #current(ctx: Context, pseudonym: string): Promise<{ k: string; current: SubjectSigner }> {
    const k = key(ctx, KeyType.subjectSigner, [pseudonym]);
    const current = await readRecord<SubjectSigner>(ctx, k);
    if (!current) throw notFound('the subject has no registered signing address');
    return { k, current };
  }

  #binding(
    ctx: Context,
    pseudonym: string,
    signer: string,
    by: Member,
    change: SubjectSignerChange,
    previous: SubjectSigner | undefined,
  ): SubjectSigner {
    const record = new SubjectSigner();
    record.subject = pseudonym;
    record.signer = signer;
    record.registeredBy = by.mspId;
    record.registeredAt = txTime(ctx);
    record.change = change;
    record.version = previous ? previous.version + 1 : 1;
    if (previous) record.previousSigner = previous.signer;
    record.txId = ctx.stub.getTxID();
    return record;
  }

  /** Writes a binding and emits its change, naming the banks that hold ACTIVE grants from the subject. */
  async #write(ctx: Context, k: string, record: SubjectSigner, event: string): Promise<string> {
    await writeRecord(ctx, k, record);
    emit(ctx, event, {
      subject: record.subject,
      change: record.change,
      version: record.version,
      attestedBy: record.attestedBy,
      registeredBy: record.registeredBy,
      grantees: await activeGrantees(ctx, record.subject),
    });
    return marshal(record);
  }

  async #existing(ctx: Context, mspId: string): Promise<Member> {
    const member = await readMember(ctx, mspId);
    if (!member) throw notFound(`${mspId} is not a member`);
    return member;
  }
}
