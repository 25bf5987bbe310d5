import { expect } from "chai";
import { SparseMerkleTree, verifySmtUpdate } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const DEPTH = 8;

describe("circuit MerkleUpdate(8)", function () {
  this.timeout(600_000);
  const rng = new Prng("MerkleUpdate");
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "MerkleUpdate", params: [DEPTH] });
  });

  it("gives the model's roots for updates at 0, 2^8 - 1 and random indices (SmtUpdate)", async () => {
    const tree = new SparseMerkleTree(DEPTH);
    for (const index of [0n, 255n, 0n, 128n, 127n, BigInt(rng.int(256)), 255n]) {
      const u = tree.set(index, index === 127n ? P - 1n : rng.field());
      expect(verifySmtUpdate(u)).to.equal(true);
      const w = await c.calculateWitness({ index, oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "oldRoot")).to.equal(u.oldRoot);
      expect(c.readOutput(w, "newRoot")).to.equal(u.newRoot);
    }
  });

  it("bad input: index 2^8 or p - 1 has no witness", async () => {
    const u = new SparseMerkleTree(DEPTH).set(0n, 1n);
    await expectNoWitness(c, { index: 256, oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings }, /Num2Bits/);
    await expectNoWitness(c, { index: P - 1n, oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings }, /Num2Bits/);
  });

  it("tampered witness: a changed index bit or output violates a constraint", async () => {
    const u = new SparseMerkleTree(DEPTH).set(5n, 1n);
    const w = await c.calculateWitness({ index: 5, oldLeaf: u.oldLeaf, newLeaf: u.newLeaf, siblings: u.siblings });
    await expectConstraintFailure(c, c.tamper(w, "indexBits.out[1]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "newRoot", u.oldRoot));
  });

  it("constraint count", () => {
    // Num2Bits(8) 8 + two folds of 8 x (Poseidon(2) 240 + Switcher 1)
    expect(c.constraintCount()).to.equal(3864);
  });
});
