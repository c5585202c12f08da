import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  EMPTY_TREE_ROOT_HEX,
  HASH_BYTES,
  type InclusionProof,
  MerkleTree,
  MerkleTreeBuilder,
  hashChildren,
  hashLeafData,
  leafHash,
  merkleRootOfLeafHashes,
  verifyInclusion,
} from '../src/merkle';

// Independent reference: the recursive definitions of RFC 6962 section 2.1,
// written directly against node:crypto without any code from src/merkle.
function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function referenceRoot(data: readonly Buffer[]): Buffer {
  if (data.length === 0) return sha256();
  if (data.length === 1) return sha256(Buffer.from([0]), data[0]!);
  const k = largestPowerOfTwoBelow(data.length);
  return sha256(Buffer.from([1]), referenceRoot(data.slice(0, k)), referenceRoot(data.slice(k)));
}

function referencePath(m: number, data: readonly Buffer[]): Buffer[] {
  if (data.length <= 1) return [];
  const k = largestPowerOfTwoBelow(data.length);
  return m < k
    ? [...referencePath(m, data.slice(0, k)), referenceRoot(data.slice(k))]
    : [...referencePath(m - k, data.slice(k)), referenceRoot(data.slice(0, k))];
}

function leafData(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`record-${i}`));
}

function treeOf(data: readonly Buffer[]): MerkleTree {
  return MerkleTree.fromLeafHashes(Buffer.concat(data.map((d) => hashLeafData(d))));
}

/** Hex with bit 0 of byte `byteIndex` flipped. */
function flipByte(hex: string, byteIndex: number): string {
  const bytes = Buffer.from(hex, 'hex');
  bytes[byteIndex] = bytes[byteIndex]! ^ 0x01;
  return bytes.toString('hex');
}

