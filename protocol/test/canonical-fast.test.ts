import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, canonicalJsonFast, writeCanonicalJson } from '../src/canonical';

/** What a serialiser did with a value: its output, or the error it threw. */
function outcome(serialise: (value: unknown) => string, value: unknown): string {
  try {
    return `ok ${serialise(value)}`;
  } catch (err) {
    return `${(err as Error).constructor.name} ${(err as Error).message}`;
  }
}

/** Any code point, lone surrogates included ('binary' unit), and the characters JSON escapes. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom('"', '\\', '\u0000', '\n', '\u001f', '\u2028', 'é', '€', '😀', 'a'),
    maxLength: 8,
  }),
  fc.constantFrom('', '\uD800', 'a\uDC00b', '\uD83D\uDE00', '\u0000', 'NDJ(2019)00000001'),
);

/** Every kind of number RFC 8785 formats, and the ones it refuses (NaN, ±Infinity). */
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  // Integers and tenths take the byte writer's digit path; around 10^14 it hands over to String().
  fc.maxSafeInteger(),
  fc.integer({ min: -(10 ** 16), max: 10 ** 16 }).map((k) => k / 10),
  fc.integer({ min: 10 ** 15 - 100, max: 10 ** 15 + 100 }).map((k) => k / 10),
  fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 333333333.3333333, 2 ** 53 + 2, NaN, Infinity),
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(text, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 6 }),
  ),
}));

/** A provenance record's shape (as a HOMESTEAD upload carries), with any text and numbers in it. */
const record = fc.record(
  {
    subjectId: text,
    certificateNo: text,
    parcelCode: text,
    areaSquareMetres: number,
    registeredOn: text,
    village: text,
    parcels: fc.array(fc.record({ code: text, area: number, shared: fc.boolean() }), { maxLength: 3 }),
  },
  { requiredKeys: ['subjectId', 'certificateNo', 'areaSquareMetres'] },
);

/** writeCanonicalJson's bytes as text (or its error), written after 3 bytes already in a roomy target. */
function written(value: unknown): string {
  const target = Buffer.alloc(64 * 1024, 0xff);
  const end = writeCanonicalJson(value, target, 3);
  if (end > target.length) throw new Error(`test target too small: ${end} bytes`);
  return target.toString('utf8', 3, end);
}

