/**
 * Checks one uploaded record against its dataset type's fields as the
 * ledger's catalogue declares them, and pseudonymises its subject.
 */
import { parseLedgerTime } from '@ruralcredit/protocol';
import { z } from 'zod';
import type { SubjectPseudonymiser } from '../consortium/subjects';
import { AppError } from '../http/errors';
import { invalidRecord, type ParsedItem } from './parsers';

/** A dataset type as `Catalogue:GetDatasetType` returns it (the parts the gateway uses). */
export const LedgerDatasetTypeSchema = z.object({
  code: z.string(),
  provider: z.string(),
  schemaVersion: z.number().int(),
  subjectField: z.string(),
  fields: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['STRING', 'INTEGER', 'NUMBER', 'BOOLEAN', 'DATE']),
      required: z.boolean(),
      personal: z.boolean(),
    }),
  ),
});

/** A dataset type read from the ledger. */
export type LedgerDatasetType = z.infer<typeof LedgerDatasetTypeSchema>;

/** A record that passed validation. */
export interface ValidRecord {
  /** The record as uploaded (a plain JSON object). */
  readonly record: Record<string, unknown>;
  /** Keyed pseudonym of the record's subject. */
  readonly subject: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

type FieldType = LedgerDatasetType['fields'][number]['type'];

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'STRING':
      return typeof value === 'string';
    case 'INTEGER':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'NUMBER':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BOOLEAN':
      return typeof value === 'boolean';
    case 'DATE':
      return (
        typeof value === 'string' && DATE.test(value) && parseLedgerTime(`${value}T00:00:00Z`) !== undefined
      );
  }
}

/** Validates records of one dataset type; built once per upload. */
export class RecordValidator {
  readonly #dataset: LedgerDatasetType;
  readonly #subjects: SubjectPseudonymiser;
  readonly #known: ReadonlySet<string>;

  /**
   * @param dataset the dataset type from the ledger.
   * @param subjects validates and pseudonymises the subject field.
   */
  constructor(dataset: LedgerDatasetType, subjects: SubjectPseudonymiser) {
    this.#dataset = dataset;
    this.#subjects = subjects;
    this.#known = new Set(dataset.fields.map((f) => f.name));
  }

  /**
   * Checks a parsed item: a JSON object with only declared fields, every
   * required one present (null counts as absent), each of its declared type
   * (DATE is `YYYY-MM-DD`), and a valid subject ID in the subject field.
   *
   * @throws AppError 400 `INVALID_RECORD` with `{index, line?, field, rule}`;
   *   rules `OBJECT`, `UNKNOWN_FIELD`, `REQUIRED`, `TYPE`, `SUBJECT_ID`.
   *   Messages name fields and rules, never values.
   */
  async check(item: ParsedItem): Promise<ValidRecord> {
    const where = { index: item.index, ...(item.line === undefined ? {} : { line: item.line }) };
    const value = item.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidRecord({ ...where, field: null, rule: 'OBJECT' }, 'record must be a JSON object');
    }
    const record = value as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      if (!this.#known.has(name)) {
        throw invalidRecord(
          { ...where, field: name.slice(0, 64), rule: 'UNKNOWN_FIELD' },
          `field ${JSON.stringify(name.slice(0, 64))} is not in dataset ${this.#dataset.code}`,
        );
      }
    }
    for (const field of this.#dataset.fields) {
      const v = record[field.name];
      if (v === undefined || v === null) {
        if (field.required) {
          throw invalidRecord({ ...where, field: field.name, rule: 'REQUIRED' }, `${field.name} is required`);
        }
        continue;
      }
      if (!hasType(v, field.type)) {
        throw invalidRecord(
          { ...where, field: field.name, rule: 'TYPE' },
          `${field.name} must be ${field.type === 'DATE' ? 'a DATE (YYYY-MM-DD)' : `of type ${field.type}`}`,
        );
      }
    }
    const subjectField = this.#dataset.subjectField;
    let subject: string;
    try {
      subject = await this.#subjects.pseudonym(record[subjectField] as string);
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_SUBJECT_ID') {
        throw invalidRecord(
          { ...where, field: subjectField, rule: 'SUBJECT_ID' },
          `${subjectField} is not a valid resident ID or unified social credit code`,
        );
      }
      throw err;
    }
    return { record, subject };
  }
}
