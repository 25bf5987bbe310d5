import { expect } from "chai";
import { poseidon } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { P } from "./fixtures";

describe("circuit NetworkLeafHash()", function () {
  this.timeout(600_000);
  const rng = new Prng("NetworkLeafHash");
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "NetworkLeafHash" });
  });
  after(terminateCurves);

  const input = (v: bigint[]) => ({ stateCommitment: v[0], nextHeight: v[1], lastCertificateId: v[2], historyRoot: v[3] });

  it("equals the model's Poseidon(stateCommitment, nextHeight, lastCertificateId, historyRoot), field edges included", async () => {
    const cases: bigint[][] = [
      [0n, 0n, 0n, 0n],
      [P - 1n, P - 1n, P - 1n, P - 1n],
      [P - 1n, 0n, 1n, P - 2n],
      [rng.field(), 7n, rng.field(), rng.field()],
    ];
    for (const v of cases) {
      const w = await c.calculateWitness(input(v));
      await c.checkConstraints(w);
      expect(c.readOutput(w, "leaf")).to.equal(poseidon(v));
    }
    // the inputs are ordered: swapping two changes the leaf
    const v = [1n, 2n, 3n, 4n];
    const w = await c.calculateWitness(input([2n, 1n, 3n, 4n]));
    expect(c.readOutput(w, "leaf")).to.not.equal(poseidon(v));
  });

  it("bad input: a missing or unknown signal has no witness", async () => {
    await expectNoWitness(c, { stateCommitment: 1, nextHeight: 2, lastCertificateId: 3 });
    await expectNoWitness(c, { ...input([1n, 2n, 3n, 4n]), extra: 5 });
  });

  it("tampered witness: a changed leaf or internal Poseidon signal violates a constraint", async () => {
    const w = await c.calculateWitness(input([1n, 2n, 3n, 4n]));
    await expectConstraintFailure(c, c.tamper(w, "leaf", poseidon([1n, 2n, 3n, 5n])));
    const internal = c.signalsMatching(/^main\.Poseidon.*\.ark\[1\]\.out\[1\]$/);
    expect(internal).to.have.length(1);
    await expectConstraintFailure(c, c.tamper(w, internal[0], 12345n));
  });

  it("constraint count", () => {
    // circomlib Poseidon(4) (t = 5)
    expect(c.constraintCount()).to.equal(297);
  });
});
