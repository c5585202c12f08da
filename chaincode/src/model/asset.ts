import { Object as DataType, Property } from 'fabric-contract-api';
import { Fields } from '../lib/fields';

/** Units an asset's area may be measured in. */
export const AREA_UNITS = ['MU', 'HECTARE', 'SQUARE_METRE', 'CUBIC_METRE', 'UNIT'] as const;
/** An area unit. */
export type AreaUnit = (typeof AREA_UNITS)[number];

/** Asset status: ACTIVE (may be pledged), SEIZED (frozen by an authority), ENFORCEMENT (a lienholder is enforcing). */
export type AssetStatus = 'ACTIVE' | 'SEIZED' | 'ENFORCEMENT';

/** Lien status. */
export type LienStatus = 'ACTIVE' | 'RELEASED' | 'ENFORCING' | 'ENFORCED' | 'DISCHARGED';

const CERTIFICATE_NO = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const LOCATION_CODE = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,63}$/;

/** The fields an issuer registers a right with (a retried batch registration is compared on them). */
export const REGISTRATION_FIELDS = [
  'assetType',
  'certificateNo',
  'owner',
  'location',
  'areaValue',
  'areaUnit',
  'appraisedValueFen',
  'appraisalDate',
  'rightExpiry',
  'provenanceBatch',
] as const;

/** A lien as listed on its asset (the asset record is read and written by every lien change). */
@DataType()
export class LienEntry {
  @Property('lienId', 'string') lienId = '';
  @Property('mortgagee', 'string') mortgagee = '';
  @Property('rank', 'number') rank = 1;
  @Property('securedAmountFen', 'number') securedAmountFen = 0;
  @Property('loanEnd', 'string') loanEnd = '';
  @Property('status', 'string') status: LienStatus = 'ACTIVE';
}

/** A seizure (查封) of an asset by an authority. */
@DataType()
export class Seizure {
  @Property('by', 'string') by = '';
  @Property('orderRef', 'string') orderRef = '';
  @Property('at', 'string') at = '';
}

/** A rural right registered by its issuing authority. */
@DataType()
export class Asset {
  @Property('assetId', 'string') assetId = '';
  @Property('assetType', 'string') assetType = '';
  @Property('certificateNo', 'string') certificateNo = '';
  @Property('issuer', 'string') issuer = '';
  @Property('owner', 'string') owner = '';
  /** Parcel or location code (no address or name). */
  @Property('location', 'string') location = '';
  @Property('areaValue', 'number') areaValue = 0;
  @Property('areaUnit', 'string') areaUnit: AreaUnit = 'MU';
  @Property('appraisedValueFen', 'number') appraisedValueFen = 0;
  @Property('appraisalDate', 'string') appraisalDate = '';
  @Property('rightExpiry', 'string') rightExpiry = '';
  @Property('provenanceBatch', 'string') provenanceBatch = '';
  @Property('status', 'string') status: AssetStatus = 'ACTIVE';
  @Property('liens', 'LienEntry[]') liens: LienEntry[] = [];
  @Property('seizure', 'Seizure') seizure?: Seizure;
  /** The lien being enforced while status is ENFORCEMENT. */
  @Property('enforcingLien', 'string') enforcingLien?: string;
  /** The last change, for the history. */
  @Property('lastAction', 'string') lastAction = '';
  @Property('registeredAt', 'string') registeredAt = '';
  @Property('updatedAt', 'string') updatedAt = '';

  /**
   * Validates a registration by its issuer. The asset ID is `<assetType>:<certificateNo>`.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>): Asset {
    const f = new Fields(raw, 'asset', REGISTRATION_FIELDS);
    const a = new Asset();
    a.assetType = f.code('assetType');
    a.certificateNo = f.clearString('certificateNo', CERTIFICATE_NO, 'must be 1-64 of A-Z a-z 0-9 -');
    a.assetId = `${a.assetType}:${a.certificateNo}`;
    a.owner = f.pseudonym('owner');
    a.location = f.clearString('location', LOCATION_CODE, 'must be a parcel or location code');
    a.areaValue = f.positiveNumber('areaValue');
    a.areaUnit = f.oneOf('areaUnit', AREA_UNITS);
    a.appraisedValueFen = f.integer('appraisedValueFen', 1);
    a.appraisalDate = f.time('appraisalDate');
    a.rightExpiry = f.time('rightExpiry');
    a.provenanceBatch = f.has('provenanceBatch') ? f.id('provenanceBatch') : '';
    return a;
  }
}

/** A lien (mortgage registration) on an asset. */
@DataType()
export class Lien {
  @Property('lienId', 'string') lienId = '';
  @Property('assetId', 'string') assetId = '';
  @Property('mortgagee', 'string') mortgagee = '';
  @Property('mortgagor', 'string') mortgagor = '';
  @Property('grantId', 'string') grantId = '';
  @Property('securedAmountFen', 'number') securedAmountFen = 0;
  @Property('loanEnd', 'string') loanEnd = '';
  @Property('rank', 'number') rank = 1;
  @Property('status', 'string') status: LienStatus = 'ACTIVE';
  @Property('registeredAt', 'string') registeredAt = '';
  @Property('updatedAt', 'string') updatedAt = '';
  @Property('txId', 'string') txId = '';

  /**
   * Validates a lien request.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>): Lien {
    const f = new Fields(raw, 'lien', ['lienId', 'assetId', 'grantId', 'securedAmountFen', 'loanEnd']);
    const l = new Lien();
    l.lienId = f.id('lienId');
    l.assetId = f.id('assetId');
    l.grantId = f.id('grantId');
    l.securedAmountFen = f.integer('securedAmountFen', 1);
    l.loanEnd = f.time('loanEnd');
    return l;
  }
}
