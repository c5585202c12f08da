/**
 * Test support for the collateral, disputes and alerts suites: a small
 * in-test stand-in for the block indexer (EventBus and TxLocator fed from
 * `ledger.blocks(0)`), and ledger set-up the API of other modules would do
 * (consent grants, anchored batches, revocations).
 */
import {
  DAY_SECONDS,
  isoFromEpochSeconds,
  signTypedMessage,
  type TypedMessages,
} from '@ruralcredit/protocol';
import type { DomainContext } from '../../src/domain';
import type { GatewayDeps } from '../../src/feature';
import type { EventBus, IndexedEvent, TxLocation, TxLocator } from '../../src/indexer/types';
import type { BlockStream } from '../../src/ledger/types';
import { ORG, type ConsortiumGateway, type OrgName } from '../acceptance/consortium-gateway';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

/** An EventBus and TxLocator over every block of the ledger, for tests. */
export class TestIndexer implements EventBus, TxLocator {
  readonly #listeners = new Set<(event: IndexedEvent) => void>();
  readonly #locations = new Map<string, TxLocation>();
  readonly #waiters: { block: number; resolve: () => void }[] = [];
  #stream: BlockStream | undefined;
  #processed = -1;

  /** Starts following the ledger of `ctx` (once); stops on gateway shutdown. Returns itself. */
  attach(ctx: DomainContext, deps: GatewayDeps): this {
    if (this.#stream === undefined) {
      const stream = ctx.ledger.blocks(0);
      this.#stream = stream;
      deps.onShutdown(() => stream.close());
      void this.#follow(stream);
    }
    return this;
  }

  /** Subscribes to indexed events. */
  subscribe(listener: (event: IndexedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Locates an indexed transaction. */
  locate(txId: string): Promise<TxLocation | undefined> {
    return Promise.resolve(this.#locations.get(txId));
  }

  /** Resolves once `blockNumber` has been indexed and published. */
  waitFor(blockNumber: number): Promise<void> {
    if (this.#processed >= blockNumber) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ block: blockNumber, resolve }));
  }

  async #follow(stream: BlockStream): Promise<void> {
    try {
      for await (const block of stream) {
        for (const tx of block.transactions) {
          this.#locations.set(tx.txId, {
            txId: tx.txId,
            blockNumber: block.number,
            txIndex: tx.txIndex,
            validationCode: tx.validationCode,
          });
          if (tx.validationCode !== 'VALID' || tx.event === undefined) continue;
          const event: IndexedEvent = {
            name: tx.event.name,
            payload: JSON.parse(Buffer.from(tx.event.payload).toString('utf8')) as Record<string, unknown>,
            txId: tx.txId,
            blockNumber: block.number,
            txIndex: tx.txIndex,
            timestamp: tx.timestamp,
          };
          for (const listener of this.#listeners) listener(event);
        }
        this.#processed = block.number;
        for (const w of this.#waiters.filter((x) => x.block <= block.number)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    } catch {
      // The ledger closed under the stream: the test is over.
    }
  }
}

/** Ledger time `offsetSeconds` from now. */
export function ledgerTime(offsetSeconds = 0): string {
  return isoFromEpochSeconds(Math.floor(Date.now() / 1000) + offsetSeconds);
}

/** One day in seconds. */
export const DAY = DAY_SECONDS;

/** A 64-hex digest made of one repeated byte, for test evidence and record hashes. */
export function digest(n: number): string {
  return (n % 256).toString(16).padStart(2, '0').repeat(32);
}

/**
 * Records a FORM_HASH consent grant from a subject (clear ID) to a bank
 * directly on the ledger (the consent module's job through the API).
 */
export async function recordGrant(
  g: ConsortiumGateway,
  bank: OrgName,
  grant: { grantId: string; subjectId: string; scope: string[]; purpose: string },
): Promise<void> {
  await g.context.ledger.submit(ORG[bank], 'Consent:RecordGrant', [
    JSON.stringify({
      grantId: grant.grantId,
      subject: await g.context.subjects.pseudonym(grant.subjectId),
      scope: grant.scope,
      purpose: grant.purpose,
      validFrom: ledgerTime(-3600),
      validUntil: ledgerTime(365 * DAY),
      evidence: { type: 'FORM_HASH', formHash: digest(99) },
    }),
  ]);
}

/** Revokes a grant as its bank, directly on the ledger. */
export async function revokeGrant(g: ConsortiumGateway, bank: OrgName, grantId: string): Promise<void> {
  await g.context.ledger.submit(ORG[bank], 'Consent:RevokeGrant', [grantId, 'BANK_REQUEST']);
}

/** Signs and anchors a batch manifest as its provider, directly on the ledger (the provenance module's job). */
export async function anchorBatch(
  g: ConsortiumGateway,
  provider: OrgName,
  manifest: Partial<TypedMessages['BatchManifest']> & { batchId: string; datasetType: string },
): Promise<void> {
  const full: TypedMessages['BatchManifest'] = {
    provider: ORG[provider],
    merkleRoot: digest(7),
    recordCount: 10,
    periodStart: '2026-01-01T00:00:00Z',
    periodEnd: '2026-01-31T23:59:59Z',
    schemaVersion: 1,
    corrects: '',
    ...manifest,
  };
  const signature = await signTypedMessage(
    await g.context.signers.wallet(ORG[provider]),
    'BatchManifest',
    full,
    DEPLOYMENT,
  );
  await g.context.ledger.submit(ORG[provider], 'Provenance:AnchorBatch', [JSON.stringify(full), signature]);
}
