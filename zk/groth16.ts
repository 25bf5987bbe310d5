/**
 * Groth16 proving and verification for the circuit instances of circuits/instances.json.
 *
 * Proving: the witness from the circuit's WASM witness calculator (snarkjs `wtns.calculate`), then the
 * native prover (zk/native.ts) by default; `engine: "snarkjs"` proves with snarkjs instead (benchmarks, and
 * the cross-check that both provers take the same keys). Artifacts come from the build cache
 * (`npm run build:circuits`; ZK_CACHE_DIR, default ~/.cache/zk-agglayer): the witness generator (.wasm), the
 * circuit (.r1cs, which the native prover checks the witness against) and the proving key (.zkey).
 *
 * Verification needs only the verification key: the checked-in circuits/keys/<instance>.vkey.json, or for
 * production instances (nothing exported) the one next to the cached key.
 *
 * DEVELOPMENT KEYS: every key of this repo comes from the native prover's deterministic setup, whose trapdoor
 * is public (docs/circuits.md); proofs verifying against them mean nothing outside tests and devnets.
 *
 * snarkjs starts bn128 worker threads (for verification) that keep Node alive: call terminateCurves() when
 * done (e.g. in after()).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nativeProve, NativeProveFigures } from "./native";
import {
  chooseSetup,
  getInstance,
  Instance,
  instanceHash,
  instancePaths,
  isExported,
  readCompileRecord,
  setupPaths,
  vkeyFile,
} from "./registry";
import { snarkjs, terminateCurves as terminate } from "./snarkjs";

export interface Artifacts {
  instance: Instance;
  /** Cache directory of the instance's current version (<cache>/circuits/<instance>-<hash>). */
  dir: string;
  hash: string;
  r1cs: string;
  wasm: string;
  /** null for instances without a setup ("setup": false) or not compiled yet. */
  zkey: string | null;
  /** Verification key: checked in (circuits/keys/<instance>.vkey.json), or the cached one of a production instance. */
  vkey: string;
  /** Names of the public signals in order, when compiled. */
  publicSignalNames: string[] | null;
}

/** Paths of an instance's artifacts. Cheap (hashes the sources); does not check that they exist. */
export function artifactsFor(name: string): Artifacts {
  const instance = getInstance(name);
  const hash = instanceHash(instance);
  const p = instancePaths(instance, hash);
  const compiled = readCompileRecord(p);
  const setup = compiled && instance.setup ? setupPaths(p, chooseSetup(instance, compiled.r1cs)) : null;
  return {
    instance,
    dir: p.dir,
    hash,
    r1cs: p.r1cs,
    wasm: p.wasm,
    zkey: setup?.zkey ?? null,
    vkey: isExported(instance) || !setup ? vkeyFile(instance) : setup.vkey,
    publicSignalNames: compiled?.publicSignalNames ?? null,
  };
}

/** snarkjs Groth16 proof object (pi_a, pi_b, pi_c as decimal strings). */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

export type ProvingEngine = "native" | "snarkjs";

export interface ProveOptions {
  /** Default "native". */
  engine?: ProvingEngine;
  /** Kills the native prover (a witness calculation in progress runs to its end). */
  signal?: AbortSignal;
}

