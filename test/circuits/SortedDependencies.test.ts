import { expect } from "chai";
import { CertificateRef, hashDependency } from "../../lib";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const OWN = 2;
const U64 = (1n << 64n) - 1n;

function input(deps: CertificateRef[], active = deps.length, own = OWN) {
  const pad = <T>(xs: T[]) => [...xs, ...new Array(3 - xs.length).fill(0n)];
  return {
    ownNetworkId: own,
    active: [0, 1, 2].map((i) => (i < active ? 1 : 0)),
    networkId: pad(deps.map((d) => BigInt(d.networkId))),
    height: pad(deps.map((d) => d.height)),
    certificateId: pad(deps.map((d) => d.certificateId)),
  };
}

describe("circuit SortedDependencies(3)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "SortedDependencies", params: [3] });
  });

  it("accepts lists sorted by (networkId, height), gives the model's items (hashDependency)", async () => {
    const lists: CertificateRef[][] = [
      [],
      [{ networkId: 1, height: 0n, certificateId: 5n }],
      [{ networkId: 1, height: 4n, certificateId: P - 1n }, { networkId: 1, height: 5n, certificateId: 0n }, { networkId: 3, height: 0n, certificateId: 9n }],
      // field edges: networkId 2^32 - 1, height 2^64 - 1, and a higher network with a lower height
      [{ networkId: 1, height: U64, certificateId: 1n }, { networkId: 3, height: 0n, certificateId: 1n }, { networkId: 2 ** 32 - 1, height: U64, certificateId: 1n }],
    ];
    for (const deps of lists) {
      const w = await c.calculateWitness(input(deps));
      await c.checkConstraints(w);
      deps.forEach((d, j) => expect(c.readOutput(w, `items[${j}]`)).to.equal(hashDependency(d)));
    }
  });

  it("DEPENDENCY_ORDER: unsorted or duplicate (networkId, height) have no witness, even with different ids", async () => {
    const a = { networkId: 1, height: 5n, certificateId: 1n };
    const b = { networkId: 3, height: 2n, certificateId: 2n };
    await expectNoWitness(c, input([b, a]), /SortedDependencies/);
    await expectNoWitness(c, input([a, { ...a, certificateId: 7n }]), /SortedDependencies/);
    await expectNoWitness(c, input([a, { ...a, height: 4n }]), /SortedDependencies/);
    await expectNoWitness(c, input([a, b, { ...b, height: 1n }]), /SortedDependencies/);
  });

  it("L1 (network 0), the network itself, and out-of-range values have no witness", async () => {
    await expectNoWitness(c, input([{ networkId: 0, height: 1n, certificateId: 0n }]), /AssertNonZeroIf/);
    await expectNoWitness(c, input([{ networkId: OWN, height: 1n, certificateId: 1n }]), /AssertNonZeroIf/);
    await expectNoWitness(c, input([{ networkId: 1, height: U64 + 1n, certificateId: 1n }]), /Num2Bits/);
    await expectNoWitness(c, input([{ networkId: 2 ** 32, height: 0n, certificateId: 1n }]), /Num2Bits/);
    await expectNoWitness(c, input([{ networkId: 1, height: P - 1n, certificateId: 1n }]), /Num2Bits/);
  });

  it("a padded entry must be all-zero", async () => {
    const deps = [{ networkId: 1, height: 5n, certificateId: 1n }, { networkId: 4, height: 0n, certificateId: 0n }];
    await expectNoWitness(c, input(deps, 1), /SortedDependencies/);
    const i = input(deps.slice(0, 1));
    await expectNoWitness(c, { ...i, certificateId: [1n, 0n, 3n] }, /SortedDependencies/);
  });

  it("tampered witness: the order flag and the non-zero hints cannot be changed", async () => {
    const w = await c.calculateWitness(input([{ networkId: 1, height: 5n, certificateId: 1n }, { networkId: 3, height: 0n, certificateId: 1n }]));
    await expectConstraintFailure(c, c.tamper(w, "ordered[1].out", 0n));
    await expectConstraintFailure(c, c.tamper(w, "notSelf[1].inv", 5n));
    await expectConstraintFailure(c, c.tamper(w, "items[0]", 1n));
  });

  it("constraint count", () => {
    // per entry: 3 padding + Num2Bits 32 + 64 + 2 non-zero + Poseidon(3) 255; per pair: LessThan(96) 97 + 1
    expect(c.constraintCount()).to.equal(1282);
  });
});
