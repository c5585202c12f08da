import { Readable } from 'node:stream';
import { expect } from 'chai';
import { HASH_BYTES, MerkleTree, leafHash } from '@ruralcredit/protocol';
import { provenanceModule } from '../../src/provenance';
import { createRecordStore } from '../../src/provenance/record-store';
import type { BatchView, UploadResult } from '../../src/provenance/schemas';
import { startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { homestead, period } from './fixtures';

const COUNT = 100_000;
/** Padding that brings each NDJSON line to about 200 bytes. */
const PAD = 60;

describe('provenance: a large NDJSON batch', function () {
  this.timeout(300_000);
  let g: ConsortiumGateway;

  before(async () => {
    g = await startConsortiumGateway([provenanceModule]);
  });
  after(() => g.stop());

  it(`when ${COUNT} NDJSON records are streamed, then they are anchored under the root of an independent tree`, async () => {
    const token = await g.token('land', 'DATA_OFFICER');
    let bytes = 0;
    function* lines(): Generator<Buffer> {
      const perChunk = 500;
      for (let start = 0; start < COUNT; start += perChunk) {
        let text = '';
        for (let i = start; i < Math.min(COUNT, start + perChunk); i++)
          text += `${JSON.stringify(homestead(i, PAD))}\n`;
        const chunk = Buffer.from(text);
        bytes += chunk.length;
        yield chunk;
      }
    }
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const started = process.hrtime.bigint();
    const res = await fetch(`${g.url}/api/v1/datasets/HOMESTEAD/batches?${period({ batchId: 'hs-large' })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: Readable.from(lines()),
      duplex: 'half',
    });
    const text = await res.text();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearInterval(sampler);
    const rssAfter = process.memoryUsage().rss;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `      ${COUNT} records, ${mb(bytes)} MB (${Math.round(bytes / COUNT)} B/record) in ${(elapsedMs / 1000).toFixed(2)} s; ` +
        `RSS delta ${mb(rssAfter - rssBefore)} MB (peak +${mb(rssPeak - rssBefore)} MB)`,
    );
    expect(res.status, text).to.equal(201);

    const leaves = Buffer.allocUnsafe(COUNT * HASH_BYTES);
    for (let i = 0; i < COUNT; i++) leafHash(homestead(i, PAD)).copy(leaves, i * HASH_BYTES);
    const tree = MerkleTree.fromLeafHashes(leaves);
    const result = JSON.parse(text) as UploadResult;
    expect(result).to.deep.equal({
      batchId: 'hs-large',
      datasetType: 'HOMESTEAD',
      merkleRoot: tree.rootHex(),
      recordCount: COUNT,
      txId: result.txId,
      blockNumber: result.blockNumber,
    });

    const batch = await g.api('/batches/hs-large', { as: ['bankA', 'LOAN_OFFICER'] });
    expect((batch.body as BatchView).storedRecordCount).to.equal(COUNT);
    const store = createRecordStore(g.gateway.deps);
    for (const i of [0, 1023, 1024, 65_535, 65_536, COUNT - 1]) {
      const stored = await store.recordAt('hs-large', i);
      expect(stored?.proof, `proof of ${i}`).to.deep.equal(tree.proof(i));
      expect(stored?.record, `record ${i}`).to.deep.equal(homestead(i, PAD));
    }
  });
});
