import { expect } from "chai";
import { ExitLeaf, LeafType, hashExitLeaf } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { loadExitLeafVectors } from "../helpers/vectors";
import { P } from "./fixtures";

const inputOf = (l: ExitLeaf) => ({
  leafType: l.leafType,
  originNetwork: l.originNetwork,
  originAddress: l.originAddress,
  destinationNetwork: l.destinationNetwork,
  destinationAddress: l.destinationAddress,
  amount: l.amount,
  metadataHash: l.metadataHash,
});

describe("circuit ExitLeafHash()", function () {
  this.timeout(600_000);
  const rng = new Prng("ExitLeafHash");
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "ExitLeafHash" });
  });

  it("hashes every checked-in leaf vector (test/vectors/exit-leaves.json) and random leaves like the model", async () => {
    const leaves = [...loadExitLeafVectors().map((v) => v.leaf), ...Array.from({ length: 5 }, () => rng.exitLeaf())];
    for (const leaf of leaves) {
      const w = await c.calculateWitness(inputOf(leaf));
      await c.checkConstraints(w);
      expect(c.readOutput(w, "out")).to.equal(hashExitLeaf(leaf));
    }
  });

  it("field edges: every range at its maximum (2^k - 1), zeros, metadataHash p - 1", async () => {
    const max: ExitLeaf = {
      leafType: LeafType.Message,
      originNetwork: 2 ** 32 - 1,
      originAddress: (1n << 160n) - 1n,
      destinationNetwork: 2 ** 32 - 1,
      destinationAddress: (1n << 160n) - 1n,
      amount: (1n << 128n) - 1n,
      metadataHash: P - 1n,
    };
    const zero: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 0, destinationAddress: 0n, amount: 0n, metadataHash: 0n };
    for (const leaf of [max, zero]) {
      const w = await c.calculateWitness(inputOf(leaf));
      await c.checkConstraints(w);
      expect(c.readOutput(w, "out")).to.equal(hashExitLeaf(leaf));
    }
  });

  it("bad input: each field just out of range (2^k, p - 1, leafType 2) has no witness (INVALID_LEAF)", async () => {
    const ok = inputOf(rng.exitLeaf());
    const bad: [keyof typeof ok, bigint][] = [
      ["leafType", 2n],
      ["leafType", P - 1n],
      ["originNetwork", 1n << 32n],
      ["destinationNetwork", 1n << 32n],
      ["originAddress", 1n << 160n],
      ["destinationAddress", 1n << 160n],
      ["amount", 1n << 128n],
      ["amount", P - 1n],
      ["originNetwork", P - 1n],
    ];
    for (const [field, value] of bad) await expectNoWitness(c, { ...ok, [field]: value }, /ExitLeafHash/);
  });

  it("tampered witness: a changed amount bit violates a constraint", async () => {
    const w = await c.calculateWitness(inputOf({ ...rng.exitLeaf(), amount: 6n }));
    await expectConstraintFailure(c, c.tamper(w, "amountBits.out[0]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "out", 1n));
  });

  it("constraint count", () => {
    // leafType 1 + Num2Bits 32 + 32 + 160 + 160 + 128 + Poseidon(4) 297
    expect(c.constraintCount()).to.equal(810);
  });
});
