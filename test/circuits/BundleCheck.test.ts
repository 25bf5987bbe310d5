import { expect } from "chai";
import { TestCircuit, CircuitInput, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { P } from "./fixtures";

const N = 3;

interface Entry { active: bigint; bundleId: bigint; legIndex: bigint; legCount: bigint; success: bigint; participants: bigint }
/** `participants` is the packed list (BundleLegs checks its form; here only equality across a bundle's legs matters). */
const e = (active: number, bundleId: bigint, legIndex: number, legCount: number, success = 1, participants = 0x12n): Entry =>
  ({ active: BigInt(active), bundleId, legIndex: BigInt(legIndex), legCount: BigInt(legCount), success: BigInt(success), participants });
const input = (entries: Entry[]): CircuitInput => ({
  active: entries.map((x) => x.active),
  bundleId: entries.map((x) => x.bundleId),
  legIndex: entries.map((x) => x.legIndex),
  legCount: entries.map((x) => x.legCount),
  success: entries.map((x) => x.success),
  participants: entries.map((x) => x.participants),
});

describe("circuit BundleCheck(3)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "BundleCheck", params: [N] });
  });
  after(terminateCurves);

  it("accepts complete bundles (bundle ids 0 and p - 1 included) and ignores inactive entries", async () => {
    const valid: Entry[][] = [
      // one two-leg bundle, the third entry inactive (garbage, failed)
      [e(1, 7n, 0, 2), e(1, 7n, 1, 2), e(0, 7n, 0, 5, 0)],
      // legs in any order
      [e(1, 7n, 1, 2), e(0, 0n, 0, 0, 0), e(1, 7n, 0, 2)],
      // a three-leg bundle with id p - 1
      [e(1, P - 1n, 2, 3), e(1, P - 1n, 0, 3), e(1, P - 1n, 1, 3)],
      // two bundles: id 0 (two legs) and a one-leg bundle
      [e(1, 0n, 0, 2), e(1, 9n, 0, 1), e(1, 0n, 1, 2)],
      // nothing active
      [e(0, 1n, 0, 0, 0), e(0, 1n, 0, 0, 0), e(0, 1n, 0, 0, 0)],
    ];
    for (const entries of valid) {
      const w = await c.calculateWitness(input(entries));
      await c.checkConstraints(w);
    }
    const w = await c.calculateWitness(input(valid[0]));
    expect(c.readOutput(w, "matched[0][1]")).to.equal(1n);
    expect(c.readOutput(w, "matched[0][2]")).to.equal(0n);
  });

  it("bad input: a missing leg, a duplicate index, mismatched counts, a failed leg, a non-binary active flag", async () => {
    await expectNoWitness(c, input([e(1, 7n, 0, 2), e(0, 7n, 1, 2), e(0, 0n, 0, 0)]), /BundleCheck/);
    await expectNoWitness(c, input([e(1, 7n, 0, 3), e(1, 7n, 1, 3), e(0, 7n, 2, 3)]), /BundleCheck/);
    await expectNoWitness(c, input([e(1, 7n, 0, 2), e(1, 7n, 0, 2), e(0, 0n, 0, 0)]), /AssertNonZeroIf|BundleCheck/);
    await expectNoWitness(c, input([e(1, 7n, 0, 2), e(1, 7n, 1, 3), e(1, 8n, 0, 1)]), /BundleCheck/);
    await expectNoWitness(c, input([e(1, 7n, 0, 2), e(1, 7n, 1, 2, 0), e(0, 0n, 0, 0)]), /BundleCheck/);
    await expectNoWitness(c, input([e(1, 7n, 0, 1), e(0, 0n, 0, 0), e(0, 0n, 0, 0)].map((x, i) => (i === 1 ? { ...x, active: 2n } : x))), /BundleCheck/);
  });

  it("a leg naming other participants than the bundle's other legs (a squatter completing someone else's bundle) has no witness", async () => {
    await expectNoWitness(c, input([e(1, 7n, 0, 2, 1, 0x12n), e(1, 7n, 1, 2, 1, 0x13n), e(0, 0n, 0, 0, 0, 0n)]), /BundleCheck/);
    await expectNoWitness(c, input([e(1, 7n, 2, 3, 1, 5n), e(1, 7n, 0, 3, 1, 5n), e(1, 7n, 1, 3, 1, P - 1n)]), /BundleCheck/);
    // other bundles may name other participants
    const w = await c.calculateWitness(input([e(1, 7n, 0, 2, 1, 0x12n), e(1, 7n, 1, 2, 1, 0x12n), e(1, 8n, 0, 1, 1, 0x3n)]));
    await c.checkConstraints(w);
  });

  it("field edges: active = p - 1 or success = p - 1 has no witness", async () => {
    await expectNoWitness(c, input([{ ...e(1, 7n, 0, 1), active: P - 1n }, e(0, 0n, 0, 0), e(0, 0n, 0, 0)]), /BundleCheck/);
    await expectNoWitness(c, input([{ ...e(1, 7n, 0, 1), success: P - 1n }, e(0, 0n, 0, 0), e(0, 0n, 0, 0)]), /BundleCheck/);
  });

  it("tampered witness: an unmatched pair or a wrong equality flag violates a constraint", async () => {
    const w = await c.calculateWitness(input([e(1, 7n, 0, 2), e(1, 7n, 1, 2), e(1, 8n, 0, 1)]));
    await expectConstraintFailure(c, c.tamper(w, "matched[0][1]", 0n));
    await expectConstraintFailure(c, c.tamper(w, "same[0][2]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "both[0][1]", 0n));
  });

  it("constraint count", () => {
    // + one participants equality per pair i < j
    expect(c.constraintCount()).to.equal(45);
  });
});
