import { expect } from 'chai';
import { canonicalJson } from '@ruralcredit/protocol';
// The embedded ledger first: it sets the chaincode log level before the contracts' decorators log.
import { TestConsortium, digest, subject } from './support/consortium';
import { marshal } from '../src/lib/marshal';

describe('marshal', () => {
  it('when identical objects are built with different key orders, then they serialise to identical bytes', () => {
    const a = { z: 1, a: { y: [3, { d: 1, c: 2 }], b: 'x' }, m: null };
    const b = { m: null, a: { b: 'x', y: [3, { c: 2, d: 1 }] }, z: 1 };
    expect(marshal(a)).to.equal(marshal(b));
    expect(marshal(a)).to.equal('{"a":{"b":"x","y":[3,{"c":2,"d":1}]},"m":null,"z":1}');
    expect(marshal(a)).to.equal(canonicalJson(b));
  });
});

describe('chaincode events', () => {
  let c: TestConsortium;
  before(async () => {
    c = await TestConsortium.start();
  });
  after(() => c.stop());

  it('emits exactly one event per write transaction, named after the action, with IDs and pseudonyms only', async () => {
    const startBlock = c.ledger.getBlockHeight();
    await c.anchor('land', { batchId: 'hs-1', datasetType: 'HOMESTEAD' });
    await c.grant('bankA', { grantId: 'g-1', subject: subject(1) });
    await c.access('bankA', { accessId: 'a-1', grantId: 'g-1', subject: subject(1) });
    await c.submit('bankA', 'Consent:RevokeGrant', 'g-1', 'SUBJECT_REQUEST');
    const end = c.ledger.getBlockHeight();
    const names: string[] = [];
    for (let n = startBlock; n < end; n++) {
      const block = (await c.ledger.getBlock(n))!;
      for (const tx of block.transactions) {
        expect(tx.event, `tx ${tx.transactionId} has an event`).to.not.equal(undefined);
        names.push(tx.event!.eventName);
        const payload = JSON.parse(Buffer.from(tx.event!.payload, 'base64').toString('utf8')) as Record<
          string,
          unknown
        >;
        expect(Buffer.from(tx.event!.payload, 'base64').toString('utf8')).to.equal(canonicalJson(payload));
      }
    }
    expect(names).to.deep.equal(['BatchAnchored', 'ConsentRecorded', 'AccessRecorded', 'ConsentRevoked']);
    const access = await c.evaluate('auditor', 'Access:GetAccess', 'a-1');
    expect(access).to.include({ releaseDigest: digest(6) });
  });
});
