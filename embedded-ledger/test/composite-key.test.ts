import { expect } from 'chai';
import { ChaincodeStub } from 'fabric-shim';
import { createCompositeKey, splitCompositeKey } from '../src';

/** fabric-shim's own implementations (they do not use the stub instance). */
const shimCreate = (objectType: unknown, attributes: unknown): string =>
  (ChaincodeStub.prototype.createCompositeKey as (o: unknown, a: unknown) => string).call(
    undefined,
    objectType,
    attributes,
  );
const shimSplit = (key: string): unknown => ChaincodeStub.prototype.splitCompositeKey.call(undefined, key);

function errorOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('composite keys', () => {
  const cases: [string, string[]][] = [
    ['asset', []],
    ['asset', ['alice']],
    ['asset', ['alice', 'a1']],
    ['lien', ['LAND:LC-001', '0001', 'bank:x']],
    ['unicode', ['зерно', '稻米', '\u{1f33e}']],
  ];

  for (const [objectType, attributes] of cases) {
    it(`when (${objectType}, [${attributes.join(', ')}]) is composed, then the key is byte-identical to fabric-shim's`, () => {
      const key = createCompositeKey(objectType, attributes);
      expect(key).to.equal(shimCreate(objectType, attributes));
      expect(key).to.equal(`\u0000${objectType}\u0000${attributes.map((a) => `${a}\u0000`).join('')}`);
      expect(splitCompositeKey(key)).to.deep.equal(shimSplit(key));
      expect(splitCompositeKey(key)).to.deep.equal({ objectType, attributes });
    });
  }

  it('when a part is empty or not a string, or attributes is not an array, then the errors are the shim’s', () => {
    const attempts: [unknown, unknown][] = [
      ['', ['a']],
      ['asset', ['']],
      ['asset', [7]],
      [undefined, []],
      ['asset', 'alice'],
    ];
    for (const [objectType, attributes] of attempts) {
      const ours = errorOf(() => createCompositeKey(objectType as string, attributes as string[]));
      expect(ours, JSON.stringify([objectType, attributes])).to.equal(
        errorOf(() => shimCreate(objectType, attributes)),
      );
    }
    expect(errorOf(() => createCompositeKey('', ['a']))).to.equal(
      'object type or attribute not a non-zero length string',
    );
    expect(errorOf(() => createCompositeKey('asset', 'alice' as unknown as string[]))).to.equal(
      'attributes must be an array',
    );
  });

  it('when a part contains U+0000 or U+10FFFF, then like the Node shim no error is raised and the key is ambiguous', () => {
    // The Go shim refuses these; the Node shim does not, so chaincode must validate parts itself.
    for (const attributes of [['a\u0000b'], ['a', 'b'], ['x\u{10ffff}']]) {
      expect(createCompositeKey('t', attributes)).to.equal(shimCreate('t', attributes));
    }
    expect(createCompositeKey('t', ['a\u0000b'])).to.equal(createCompositeKey('t', ['a', 'b']));
    expect(splitCompositeKey(createCompositeKey('t', ['a\u0000b']))).to.deep.equal({
      objectType: 't',
      attributes: ['a', 'b'],
    });
  });

  it('when a key is not composite, then splitting gives what the shim gives', () => {
    for (const key of ['', 'plain', '\u0000', '\u0000type']) {
      expect(splitCompositeKey(key), JSON.stringify(key)).to.deep.equal(shimSplit(key));
    }
    expect(splitCompositeKey('plain')).to.deep.equal({ objectType: null, attributes: [] });
  });
});
