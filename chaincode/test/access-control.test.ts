import { expect } from 'chai';
// The embedded ledger first: it sets the chaincode log level before the contracts' decorators log.
import { MSP, TestConsortium, subject } from './support/consortium';
import { contracts } from '../src';

/** Every transaction of every contract, as `Contract:Function` with its parameter count. */
function allTransactions(): [string, number][] {
  const names: [string, number][] = [];
  for (const ContractClass of contracts) {
    const instance = new ContractClass();
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const fn of Object.getOwnPropertyNames(prototype)) {
      if (fn === 'constructor' || !/^[A-Z]/.test(fn)) continue;
      const method = (prototype as Record<string, unknown>)[fn] as (...args: unknown[]) => unknown;
      names.push([`${instance.getName()}:${fn}`, method.length - 1]);
    }
  }
  return names;
}

/** Placeholder arguments, as many as the transaction takes (the caller check comes first). */
const args = (count: number): string[] => ['x', 'y', 'z', '10', '', ''].slice(0, count);

describe('every transaction checks its caller', () => {
  let c: TestConsortium;
  before(async () => {
    c = await TestConsortium.start();
    await c.submit('regulator', 'Membership:SuspendMember', MSP.bankB, 'inspection');
    await c.submit('regulator', 'Membership:SuspendMember', MSP.agri, 'inspection');
  });
  after(() => c.stop());

  const transactions = allTransactions();

  it('covers all nine contracts', () => {
    expect(new Set(transactions.map(([t]) => t.split(':')[0]))).to.deep.equal(
      new Set([
        'Membership',
        'Catalogue',
        'Provenance',
        'Consent',
        'Access',
        'Collateral',
        'Dispute',
        'Financing',
        'Lending',
      ]),
    );
    expect(transactions.length).to.be.greaterThan(40);
  });

  it('when a non-member calls any transaction, then FORBIDDEN and nothing is written', async () => {
    for (const [fn, count] of transactions) {
      const message = await c.refused('FORBIDDEN', 'outsider', fn, ...args(count));
      expect(message, fn).to.match(/^FORBIDDEN: /);
    }
  });

  it('when a suspended member calls any transaction, then MEMBER_SUSPENDED (an access attempt is recorded DENIED instead)', async () => {
    for (const org of ['bankB', 'agri'] as const) {
      for (const [fn, count] of transactions) {
        const recordsDenial = fn === 'Access:RecordAccess' || fn === 'Access:RecordAccessBatch';
        if (recordsDenial && org === 'bankB') continue;
        // Bootstrap answers only "you are not the regulator", member or not.
        const expected = fn === 'Membership:Bootstrap' ? 'FORBIDDEN' : 'MEMBER_SUSPENDED';
        await c.refused(expected, org, fn, ...args(count));
      }
    }
    const attempt = await c.access('bankB', { accessId: 'suspended-1', grantId: 'g-x', subject: subject(1) });
    expect(attempt).to.include({ outcome: 'DENIED', reason: 'SUSPENDED', accessor: MSP.bankB });
  });
});
