/**
 * Data subjects at a bank's counter and on their own: the bank learns a
 * subject's pseudonym (what the subject signs over) and, under the subject's
 * ACTIVE consent and after an identity check, registers the subject's signing
 * key; the regulator replaces a key; the subject rotates its key and
 * withdraws a consent with its own signature, without an account.
 */
import { signingDomain } from '@ruralcredit/protocol';
import { deploymentOf } from '../consortium/definition';
import { AppError } from '../http/errors';
import type { DomainModuleFactory } from '../domain';
import {
  PseudonymRequestSchema,
  SignerReplacementSchema,
  SignerRequestSchema,
  SignerRotationSchema,
  SigningDomainSchema,
  SubjectPseudonymSchema,
  SubjectRevocationResultSchema,
  SubjectRevocationSchema,
  SubjectSignerSchema,
} from './schemas';
import { SubjectKeyService } from './service';

/** `/subjects`: pseudonyms and signing keys of data subjects. */
export const subjectsModule: DomainModuleFactory = (ctx) => {
  const service = new SubjectKeyService({ context: ctx });
  return {
    name: 'subjects',
    register(router) {
      router.route({
        method: 'get',
        path: '/signing-domain',
        summary:
          'The EIP-712 domain signatures for this deployment use (name, version, salt of channel and chaincode)',
        description:
          'Subjects, providers and their tools sign consents, key bindings, rotations, revocations, access-log ' +
          'requests and batch manifests under this domain; its salt binds each signature to this channel and ' +
          'chaincode, so the same signature is refused by any other deployment.',
        tags: ['subjects'],
        auth: 'public',
        responses: { 200: { description: 'The signing domain', schema: SigningDomainSchema } },
        handler() {
          const deployment = deploymentOf(ctx.consortium);
          const domain = signingDomain(deployment);
          return {
            body: {
              name: String(domain.name),
              version: String(domain.version),
              salt: String(domain.salt),
              ...deployment,
            },
          };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/pseudonym',
        summary: "A subject's pseudonym, for the subject to sign its key binding or consent over",
        description:
          "Only under an ACTIVE consent from that subject to the caller's bank, so the endpoint is no oracle from IDs to pseudonyms (403 NO_CONSENT otherwise).",
        tags: ['subjects'],
        auth: ['LOAN_OFFICER'],
        body: PseudonymRequestSchema,
        responses: { 200: { description: 'The pseudonym', schema: SubjectPseudonymSchema } },
        async handler({ principal, body }) {
          const pseudonym = await ctx.subjects.pseudonym(body.subjectId);
          const grant = await ctx.ledger.evaluate<{ subject: string; status: string }>(
            principal.orgMspId,
            'Consent:GetGrant',
            [body.consentId],
          );
          if (grant.subject !== pseudonym || grant.status !== 'ACTIVE') {
            throw AppError.forbidden(
              'no active consent from this subject to your bank under that consent ID',
              {
                code: 'NO_CONSENT',
              },
            );
          }
          return { body: { pseudonym } };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/signers',
        summary: "Register a subject's signing key after an identity check (KYC)",
        description:
          "Under the caller's ACTIVE consent from that subject (`consentId`), with the subject's own " +
          'EIP-712 `SubjectKeyBinding` signature and the KYC attestation (evidence digest, when; the ' +
          'attesting operator is the caller), recorded with the binding, which names the bank. The first ' +
          'key stands: only the regulator (`/subjects/signers/replacement`) or the subject with its ' +
          'current key (`/subjects/signers/rotation`) changes it. Every change alerts the banks holding ' +
          'ACTIVE consents from the subject (`SubjectSignerRegistered`).',
        tags: ['subjects'],
        auth: ['LOAN_OFFICER'],
        body: SignerRequestSchema,
        responses: {
          201: { description: 'Registered', schema: SubjectSignerSchema },
          403: { description: "FORBIDDEN: the consent is not the bank's ACTIVE consent from this subject" },
          409: { description: 'CONFLICT: the subject already has a key' },
        },
        async handler({ principal, body }) {
          return { status: 201, body: await service.register(principal, body) };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/signers/replacement',
        summary: "The regulator replaces a subject's signing key (lost key, wrongful binding)",
        description:
          "After the regulator's own identity check; the new key's `SubjectKeyBinding` signature proves " +
          'possession. Alerts the banks holding ACTIVE consents from the subject (`SubjectSignerReplaced`).',
        tags: ['subjects'],
        auth: ['REGULATOR_ADMIN'],
        body: SignerReplacementSchema,
        responses: {
          200: { description: 'Replaced', schema: SubjectSignerSchema },
          404: { description: 'NOT_FOUND: the subject has no key' },
        },
        async handler({ principal, body }) {
          return { body: await service.replace(principal, body) };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/signers/rotation',
        summary: 'A data subject moves its binding to a new key (signed by its current key, no account)',
        description:
          'The current key signs an EIP-712 `SubjectKeyRotation` (subject, from, to, the binding’s ' +
          'current version, so each signature is good once), the new key its `SubjectKeyBinding`. ' +
          'Alerts the banks holding ACTIVE consents from the subject (`SubjectSignerRotated`).',
        tags: ['subjects'],
        auth: 'public',
        body: SignerRotationSchema,
        responses: {
          200: { description: 'Rotated', schema: SubjectSignerSchema },
          400: { description: 'INVALID: a signature does not verify' },
          404: { description: 'NOT_FOUND: the subject has no key' },
        },
        async handler({ body }) {
          return { body: await service.rotate(body) };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/revocations',
        summary: 'A data subject withdraws a consent with its own signature (no account)',
        description:
          "The subject's EIP-712 `ConsentRevocation` signature, by the key bound to its pseudonym. A " +
          'revocation signed by the subject is accepted from the subject itself (here), the grantee bank ' +
          'or the regulator (`POST /consents/{id}/revoke`), never from another bank.',
        tags: ['subjects'],
        auth: 'public',
        body: SubjectRevocationSchema,
        responses: {
          200: { description: 'Revoked', schema: SubjectRevocationResultSchema },
          400: { description: "INVALID: the signature is not the subject's" },
          404: { description: 'NOT_FOUND: no such consent' },
          409: { description: 'CONFLICT: already revoked' },
        },
        async handler({ body }) {
          return { body: await service.revoke(body) };
        },
      });
    },
  };
};
