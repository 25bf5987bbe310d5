import { expect } from "chai";
import { SparseMerkleTree } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const DEPTH = 4;
const bitsOf = (i: bigint, n: number) => Array.from({ length: n }, (_, k) => (i >> BigInt(k)) & 1n);

describe("circuit MerkleUpdateBits(4)", function () {
  this.timeout(600_000);
  const rng = new Prng("MerkleUpdateBits");
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "MerkleUpdateBits", params: [DEPTH] });
  });

  it("gives the model's old and new roots for a sequence of updates (SparseMerkleTree.set)", async () => {
    const tree = new SparseMerkleTree(DEPTH);
    for (let k = 0; k < 12; k++) {
      const index = BigInt(rng.int(16));
      const value = k === 5 ? 0n : k === 7 ? P - 1n : rng.field(); // includes a deletion and p - 1
      const u = tree.set(index, value);
      const w = await c.calculateWitness({ pathBits: bitsOf(index, DEPTH), oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "oldRoot")).to.equal(u.oldRoot);
      expect(c.readOutput(w, "newRoot")).to.equal(u.newRoot);
    }
  });

  it("bad input: a non-binary path bit is not refused here (callers decompose indices with Num2Bits) and gives another root", async () => {
    const tree = new SparseMerkleTree(DEPTH);
    const u = tree.set(6n, 9n);
    const w = await c.calculateWitness({ pathBits: [0, 1, 3, 0], oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings });
    expect(c.readOutput(w, "newRoot")).to.not.equal(u.newRoot);
  });

  it("tampered witness: a changed node of either fold violates a constraint", async () => {
    const tree = new SparseMerkleTree(DEPTH);
    tree.set(3n, 4n);
    const u = tree.set(9n, 5n);
    const w = await c.calculateWitness({ pathBits: bitsOf(9n, DEPTH), oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings });
    await expectConstraintFailure(c, c.tamper(w, "before.node[2]", 7n));
    await expectConstraintFailure(c, c.tamper(w, "after.node[3]", 7n));
  });

  it("constraint count", () => {
    // two folds of 4 x (Poseidon(2) 240 + Switcher 1)
    expect(c.constraintCount()).to.equal(1928);
  });
});
