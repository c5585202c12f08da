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

/** A lien as listed on its asset (the asset record is read and written by every lien change). */
@DataType()
export class LienEntry {
  @Property() lienId = '';
  @Property() mortgagee = '';
  @Property() rank = 1;
  @Property() securedAmountFen = 0;
  @Property() loanEnd = '';
  @Property() status: LienStatus = 'ACTIVE';
}

/** A seizure (查封) of an asset by an authority. */
@DataType()
export class Seizure {
  @Property() by = '';
  @Property() orderRef = '';
  @Property() at = '';
}

/** A rural right registered by its issuing authority. */
@DataType()
export class Asset {
  @Property() assetId = '';
  @Property() assetType = '';
  @Property() certificateNo = '';
  @Property() issuer = '';
  @Property() owner = '';
  /** Parcel or location code (no address or name). */
  @Property() location = '';
  @Property() areaValue = 0;
  @Property() areaUnit: AreaUnit = 'MU';
  @Property() appraisedValueFen = 0;
  @Property() appraisalDate = '';
  @Property() rightExpiry = '';
  @Property() provenanceBatch = '';
  @Property() status: AssetStatus = 'ACTIVE';
  @Property('liens', 'LienEntry[]') liens: LienEntry[] = [];
  @Property() seizure?: Seizure;
  /** The lien being enforced while status is ENFORCEMENT. */
  @Property() enforcingLien?: string;
  /** The last change, for the history. */
  @Property() lastAction = '';
  @Property() registeredAt = '';
  @Property() updatedAt = '';

  /**
   * Validates a registration by its issuer. The asset ID is `<assetType>:<certificateNo>`.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>): Asset {
    const f = new Fields(raw, 'asset', [
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
    ]);
    const a = new Asset();
    a.assetType = f.code('assetType');
    a.certificateNo = f.string('certificateNo', CERTIFICATE_NO, 'must be 1-64 of A-Z a-z 0-9 -');
    a.assetId = `${a.assetType}:${a.certificateNo}`;
    a.owner = f.pseudonym('owner');
    a.location = f.string('location', LOCATION_CODE, 'must be a parcel or location code');
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
  @Property() lienId = '';
  @Property() assetId = '';
  @Property() mortgagee = '';
  @Property() mortgagor = '';
  @Property() grantId = '';
  @Property() securedAmountFen = 0;
  @Property() loanEnd = '';
  @Property() rank = 1;
  @Property() status: LienStatus = 'ACTIVE';
  @Property() registeredAt = '';
  @Property() updatedAt = '';
  @Property() txId = '';

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
