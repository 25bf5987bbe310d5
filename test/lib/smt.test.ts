import { expect } from "chai";
import { FIELD_MODULUS, FieldError, SmtProof, SmtUpdate, SparseMerkleTree, poseidon, smtRootOf, verifySmtProof, verifySmtUpdate } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { loadAllSmtVectors } from "../helpers/vectors";

// ---------------------------------------------------------------------------------------------------------
// Independent reference: a recursive root over the non-zero leaves, splitting on bit (h - 1) at height h
// (least-significant bit at the leaf level), with its own zero hashes; it uses only the generic poseidon().

const H = (l: bigint, r: bigint) => poseidon([l, r]);
const ZEROS: bigint[] = [0n];
for (let h = 0; h < 248; h++) ZEROS.push(H(ZEROS[h], ZEROS[h]));

function naiveSmtRoot(depth: number, leaves: ReadonlyMap<bigint, bigint>): bigint {
  const node = (h: number, items: [bigint, bigint][]): bigint => {
    if (items.length === 0) return ZEROS[h];
    if (h === 0) return items[0][1];
    const bit = 1n << BigInt(h - 1);
    return H(node(h - 1, items.filter(([i]) => (i & bit) === 0n)), node(h - 1, items.filter(([i]) => (i & bit) !== 0n)));
  };
  return node(depth, [...leaves.entries()].filter(([, v]) => v !== 0n));
}

/** Root from a leaf and its bottom-up siblings (reference for verifySmtProof). */
function rootFrom(leaf: bigint, index: bigint, siblings: readonly bigint[]): bigint {
  let node = leaf;
  siblings.forEach((s, h) => (node = ((index >> BigInt(h)) & 1n) === 0n ? H(node, s) : H(s, node)));
  return node;
}

function randomIndex(rng: Prng, depth: number): bigint {
  return rng.below(1n << BigInt(depth));
}

