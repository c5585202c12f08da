/** Payloads of the OPRF evaluation endpoint (RFC 9497, VOPRF, ristretto255-SHA512). */
import { z } from 'zod';
import { ELEMENT_BYTES, MAX_BATCH } from './oprf';

const Element = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, `must be a ${ELEMENT_BYTES}-byte element in base64`)
  .describe('A serialised ristretto255 element, base64');

/** Body of `POST /pseudonyms/evaluate`. */
export const EvaluateRequestSchema = z
  .object({
    blinded: z
      .array(Element)
      .min(1)
      .max(MAX_BATCH)
      .describe('Blinded elements (RFC 9497 Blind), one per subject ID; never the IDs themselves'),
  })
  .strict()
  .meta({ id: 'PseudonymEvaluateRequest' });

/** Response of `POST /pseudonyms/evaluate`. */
export const EvaluateResponseSchema = z
  .object({
    evaluated: z.array(Element).describe('BlindEvaluate of each element, in request order'),
    proof: z
      .string()
      .describe('Batched DLEQ proof (c, s) that every element was raised to the published key, base64'),
    keyId: z.string().describe('Short name of the key used (see GET /pseudonyms/key)'),
  })
  .meta({ id: 'PseudonymEvaluation' });

/** Response of `GET /pseudonyms/key`. */
export const OprfPublicKeySchema = z
  .object({
    suite: z.string().describe('RFC 9497 suite, `ristretto255-SHA512`'),
    mode: z.string().describe('`VOPRF`'),
    publicKey: z
      .string()
      .describe('The public key, hex; members pin it in GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY'),
    keyId: z.string().describe('First 16 hex characters of SHA-256 of the public key'),
  })
  .meta({ id: 'OprfPublicKey' });
