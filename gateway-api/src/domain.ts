/**
 * What the business modules share: the ledger, the consortium definition,
 * subject pseudonyms and the organisations' signing keys.
 */
import type { Consortium } from './consortium/definition';
import type { OrgSignerStore } from './consortium/signers';
import type { SubjectPseudonymiser } from './consortium/subjects';
import type { FeatureModule, GatewayDeps } from './feature';
import type { LedgerClient } from './ledger/types';
import type { OrgIdentity } from './organisation/identity';
import type { OprfKeyHolder } from './pseudonyms/oprf';

/** Services every business module receives. */
export interface DomainContext {
  /** The ledger backend (embedded or Fabric), already bootstrapped to the consortium definition. */
  readonly ledger: LedgerClient;
  /** Organisations and starter catalogue. */
  readonly consortium: Consortium;
  /** Subject ID validation and pseudonyms (the regulator's oblivious PRF). */
  readonly subjects: SubjectPseudonymiser;
  /** The regulator's OPRF key, on the gateway that holds it (the regulator's, and the all-in-one demo). */
  readonly pseudonymKey?: OprfKeyHolder;
  /** Each organisation's EIP-712 signing key. */
  readonly signers: OrgSignerStore;
  /** A per-organisation gateway's own identity (signs requests to other gateways); absent in the demo. */
  readonly own?: OrgIdentity;
}

/**
 * A business module: built from the domain context once the gateway's shared
 * services exist (so it can open its own sealed stores), before routes register.
 */
export type DomainModuleFactory = (ctx: DomainContext, deps: GatewayDeps) => FeatureModule;
