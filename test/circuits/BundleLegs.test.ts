import { expect } from "chai";
import { BundleLeg, hashBundleLeg } from "../../lib";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

function input(legs: BundleLeg[], active = legs.length) {
  const pad = (xs: bigint[]) => [...xs, ...new Array(3 - xs.length).fill(0n)];
  return {
    active: [0, 1, 2].map((i) => (i < active ? 1 : 0)),
    bundleId: pad(legs.map((b) => b.bundleId)),
    legIndex: pad(legs.map((b) => BigInt(b.legIndex))),
    legCount: pad(legs.map((b) => BigInt(b.legCount))),
    success: pad(legs.map((b) => (b.success ? 1n : 0n))),
  };
}

describe("circuit BundleLegs(3)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "BundleLegs", params: [3] });
  });

  it("accepts well-formed legs, gives the model's items (hashBundleLeg); field edges legCount 2^16 - 1, bundleId p - 1, 0", async () => {
    const lists: BundleLeg[][] = [
      [],
      [{ bundleId: 7n, legIndex: 0, legCount: 1, success: true }],
      [
        { bundleId: P - 1n, legIndex: 2 ** 16 - 2, legCount: 2 ** 16 - 1, success: false },
        { bundleId: 0n, legIndex: 1, legCount: 2, success: true },
        { bundleId: 3n, legIndex: 0, legCount: 3, success: true },
      ],
    ];
    for (const legs of lists) {
      const w = await c.calculateWitness(input(legs));
      await c.checkConstraints(w);
      legs.forEach((b, k) => expect(c.readOutput(w, `items[${k}]`)).to.equal(hashBundleLeg(b)));
    }
  });

  it("BAD_BUNDLE: legIndex >= legCount, legCount 0 or 2^16, success 2, a repeated bundle id have no witness", async () => {
    const ok = { bundleId: 7n, legIndex: 0, legCount: 2, success: true };
    await expectNoWitness(c, input([{ ...ok, legIndex: 2 }]), /BundleLegs/);
    await expectNoWitness(c, input([{ ...ok, legCount: 0 }]), /BundleLegs/);
    await expectNoWitness(c, input([{ ...ok, legIndex: 1, legCount: 2 ** 16 }]), /Num2Bits|BundleLegs/);
    await expectNoWitness(c, { ...input([ok]), success: [2n, 0n, 0n] }, /BundleLegs/);
    await expectNoWitness(c, input([ok, { ...ok, legIndex: 1 }]), /AssertNonZeroIf/);
    await expectNoWitness(c, { ...input([ok]), legIndex: [P - 1n, 0n, 0n] }, /Num2Bits|BundleLegs/);
  });

  it("a padded entry must be all-zero", async () => {
    const i = input([{ bundleId: 7n, legIndex: 0, legCount: 2, success: true }]);
    await expectNoWitness(c, { ...i, legCount: [2n, 1n, 0n] }, /BundleLegs/);
    await expectNoWitness(c, { ...i, success: [1n, 0n, 1n] }, /BundleLegs/);
  });

  it("tampered witness: the range flag and the distinctness hint cannot be changed", async () => {
    const w = await c.calculateWitness(input([{ bundleId: 1n, legIndex: 0, legCount: 2, success: true }, { bundleId: 2n, legIndex: 1, legCount: 2, success: true }]));
    await expectConstraintFailure(c, c.tamper(w, "inRange[1].out", 0n));
    await expectConstraintFailure(c, c.tamper(w, "distinct[1][0].inv", 5n));
  });

  it("constraint count", () => {
    // per entry: 4 padding + success 1 + Num2Bits 16 + 16 + LessThan(16) 17 + 1 + Poseidon(4) 297; 3 distinct pairs
    expect(c.constraintCount()).to.equal(1059);
  });
});
