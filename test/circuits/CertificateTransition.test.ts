/**
 * CertificateTransition as main, on the test instance exitDepth 8, balanceDepth 8, networkBits 2 with
 * (maxImports, maxExits, maxDependencies, maxBundles) = (1, 1, 2, 2) ["C"]: every output (those CertificateProof
 * makes public and the intermediate ones) equals the model's, and the header, dependency and bundle rules (two
 * entries needed) hold.
 */
import { expect } from "chai";
import {
  BuiltCertificate,
  CertificateRef,
  ExitLeaf,
  ImportedExit,
  NetworkState,
  TEST_PARAMS,
  buildCertificate,
  fieldKeccak,
  gasCoin,
  hashBundleLeg,
  hashDependency,
  hashExitLeaf,
  hashImport,
  hashList,
} from "../../lib";
import { CertificateCircuitInput, certificateWitness } from "../../lib/witness";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { ETHER, P, SHAPE_C, SourceNetwork, assetLeaf, certificateSpec, forgeInput, messageLeaf, setEntry } from "./fixtures";

const ME = 2;
const rng = new Prng("CertificateTransition tests");
const user = rng.address();

/** Network 1's first certificate from genesis: no import, exit, dependency or bundle. */
function emptyCertificate(): { built: BuiltCertificate; input: CertificateCircuitInput } {
  const state = new NetworkState(1, TEST_PARAMS);
  const built = buildCertificate(state, { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [], exits: [] });
  return { built, input: certificateWitness(state, built, SHAPE_C) };
}

