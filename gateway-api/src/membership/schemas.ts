/**
 * Membership payloads: one zod schema per body gives the type, the runtime
 * check and the OpenAPI document. Shape checks only: the `Membership`
 * contract decides who may admit, suspend and reinstate.
 */
import { ROLES } from '@ruralcredit/protocol';
import { z } from 'zod';
import { MspIdSchema } from '../auth/roles';
import { withoutPersonalIdentifiers } from '../http/fields';

/** A consortium role of a member organisation. */
export const MemberRoleSchema = z.enum(ROLES).meta({
  id: 'MemberRole',
  description:
    'Consortium role: REGULATOR, BANK, DATA_PROVIDER, AUDITOR, or GUARANTOR, INSURER, MICROLENDER ' +
    '(each grantee role limited to its purposes, see the README)',
});

/** The regulator's reason for a decision about a member (kept on the ledger, so no personal identifier). */
export const ReasonSchema = withoutPersonalIdentifiers(
  z
    .string()
    .min(1)
    .max(200)
    .refine(
      (s) => s.normalize('NFC') === s && !/\p{Cc}/u.test(s),
      'must be NFC text without control characters',
    ),
).describe('Why (kept on the ledger; no personal identifier)');

/** Body of `POST /members`. */
export const AdmitMemberSchema = z
  .object({
    mspId: MspIdSchema,
    role: MemberRoleSchema.exclude(['REGULATOR']).describe('Any role but REGULATOR (fixed at bootstrap)'),
    name: withoutPersonalIdentifiers(z.string().min(1).max(128)).describe('Organisation name'),
    reason: ReasonSchema,
  })
  .strict()
  .meta({ id: 'AdmitMemberRequest' });

/** Body of `POST /members/{mspId}/suspension` and `/reinstatement`. */
export const MemberDecisionSchema = z
  .object({ reason: ReasonSchema })
  .strict()
  .meta({ id: 'MemberDecisionRequest' });

/** Path parameters naming a member. */
export const MspIdParamsSchema = z.object({ mspId: MspIdSchema });

/** A member as the API returns it. */
export const MemberSchema = z
  .object({
    mspId: z.string(),
    role: MemberRoleSchema,
    name: z.string(),
    status: z.enum(['ACTIVE', 'SUSPENDED']),
    since: z.string().describe('When the current status began (admission, suspension or reinstatement)'),
    admittedAt: z.string(),
    updatedAt: z.string(),
    reason: z
      .string()
      .nullable()
      .describe('The reason of the decision behind the current status (null for bootstrap admissions)'),
    signer: z.string().nullable().describe('Registered EIP-712 signing address (lower case), if any'),
  })
  .meta({ id: 'Member' });

/** A committed decision returning the member. */
export const MemberChangeSchema = z
  .object({ member: MemberSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'MemberChange' });

/** Validated body of `POST /members`. */
export type AdmitMemberInput = z.output<typeof AdmitMemberSchema>;
/** A member as the API returns it. */
export type MemberView = z.output<typeof MemberSchema>;
/** A committed decision about a member. */
export type MemberChange = z.output<typeof MemberChangeSchema>;
