import { Object as DataType, Property } from 'fabric-contract-api';
import { CATALOGUE_CODE_PATTERN, DAY_SECONDS } from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { invalid } from '../lib/errors';

/** Declared reporting frequencies and how old the latest batch may get before the dataset is overdue. */
export const FREQUENCY_MAX_AGE_SECONDS = {
  REALTIME: 1 * DAY_SECONDS,
  DAILY: 2 * DAY_SECONDS,
  WEEKLY: 8 * DAY_SECONDS,
  MONTHLY: 32 * DAY_SECONDS,
  QUARTERLY: 93 * DAY_SECONDS,
  YEARLY: 367 * DAY_SECONDS,
} as const;
/** A reporting frequency. */
export type Frequency = keyof typeof FREQUENCY_MAX_AGE_SECONDS;
const FREQUENCIES = Object.keys(FREQUENCY_MAX_AGE_SECONDS) as Frequency[];

/** Field types a dataset schema may declare. */
export const FIELD_TYPES = ['STRING', 'INTEGER', 'NUMBER', 'BOOLEAN', 'DATE'] as const;
/** A dataset field type. */
export type FieldType = (typeof FIELD_TYPES)[number];

const FIELD_NAME = /^[a-z][A-Za-z0-9_]{0,63}$/;

/** One field of a dataset schema. */
@DataType()
export class DatasetField {
  @Property('name', 'string') name = '';
  @Property('type', 'string') type: FieldType = 'STRING';
  @Property('required', 'boolean') required = true;
  /** Holds personal data: never leaves the gateway's encrypted store in clear. */
  @Property('personal', 'boolean') personal = false;
}

/** A catalogue entry: one dataset type, its provider, frequency and schema. */
@DataType()
export class DatasetType {
  @Property('code', 'string') code = '';
  @Property('name', 'string') name = '';
  @Property('provider', 'string') provider = '';
  @Property('frequency', 'string') frequency: Frequency = 'MONTHLY';
  @Property('schemaVersion', 'number') schemaVersion = 1;
  @Property('fields', 'DatasetField[]') fields: DatasetField[] = [];
  /** The field holding the subject's ID (pseudonymised by the gateway). */
  @Property('subjectField', 'string') subjectField = '';
  @Property('definedAt', 'string') definedAt = '';
  @Property('updatedAt', 'string') updatedAt = '';

  /**
   * Validates a definition.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>, at: string): DatasetType {
    const f = new Fields(raw, 'datasetType', [
      'code',
      'name',
      'provider',
      'frequency',
      'schemaVersion',
      'fields',
      'subjectField',
    ]);
    const d = new DatasetType();
    d.code = f.code('code');
    if (d.code === 'COLLATERAL') throw invalid('datasetType.code COLLATERAL is reserved for consent scopes');
    d.name = f.text('name', 128);
    d.provider = f.mspId('provider');
    d.frequency = f.oneOf('frequency', FREQUENCIES);
    d.schemaVersion = f.integer('schemaVersion', 1, 1_000_000);
    d.fields = f.objects('fields', 64, ['name', 'type', 'required', 'personal']).map((ff) => {
      const field = new DatasetField();
      field.name = ff.string('name', FIELD_NAME, 'must be a camelCase field name');
      field.type = ff.oneOf('type', FIELD_TYPES);
      field.required = ff.has('required') ? ff.boolean('required') : true;
      field.personal = ff.has('personal') ? ff.boolean('personal') : false;
      return field;
    });
    const names = d.fields.map((x) => x.name);
    if (new Set(names).size !== names.length) throw invalid('datasetType.fields repeats a field name');
    d.subjectField = f.string('subjectField', FIELD_NAME, 'must name a field');
    const subject = d.fields.find((x) => x.name === d.subjectField);
    if (!subject || subject.type !== 'STRING' || !subject.required || !subject.personal) {
      throw invalid('datasetType.subjectField must name a required, personal STRING field');
    }
    d.definedAt = at;
    d.updatedAt = at;
    return d;
  }
}

/** Lien policies of an asset type. */
export const LIEN_POLICIES = ['EXCLUSIVE', 'RANKED'] as const;
/** A lien policy. */
export type LienPolicy = (typeof LIEN_POLICIES)[number];

/** A catalogue entry: one kind of rural asset, its issuing authority and lien policy. */
@DataType()
export class AssetType {
  @Property('code', 'string') code = '';
  @Property('name', 'string') name = '';
  @Property('issuer', 'string') issuer = '';
  @Property('lienPolicy', 'string') lienPolicy: LienPolicy = 'EXCLUSIVE';
  /** Cap on the total secured amount, as basis points of the appraised value. */
  @Property('maxLtvBps', 'number') maxLtvBps = 10_000;
  /** Version of the definition; each update must raise it (absent on definitions older than versioning: 1). */
  @Property('version', 'number') version = 1;
  @Property('definedAt', 'string') definedAt = '';
  @Property('updatedAt', 'string') updatedAt = '';

  /**
   * Validates a definition.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>, at: string): AssetType {
    const f = new Fields(raw, 'assetType', ['code', 'name', 'issuer', 'lienPolicy', 'maxLtvBps', 'version']);
    const a = new AssetType();
    a.code = f.code('code');
    a.name = f.text('name', 128);
    a.issuer = f.mspId('issuer');
    a.lienPolicy = f.oneOf('lienPolicy', LIEN_POLICIES);
    a.maxLtvBps = f.integer('maxLtvBps', 1, 10_000);
    a.version = f.has('version') ? f.integer('version', 1, 1_000_000) : 1;
    a.definedAt = at;
    a.updatedAt = at;
    return a;
  }
}

/** Whether a string is a catalogue code. */
export const isCatalogueCode = (s: string): boolean => CATALOGUE_CODE_PATTERN.test(s);
