import { expect } from "chai";
import { Certificate, certificateId, hashBundleLeg, hashDependency, hashExitLeaf, hashImport, hashList, poseidon, revisionOf, splitBytes32 } from "../../lib";
import { TestCircuit, expectConstraintFailure, loadCircuit } from "../helpers/circuit";
import { loadCertificateVectors } from "../helpers/vectors";
import { P } from "./fixtures";

function idInputs(c: Certificate) {
  const [hi, lo] = splitBytes32(c.newStateRoot);
  return {
    networkId: c.networkId,
    height: c.height,
    revision: revisionOf(c),
    prevStateCommitment: c.prevStateCommitment,
    newStateCommitment: c.newStateCommitment,
    prevLocalExitRoot: c.prevLocalExitRoot,
    newLocalExitRoot: c.newLocalExitRoot,
    newStateRootHi: hi,
    newStateRootLo: lo,
    exitsHash: hashList(c.bridgeExits.map(hashExitLeaf)),
    importsHash: hashList(c.importedExits.map(hashImport)),
    dependenciesHash: hashList(c.dependencies.map(hashDependency)),
    bundlesHash: hashList(c.bundles.map(hashBundleLeg)),
  };
}

describe("circuit CertificateIdHash()", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "CertificateIdHash" });
  });

  it("gives the id of every checked-in certificate vector (test/vectors/certificates.json)", async () => {
    const vectors = loadCertificateVectors().certificates;
    expect(vectors.length).to.be.greaterThan(0);
    for (const v of vectors) {
      const w = await c.calculateWitness(idInputs(v.certificate));
      await c.checkConstraints(w);
      expect(c.readOutput(w, "out")).to.equal(v.certificateId);
      expect(c.readOutput(w, "out")).to.equal(certificateId(v.certificate));
    }
    // The vectors' rebuild (revision 1).
    const rb = loadCertificateVectors().rebuild;
    const w = await c.calculateWitness(idInputs(rb.certificate));
    expect(c.readOutput(w, "out")).to.equal(rb.rebuilt.certificateId);
  });

  it("field edges: all inputs 0, all p - 1", async () => {
    const names = Object.keys(idInputs(loadCertificateVectors().certificates[0].certificate));
    for (const x of [0n, P - 1n]) {
      const w = await c.calculateWitness(Object.fromEntries(names.map((n) => [n, x])));
      expect(c.readOutput(w, "out")).to.equal(poseidon(new Array(13).fill(x)));
    }
  });

  it("bad input: a pure hash refuses nothing (ranges are CertificateTransition's), but every input changes the id", async () => {
    const base = idInputs(loadCertificateVectors().certificates[0].certificate);
    const ids = new Set<bigint>();
    for (const k of Object.keys(base) as (keyof typeof base)[]) {
      const w = await c.calculateWitness({ ...base, [k]: BigInt(base[k]) + 1n });
      ids.add(c.readOutput(w, "out"));
    }
    expect(ids.size).to.equal(13);
  });

  it("tampered witness: a changed id violates a constraint", async () => {
    const w = await c.calculateWitness(idInputs(loadCertificateVectors().certificates[0].certificate));
    await expectConstraintFailure(c, c.tamper(w, "out", 1n));
  });

  it("constraint count", () => {
    // Poseidon(12)
    expect(c.constraintCount()).to.equal(543);
  });
});
