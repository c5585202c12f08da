/**
 * Brings a ledger to the consortium definition: the regulator bootstraps,
 * every other organisation is admitted with its role, the starter catalogue
 * is defined and every organisation's signing key is registered. Each step
 * is skipped when the ledger already has it, so this runs at every start.
 */
import { signTypedMessage } from '@ruralcredit/protocol';
import { AppError } from '../http/errors';
import type { LedgerClient } from '../ledger/types';
import { deploymentOf, type Consortium } from './definition';
import type { OrgSignerStore } from './signers';

/** What {@link ensureConsortium} did. */
export interface BootstrapReport {
  readonly bootstrapped: boolean;
  readonly admitted: readonly string[];
  readonly datasetTypes: readonly string[];
  readonly assetTypes: readonly string[];
  readonly signers: readonly string[];
}

async function ignoreConflict(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONFLICT') return false;
    throw err;
  }
}

/**
 * Applies the consortium definition to the ledger.
 *
 * @throws AppError when the ledger refuses a step for another reason than "already done".
 */
export async function ensureConsortium(
  ledger: LedgerClient,
  consortium: Consortium,
  signers: OrgSignerStore,
): Promise<BootstrapReport> {
  const regulator = consortium.organisations.find((o) => o.role === 'REGULATOR');
  if (!regulator) throw new Error('the consortium definition has no REGULATOR organisation');
  const bootstrapped = await ignoreConflict(() =>
    ledger.submit(regulator.mspId, 'Membership:Bootstrap', [regulator.name]),
  );
  const admitted: string[] = [];
  for (const o of consortium.organisations) {
    if (o.role === 'REGULATOR') continue;
    const body = JSON.stringify({ mspId: o.mspId, role: o.role, name: o.name });
    if (await ignoreConflict(() => ledger.submit(regulator.mspId, 'Membership:AdmitMember', [body]))) {
      admitted.push(o.mspId);
    }
  }
  const datasetTypes: string[] = [];
  for (const d of consortium.datasetTypes) {
    if (
      await ignoreConflict(() =>
        ledger.submit(regulator.mspId, 'Catalogue:DefineDatasetType', [JSON.stringify(d)]),
      )
    ) {
      datasetTypes.push(d.code);
    }
  }
  const assetTypes: string[] = [];
  for (const a of consortium.assetTypes) {
    if (
      await ignoreConflict(() =>
        ledger.submit(regulator.mspId, 'Catalogue:DefineAssetType', [JSON.stringify(a)]),
      )
    ) {
      assetTypes.push(a.code);
    }
  }
  const registered: string[] = [];
  for (const o of consortium.organisations) {
    const wallet = await signers.wallet(o.mspId);
    const signer = wallet.address.toLowerCase();
    const member = await ledger.evaluate<{ signer?: string }>(o.mspId, 'Membership:GetMember', [o.mspId]);
    if (member.signer === signer) continue;
    const signature = await signTypedMessage(
      wallet,
      'MemberKeyBinding',
      { mspId: o.mspId, signer },
      deploymentOf(consortium),
    );
    await ledger.submit(o.mspId, 'Membership:RegisterSigner', [wallet.address, signature]);
    registered.push(o.mspId);
  }
  return { bootstrapped, admitted, datasetTypes, assetTypes, signers: registered };
}
