/**
 * Ledger-side test helpers: consent grants and accesses recorded straight
 * through the ledger client, multi-transaction blocks on the embedded
 * backend, and a full replay of the ledger to compare an index against.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newCryptoMaterial, type Identity } from '@ruralcredit/embedded-ledger';
import { isoFromEpochSeconds, sha256Hex } from '@ruralcredit/protocol';
import type { AccessEntry } from '../../src/indexer/access-entry';
import { indexTime } from '../../src/indexer/keys';
import { zeroCounters, type InstitutionCounters } from '../../src/indexer/projection';
import type { TxLocation } from '../../src/indexer/types';
import { EmbeddedLedgerClientImpl } from '../../src/ledger/embedded';
import type { LedgerClient } from '../../src/ledger/types';
import type { ConsortiumGateway } from '../acceptance/consortium-gateway';

/** A 64-hex operator pseudonym for tests. */
export const OPERATOR = sha256Hex('test-operator');

/** Grant JSON for `subject` (a pseudonym), valid from an hour ago for 30 days. */
export function grantJson(
  grantId: string,
  subject: string,
  options: { scope?: string[]; purpose?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    grantId,
    subject,
    scope: options.scope ?? ['HOMESTEAD', 'LAND_CONTRACT'],
    purpose: options.purpose ?? 'LOAN_APPLICATION',
    validFrom: isoFromEpochSeconds(now - 3600),
    validUntil: isoFromEpochSeconds(now + 30 * 86_400),
    evidence: { type: 'FORM_HASH', formHash: sha256Hex(`form-${grantId}`) },
  });
}

/** Access JSON for the Access contract. */
export function accessJson(
  accessId: string,
  grantId: string,
  subject: string,
  options: { datasets?: string[]; purpose?: string } = {},
): string {
  return JSON.stringify({
    accessId,
    grantId,
    subject,
    datasets: options.datasets ?? ['HOMESTEAD'],
    purpose: options.purpose ?? 'LOAN_APPLICATION',
    operator: OPERATOR,
    releaseDigest: sha256Hex(`release-${accessId}`),
  });
}

/** Records a grant as `bankMspId`; returns its block. */
export async function recordGrant(
  ledger: LedgerClient,
  bankMspId: string,
  grantId: string,
  subject: string,
  options: { scope?: string[]; purpose?: string } = {},
): Promise<number> {
  const { blockNumber } = await ledger.submit(bankMspId, 'Consent:RecordGrant', [
    grantJson(grantId, subject, options),
  ]);
  return blockNumber;
}

/** Records an access as `bankMspId`; returns outcome, transaction and block. */
export async function recordAccess(
  ledger: LedgerClient,
  bankMspId: string,
  accessId: string,
  grantId: string,
  subject: string,
  options: { datasets?: string[]; purpose?: string } = {},
): Promise<{ outcome: string; txId: string; blockNumber: number }> {
  const { result, txId, blockNumber } = await ledger.submit<{ outcome: string }>(
    bankMspId,
    'Access:RecordAccess',
    [accessJson(accessId, grantId, subject, options)],
  );
  // Distinct millisecond timestamps keep time order equal to ledger order in the tests.
  await sleep(3);
  return { outcome: result.outcome, txId, blockNumber };
}

/**
 * Records several accesses of `bankMspId` in ONE `Access:RecordAccessBatch` transaction (one
 * `AccessesRecorded` event, as a bulk download does); returns each outcome, the transaction and block.
 */
export async function recordAccessBatch(
  ledger: LedgerClient,
  bankMspId: string,
  accesses: readonly { accessId: string; grantId: string; subject: string }[],
): Promise<{ outcomes: string[]; txId: string; blockNumber: number }> {
  const { result, txId, blockNumber } = await ledger.submit<{ records: { outcome: string }[] }>(
    bankMspId,
    'Access:RecordAccessBatch',
    [
      JSON.stringify({
        accesses: accesses.map((a) => JSON.parse(accessJson(a.accessId, a.grantId, a.subject)) as unknown),
      }),
    ],
  );
  await sleep(3);
  return { outcomes: result.records.map((r) => r.outcome), txId, blockNumber };
}

/** The embedded ledger behind a test gateway, or `undefined` on the Fabric backend. */
export function embeddedLedger(g: ConsortiumGateway): EmbeddedLedgerClientImpl | undefined {
  return g.context.ledger instanceof EmbeddedLedgerClientImpl ? g.context.ledger : undefined;
}

