import { expect } from "chai";
import { ExitTree } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

/** An exit tree of `size` leaves, its root and the append path of slot `size`. */
function treeOf(depth: number, leaves: bigint[]) {
  const t = new ExitTree(depth);
  for (const l of leaves) t.append(l);
  return t;
}

function appendInput(t: ExitTree, n: number, count: number, leaves: bigint[]) {
  return { oldRoot: t.root(), size: t.count, count, leaves: leaves.slice(0, n), siblings: t.appendProof() };
}

describe("circuit ExitTreeAppend", function () {
  this.timeout(600_000);
  const rng = new Prng("ExitTreeAppend");
  let c43: TestCircuit;
  let c81: TestCircuit;
  let c82: TestCircuit;

  before(async () => {
    [c43, c81, c82] = await Promise.all([
      loadCircuit({ template: "ExitTreeAppend", params: [4, 3], publicInputs: ["count"] }),
      loadCircuit({ template: "ExitTreeAppend", params: [8, 1] }),
      loadCircuit({ template: "ExitTreeAppend", params: [8, 2] }),
    ]);
  });

  it("depth 4, n = 3 (window method): every size 0..15 and count 0..3 gives the model's root, or no witness past 2^4 - 1", async () => {
    const all = Array.from({ length: 18 }, () => rng.field());
    for (let size = 0; size <= 15; size++) {
      const t = treeOf(4, all.slice(0, size));
      for (let count = 0; count <= 3; count++) {
        const batch = all.slice(size, size + 3);
        const input = appendInput(t, 3, count, batch);
        if (size + count <= 15) {
          const w = await c43.calculateWitness(input);
          await c43.checkConstraints(w);
          const after = treeOf(4, all.slice(0, size + count));
          expect(c43.readOutput(w, "newRoot"), `size ${size} count ${count}`).to.equal(after.root());
          expect(c43.readOutput(w, "newSize")).to.equal(BigInt(size + count));
        } else {
          await expectNoWitness(c43, input, /Num2Bits|ExitTreeAppend/); // EXIT_TREE_FULL
        }
      }
    }
  });

  it("depth 8, n = 1 (MerkleUpdate) and n = 2 (window): the model's roots, up to the last usable slot 2^8 - 2", async () => {
    const leaves = Array.from({ length: 256 }, () => rng.field());
    for (const size of [0, 1, 2, 3, 127, 128, 200, 253, 254]) {
      const t = treeOf(8, leaves.slice(0, size));
      const w1 = await c81.calculateWitness(appendInput(t, 1, 1, leaves.slice(size)));
      await c81.checkConstraints(w1);
      expect(c81.readOutput(w1, "newRoot")).to.equal(treeOf(8, leaves.slice(0, size + 1)).root());
      if (size + 2 <= 255) {
        const w2 = await c82.calculateWitness(appendInput(t, 2, 2, leaves.slice(size)));
        await c82.checkConstraints(w2);
        expect(c82.readOutput(w2, "newRoot")).to.equal(treeOf(8, leaves.slice(0, size + 2)).root());
      } else {
        await expectNoWitness(c82, appendInput(t, 2, 2, leaves.slice(size)), /Num2Bits/);
      }
    }
    // count 0 leaves the root as it is; leaf values p - 1 and 0 are leaves like any other
    const t = treeOf(8, leaves.slice(0, 9));
    const w = await c82.calculateWitness(appendInput(t, 2, 0, [P - 1n, P - 1n]));
    expect(c82.readOutput(w, "newRoot")).to.equal(t.root());
    const w3 = await c82.calculateWitness(appendInput(t, 2, 2, [P - 1n, 0n]));
    expect(c82.readOutput(w3, "newRoot")).to.equal(treeOf(8, [...leaves.slice(0, 9), P - 1n, 0n]).root());
  });

  it("EXIT_TREE_FULL: no witness for an append that would use slot 2^8 - 1", async () => {
    const t = treeOf(8, Array.from({ length: 254 }, (_, i) => BigInt(i + 1)));
    const full = treeOf(8, Array.from({ length: 255 }, (_, i) => BigInt(i + 1)));
    // 254 + 2 > 255; and appending at size 255 (siblings of slot 255 of the 255-leaf tree)
    await expectNoWitness(c82, appendInput(t, 2, 2, [9n, 9n]), /Num2Bits/);
    const sibs = Array.from({ length: 8 }, (_, h) => (h === 0 ? full.leaf(254) : 0n));
    await expectNoWitness(c81, { oldRoot: full.root(), size: 255, count: 1, leaves: [9n], siblings: sibs }, /Num2Bits|ExitTreeAppend/);
  });

  it("bad input: appending over an occupied slot (a size below the real one), wrong siblings, count > n", async () => {
    const leaves = Array.from({ length: 6 }, () => rng.field());
    const t = treeOf(8, leaves);
    const before = treeOf(8, leaves.slice(0, 4));
    // claim size 4 in the 6-leaf tree, with the 4-leaf tree's path or the real tree's proof of leaf 4
    await expectNoWitness(c82, { oldRoot: t.root(), size: 4, count: 1, leaves: [1n, 0n], siblings: before.appendProof() }, /ExitTreeAppend|MerkleRootBits/);
    await expectNoWitness(c82, { oldRoot: t.root(), size: 4, count: 1, leaves: [1n, 0n], siblings: t.proof(4).siblings }, /ExitTreeAppend|MerkleRootBits/);
    const sibs = t.appendProof();
    sibs[3] = 1n;
    await expectNoWitness(c81, { ...appendInput(t, 1, 1, [5n]), siblings: sibs }, /ExitTreeAppend|MerkleUpdateBits/);
    await expectNoWitness(c82, appendInput(t, 2, 3, [5n, 6n]), /IsActivePrefix/);
  });

  it("tampered witness: a changed window node, mux output or flag violates a constraint", async () => {
    const leaves = Array.from({ length: 8 }, () => rng.field());
    const t = treeOf(4, leaves.slice(0, 5));
    const w = await c43.calculateWitness(appendInput(t, 3, 2, leaves.slice(5)));
    await expectConstraintFailure(c43, c43.tamper(w, "node[4]", 1n));
    await expectConstraintFailure(c43, c43.tamper(w, "left[2]", 1n));
    await expectConstraintFailure(c43, c43.tamper(w, "prefix.active[1]", 0n));
    await expectConstraintFailure(c43, c43.tamper(w, "newRoot", t.root()));
  });

  it("constraint counts: the window beats one update per exit", () => {
    // (4, 3): size/newSize bits 8 + prefix 6 (+1 sum, count public) + emptiness 4 x 241 + masks 3
    //         + 2 + 2 + 2 + 1 window nodes x (240 + 2 muxes)
    expect(c43.constraintCount()).to.equal(2666);
    // (8, 1): bits 16 + prefix 1 + MerkleUpdateBits(8) 3856 + mask 1
    expect(c81.constraintCount()).to.equal(3874);
    // (8, 2): bits 16 + prefix 3 + emptiness 8 x 241 + masks 2 + 7 x 2 + 1 window nodes x (240 + 2)
    expect(c82.constraintCount()).to.equal(5551);
    expect(c82.constraintCount()).to.be.below(2 * 3874);
  });
});