describe("circuit CertificateTransition(8, 8, 2, 1, 1, 2, 2, 1)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  const l1 = new SourceNetwork(0, TEST_PARAMS, { networkId: 0, height: 9n, certificateId: 0n });
  const n1 = new SourceNetwork(1, TEST_PARAMS, { networkId: 1, height: 4n, certificateId: rng.field() });
  const ethDeposit = l1.add(assetLeaf(gasCoin(0), ME, user, 10n * ETHER));
  const n1Msg = n1.add(messageLeaf(1, rng.address(), ME, user, 3n, fieldKeccak("0x99")));
  const dep3: CertificateRef = { networkId: 3, height: 0n, certificateId: rng.field() };
  const legs = [
    { bundleId: rng.field(), legIndex: 1, legCount: 3, success: true, participants: [1, ME, 3] },
    { bundleId: rng.field(), legIndex: 0, legCount: 1, success: false, participants: [ME] },
  ];
  const genesis = new NetworkState(ME, TEST_PARAMS);

  function build(state: NetworkState, height: bigint, imports: ImportedExit[], exits: ExitLeaf[], extra: { extraDependencies?: CertificateRef[]; bundles?: typeof legs } = {}): BuiltCertificate {
    return buildCertificate(state, { height, newStateRoot: rng.bytes32(), imports, exits, ...extra });
  }

  before(async () => {
    c = await loadCircuit(certificateSpec("CertificateTransition", TEST_PARAMS, SHAPE_C));
  });

  async function expectOutputs(state: NetworkState, built: BuiltCertificate): Promise<bigint[]> {
    const input = certificateWitness(state, built, SHAPE_C);
    const w = await c.calculateWitness(input);
    await c.checkConstraints(w);
    const cert = built.certificate;
    const out = (n: string) => c.readOutput(w, n);
    expect(out("prevStateCommitment")).to.equal(state.commitment());
    expect(out("newStateCommitment")).to.equal(cert.newStateCommitment);
    expect(out("prevLocalExitRoot")).to.equal(cert.prevLocalExitRoot);
    expect(out("newLocalExitRoot")).to.equal(cert.newLocalExitRoot);
    expect(out("newExitCount")).to.equal(BigInt(built.transition.state.exitTree.count));
    expect(out("newBalanceRoot")).to.equal(built.transition.state.balances.root());
    expect(out("newNullifierRoot")).to.equal(built.transition.state.nullifiers.root());
    expect(out("exitsHash")).to.equal(hashList(cert.bridgeExits.map(hashExitLeaf)));
    expect(out("importsHash")).to.equal(hashList(cert.importedExits.map(hashImport)));
    expect(out("dependenciesHash")).to.equal(hashList(cert.dependencies.map(hashDependency)));
    expect(out("bundlesHash")).to.equal(hashList(cert.bundles.map(hashBundleLeg)));
    expect(out("certificateId")).to.equal(built.certificateId);
    expect(out("imp_active[0]")).to.equal(cert.importedExits.length > 0 ? 1n : 0n);
    expect(out("imp_isL1[0]")).to.equal(cert.importedExits.length === 0 || cert.importedExits[0].source.networkId === 0 ? 1n : 0n);
    expect(out("ex_active[0]")).to.equal(cert.bridgeExits.length > 0 ? 1n : 0n);
    expect([0, 1].map((j) => out(`dep_active[${j}]`))).to.deep.equal([0, 1].map((j) => (j < cert.dependencies.length ? 1n : 0n)));
    expect([0, 1].map((k) => out(`bun_active[${k}]`))).to.deep.equal([0, 1].map((k) => (k < cert.bundles.length ? 1n : 0n)));
    return w;
  }

  const cert0 = build(genesis, 0n, [l1.imp(ethDeposit)], [assetLeaf(gasCoin(0), 1, user, ETHER)], { bundles: legs });
  const s1 = cert0.transition.state;
  const cert1 = build(s1, 1n, [n1.imp(n1Msg)], [], { extraDependencies: [dep3] });

  it("every output equals the model: an L1 import, an exit, two bundle legs", async () => {
    await expectOutputs(genesis, cert0);
  });

  it("every output equals the model: an import from a dependency plus an extra dependency (two, sorted)", async () => {
    expect(cert1.certificate.dependencies.map((d) => d.networkId)).to.deep.equal([1, 3]);
    await expectOutputs(s1, cert1);
  });

  it("an empty certificate (network 1's first, nothing imported, exited, depended on or bundled) is valid", async () => {
    const { built, input } = emptyCertificate();
    const w = await c.calculateWitness(input);
    await c.checkConstraints(w);
    expect(c.readOutput(w, "certificateId")).to.equal(built.certificateId);
  });

  it("header: networkId 0 or 2^networkBits, height 2^64, a state-root half of 2^128, counts above capacity have no witness; edges 2^64 - 1 and 2^128 - 1 pass", async () => {
    const input = certificateWitness(s1, cert1, SHAPE_C);
    const ok = async (i: CertificateCircuitInput) => c.checkConstraints(await c.calculateWitness(i));
    await ok({ ...input, height: (1n << 64n) - 1n, newStateRootHi: (1n << 128n) - 1n, newStateRootLo: (1n << 128n) - 1n });
    await expectNoWitness(c, { ...input, height: 1n << 64n }, /Num2Bits/);
    await expectNoWitness(c, { ...input, newStateRootHi: 1n << 128n }, /Num2Bits/);
    await expectNoWitness(c, { ...input, newStateRootLo: P - 1n }, /Num2Bits/);
    await expectNoWitness(c, { ...input, dependencyCount: 3n }, /IsActivePrefix/);
    await expectNoWitness(c, { ...input, bundleCount: P - 1n }, /IsActivePrefix/);
    const empty = emptyCertificate().input;
    await expectNoWitness(c, { ...empty, networkId: 0n }, /AssertNonZeroIf/);
    await expectNoWitness(c, { ...empty, networkId: 4n }, /Num2Bits/);
  });

  it("DEPENDENCY_ORDER, SELF_DEPENDENCY, an L1 dependency have no witness", async () => {
    const imp = n1.imp(n1Msg);
    const forged = (dependencies: CertificateRef[]) => forgeInput(s1, { height: 1n, imports: [imp], exits: [], dependencies }, SHAPE_C);
    await expectNoWitness(c, forged([dep3, n1.ref]), /SortedDependencies/); // unsorted
    await expectNoWitness(c, forged([n1.ref, { ...n1.ref, certificateId: 5n }]), /SortedDependencies/); // duplicate (networkId, height)
    await expectNoWitness(c, forged([n1.ref, { networkId: ME, height: 0n, certificateId: 1n }]), /AssertNonZeroIf.*\n.*SortedDependencies/); // self
    await expectNoWitness(c, forged([{ networkId: 0, height: 9n, certificateId: 0n }, n1.ref]), /AssertNonZeroIf.*\n.*SortedDependencies/); // L1
    await c.checkConstraints(await c.calculateWitness(forged([n1.ref, dep3]))); // the valid order
  });

  it("MISSING_DEPENDENCY: the import's source must be one of the (two) dependencies with the same id", async () => {
    const imp = n1.imp(n1Msg);
    const forged = (dependencies: CertificateRef[]) => forgeInput(s1, { height: 1n, imports: [imp], exits: [], dependencies }, SHAPE_C);
    await expectNoWitness(c, forged([dep3]), /ImportSources/);
    await expectNoWitness(c, forged([{ ...n1.ref, certificateId: n1.ref.certificateId + 1n }, dep3]), /ImportSources/);
    await expectNoWitness(c, forged([{ ...n1.ref, height: 3n }, dep3]), /ImportSources/);
  });

  it("BAD_BUNDLE: a repeated bundle id, legIndex >= legCount have no witness; padded dependency and bundle entries must be zero", async () => {
    const forged = (bundles: typeof legs) => forgeInput(genesis, { imports: [], exits: [], bundles }, SHAPE_C);
    await expectNoWitness(c, forged([legs[0], { ...legs[1], bundleId: legs[0].bundleId }]), /AssertNonZeroIf.*\n.*BundleLegs/);
    await expectNoWitness(c, forged([{ ...legs[0], legIndex: 3 }]), /BundleLegs/);
    const one = certificateWitness(s1, build(s1, 1n, [], [], { extraDependencies: [dep3], bundles: [legs[0]] }), SHAPE_C);
    await c.checkConstraints(await c.calculateWitness(one));
    await expectNoWitness(c, setEntry(one, "dep_certificateId", 1, 1n), /SortedDependencies/);
    await expectNoWitness(c, setEntry(one, "bun_success", 1, 1n), /BundleLegs/);
  });

  it("tampered witness: outputs and the dependency-order flag cannot be changed", async () => {
    const w = await expectOutputs(s1, cert1);
    expect(c.readOutput(w, "newExitCount")).to.equal(1n);
    await expectConstraintFailure(c, c.tamper(w, "newExitCount", 2n));
    await expectConstraintFailure(c, c.tamper(w, "imp_isL1[0]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "dep_active[1]", 0n));
    await expectConstraintFailure(c, c.tamper(w, "deps.ordered[1].out", 0n));
  });

  it("constraint count", () => {
    expect(c.constraintCount()).to.equal(22535);
  });
});
