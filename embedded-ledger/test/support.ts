/**
 * Test support: temporary ledgers with the fixture contract and identities
 * issued by a temporary crypto material directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { EmbeddedLedger, newCryptoMaterial, type EmbeddedLedgerOptions, type Identity } from '../src';
import { contracts } from './fixtures/asset-contract';

/** Channel name of every test ledger. */
export const CHANNEL = 'testchannel';
/** Chaincode name of every test ledger. */
export const CHAINCODE = 'assets';

/** The identities the tests act as. */
export interface TestIdentities {
  /** Org1 client `alice`. */
  readonly alice: Identity;
  /** Org2 client `bob`. */
  readonly bob: Identity;
  /** Org1 client `carol` with Fabric CA attribute role=auditor. */
  readonly auditor: Identity;
}

/** A temporary directory that the test removes. */
export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `embedded-ledger-${prefix}-`));
}

/** Removes a temporary directory. */
export function removeDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

/** Issues the test identities under `directory`. */
export async function issueIdentities(directory: string): Promise<TestIdentities> {
  const material = newCryptoMaterial({ directory });
  const org1 = { mspId: 'Org1MSP', organization: 'org1.example.com' };
  const org2 = { mspId: 'Org2MSP', organization: 'org2.example.com' };
  return {
    alice: await material.identity({ ...org1, name: 'alice' }),
    bob: await material.identity({ ...org2, name: 'bob' }),
    auditor: await material.identity({ ...org1, name: 'carol', attributes: { role: 'auditor' } }),
  };
}

/** A ledger in a temporary directory. */
export interface TemporaryLedger {
  readonly ledger: EmbeddedLedger;
  readonly location: string;
  /** Closes the ledger and deletes its directory. */
  dispose(): Promise<void>;
}

/** Opens a fresh ledger with the fixture contract. */
export async function openTemporaryLedger(
  options: Partial<EmbeddedLedgerOptions> = {},
): Promise<TemporaryLedger> {
  const directory = temporaryDirectory('ledger');
  const location = join(directory, 'ledger');
  const ledger = await EmbeddedLedger.open({
    location,
    channelName: CHANNEL,
    chaincodeName: CHAINCODE,
    contracts,
    ...options,
  });
  return {
    ledger,
    location,
    dispose: async () => {
      await ledger.close();
      removeDirectory(directory);
    },
  };
}

/** UTF-8 text of a payload. */
export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

/** Parsed JSON of a payload. */
export function json<T>(bytes: Uint8Array): T {
  return JSON.parse(text(bytes)) as T;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error, 'rejection reason').to.be.instanceOf(Error);
    return error as Error;
  }
  expect.fail('expected the promise to reject, but it resolved');
}
