import { expect } from "chai";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

describe("circuit AssertNonZeroIf()", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "AssertNonZeroIf" });
  });

  it("accepts any non-zero value when enabled (1, p - 1), and anything when disabled", async () => {
    for (const [value, enabled] of [[1n, 1n], [P - 1n, 1n], [0n, 0n], [5n, 0n], [P - 1n, 0n]]) {
      const w = await c.calculateWitness({ in: value, enabled });
      await c.checkConstraints(w);
    }
  });

  it("bad input: 0 when enabled has no witness", async () => {
    await expectNoWitness(c, { in: 0, enabled: 1 }, /AssertNonZeroIf/);
  });

  it("tampered witness: any other inverse violates the constraint", async () => {
    const w = await c.calculateWitness({ in: 7, enabled: 1 });
    await expectConstraintFailure(c, c.tamper(w, "inv", 1n));
    const off = await c.calculateWitness({ in: 7, enabled: 0 });
    expect(c.readOutput(off, "inv")).to.equal(0n);
    await expectConstraintFailure(c, c.tamper(off, "inv", 3n));
  });

  it("constraint count", () => {
    expect(c.constraintCount()).to.equal(1);
  });
});
