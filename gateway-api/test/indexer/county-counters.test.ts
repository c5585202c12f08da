import { expect } from 'chai';
import { Level } from 'level';
import { BlockProcessor } from '../../src/indexer/block-processor';
import { readCountyCounters } from '../../src/indexer/county-counters';
import { EventBusImpl } from '../../src/indexer/event-bus';
import { LevelIndexStore, StoreCheckpointer } from '../../src/indexer/store';
import type { LedgerBlock, LedgerTransaction } from '../../src/ledger/types';
import { memoryLogger, tempDir } from '../helpers';

const P = 'a'.repeat(64);

function access(accessId: string, outcome: string, countyCode?: string): Record<string, unknown> {
  return {
    accessId,
    grantId: 'g-1',
    subject: P,
    accessor: 'BankAMSP',
    operator: P,
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
    outcome,
    releaseDigest: P,
    ...(countyCode === undefined ? {} : { countyCode }),
  };
}

function tx(txIndex: number, name: string, payload: unknown, validationCode = 'VALID'): LedgerTransaction {
  return {
    txId: `tx-${name}-${txIndex}`,
    txIndex,
    creatorMspId: 'BankAMSP',
    timestamp: '2026-12-01T08:00:00.000Z',
    validationCode,
    event: { name, payload: Buffer.from(JSON.stringify(payload)) },
  };
}

async function* stream(blocks: readonly LedgerBlock[]): AsyncIterable<LedgerBlock> {
  for (const block of blocks) yield await Promise.resolve(block);
}

describe('indexer: accesses per county', () => {
  it('counts AccessRecorded and each access of AccessesRecorded in its county (unknown without a code), VALID only, and a replay counts nothing twice', async () => {
    const { dir, cleanup } = await tempDir();
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      const store = new LevelIndexStore({ db });
      const { logger } = memoryLogger();
      const processor = (): BlockProcessor =>
        new BlockProcessor({
          store,
          checkpointer: new StoreCheckpointer(store),
          bus: new EventBusImpl({ logger }),
          logger,
        });
      const blocks: LedgerBlock[] = [
        {
          number: 0,
          transactions: [
            tx(0, 'AccessRecorded', access('a-1', 'GRANTED', '350902')),
            tx(1, 'AccessRecorded', access('a-2', 'DENIED', '350902')),
            tx(2, 'AccessRecorded', access('a-3', 'GRANTED', '350921'), 'MVCC_READ_CONFLICT'),
            tx(3, 'ConsentRecorded', { grantId: 'g-1', grantee: 'BankAMSP', subject: P }),
          ],
        },
        {
          number: 1,
          transactions: [
            tx(0, 'AccessesRecorded', {
              accesses: [
                access('b-1', 'GRANTED', '350921'),
                access('b-2', 'GRANTED', '350921'),
                access('b-3', 'DENIED', '350902'),
                access('b-4', 'DENIED'),
              ],
            }),
            tx(1, 'AccessRecorded', access('a-4', 'GRANTED', 'not-a-code')),
          ],
        },
      ];
      const expected = {
        '350902': { granted: 1, denied: 2 },
        '350921': { granted: 2, denied: 0 },
        unknown: { granted: 1, denied: 1 },
      };
      await processor().process(stream(blocks), () => false);
      const counted = await readCountyCounters(store);
      expect([...counted.keys()]).to.deep.equal(['350902', '350921', 'unknown']);
      expect(Object.fromEntries(counted)).to.deep.equal(expected);
      // A restarted indexer is handed the blocks again from its checkpoint's block: nothing doubles.
      await processor().process(stream(blocks), () => false);
      expect(Object.fromEntries(await readCountyCounters(store))).to.deep.equal(expected);
    } finally {
      await db.close();
      await cleanup();
    }
  });
});