describe('fast canonical JSON against the reference canonicalJson', () => {
  it('when given any JSON value (unicode, lone surrogates, every number, nesting), then output or error is identical', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(canonicalJsonFast, v)).to.equal(outcome(canonicalJson, v));
        expect(outcome(written, v)).to.equal(outcome(canonicalJson, v));
      }),
      { numRuns: 3000 },
    );
  });

  it('when given records of the upload shape, then the bytes are identical', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(outcome(canonicalJsonFast, r)).to.equal(outcome(canonicalJson, r));
        expect(outcome(written, r)).to.equal(outcome(canonicalJson, r));
      }),
      { numRuns: 3000 },
    );
  });

  it('when a value is off the fast path, then the reference result or error comes back', () => {
    class Parcel {
      constructor(readonly code: string) {}
    }
    const cases: unknown[] = [
      { when: new Date(0) },
      { parcel: new Parcel('p-1'), z: 1 },
      { m: new Map() },
      { n: Infinity },
      [1, undefined],
      // eslint-disable-next-line no-sparse-arrays
      [1, , 2],
      { s: 'a\uD800' },
      { ['k\uDFFF']: 1 },
      { f: () => 1 },
      { b: 1n },
      Object.assign(Object.create(null) as object, { b: 2, a: 1 }),
      { toJSON: () => ({ y: 2, x: 1 }) },
    ];
    for (const c of cases) {
      expect(outcome(canonicalJsonFast, c)).to.equal(outcome(canonicalJson, c));
      expect(outcome(written, c)).to.equal(outcome(canonicalJson, c));
    }
    expect(canonicalJsonFast({ b: -0, a: 'x"\n' })).to.equal('{"a":"x\\"\\n","b":0}');
    expect(() => canonicalJsonFast({ a: [{ s: '\uD800' }] })).to.throw(
      TypeError,
      '$.a[0].s: string with a lone surrogate',
    );
  });

  it('when a run of records mixes shapes (key orders, missing, extra and undefined members), then each is serialised as the reference does', () => {
    // The fast path remembers the last record's member order; every change of shape must be noticed.
    const names = fc.constantFrom('b', 'a', 'ab', 'B', '\u00e9', '\u{1F600}', '10', '9', '"q"');
    const shaped = fc.array(
      fc.tuple(names, fc.oneof(text, number, fc.constant(undefined), fc.constant({ z: 1, y: [2] }))),
      {
        maxLength: 6,
      },
    );
    fc.assert(
      fc.property(fc.array(shaped, { minLength: 2, maxLength: 12 }), (records) => {
        for (const members of records) {
          const r = Object.fromEntries(members);
          expect(outcome(canonicalJsonFast, r)).to.equal(outcome(canonicalJson, r));
          // The same record again, now that its shape is the remembered one.
          expect(outcome(canonicalJsonFast, r)).to.equal(outcome(canonicalJson, r));
          expect(outcome(written, r)).to.equal(outcome(canonicalJson, r));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('when the same keys arrive in another order, then the output is the same bytes', () => {
    expect(canonicalJsonFast({ b: 1, a: 'x', c: true })).to.equal('{"a":"x","b":1,"c":true}');
    expect(canonicalJsonFast({ c: true, b: 1, a: 'x' })).to.equal('{"a":"x","b":1,"c":true}');
    expect(canonicalJsonFast({ c: true, b: 1, d: 'x' })).to.equal('{"b":1,"c":true,"d":"x"}');
    expect(canonicalJsonFast({ c: true, b: undefined, d: 'x' })).to.equal('{"c":true,"d":"x"}');
    expect(canonicalJsonFast({ b: undefined, c: true })).to.equal('{"c":true}');
  });
});

describe('writeCanonicalJson: canonical bytes straight into a buffer', () => {
  it('when a record of strings, numbers, booleans and null is written, then the bytes are the canonical UTF-8 and the end is returned', () => {
    const target = Buffer.alloc(200, 0xee);
    const record = { village: '城阳村', b: true, a: -0, n: null, e: '😀"\n', x: 1e21 };
    const end = writeCanonicalJson(record, target, 5);
    const expected = Buffer.from(
      '{"a":0,"b":true,"e":"😀\\"\\n","n":null,"village":"城阳村","x":1e+21}',
      'utf8',
    );
    expect(end).to.equal(5 + expected.length);
    expect(target.subarray(5, end).equals(expected)).to.equal(true);
    // Nothing before the offset or after the end is touched.
    expect([...target.subarray(0, 5)]).to.deep.equal([0xee, 0xee, 0xee, 0xee, 0xee]);
    expect(target[end]).to.equal(0xee);
  });

  it('when the bytes do not fit, then the needed end is returned, nothing past the target is written, and a large enough target gets the same bytes', () => {
    const records: unknown[] = [
      { village: '城阳村', certificateNo: 'NDJ(2019)00000001', area: 88.5 },
      { quote: 'a"b', nested: { z: 1, y: [2] } },
    ];
    for (const record of records) {
      const bytes = Buffer.from(canonicalJson(record), 'utf8');
      for (const size of [0, 1, 10, bytes.length - 1]) {
        const backing = Buffer.alloc(size + 8, 0xee);
        const target = backing.subarray(0, size);
        expect(writeCanonicalJson(record, target, 0)).to.equal(bytes.length);
        expect([...backing.subarray(size)]).to.deep.equal(new Array(8).fill(0xee));
      }
      const fits = Buffer.alloc(bytes.length);
      expect(writeCanonicalJson(record, fits, 0)).to.equal(bytes.length);
      expect(fits.equals(bytes)).to.equal(true);
    }
  });

  it('when members are integers or tenths, then their digits are those Number::toString prints', () => {
    const target = Buffer.alloc(100);
    const cases: [number, string][] = [
      [7, '7'],
      [-0, '0'],
      [-40, '-40'],
      [88.5, '88.5'],
      [0.1, '0.1'],
      [-0.7, '-0.7'],
      [12.25, '12.25'],
      [0.1 + 0.2, '0.30000000000000004'],
      [99999999999999.9, '99999999999999.9'],
      [123456789012345.6, '123456789012345.6'],
      [2 ** 53, '9007199254740992'],
      [1e21, '1e+21'],
    ];
    for (const [n, digits] of cases) {
      const end = writeCanonicalJson({ n }, target, 0);
      expect(target.toString('utf8', 0, end)).to.equal(`{"n":${digits}}`);
    }
  });

  it('when a member holds a lone surrogate or a non-finite number, then it throws the reference TypeError', () => {
    const target = Buffer.alloc(100);
    expect(() => writeCanonicalJson({ b: 1, a: 'x\uDC00' }, target, 0)).to.throw(
      TypeError,
      '$.a: string with a lone surrogate',
    );
    expect(() => writeCanonicalJson({ n: NaN }, target, 0)).to.throw(TypeError, '$.n: non-finite number');
  });
});
