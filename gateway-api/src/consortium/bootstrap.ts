/**
 * Brings a ledger to the consortium definition: the regulator bootstraps,
 * every other organisation is admitted with its role, the starter catalogue
 * is defined and every organisation's signing key is registered. Each step
 * is skipped when the ledger already has it, so this runs at every start.
 */
import { signTypedMessage } from '@ruralcredit/protocol';
import type { Wallet } from 'ethers';
import { OrgKeyError } from '../organisation/identity';
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
  const done = await regulatorSteps(ledger, consortium);
  const registered: string[] = [];
  for (const o of consortium.organisations) {
    if (await registerSigner(ledger, consortium, o.mspId, await signers.wallet(o.mspId))) {
      registered.push(o.mspId);
    }
  }
  return { ...done, signers: registered };
}

/**
 * The per-organisation gateway's share of {@link ensureConsortium}: the regulator's gateway
 * bootstraps, admits and defines the catalogue; every gateway then registers its own
 * organisation's signing key, once the regulator has admitted it (waiting up to `maxWaitMs`).
 *
 * @throws OrgKeyError FOREIGN_ORG_KEY when another member already registered this EIP-712 key;
 *   AppError when the ledger refuses a step, or 503 when the organisation is not admitted in time.
 */
export async function ensureOrganisation(
  ledger: LedgerClient,
  consortium: Consortium,
  mspId: string,
  wallet: Wallet,
  maxWaitMs = 10 * 60_000,
): Promise<BootstrapReport> {
  const own = consortium.organisations.find((o) => o.mspId === mspId);
  if (!own) throw new Error(`${mspId} is not an organisation of the consortium definition`);
  const done =
    own.role === 'REGULATOR'
      ? await regulatorSteps(ledger, consortium)
      : { bootstrapped: false, admitted: [], datasetTypes: [], assetTypes: [] };
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    try {
      await ledger.evaluate(mspId, 'Membership:GetMember', [mspId]);
      break;
    } catch (err) {
      // Not yet admitted by the regulator's gateway (or not bootstrapped at all): wait for it.
      const waiting = err instanceof AppError && (err.status === 404 || err.status === 403);
      if (!waiting || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  const address = wallet.address.toLowerCase();
  const members = await ledger.evaluate<{ records: { mspId: string; signer?: string }[] }>(
    mspId,
    'Membership:ListMembers',
    ['100', ''],
  );
  const holder = members.records.find((m) => m.mspId !== mspId && m.signer === address);
  if (holder) {
    throw new OrgKeyError(
      'FOREIGN_ORG_KEY',
      `the EIP-712 key in the key directory is registered to ${holder.mspId}; a gateway for ${mspId} holds ${mspId}'s keys only`,
    );
  }
  const registered = (await registerSigner(ledger, consortium, mspId, wallet)) ? [mspId] : [];
  return { ...done, signers: registered };
}

/** Registers `wallet` as `mspId`'s signing key unless the ledger has it already; true when it did. */
async function registerSigner(
  ledger: LedgerClient,
  consortium: Consortium,
  mspId: string,
  wallet: Wallet,
): Promise<boolean> {
  const signer = wallet.address.toLowerCase();
  const member = await ledger.evaluate<{ signer?: string }>(mspId, 'Membership:GetMember', [mspId]);
  if (member.signer === signer) return false;
  const signature = await signTypedMessage(
    wallet,
    'MemberKeyBinding',
    { mspId, signer },
    deploymentOf(consortium),
  );
  await ledger.submit(mspId, 'Membership:RegisterSigner', [wallet.address, signature]);
  return true;
}

/** The regulator's steps: bootstrap, admit every member, define the starter catalogue. */
async function regulatorSteps(
  ledger: LedgerClient,
  consortium: Consortium,
): Promise<Omit<BootstrapReport, 'signers'>> {
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
  return { bootstrapped, admitted, datasetTypes, assetTypes };
}
