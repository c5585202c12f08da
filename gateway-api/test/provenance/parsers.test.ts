import { Readable } from 'node:stream';
import { expect } from 'chai';
import { AppError } from '../../src/http/errors';
import { jsonArrayRecords, ndjsonRecords, type ParsedItem } from '../../src/provenance/parsers';

async function collect(gen: AsyncGenerator<ParsedItem>): Promise<ParsedItem[]> {
  const out: ParsedItem[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

async function failure(gen: AsyncGenerator<ParsedItem>): Promise<AppError> {
  try {
    await collect(gen);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the parser to fail');
}

/** The text split into chunks of `size` bytes (cutting multi-byte characters too). */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

const tricky: unknown[] = [
  { a: 'x,y]}', b: [1, [2, { c: '"\\' }]], d: '农户 ✓' },
  {},
  'a string with ] and ,',
  42,
  null,
  [{ nested: ['[', ']'] }],
];

describe('batch body parsers', () => {
  it('when a JSON array is split at every possible byte, then each element is read once and intact', async () => {
    const text = ` \n${JSON.stringify(tricky, null, 1)}\n `;
    for (let size = 1; size <= 9; size++) {
      const items = await collect(jsonArrayRecords(chunked(text, size), 1024));
      expect(
        items.map((i) => i.value),
        `chunk size ${size}`,
      ).to.deep.equal(tricky);
      expect(items.map((i) => i.index)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    }
  });

  it('when the JSON array is empty, then no records are read', async () => {
    expect(await collect(jsonArrayRecords(chunked('[ ]', 1), 1024))).to.deep.equal([]);
  });

  it('when NDJSON is split at every byte, then each line is read once with its line number', async () => {
    const text = tricky.map((v) => JSON.stringify(v)).join('\r\n') + '\n\n';
    for (let size = 1; size <= 7; size++) {
      const items = await collect(ndjsonRecords(chunked(text, size), 1024));
      expect(items).to.deep.equal(tricky.map((value, index) => ({ value, index, line: index + 1 })));
    }
  });

  const malformedArrays: [string, string][] = [
    ['an object', '{"a":1}'],
    ['an array with a trailing comma', '[{"a":1},]'],
    ['an array with a leading comma', '[,{"a":1}]'],
    ['an array followed by other content', '[{"a":1}] x'],
    ['a truncated array', '[{"a":1}'],
    ['empty', ''],
    ['an array with an unbalanced brace', '[{"a":1}}]'],
  ];
  for (const [what, text] of malformedArrays) {
    it(`when the JSON body is ${what}, then 400 MALFORMED_JSON`, async () => {
      const err = await failure(jsonArrayRecords(chunked(text, 3), 1024));
      expect([err.status, err.code]).to.deep.equal([400, 'MALFORMED_JSON']);
    });
  }

  it('when an array element is not JSON, then 400 INVALID_RECORD with its index and rule JSON', async () => {
    const err = await failure(jsonArrayRecords(chunked('[{"a":1}, {"a":tru}]', 4), 1024));
    expect([err.status, err.code, err.details]).to.deep.equal([
      400,
      'INVALID_RECORD',
      { index: 1, field: null, rule: 'JSON' },
    ]);
  });

  it('when a record is longer than the limit, then 400 INVALID_RECORD rule MAX_BYTES before it is buffered', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(200) });
    const arrayErr = await failure(jsonArrayRecords(chunked(`[{"a":1},${big}]`, 16), 100));
    expect(arrayErr.details).to.deep.equal({ index: 1, field: null, rule: 'MAX_BYTES' });
    const lineErr = await failure(ndjsonRecords(chunked(`{"a":1}\n${big}\n`, 16), 100));
    expect(lineErr.details).to.deep.equal({ index: 1, line: 2, field: null, rule: 'MAX_BYTES' });
  });

  it('when a record repeats a key in one object (also nested, also escaped), then 400 INVALID_RECORD rule DUPLICATE_KEY, in both formats', async () => {
    const arrayErr = await failure(
      jsonArrayRecords(chunked('[{"a":1,"b":{"a":2}},{"area":1,"area":99}]', 5), 1024),
    );
    expect([arrayErr.status, arrayErr.code, arrayErr.details]).to.deep.equal([
      400,
      'INVALID_RECORD',
      { index: 1, field: 'area', rule: 'DUPLICATE_KEY' },
    ]);
    const nested = await failure(
      ndjsonRecords(chunked('{"a":[{"x":1,"y":{"z":1,"\\u007a":2}}]}\n', 3), 1024),
    );
    expect(nested.details).to.deep.equal({ index: 0, line: 1, field: 'z', rule: 'DUPLICATE_KEY' });
    // Equal values in different objects, and keys inside strings, are fine.
    const ok = await collect(
      ndjsonRecords(chunked('{"a":{"k":1},"b":{"k":1},"s":"\\"k\\":1,\\"k\\""}\n', 4), 1024),
    );
    expect(ok.map((i) => i.value)).to.deep.equal([{ a: { k: 1 }, b: { k: 1 }, s: '"k":1,"k"' }]);
  });

  it('when a record is not UTF-8, then 400 INVALID_RECORD rule UTF8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    const err = await failure(ndjsonRecords(Readable.from([bytes]), 1024));
    expect(err.details).to.deep.equal({ index: 0, line: 1, field: null, rule: 'UTF8' });
  });
});
