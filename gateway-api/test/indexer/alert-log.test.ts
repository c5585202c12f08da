import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { AlertLogImpl } from '../../src/indexer/alert-log';
import { projectTransaction } from '../../src/indexer/projection';
import { LevelIndexStore, StoreCheckpointer } from '../../src/indexer/store';
import type { LedgerTransaction } from '../../src/ledger/types';
import { memoryLogger, tempDir } from '../helpers';

const tx = (txIndex: number, name: string, payload: Record<string, unknown>): LedgerTransaction => ({
  txId: `tx-${name}-${txIndex}`,
  txIndex,
  creatorMspId: 'BankAMSP',
  timestamp: '2026-01-01T00:00:00Z',
  validationCode: 'VALID',
  event: { name, payload: Buffer.from(JSON.stringify(payload)) },
});

describe('alert log', () => {
  let db: Level<string, unknown>;
  let cleanup: () => Promise<void>;
  let store: LevelIndexStore;

  before(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    db = new Level<string, unknown>(path.join(temp.dir, 'leveldb'), { valueEncoding: 'json' });
    await db.open();
    store = new LevelIndexStore({ db, name: 'idx-alert-log' });
  });
  after(async () => {
    await db.close();
    await cleanup();
  });

  /** Projects and writes each transaction of block `blockNumber` with its checkpoint, as the block processor does. */
  const index = async (blockNumber: number, ...txs: LedgerTransaction[]) => {
    const { logger } = memoryLogger();
    for (const t of txs) {
      const projection = await projectTransaction(t, blockNumber, store, logger);
      await store.write([
        ...projection.ops,
        new StoreCheckpointer(store).op({ blockNumber, txIndex: t.txIndex }),
      ]);
    }
  };

  it('when alert events are indexed, then each recipient reads its own alerts after a position, oldest first, and its newest position', async () => {
    await index(
      3,
      tx(0, 'LienRegistered', { assetId: 'X:1', lienholders: ['BankAMSP', 'BankBMSP', 'BankAMSP'] }),
      tx(1, 'AccessRecorded', { accessor: 'BankAMSP' }),
      tx(2, 'ConsentRevoked', { grantId: 'g1', grantee: 'BankBMSP' }),
    );
    await index(4, tx(0, 'DisputeFiled', { disputeId: 'd1', provider: 'NaturalResourcesMSP' }));
    await index(12, tx(3, 'AssetSeized', { assetId: 'X:1', lienholders: ['BankAMSP'] }));
    const log = new AlertLogImpl(store);
    const positions = async (mspId: string, blockNumber: number, txIndex: number, limit = 10) =>
      (await log.readAfter(mspId, { blockNumber, txIndex }, limit)).map(
        (e) => `${e.blockNumber}-${e.txIndex}`,
      );

    expect(await positions('BankAMSP', 0, 0)).to.deep.equal(['3-0', '12-3']);
    expect(await positions('BankAMSP', 3, 0), 'strictly after').to.deep.equal(['12-3']);
    expect(await positions('BankAMSP', 0, 0, 1), 'limited').to.deep.equal(['3-0']);
    expect(await positions('BankBMSP', 0, 0)).to.deep.equal(['3-0', '3-2']);
    expect(await positions('NaturalResourcesMSP', 3, 2)).to.deep.equal(['4-0']);
    expect(await positions('BankAMSP', 12, 3)).to.deep.equal([]);
    expect(await positions('BankAMS', 0, 0), 'a prefix of another MSP ID').to.deep.equal([]);
    const [first] = await log.readAfter('BankBMSP', { blockNumber: 0, txIndex: 0 }, 1);
    expect(first).to.deep.equal({
      name: 'LienRegistered',
      payload: { assetId: 'X:1', lienholders: ['BankAMSP', 'BankBMSP', 'BankAMSP'] },
      txId: 'tx-LienRegistered-0',
      blockNumber: 3,
      txIndex: 0,
      timestamp: '2026-01-01T00:00:00.000Z',
    });
    expect(await log.latest('BankAMSP')).to.deep.equal({ blockNumber: 12, txIndex: 3 });
    expect(await log.latest('AuditorMSP')).to.equal(undefined);
  });

  it("when an alert is projected, then its record and one entry per recipient are among the transaction's writes; a recipient that is not an MSP ID is logged and skipped", async () => {
    const { logger, lines } = memoryLogger();
    const projection = await projectTransaction(
      tx(1, 'LienRegistered', { lienholders: ['BankCMSP', 'Bank!Evil', 7] }),
      20,
      store,
      logger,
    );
    const keys = projection.ops.map((op) => op.key);
    expect(keys).to.include.members(['e!0000000000000020!000001', 'n!BankCMSP!0000000000000020!000001']);
    expect(keys.filter((k) => k.startsWith('n!'))).to.have.length(1);
    expect(lines.map((l) => l.msg)).to.deep.equal(['indexer: alert recipient is not an MSP ID; not logged']);
  });
});
