import { expect } from "chai";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { P } from "./fixtures";

const N = 4;
const oneHot = (i: number) => Array.from({ length: N }, (_, j) => (j === i ? 1n : 0n));
const VALUES = [11n, 0n, P - 1n, 1n << 200n];

describe("circuit SelectBySel(4)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "SelectBySel", params: [N] });
  });
  after(terminateCurves);

  it("selects values[i] for a one-hot selector (values 0 and p - 1 included), 0 for none", async () => {
    for (let i = 0; i < N; i++) {
      const w = await c.calculateWitness({ sel: oneHot(i), values: VALUES });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "out")).to.equal(VALUES[i]);
    }
    const w = await c.calculateWitness({ sel: oneHot(-1), values: VALUES });
    await c.checkConstraints(w);
    expect(c.readOutput(w, "out")).to.equal(0n);
  });

  it("is the dot product mod p for any selector (one-hotness is the caller's)", async () => {
    const sel = [1n, 0n, P - 1n, 2n];
    const w = await c.calculateWitness({ sel, values: VALUES });
    await c.checkConstraints(w);
    const expected = sel.reduce((acc, s, i) => acc + s * VALUES[i], 0n) % P;
    expect(c.readOutput(w, "out")).to.equal(expected);
    expect(expected).to.equal(((11n + 1n + (1n << 201n)) % P + P) % P);
  });

  it("bad input: wrong lengths or a missing signal have no witness", async () => {
    await expectNoWitness(c, { sel: [1, 0, 0], values: VALUES });
    await expectNoWitness(c, { sel: oneHot(0), values: [1, 2, 3, 4, 5] });
    await expectNoWitness(c, { sel: oneHot(0) });
  });

  it("tampered witness: a changed accumulator or output violates a constraint", async () => {
    const w = await c.calculateWitness({ sel: oneHot(1), values: [5, 6, 7, 8] });
    expect(c.readOutput(w, "out")).to.equal(6n);
    await expectConstraintFailure(c, c.tamper(w, "acc[2]", 7n), /acc\[2\]/);
    await expectConstraintFailure(c, c.tamper(w, "out", 5n));
    await expectConstraintFailure(c, c.tamper(w, "sel[1]", 0n));
  });

  it("constraint count", () => {
    // one multiplication per entry
    expect(c.constraintCount()).to.equal(4);
  });
});
