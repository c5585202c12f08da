import { join } from 'node:path';
import { expect } from 'chai';
import { EmbeddedLedger, blockHeaderHash, type Identity } from '../src';
import { contracts } from './fixtures/asset-contract';
import {
  CHAINCODE,
  CHANNEL,
  issueIdentities,
  json,
  rejectionOf,
  removeDirectory,
  temporaryDirectory,
  text,
} from './support';

describe('EmbeddedLedger persistence', () => {
  let directory: string;
  let alice: Identity;

  beforeEach(async () => {
    directory = temporaryDirectory('persist');
    ({ alice } = await issueIdentities(join(directory, 'crypto')));
  });
  afterEach(() => removeDirectory(directory));

  function open(channelName = CHANNEL, chaincodeName = CHAINCODE): Promise<EmbeddedLedger> {
    return EmbeddedLedger.open({
      location: join(directory, 'ledger'),
      channelName,
      chaincodeName,
      contracts,
    });
  }

  it('when the same directory is reopened, then height, state, history, index and the hash chain carry on', async () => {
    const first = await open();
    await first.submit(alice, 'Asset:Put', ['k', 'v1'], { transactionId: 'tx-1' });
    await first.submit(alice, 'Asset:Put', ['k', 'v2'], { transactionId: 'tx-2' });
    const lastBlock = await first.getBlock(2);
    await first.close();

    const second = await open();
    try {
      expect(second.getBlockHeight()).to.equal(3);
      expect(text(await second.evaluate(alice, 'Asset:Get', ['k']))).to.equal('v2');
      expect(await second.getTransaction('tx-1')).to.deep.include({
        blockNumber: 1,
        validationCode: 'VALID',
      });
      const history = json<{ txId: string }[]>(await second.evaluate(alice, 'Asset:History', ['k']));
      expect(history.map((h) => h.txId)).to.deep.equal(['tx-2', 'tx-1']);
      const status = (await second.submit(alice, 'Asset:Put', ['k', 'v3'], { transactionId: 'tx-3' })).status;
      expect(status.blockNumber).to.equal(3);
      expect((await second.getBlock(3))?.previousHash).to.equal(blockHeaderHash(lastBlock!));
      const duplicate = await rejectionOf(
        second.endorse(alice, 'Asset:Put', ['k', 'again'], { transactionId: 'tx-1' }),
      );
      expect(duplicate.message).to.match(/^duplicate transaction found \[tx-1\]/);
    } finally {
      await second.close();
    }
  });

  it('when a directory of another channel is opened, then open fails and names both', async () => {
    const ledger = await open();
    await ledger.close();
    const error = await rejectionOf(open('otherchannel'));
    expect(error.message).to.equal(
      `ledger at ${join(directory, 'ledger')} belongs to channel ${CHANNEL} and chaincode ${CHAINCODE}, ` +
        `not otherchannel/${CHAINCODE}`,
    );
  });
});
