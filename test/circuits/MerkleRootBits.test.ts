import { expect } from "chai";
import { SparseMerkleTree, computeMerkleRoot } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const DEPTH = 4;
const bitsOf = (i: bigint, n: number) => Array.from({ length: n }, (_, k) => (i >> BigInt(k)) & 1n);

describe("circuit MerkleRootBits(4)", function () {
  this.timeout(600_000);
  const rng = new Prng("MerkleRootBits");
  let c: TestCircuit;
  const tree = new SparseMerkleTree(DEPTH);
  for (let i = 0; i < 10; i++) tree.set(BigInt(rng.int(16)), rng.field());

  before(async () => {
    c = await loadCircuit({ template: "MerkleRootBits", params: [DEPTH] });
  });

  it("folds every leaf of a tree to the model's root", async () => {
    for (let i = 0n; i < 16n; i++) {
      const { leaf, siblings } = tree.proof(i);
      const w = await c.calculateWitness({ leaf, pathBits: bitsOf(i, DEPTH), siblings });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "root")).to.equal(tree.root());
    }
  });

  it("field edges: leaf and siblings p - 1", async () => {
    const siblings = [P - 1n, 0n, P - 1n, 1n];
    const w = await c.calculateWitness({ leaf: P - 1n, pathBits: [1, 0, 1, 1], siblings });
    await c.checkConstraints(w);
    expect(c.readOutput(w, "root")).to.equal(computeMerkleRoot(P - 1n, 0b1101, siblings));
  });

  it("bad input: a non-binary path bit is not refused here (the caller's Num2Bits is) and gives neither orientation's root", async () => {
    const { leaf, siblings } = tree.proof(5n);
    const w = await c.calculateWitness({ leaf, pathBits: [1, 0, 2, 0], siblings });
    const root = c.readOutput(w, "root");
    expect(root).to.not.equal(tree.root());
    expect(root).to.not.equal(computeMerkleRoot(leaf, 0b0001, siblings));
  });

  it("tampered witness: a changed intermediate node violates a constraint", async () => {
    const { leaf, siblings } = tree.proof(3n);
    const w = await c.calculateWitness({ leaf, pathBits: bitsOf(3n, DEPTH), siblings });
    await expectConstraintFailure(c, c.tamper(w, "node[2]", 12345n));
    await expectConstraintFailure(c, c.tamper(w, "root", tree.root() + 1n));
  });

  it("constraint count", () => {
    // 4 levels x (Poseidon(2) 240 + Switcher 1)
    expect(c.constraintCount()).to.equal(964);
  });
});
