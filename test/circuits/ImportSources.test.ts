import { expect } from "chai";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const deps = { dep_networkId: [1n, 3n], dep_height: [4n, 0n], dep_certificateId: [11n, 33n], dep_exitRoot: [111n, 333n] };

describe("circuit ImportSources(2, 2)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "ImportSources", params: [2, 2] });
  });

  it("accepts imports whose non-L1 source is a dependency, and L1 / padded imports that need none", async () => {
    const cases = [
      { isL1: [0, 0], sourceNetwork: [3, 1], sourceHeight: [0, 4], sourceCertificateId: [33, 11], sourceExitRoot: [333, 111] },
      { isL1: [1, 0], sourceNetwork: [0, 1], sourceHeight: [P - 1n, 4], sourceCertificateId: [0, 11], sourceExitRoot: [5, 111], dep_exitRoot: [111n, 0n] }, // L1: any checkpoint
      { isL1: [1, 1], sourceNetwork: [0, 0], sourceHeight: [0, 0], sourceCertificateId: [0, 0], sourceExitRoot: [0, 0], dep_exitRoot: [0n, 0n] }, // padded
    ];
    for (const imports of cases) {
      const w = await c.calculateWitness({ ...deps, ...imports });
      await c.checkConstraints(w);
    }
  });

  it("the stated exit root of a dependency: an import against another root has no witness; an unused dependency states 0", async () => {
    const base = { isL1: [0, 1], sourceNetwork: [1, 0], sourceHeight: [4, 0], sourceCertificateId: [11, 0], sourceExitRoot: [111, 0] };
    await c.checkConstraints(await c.calculateWitness({ ...deps, ...base, dep_exitRoot: [111n, 0n] }));
    await expectNoWitness(c, { ...deps, ...base, sourceExitRoot: [112, 0], dep_exitRoot: [111n, 0n] }, /ImportSources/);
    await expectNoWitness(c, { ...deps, ...base, dep_exitRoot: [111n, 333n] }, /ImportSources/); // dependency 1 unused, root not 0
    await expectNoWitness(c, { ...deps, ...base, dep_exitRoot: [0n, 0n] }, /ImportSources/); // dependency 0 used: its root
  });

  it("MISSING_DEPENDENCY: a source not among the dependencies (network, height or id differs) has no witness", async () => {
    const one = (sourceNetwork: number, sourceHeight: bigint, id: bigint) => ({ isL1: [0, 1], sourceNetwork: [sourceNetwork, 0], sourceHeight: [sourceHeight, 0n], sourceCertificateId: [id, 0n], sourceExitRoot: [111n, 0n], ...deps, dep_exitRoot: [111n, 0n] });
    await expectNoWitness(c, one(2, 4n, 11n), /ImportSources/);
    await expectNoWitness(c, one(1, 5n, 11n), /ImportSources/);
    await expectNoWitness(c, one(1, 4n, 12n), /ImportSources/);
    // padded dependencies are zeros: a non-L1 source can never match them
    await expectNoWitness(c, { ...one(1, 4n, 11n), dep_networkId: [0n, 0n], dep_height: [0n, 0n], dep_certificateId: [0n, 0n], dep_exitRoot: [0n, 0n] }, /ImportSources/);
  });

  it("tampered witness: a selector pointing at a non-matching dependency, or at one when none is needed, violates a constraint", async () => {
    // import 0 comes from dependency 1, import 1 from L1. (--O2 keeps sel[i][0] and substitutes sel[i][1] by
    // (1 - isL1[i]) - sel[i][0], so moving the selection is tampering sel[i][0].)
    const w = await c.calculateWitness({ isL1: [0, 1], sourceNetwork: [3, 0], sourceHeight: [0, 0], sourceCertificateId: [33, 0], sourceExitRoot: [333, 0], ...deps, dep_exitRoot: [0n, 333n] });
    expect(c.readOutput(w, "sel[0][0]")).to.equal(0n);
    await expectConstraintFailure(c, c.tamper(w, "sel[0][0]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "sel[1][0]", 1n));
  });

  it("constraint count", () => {
    // per (import, dependency): binary + 4 equalities; per dependency: IsZero 2 + its zero root 1
    expect(c.constraintCount()).to.equal(26);
  });
});
