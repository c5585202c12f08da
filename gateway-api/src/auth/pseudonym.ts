/** Keyed pseudonyms for people the ledger must not name in clear. */
import { createHmac } from 'node:crypto';

/** Domain-separation prefix of operator pseudonyms (versioned so the scheme can change). */
export const OPERATOR_PSEUDONYM_DOMAIN = 'rcl:operator:v1:';

/**
 * The operator pseudonym of a gateway user: hex HMAC-SHA256 under the
 * platform pseudonym secret of `'rcl:operator:v1:' + userId`. Stable for a
 * user, unlinkable to the user ID without the secret.
 */
export function operatorPseudonym(secret: Buffer, userId: string): string {
  return createHmac('sha256', secret)
    .update(OPERATOR_PSEUDONYM_DOMAIN + userId, 'utf8')
    .digest('hex');
}
