/**
 * The rural credit consortium chaincode: one contract per business area.
 */
import { AccessContract } from './contracts/access';
import { CatalogueContract } from './contracts/catalogue';
import { CollateralContract } from './contracts/collateral';
import { ConsentContract } from './contracts/consent';
import { DisputeContract } from './contracts/dispute';
import { FinancingContract } from './contracts/financing';
import { LendingContract } from './contracts/lending';
import { MembershipContract } from './contracts/membership';
import { ProvenanceContract } from './contracts/provenance';
import { installParameterValidatorCache } from './lib/parameter-validators';
import { installPeerBatching } from './lib/peer-batch';

// Before fabric-shim connects to a peer: hear what the peer offers in its READY message.
installPeerBatching();
// Compile each transaction parameter's schema once (fabric-shim compiles it on every call).
installParameterValidatorCache();

export {
  AccessContract,
  CatalogueContract,
  CollateralContract,
  ConsentContract,
  DisputeContract,
  FinancingContract,
  LendingContract,
  MembershipContract,
  ProvenanceContract,
};
export { intendedRegulatorMspId, type ConsortiumConfig } from './lib/members';
export { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './lib/state';
export { DENIAL_REASONS } from './model/access';
export { FREQUENCY_MAX_AGE_SECONDS } from './model/catalogue';
export { DISPUTE_DAYS } from './model/dispute';
export { DEFAULT_CONTACT_DAYS, MAX_ACTIVE_CLAIMS } from './model/financing';

/** Every contract, as fabric-chaincode-node's `server` and the embedded ledger load them. */
export const contracts = [
  MembershipContract,
  CatalogueContract,
  ProvenanceContract,
  ConsentContract,
  AccessContract,
  CollateralContract,
  DisputeContract,
  FinancingContract,
  LendingContract,
];
