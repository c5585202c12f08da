/**
 * FabricLedgerClientImpl through the real @hyperledger/fabric-gateway client,
 * against a gRPC double of the peer's Gateway service (peer-double.ts) backed
 * by the embedded ledger. This tests our client code (proposal and
 * transaction building by the library, signing, error mapping, MVCC retries,
 * block parsing, qscc height, transport failures), not Fabric itself.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { AppError } from '../../src/http/errors';
import { MAX_SUBMIT_ATTEMPTS } from '../../src/ledger/errors';
import { FabricLedgerClientImpl } from '../../src/ledger/fabric';
import type { LedgerBlock, LedgerClient } from '../../src/ledger/types';
import { memoryLogger, tempDir } from '../helpers';
import { startFabricDouble, type FabricDouble } from './fabric-double-fixture';

const REGULATOR = 'RegulatorMSP';
const BANK_A = 'BankAMSP';
const TX_ID = /^[0-9a-f]{64}$/;

/** The outcome of a ledger call: its value, or the AppError it failed with. */
type Outcome =
  { ok: unknown } | { error: { status: number; code: string; message: string; hasTxId: boolean } };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return {
      error: { status: err.status, code: err.code, message: err.message, hasTxId: err.txId !== undefined },
    };
  }
}

async function appError(call: () => Promise<unknown>): Promise<AppError> {
  try {
    await call();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the call to fail with an AppError');
}

/** Blocks `from`..`to` of a backend, with event payloads as hex so that both backends compare equal. */
async function collectBlocks(ledger: LedgerClient, from: number, to: number): Promise<unknown[]> {
  const blocks: unknown[] = [];
  const stream = ledger.blocks(from);
  try {
    for await (const block of stream) {
      blocks.push(comparable(block));
      if (block.number >= to) break;
    }
  } finally {
    stream.close();
  }
  return blocks;
}

function comparable(block: LedgerBlock): unknown {
  return {
    number: block.number,
    transactions: block.transactions.map((tx) => ({
      ...tx,
      ...(tx.event
        ? { event: { name: tx.event.name, payload: Buffer.from(tx.event.payload).toString('hex') } }
        : {}),
    })),
  };
}

function datasetType(schemaVersion: number): string {
  return JSON.stringify({
    code: 'MVCC_PROBE',
    name: 'MVCC probe',
    provider: 'AgricultureMSP',
    frequency: 'MONTHLY',
    schemaVersion,
    subjectField: 'subjectId',
    fields: [{ name: 'subjectId', type: 'STRING', personal: true }],
  });
}

describe('FabricLedgerClientImpl through a gRPC double of the peer Gateway service', () => {
  let cleanup: () => Promise<void>;
  let double: FabricDouble;
  let fabric: FabricLedgerClientImpl;
  const { logger, lines } = memoryLogger();

  before(async () => {
    const dir = await tempDir();
    cleanup = dir.cleanup;
    double = await startFabricDouble(dir.dir);
    fabric = await double.connect(logger);
  });
  after(async () => {
    await fabric.close();
    await double.stop();
    await cleanup();
  });

  describe('when transactions are submitted and evaluated', () => {
    it('then a submit returns the chaincode payload, its transaction ID and the block it was committed in', async () => {
      const committed = await fabric.submit<{
        mspId: string;
        role: string;
        status: string;
        admittedAt: string;
      }>(REGULATOR, 'Membership:Bootstrap', ['PBC Ningde Central Sub-branch']);
      expect(committed.result).to.deep.include({ mspId: REGULATOR, role: 'REGULATOR', status: 'ACTIVE' });
      expect(committed.result, 'as stored').to.deep.equal(
        await double.embedded.evaluate(REGULATOR, 'Membership:GetMember', [REGULATOR]),
      );
      expect(committed.txId).to.match(TX_ID);
      // The proposal's timestamp, set by the client library, is the chaincode's transaction time.
      const [recorded] = (await double.embedded.ledger.getBlock(committed.blockNumber))?.transactions ?? [];
      expect(committed.result.admittedAt).to.equal(recorded?.timestamp.replace(/\.\d{3}Z$/, 'Z'));
      expect(committed.blockNumber, 'block number').to.equal((await double.embedded.height()) - 1);
      expect(await double.embedded.ledger.getTransaction(committed.txId)).to.deep.equal({
        transactionId: committed.txId,
        blockNumber: committed.blockNumber,
        transactionNumber: 0,
        validationCode: 'VALID',
      });
      for (const o of double.consortium.organisations.filter((x) => x.mspId !== REGULATOR)) {
        const admitted = await fabric.submit<{ mspId: string }>(REGULATOR, 'Membership:AdmitMember', [
          JSON.stringify({ mspId: o.mspId, role: o.role, name: o.name }),
        ]);
        expect(admitted.result.mspId).to.equal(o.mspId);
      }
    });

    it('then an evaluate returns the same payload as the embedded backend gives', async () => {
      const viaFabric = await fabric.evaluate(BANK_A, 'Membership:GetMember', [BANK_A]);
      const viaEmbedded = await double.embedded.evaluate(BANK_A, 'Membership:GetMember', [BANK_A]);
      expect(viaFabric).to.deep.equal(viaEmbedded);
      expect(viaFabric).to.deep.include({ mspId: BANK_A, role: 'BANK' });
    });

    it('then the chaincode sees the caller as the organisation that signed the proposal', async () => {
      const committed = await fabric.submit<{ code: string; provider: string }>(
        REGULATOR,
        'Catalogue:DefineDatasetType',
        [datasetType(1)],
      );
      expect(committed.result).to.deep.include({ code: 'MVCC_PROBE', provider: 'AgricultureMSP' });
      const block = await double.embedded.ledger.getBlock(committed.blockNumber);
      expect(block?.transactions.map((tx) => [tx.transactionId, tx.creatorMspId])).to.deep.equal([
        [committed.txId, REGULATOR],
      ]);
    });
  });

  describe('when the chaincode refuses a call', () => {
    // [why it fails, call kind, caller, function, arguments, HTTP status, error code]
    const refusals: [string, 'evaluate' | 'submit', string, string, string[], number, string][] = [
      ['unknown record', 'evaluate', BANK_A, 'Catalogue:GetDatasetType', ['NOPE'], 404, 'NOT_FOUND'],
      [
        'unknown record',
        'submit',
        REGULATOR,
        'Membership:ReinstateMember',
        ['NoMSP', 'reason'],
        404,
        'NOT_FOUND',
      ],
      [
        'non-permitted org',
        'submit',
        BANK_A,
        'Catalogue:DefineDatasetType',
        [datasetType(1)],
        403,
        'FORBIDDEN',
      ],
      ['already done', 'submit', REGULATOR, 'Membership:Bootstrap', ['again'], 409, 'CONFLICT'],
      ['invalid argument', 'submit', REGULATOR, 'Membership:AdmitMember', ['{'], 400, 'INVALID'],
      ['unknown contract', 'evaluate', BANK_A, 'Nope:Nothing', [], 502, 'ENDORSEMENT_FAILED'],
    ];
    for (const [why, kind, mspId, fn, args, status, code] of refusals) {
      it(`then ${kind} ${fn} (${why}) fails as on the embedded backend: ${status} ${code}`, async () => {
        const run = (ledger: LedgerClient) => () =>
          kind === 'evaluate' ? ledger.evaluate(mspId, fn, args) : ledger.submit(mspId, fn, args);
        const viaFabric = await outcome(run(fabric));
        expect(viaFabric, 'fabric backend vs embedded backend').to.deep.equal(
          await outcome(run(double.embedded)),
        );
        expect(viaFabric).to.have.property('error');
        const { error } = viaFabric as { error: { status: number; code: string; hasTxId: boolean } };
        expect(
          [error.status, error.code, error.hasTxId],
          'status, code, carries the transaction ID',
        ).to.deep.equal([status, code, true]);
      });
    }

    it('then a business refusal (FORBIDDEN) is not logged as a warning', async () => {
      const before = lines.length;
      const err = await appError(() =>
        fabric.submit(BANK_A, 'Catalogue:DefineDatasetType', [datasetType(1)]),
      );
      expect([err.status, err.code]).to.deep.equal([403, 'FORBIDDEN']);
      expect(lines.slice(before).filter((l) => l.level === 'warn')).to.deep.equal([]);
    });

    it('then an endorsement failure is logged with the peer details and the transaction ID', async () => {
      const err = await appError(() => fabric.submit(BANK_A, 'Nope:Nothing', []));
      expect([err.status, err.code]).to.deep.equal([502, 'ENDORSEMENT_FAILED']);
      const line = lines.filter((l) => l.msg === 'ledger call failed').at(-1);
      expect(line).to.deep.include({ fn: 'Nope:Nothing', transactionId: err.txId, grpcCode: 10 });
      const details = line?.details as { address: string; mspId: string; message: string }[];
      const port = double.peer.endpoint.split(':')[1];
      expect(details.map((d) => [d.address, d.mspId])).to.deep.equal([
        [`peer0.banka.example:${port}`, BANK_A],
      ]);
      expect(details[0]?.message).to.match(/^chaincode response 500, /);
    });
  });

  describe('when a transaction loses an MVCC race', () => {
    it('then it is retried with a new transaction and succeeds', async () => {
      const lost: string[] = [];
      double.peer.beforeNextSubmits(1, async (txId) => {
        lost.push(txId);
        await double.embedded.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(2)]);
      });
      const committed = await fabric.submit<{ schemaVersion: number }>(
        REGULATOR,
        'Catalogue:UpdateDatasetType',
        [datasetType(3)],
      );
      expect(committed.result.schemaVersion).to.equal(3);
      expect(lost).to.have.length(1);
      expect(committed.txId).to.not.equal(lost[0]);
      expect((await double.embedded.ledger.getTransaction(lost[0]!))?.validationCode).to.equal(
        'MVCC_READ_CONFLICT',
      );
      expect((await double.embedded.ledger.getTransaction(committed.txId))?.validationCode).to.equal('VALID');
    });

    it(`then after ${MAX_SUBMIT_ATTEMPTS} lost races it fails with 409 CONFLICT and the last transaction ID`, async () => {
      const lost: string[] = [];
      let version = 10;
      double.peer.beforeNextSubmits(MAX_SUBMIT_ATTEMPTS, async (txId) => {
        lost.push(txId);
        version += 1;
        await double.embedded.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(version)]);
      });
      const err = await appError(() =>
        fabric.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(100)]),
      );
      expect([err.status, err.code, err.txId]).to.deep.equal([409, 'CONFLICT', lost.at(-1)]);
      expect(lost).to.have.length(MAX_SUBMIT_ATTEMPTS);
      for (const txId of lost) {
        expect((await double.embedded.ledger.getTransaction(txId))?.validationCode, txId).to.equal(
          'MVCC_READ_CONFLICT',
        );
      }
    });
  });

  describe('when the peer cannot be reached in time', () => {
    it('then an UNAVAILABLE endorsement is 503 LEDGER_UNAVAILABLE with the transaction ID, and nothing is committed', async () => {
      const height = await double.embedded.height();
      double.peer.failNext('endorse', 1, { code: grpc.status.UNAVAILABLE });
      const err = await appError(() =>
        fabric.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(200)]),
      );
      expect([err.status, err.code]).to.deep.equal([503, 'LEDGER_UNAVAILABLE']);
      expect(err.txId).to.match(TX_ID);
      expect(await double.embedded.ledger.getTransaction(err.txId!)).to.equal(undefined);
      expect(await double.embedded.height()).to.equal(height);
    });

    it('then an UNAVAILABLE evaluate is 503 LEDGER_UNAVAILABLE with the transaction ID', async () => {
      double.peer.failNext('evaluate', 1, { code: grpc.status.UNAVAILABLE });
      const err = await appError(() => fabric.evaluate(BANK_A, 'Membership:GetMember', [BANK_A]));
      expect([err.status, err.code]).to.deep.equal([503, 'LEDGER_UNAVAILABLE']);
      expect(err.txId).to.match(TX_ID);
    });

    for (const method of ['submit', 'commitStatus'] as const) {
      it(`then an UNAVAILABLE ${method} is 503 LEDGER_UNAVAILABLE with the transaction ID`, async () => {
        double.peer.failNext(method, 1, { code: grpc.status.UNAVAILABLE });
        const err = await appError(() =>
          fabric.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(300)]),
        );
        expect([err.status, err.code]).to.deep.equal([503, 'LEDGER_UNAVAILABLE']);
        expect(err.txId).to.match(TX_ID);
      });
    }

    it('then an endorsement past its deadline is 503 LEDGER_UNAVAILABLE with the transaction ID', async () => {
      const hasty = await double.connect(logger, {
        evaluateMs: 5_000,
        endorseMs: 150,
        submitMs: 5_000,
        commitStatusMs: 5_000,
      });
      try {
        double.peer.failNext('endorse', 1, { delayMs: 600 });
        const err = await appError(() =>
          hasty.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(400)]),
        );
        expect([err.status, err.code]).to.deep.equal([503, 'LEDGER_UNAVAILABLE']);
        expect(err.txId).to.match(TX_ID);
        const line = lines.filter((l) => l.transactionId === err.txId).at(-1);
        expect(line).to.deep.include({ transactionId: err.txId, reason: 'DEADLINE_EXCEEDED' });
        expect(err.details).to.deep.equal({ reason: 'DEADLINE_EXCEEDED' });
      } finally {
        await hasty.close();
      }
    });

    it('then the next call goes through (faults are not sticky)', async () => {
      const committed = await fabric.submit<{ schemaVersion: number }>(
        REGULATOR,
        'Catalogue:UpdateDatasetType',
        [datasetType(500)],
      );
      expect(committed.result.schemaVersion).to.equal(500);
    });
  });

  describe('when a signature is not by the certificate it claims', () => {
    it('then the double refuses it with PERMISSION_DENIED and the client answers 502 ENDORSEMENT_FAILED', async () => {
      const profile = JSON.parse(await readFile(double.profilePath, 'utf8')) as {
        organisations: { mspId: string; keyPath: string }[];
      };
      const bankB = profile.organisations.find((o) => o.mspId === 'BankBMSP')!;
      // BankA's certificate with BankB's key.
      const forged = {
        ...profile,
        organisations: profile.organisations.map((o) =>
          o.mspId === BANK_A ? { ...o, keyPath: bankB.keyPath } : o,
        ),
      };
      const forgedPath = path.join(path.dirname(double.profilePath), 'forged.json');
      await writeFile(forgedPath, JSON.stringify(forged));
      const forger = await FabricLedgerClientImpl.connect(forgedPath, logger);
      try {
        for (const call of [
          () => forger.evaluate(BANK_A, 'Membership:GetMember', [BANK_A]),
          () => forger.submit(BANK_A, 'Membership:GetMember', [BANK_A]),
        ]) {
          const err = await appError(call);
          expect([err.status, err.code]).to.deep.equal([502, 'ENDORSEMENT_FAILED']);
          expect(lines.at(-1)).to.deep.include({ grpcCode: grpc.status.PERMISSION_DENIED });
        }
      } finally {
        await forger.close();
      }
    });
  });

  describe('when the gateway reads the chain', () => {
    it('then height() (qscc GetChainInfo) equals the embedded ledger height', async () => {
      expect(await fabric.height()).to.equal(await double.embedded.height());
    });

    it('then blocks(0) yields the same blocks as the embedded backend, genesis and invalid transactions included', async () => {
      const last = (await double.embedded.height()) - 1;
      const viaFabric = await collectBlocks(fabric, 0, last);
      const viaEmbedded = await collectBlocks(double.embedded, 0, last);
      expect(viaFabric).to.have.length(last + 1);
      expect(viaFabric).to.deep.equal(viaEmbedded);
      const codes = new Set(
        (viaFabric as { transactions: { validationCode: string }[] }[]).flatMap((b) =>
          b.transactions.map((t) => t.validationCode),
        ),
      );
      expect([...codes].sort()).to.deep.equal(['MVCC_READ_CONFLICT', 'VALID']);
    });

    it('then a block committed after the stream opened arrives live', async () => {
      const next = await double.embedded.height();
      const stream = fabric.blocks(next);
      const first = (async () => {
        for await (const block of stream) return block;
        return undefined;
      })();
      const committed = await fabric.submit(REGULATOR, 'Catalogue:UpdateDatasetType', [datasetType(600)]);
      const block = await first;
      stream.close();
      expect(block?.number).to.equal(committed.blockNumber);
      expect(
        block?.transactions.map((t) => [t.txId, t.validationCode, t.creatorMspId, t.event?.name]),
      ).to.deep.equal([[committed.txId, 'VALID', REGULATOR, 'DatasetTypeUpdated']]);
    });

    it('then closing a stream that waits for the next block ends it without an error, as on the embedded backend', async () => {
      for (const ledger of [double.embedded, fabric] as LedgerClient[]) {
        const stream = ledger.blocks(await ledger.height());
        const drained = (async () => {
          const seen: number[] = [];
          for await (const block of stream) seen.push(block.number);
          return seen;
        })();
        await new Promise((resolve) => setTimeout(resolve, 100));
        stream.close();
        expect(await drained, ledger.backend).to.deep.equal([]);
      }
    });

    it('then a consumer that stops iterating early does not leave the Deliver stream open', async () => {
      const stream = fabric.blocks(0);
      for await (const block of stream) {
        expect(block.number).to.equal(0);
        break;
      }
      for (let i = 0; i < 50 && double.peer.openDeliveries > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(double.peer.openDeliveries, 'Deliver streams still served').to.equal(0);
    });

    it('then ready() is true', async () => {
      expect(await fabric.ready()).to.equal(true);
    });
  });
});

