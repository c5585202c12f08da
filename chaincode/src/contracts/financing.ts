import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { DAY_SECONDS, epochSecondsFromIso, isSignedBy, isoFromEpochSeconds } from '@ruralcredit/protocol';
import { deploymentOf } from '../lib/deployment';
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
import type { Asset } from '../model/asset';
import {
  ACTIVE_CLAIM_STATUSES,
  COUNTY_CODE_PATTERN,
  Claim,
  DEMAND_PURPOSES,
  Demand,
  DemandEvidence,
  MAX_ACTIVE_CLAIMS,
  MAX_DEMAND_DAYS,
  Product,
} from '../model/financing';
import { ConsentEvidence, Grant } from '../model/grant';
import type { Member } from '../model/member';
import {
  endClaim,
  financingKey,
  policyKey,
  readClaim,
  readDemand,
  readPolicy,
  scanIds,
  scanIndex,
} from './financing-records';
import { recordLending } from '../lib/lending';
import { createLoan } from './lending';

/** Most claims a bank makes that are still uncontacted, read by one overdue sweep. */
const MAX_OVERDUE_SWEEP = 500;

/** A demand as returned: the record plus its status at the transaction time. */
function demandView(ctx: Context, d: Demand): object {
  return { ...d, status: Demand.statusAt(d, txEpochSeconds(ctx)), statusAt: txTime(ctx) };
}

/** A claim as returned: the record plus whether it is overdue at the transaction time. */
function claimView(ctx: Context, c: Claim): object {
  return { ...c, overdue: Claim.overdueAt(c, txEpochSeconds(ctx)), statusAt: txTime(ctx) };
}

/** Reads a subject's registered signing address. */
async function subjectSigner(ctx: Context, subject: string): Promise<string> {
  const record = await readRecord<{ signer: string }>(ctx, key(ctx, KeyType.subjectSigner, [subject]));
  if (!record) throw invalid('the subject has no registered signing address');
  return record.signer;
}

/** Product filters of {@link FinancingContract.ListProducts}. */
interface ProductFilter {
  bank?: string;
  countyCode?: string;
  assetType?: string;
  amountFen?: number;
  termMonths?: number;
}

function productFilter(json: string): ProductFilter {
  const raw = json === '' ? {} : parseArgument(json, 'filter');
  const f = new Fields(raw, 'filter', ['bank', 'countyCode', 'assetType', 'amountFen', 'termMonths']);
  return {
    ...(f.has('bank') ? { bank: f.mspId('bank') } : {}),
    ...(f.has('countyCode')
      ? { countyCode: f.string('countyCode', COUNTY_CODE_PATTERN, 'must be a 6-digit county code') }
      : {}),
    ...(f.has('assetType') ? { assetType: f.code('assetType') } : {}),
    ...(f.has('amountFen') ? { amountFen: f.integer('amountFen', 1) } : {}),
    ...(f.has('termMonths') ? { termMonths: f.integer('termMonths', 1, 360) } : {}),
  };
}

function matches(p: Product, q: ProductFilter): boolean {
  return (
    p.status === 'ACTIVE' &&
    (q.bank === undefined || p.bank === q.bank) &&
    (q.countyCode === undefined || p.counties.includes(q.countyCode)) &&
    (q.assetType === undefined || p.assetTypes.includes(q.assetType)) &&
    (q.amountFen === undefined || (p.minAmountFen <= q.amountFen && q.amountFen <= p.maxAmountFen)) &&
    (q.termMonths === undefined || (p.minTermMonths <= q.termMonths && q.termMonths <= p.maxTermMonths))
  );
}

/**
 * Financing matching: banks publish products; a subject (or a desk on its
 * behalf) files a demand; banks serving the county claim it, at most three at
 * once, and carry their claims to a loan or let them go. Every claim reads and
 * writes its demand, so a fourth concurrent claim cannot commit.
 */
@Info({ title: 'Financing', description: 'Loan products, financing demands and bank claims' })
export class FinancingContract extends Contract {
  constructor() {
    super('Financing');
  }

