/**
 * Subject pseudonyms as a verifiable oblivious PRF (RFC 9497, VOPRF mode,
 * ristretto255-SHA512) keyed by the regulator: a member blinds a subject ID,
 * the regulator's gateway evaluates the blinded element with its private key
 * and proves (DLEQ) that it used the key it published, and the member unblinds
 * the result. The regulator never sees the ID; the member never holds the key,
 * so nobody but the regulator can enumerate the ID space, and the regulator
 * only through its own key.
 *
 * The implementation is @noble/curves' `ristretto255_oprf` (audited, maintained, RFC 9497 test
 * vectors in its suite).
 */
import { createHash } from 'node:crypto';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';

/** The RFC 9497 suite of subject pseudonyms. */
export const OPRF_SUITE = 'ristretto255-SHA512';

/** The RFC 9497 mode: verifiable, so a member checks every evaluation against the published key. */
export const OPRF_MODE = 'VOPRF';

/** Bytes of the key seed an operator provides (RFC 9497 DeriveKeyPair's `seed`). */
export const OPRF_SEED_BYTES = 32;

/** DeriveKeyPair's `info`: binds the key to this use, so the same seed never keys anything else. */
const KEY_INFO = new TextEncoder().encode('rcl:subject-pseudonym-key:v2');

/** Prefix of the OPRF input: versioned, so a later scheme never collides with this one. */
export const SUBJECT_INPUT_DOMAIN = 'rcl:subject:v2:';

/** Label hashed in front of the OPRF output to give the 64-hex pseudonym the ledger stores. */
const PSEUDONYM_LABEL = 'rcl:subject-pseudonym:v2:';

/** Most blinded elements one evaluation request may carry. */
export const MAX_BATCH = 256;

/** Bytes of one serialised ristretto255 element. */
export const ELEMENT_BYTES = 32;

const { voprf, oprf } = ristretto255_oprf;

/**
 * RFC 9497 Evaluate in VOPRF mode (one hash-to-group, one scalar multiplication): noble ships it
 * at runtime but does not declare it; when absent, {@link OprfKeyHolder.pseudonym} takes the
 * longer blind/evaluate/finalize road to the same output (tests pin that both agree).
 */
const voprfEvaluate = (
  voprf as unknown as { evaluate?: (secretKey: Uint8Array, input: Uint8Array) => Uint8Array }
).evaluate;

/** The regulator's published evaluation key: what members pin to verify every evaluation. */
export interface OprfPublicKey {
  /** RFC 9497 suite identifier. */
  readonly suite: string;
  /** `VOPRF`. */
  readonly mode: string;
  /** The serialised public key, hex. */
  readonly publicKey: string;
  /** First 16 hex characters of SHA-256 of the public key: a short name for logs and stats. */
  readonly keyId: string;
}

/** A batch of blinded elements and the proof-carrying answer, both as base64 strings. */
export interface BlindEvaluation {
  /** The evaluated elements, base64, in request order. */
  readonly evaluated: readonly string[];
  /** The batched DLEQ proof that each was raised to the published key, base64. */
  readonly proof: string;
}

/** Why a blinded element or an evaluation was refused. */
export class OprfInputError extends Error {
  override readonly name = 'OprfInputError';
}

const utf8 = new TextEncoder();

/** The OPRF input for a normalised subject ID. */
export function subjectInput(normalisedId: string): Uint8Array {
  return utf8.encode(SUBJECT_INPUT_DOMAIN + normalisedId);
}

/** The ledger pseudonym for an OPRF output: hex SHA-256 of a label and the output. */
export function pseudonymFromOutput(output: Uint8Array): string {
  return createHash('sha256').update(PSEUDONYM_LABEL, 'utf8').update(output).digest('hex');
}

/** Describes a public key as the regulator publishes it. */
export function describePublicKey(publicKey: Uint8Array): OprfPublicKey {
  return {
    suite: OPRF_SUITE,
    mode: OPRF_MODE,
    publicKey: Buffer.from(publicKey).toString('hex'),
    keyId: createHash('sha256').update(publicKey).digest('hex').slice(0, 16),
  };
}

/**
 * The public key RFC 9497 DeriveKeyPair gives for `seed` (what the regulator publishes and
 * members pin), without keeping the private key.
 *
 * @throws RangeError when the seed is not {@link OPRF_SEED_BYTES} bytes.
 */
export function publicKeyOfSeed(seed: Uint8Array): Uint8Array {
  return deriveKeys(seed).publicKey;
}

function deriveKeys(seed: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (seed.length !== OPRF_SEED_BYTES) throw new RangeError(`OPRF seed must be ${OPRF_SEED_BYTES} bytes`);
  return voprf.deriveKeyPair(seed, KEY_INFO);
}

/**
 * Decodes one base64 element: exactly {@link ELEMENT_BYTES} bytes in canonical base64. Whether
 * it is a valid, non-identity ristretto255 encoding is checked by the curve operation that uses
 * it (RFC 9497 section 3.3 requires refusing the identity; noble does).
 *
 * @throws OprfInputError naming the element's position.
 */