describe('FabricLedgerClientImpl when the gRPC double of the peer Gateway service is stopped', () => {
  let cleanup: () => Promise<void>;
  let double: FabricDouble;
  let fabric: FabricLedgerClientImpl;

  before(async () => {
    const dir = await tempDir();
    cleanup = dir.cleanup;
    double = await startFabricDouble(dir.dir);
    fabric = await double.connect(memoryLogger().logger);
    await fabric.submit(REGULATOR, 'Membership:Bootstrap', ['PBC Ningde Central Sub-branch']);
    await double.peer.stop();
  });
  after(async () => {
    await fabric.close();
    await double.stop();
    await cleanup();
  });

  it('then a submit is 503 LEDGER_UNAVAILABLE with the transaction ID', async () => {
    const err = await appError(() => fabric.submit(REGULATOR, 'Membership:AdmitMember', ['{}']));
    expect([err.status, err.code]).to.deep.equal([503, 'LEDGER_UNAVAILABLE']);
    expect(err.txId).to.match(TX_ID);
  });

  it('then an evaluate is 503 LEDGER_UNAVAILABLE', async () => {
    const err = await appError(() => fabric.evaluate(REGULATOR, 'Membership:GetMember', [REGULATOR]));
    expect([err.status, err.code]).to.deep.equal([503, 'LEDGER_UNAVAILABLE']);
  });

  it('then ready() is false', async () => {
    expect(await fabric.ready()).to.equal(false);
  });
});
