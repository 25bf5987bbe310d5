/**
 * The native prover (prover/, zk/native.ts) on real circuits, through the files it shares with snarkjs:
 *   - its proofs verify with snarkjs and with the generated Solidity verifier (certificate_test, on chain);
 *   - it proves with a key snarkjs made over a powers of tau (the ZK_PTAU_FILE route of production keys);
 *   - every refusal has its kind and writes nothing: a witness that violates a constraint (the WASM's own
 *     asserts bypassed by editing a valid witness file), the witness or the key of another circuit, a key whose
 *     points were tampered with, truncated files, a missing file.
 * Needs `npm run build:circuits` (npm test runs it first).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toBeHex } from "ethers";
import { DEVNET_PARAMS, NetworkState, buildCertificate, certificatePublicSignals, computeMerkleRoot } from "../../lib";
import { certificateWitness } from "../../lib/witness";
import { readPtauHeader, readR1csHeader, sectionTable } from "../../zk/binfile";
import { artifactsFor, calculateWitness, Groth16Proof, proveWitness, solidityProofOf, terminateCurves, verify } from "../../zk/groth16";
import { NativeErrorKind, nativeProve, NativeProverError, nativeSetup } from "../../zk/native";
import { certificateShapeOf, chooseSetup, getInstance } from "../../zk/registry";
import { snarkjs } from "../../zk/snarkjs";

const PROBE = "pipeline_probe";
const CERT = "certificate_test";

describe("zk/native: the native Groth16 prover", function () {
  this.timeout(300_000);
  let dir: string;
  let probeWtns: string;
  let certWtns: string;
  let certificateId: bigint;
  let signals: bigint[];

  const out = (name: string) => ({ proof: path.join(dir, `${name}.proof.json`), public: path.join(dir, `${name}.public.json`) });
  const files = (instance: string, wtns: string, name: string, over: Partial<{ zkey: string; r1cs: string }> = {}) => {
    const a = artifactsFor(instance);
    return { zkey: a.zkey!, r1cs: a.r1cs, wtns, ...out(name), ...over };
  };

  /** Runs the prover expecting a refusal of `kind`; checks that it wrote neither output file. */
  async function refused(f: ReturnType<typeof files>, kind: NativeErrorKind, message: RegExp): Promise<NativeProverError> {
    const err = await nativeProve(f).then(
      () => expect.fail(`expected a ${kind} error`),
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(NativeProverError);
    const e = err as NativeProverError;
    expect(e.kind, e.message).to.equal(kind);
    expect(e.message).to.match(message);
    expect(fs.existsSync(f.proof), "no proof file").to.equal(false);
    expect(fs.existsSync(f.public), "no public-signals file").to.equal(false);
    expect(fs.readdirSync(dir).filter((n) => n.includes(".tmp-")), "no temporary file left").to.deep.equal([]);
    return e;
  }

  /** A copy of `file` with `edit` applied to its bytes. */
  function edited(file: string, name: string, edit: (b: Buffer) => Buffer | void): string {
    const b = fs.readFileSync(file);
    const copy = path.join(dir, name);
    fs.writeFileSync(copy, edit(b) ?? b);
    return copy;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zk-native-test-"));
    const leaf = 42n;
    const siblings = [1n, 2n, 3n, 4n];
    probeWtns = path.join(dir, "probe.wtns");
    await calculateWitness(PROBE, { root: computeMerkleRoot(leaf, 5, siblings), leafIndex: 5, leaf, siblings }, probeWtns);
    const state = new NetworkState(1, DEVNET_PARAMS);
    const built = buildCertificate(state, { height: 0n, newStateRoot: toBeHex(7, 32), imports: [], exits: [] });
    certificateId = built.certificateId;
    certWtns = path.join(dir, "cert.wtns");
    const shape = certificateShapeOf(CERT);
    signals = certificatePublicSignals(built.certificate, built.certificateId, shape);
    await calculateWitness(CERT, certificateWitness(state, built, shape) as unknown as Record<string, unknown>, certWtns);
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await terminateCurves();
  });

  it("proves certificate_test: snarkjs and CertificateTestVerifier on chain accept the proof, and refuse a changed public signal", async () => {
    const f = files(CERT, certWtns, "cert");
    const figures = await nativeProve(f);
    // the prover reports the circuit's own size (the pinned count lives in the circuit tests)
    expect(figures).to.include({ nConstraints: readR1csHeader(f.r1cs).nConstraints });
    expect(figures.peakRssKb).to.be.greaterThan(0);
    const proof = JSON.parse(fs.readFileSync(f.proof, "utf8")) as Groth16Proof;
    const pub = JSON.parse(fs.readFileSync(f.public, "utf8")) as string[];
    expect(pub).to.deep.equal(signals.map(String));
    expect(await verify(CERT, pub, proof)).to.equal(true);
    expect(await verify(CERT, [(certificateId + 1n).toString(), ...pub.slice(1)], proof)).to.equal(false);
    const verifier = await ethers.deployContract("CertificateTestVerifier");
    const w = solidityProofOf(proof);
    const a: [bigint, bigint] = [w[0], w[1]];
    const b: [[bigint, bigint], [bigint, bigint]] = [[w[2], w[3]], [w[4], w[5]]];
    const c: [bigint, bigint] = [w[6], w[7]];
    expect(await verifier.verifyProof(a, b, c, signals)).to.equal(true);
    expect(await verifier.verifyProof(a, b, c, [certificateId + 1n, ...signals.slice(1)])).to.equal(false);
  });

  it("refuses a witness that violates a constraint (edited after the witness calculator), naming the constraint", async () => {
    const sec = sectionTable(probeWtns, "wtns").get(2)!;
    for (const wire of [1, 7, 500]) {
      // wire 1 is the public root; the others private signals of the Merkle path
      const bad = edited(probeWtns, `tampered-${wire}.wtns`, (b) => {
        b[sec.offset + wire * 32] ^= 1;
      });
      await refused(files(PROBE, bad, `tampered-${wire}`), "unsatisfied", /does not satisfy constraint \d+ of 972/);
    }
  });

  it("refuses the witness of another circuit and the key of another circuit", async () => {
    const certWires = readR1csHeader(artifactsFor(CERT).r1cs).nWires;
    const probeWires = readR1csHeader(artifactsFor(PROBE).r1cs).nWires;
    expect(certWires).to.not.equal(probeWires);
    await refused(
      files(PROBE, certWtns, "wrong-witness"),
      "mismatch",
      new RegExp(`witness has ${certWires} values, the circuit has ${probeWires} wires`),
    );
    await refused(files(PROBE, probeWtns, "wrong-key", { zkey: artifactsFor(CERT).zkey! }), "mismatch", /proving key .* is not for the circuit/);
  });

  it("refuses a key whose points were tampered with (valid curve points, wrong ones): the proof would not verify", async () => {
    const zkey = artifactsFor(PROBE).zkey!;
    const a = sectionTable(zkey, "zkey").get(5)!; // A: one G1 point (64 bytes) per wire
    const bad = edited(zkey, "swapped.zkey", (b) => {
      // swap two distinct points of A
      const [i, j] = [10, 11].map((k) => a.offset + k * 64);
      const pi = Buffer.from(b.subarray(i, i + 64));
      expect(pi.equals(b.subarray(j, j + 64))).to.equal(false);
      b.copy(b, i, j, j + 64);
      pi.copy(b, j);
    });
    await refused(files(PROBE, probeWtns, "swapped", { zkey: bad }), "proof-invalid", /does not verify against the proving key/);
    const offCurve = edited(zkey, "off-curve.zkey", (b) => {
      b[a.offset + 10 * 64 + 40] ^= 1;
    });
    await refused(files(PROBE, probeWtns, "off-curve", { zkey: offCurve }), "malformed", /section 5 \(A\) holds a point that is not on the curve/);
  });

  it("refuses truncated files and a missing one", async () => {
    const cut = (file: string, name: string, keep: number) => edited(file, name, (b) => b.subarray(0, Math.floor(b.length * keep)));
    const a = artifactsFor(PROBE);
    await refused(files(PROBE, probeWtns, "short-key", { zkey: cut(a.zkey!, "short.zkey", 0.6) }), "malformed", /truncated/);
    await refused(files(PROBE, cut(probeWtns, "short.wtns", 0.5), "short-wtns"), "malformed", /truncated/);
    await refused(files(PROBE, probeWtns, "short-r1cs", { r1cs: cut(a.r1cs, "short.r1cs", 0.7) }), "malformed", /truncated|ends early/);
    await refused(files(PROBE, path.join(dir, "missing.wtns"), "missing"), "io", /missing\.wtns/);
    await refused(files(PROBE, probeWtns, "not-a-key", { zkey: probeWtns }), "malformed", /not a \.zkey file/);
  });

  it("the development setup is deterministic and refuses what is not a circuit", async () => {
    const a = artifactsFor(PROBE);
    const again = path.join(dir, "again.zkey");
    const f = await nativeSetup(a.r1cs, again);
    expect(f).to.include({ nVars: 978, nPublic: 2, nConstraints: 972, domainSize: 1024 });
    expect(fs.readFileSync(again).equals(fs.readFileSync(a.zkey!)), "same circuit and seed: the cached key, byte for byte").to.equal(true);
    const other = path.join(dir, "other-seed.zkey");
    await nativeSetup(a.r1cs, other, "another public seed");
    expect(fs.readFileSync(other).equals(fs.readFileSync(again))).to.equal(false);
    const err = await nativeSetup(probeWtns, path.join(dir, "x.zkey")).then(() => null, (e: Error) => e);
    expect(err).to.be.instanceOf(NativeProverError).and.include({ kind: "malformed" });
    expect(fs.existsSync(path.join(dir, "x.zkey"))).to.equal(false);
  });

  it("proves with a key snarkjs made over a powers of tau (the ZK_PTAU_FILE route), and its proof verifies with snarkjs", async function () {
    const sj = snarkjs();
    const curve = await sj.curves.getCurveFromName("bn128");
    const p0 = path.join(dir, "pot10_0.ptau");
    const p1 = path.join(dir, "pot10_1.ptau");
    const ptau = path.join(dir, "pot10.ptau");
    await sj.powersOfTau.newAccumulator(curve, 10, p0);
    await sj.powersOfTau.beacon(p0, p1, "test", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 10);
    await sj.powersOfTau.preparePhase2(p1, ptau);
    expect(readPtauHeader(ptau)).to.include({ power: 10, prepared: true });
    expect(chooseSetup(getInstance(PROBE), { nWires: 978, nPubOut: 0, nPubIn: 2, nPrvIn: 5, nLabels: 0, nConstraints: 972 }, { ZK_PTAU_FILE: ptau })).to.include({ kind: "file", power: 10 });
    const a = artifactsFor(PROBE);
    const z0 = path.join(dir, "snarkjs_0.zkey");
    const zkey = path.join(dir, "snarkjs.zkey");
    await sj.zKey.newZKey(a.r1cs, ptau, z0);
    await sj.zKey.beacon(z0, zkey, "test phase 2", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 10);
    const vk = await sj.zKey.exportVerificationKey(zkey);
    const f = files(PROBE, probeWtns, "snarkjs-key", { zkey });
    await nativeProve(f);
    const proof = JSON.parse(fs.readFileSync(f.proof, "utf8"));
    const pub = JSON.parse(fs.readFileSync(f.public, "utf8"));
    expect(await sj.groth16.verify(vk, pub, proof)).to.equal(true);
    expect(await verify(PROBE, pub, proof), "not a proof for the development key").to.equal(false);
  });

  it("zk/groth16 proveWitness runs both engines on one witness file", async () => {
    const n = await proveWitness(CERT, certWtns);
    const s = await proveWitness(CERT, certWtns, { engine: "snarkjs" });
    expect([n.engine, s.engine]).to.deep.equal(["native", "snarkjs"]);
    expect(n.publicSignals).to.deep.equal(s.publicSignals);
    for (const r of [n, s]) expect(await verify(CERT, r.publicSignals, r.proof)).to.equal(true);
  });
});
