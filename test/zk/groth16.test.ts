/**
 * zk/groth16.ts end to end on the pipeline's self-test instance `pipeline_probe` (circuits/PipelineProbe.circom):
 * prove with the native prover (the default) and with snarkjs from the same key, verify in JS against the
 * checked-in vkey, verify on chain with the generated verifier, and check that a tampered public
 * signal fails everywhere. Needs `npm run build:circuits` (npm test runs it first).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { computeMerkleRoot } from "../../lib/exit-tree";
import { FIELD_MODULUS } from "../../lib/field";
import { artifactsFor, prove, ProveResult, terminateCurves, verify } from "../../zk/groth16";

const PROBE = "pipeline_probe";
function split(p: bigint[]) {
  return {
    a: [p[0], p[1]] as [bigint, bigint],
    b: [
      [p[2], p[3]],
      [p[4], p[5]],
    ] as [[bigint, bigint], [bigint, bigint]],
    c: [p[6], p[7]] as [bigint, bigint],
  };
}

describe("zk/groth16 with the pipeline_probe instance", function () {
  this.timeout(300_000);
  const leaf = 123456789n;
  const leafIndex = 11;
  const siblings = [11n, 22n, 33n, 44n];
  const root = computeMerkleRoot(leaf, leafIndex, siblings);
  let res: ProveResult;
  let bySnarkjs: ProveResult;

  before(async () => {
    const a = artifactsFor(PROBE);
    if (!a.zkey) throw new Error(`pipeline_probe is not built (${a.dir}): run npm run build:circuits`);
    res = await prove(PROBE, { root, leafIndex, leaf, siblings });
    bySnarkjs = await prove(PROBE, { root, leafIndex, leaf, siblings }, { engine: "snarkjs" });
  });

  after(async () => {
    await terminateCurves();
  });

  it("artifactsFor names the cached wasm, r1cs, the development zkey and the checked-in vkey", () => {
    const a = artifactsFor(PROBE);
    expect(a.wasm).to.match(/pipeline_probe-[0-9a-f]{16}\/pipeline_probe_js\/pipeline_probe\.wasm$/);
    expect(a.r1cs).to.match(/pipeline_probe-[0-9a-f]{16}\/pipeline_probe\.r1cs$/);
    expect(a.zkey).to.match(/setup-(dev-native-v\d+|file-[0-9a-f]+)\/circuit_final\.zkey$/);
    expect(a.vkey).to.match(/circuits\/keys\/pipeline_probe\.vkey\.json$/);
    expect(a.publicSignalNames).to.deep.equal(["root", "leafIndex"]);
  });

  it("proves natively by default, and snarkjs proves with the same key: both verify, with the same public signals", async () => {
    expect(res.engine).to.equal("native");
    expect(res.native!.nConstraints).to.equal(972);
    expect(bySnarkjs.engine).to.equal("snarkjs");
    expect(bySnarkjs.publicSignals).to.deep.equal(res.publicSignals);
    expect(await verify(PROBE, bySnarkjs.publicSignals, bySnarkjs.proof)).to.equal(true);
    // Groth16 proofs are randomized: two proofs of one statement differ.
    expect(bySnarkjs.proof.pi_a).to.not.deep.equal(res.proof.pi_a);
  });

  it("proves: public signals are [root, leafIndex], the Solidity proof has 8 words below the base field", () => {
    expect(res.publicSignals).to.deep.equal([root.toString(), String(leafIndex)]);
    expect(res.solidityProof).to.have.length(8);
    for (const w of res.solidityProof) expect(w > 0n && w < 2n ** 254n).to.equal(true);
    expect(res.ms).to.be.greaterThan(0);
    expect(res.ms).to.be.closeTo(res.witnessMs + res.proveMs, 1e-6);
  });

  it("verifies in JS; a tampered public signal or proof does not", async () => {
    expect(await verify(PROBE, res.publicSignals, res.proof)).to.equal(true);
    expect(await verify(PROBE, [(root + 1n).toString(), String(leafIndex)], res.proof)).to.equal(false);
    expect(await verify(PROBE, [root.toString(), String(leafIndex + 1)], res.proof)).to.equal(false);
    const bad = { ...res.proof, pi_c: [...res.proof.pi_c] };
    [bad.pi_c[0], bad.pi_c[1]] = [res.proof.pi_a[0], res.proof.pi_a[1]];
    expect(await verify(PROBE, res.publicSignals, bad)).to.equal(false);
  });

  it("refuses a witness that does not satisfy the circuit (wrong root)", async () => {
    let err: Error | null = null;
    const { log, error } = console; // the witness calculator prints the failed assert; keep the test output clean
    console.log = console.error = () => undefined;
    try {
      await prove(PROBE, { root: root + 1n, leafIndex, leaf, siblings });
    } catch (e) {
      err = e as Error;
    } finally {
      Object.assign(console, { log, error });
    }
    expect(err, "proving a false statement must fail").to.not.equal(null);
    expect(err!.message).to.match(/Assert Failed|Error in template PipelineProbe/);
  });

  it("verifies on chain with the generated PipelineProbeVerifier; tampered inputs fail", async () => {
    const verifier = await ethers.deployContract("PipelineProbeVerifier");
    const { a, b, c } = split(res.solidityProof);
    const pub = res.publicSignals.map(BigInt) as [bigint, bigint];
    expect(await verifier.verifyProof(a, b, c, pub)).to.equal(true);
    expect(await verifier.verifyProof(a, b, c, [pub[0] + 1n, pub[1]])).to.equal(false);
    expect(await verifier.verifyProof(a, b, c, [pub[0], pub[1] + 1n])).to.equal(false);
    // not a field element: rejected (false), even though it is congruent to the real signal
    expect(await verifier.verifyProof(a, b, c, [pub[0] + FIELD_MODULUS, pub[1]])).to.equal(false);
    const s = split(bySnarkjs.solidityProof);
    expect(await verifier.verifyProof(s.a, s.b, s.c, pub), "snarkjs's proof with the native development key").to.equal(true);
    const gas = await verifier.verifyProof.estimateGas(a, b, c, pub);
    console.log(`      PipelineProbeVerifier.verifyProof (2 public inputs): ~${gas} gas (estimate incl. 21k base)`);
  });
});