function decodeElement(b64: string, index: number): Uint8Array {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== ELEMENT_BYTES || bytes.toString('base64') !== b64) {
    throw new OprfInputError(`element ${index} is not a ${ELEMENT_BYTES}-byte base64 element`);
  }
  return new Uint8Array(bytes);
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** The regulator's side: holds the private key, evaluates blinded elements. */
export class OprfKeyHolder {
  readonly #secretKey: Uint8Array;
  readonly #publicKey: Uint8Array;

  private constructor(keys: { secretKey: Uint8Array; publicKey: Uint8Array }) {
    this.#secretKey = keys.secretKey;
    this.#publicKey = keys.publicKey;
  }

  /**
   * The key pair RFC 9497 DeriveKeyPair gives for `seed` (the operator's key file).
   *
   * @throws RangeError when the seed is not {@link OPRF_SEED_BYTES} bytes.
   */
  static fromSeed(seed: Uint8Array): OprfKeyHolder {
    return new OprfKeyHolder(deriveKeys(seed));
  }

  /** The published public key. */
  get publicKey(): OprfPublicKey {
    return describePublicKey(this.#publicKey);
  }

  /** The raw public key bytes. */
  get publicKeyBytes(): Uint8Array {
    return this.#publicKey;
  }

  /**
   * Evaluates blinded elements with one batched DLEQ proof (RFC 9497 BlindEvaluateBatch).
   *
   * @throws OprfInputError when a blinded element is malformed, not a group element, or the identity.
   */
  blindEvaluate(blinded: readonly string[]): BlindEvaluation {
    const points = blinded.map(decodeElement);
    let answer: { evaluated: Uint8Array[]; proof: Uint8Array };
    try {
      answer = voprf.blindEvaluateBatch(this.#secretKey, this.#publicKey, points);
    } catch {
      throw new OprfInputError('a blinded element is not a valid ristretto255 element, or is the identity');
    }
    return { evaluated: answer.evaluated.map(b64), proof: b64(answer.proof) };
  }

  /**
   * The pseudonym of a normalised ID, evaluated by the key holder itself (RFC 9497 Evaluate).
   * The fallback blinds with the VOPRF context and unblinds without a proof (RFC 9497 Finalize is
   * the same in every mode), so either way the result is exactly what a member gets from the
   * blinded round trip.
   */
  pseudonym(normalisedId: string): string {
    const input = subjectInput(normalisedId);
    if (voprfEvaluate !== undefined) return pseudonymFromOutput(voprfEvaluate(this.#secretKey, input));
    const { blind, blinded } = voprf.blind(input);
    const evaluated = oprf.blindEvaluate(this.#secretKey, blinded);
    return pseudonymFromOutput(oprf.finalize(input, blind, evaluated));
  }
}

/** A blinded batch waiting for its evaluation. */
export interface BlindedBatch {
  /** Base64 blinded elements, to send. */
  readonly blinded: readonly string[];
  /** Kept by the client to unblind; never sent. */
  readonly secrets: readonly { input: Uint8Array; blind: Uint8Array; blinded: Uint8Array }[];
}

/** The member's side: blinds, verifies the proof against the pinned key, unblinds. */
export class OprfBlinder {
  readonly #publicKey: Uint8Array;

  /** @param publicKey the regulator's pinned public key. */
  constructor(publicKey: Uint8Array) {
    this.#publicKey = publicKey;
  }

  /** Blinds normalised IDs with fresh random scalars. */
  blind(normalisedIds: readonly string[]): BlindedBatch {
    const secrets = normalisedIds.map((id) => {
      const input = subjectInput(id);
      return { input, ...voprf.blind(input) };
    });
    return { blinded: secrets.map((s) => b64(s.blinded)), secrets };
  }

  /**
   * Verifies the evaluation's batch proof against the pinned key and unblinds it into pseudonyms.
   *
   * @throws OprfInputError when the answer is malformed, has the wrong count,
   *   or its proof does not verify against the pinned key.
   */
  finalize(batch: BlindedBatch, answer: BlindEvaluation): string[] {
    if (answer.evaluated.length !== batch.secrets.length) {
      throw new OprfInputError(
        `evaluator answered ${answer.evaluated.length} elements for ${batch.secrets.length}`,
      );
    }
    const evaluated = answer.evaluated.map(decodeElement);
    const proof = Buffer.from(answer.proof, 'base64');
    if (proof.length !== 64 || proof.toString('base64') !== answer.proof) {
      throw new OprfInputError('evaluation proof is malformed');
    }
    let outputs: Uint8Array[];
    try {
      outputs = voprf.finalizeBatch(
        batch.secrets.map((s, i) => ({ ...s, evaluated: evaluated[i]! })),
        this.#publicKey,
        new Uint8Array(proof),
      );
    } catch {
      throw new OprfInputError('evaluation proof does not verify against the pinned public key');
    }
    return outputs.map(pseudonymFromOutput);
  }
}
