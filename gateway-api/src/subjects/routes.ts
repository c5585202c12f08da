/**
 * Data subjects at a bank's counter: the bank learns a subject's pseudonym
 * (what the subject signs over) and registers the subject's signing key,
 * bound by the subject's own EIP-712 signature, after KYC.
 */
import { ADDRESS_PATTERN } from '@ruralcredit/protocol';
import { z } from 'zod';
import { ObjectIdSchema, SignatureSchema, SubjectIdSchema } from '../consent/schemas';
import { AppError } from '../http/errors';
import type { DomainModuleFactory } from '../domain';

const PseudonymRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    consentId: ObjectIdSchema.describe("An ACTIVE consent from this subject to the caller's bank"),
  })
  .strict()
  .meta({ id: 'PseudonymRequest' });
const PseudonymSchema = z.object({ pseudonym: z.string() }).meta({ id: 'SubjectPseudonym' });

const SignerRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    address: z.string().regex(ADDRESS_PATTERN, 'must be 0x and 40 hex digits'),
    signature: SignatureSchema.describe(
      "The subject's EIP-712 SubjectKeyBinding signature over its pseudonym and address",
    ),
  })
  .strict()
  .meta({ id: 'SubjectSignerRequest' });

const SubjectSignerSchema = z
  .object({
    signer: z.object({
      subject: z.string(),
      signer: z.string(),
      registeredBy: z.string(),
      registeredAt: z.string(),
    }),
    txId: z.string(),
    blockNumber: z.number().int(),
  })
  .meta({ id: 'SubjectSigner' });

/** `/subjects`: pseudonyms and signing keys of data subjects (banks only). */
export const subjectsModule: DomainModuleFactory = (ctx) => ({
  name: 'subjects',
  register(router) {
    router.route({
      method: 'post',
      path: '/subjects/pseudonym',
      summary: "A subject's pseudonym, for the subject to sign its key binding or consent over",
      description:
        "Only under an ACTIVE consent from that subject to the caller's bank, so the endpoint is no oracle from IDs to pseudonyms (403 NO_CONSENT otherwise).",
      tags: ['subjects'],
      auth: ['LOAN_OFFICER'],
      body: PseudonymRequestSchema,
      responses: { 200: { description: 'The pseudonym', schema: PseudonymSchema } },
      async handler({ principal, body }) {
        const pseudonym = ctx.subjects.pseudonym(body.subjectId);
        const grant = await ctx.ledger.evaluate<{ subject: string; status: string }>(
          principal.orgMspId,
          'Consent:GetGrant',
          [body.consentId],
        );
        if (grant.subject !== pseudonym || grant.status !== 'ACTIVE') {
          throw AppError.forbidden('no active consent from this subject to your bank under that consent ID', {
            code: 'NO_CONSENT',
          });
        }
        return { body: { pseudonym } };
      },
    });
    router.route({
      method: 'post',
      path: '/subjects/signers',
      summary: "Register a subject's signing key after KYC (bound by the subject's own signature)",
      tags: ['subjects'],
      auth: ['LOAN_OFFICER'],
      body: SignerRequestSchema,
      responses: { 201: { description: 'Registered', schema: SubjectSignerSchema } },
      async handler({ principal, body }) {
        const committed = await ctx.ledger.submit<z.infer<typeof SubjectSignerSchema>['signer']>(
          principal.orgMspId,
          'Membership:RegisterSubjectSigner',
          [ctx.subjects.pseudonym(body.subjectId), body.address, body.signature],
        );
        return {
          status: 201,
          body: { signer: committed.result, txId: committed.txId, blockNumber: committed.blockNumber },
        };
      },
    });
  },
});
