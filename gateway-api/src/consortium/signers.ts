/**
 * Each organisation's EIP-712 signing key (secp256k1, as ethers uses), held
 * by the gateway encrypted at rest and registered on the ledger, so that the
 * manifests the gateway signs for a provider verify in chaincode.
 */
import { Wallet } from 'ethers';
import { z } from 'zod';
import { AppError } from '../http/errors';
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

/**
 * The per-organisation gateway's signer: its own organisation's key, read from the operator's
 * key directory; asking for another organisation's key is refused (it is not here).
 */
export class OwnOrgSigner implements OrgSignerStore {
  readonly #mspId: string;
  readonly #wallet: Wallet;

  constructor(mspId: string, wallet: Wallet) {
    this.#mspId = mspId;
    this.#wallet = wallet;
  }

  /** @throws AppError 403 NOT_THIS_ORGANISATION for any other organisation. */
  wallet(mspId: string): Promise<Wallet> {
    if (mspId !== this.#mspId) {
      return Promise.reject(
        AppError.forbidden(`this gateway holds no signing key of ${mspId}: each organisation runs its own`, {
          code: 'NOT_THIS_ORGANISATION',
        }),
      );
    }
    return Promise.resolve(this.#wallet);
  }
}
