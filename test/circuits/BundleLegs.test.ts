import { expect } from "chai";
import { BundleLeg, hashBundleLeg, packParticipants } from "../../lib";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const ME = 5;

function input(legs: BundleLeg[], active = legs.length, networkId = ME) {
  const pad = (xs: bigint[]) => [...xs, ...new Array(3 - xs.length).fill(0n)];
  return {
    networkId,
    active: [0, 1, 2].map((i) => (i < active ? 1 : 0)),
    bundleId: pad(legs.map((b) => b.bundleId)),
    legIndex: pad(legs.map((b) => BigInt(b.legIndex))),
    legCount: pad(legs.map((b) => BigInt(b.legCount))),
    success: pad(legs.map((b) => (b.success ? 1n : 0n))),
    participants: pad(legs.map((b) => packParticipants(b.participants))),
  };
}

describe("circuit BundleLegs(3)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "BundleLegs", params: [3] });
  });

  it("accepts well-formed legs in this network's place, gives the model's items (hashBundleLeg); field edges: 7 legs, ids 2^32 - 1, bundleId p - 1, 0", async () => {
    const MAX = 2 ** 32 - 1;
    const lists: BundleLeg[][] = [
      [],
      [{ bundleId: 7n, legIndex: 0, legCount: 1, success: true, participants: [ME] }],
      [
        { bundleId: P - 1n, legIndex: 6, legCount: 7, success: false, participants: [MAX, MAX, MAX, MAX, MAX, MAX, ME] },
        { bundleId: 0n, legIndex: 1, legCount: 2, success: true, participants: [1, ME] },
        { bundleId: 3n, legIndex: 0, legCount: 3, success: true, participants: [ME, ME, 2] },
      ],
    ];
    for (const legs of lists) {
      const w = await c.calculateWitness(input(legs));
      await c.checkConstraints(w);
      legs.forEach((b, k) => expect(c.readOutput(w, `items[${k}]`)).to.equal(hashBundleLeg(b)));
    }
  });

  it("BAD_BUNDLE: legIndex >= legCount, legCount 0 or 8, success 2, a repeated bundle id have no witness", async () => {
    const ok: BundleLeg = { bundleId: 7n, legIndex: 0, legCount: 2, success: true, participants: [ME, 1] };
    await expectNoWitness(c, input([{ ...ok, legIndex: 2 }]), /BundleLegs/);
    await expectNoWitness(c, input([{ ...ok, legCount: 0 }]), /BundleLegs/);
    await expectNoWitness(c, input([{ ...ok, legIndex: 1, legCount: 8, participants: [1, ME] }]), /Num2Bits|BundleLegs/);
    await expectNoWitness(c, { ...input([ok]), success: [2n, 0n, 0n] }, /BundleLegs/);
    await expectNoWitness(c, input([ok, { ...ok, legIndex: 1, participants: [1, ME] }]), /AssertNonZeroIf/);
    await expectNoWitness(c, { ...input([ok]), legIndex: [P - 1n, 0n, 0n] }, /Num2Bits|BundleLegs/);
  });

  it("a leg in another network's place (the squatted leg), a participant past legCount, a participant over 32 bits have no witness", async () => {
    const ok: BundleLeg = { bundleId: 7n, legIndex: 1, legCount: 2, success: true, participants: [1, ME] };
    await expectNoWitness(c, input([{ ...ok, participants: [ME, 1] }]), /BundleLegs/);
    await expectNoWitness(c, input([ok], 1, 4), /BundleLegs/);
    await expectNoWitness(c, { ...input([ok]), participants: [packParticipants([1, ME, 9]), 0n, 0n] }, /BundleLegs/);
    await expectNoWitness(c, { ...input([ok]), participants: [packParticipants([1, ME]) + (1n << 224n), 0n, 0n] }, /Num2Bits|BundleLegs/);
  });

  it("a padded entry must be all-zero", async () => {
    const i = input([{ bundleId: 7n, legIndex: 0, legCount: 2, success: true, participants: [ME, 1] }]);
    await expectNoWitness(c, { ...i, legCount: [2n, 1n, 0n] }, /BundleLegs/);
    await expectNoWitness(c, { ...i, success: [1n, 0n, 1n] }, /BundleLegs/);
    await expectNoWitness(c, { ...i, participants: [i.participants[0], 5n, 0n] }, /BundleLegs/);
  });

  it("tampered witness: the range flags, the leg selector and the distinctness hint cannot be changed", async () => {
    const w = await c.calculateWitness(input([{ bundleId: 1n, legIndex: 0, legCount: 2, success: true, participants: [ME, 1] }, { bundleId: 2n, legIndex: 1, legCount: 2, success: true, participants: [1, ME] }]));
    await expectConstraintFailure(c, c.tamper(w, "inRange[1].out", 0n));
    await expectConstraintFailure(c, c.tamper(w, "pastEnd[0][1].out", 0n));
    await expectConstraintFailure(c, c.tamper(w, "isLeg[1][0].out", 1n));
    await expectConstraintFailure(c, c.tamper(w, "distinct[1][0].inv", 5n));
  });

  it("constraint count", () => {
    // per entry: 5 padding + success 1 + Num2Bits 3 + 3 + LessThan(3) + 1 + Num2Bits 224 + 7 x (LessThan(3) + 1 + IsEqual + 1)
    // + 1 + Poseidon(5); 3 distinct pairs
    expect(c.constraintCount()).to.equal(1860);
  });
});
