/**
 * Groth16 proving and verification for the circuit instances of circuits/instances.json.
 *
 * Artifacts come from the build cache (`npm run build:circuits`; ZK_CACHE_DIR, default ~/.cache/zk-agglayer):
 * the witness generator (.wasm) and the proving key (.zkey). Verification needs only the checked-in
 * verification key circuits/keys/<instance>.vkey.json, so a verifier needs no cache.
 *
 * DEVELOPMENT KEYS: every key of this repo comes from a deterministic ceremony whose toxic waste is public
 * (docs/circuits.md); proofs verifying against them mean nothing outside tests and devnets.
 *
 * snarkjs starts bn128 worker threads that keep Node alive: call terminateCurves() when done (e.g. in after()).
 */
import * as fs from "fs";
import {
  choosePtau,
  getInstance,
  Instance,
  instanceHash,
  instancePaths,
  readCompileRecord,
  setupPaths,
  vkeyFile,
} from "../scripts/circuits/registry";
import { snarkjs, terminateCurves as terminate } from "../scripts/circuits/util";

export interface Artifacts {
  instance: Instance;
  /** Cache directory of the instance's current version (<cache>/circuits/<instance>-<hash>). */
  dir: string;
  hash: string;
  r1cs: string;
  wasm: string;
  /** null for instances without a setup ("setup": false) or not compiled yet. */
  zkey: string | null;
  /** Checked-in verification key (circuits/keys/<instance>.vkey.json). */
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
  let zkey: string | null = null;
  if (compiled && instance.setup) zkey = setupPaths(p, choosePtau(instance, compiled.r1cs)).zkey;
  return {
    instance,
    dir: p.dir,
    hash,
    r1cs: p.r1cs,
    wasm: p.wasm,
    zkey,
    vkey: vkeyFile(instance),
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

export interface ProveResult {
  proof: Groth16Proof;
  /** Public signals in circuit order, decimal strings. */
  publicSignals: string[];
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as snarkjs exportSolidityCallData orders them (b swapped for the EVM). */
  solidityProof: bigint[];
  /** Witness generation + proving time. */
  ms: number;
}

/** Input signal values: numbers, bigints or decimal strings, nested arrays for array signals. */
export type CircuitInput = Record<string, unknown>;

function requireFile(file: string | null, what: string, name: string): string {
  if (!file || !fs.existsSync(file)) {
    throw new Error(`${what} of circuit instance "${name}" is missing (${file ?? "not set up"}): run npm run build:circuits`);
  }
  return file;
}

const stringify = (v: unknown): unknown =>
  typeof v === "bigint" ? v.toString() : Array.isArray(v) ? v.map(stringify) : v;

export async function prove(name: string, input: CircuitInput): Promise<ProveResult> {
  const a = artifactsFor(name);
  if (!a.instance.setup) throw new Error(`instance "${name}" has no setup ("setup": false in circuits/instances.json)`);
  const wasm = requireFile(a.wasm, "witness generator (.wasm)", name);
  const zkey = requireFile(a.zkey, "proving key (.zkey)", name);
  const args: CircuitInput = {};
  for (const [k, v] of Object.entries(input)) args[k] = stringify(v);
  const t0 = performance.now();
  const { proof, publicSignals } = await snarkjs().groth16.fullProve(args, wasm, zkey);
  const ms = performance.now() - t0;
  return { proof, publicSignals, solidityProof: await solidityProofOf(proof, publicSignals), ms };
}

/** The 8 proof words in the order the generated Solidity verifiers and IAggregationVerifier take them. */
export async function solidityProofOf(proof: Groth16Proof, publicSignals: string[]): Promise<bigint[]> {
  const calldata: string = await snarkjs().groth16.exportSolidityCallData(proof, publicSignals);
  const [pa, pb, pc] = JSON.parse(`[${calldata}]`) as [string[], string[][], string[]];
  return [...pa, ...pb[0], ...pb[1], ...pc].map((x) => BigInt(x));
}

const vkeys = new Map<string, unknown>();

/** Verifies against the checked-in verification key. */
export async function verify(name: string, publicSignals: (string | bigint)[], proof: Groth16Proof): Promise<boolean> {
  let vk = vkeys.get(name);
  if (!vk) {
    const file = requireFile(vkeyFile(getInstance(name)), "verification key", name);
    vk = JSON.parse(fs.readFileSync(file, "utf8"));
    vkeys.set(name, vk);
  }
  return snarkjs().groth16.verify(vk, publicSignals.map((s) => s.toString()), proof);
}

/** Stops snarkjs's bn128 worker threads (they keep the process alive). */
export async function terminateCurves(): Promise<void> {
  await terminate();
}
