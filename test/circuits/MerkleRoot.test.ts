import { expect } from "chai";
import { ExitTree, SparseMerkleTree, computeMerkleRoot, hashExitLeaf } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const DEPTH = 8;

describe("circuit MerkleRoot(8)", function () {
  this.timeout(600_000);
  const rng = new Prng("MerkleRoot");
  let c: TestCircuit;
  const tree = new SparseMerkleTree(DEPTH);
  for (const i of [0n, 1n, 2n, 77n, 128n, 254n, 255n]) tree.set(i, rng.field());

  before(async () => {
    c = await loadCircuit({ template: "MerkleRoot", params: [DEPTH] });
  });

  it("equals the model's root at the index boundaries 0 and 2^8 - 1 and in between", async () => {
    for (const index of [0n, 1n, 77n, 128n, 200n, 255n]) {
      const { leaf, siblings } = tree.proof(index);
      const w = await c.calculateWitness({ leaf, index, siblings });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "root")).to.equal(tree.root());
    }
  });

  it("equals an exit tree's root for its Merkle proofs (lib/exit-tree.ts)", async () => {
    const t = new ExitTree(DEPTH);
    for (let i = 0; i < 5; i++) t.append(hashExitLeaf(rng.exitLeaf()));
    const proof = t.proof(3);
    const w = await c.calculateWitness({ leaf: proof.leaf, index: 3, siblings: proof.siblings });
    expect(c.readOutput(w, "root")).to.equal(t.root());
  });

  it("field edges: leaf and siblings p - 1", async () => {
    const siblings = Array.from({ length: DEPTH }, (_, i) => (i % 2 ? P - 1n : 0n));
    const w = await c.calculateWitness({ leaf: P - 1n, index: 0b10110101, siblings });
    await c.checkConstraints(w);
    expect(c.readOutput(w, "root")).to.equal(computeMerkleRoot(P - 1n, 0b10110101, siblings));
  });

  it("bad input: an index of 2^8 or p - 1 has no witness (Num2Bits(8))", async () => {
    const { leaf, siblings } = tree.proof(0n);
    await expectNoWitness(c, { leaf, index: 256, siblings }, /Num2Bits/);
    await expectNoWitness(c, { leaf, index: P - 1n, siblings }, /Num2Bits/);
  });

  it("tampered witness: a changed path node violates a constraint", async () => {
    const { leaf, siblings } = tree.proof(77n);
    const w = await c.calculateWitness({ leaf, index: 77, siblings });
    await expectConstraintFailure(c, c.tamper(w, "path.node[4]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "root", 0n));
  });

  it("constraint count", () => {
    // Num2Bits(8) 8 + 8 x (Poseidon(2) 240 + Switcher 1)
    expect(c.constraintCount()).to.equal(1936);
  });
});
