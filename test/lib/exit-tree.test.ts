import { expect } from "chai";
import {
  ExitTree,
  ExitTreeFullError,
  FIELD_MODULUS,
  FieldError,
  computeMerkleRoot,
  exitRootOf,
  poseidon,
  verifyMerkleProof,
  zeroHash,
} from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { loadAllExitTreeVectors, loadExitTreeVectors } from "../helpers/vectors";

// ---------------------------------------------------------------------------------------------------------
// Independent reference implementations: they use only the generic poseidon() wrapper (not hash2, zeroHash,
// the frontier or the lazily built levels of lib/exit-tree.ts).

const H = (l: bigint, r: bigint) => poseidon([l, r]);
const ZEROS: bigint[] = [0n];
for (let h = 0; h < 32; h++) ZEROS.push(H(ZEROS[h], ZEROS[h]));

/** Root over all 2^depth leaves (the given ones, then zeros): plain recursion over every node, depth <= 6. */
function naiveFullRoot(depth: number, leaves: readonly bigint[]): bigint {
  if (depth > 6) throw new Error("naiveFullRoot hashes every node: small trees only");
  const node = (h: number, i: number): bigint => (h === 0 ? leaves[i] ?? 0n : H(node(h - 1, 2 * i), node(h - 1, 2 * i + 1)));
  return node(depth, 0);
}

/** The same recursion, but a subtree right of the last leaf is the (independently computed) zero subtree. */
function naiveRoot(depth: number, leaves: readonly bigint[]): bigint {
  const node = (h: number, i: number): bigint =>
    i * 2 ** h >= leaves.length ? ZEROS[h] : h === 0 ? leaves[i] : H(node(h - 1, 2 * i), node(h - 1, 2 * i + 1));
  return node(depth, 0);
}

/** All levels, each padded on the right with the zero subtree of its height when it has an odd length. */
function paddedLevels(depth: number, leaves: readonly bigint[]): bigint[][] {
  const levels: bigint[][] = [[...leaves]];
  for (let h = 0; h < depth; h++) {
    const level = levels[h];
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(H(level[i], i + 1 < level.length ? level[i + 1] : ZEROS[h]));
    levels.push(next);
  }
  return levels;
}

function paddedRoot(depth: number, leaves: readonly bigint[]): bigint {
  return leaves.length === 0 ? ZEROS[depth] : paddedLevels(depth, leaves)[depth][0];
}

function naiveSiblings(depth: number, leaves: readonly bigint[], index: number, levels = paddedLevels(depth, leaves)): bigint[] {
  const out: bigint[] = [];
  let i = index;
  for (let h = 0; h < depth; h++) {
    const s = i % 2 === 0 ? i + 1 : i - 1;
    out.push(s < levels[h].length ? levels[h][s] : ZEROS[h]);
    i = Math.floor(i / 2);
  }
  return out;
}

const randomLeaves = (rng: Prng, n: number) => Array.from({ length: n }, () => rng.field());

