import { expect } from "chai";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { P } from "./fixtures";

const N = 4;
const oneHot = (i: number) => Array.from({ length: N }, (_, j) => (j === i ? 1n : 0n));

describe("circuit OneHot(4)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "OneHot", params: [N] });
  });
  after(terminateCurves);

  it("outputs the selected index when enabled, 0 when none is selected and disabled", async () => {
    for (let i = 0; i < N; i++) {
      const w = await c.calculateWitness({ sel: oneHot(i), enabled: 1 });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "index")).to.equal(BigInt(i));
    }
    const w = await c.calculateWitness({ sel: oneHot(-1), enabled: 0 });
    await c.checkConstraints(w);
    expect(c.readOutput(w, "index")).to.equal(0n);
  });

  it("bad input: two selected, none selected when enabled, one selected when disabled, a non-binary entry", async () => {
    await expectNoWitness(c, { sel: [1, 1, 0, 0], enabled: 1 }, /OneHot/);
    await expectNoWitness(c, { sel: oneHot(-1), enabled: 1 }, /OneHot/);
    await expectNoWitness(c, { sel: oneHot(2), enabled: 0 }, /OneHot/);
    await expectNoWitness(c, { sel: [2, 0, 0, 0], enabled: 2 }, /OneHot/);
  });

  it("field edges: p - 1 (= -1) is not binary, neither as entry nor (balancing the sum) as enabled", async () => {
    // sum = (p - 1) + 1 + 1 = 1 mod p, yet sel[0] is not binary
    await expectNoWitness(c, { sel: [P - 1n, 1n, 1n, 0n], enabled: 1 }, /OneHot/);
    await expectNoWitness(c, { sel: oneHot(-1), enabled: P - 1n }, /OneHot/);
    await expectNoWitness(c, { sel: oneHot(3), enabled: P - 1n }, /OneHot/);
  });

  it("tampered witness: a non-binary entry or a changed index violates a constraint", async () => {
    // Standalone, --O2 substitutes sel[3] (from index) and enabled (from the sum) away, so `sum === enabled` has
    // no wire of its own here: a second 1 is caught by the witness generator above, not by tampering a wire.
    expect(c.hasWire("enabled")).to.equal(false);
    const w = await c.calculateWitness({ sel: oneHot(2), enabled: 1 });
    await expectConstraintFailure(c, c.tamper(w, "sel[0]", 2n));
    await expectConstraintFailure(c, c.tamper(w, "sel[1]", P - 1n));
    await expectConstraintFailure(c, c.tamper(w, "index", 1n));
  });

  it("constraint count", () => {
    // n binary checks; the sum and the index are linear (--O2 substitutes sel[n-1] and enabled away)
    expect(c.constraintCount()).to.equal(4);
  });
});
