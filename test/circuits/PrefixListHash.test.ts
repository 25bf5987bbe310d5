import { expect } from "chai";
import { hashList } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

describe("circuit PrefixListHash(3)", function () {
  this.timeout(600_000);
  const rng = new Prng("PrefixListHash");
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "PrefixListHash", params: [3] });
  });

  it("is hashList of the active prefix, for every prefix, with items up to p - 1", async () => {
    const items = [P - 1n, rng.field(), 0n];
    for (let count = 0; count <= 3; count++) {
      const active = [0, 1, 2].map((i) => (i < count ? 1 : 0));
      const w = await c.calculateWitness({ active, items });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "out")).to.equal(hashList(items.slice(0, count)));
    }
  });

  it("bad input: a non-prefix active vector is not refused here (IsActivePrefix is the caller's): it hashes the selected sub-list", async () => {
    const items = [1n, 2n, 3n];
    const w = await c.calculateWitness({ active: [0, 1, 0], items });
    const out = c.readOutput(w, "out");
    expect(out).to.equal(hashList([2n]));
    expect(out).to.not.equal(hashList([1n]));
  });

  it("tampered witness: a changed accumulator violates a constraint", async () => {
    const w = await c.calculateWitness({ active: [1, 1, 0], items: [4n, 5n, 6n] });
    await expectConstraintFailure(c, c.tamper(w, "acc[1]", 0n));
    await expectConstraintFailure(c, c.tamper(w, "out", hashList([4n, 5n, 6n])));
  });

  it("constraint count", () => {
    // 3 x (Poseidon(2) 240), the selections folded into them by --O2
    expect(c.constraintCount()).to.equal(720);
  });
});
