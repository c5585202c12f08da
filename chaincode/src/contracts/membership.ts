import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { isSignedBy } from '@ruralcredit/protocol';
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
import { emit, exists, pageSizeOf, readRecordPage, readRecord, txTime, writeRecord } from '../lib/state';
import { Member } from '../model/member';

/** A subject's registered signing address. */
interface SubjectSigner {
  subject: string;
  signer: string;
  registeredBy: string;
  registeredAt: string;
}

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
   * consortium exists the answer comes from state alone (CONFLICT for every
   * caller on every peer, whatever its environment says).
   *
   * @throws CONFLICT when already bootstrapped; FORBIDDEN for another MSP before that.
   */
  @Transaction()
  @Returns('string')
  async Bootstrap(ctx: Context, name: string): Promise<string> {
    const mspId = callerMspId(ctx);
    const configKey = consortiumKey(ctx);
    if (await exists(ctx, configKey)) throw conflict('the consortium is already bootstrapped');
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
   * Admits an organisation with a role (regulator only).
   *
   * @param memberJson `{ mspId, role, name }`
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
    emit(ctx, 'MemberAdmitted', { mspId: member.mspId, role: member.role });
    return marshal(member);
  }

  /**
   * Suspends a member (regulator only); a suspended member can do nothing.
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
    member.suspendedReason = f.text('reason', 200);
    member.updatedAt = txTime(ctx);
    await writeRecord(ctx, key(ctx, KeyType.member, [mspId]), member);
    emit(ctx, 'MemberSuspended', { mspId });
    return marshal(member);
  }

  /**
   * Reinstates a suspended member (regulator only).
   *
   * @throws NOT_FOUND for an unknown member; CONFLICT when not suspended.
   */
  @Transaction()
  @Returns('string')
  async ReinstateMember(ctx: Context, mspId: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const member = await this.#existing(ctx, new Fields({ mspId }, 'reinstatement').mspId('mspId'));
    if (member.status !== 'SUSPENDED') throw conflict(`${mspId} is not suspended`);
    member.status = 'ACTIVE';
    delete member.suspendedReason;
    member.updatedAt = txTime(ctx);
    await writeRecord(ctx, key(ctx, KeyType.member, [mspId]), member);
    emit(ctx, 'MemberReinstated', { mspId });
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
    if (!isSignedBy('MemberKeyBinding', { mspId: member.mspId, signer }, f.signature('signature'), signer)) {
      throw invalid('signature is not a MemberKeyBinding by that address');
    }
    member.signer = signer;
    member.updatedAt = txTime(ctx);
    await writeRecord(ctx, key(ctx, KeyType.member, [member.mspId]), member);
    emit(ctx, 'SignerRegistered', { mspId: member.mspId, signer });
    return marshal(member);
  }

  /**
   * Registers a data subject's signing address (banks, after KYC). The
   * subject's own EIP-712 `SubjectKeyBinding` signature over the pseudonym binds it.
   *
   * @throws INVALID on a bad signature; CONFLICT when the subject already has one.
   */
  @Transaction()
  @Returns('string')
  async RegisterSubjectSigner(
    ctx: Context,
    subject: string,
    address: string,
    signature: string,
  ): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const f = new Fields({ subject, address, signature }, 'subjectSigner');
    const pseudonym = f.pseudonym('subject');
    const signer = f.address('address');
    if (!isSignedBy('SubjectKeyBinding', { subject: pseudonym, signer }, f.signature('signature'), signer)) {
      throw invalid('signature is not a SubjectKeyBinding by that address');
    }
    const k = key(ctx, KeyType.subjectSigner, [pseudonym]);
    if (await exists(ctx, k)) throw conflict('the subject already has a registered signing address');
    const record: SubjectSigner = {
      subject: pseudonym,
      signer,
      registeredBy: bank.mspId,
      registeredAt: txTime(ctx),
    };
    await writeRecord(ctx, k, record);
    emit(ctx, 'SubjectSignerRegistered', { subject: pseudonym, registeredBy: bank.mspId });
    return marshal(record);
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

  async #existing(ctx: Context, mspId: string): Promise<Member> {
    const member = await readMember(ctx, mspId);
    if (!member) throw notFound(`${mspId} is not a member`);
    return member;
  }
}