describe("sparse Merkle tree (lib/smt.ts)", function () {
  this.timeout(60_000);

  describe("set / get / delete", () => {
    it("the empty root is the zero hash of the depth", () => {
      for (const d of [1, 8, 64, 248]) expect(new SparseMerkleTree(d).root()).to.equal(ZEROS[d]);
    });

    it("matches a map and the reference root after every operation (depth 8, with overwrites and deletes)", () => {
      const rng = new Prng("smt ops 8");
      const depth = 8;
      const t = new SparseMerkleTree(depth);
      const mirror = new Map<bigint, bigint>();
      const pool = Array.from({ length: 12 }, () => randomIndex(rng, depth)).concat([0n, 255n, 254n]);
      for (let k = 0; k < 45; k++) {
        const i = rng.pick(pool);
        const v = rng.int(4) === 0 ? 0n : rng.int(5) === 0 ? FIELD_MODULUS - 1n : rng.field();
        const rootBefore = t.root();
        const u = t.set(i, v);
        expect(u.oldRoot).to.equal(rootBefore);
        expect(u.oldLeaf).to.equal(mirror.get(i) ?? 0n);
        expect(u.newLeaf).to.equal(v);
        if (v === 0n) mirror.delete(i);
        else mirror.set(i, v);
        expect(u.newRoot).to.equal(t.root());
        expect(t.root(), `after op ${k}`).to.equal(naiveSmtRoot(depth, mirror));
        for (const j of pool) expect(t.get(j)).to.equal(mirror.get(j) ?? 0n);
      }
      // delete everything: back to the empty tree, with no stored node left
      for (const j of pool) t.set(j, 0n);
      expect(t.root()).to.equal(ZEROS[depth]);
      expect(t.size).to.equal(0);
    });

    it("deleting a leaf restores the previous root; setting the same value again is a no-op", () => {
      const rng = new Prng("smt delete");
      const t = new SparseMerkleTree(16);
      [1n, 2n, 3n].forEach((i) => t.set(i * 1000n, rng.field()));
      const r = t.root();
      const size = t.size;
      t.set(777n, 5n);
      expect(t.root()).to.not.equal(r);
      t.set(777n, 0n);
      expect(t.root()).to.equal(r);
      expect(t.size).to.equal(size);
      const again = t.set(1000n, t.get(1000n));
      expect(again.newRoot).to.equal(again.oldRoot);
      const absent = t.set(4242n, 0n);
      expect(absent.newRoot).to.equal(r);
      expect(absent.oldLeaf).to.equal(0n);
    });

    it("matches the reference at depth 64, including indices 0 and 2^64 - 1 and leaf siblings", () => {
      const rng = new Prng("smt ops 64");
      const depth = 64;
      const t = new SparseMerkleTree(depth);
      const mirror = new Map<bigint, bigint>();
      const a = randomIndex(rng, depth);
      const indices = [0n, (1n << 64n) - 1n, a, a ^ 1n, a ^ (1n << 63n), randomIndex(rng, depth)];
      for (const i of indices) {
        const v = rng.field();
        t.set(i, v);
        mirror.set(i, v);
      }
      expect(t.root()).to.equal(naiveSmtRoot(depth, mirror));
      t.set(a, 0n);
      mirror.delete(a);
      t.set(0n, 7n);
      mirror.set(0n, 7n);
      expect(t.root()).to.equal(naiveSmtRoot(depth, mirror));
      for (const i of indices) expect(t.get(i)).to.equal(mirror.get(i) ?? 0n);
    });

    it("the root does not depend on insertion order (nor on values overwritten on the way)", () => {
      const rng = new Prng("smt order");
      for (const [depth, n] of [[16, 14], [64, 6]]) {
        const entries: [bigint, bigint][] = [];
        while (entries.length < n) {
          const i = randomIndex(rng, depth);
          if (!entries.some(([j]) => j === i)) entries.push([i, rng.field()]);
        }
        const reference = naiveSmtRoot(depth, new Map(entries));
        expect(smtRootOf(depth, entries)).to.equal(reference);
        for (let k = 0; k < 3; k++) {
          const t = new SparseMerkleTree(depth);
          for (const [i, v] of rng.shuffle(entries)) {
            if (rng.int(3) === 0) t.set(i, rng.field()); // a temporary value, overwritten below
            t.set(i, v);
          }
          expect(t.root(), `depth ${depth}, order ${k}`).to.equal(reference);
        }
      }
    });

    it("clone is independent", () => {
      const t = new SparseMerkleTree(8);
      t.set(3n, 33n);
      const c = t.clone();
      c.set(4n, 44n);
      expect(t.get(4n)).to.equal(0n);
      expect(c.get(3n)).to.equal(33n);
      expect(t.root()).to.equal(naiveSmtRoot(8, new Map([[3n, 33n]])));
      expect(c.root()).to.equal(naiveSmtRoot(8, new Map([[3n, 33n], [4n, 44n]])));
    });
  });

  describe("proofs", () => {
    const rng = new Prng("smt proofs");
    const depth = 12;
    const t = new SparseMerkleTree(depth);
    const set: bigint[] = [];
    while (set.length < 10) {
      const i = randomIndex(rng, depth);
      if (!set.includes(i)) set.push(i);
    }
    set.forEach((i) => t.set(i, rng.field()));
    const absent: bigint[] = [];
    while (absent.length < 5) {
      const i = randomIndex(rng, depth);
      if (!set.includes(i) && !absent.includes(i)) absent.push(i);
    }
    absent.push(set[0] ^ 1n); // an empty leaf right next to a set one
    const root = t.root();

    it("membership proofs verify (and agree with the reference computation)", () => {
      for (const i of set) {
        const p = t.proof(i);
        expect(p.index).to.equal(i);
        expect(p.leaf).to.equal(t.get(i));
        expect(p.leaf).to.not.equal(0n);
        expect(p.siblings).to.have.length(depth);
        expect(verifySmtProof(root, p)).to.equal(true);
        expect(rootFrom(p.leaf, i, p.siblings)).to.equal(root);
      }
    });

    it("non-membership proofs (leaf 0) verify", () => {
      for (const i of absent) {
        const p = t.proof(i);
        expect(p.leaf).to.equal(0n);
        expect(verifySmtProof(root, p)).to.equal(true);
        expect(rootFrom(0n, i, p.siblings)).to.equal(root);
      }
    });

    it("tampered proofs fail: leaf, sibling, index, root, length; a set leaf cannot be proven empty", () => {
      for (const i of [set[0], set[5], absent[0], absent[absent.length - 1]]) {
        const p = t.proof(i);
        const bad = (q: Partial<SmtProof>) => verifySmtProof(root, { ...p, siblings: [...p.siblings], ...q });
        expect(bad({ leaf: p.leaf + 1n })).to.equal(false);
        for (let h = 0; h < depth; h++) {
          const s = [...p.siblings];
          s[h] ^= 1n;
          expect(bad({ siblings: s }), `sibling ${h}`).to.equal(false);
        }
        // moving to the sibling leaf only changes the root when the two leaves differ (two empty neighbours are both empty)
        expect(bad({ index: i ^ 1n })).to.equal(p.leaf === p.siblings[0]);
        expect(bad({ index: i ^ (1n << BigInt(depth - 1)) })).to.equal(false);
        expect(bad({ index: i + (1n << BigInt(depth)) })).to.equal(false);
        expect(bad({ siblings: p.siblings.slice(1) })).to.equal(false);
        expect(verifySmtProof(root + 1n, p)).to.equal(false);
      }
      for (const i of set) expect(verifySmtProof(root, { ...t.proof(i), leaf: 0n })).to.equal(false);
    });
  });

  describe("update proofs", () => {
    it("every set returns an update that verifies; tampered updates fail", () => {
      const rng = new Prng("smt updates");
      for (const depth of [8, 64]) {
        const t = new SparseMerkleTree(depth);
        const used: bigint[] = [];
        for (let k = 0; k < 8; k++) {
          // inserts, overwrites and deletes
          const i = used.length > 0 && rng.int(2) === 0 ? rng.pick(used) : randomIndex(rng, depth);
          if (!used.includes(i)) used.push(i);
          const v = k % 4 === 3 ? 0n : rng.field();
          const u = t.set(i, v);
          expect(verifySmtUpdate(u), `depth ${depth} op ${k}`).to.equal(true);
          expect(u.siblings).to.deep.equal(t.proof(i).siblings);
          expect(rootFrom(u.oldLeaf, i, u.siblings)).to.equal(u.oldRoot);
          expect(rootFrom(u.newLeaf, i, u.siblings)).to.equal(u.newRoot);
          const bad = (q: Partial<SmtUpdate>) => verifySmtUpdate({ ...u, ...q });
          expect(bad({ oldLeaf: u.oldLeaf + 1n })).to.equal(false);
          expect(bad({ newLeaf: u.newLeaf + 1n })).to.equal(false);
          expect(bad({ oldRoot: u.oldRoot + 1n })).to.equal(false);
          expect(bad({ newRoot: u.newRoot + 1n })).to.equal(false);
          expect(bad({ index: i ^ 1n })).to.equal(u.oldLeaf === u.siblings[0] && u.newLeaf === u.siblings[0]);
          expect(bad({ index: i ^ (1n << BigInt(depth - 1)) })).to.equal(false);
          const s = [...u.siblings];
          s[depth - 1] += 1n;
          expect(bad({ siblings: s })).to.equal(false);
          expect(bad({ siblings: u.siblings.slice(0, -1) })).to.equal(false);
          // swapping old and new only verifies when nothing changed
          expect(verifySmtUpdate({ ...u, oldLeaf: u.newLeaf, newLeaf: u.oldLeaf })).to.equal(u.oldLeaf === u.newLeaf);
        }
      }
    });
  });

  describe("input checks", () => {
    it("throws RangeError on an index outside the tree", () => {
      const t = new SparseMerkleTree(8);
      for (const i of [-1n, 256n, 1n << 64n]) {
        expect(() => t.get(i), `get ${i}`).to.throw(RangeError);
        expect(() => t.proof(i), `proof ${i}`).to.throw(RangeError);
        expect(() => t.set(i, 1n), `set ${i}`).to.throw(RangeError);
      }
      expect(() => t.get(3 as unknown as bigint)).to.throw(RangeError);
      expect(() => t.get(255n)).to.not.throw();
      const t64 = new SparseMerkleTree(64);
      expect(() => t64.set(1n << 64n, 1n)).to.throw(RangeError);
      expect(() => t64.get((1n << 64n) - 1n)).to.not.throw();
      expect(t.root()).to.equal(ZEROS[8]);
    });

    it("throws FieldError on a value outside the field and leaves the tree unchanged", () => {
      const t = new SparseMerkleTree(8);
      t.set(1n, 1n);
      const r = t.root();
      expect(() => t.set(2n, FIELD_MODULUS)).to.throw(FieldError);
      expect(() => t.set(1n, -1n)).to.throw(FieldError);
      expect(t.root()).to.equal(r);
      expect(t.get(1n)).to.equal(1n);
    });

    it("rejects a depth outside 1..248", () => {
      for (const d of [0, 249, 1.5, -3]) expect(() => new SparseMerkleTree(d), `depth ${d}`).to.throw(RangeError);
      expect(() => new SparseMerkleTree(248)).to.not.throw();
    });
  });

  describe("vectors (test/vectors/smt.json)", () => {
    it("has depth 8 and depth 64 trees", () => {
      expect(loadAllSmtVectors().map((v) => v.depth)).to.deep.equal([8, 64]);
    });

    for (const v of loadAllSmtVectors()) {
      it(`depth ${v.depth}: roots after each operation, final leaves, proofs and update proofs match the model`, () => {
        const t = new SparseMerkleTree(v.depth);
        expect(t.root()).to.equal(v.emptyRoot);
        expect(v.emptyRoot).to.equal(ZEROS[v.depth]);
        const updates = v.operations.map((op, k) => {
          const u = t.set(op.index, op.value);
          expect(u.newRoot, `operation ${k}`).to.equal(op.root);
          return u;
        });
        const final = v.operations[v.operations.length - 1].root;
        expect(v.operations.some((op) => op.value === 0n)).to.equal(true);
        expect(naiveSmtRoot(v.depth, new Map(v.finalLeaves.map((l) => [l.index, l.value])))).to.equal(final);
        for (const l of v.finalLeaves) expect(t.get(l.index)).to.equal(l.value);
        expect(v.membershipProofs.length).to.be.greaterThan(0);
        for (const p of v.membershipProofs) {
          expect(p.leaf).to.not.equal(0n);
          expect(p).to.deep.equal(t.proof(p.index));
          expect(verifySmtProof(final, p)).to.equal(true);
        }
        expect(v.nonMembershipProofs.length).to.be.greaterThan(0);
        for (const p of v.nonMembershipProofs) {
          expect(p.leaf).to.equal(0n);
          expect(p).to.deep.equal(t.proof(p.index));
          expect(verifySmtProof(final, p)).to.equal(true);
        }
        expect(v.updateProofs.length).to.be.greaterThan(0);
        for (const { operation, ...u } of v.updateProofs) {
          expect(u).to.deep.equal(updates[operation]);
          expect(verifySmtUpdate(u)).to.equal(true);
        }
      });
    }
  });
});