describe("exit tree (lib/exit-tree.ts)", function () {
  this.timeout(60_000);

  describe("root", () => {
    it("the empty root is the zero hash of the depth", () => {
      for (const d of [1, 2, 8, 32]) {
        expect(new ExitTree(d).root()).to.equal(ZEROS[d]);
        expect(new ExitTree(d).root()).to.equal(zeroHash(d));
      }
    });

    it("equals the naive full-tree root after every insert, filling small trees to capacity (2^depth - 1)", () => {
      const rng = new Prng("exit tree fill");
      for (const depth of [1, 2, 3, 4, 5]) {
        const tree = new ExitTree(depth);
        const leaves: bigint[] = [];
        for (let i = 0; i < 2 ** depth - 1; i++) {
          const leaf = rng.int(4) === 0 ? 0n : rng.field();
          expect(tree.append(leaf)).to.equal(i);
          leaves.push(leaf);
          expect(tree.root(), `depth ${depth}, ${i + 1} leaves`).to.equal(naiveFullRoot(depth, leaves));
        }
        expect(tree.count).to.equal(2 ** depth - 1);
        expect(() => tree.append(1n)).to.throw(ExitTreeFullError);
        expect(tree.root()).to.equal(naiveFullRoot(depth, leaves));
      }
    });

    it("equals the naive recursive root after every insert for random sequences (depths 7, 10, 16)", () => {
      const rng = new Prng("exit tree naive");
      for (const [depth, n] of [[7, 40], [10, 33], [16, 20]]) {
        const tree = new ExitTree(depth);
        const leaves: bigint[] = [];
        for (let i = 0; i < n; i++) {
          leaves.push(rng.int(5) === 0 ? 0n : rng.field());
          tree.append(leaves[i]);
          expect(tree.root(), `depth ${depth}, ${i + 1} leaves`).to.equal(naiveRoot(depth, leaves));
        }
      }
    });

    it("equals the padded-level root after every insert for random sequences (depths 5, 13, 32)", () => {
      const rng = new Prng("exit tree padded");
      for (const [depth, n] of [[5, 31], [13, 33], [32, 33]]) {
        const tree = new ExitTree(depth);
        const leaves: bigint[] = [];
        for (let i = 0; i < n; i++) {
          leaves.push(rng.field());
          tree.append(leaves[i]);
          expect(tree.root(), `depth ${depth}, ${i + 1} leaves`).to.equal(paddedRoot(depth, leaves));
        }
        expect(exitRootOf(depth, leaves)).to.equal(tree.root());
      }
    });

    it("the three reference computations agree (sanity check of the test's own oracles)", () => {
      const rng = new Prng("oracles");
      for (let n = 0; n <= 16; n++) {
        const leaves = randomLeaves(rng, n);
        expect(paddedRoot(4, leaves), `${n} leaves`).to.equal(naiveFullRoot(4, leaves));
        expect(naiveRoot(4, leaves), `${n} leaves`).to.equal(naiveFullRoot(4, leaves));
      }
      expect(naiveFullRoot(2, [1n, 2n, 3n])).to.equal(H(H(1n, 2n), H(3n, 0n)));
    });
  });

  describe("full tree (capacity 2^depth - 1 leaves, as the Solidity ExitTreeLib)", () => {
    it("takes 2^depth - 1 leaves with the right root, then throws ExitTreeFullError (depth 3)", () => {
      const rng = new Prng("full tree");
      const tree = new ExitTree(3);
      const leaves = randomLeaves(rng, 7);
      leaves.forEach((l) => tree.append(l));
      const root = naiveFullRoot(3, leaves);
      expect(tree.root()).to.equal(root);
      let err: unknown;
      try {
        tree.append(1n);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ExitTreeFullError);
      expect((err as ExitTreeFullError).code).to.equal("EXIT_TREE_FULL");
      expect(tree.count).to.equal(7);
      expect(tree.root()).to.equal(root);
      expect(() => tree.append(0n)).to.throw(ExitTreeFullError);
      expect(tree.count).to.equal(7);
      for (let i = 0; i < 7; i++) expect(verifyMerkleProof(root, leaves[i], i, tree.proof(i).siblings)).to.equal(true);
      expect(tree.clone().root()).to.equal(root);
      expect(exitRootOf(3, leaves)).to.equal(root);
    });

    it("a depth-1 tree holds one leaf", () => {
      const tree = new ExitTree(1);
      expect(tree.append(5n)).to.equal(0);
      expect(tree.root()).to.equal(H(5n, 0n));
      expect(() => tree.append(6n)).to.throw(ExitTreeFullError);
      expect(tree.root()).to.equal(H(5n, 0n));
    });

    it("a depth-32 tree refuses the 2^32-th leaf (checked without appending 2^32 leaves)", () => {
      const tree = new ExitTree(32);
      // fake the count: the capacity check only reads the number of leaves
      (tree as unknown as { leaves: bigint[] }).leaves.length = 2 ** 32 - 2;
      expect(() => tree.append(1n)).to.not.throw();
      expect(tree.count).to.equal(2 ** 32 - 1);
      expect(() => tree.append(1n)).to.throw(ExitTreeFullError);
    });
  });

  describe("proofs", () => {
    it("every proof verifies against the current root at many tree sizes, and matches the naive siblings", () => {
      const rng = new Prng("exit proofs");
      const depth = 5;
      const tree = new ExitTree(depth);
      const leaves: bigint[] = [];
      for (let n = 1; n < 2 ** depth; n++) {
        leaves.push(rng.field());
        tree.append(leaves[n - 1]);
        // ask for proofs only some of the time, so that the lazy level build is exercised incrementally
        if (![1, 2, 3, 6, 11, 16, 23, 31].includes(n)) continue;
        const root = tree.root();
        const levels = paddedLevels(depth, leaves);
        for (let i = 0; i < n; i++) {
          const p = tree.proof(i);
          expect(p.leaf).to.equal(leaves[i]);
          expect(p.index).to.equal(i);
          expect(p.siblings).to.deep.equal(naiveSiblings(depth, leaves, i, levels));
          expect(verifyMerkleProof(root, p.leaf, i, p.siblings)).to.equal(true);
        }
        expect(computeMerkleRoot(leaves[n - 1], BigInt(n - 1), tree.proof(n - 1).siblings)).to.equal(root);
      }
    });

    it("proofs at depth 32 verify (indices at both ends)", () => {
      const rng = new Prng("exit proofs 32");
      const tree = new ExitTree(32);
      const leaves = randomLeaves(rng, 37);
      leaves.forEach((l) => tree.append(l));
      const root = tree.root();
      for (const i of [0, 1, 18, 35, 36]) {
        const p = tree.proof(i);
        expect(p.siblings).to.have.length(32);
        expect(p.siblings).to.deep.equal(naiveSiblings(32, leaves, i));
        expect(verifyMerkleProof(root, leaves[i], i, p.siblings)).to.equal(true);
      }
    });

    it("a tampered sibling, leaf, index, root or proof length fails", () => {
      const rng = new Prng("tamper");
      const depth = 8;
      const tree = new ExitTree(depth);
      const leaves = randomLeaves(rng, 40);
      leaves.forEach((l) => tree.append(l));
      const root = tree.root();
      for (const i of [0, 13, 39]) {
        const { siblings } = tree.proof(i);
        expect(verifyMerkleProof(root, leaves[i], i, siblings)).to.equal(true);
        for (let h = 0; h < depth; h++) {
          const bad = [...siblings];
          bad[h] = bad[h] + 1n;
          expect(verifyMerkleProof(root, leaves[i], i, bad), `sibling ${h}`).to.equal(false);
        }
        expect(verifyMerkleProof(root, leaves[i] + 1n, i, siblings)).to.equal(false);
        expect(verifyMerkleProof(root, 0n, i, siblings)).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], i ^ 1, siblings)).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], i + 2, siblings)).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], i + 2 ** depth, siblings)).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], -1, siblings)).to.equal(false);
        expect(verifyMerkleProof(root + 1n, leaves[i], i, siblings)).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], i, siblings.slice(0, -1))).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], i, [...siblings, 0n])).to.equal(false);
        expect(verifyMerkleProof(root, leaves[i], i, [...siblings].reverse())).to.equal(false);
      }
      // another leaf's proof does not prove this leaf
      expect(verifyMerkleProof(root, leaves[1], 1, tree.proof(2).siblings)).to.equal(false);
    });

    it("computeMerkleRoot rejects an index that does not fit the proof's depth", () => {
      expect(() => computeMerkleRoot(1n, 4, [0n, 0n])).to.throw(RangeError);
      expect(() => computeMerkleRoot(1n, -1, [0n, 0n])).to.throw(RangeError);
      expect(computeMerkleRoot(1n, 3, [2n, 3n])).to.equal(H(3n, H(2n, 1n)));
      expect(computeMerkleRoot(1n, 0, [])).to.equal(1n);
    });

    it("proof() rejects an index without a leaf", () => {
      const tree = new ExitTree(4);
      expect(() => tree.proof(0)).to.throw(RangeError);
      tree.append(1n);
      expect(() => tree.proof(1)).to.throw(RangeError);
      expect(() => tree.proof(-1)).to.throw(RangeError);
      expect(() => tree.leaf(1)).to.throw(RangeError);
      expect(tree.leaf(0)).to.equal(1n);
    });
  });

  describe("appendProof", () => {
    it("leads from the zero leaf at index count to the current root and, with the new leaf, to the next root", () => {
      const rng = new Prng("append proof");
      for (const [depth, n] of [[1, 1], [4, 15], [7, 20], [32, 9]]) {
        const tree = new ExitTree(depth);
        let root = tree.root();
        for (let count = 0; count < n; count++) {
          const siblings = tree.appendProof();
          expect(siblings).to.have.length(depth);
          if (depth < 32) expect(siblings).to.deep.equal(naiveSiblings(depth, tree.allLeaves(), count));
          expect(computeMerkleRoot(0n, count, siblings), `depth ${depth} count ${count}`).to.equal(root);
          const leaf = rng.field();
          const next = computeMerkleRoot(leaf, count, siblings);
          tree.append(leaf);
          root = tree.root();
          expect(next, `depth ${depth} count ${count}`).to.equal(root);
          // a different leaf at that slot gives a different root
          expect(computeMerkleRoot(leaf + 1n, count, siblings) === root).to.equal(false);
        }
      }
    });
  });

  describe("state and input checks", () => {
    it("clone is independent", () => {
      const t = new ExitTree(8);
      [1n, 2n, 3n].forEach((l) => t.append(l));
      const c = t.clone();
      expect(c.root()).to.equal(t.root());
      c.append(4n);
      expect(t.count).to.equal(3);
      expect(c.count).to.equal(4);
      expect(t.root()).to.equal(paddedRoot(8, [1n, 2n, 3n]));
      expect(c.root()).to.equal(paddedRoot(8, [1n, 2n, 3n, 4n]));
    });

    it("rejects a depth outside 1..32", () => {
      for (const d of [0, 33, -1, 1.5, NaN]) expect(() => new ExitTree(d), `depth ${d}`).to.throw(RangeError);
    });

    it("rejects a leaf outside the field and leaves the tree unchanged", () => {
      const t = new ExitTree(4);
      t.append(1n);
      const root = t.root();
      expect(() => t.append(FIELD_MODULUS)).to.throw(FieldError);
      expect(() => t.append(-1n)).to.throw(FieldError);
      expect(t.count).to.equal(1);
      expect(t.root()).to.equal(root);
      expect(() => t.append(FIELD_MODULUS - 1n)).to.not.throw();
    });
  });

  describe("vectors (test/vectors/exit-tree.json)", () => {
    it("has depth 32 and depth 8 trees of 40 leaves", () => {
      expect(loadAllExitTreeVectors().map((v) => [v.depth, v.leaves.length, v.roots.length])).to.deep.equal([
        [32, 40, 40],
        [8, 40, 40],
      ]);
    });

    for (const depth of [32, 8]) {
      it(`depth ${depth}: roots after each insert, empty root and proofs match the model and the reference`, () => {
        const v = loadExitTreeVectors(depth);
        expect(v.emptyRoot).to.equal(ZEROS[depth]);
        const tree = new ExitTree(depth);
        expect(tree.root()).to.equal(v.emptyRoot);
        v.leaves.forEach((leaf, i) => {
          tree.append(leaf);
          expect(tree.root(), `root ${i}`).to.equal(v.roots[i]);
        });
        expect(paddedRoot(depth, v.leaves)).to.equal(v.roots[v.roots.length - 1]);
        expect(v.proofs.length).to.be.greaterThan(3);
        for (const p of v.proofs) {
          expect(p.leaf).to.equal(v.leaves[p.index]);
          expect(p.siblings).to.deep.equal(tree.proof(p.index).siblings);
          expect(verifyMerkleProof(v.roots[v.roots.length - 1], p.leaf, p.index, p.siblings)).to.equal(true);
        }
      });
    }
  });
});
