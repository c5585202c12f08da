import { expect } from 'chai';
import DataMarshall from 'fabric-shim/lib/contract-spi/datamarshall';
import '../src'; // installs the cache, as the chaincode module does when it loads

const SERIALIZERS = { jsonSerializer: 'fabric-contract-api/lib/jsontransactionserializer.js' };
const fn = { parameters: [{ schema: { type: 'number' } }, { schema: { type: 'string' } }] };
const args = (...values: string[]) => values.map((v) => Buffer.from(v));

/** A marshall whose schema compilations are counted. */
function countingMarshall(components: unknown = {}): { marshall: DataMarshall; compiles: () => number } {
  const marshall = new DataMarshall('jsonSerializer', SERIALIZERS, components);
  let count = 0;
  const compile = marshall.ajv.compile.bind(marshall.ajv);
  marshall.ajv.compile = (schema: object) => {
    count += 1;
    return compile(schema);
  };
  return { marshall, compiles: () => count };
}

describe('Transaction parameters: schemas compiled once (lib/parameter-validators.ts)', () => {
  let marshall: DataMarshall;
  let compiles: () => number;
  beforeEach(() => ({ marshall, compiles } = countingMarshall()));

  it('converts each argument as fabric-shim does, compiling each parameter schema on the first call only', () => {
    expect(marshall.handleParameters(fn, args('42', 'first'), 'p')).to.deep.equal([42, 'first']);
    expect(compiles()).to.equal(2);
    expect(marshall.handleParameters(fn, args('7', 'second'), 'p')).to.deep.equal([7, 'second']);
    expect(marshall.handleParameters(fn, args('-1.5', ''), 'p')).to.deep.equal([-1.5, '']);
    expect(compiles()).to.equal(2);
  });

  it('refuses an argument outside its schema, or of the wrong type, with the messages fabric-shim gives, every time', () => {
    const positive = { parameters: [{ schema: { type: 'number', minimum: 0 } }] };
    for (let i = 0; i < 2; i++) {
      expect(() => marshall.handleParameters(positive, args('-5'), 'p')).to.throw(
        'Unable to validate parameter due to ["should be >= 0"]',
      );
      expect(() => marshall.handleParameters(fn, args('"text"', 'x'), 'p')).to.throw(
        'fromBuffer could not convert data to number',
      );
    }
    expect(marshall.handleParameters(positive, args('5'), 'p')).to.deep.equal([5]);
    expect(compiles()).to.equal(3); // positive's parameter, and both of fn's on its first call
  });

  it('leaves a wrong argument count and an untyped parameter to fabric-shim, which refuses them', () => {
    expect(() => marshall.handleParameters(fn, args('1'), 'p')).to.throw(
      'Expected 2 parameters, but 1 have been supplied',
    );
    expect(() => marshall.handleParameters({ parameters: [{ schema: {} }] }, args('1'), 'p')).to.throw(
      'Incorrect type information {}',
    );
  });

  it('keeps one cache per marshall: another contract compiles its own', () => {
    marshall.handleParameters(fn, args('1', 'a'), 'p');
    const { marshall: other, compiles: otherCompiles } = countingMarshall();
    expect(other.handleParameters(fn, args('2', 'b'), 'p')).to.deep.equal([2, 'b']);
    expect(other.handleParameters(fn, args('3', 'c'), 'p')).to.deep.equal([3, 'c']);
    expect([compiles(), otherCompiles()]).to.deep.equal([2, 2]);
  });

  it('leaves a parameter whose schema names a component to fabric-shim, which compiles it on every call', () => {
    const components = { Point: { $id: 'Point', properties: { x: { type: 'number' } }, required: ['x'] } };
    const { marshall: withComponents, compiles: calls } = countingMarshall(components);
    const byRef = { parameters: [{ schema: { $ref: '#/components/schemas/Point' } }] };
    for (let i = 1; i <= 2; i++) {
      expect(withComponents.handleParameters(byRef, args('{"x":1}'), 'p')).to.deep.equal([{ x: 1 }]);
      expect(calls()).to.equal(i);
    }
  });
});
