import { expect } from 'chai';
import { canonicalBytes, canonicalJson, parseJson } from '../src/canonical';

/** The IEEE 754 double with the given bit pattern (RFC 8785 Appendix B lists numbers this way). */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonical JSON (RFC 8785)', () => {
  describe('member order', () => {
    it('when two objects differ only in key order, then their bytes are identical', () => {
      const a = canonicalBytes({ b: 1, a: { y: [3, { q: true, p: null }], x: 'v' } });
      const b = canonicalBytes({ a: { x: 'v', y: [3, { p: null, q: true }] }, b: 1 });
      expect(a.equals(b)).to.equal(true);
      expect(a.toString('utf8')).to.equal('{"a":{"x":"v","y":[3,{"p":null,"q":true}]},"b":1}');
    });

    it('when keys are non-ASCII, then they sort by UTF-16 code units (RFC 8785 section 3.2.3 example)', () => {
      const input = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };
      // The emoji (U+1F600, surrogates D83D DE00) sorts before U+FB33: code units, not code points.
      // (Checked on the text: Object.keys would list the integer-like key "1" first.)
      expect(canonicalJson(input)).to.equal(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it('when arrays are nested, then element order is kept', () => {
      expect(canonicalJson([3, 1, [2, 'b', 'a'], { b: [], a: {} }])).to.equal(
        '[3,1,[2,"b","a"],{"a":{},"b":[]}]',
      );
    });
  });

  describe('numbers', () => {
    it('when serialising the RFC 8785 section 3.2.2 example, then the output is the published one', () => {
      const input = parseJson(
        '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
          '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
      );
      expect(canonicalJson(input)).to.equal(
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
          '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
      );
    });

    const appendixB: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, expected] of appendixB) {
      it(`when serialising the double 0x${bits}, then it is ${expected} (RFC 8785 Appendix B)`, () => {
        expect(canonicalJson(fromBits(bits))).to.equal(expected);
      });
    }

    it('when serialising common values, then 1e21, 0.1, -0 and integers are formatted per ECMAScript', () => {
      expect(canonicalJson([1e21, 1e20, 0.1, -0, 100, 1.5e-7, -1e-7, 0.000001])).to.equal(
        '[1e+21,100000000000000000000,0.1,0,100,1.5e-7,-1e-7,0.000001]',
      );
      expect(canonicalJson({ amount: -0 })).to.equal('{"amount":0}');
    });

    it('when a number is not finite, then serialisation throws TypeError naming the path', () => {
      expect(() => canonicalJson({ a: [1, Number.NaN] })).to.throw(TypeError, '$.a[1]: non-finite number');
      expect(() => canonicalJson(Number.POSITIVE_INFINITY)).to.throw(TypeError);
      expect(() => canonicalJson(fromBits('7ff0000000000000'))).to.throw(TypeError);
    });
  });

  describe('strings and literals', () => {
    it('when strings hold control characters, quotes and backslashes, then they are escaped as RFC 8785 requires', () => {
      expect(canonicalJson('\u0000\b\t\n\f\r\u001f"\\/\u007f')).to.equal(
        '"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f"',
      );
    });

    it('when strings hold non-ASCII text, then it is written as UTF-8, not escaped', () => {
      const bytes = canonicalBytes({ 村: '宅基地😀' });
      expect(bytes.toString('hex')).to.equal(Buffer.from('{"村":"宅基地😀"}', 'utf8').toString('hex'));
    });

    it('when serialising literals, then null, true and false are written bare', () => {
      expect(canonicalJson([null, true, false])).to.equal('[null,true,false]');
    });
  });

  describe('values JSON cannot hold', () => {
    it('when an object member is undefined, then the member is left out', () => {
      expect(canonicalJson({ a: undefined, b: 1 })).to.equal('{"b":1}');
    });

    it('when an array holds undefined, or a value is a function, symbol or bigint, then TypeError', () => {
      expect(() => canonicalJson([1, undefined])).to.throw(TypeError, '$[1]: undefined or hole in array');
      expect(() => canonicalJson({ f: () => 1 })).to.throw(TypeError, '$.f: function is not JSON');
      expect(() => canonicalJson(Symbol('s'))).to.throw(TypeError);
      expect(() => canonicalJson({ n: 10n })).to.throw(TypeError, '$.n: bigint is not JSON');
    });

    it('when an object has toJSON (a Date), then its toJSON value is serialised', () => {
      expect(canonicalJson({ at: new Date(Date.UTC(2024, 5, 1)) })).to.equal(
        '{"at":"2024-06-01T00:00:00.000Z"}',
      );
    });
  });

  describe('parseJson', () => {
    it('when parsing text or UTF-8 bytes, then canonical JSON round-trips to the same text', () => {
      const text = canonicalJson({ b: [1, 'x'], a: { c: null } });
      expect(canonicalJson(parseJson(text))).to.equal(text);
      expect(canonicalJson(parseJson(Buffer.from(text, 'utf8')))).to.equal(text);
    });

    it('when the text is malformed, then SyntaxError', () => {
      expect(() => parseJson('{"a":')).to.throw(SyntaxError);
    });
  });
});

describe('canonical JSON refuses what RFC 8785 cannot represent', () => {
  it('when an array has a hole, a string a lone surrogate, or a value is a Map or Buffer, then TypeError', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson([, 1])).to.throw(TypeError, '$[0]: undefined or hole in array');
    expect(() => canonicalJson({ a: '\ud800' })).to.throw(TypeError, '$.a: string with a lone surrogate');
    expect(() => canonicalJson({ '\udc00': 1 })).to.throw(TypeError, 'key with a lone surrogate');
    expect(() => canonicalJson(new Map([['a', 1]]))).to.throw(TypeError, '$: Map is not JSON');
    expect(() => canonicalJson({ b: Buffer.from('x') })).to.throw(TypeError, '$.b: Buffer is not JSON');
  });
});
