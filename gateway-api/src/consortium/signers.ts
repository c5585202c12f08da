/**
 * Each organisation's EIP-712 signing key (secp256k1, as ethers uses), held
 * by the gateway encrypted at rest and registered on the ledger, so that the
 * manifests the gateway signs for a provider verify in chaincode.
 */
import { Wallet } from 'ethers';
import { z } from 'zod';
import type { SealedStore } from '../store/sealed';

const StoredKeySchema = z.object({ privateKey: z.string().regex(/^0x[0-9a-f]{64}$/) });

/** Signing keys per organisation. */
export interface OrgSignerStore {
  /** The organisation's wallet, created on first use. */
  wallet(mspId: string): Promise<Wallet>;
}

/** {@link OrgSignerStore} over a sealed LevelDB sublevel. */
export class OrgSignerStoreImpl implements OrgSignerStore {
  readonly #store: SealedStore<z.infer<typeof StoredKeySchema>>;
  readonly #cache = new Map<string, Wallet>();

  constructor(store: SealedStore<z.infer<typeof StoredKeySchema>>) {
    this.#store = store;
  }

  /** The schema the sealed store validates values with. */
  static readonly schema = StoredKeySchema;

  async wallet(mspId: string): Promise<Wallet> {
    const cached = this.#cache.get(mspId);
    if (cached) return cached;
    const stored = await this.#store.get(mspId);
    const wallet = stored ? new Wallet(stored.privateKey) : new Wallet(Wallet.createRandom().privateKey);
    if (!stored) await this.#store.put(mspId, { privateKey: wallet.privateKey });
    this.#cache.set(mspId, wallet);
    return wallet;
  }
}
