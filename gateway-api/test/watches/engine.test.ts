import { expect } from 'chai';
import { WatchEngine, type WatchRule } from '../../src/watches/engine';

const S1 = '1'.repeat(64);
const S2 = '2'.repeat(64);

function engineWith(rules: WatchRule[], baseline?: Record<string, unknown>): WatchEngine {
  const engine = new WatchEngine();
  engine.add(
    { watchId: 'w1', subject: S1, rules },
    baseline === undefined ? new Map() : new Map([['SUB', { batchId: 'b0', record: baseline }]]),
  );
  return engine;
}

describe('WatchEngine', () => {
  it('when a value crosses a threshold, then one alert; staying above it the next batch gives none', async () => {
    const engine = engineWith([{ kind: 'THRESHOLD', datasetType: 'SUB', field: 'amount', above: 100 }], {
      amount: 90,
    });
    const first = await engine.evaluateBatch({ batchId: 'b1', datasetType: 'SUB' }, [
      { subject: S2, record: { amount: 500 } },
      { subject: S1, record: { amount: 120 } },
    ]);
    expect(first).to.deep.equal([
      {
        watchId: 'w1',
        datasetType: 'SUB',
        batchId: 'b1',
        findings: [{ rule: 0, kind: 'THRESHOLD', field: 'amount', previous: 90, value: 120 }],
      },
    ]);
    const second = await engine.evaluateBatch({ batchId: 'b2', datasetType: 'SUB' }, [
      { subject: S1, record: { amount: 130 } },
    ]);
    expect(second).to.deep.equal([]);
  });

  it('when a value changes by more than the percentage against the previous record, then an alert; by less, none', async () => {
    const engine = engineWith(
      [{ kind: 'CHANGE_PERCENT', datasetType: 'SUB', field: 'amount', percent: 30 }],
      {
        amount: 100,
      },
    );
    const small = await engine.evaluateBatch({ batchId: 'b1', datasetType: 'SUB' }, [
      { subject: S1, record: { amount: 125 } },
    ]);
    expect(small).to.deep.equal([]);
    const large = await engine.evaluateBatch({ batchId: 'b2', datasetType: 'SUB' }, [
      { subject: S1, record: { amount: 60 } },
    ]);
    expect(large.map((a) => a.findings)).to.deep.equal([
      [{ rule: 0, kind: 'CHANGE_PERCENT', field: 'amount', previous: 125, value: 60 }],
    ]);
  });

  it('when a correcting batch drops or changes the subject, then RECORD_REMOVED or RECORD_CORRECTED', async () => {
    const removed = engineWith([{ kind: 'RECORD_REMOVED', datasetType: 'SUB' }], { amount: 1 });
    expect(
      (
        await removed.evaluateBatch({ batchId: 'b1', datasetType: 'SUB', corrects: 'b0' }, [
          { subject: S2, record: { amount: 1 } },
        ])
      ).map((a) => a.findings),
    ).to.deep.equal([[{ rule: 0, kind: 'RECORD_REMOVED' }]]);
    const corrected = engineWith([{ kind: 'RECORD_CORRECTED', datasetType: 'SUB' }], { amount: 1 });
    expect(
      (
        await corrected.evaluateBatch({ batchId: 'b1', datasetType: 'SUB', corrects: 'b0' }, [
          { subject: S1, record: { amount: 2 } },
        ])
      ).map((a) => a.findings),
    ).to.deep.equal([[{ rule: 0, kind: 'RECORD_CORRECTED' }]]);
    // Not a correction: a batch without the subject removes nothing.
    const plain = engineWith([{ kind: 'RECORD_REMOVED', datasetType: 'SUB' }], { amount: 1 });
    expect(await plain.evaluateBatch({ batchId: 'b1', datasetType: 'SUB' }, [])).to.deep.equal([]);
  });

  it('when a watch is removed, then its subject no longer matches', async () => {
    const engine = engineWith([{ kind: 'THRESHOLD', datasetType: 'SUB', field: 'amount', below: 10 }]);
    engine.remove('w1');
    expect(engine.watches('SUB')).to.equal(false);
    expect(
      await engine.evaluateBatch({ batchId: 'b1', datasetType: 'SUB' }, [
        { subject: S1, record: { amount: 1 } },
      ]),
    ).to.deep.equal([]);
  });
});