  /**
   * Sets the deployment's financing policy, by the regulator: the days a bank
   * has to contact a subject after claiming its demand.
   *
   * @throws FORBIDDEN for anyone else; INVALID outside 1-30 days.
   */
  @Transaction()
  @Returns('string')
  async SetPolicy(ctx: Context, contactDays: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const days = new Fields({ contactDays: Number(contactDays) }, 'policy').integer('contactDays', 1, 30);
    const policy = { contactDays: days, updatedAt: txTime(ctx) };
    await writeRecord(ctx, policyKey(ctx), policy);
    emit(ctx, 'FinancingPolicySet', policy);
    return marshal(policy);
  }

  /** Reads the deployment's financing policy. */
  @Transaction(false)
  @Returns('string')
  async GetPolicy(ctx: Context): Promise<string> {
    await requireCaller(ctx);
    return marshal(await readPolicy(ctx));
  }

  /**
   * Publishes a product or a new version of one, by the bank offering it. The
   * version must be above the current one; every version stays readable.
   *
   * @throws FORBIDDEN when the product belongs to another bank; CONFLICT when the
   * version does not increase; INVALID on a malformed product or unknown asset type.
   */
  @Transaction()
  @Returns('string')
  async PublishProduct(ctx: Context, productJson: string): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const product = Product.newInstance(parseArgument(productJson, 'product'), bank.mspId);
    for (const code of product.assetTypes) {
      if (!(await exists(ctx, key(ctx, KeyType.assetType, [code])))) {
        throw invalid(`product.assetTypes names undefined asset type ${code}`);
      }
    }
    const current = await readRecord<Product>(ctx, financingKey.product(ctx, product.productId));
    if (current && current.bank !== bank.mspId) {
      throw forbidden(`product ${product.productId} belongs to another bank`);
    }
    if (!current && product.version !== 1) throw conflict('a new product starts at version 1');
    if (current && product.version <= current.version) {
      throw conflict(`product ${product.productId} is at version ${current.version}; versions only increase`);
    }
    await this.#saveProduct(ctx, product);
    emit(ctx, 'ProductPublished', {
      productId: product.productId,
      bank: product.bank,
      version: product.version,
      counties: product.counties,
    });
    return marshal(product);
  }

  /**
   * Withdraws a product, by its bank: a new WITHDRAWN version; the history stays.
   *
   * @throws FORBIDDEN for another bank; CONFLICT when already withdrawn.
   */
  @Transaction()
  @Returns('string')
  async WithdrawProduct(ctx: Context, productId: string): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const id = new Fields({ productId }, 'product').id('productId');
    const product = await readRecord<Product>(ctx, financingKey.product(ctx, id));
    if (!product) throw notFound(`product ${id} does not exist`);
    if (product.bank !== bank.mspId) throw forbidden(`product ${id} belongs to another bank`);
    if (product.status === 'WITHDRAWN') throw conflict(`product ${id} is already withdrawn`);
    product.status = 'WITHDRAWN';
    product.version += 1;
    await this.#saveProduct(ctx, product);
    emit(ctx, 'ProductWithdrawn', { productId: id, bank: product.bank, version: product.version });
    return marshal(product);
  }

  /** Reads a product's current version and every earlier one, oldest first: any member. */
  @Transaction(false)
  @Returns('string')
  async GetProduct(ctx: Context, productId: string): Promise<string> {
    await requireCaller(ctx);
    const id = new Fields({ productId }, 'query').id('productId');
    const product = await readRecord<Product>(ctx, financingKey.product(ctx, id));
    if (!product) throw notFound(`product ${id} does not exist`);
    const page = await readIndexPage(ctx, {
      type: KeyType.productVersion,
      prefix: [id],
      pageSize: 200,
      bookmark: '',
      whole: true,
    });
    const versions: Product[] = [];
    for (const attributes of page.keys ?? []) {
      const v = await readRecord<Product>(ctx, key(ctx, KeyType.productVersion, attributes));
      if (v) versions.push(v);
    }
    return marshal({ ...product, versions });
  }

  /**
   * Lists ACTIVE products matching the filter (`{ bank?, countyCode?, assetType?,
   * amountFen?, termMonths? }`, JSON or ''), paginated over all products: a page
   * may hold fewer matches than its size.
   */
  @Transaction(false)
  @Returns('string')
  async ListProducts(ctx: Context, filterJson: string, pageSize: string, bookmark: string): Promise<string> {
    await requireCaller(ctx);
    const filter = productFilter(filterJson);
    const page = await readIndexPage(ctx, {
      type: KeyType.product,
      prefix: [],
      pageSize: pageSizeOf(pageSize),
      bookmark,
    });
    const products = await readRecords<Product>(ctx, KeyType.product, page.records);
    return marshal({ records: products.filter((p) => matches(p, filter)), bookmark: page.bookmark });
  }

  /**
   * Files a financing demand on the subject's behalf: with the subject's own
   * EIP-712 `FinancingDemand` signature (relayed by a bank or the regulator),
   * or with the digest of a signed form (a bank or the regulator's service desk).
   * Offered assets must be the subject's and active.
   *
   * @throws FORBIDDEN when the caller is neither a bank nor the regulator; INVALID on a
   * malformed demand, a bad signature, an expiry past or beyond 180 days, an unknown
   * dataset or an asset not the subject's; CONFLICT on a duplicate ID.
   */
  @Transaction()
  @Returns('string')
  async FileDemand(ctx: Context, demandJson: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR');
    const demand = Demand.newInstance(parseArgument(demandJson, 'demand'));
    const k = financingKey.demand(ctx, demand.demandId);
    if (await exists(ctx, k)) throw conflict(`demand ${demand.demandId} already exists`);
    const now = txEpochSeconds(ctx);
    const expires = epochSecondsFromIso(demand.expiresAt);
    if (expires <= now) throw invalid('demand.expiresAt is already past');
    if (expires > now + MAX_DEMAND_DAYS * DAY_SECONDS) {
      throw invalid(`demand.expiresAt may be at most ${MAX_DEMAND_DAYS} days ahead`);
    }
    for (const code of demand.datasets) {
      if (!(await exists(ctx, key(ctx, KeyType.datasetType, [code])))) {
        throw invalid(`demand.datasets names undefined dataset type ${code}`);
      }
    }
    for (const assetId of demand.offeredAssets) {
      const asset = await readRecord<Asset>(ctx, key(ctx, KeyType.asset, [assetId]));
      if (!asset || asset.owner !== demand.subject) {
        throw invalid(`demand.offeredAssets: ${assetId} is not a registered asset of the subject`);
      }
      if (asset.status !== 'ACTIVE') throw invalid(`demand.offeredAssets: ${assetId} is ${asset.status}`);
    }
    if (demand.evidence.type === 'SUBJECT_SIGNATURE') {
      const signer = await subjectSigner(ctx, demand.subject);
      const ok = isSignedBy(
        'FinancingDemand',
        Demand.message(demand),
        demand.evidence.signature ?? '',
        signer,
        deploymentOf(ctx),
      );
      if (!ok) throw invalid("demand.evidence.signature is not the subject's signature of this demand");
      demand.evidence.signer = signer;
    }
    demand.filedBy = caller.mspId;
    demand.filedAt = txTime(ctx);
    demand.txId = ctx.stub.getTxID();
    await writeRecord(ctx, k, demand);
    await putIndex(ctx, KeyType.demandByTime, [demand.filedAt, demand.demandId]);
    await putIndex(ctx, KeyType.demandBySubject, [demand.subject, demand.demandId]);
    emit(ctx, 'DemandFiled', {
      demandId: demand.demandId,
      subject: demand.subject,
      countyCode: demand.countyCode,
      amountFen: demand.amountFen,
      termMonths: demand.termMonths,
      purpose: demand.purpose,
      expiresAt: demand.expiresAt,
      notify: await this.#banksServing(ctx, demand.countyCode),
    });
    return marshal(demandView(ctx, demand));
  }

  /**
   * Withdraws an open demand at the subject's request: its EIP-712
   * `DemandWithdrawal` signature (`{ type: 'SUBJECT_SIGNATURE', signature }`), or
   * a signed form's digest (`{ type: 'FORM_HASH', formHash }`) submitted by the
   * regulator's desk or the organisation that filed it. Active claims are
   * cancelled and their grants end.
   *
   * @throws FORBIDDEN when a form is submitted by another bank; INVALID on a bad
   * signature; CONFLICT when the demand is not open.
   */
  @Transaction()
  @Returns('string')
  async WithdrawDemand(ctx: Context, demandId: string, evidenceJson: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR');
    const demand = await readDemand(ctx, new Fields({ demandId }, 'withdrawal').id('demandId'));
    const evidence = DemandEvidence.read(
      new Fields(parseArgument(evidenceJson, 'evidence'), 'evidence', ['type', 'formHash', 'signature']),
    );
    if (evidence.type === 'SUBJECT_SIGNATURE') {
      const signer = await subjectSigner(ctx, demand.subject);
      const message = { demandId: demand.demandId, subject: demand.subject };
      if (!isSignedBy('DemandWithdrawal', message, evidence.signature ?? '', signer, deploymentOf(ctx))) {
        throw invalid("evidence.signature is not the subject's withdrawal of this demand");
      }
    } else {
      if (caller.role !== 'REGULATOR' && caller.mspId !== demand.filedBy) {
        throw forbidden('only the regulator or the filing organisation may withdraw on a signed form');
      }
    }
    if (Demand.statusAt(demand, txEpochSeconds(ctx)) !== 'OPEN') {
      throw conflict(`demand ${demand.demandId} is ${Demand.statusAt(demand, txEpochSeconds(ctx))}`);
    }
    const cancelled = await this.#cancelOthers(ctx, demand, '', 'DEMAND_WITHDRAWN');
    demand.status = 'WITHDRAWN';
    demand.closedAt = txTime(ctx);
    await this.#saveDemand(ctx, demand);
    emit(ctx, 'DemandWithdrawn', {
      demandId: demand.demandId,
      subject: demand.subject,
      countyCode: demand.countyCode,
      cancelledClaims: cancelled,
      notify: cancelled.map((x) => x.bank),
    });
    return marshal(demandView(ctx, demand));
  }

  /**
   * Claims (抢单) an open demand for the calling bank, which must have an active
   * product serving the demand's county. At most {@link MAX_ACTIVE_CLAIMS} claims
   * are active at once. The claim creates a LOAN_APPLICATION grant from the
   * subject to the bank over the demand's datasets (ID `claim:<claimId>`),
   * valid until the demand expires or the claim ends.
   *
   * @throws FORBIDDEN when the bank serves no product in the county; CONFLICT when the
   * demand is not open, already holds 3 active claims or one of this bank's, or the ID exists.
   */
  @Transaction()
  @Returns('string')
  async ClaimDemand(ctx: Context, claimId: string, demandId: string): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const f = new Fields({ claimId, demandId }, 'claim');
    const id = f.id('claimId');
    if (id.length > 100) throw invalid('claim.claimId may have at most 100 characters');
    const demand = await readDemand(ctx, f.id('demandId'));
    const claimKey = financingKey.claim(ctx, id);
    if (await exists(ctx, claimKey)) throw conflict(`claim ${id} already exists`);
    const now = txEpochSeconds(ctx);
    const status = Demand.statusAt(demand, now);
    if (status !== 'OPEN') throw conflict(`demand ${demand.demandId} is ${status}`);
    if (!(await this.#servesCounty(ctx, bank, demand.countyCode))) {
      throw forbidden(`${bank.mspId} has no active product serving county ${demand.countyCode}`);
    }
    const active = await readRecords<Claim>(ctx, KeyType.claim, demand.activeClaims);
    if (active.some((c) => c.bank === bank.mspId)) {
      throw conflict(`${bank.mspId} already holds an active claim on demand ${demand.demandId}`);
    }
    if (demand.activeClaims.length >= MAX_ACTIVE_CLAIMS) {
      throw conflict(`demand ${demand.demandId} already has ${MAX_ACTIVE_CLAIMS} active claims`);
    }
    const at = txTime(ctx);
    const policy = await readPolicy(ctx);
    const claim = new Claim();
    claim.claimId = id;
    claim.demandId = demand.demandId;
    claim.bank = bank.mspId;
    claim.subject = demand.subject;
    claim.countyCode = demand.countyCode;
    claim.grantId = `claim:${id}`;
    claim.claimedAt = at;
    claim.contactBy = isoFromEpochSeconds(now + policy.contactDays * DAY_SECONDS);
    claim.updatedAt = at;
    claim.txId = ctx.stub.getTxID();
    await this.#grantFor(ctx, claim, demand);
    await writeRecord(ctx, claimKey, claim);
    await putIndex(ctx, KeyType.claimByBank, [bank.mspId, id]);
    await putIndex(ctx, KeyType.claimBySubject, [demand.subject, id]);
    await putIndex(ctx, KeyType.claimUncontacted, [at, id]);
    await recordLending(ctx, demand.subject, bank.mspId);
    demand.activeClaims = [...demand.activeClaims, id];
    demand.claims = [...demand.claims, id];
    await this.#saveDemand(ctx, demand);
    emit(ctx, 'DemandClaimed', {
      claimId: id,
      demandId: demand.demandId,
      bank: bank.mspId,
      subject: demand.subject,
      countyCode: demand.countyCode,
      activeClaims: demand.activeClaims.length,
      contactBy: claim.contactBy,
      notify: [...new Set([demand.filedBy, ...active.map((a) => a.bank), bank.mspId])].sort(),
    });
    return marshal(claimView(ctx, claim));
  }

  /**
   * Records that the claiming bank contacted the subject; whether within the
   * deployment's deadline is judged at the transaction time and kept.
   *
   * @throws FORBIDDEN for another bank; CONFLICT unless the claim is CLAIMED.
   */
  @Transaction()
  @Returns('string')
  async ContactClaim(ctx: Context, claimId: string): Promise<string> {
    const claim = await this.#ownClaim(ctx, claimId, 'CLAIMED');
    await deleteIndex(ctx, KeyType.claimUncontacted, [claim.claimedAt, claim.claimId]);
    claim.status = 'CONTACTED';
    claim.contactedAt = txTime(ctx);
    claim.contactedWithinDeadline = txEpochSeconds(ctx) <= epochSecondsFromIso(claim.contactBy);
    return this.#transition(ctx, claim, 'ClaimContacted');
  }

  /**
   * Approves the loan application of a contacted claim, by the claiming bank.
   *
   * @throws FORBIDDEN for another bank; CONFLICT unless the claim is CONTACTED.
   */
  @Transaction()
  @Returns('string')
  async ApproveClaim(ctx: Context, claimId: string): Promise<string> {
    const claim = await this.#ownClaim(ctx, claimId, 'CONTACTED');
    claim.status = 'APPROVED';
    claim.decidedAt = txTime(ctx);
    return this.#transition(ctx, claim, 'ClaimApproved');
  }

  /**
   * Declines a contacted claim's application, by the claiming bank: the claim
   * ends, its grant ends and the demand has a free slot again.
   *
   * @throws FORBIDDEN for another bank; CONFLICT unless the claim is CONTACTED.
   */
  @Transaction()
  @Returns('string')
  async DeclineClaim(ctx: Context, claimId: string): Promise<string> {
    const claim = await this.#ownClaim(ctx, claimId, 'CONTACTED');
    claim.decidedAt = txTime(ctx);
    return this.#finish(ctx, claim, 'DECLINED', 'APPLICATION_DECLINED', 'ClaimDeclined');
  }

  /**
   * Releases an active claim the bank gives up (before disbursement): the claim
   * and its grant end, the demand has a free slot again.
   *
   * @throws FORBIDDEN for another bank; CONFLICT when the claim is not active.
   */
  @Transaction()
  @Returns('string')
  async ReleaseClaim(ctx: Context, claimId: string): Promise<string> {
    const claim = await this.#ownClaim(ctx, claimId);
    return this.#finish(ctx, claim, 'RELEASED', 'RELEASED_BY_BANK', 'ClaimReleased');
  }

  /**
   * Disburses an approved claim: records the loan (`{ loanId, amountFen,
   * termMonths, rateBps, lienIds?, postLoanGrantId? }`), closes the demand and
   * cancels every other active claim, ending their grants.
   *
   * @throws FORBIDDEN for another bank; CONFLICT unless the claim is APPROVED or the loan
   * ID exists; INVALID on malformed loan terms, a lien not the bank's on the subject, or a
   * post-loan grant that does not cover the loan's term.
   */
  @Transaction()
  @Returns('string')
  async DisburseClaim(ctx: Context, claimId: string, loanJson: string): Promise<string> {
    const claim = await this.#ownClaim(ctx, claimId, 'APPROVED');
    const demand = await readDemand(ctx, claim.demandId);
    const loan = await createLoan(ctx, parseArgument(loanJson, 'loan'), { claim, demand });
    claim.disbursedAt = txTime(ctx);
    claim.loanId = loan.loanId;
    await endClaim(ctx, claim, 'DISBURSED', 'LOAN_DISBURSED');
    const cancelled = await this.#cancelOthers(ctx, demand, claim.claimId, 'ANOTHER_BANK_DISBURSED');
    demand.activeClaims = [];
    demand.status = 'CLOSED';
    demand.closedAt = txTime(ctx);
    demand.disbursedBy = claim.claimId;
    await this.#saveDemand(ctx, demand);
    emit(ctx, 'DemandClosed', {
      demandId: demand.demandId,
      subject: demand.subject,
      countyCode: demand.countyCode,
      claimId: claim.claimId,
      bank: claim.bank,
      loanId: loan.loanId,
      cancelledClaims: cancelled,
      notify: [...new Set([demand.filedBy, claim.bank, ...cancelled.map((x) => x.bank)])].sort(),
    });
    return marshal({ claim: claimView(ctx, claim), loan, demand: demandView(ctx, demand) });
  }

  /**
   * Flags claims still CLAIMED past their contact deadline (once each), by the
   * regulator, and raises one `ClaimsOverdue` event naming them and their banks.
   *
   * @throws FORBIDDEN for anyone else.
   */
  @Transaction()
  @Returns('string')
  async FlagOverdueClaims(ctx: Context): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const now = txEpochSeconds(ctx);
    const policy = await readPolicy(ctx);
    const claimedBefore = isoFromEpochSeconds(now - policy.contactDays * DAY_SECONDS);
    const iterator = await ctx.stub.getStateByPartialCompositeKey(KeyType.claimUncontacted, []);
    const ids: string[] = [];
    try {
      for (
        let r = await iterator.next();
        !r.done && ids.length < MAX_OVERDUE_SWEEP;
        r = await iterator.next()
      ) {
        const [claimedAt, id] = ctx.stub.splitCompositeKey(r.value.key).attributes;
        if (claimedAt === undefined || id === undefined || claimedAt >= claimedBefore) break;
        ids.push(id);
      }
    } finally {
      await iterator.close();
    }
    const flagged: { claimId: string; bank: string; demandId: string; countyCode: string }[] = [];
    for (const claim of await readRecords<Claim>(ctx, KeyType.claim, ids)) {
      if (!Claim.overdueAt(claim, now) || claim.overdueFlaggedAt !== undefined) continue;
      claim.overdueFlaggedAt = txTime(ctx);
      await writeRecord(ctx, financingKey.claim(ctx, claim.claimId), claim);
      flagged.push({
        claimId: claim.claimId,
        bank: claim.bank,
        demandId: claim.demandId,
        countyCode: claim.countyCode,
      });
    }
    emit(ctx, 'ClaimsOverdue', { claims: flagged, notify: [...new Set(flagged.map((x) => x.bank))].sort() });
    return marshal({ flagged });
  }

  /**
   * Reads a demand: the regulator, auditors and the filing organisation always;
   * a bank only while the demand is open in a county it serves, or when it claimed it.
   */
  @Transaction(false)
  @Returns('string')
  async GetDemand(ctx: Context, demandId: string): Promise<string> {
    const caller = await requireCaller(ctx);
    const id = new Fields({ demandId }, 'query').id('demandId');
    const demand = await readRecord<Demand>(ctx, financingKey.demand(ctx, id));
    if (!demand || !(await this.#seesDemand(ctx, caller, demand)))
      throw notFound(`demand ${id} does not exist`);
    return marshal(demandView(ctx, demand));
  }

  /**
   * Lists demands filed in [from, to) ('' leaves a bound open), oldest first:
   * the regulator and auditors all; a bank those it may see (open in its
   * counties, or claimed by it).
   */
  @Transaction(false)
  @Returns('string')
  async ListDemands(
    ctx: Context,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const f = new Fields({ from, to }, 'range');
    const page = await readIndexPage(ctx, {
      type: KeyType.demandByTime,
      prefix: [],
      pageSize: pageSizeOf(pageSize),
      bookmark,
      ...(from === '' ? {} : { startAfterPrefix: [f.time('from')] }),
      ...(to === '' ? {} : { stopAt: { index: 0, value: f.time('to') } }),
    });
    const records: object[] = [];
    for (const d of await readRecords<Demand>(ctx, KeyType.demand, page.records)) {
      if (await this.#seesDemand(ctx, caller, d)) records.push(demandView(ctx, d));
    }
    return marshal({ records, bookmark: page.bookmark });
  }

  /**
   * Reads a claim: its bank, the regulator and auditors.
   */
  @Transaction(false)
  @Returns('string')
  async GetClaim(ctx: Context, claimId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const id = new Fields({ claimId }, 'query').id('claimId');
    const claim = await readRecord<Claim>(ctx, financingKey.claim(ctx, id));
    if (!claim || (!seesAll(caller) && claim.bank !== caller.mspId))
      throw notFound(`claim ${id} does not exist`);
    return marshal(claimView(ctx, claim));
  }

  /** Lists claims: a bank its own; the regulator and auditors any bank's (`bank`) or every claim ('' ). */
  @Transaction(false)
  @Returns('string')
  async ListClaims(ctx: Context, bank: string, pageSize: string, bookmark: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const who = bank === '' ? '' : new Fields({ bank }, 'query').mspId('bank');
    if (!seesAll(caller) && who !== '' && who !== caller.mspId)
      throw forbidden('a bank lists its own claims only');
    const owner = seesAll(caller) ? who : caller.mspId;
    const page = await readIndexPage(ctx, {
      type: owner === '' ? KeyType.claim : KeyType.claimByBank,
      prefix: owner === '' ? [] : [owner],
      pageSize: pageSizeOf(pageSize),
      bookmark,
    });
    const claims = await readRecords<Claim>(ctx, KeyType.claim, page.records);
    return marshal({ records: claims.map((c) => claimView(ctx, c)), bookmark: page.bookmark });
  }

  /** Whether `caller` may see `demand` at the transaction time. */
  async #seesDemand(ctx: Context, caller: Member, demand: Demand): Promise<boolean> {
    if (seesAll(caller) || caller.mspId === demand.filedBy) return true;
    if (caller.role !== 'BANK') return false;
    const claims = await readRecords<Claim>(ctx, KeyType.claim, demand.claims);
    if (claims.some((c) => c.bank === caller.mspId)) return true;
    return (
      Demand.statusAt(demand, txEpochSeconds(ctx)) === 'OPEN' &&
      (await this.#servesCounty(ctx, caller, demand.countyCode))
    );
  }

  /** Whether the bank has an ACTIVE product serving `county`. */
  async #servesCounty(ctx: Context, bank: Member, county: string): Promise<boolean> {
    const ids = await scanIds(ctx, KeyType.productByBank, [bank.mspId]);
    const products = await readRecords<Product>(ctx, KeyType.product, ids);
    return products.some((p) => p.status === 'ACTIVE' && p.counties.includes(county));
  }

  /** Writes the claim's LOAN_APPLICATION grant, indexed like any grant, so accesses are checked against it. */
  async #grantFor(ctx: Context, claim: Claim, demand: Demand): Promise<void> {
    const grant = new Grant();
    grant.grantId = claim.grantId;
    grant.subject = demand.subject;
    grant.grantee = claim.bank;
    grant.scope = [...demand.datasets];
    grant.purpose = 'LOAN_APPLICATION';
    grant.validFrom = claim.claimedAt;
    grant.validUntil = demand.expiresAt;
    grant.evidence = new ConsentEvidence();
    grant.evidence.type = demand.evidence.type;
    if (demand.evidence.formHash !== undefined) grant.evidence.formHash = demand.evidence.formHash;
    if (demand.evidence.signature !== undefined) grant.evidence.signature = demand.evidence.signature;
    if (demand.evidence.signer !== undefined) grant.evidence.signer = demand.evidence.signer;
    grant.recordedAt = claim.claimedAt;
    grant.txId = ctx.stub.getTxID();
    const k = key(ctx, KeyType.grant, [grant.grantId]);
    if (await exists(ctx, k)) throw conflict(`grant ${grant.grantId} already exists`);
    await writeRecord(ctx, k, grant);
    await putIndex(ctx, KeyType.grantByGrantee, [grant.grantee, grant.grantId]);
    await putIndex(ctx, KeyType.grantBySubject, [grant.subject, grant.grantId]);
    await putIndex(ctx, KeyType.grantByGranteeSubject, [grant.grantee, grant.subject, grant.grantId]);
  }

  /** The calling bank's claim, in `status` when given (else any active status). */
  async #ownClaim(ctx: Context, claimId: string, status?: Claim['status']): Promise<Claim> {
    const bank = await requireCaller(ctx, 'BANK');
    const claim = await readClaim(ctx, new Fields({ claimId }, 'claim').id('claimId'));
    if (claim.bank !== bank.mspId) throw forbidden('only the claiming bank may move its claim');
    const allowed = status === undefined ? ACTIVE_CLAIM_STATUSES : [status];
    if (!allowed.includes(claim.status)) {
      throw conflict(`claim ${claim.claimId} is ${claim.status}; expected ${allowed.join(' or ')}`);
    }
    return claim;
  }

  async #transition(ctx: Context, claim: Claim, event: string): Promise<string> {
    claim.updatedAt = txTime(ctx);
    claim.txId = ctx.stub.getTxID();
    await writeRecord(ctx, financingKey.claim(ctx, claim.claimId), claim);
    emit(ctx, event, {
      claimId: claim.claimId,
      demandId: claim.demandId,
      bank: claim.bank,
      status: claim.status,
    });
    return marshal(claimView(ctx, claim));
  }

  /** Ends the claim and frees its slot on the demand. */
  async #finish(
    ctx: Context,
    claim: Claim,
    status: 'DECLINED' | 'RELEASED',
    reason: string,
    event: string,
  ): Promise<string> {
    await endClaim(ctx, claim, status, reason);
    const demand = await readDemand(ctx, claim.demandId);
    demand.activeClaims = demand.activeClaims.filter((id) => id !== claim.claimId);
    await this.#saveDemand(ctx, demand);
    emit(ctx, event, {
      claimId: claim.claimId,
      demandId: claim.demandId,
      bank: claim.bank,
      status: claim.status,
      activeClaims: demand.activeClaims.length,
    });
    return marshal(claimView(ctx, claim));
  }

  /** Cancels every active claim of the demand except `keep`; returns them. */
  async #cancelOthers(
    ctx: Context,
    demand: Demand,
    keep: string,
    reason: string,
  ): Promise<{ claimId: string; bank: string }[]> {
    const cancelled: { claimId: string; bank: string }[] = [];
    for (const other of await readRecords<Claim>(ctx, KeyType.claim, demand.activeClaims)) {
      if (other.claimId === keep) continue;
      await endClaim(ctx, other, 'CANCELLED', reason);
      cancelled.push({ claimId: other.claimId, bank: other.bank });
    }
    demand.activeClaims = [];
    return cancelled;
  }

  async #saveDemand(ctx: Context, demand: Demand): Promise<void> {
    demand.txId = ctx.stub.getTxID();
    await writeRecord(ctx, financingKey.demand(ctx, demand.demandId), demand);
  }

  async #saveProduct(ctx: Context, product: Product): Promise<void> {
    product.publishedAt = txTime(ctx);
    product.txId = ctx.stub.getTxID();
    await writeRecord(ctx, financingKey.product(ctx, product.productId), product);
    await writeRecord(
      ctx,
      key(ctx, KeyType.productVersion, [product.productId, String(product.version).padStart(7, '0')]),
      product,
    );
    await putIndex(ctx, KeyType.productByBank, [product.bank, product.productId]);
    for (const county of product.counties) {
      await putIndex(ctx, KeyType.productByCounty, [county, product.bank, product.productId]);
    }
  }

  /** The banks with an ACTIVE product serving `county` now, sorted (index entries of older versions are checked). */
  async #banksServing(ctx: Context, county: string): Promise<string[]> {
    const banks = new Set<string>();
    for (const [, bank, productId] of await scanIndex(ctx, KeyType.productByCounty, [county])) {
      if (bank === undefined || productId === undefined || banks.has(bank)) continue;
      const p = await readRecord<Product>(ctx, financingKey.product(ctx, productId));
      if (p?.status === 'ACTIVE' && p.counties.includes(county)) banks.add(bank);
    }
    return [...banks].sort();
  }
}

export { DEMAND_PURPOSES };
