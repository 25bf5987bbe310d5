import { expect } from "chai";
import { hashList } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

describe("circuit ListHash(4)", function () {
  this.timeout(600_000);
  const rng = new Prng("ListHash");
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "ListHash", params: [4] });
  });

  it("is lib/poseidon.ts hashList of the first count items (count 0 .. 4), whatever the padding holds", async () => {
    const items = [rng.field(), P - 1n, 0n, rng.field()];
    for (let count = 0; count <= 4; count++) {
      const padded = items.map((x, i) => (i < count ? x : rng.field()));
      const w = await c.calculateWitness({ count, items: padded });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "out")).to.equal(hashList(items.slice(0, count)));
    }
  });

  it("bad input: count = 5 (> n) or p - 1 has no witness", async () => {
    await expectNoWitness(c, { count: 5, items: [1, 2, 3, 4] }, /IsActivePrefix/);
    await expectNoWitness(c, { count: P - 1n, items: [1, 2, 3, 4] }, /IsActivePrefix/);
  });

  it("tampered witness: a changed accumulator or flag violates a constraint", async () => {
    const w = await c.calculateWitness({ count: 3, items: [1, 2, 3, 4] });
    await expectConstraintFailure(c, c.tamper(w, "list.acc[2]", 0n));
    await expectConstraintFailure(c, c.tamper(w, "list.active[2]", 0n));
  });

  it("constraint count", () => {
    // IsActivePrefix(4) 7 + 4 x (Poseidon(2) 240) + 1 selection kept
    expect(c.constraintCount()).to.equal(968);
  });
});