export interface ProveResult {
  proof: Groth16Proof;
  /** Public signals in circuit order, decimal strings. */
  publicSignals: string[];
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as the Solidity verifiers take them (b's coordinates swapped). */
  solidityProof: bigint[];
  /** Witness generation + proving time. */
  ms: number;
  witnessMs: number;
  proveMs: number;
  engine: ProvingEngine;
  /** The native prover's own figures (load, witness check, QAP, MSM, self-verification, peak memory). */
  native?: NativeProveFigures;
}

/** Input signal values: numbers, bigints or decimal strings, nested arrays for array signals. */
export type CircuitInput = Record<string, unknown>;

function requireFile(file: string | null, what: string, name: string): string {
  if (!file || !fs.existsSync(file)) {
    throw new Error(`${what} of circuit instance "${name}" is missing (${file ?? "not set up"}): run npm run build:circuits${getInstance(name).production ? ` -- --only ${name}` : ""}`);
  }
  return file;
}

const stringify = (v: unknown): unknown =>
  typeof v === "bigint" ? v.toString() : Array.isArray(v) ? v.map(stringify) : v;

interface WitnessCalculator {
  calculateWTNSBin(input: unknown, sanityCheck: number): Promise<Uint8Array>;
}
/** One compiled witness calculator per circuit file and version: a prover worker computes many witnesses. */
const calculators = new Map<string, Promise<WitnessCalculator>>();

function witnessCalculator(wasm: string): Promise<WitnessCalculator> {
  const key = `${wasm}:${fs.statSync(wasm).mtimeMs}`;
  let wc = calculators.get(key);
  if (!wc) {
    // circom's runtime for its WASM witness generators (what snarkjs's wtns.calculate uses)
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { WitnessCalculatorBuilder } = require("circom_runtime");
    wc = WitnessCalculatorBuilder(fs.readFileSync(wasm)) as Promise<WitnessCalculator>;
    calculators.set(key, wc);
  }
  return wc;
}

/** Runs the circuit's witness calculator; throws (e.g. "Assert Failed") when the input violates an assertion. */
export async function calculateWitness(name: string, input: CircuitInput, wtnsFile: string): Promise<void> {
  const a = artifactsFor(name);
  const wasm = requireFile(a.wasm, "witness generator (.wasm)", name);
  const args: CircuitInput = {};
  for (const [k, v] of Object.entries(input)) args[k] = stringify(v);
  let bin: Uint8Array;
  try {
    bin = await (await witnessCalculator(wasm)).calculateWTNSBin(args, 0);
  } catch (e) {
    // A failed calculation (a trap inside the WASM) may leave the instance unusable: start the next one afresh.
    calculators.clear();
    throw e;
  }
  fs.writeFileSync(wtnsFile, bin);
}

/** Proves an already computed witness file (no witness calculation): for the benchmarks. */
export async function proveWitness(name: string, wtnsFile: string, o: ProveOptions = {}): Promise<Omit<ProveResult, "ms" | "witnessMs">> {
  const a = artifactsFor(name);
  if (!a.instance.setup) throw new Error(`instance "${name}" has no setup ("setup": false in circuits/instances.json)`);
  const zkey = requireFile(a.zkey, "proving key (.zkey)", name);
  const engine = o.engine ?? "native";
  const t0 = performance.now();
  if (engine === "snarkjs") {
    const { proof, publicSignals } = await snarkjs().groth16.prove(zkey, wtnsFile);
    return { proof, publicSignals, solidityProof: solidityProofOf(proof), proveMs: performance.now() - t0, engine };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zk-proof-"));
  try {
    const files = { zkey, r1cs: requireFile(a.r1cs, "circuit (.r1cs)", name), wtns: wtnsFile, proof: path.join(dir, "proof.json"), public: path.join(dir, "public.json") };
    const native = await nativeProve(files, { signal: o.signal });
    const proof = JSON.parse(fs.readFileSync(files.proof, "utf8")) as Groth16Proof;
    const publicSignals = JSON.parse(fs.readFileSync(files.public, "utf8")) as string[];
    return { proof, publicSignals, solidityProof: solidityProofOf(proof), proveMs: performance.now() - t0, engine, native };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function prove(name: string, input: CircuitInput, o: ProveOptions = {}): Promise<ProveResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zk-witness-"));
  try {
    const wtns = path.join(dir, "witness.wtns");
    const t0 = performance.now();
    await calculateWitness(name, input, wtns);
    const witnessMs = performance.now() - t0;
    const r = await proveWitness(name, wtns, o);
    return { ...r, witnessMs, ms: witnessMs + r.proveMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The 8 proof words in the order the generated Solidity verifiers and the batch verifier (BatchGroth16) take them. */
export function solidityProofOf(proof: Groth16Proof): bigint[] {
  const { pi_a: a, pi_b: b, pi_c: c } = proof;
  // The EVM's pairing precompile takes G2 coordinates as (c1, c0): b's pairs are swapped.
  return [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]].map((x) => BigInt(x));
}

const vkeys = new Map<string, unknown>();

/** Verifies against the instance's verification key (Artifacts.vkey) with snarkjs. */
export async function verify(name: string, publicSignals: (string | bigint)[], proof: Groth16Proof): Promise<boolean> {
  let vk = vkeys.get(name);
  if (!vk) {
    const file = requireFile(artifactsFor(name).vkey, "verification key", name);
    vk = JSON.parse(fs.readFileSync(file, "utf8"));
    vkeys.set(name, vk);
  }
  return snarkjs().groth16.verify(vk, publicSignals.map((s) => s.toString()), proof);
}

/** Stops snarkjs's bn128 worker threads (they keep the process alive). */
export async function terminateCurves(): Promise<void> {
  await terminate();
}