describe('merkle', () => {
  describe('hashes', () => {
    it('when hashing leaf data, then it is SHA-256 of 0x00 || data', () => {
      // RFC 6962 test vector: the hash of the empty leaf.
      expect(hashLeafData(Buffer.alloc(0)).toString('hex')).to.equal(
        '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      );
      const data = Buffer.from('abc');
      expect(hashLeafData(data).toString('hex')).to.equal(sha256(Buffer.from([0]), data).toString('hex'));
    });

    it('when hashing a long leaf after a short one, then the result is still exact', () => {
      const long = Buffer.alloc(40_000, 0x5a);
      hashLeafData(Buffer.from('x'));
      expect(hashLeafData(long).toString('hex')).to.equal(sha256(Buffer.from([0]), long).toString('hex'));
    });

    it('when hashing children, then it is SHA-256 of 0x01 || left || right', () => {
      const left = sha256(Buffer.from('l'));
      const right = sha256(Buffer.from('r'));
      expect(hashChildren(left, right).toString('hex')).to.equal(
        sha256(Buffer.from([1]), left, right).toString('hex'),
      );
    });

    it('when a child is not 32 bytes, then hashChildren throws RangeError', () => {
      expect(() => hashChildren(Buffer.alloc(31), Buffer.alloc(32))).to.throw(RangeError);
    });

    it('when hashing a record, then it is the leaf hash of its canonical JSON, whatever the key order', () => {
      const a = leafHash({ b: 2, a: [1, { d: null, c: 'x' }] });
      const b = leafHash({ a: [1, { c: 'x', d: null }], b: 2 });
      const expected = sha256(Buffer.from([0]), Buffer.from('{"a":[1,{"c":"x","d":null}],"b":2}'));
      expect(a.toString('hex')).to.equal(expected.toString('hex'));
      expect(b.toString('hex')).to.equal(expected.toString('hex'));
    });

    it('when a record is larger than the scratch buffer, then it is hashed exactly', () => {
      const big = { text: '宅'.repeat(6000), n: 1 };
      const expected = sha256(
        Buffer.from([0]),
        Buffer.from(JSON.stringify({ n: 1, text: big.text }), 'utf8'),
      );
      expect(leafHash(big).toString('hex')).to.equal(expected.toString('hex'));
      expect(leafHash({ n: 2 }).toString('hex')).to.equal(
        sha256(Buffer.from([0]), Buffer.from('{"n":2}')).toString('hex'),
      );
    });

    it('when a record holds non-ASCII text, then it is hashed as UTF-8', () => {
      const expected = sha256(Buffer.from([0]), Buffer.from('{"name":"宅基地€😀"}', 'utf8'));
      expect(leafHash({ name: '宅基地€😀' }).toString('hex')).to.equal(expected.toString('hex'));
    });

    it('when a record cannot be JSON, then leafHash throws TypeError', () => {
      expect(() => leafHash({ amount: Number.NaN })).to.throw(TypeError);
    });
  });

  describe('roots', () => {
    // RFC 6962 reference inputs, as used by the certificate-transparency test suites.
    const rfcInputs = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map((hex) => Buffer.from(hex, 'hex'));
    const rfcRoots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];

    rfcRoots.forEach((expected, i) => {
      const n = i + 1;
      it(`when the tree has the ${n} RFC 6962 test leaves, then the root is the published value`, () => {
        const data = rfcInputs.slice(0, n);
        expect(referenceRoot(data).toString('hex'), 'reference implementation').to.equal(expected);
        expect(treeOf(data).rootHex(), 'MerkleTree').to.equal(expected);
        const builder = new MerkleTreeBuilder();
        data.forEach((d) => builder.addLeafHash(hashLeafData(d)));
        expect(builder.rootHex(), 'MerkleTreeBuilder').to.equal(expected);
      });
    });

    it('when the tree is empty, then the root is SHA-256 of the empty string', () => {
      expect(EMPTY_TREE_ROOT_HEX).to.equal(sha256().toString('hex'));
      expect(MerkleTree.fromLeafHashes(Buffer.alloc(0)).rootHex()).to.equal(EMPTY_TREE_ROOT_HEX);
      expect(new MerkleTreeBuilder().rootHex()).to.equal(EMPTY_TREE_ROOT_HEX);
      expect(MerkleTree.fromLeafHashes(Buffer.alloc(0)).size).to.equal(0);
    });

    for (let n = 1; n <= 70; n++) {
      it(`when the tree has ${n} leaves, then tree, builder and streaming roots equal the recursive definition`, () => {
        const data = leafData(n);
        const expected = referenceRoot(data).toString('hex');
        const leaves = Buffer.concat(data.map((d) => hashLeafData(d)));
        expect(MerkleTree.fromLeafHashes(leaves).rootHex(), 'MerkleTree').to.equal(expected);
        expect(merkleRootOfLeafHashes(leaves).toString('hex'), 'merkleRootOfLeafHashes').to.equal(expected);
        const builder = new MerkleTreeBuilder();
        data.forEach((d) => builder.addLeafHash(hashLeafData(d)));
        expect(builder.size).to.equal(n);
        expect(builder.rootHex(), 'MerkleTreeBuilder').to.equal(expected);
      });
    }

    it('when the builder root is read mid-stream, then it is the root of the prefix and the builder continues', () => {
      const data = leafData(13);
      const builder = new MerkleTreeBuilder();
      data.forEach((d, i) => {
        builder.addLeafHash(hashLeafData(d));
        expect(builder.rootHex(), `after ${i + 1} leaves`).to.equal(
          referenceRoot(data.slice(0, i + 1)).toString('hex'),
        );
      });
    });

    it('when records are added, then the root equals the tree built from their leaf hashes', () => {
      const records = Array.from({ length: 9 }, (_, i) => ({ seq: i, holder: `h${i}` }));
      const builder = new MerkleTreeBuilder();
      records.forEach((r) => builder.addRecord(r));
      const data = records.map((r) => Buffer.from(JSON.stringify({ holder: r.holder, seq: r.seq })));
      expect(builder.rootHex()).to.equal(referenceRoot(data).toString('hex'));
      expect(MerkleTree.fromRecords(records).rootHex()).to.equal(referenceRoot(data).toString('hex'));
    });

    it('when the returned root is modified, then the tree root is unchanged', () => {
      const tree = treeOf(leafData(3));
      const before = tree.rootHex();
      tree.root().fill(0);
      expect(tree.rootHex()).to.equal(before);
    });

    it('when the leaf buffer length is not a multiple of 32, then construction throws RangeError', () => {
      expect(() => MerkleTree.fromLeafHashes(Buffer.alloc(33))).to.throw(RangeError, /multiple of 32/);
      expect(() => merkleRootOfLeafHashes(Buffer.alloc(31))).to.throw(RangeError, /multiple of 32/);
      expect(() => new MerkleTreeBuilder().addLeafHash(Buffer.alloc(20))).to.throw(RangeError);
    });
  });

  describe('inclusion proofs', () => {
    for (let n = 1; n <= 33; n++) {
      it(`when the tree has ${n} leaves, then every leaf's proof is the RFC 6962 path and verifies`, () => {
        const data = leafData(n);
        const tree = treeOf(data);
        const root = tree.rootHex();
        for (let m = 0; m < n; m++) {
          const proof = tree.proof(m);
          expect(proof.leafIndex).to.equal(m);
          expect(proof.treeSize).to.equal(n);
          expect(proof.path, `path of leaf ${m}`).to.deep.equal(
            referencePath(m, data).map((b) => b.toString('hex')),
          );
          const leafHex = tree.leafHash(m).toString('hex');
          expect(leafHex).to.equal(hashLeafData(data[m]!).toString('hex'));
          expect(verifyInclusion(leafHex, proof, root), `leaf ${m} of ${n}`).to.equal(true);
        }
      });
    }

    for (const n of [1, 2, 3, 5, 7, 8, 13, 33]) {
      it(`when anything in a proof for a ${n}-leaf tree is tampered with, then verification fails`, () => {
        const data = leafData(n);
        const tree = treeOf(data);
        const root = tree.rootHex();
        for (let m = 0; m < n; m++) {
          const proof = tree.proof(m);
          const leafHex = tree.leafHash(m).toString('hex');
          const tamperedData = Buffer.from(data[m]!);
          tamperedData[0] = tamperedData[0]! ^ 0x01;
          expect(
            verifyInclusion(hashLeafData(tamperedData).toString('hex'), proof, root),
            'leaf data',
          ).to.equal(false);
          for (const byte of [0, 17, 31]) {
            expect(verifyInclusion(flipByte(leafHex, byte), proof, root), `leaf hash byte ${byte}`).to.equal(
              false,
            );
            expect(verifyInclusion(leafHex, proof, flipByte(root, byte)), `root byte ${byte}`).to.equal(
              false,
            );
          }
          proof.path.forEach((element, j) => {
            const path = [...proof.path];
            path[j] = flipByte(element, 5);
            expect(verifyInclusion(leafHex, { ...proof, path }, root), `path element ${j}`).to.equal(false);
          });
          for (let other = 0; other < n; other++) {
            if (other === m) continue;
            expect(verifyInclusion(leafHex, { ...proof, leafIndex: other }, root), `index ${other}`).to.equal(
              false,
            );
          }
          expect(
            verifyInclusion(leafHex, { ...proof, path: [...proof.path, proof.path[0] ?? leafHex] }, root),
            'extra path element',
          ).to.equal(false);
          if (proof.path.length > 0) {
            expect(
              verifyInclusion(leafHex, { ...proof, path: proof.path.slice(1) }, root),
              'short path',
            ).to.equal(false);
          }
        }
      });
    }

    it('when only the tree size is changed, then the root alone may not catch it (the size must be anchored too)', () => {
      // RFC 6962 roots do not commit to the size by themselves: leaf 0 of a
      // 3-leaf tree has the same path shape in a 4-leaf tree, so the claim
      // still verifies. Callers take root and count from the anchored batch.
      const tree = treeOf(leafData(3));
      const proof = tree.proof(0);
      const leaf = tree.leafHash(0).toString('hex');
      expect(verifyInclusion(leaf, { ...proof, treeSize: 4 }, tree.rootHex())).to.equal(true);
      expect(verifyInclusion(leaf, { ...proof, treeSize: 4 }, tree.rootHex(), 3), 'anchored size').to.equal(
        false,
      );
      expect(verifyInclusion(leaf, proof, tree.rootHex(), 3), 'anchored size matches').to.equal(true);
      expect(verifyInclusion(leaf, { ...proof, treeSize: 2 }, tree.rootHex())).to.equal(false);
    });

    it('when a leaf is proved against a wrong leaf position, then verification fails', () => {
      const tree = treeOf(leafData(6));
      const root = tree.rootHex();
      const leaf2 = tree.leafHash(2).toString('hex');
      expect(verifyInclusion(leaf2, tree.proof(3), root)).to.equal(false);
      expect(verifyInclusion(leaf2, tree.proof(2), root)).to.equal(true);
    });

    it('when inputs are malformed, then verification returns false instead of throwing', () => {
      const tree = treeOf(leafData(4));
      const root = tree.rootHex();
      const leaf = tree.leafHash(1).toString('hex');
      const proof = tree.proof(1);
      expect(verifyInclusion(leaf.toUpperCase(), proof, root), 'upper-case leaf').to.equal(false);
      expect(verifyInclusion(`0x${leaf}`, proof, root), '0x prefix').to.equal(false);
      expect(verifyInclusion(leaf, proof, root.slice(2)), 'short root').to.equal(false);
      expect(verifyInclusion(leaf, { ...proof, path: ['zz'] }, root), 'bad path hex').to.equal(false);
      expect(verifyInclusion(leaf, { ...proof, leafIndex: -1 }, root), 'negative index').to.equal(false);
      expect(verifyInclusion(leaf, { ...proof, leafIndex: 1.5 }, root), 'fractional index').to.equal(false);
      expect(verifyInclusion(leaf, { ...proof, leafIndex: 4 }, root), 'index = size').to.equal(false);
      expect(verifyInclusion(leaf, null as unknown as InclusionProof, root), 'null proof').to.equal(false);
      expect(
        verifyInclusion(leaf, { ...proof, path: 'abc' as unknown as string[] }, root),
        'path not an array',
      ).to.equal(false);
    });

    it('when a proof is asked for a position outside the tree, then it throws RangeError', () => {
      const tree = treeOf(leafData(3));
      expect(() => tree.proof(3)).to.throw(RangeError);
      expect(() => tree.proof(-1)).to.throw(RangeError);
      expect(() => tree.proof(0.5)).to.throw(RangeError);
      expect(() => MerkleTree.fromLeafHashes(Buffer.alloc(0)).proof(0)).to.throw(RangeError);
    });
  });

  describe('a batch of 1,000,000 records', function () {
    this.timeout(120_000);

    it('when streamed and held as a tree, then both give the same root and sampled proofs verify', () => {
      const n = 1_000_000;
      const leaves = Buffer.allocUnsafe(n * HASH_BYTES);
      const builder = new MerkleTreeBuilder();
      for (let i = 0; i < n; i++) {
        const leaf = leafHash({
          seq: i,
          subject: 'a3f1c2d4e5b6a7980112233445566778899aabbccddeeff00112233445566778',
          dataset: 'AGRI_SUBSIDY',
          amount: 1200 + (i % 97),
          period: '2024-06',
        });
        leaf.copy(leaves, i * HASH_BYTES);
        builder.addLeafHash(leaf);
      }
      const tree = MerkleTree.fromLeafHashes(leaves);
      const root = tree.rootHex();
      expect(builder.rootHex()).to.equal(root);
      // 2^19 < n <= 2^20, so the leftmost leaf sits 20 levels below the root.
      expect(tree.proof(0).path).to.have.length(20);
      expect(merkleRootOfLeafHashes(leaves).toString('hex')).to.equal(root);
      for (const m of [0, 1, 2, 524_287, 524_288, 999_998, 999_999]) {
        const proof = tree.proof(m);
        expect(verifyInclusion(tree.leafHash(m).toString('hex'), proof, root), `leaf ${m}`).to.equal(true);
      }
    });
  });
});
