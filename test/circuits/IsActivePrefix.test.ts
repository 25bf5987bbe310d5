import { expect } from "chai";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

describe("circuit IsActivePrefix(4)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    // count public: as a private input only used linearly, --O2 would substitute it by the sum of the flags
    // (then the witness has no count wire, and other flags would just mean another count).
    c = await loadCircuit({ template: "IsActivePrefix", params: [4], publicInputs: ["count"] });
  });

  it("flags exactly the first count entries, for count = 0 .. 4", async () => {
    for (let count = 0; count <= 4; count++) {
      const w = await c.calculateWitness({ count });
      await c.checkConstraints(w);
      expect([0, 1, 2, 3].map((i) => c.readOutput(w, `active[${i}]`))).to.deep.equal([0, 1, 2, 3].map((i) => (i < count ? 1n : 0n)));
    }
  });

  it("bad input: count = 5 (> n) or p - 1 has no witness", async () => {
    await expectNoWitness(c, { count: 5 }, /IsActivePrefix/);
    await expectNoWitness(c, { count: P - 1n }, /IsActivePrefix/);
  });

  it("tampered witness: no other flag vector satisfies the constraints (the hint is pinned)", async () => {
    const w = await c.calculateWitness({ count: 2 });
    // a hole in the prefix with the same sum, a missing flag, an extra flag, a non-binary flag
    await expectConstraintFailure(c, c.tamper(c.tamper(w, "active[1]", 0n), "active[2]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "active[1]", 0n));
    await expectConstraintFailure(c, c.tamper(w, "active[2]", 1n));
    await expectConstraintFailure(c, c.tamper(c.tamper(w, "active[0]", 2n), "active[1]", 0n));
  });

  it("constraint count", () => {
    // n binary + (n - 1) prefix + the sum (kept because count is public here; substituted when it is private)
    expect(c.constraintCount()).to.equal(8);
  });
});