/** The gateway's own identity for `mspId` on the embedded backend (same files the client loaded). */
export async function embeddedIdentity(g: ConsortiumGateway, mspId: string): Promise<Identity> {
  const org = g.context.consortium.organisations.find((o) => o.mspId === mspId);
  if (org === undefined) throw new Error(`unknown organisation ${mspId}`);
  const crypto = newCryptoMaterial({ directory: path.join(g.config.dataDir, 'embedded', 'crypto') });
  return crypto.identity({ mspId, organization: org.name, name: `gateway.${mspId}` });
}

/**
 * Commits several `Access:RecordAccess` transactions of `bankMspId` as ONE
 * block (embedded backend only); returns the block number and each
 * transaction's validation code, in block order.
 */
export async function recordAccessesInOneBlock(
  g: ConsortiumGateway,
  bankMspId: string,
  accesses: readonly { accessId: string; grantId: string; subject: string; purpose?: string }[],
): Promise<{ blockNumber: number; codes: string[]; txIds: string[] }> {
  const client = embeddedLedger(g);
  if (client === undefined) throw new Error('multi-transaction blocks need the embedded backend');
  const identity = await embeddedIdentity(g, bankMspId);
  const proposals = [];
  for (const a of accesses) {
    proposals.push(
      await client.ledger.endorse(identity, 'Access:RecordAccess', [
        accessJson(a.accessId, a.grantId, a.subject, a.purpose === undefined ? {} : { purpose: a.purpose }),
      ]),
    );
    await sleep(3);
  }
  const statuses = await client.ledger.commitBatch(proposals);
  const first = statuses[0];
  if (first === undefined) throw new Error('empty batch');
  return {
    blockNumber: first.blockNumber,
    codes: statuses.map((s) => s.validationCode),
    txIds: statuses.map((s) => s.transactionId),
  };
}

/** What a full replay of the ledger says the index must hold. */
export interface Replay {
  /** Every access of a VALID AccessRecorded or AccessesRecorded, in ledger order. */
  readonly accesses: AccessEntry[];
  /** Every transaction's location (a VALID one wins over a rejected duplicate). */
  readonly locations: Map<string, TxLocation>;
  /** Counters per institution. */
  readonly counters: Map<string, InstitutionCounters>;
  /** Last block replayed. */
  readonly lastBlock: number;
}

/** Replays `ledger.blocks(0)` up to the current height, independently of the indexer's code. */
export async function replayLedger(ledger: LedgerClient): Promise<Replay> {
  const lastBlock = (await ledger.height()) - 1;
  const accesses: AccessEntry[] = [];
  const locations = new Map<string, TxLocation>();
  const counters = new Map<string, InstitutionCounters>();
  const bump = (mspId: string, name: keyof InstitutionCounters): void => {
    const c = counters.get(mspId) ?? zeroCounters();
    c[name] += 1;
    counters.set(mspId, c);
  };
  const stream = ledger.blocks(0);
  try {
    for await (const block of stream) {
      for (const tx of block.transactions) {
        const location = {
          txId: tx.txId,
          blockNumber: block.number,
          txIndex: tx.txIndex,
          validationCode: tx.validationCode,
        };
        if (tx.validationCode === 'VALID' || locations.get(tx.txId)?.validationCode !== 'VALID') {
          locations.set(tx.txId, location);
        }
        if (tx.validationCode !== 'VALID' || tx.event === undefined) continue;
        const p = JSON.parse(Buffer.from(tx.event.payload).toString('utf8')) as Record<string, unknown>;
        const access = (a: Record<string, unknown>): void => {
          accesses.push({
            ...(a as Omit<AccessEntry, 'txId' | 'blockNumber' | 'txIndex' | 'accessedAt'>),
            txId: tx.txId,
            blockNumber: block.number,
            txIndex: tx.txIndex,
            accessedAt: indexTime(tx.timestamp),
          });
          bump(a.accessor as string, a.outcome === 'GRANTED' ? 'accessesGranted' : 'accessesDenied');
        };
        switch (tx.event.name) {
          case 'AccessRecorded':
            access(p);
            break;
          case 'AccessesRecorded':
            for (const a of p.accesses as Record<string, unknown>[]) access(a);
            break;
          case 'ConsentRecorded':
            bump(p.grantee as string, 'consentsRecorded');
            break;
          case 'ConsentRevoked':
            bump(p.grantee as string, 'consentsRevoked');
            break;
          case 'LienRegistered':
            bump(p.mortgagee as string, 'liensRegistered');
            break;
          case 'LienReleased':
            bump(p.mortgagee as string, 'liensReleased');
            break;
          default:
            break;
        }
      }
      if (block.number >= lastBlock) break;
    }
  } finally {
    stream.close();
  }
  return { accesses, locations, counters, lastBlock };
}

/** Orders access entries by ledger position. */
export function byPosition(a: AccessEntry, b: AccessEntry): number {
  return a.blockNumber - b.blockNumber || a.txIndex - b.txIndex;
}
