/** Payload schemas of the verification-report endpoints. */
import { CATALOGUE_CODE_PATTERN, PURPOSES } from '@ruralcredit/protocol';
import { z } from 'zod';
import { ObjectIdSchema, SubjectIdSchema } from '../consent/schemas';
import { LedgerTimeSchema } from '../http/fields';

/** What a loan officer asks for. */
export const ReportRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    consentId: ObjectIdSchema,
    datasets: z
      .array(z.string().regex(CATALOGUE_CODE_PATTERN, 'must be a dataset type code'))
      .min(1)
      .max(32)
      .refine((d) => new Set(d).size === d.length, 'must not repeat a dataset'),
    purpose: z.enum(PURPOSES),
    accessId: ObjectIdSchema.optional().describe(
      'Idempotency key, chosen by the client and unique within its bank (each bank has its own namespace): ' +
        'the ID of the access to record. When an earlier request with ' +
        'this ID was recorded (its answer lost), the same report is returned again (200) and nothing new is ' +
        'recorded. Generated when absent.',
    ),
    historyFrom: LedgerTimeSchema.optional().describe(
      "Also carry each dataset's history: every record of the subject anchored from this time (to historyTo), " +
        'with the change of each numeric field between its last two batches',
    ),
    historyTo: LedgerTimeSchema.optional().describe('End of the history window (exclusive); now when absent'),
  })
  .strict()
  .refine((r) => r.historyTo === undefined || r.historyFrom !== undefined, {
    message: 'historyTo needs historyFrom',
    path: ['historyTo'],
  })
  .refine((r) => r.historyFrom === undefined || r.historyTo === undefined || r.historyFrom < r.historyTo, {
    message: 'historyTo must be after historyFrom',
    path: ['historyTo'],
  })
  .meta({ id: 'ReportRequest' });

/**
 * The object schema of a report part: `strip` for the reports the gateway
 * issues (it writes every member itself), `loose` for a filed report sent
 * back to be checked, whose unknown members must be kept, because its digest
 * covers every member it holds.
 */
type ObjectMode = 'strip' | 'loose';

function object<T extends z.core.$ZodLooseShape>(mode: ObjectMode, shape: T) {
  return mode === 'loose' ? z.looseObject(shape) : z.object(shape);
}

function reportRecordSchema(mode: ObjectMode) {
  return object(mode, {
    batchId: z.string(),
    index: z.number().int(),
    record: z.record(z.string(), z.unknown()),
    leafHash: z.string(),
    proof: object(mode, {
      leafIndex: z.number().int().min(0),
      treeSize: z.number().int().min(1),
      path: z.array(z.string()),
    }),
    merkleRoot: z.string(),
    anchoredAt: z.string(),
    disputed: z.boolean(),
    disputeId: z.string().optional(),
  });
}

function reportSchema(mode: ObjectMode) {
  return object(mode, {
    reportId: z.string(),
    version: z.literal(1),
    accessId: z
      .string()
      .describe("The access record on the ledger whose releaseDigest is this report's digest"),
    subject: object(mode, { pseudonym: z.string(), maskedId: z.string() }),
    requestedBy: object(mode, { institution: z.string(), operator: z.string() }),
    consentId: z.string(),
    purpose: z.string(),
    generatedAt: z.string(),
    historyWindow: object(mode, { from: z.string(), to: z.string().optional() }).optional(),
    datasets: z.array(
      object(mode, {
        datasetType: z.string(),
        records: z.array(reportRecordSchema(mode)),
        history: z
          .array(reportRecordSchema(mode))
          .optional()
          .describe('Every record of the subject anchored in the history window, oldest first'),
        changes: z
          .array(
            object(mode, {
              field: z.string(),
              previous: z.number(),
              latest: z.number(),
              changePercent: z.number().nullable(),
              previousBatchId: z.string(),
              latestBatchId: z.string(),
            }),
          )
          .optional()
          .describe("Each numeric field's change between the subject's last two batches in the window"),
      }),
    ),
    collateral: z.array(z.record(z.string(), z.unknown())),
    multiLenderSignal: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'The multi-lender signal the chaincode computed and recorded for this report (counts of other ' +
          'institutions only; its own digest is on the ledger); absent when the consent is not active',
      ),
    digest: z.string().describe('SHA-256 of the canonical JSON of the report without this field'),
  });
}

/** One record in a report, with what proves it. */
export const ReportRecordSchema = reportRecordSchema('strip');

/** A verification report (农户信用信息专项核查报告). */
export const ReportSchema = reportSchema('strip').meta({ id: 'VerificationReport' });

/**
 * A filed report as sent to `POST /reports/verify`: the same members, and
 * any other member anywhere is kept, so the digest is computed over exactly
 * what was sent (an added member makes `digestMatches` false, as offline).
 */
export const FiledReportSchema = reportSchema('loose')
  .describe(
    'The report exactly as filed. Members the gateway does not know are kept, at every level, and ' +
      'included in the digest: the digest is computed over exactly the members sent, so an added ' +
      'member fails `digestMatches`, as `ruralcredit report verify --offline` does.',
  )
  .meta({ id: 'FiledVerificationReport' });

/** A report as parsed. */
export type Report = z.infer<typeof ReportSchema>;

/** The answer to a granted report request. */
export const IssuedReportSchema = z
  .object({ report: ReportSchema, accessId: z.string(), txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'IssuedReport' });

/** A filed report to check. */
export const VerifyReportRequestSchema = z
  .object({ report: FiledReportSchema })
  .strict()
  .meta({ id: 'VerifyReportRequest' });

/** The result of checking a filed report. */
export const ReportVerificationSchema = z
  .object({
    valid: z.boolean(),
    digestMatches: z.boolean(),
    anchored: z
      .boolean()
      .describe('The ledger holds a GRANTED access for this subject whose releaseDigest is the digest'),
    access: z
      .object({ accessId: z.string(), txId: z.string(), accessedAt: z.string(), outcome: z.string() })
      .optional(),
    records: z.array(z.object({ batchId: z.string(), index: z.number().int(), valid: z.boolean() })),
  })
  .meta({ id: 'ReportVerification' });
