import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  AuditChain,
  type AuditLine,
  GENESIS_DIGEST,
  chainDigest,
  fileDigest,
  formatAuditLine,
  isHexDigest,
  reportDigest,
  sha256Hex,
  streamDigest,
  verifyAuditExport,
} from '../src/digest';

const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

function records(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    txId: `tx${i}`,
    institution: 'BANK_A',
    operator: `op-${i % 3}`,
    datasets: ['HOMESTEAD', 'AGRI_SUBSIDY'],
    outcome: i % 4 === 0 ? 'DENIED' : 'GRANTED',
  }));
}

function exportLines(n: number): string[] {
  const chain = new AuditChain();
  return records(n).map((r) => formatAuditLine(chain.append(r)));
}

async function* asAsync(lines: readonly string[]): AsyncGenerator<string> {
  for (const line of lines) {
    await Promise.resolve();
    yield line;
  }
}

describe('digest', () => {
  describe('sha256Hex, fileDigest and streamDigest', () => {
    it('when hashing the FIPS 180-2 examples, then the digests are the published ones', () => {
      expect(sha256Hex('')).to.equal(SHA256_EMPTY);
      expect(sha256Hex('abc')).to.equal(SHA256_ABC);
      expect(sha256Hex(Buffer.from('abc'))).to.equal(SHA256_ABC);
      expect(fileDigest(new Uint8Array([0x61, 0x62, 0x63]))).to.equal(SHA256_ABC);
    });

    it('when a string has non-ASCII characters, then it is hashed as UTF-8', () => {
      expect(sha256Hex('承包地')).to.equal(
        createHash('sha256').update(Buffer.from('承包地', 'utf8')).digest('hex'),
      );
    });

    it('when content arrives in chunks, then streamDigest equals the digest of the whole', async () => {
      async function* chunks(): AsyncGenerator<Uint8Array | string> {
        await Promise.resolve();
        yield Buffer.from('a');
        yield 'b';
        yield new Uint8Array([0x63]);
      }
      expect(await streamDigest(chunks())).to.equal(SHA256_ABC);
    });

    it('when checking digest strings, then only 64 lowercase hex characters pass', () => {
      expect(isHexDigest(SHA256_ABC)).to.equal(true);
      expect(isHexDigest(SHA256_ABC.toUpperCase())).to.equal(false);
      expect(isHexDigest(`0x${SHA256_ABC.slice(2)}`)).to.equal(false);
      expect(isHexDigest(SHA256_ABC.slice(1))).to.equal(false);
      expect(isHexDigest(42)).to.equal(false);
    });
  });

  describe('reportDigest', () => {
    const report = {
      subject: 'p1',
      items: [{ type: 'HOMESTEAD', digest: 'nested' }],
      issuedAt: '2024-06-01',
    };
    const canonical =
      '{"issuedAt":"2024-06-01","items":[{"digest":"nested","type":"HOMESTEAD"}],"subject":"p1"}';

    it('when a report is digested, then it is SHA-256 of its canonical JSON', () => {
      expect(reportDigest(report)).to.equal(sha256Hex(canonical));
    });

    it('when the report carries its own top-level digest, then that member is left out', () => {
      const withDigest = { ...report, digest: reportDigest(report) };
      expect(reportDigest(withDigest)).to.equal(withDigest.digest);
      expect(reportDigest({ ...report, digest: 'anything' })).to.equal(sha256Hex(canonical));
    });

    it('when keys are in another order, then the digest is the same', () => {
      expect(reportDigest({ issuedAt: '2024-06-01', subject: 'p1', items: report.items })).to.equal(
        sha256Hex(canonical),
      );
    });

    it('when a nested digest or any value changes, then the digest changes', () => {
      const base = reportDigest(report);
      expect(reportDigest({ ...report, items: [{ type: 'HOMESTEAD', digest: 'other' }] })).to.not.equal(base);
      expect(reportDigest({ ...report, subject: 'p2' })).to.not.equal(base);
    });

    it('when the report is not a JSON object, then reportDigest throws TypeError', () => {
      expect(() => reportDigest([1, 2])).to.throw(TypeError, 'report must be a JSON object');
      expect(() => reportDigest(null)).to.throw(TypeError, 'report must be a JSON object');
      expect(() => reportDigest('text')).to.throw(TypeError, 'report must be a JSON object');
    });
  });

  describe('chainDigest', () => {
    it('when chaining, then it is SHA-256 of the previous digest bytes and the canonical line', () => {
      const line = { seq: 0, b: 1, a: 'x' };
      const expected = createHash('sha256')
        .update(Buffer.alloc(32))
        .update('{"a":"x","b":1,"seq":0}')
        .digest('hex');
      expect(GENESIS_DIGEST).to.equal('0'.repeat(64));
      expect(chainDigest(GENESIS_DIGEST, line)).to.equal(expected);
      expect(chainDigest(GENESIS_DIGEST, { ...line, digest: 'ignored' })).to.equal(expected);
    });

    it('when the previous digest is malformed, then chainDigest throws TypeError', () => {
      expect(() => chainDigest('00', { seq: 0 })).to.throw(TypeError);
      expect(() => chainDigest(SHA256_ABC.toUpperCase(), { seq: 0 })).to.throw(TypeError);
      expect(() => chainDigest(GENESIS_DIGEST, [1])).to.throw(TypeError);
    });
  });

  describe('AuditChain', () => {
    it('when records are appended, then lines carry seq from 0 and the running digest', () => {
      const chain = new AuditChain();
      const first = chain.append({ txId: 'tx0' });
      const second = chain.append({ txId: 'tx1' });
      expect(first).to.deep.equal({
        txId: 'tx0',
        seq: 0,
        digest: chainDigest(GENESIS_DIGEST, { txId: 'tx0', seq: 0 }),
      });
      expect(second).to.deep.equal({
        txId: 'tx1',
        seq: 1,
        digest: chainDigest(first.digest, { txId: 'tx1', seq: 1 }),
      });
      expect(chain.position).to.deep.equal({ nextSeq: 2, prevDigest: second.digest });
    });

    it('when a line is formatted, then it is canonical JSON on one line', () => {
      const line = new AuditChain().append({ z: 1, a: 'x\ny' });
      expect(formatAuditLine(line)).to.equal(`{"a":"x\\ny","digest":"${line.digest}","seq":0,"z":1}`);
    });

    it('when a chain resumes from a saved position, then it continues the same chain', () => {
      const whole = new AuditChain();
      const lines = records(4).map((r) => whole.append(r));
      const first = new AuditChain();
      records(4)
        .slice(0, 2)
        .forEach((r) => first.append(r));
      const resumed = new AuditChain(first.position);
      expect(
        records(4)
          .slice(2)
          .map((r) => resumed.append(r)),
      ).to.deep.equal(lines.slice(2));
    });

    it('when a record has its own seq or digest, or is not an object, then append throws TypeError', () => {
      const chain = new AuditChain();
      expect(() => chain.append({ seq: 5 })).to.throw(TypeError, /seq or digest/);
      expect(() => chain.append({ digest: 'x' })).to.throw(TypeError, /seq or digest/);
      expect(() => chain.append([] as unknown as Record<string, unknown>)).to.throw(TypeError);
      expect(chain.position.nextSeq).to.equal(0);
    });

    it('when the start position is invalid, then the constructor throws TypeError', () => {
      expect(() => new AuditChain({ nextSeq: -1, prevDigest: GENESIS_DIGEST })).to.throw(TypeError);
      expect(() => new AuditChain({ nextSeq: 0, prevDigest: 'abc' })).to.throw(TypeError);
    });
  });

  describe('verifyAuditExport', () => {
    it('when the export is intact, then it verifies with the count and last digest', async () => {
      const chain = new AuditChain();
      const lines = records(10).map((r) => formatAuditLine(chain.append(r)));
      expect(await verifyAuditExport(lines)).to.deep.equal({
        ok: true,
        count: 10,
        lastDigest: chain.position.prevDigest,
      });
      expect(await verifyAuditExport(asAsync(lines))).to.deep.equal({
        ok: true,
        count: 10,
        lastDigest: chain.position.prevDigest,
      });
    });

    it('when the export is empty, then it verifies with count 0 and the genesis digest', async () => {
      expect(await verifyAuditExport([])).to.deep.equal({ ok: true, count: 0, lastDigest: GENESIS_DIGEST });
    });

    it('when any single line has a value edited, then verification fails on that line with DIGEST_MISMATCH', async () => {
      const lines = exportLines(10);
      for (let i = 0; i < lines.length; i++) {
        const edited = [...lines];
        const line = JSON.parse(edited[i]!) as AuditLine;
        edited[i] = formatAuditLine({ ...line, operator: 'someone-else' });
        const result = await verifyAuditExport(edited);
        expect(result, `edit of line ${i + 1}`).to.deep.include({
          ok: false,
          line: i + 1,
          reason: 'DIGEST_MISMATCH',
        });
      }
    });

    it('when any single line is dropped, then verification fails on the next line with SEQUENCE_GAP', async () => {
      const lines = exportLines(10);
      for (let i = 0; i < lines.length - 1; i++) {
        const dropped = lines.filter((_, j) => j !== i);
        const result = await verifyAuditExport(dropped);
        expect(result, `drop of line ${i + 1}`).to.deep.include({
          ok: false,
          line: i + 1,
          reason: 'SEQUENCE_GAP',
        });
      }
    });

    it('when two lines are swapped, then verification fails on the first with SEQUENCE_GAP', async () => {
      const lines = exportLines(6);
      const swapped = [lines[0]!, lines[3]!, lines[2]!, lines[1]!, lines[4]!, lines[5]!];
      expect(await verifyAuditExport(swapped)).to.deep.include({
        ok: false,
        line: 2,
        reason: 'SEQUENCE_GAP',
      });
    });

    it('when a line is duplicated, then verification fails on the copy with SEQUENCE_GAP', async () => {
      const lines = exportLines(4);
      const duplicated = [lines[0]!, lines[1]!, lines[1]!, lines[2]!, lines[3]!];
      expect(await verifyAuditExport(duplicated)).to.deep.include({
        ok: false,
        line: 3,
        reason: 'SEQUENCE_GAP',
      });
    });

    it('when lines are reordered and their seq rewritten to hide it, then DIGEST_MISMATCH', async () => {
      const lines = exportLines(4).map((l) => JSON.parse(l) as AuditLine);
      const forged = [lines[0]!, { ...lines[2]!, seq: 1 }, { ...lines[1]!, seq: 2 }, lines[3]!].map(
        formatAuditLine,
      );
      expect(await verifyAuditExport(forged)).to.deep.include({
        ok: false,
        line: 2,
        reason: 'DIGEST_MISMATCH',
      });
    });

    it('when a line is rewritten with a recomputed digest, then the next line fails with DIGEST_MISMATCH', async () => {
      const lines = exportLines(4).map((l) => JSON.parse(l) as AuditLine);
      const { digest: _digest, ...body } = { ...lines[1]!, operator: 'forger' };
      const forged = { ...body, digest: chainDigest(lines[0]!.digest, body) } as AuditLine;
      const text = [lines[0]!, forged, lines[2]!, lines[3]!].map(formatAuditLine);
      expect(await verifyAuditExport(text)).to.deep.include({
        ok: false,
        line: 3,
        reason: 'DIGEST_MISMATCH',
      });
    });

    it('when a line is not canonical or not a valid line object, then verification fails with MALFORMED', async () => {
      const lines = exportLines(3);
      const cases: [string, string][] = [
        ['not json', '{"seq":'],
        ['array', '[1,2]'],
        ['reformatted', JSON.stringify(JSON.parse(lines[1]!), null, 1).replace(/\n/g, '')],
        ['no digest', JSON.stringify({ seq: 1 })],
        [
          'upper-case digest',
          lines[1]!.replace(/"digest":"([0-9a-f]+)"/, (_, d: string) => `"digest":"${d.toUpperCase()}"`),
        ],
        ['string seq', lines[1]!.replace('"seq":1', '"seq":"1"')],
        ['infinite number', lines[1]!.replace('"seq":1', '"seq":1,"x":1e400')],
      ];
      for (const [name, replacement] of cases) {
        const result = await verifyAuditExport([lines[0]!, replacement, lines[2]!]);
        expect(result, name).to.deep.include({ ok: false, line: 2, reason: 'MALFORMED' });
      }
    });

    it('when lines end with CR or the file ends with blank lines, then it still verifies', async () => {
      const lines = exportLines(3);
      const result = await verifyAuditExport([...lines.map((l) => `${l}\r`), '', '']);
      expect(result).to.deep.include({ ok: true, count: 3 });
    });

    it('when a blank line is followed by more lines, then verification fails on the blank line', async () => {
      const lines = exportLines(3);
      const result = await verifyAuditExport([lines[0]!, '', lines[1]!, lines[2]!]);
      expect(result).to.deep.include({ ok: false, line: 2, reason: 'MALFORMED' });
    });

    it('when the last lines are cut off, then only the anchored count or last digest detects it', async () => {
      const chain = new AuditChain();
      const lines = records(5).map((r) => formatAuditLine(chain.append(r)));
      const lastDigest = chain.position.prevDigest;
      const truncated = lines.slice(0, 3);
      expect(await verifyAuditExport(truncated)).to.deep.include({ ok: true, count: 3 });
      expect(await verifyAuditExport(truncated, { expectedCount: 5 })).to.deep.include({
        ok: false,
        line: 4,
        reason: 'SEQUENCE_GAP',
      });
      expect(await verifyAuditExport(truncated, { expectedLastDigest: lastDigest })).to.deep.include({
        ok: false,
        line: 4,
        reason: 'DIGEST_MISMATCH',
      });
      expect(
        await verifyAuditExport(lines, { expectedCount: 5, expectedLastDigest: lastDigest }),
      ).to.deep.equal({
        ok: true,
        count: 5,
        lastDigest,
      });
    });

    it('when there are more lines than the anchored count, then the first extra line is a SEQUENCE_GAP', async () => {
      const lines = exportLines(5);
      expect(await verifyAuditExport(lines, { expectedCount: 4 })).to.deep.include({
        ok: false,
        line: 5,
        reason: 'SEQUENCE_GAP',
      });
    });

    it('when a slice continues an earlier chain, then it verifies from the given position', async () => {
      const chain = new AuditChain();
      const lines = records(6).map((r) => formatAuditLine(chain.append(r)));
      const third = JSON.parse(lines[2]!) as AuditLine;
      const result = await verifyAuditExport(lines.slice(3), {
        from: { nextSeq: 3, prevDigest: third.digest },
      });
      expect(result).to.deep.equal({ ok: true, count: 3, lastDigest: chain.position.prevDigest });
      expect(await verifyAuditExport(lines.slice(3))).to.deep.include({
        ok: false,
        line: 1,
        reason: 'SEQUENCE_GAP',
      });
    });

    it('when options are invalid, then verification rejects with TypeError', async () => {
      let error: unknown;
      try {
        await verifyAuditExport([], { expectedLastDigest: 'abc' });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TypeError);
    });
  });
});
