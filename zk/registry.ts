/**
 * Circuit instance registry (circuits/instances.json), cache layout and content hashes.
 *
 * Shared by scripts/build-circuits.ts (the build), zk/groth16.ts (prove/verify), the coordinator, the chain
 * client and test/build/. Nothing here loads snarkjs, runs circom or the native prover: it is cheap to import.
 *
 * Cache layout (outside the source tree, `ZK_CACHE_DIR`, default ~/.cache/zk-agglayer):
 *
 *   <cache>/circuits/<instance>-<hash>/          one compiled version of an instance
 *       <instance>.circom                        the generated main file (circom2 reads it from here)
 *       <instance>.r1cs, .sym, <instance>_js/    circom output (instances without a setup: .r1cs only)
 *       compile.json                             constraint counts, public signal names, compile time
 *       setup-<tag>/                             Groth16 keys: dev-native-v<N> (the DEVELOPMENT setup of the
 *           circuit_final.zkey, verification_key.json, setup.json     native prover) or file-<fingerprint>
 *                                                                     (snarkjs over ZK_PTAU_FILE)
 *   <cache>/native/                              the native prover (zk/native.ts): cargo's target directory
 *                                                and the built binaries, keyed by their sources
 *
 * <hash> covers everything the compiled circuit depends on: the generated main file, every .circom file it
 * includes (followed transitively, as circom resolves includes), the circom2/circomlib/snarkjs versions and the
 * compile flags. A cache directory is complete once it exists: everything is written under a temporary name
 * and renamed at the end.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readPtauHeader, readR1csHeader, R1csHeader, requiredPower } from "./binfile";
import { CertificateShape, shapeOf } from "../lib/witness/certificate";

/** Bump to invalidate every cache entry (e.g. after changing how setups are derived). */
export const PIPELINE_VERSION = 1;

export const REPO_ROOT = path.resolve(__dirname, "..");
export const REGISTRY_FILE = path.join(REPO_ROOT, "circuits", "instances.json");
export const CIRCUITS_DIR = path.join(REPO_ROOT, "circuits");
export const KEYS_DIR = path.join(REPO_ROOT, "circuits", "keys");
export const VERIFIERS_DIR = path.join(REPO_ROOT, "contracts", "verifiers");
export const DOCS_FILE = path.join(REPO_ROOT, "docs", "circuits.md");
/** Library paths given to circom2 (-l), relative to the repo root, which is circom2's working directory. */
export const LINK_DIRS = ["node_modules", "."];
export const MAIN_PRAGMA = "2.1.0";

/**
 * DEVELOPMENT ONLY. The native prover's setup (prover/src/setup.rs) derives the trapdoor from this public seed
 * and the circuit's sha256: every machine derives the same keys, and ANYONE can recompute the trapdoor, i.e.
 * forge proofs for these keys. DEV_SETUP_VERSION names the derivation; bump it (and the setup tag changes)
 * if prover/src/setup.rs ever derives keys differently.
 */
export const DEV_SETUP_SEED = "zk-agglayer development setup: toxic waste is public";
export const DEV_SETUP_VERSION = 1;
/**
 * ZK_PTAU_FILE route (snarkjs): phase 2 gets this fixed public beacon, so those keys are forgeable too until
 * phase 2 gets real contributions. The beacon value is sha256 of the ASCII string, hex-encoded.
 */
export const DEV_ZKEY_BEACON_TEXT = "zk-agglayer development phase 2: toxic waste is public";
export const DEV_BEACON_ITERATIONS_EXP = 10;
export const devBeaconHex = (text: string): string => crypto.createHash("sha256").update(text, "ascii").digest("hex");

export interface InstanceEntry {
  description?: string;
  /** Template file, relative to circuits/. */
  file: string;
  template: string;
  /** Template parameters by name, in the template's parameter order. */
  params: Record<string, number>;
  /** Public input signals of the main component (outputs are always public). */
  public: string[];
  /** true: compile with wasm and make Groth16 keys. false: compile the r1cs and count only. */
  setup: boolean;
  /**
   * Production size: built only on request (build:circuits --production or --only, bench:prover), never by
   * npm test, and nothing of it is exported into the repository.
   */
  production?: boolean;
  /** Build fails unless the circuit has exactly this many public signals (outputs + public inputs). */
  expectPublicSignals?: number;
}

export interface Instance extends InstanceEntry {
  name: string;
}

export interface Registry {
  instances: Instance[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function loadRegistry(file = REGISTRY_FILE): Registry {
  const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { instances?: Record<string, InstanceEntry> };
  if (!raw.instances || typeof raw.instances !== "object") throw new Error(`${file}: missing "instances"`);
  const instances: Instance[] = [];
  for (const [name, e] of Object.entries(raw.instances)) {
    const where = `${path.relative(REPO_ROOT, file)}: instance "${name}"`;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`${where}: name must be snake_case`);
    if (typeof e.file !== "string" || !e.file.endsWith(".circom") || e.file.includes(".."))
      throw new Error(`${where}: "file" must be a .circom path under circuits/`);
    if (typeof e.template !== "string" || !IDENT.test(e.template)) throw new Error(`${where}: bad "template"`);
    if (!e.params || typeof e.params !== "object") throw new Error(`${where}: "params" must be an object`);
    for (const [k, v] of Object.entries(e.params)) {
      if (!IDENT.test(k) || !Number.isSafeInteger(v) || v < 0) throw new Error(`${where}: bad param ${k}=${v}`);
    }
    if (!Array.isArray(e.public) || e.public.some((s) => typeof s !== "string" || !IDENT.test(s)))
      throw new Error(`${where}: "public" must be a list of signal names`);
    if ("ptauPower" in e) throw new Error(`${where}: "ptauPower" is gone: development keys need no powers of tau (ZK_PTAU_FILE sets phase 1 for real ceremonies)`);
    if (typeof e.setup !== "boolean") throw new Error(`${where}: "setup" must be true or false`);
    if (e.production !== undefined && typeof e.production !== "boolean") throw new Error(`${where}: "production" must be true or false`);
    if ("adapter" in e) throw new Error(`${where}: "adapter" is gone: the adapters served the hub's aggregation verifiers, retired with the aggregation circuit`);
    instances.push({ name, ...e });
  }
  return { instances };
}

export function getInstance(name: string, registry = loadRegistry()): Instance {
  const inst = registry.instances.find((i) => i.name === name);
  if (!inst) throw new Error(`unknown circuit instance "${name}" (circuits/instances.json has: ${registry.instances.map((i) => i.name).join(", ")})`);
  return inst;
}

/** The shape (capacities per certificate) of a certificate instance: the one place tests, deploy scripts and clients read it. */
export function certificateShapeOf(name: string, registry = loadRegistry()): CertificateShape {
  const inst = getInstance(name, registry);
  if (inst.template !== "CertificateProof") throw new Error(`circuit instance "${name}" is a ${inst.template}, not a CertificateProof`);
  return shapeOf(inst.params as unknown as CertificateShape);
}

/** The certificate instance the devnet, CI's end-to-end tests and the deploy scripts use (at DEVNET_PARAMS). */
export const DEVNET_CERTIFICATE = "certificate_test";

/** certificate_test -> CertificateTest; pipeline_probe -> PipelineProbe. */
export function pascalCase(name: string): string {
  return name
    .split("_")
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}

export const verifierContractName = (inst: Instance) => `${pascalCase(inst.name)}Verifier`;
export const verifierFile = (inst: Instance) => path.join(VERIFIERS_DIR, `${verifierContractName(inst)}.sol`);
export const vkeyFile = (inst: Instance) => path.join(KEYS_DIR, `${inst.name}.vkey.json`);
export const templateFile = (inst: Instance) => path.join(CIRCUITS_DIR, inst.file);

// ---------------------------------------------------------------------------------------------------------------
// Template presence and parameters

/** Strips // and /* comments, keeping string literals (include paths) intact. */
export function stripComments(src: string): string {
  return src.replace(/"[^"\n]*"|\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) => (m[0] === '"' ? m : m.replace(/[^\n]+/g, " ")));
}

export type TemplateStatus =
  | { ok: true; params: string[] }
  | { ok: false; reason: string };

/** Whether the instance's template file exists and declares the template (and with which parameter names). */
export function templateStatus(inst: Instance): TemplateStatus {
  const file = templateFile(inst);
  if (!fs.existsSync(file)) return { ok: false, reason: `circuits/${inst.file} does not exist yet` };
  const src = stripComments(fs.readFileSync(file, "utf8"));
  const m = new RegExp(`\\btemplate\\s+(?:custom\\s+|parallel\\s+)*${inst.template}\\s*\\(([^)]*)\\)`).exec(src);
  if (!m) return { ok: false, reason: `circuits/${inst.file} does not declare template ${inst.template} yet` };
  const params = m[1].split(",").map((s) => s.trim()).filter(Boolean);
  return { ok: true, params };
}

/** Throws when the registry's parameter names are not the template's, in order. */
export function checkParams(inst: Instance, declared: string[]): void {
  const given = Object.keys(inst.params);
  if (given.join(",") !== declared.join(",")) {
    throw new Error(
      `instance ${inst.name}: circuits/instances.json gives parameters (${given.join(", ")}) but ` +
        `template ${inst.template} in circuits/${inst.file} declares (${declared.join(", ")}); ` +
        `fix the names/order in circuits/instances.json`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Main file, includes, hash

export function mainSource(inst: Instance): string {
  const args = Object.values(inst.params).join(", ");
  const pub = inst.public.length ? ` {public [${inst.public.join(", ")}]}` : "";
  return (
    `pragma circom ${MAIN_PRAGMA};\n` +
    `// GENERATED by scripts/build-circuits.ts for instance "${inst.name}" of circuits/instances.json. Do not edit.\n` +
    `include "circuits/${inst.file}";\n` +
    `component main${pub} = ${inst.template}(${args});\n`
  );
}

function includesOf(src: string): string[] {
  const out: string[] = [];
  const re = /\binclude\s+"([^"]+)"\s*;/g;
  const s = stripComments(src);
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1]);
  return out;
}

/**
 * Every source file the main includes, transitively, as [path relative to the repo root, content]. Resolution
 * as circom does it: relative to the including file, then each -l directory. Unresolvable includes are
 * returned in `missing` (circom will report them; the hash then also covers all of circuits/ to stay safe).
 */
export function collectSources(inst: Instance): { files: Map<string, string>; missing: string[] } {
  const files = new Map<string, string>();
  const missing: string[] = [];
  const visit = (inclPath: string, fromDir: string | null) => {
    const candidates = [
      ...(fromDir === null ? [] : [path.resolve(fromDir, inclPath)]),
      ...LINK_DIRS.map((d) => path.resolve(REPO_ROOT, d, inclPath)),
    ];
    const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!found) {
      missing.push(inclPath);
      return;
    }
    const rel = path.relative(REPO_ROOT, found).split(path.sep).join("/");
    if (files.has(rel)) return;
    const src = fs.readFileSync(found, "utf8");
    files.set(rel, src);
    for (const inc of includesOf(src)) visit(inc, path.dirname(found));
  };
  for (const inc of includesOf(mainSource(inst))) visit(inc, null);
  return { files, missing };
}

function listCircomFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listCircomFiles(p));
    else if (e.name.endsWith(".circom")) out.push(p);
  }
  return out.sort();
}

const sha256 = (s: string | Buffer) => crypto.createHash("sha256").update(s).digest("hex");
const pkgVersion = (name: string): string =>
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;

export function toolVersions(): { circom2: string; circomlib: string; snarkjs: string } {
  return { circom2: pkgVersion("circom2"), circomlib: pkgVersion("circomlib"), snarkjs: pkgVersion("snarkjs") };
}

export function compileFlags(inst: Instance): string[] {
  return inst.setup ? ["--r1cs", "--wasm", "--sym", "--O2"] : ["--r1cs", "--O2"];
}

/** 16 hex digits identifying the compiled circuit (see the file comment). */
export function instanceHash(inst: Instance): string {
  const { files, missing } = collectSources(inst);
  const sources: [string, string][] = [...files.entries()].map(([p, s]) => [p, sha256(s)]);
  if (missing.length) {
    for (const f of listCircomFiles(CIRCUITS_DIR)) sources.push([path.relative(REPO_ROOT, f), sha256(fs.readFileSync(f))]);
  }
  sources.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const material = {
    pipeline: PIPELINE_VERSION,
    tools: toolVersions(),
    flags: compileFlags(inst),
    links: LINK_DIRS,
    main: mainSource(inst),
    sources,
    missing,
  };
  return sha256(JSON.stringify(material)).slice(0, 16);
}

// ---------------------------------------------------------------------------------------------------------------
// Cache paths

export function cacheRoot(): string {
  const env = process.env.ZK_CACHE_DIR;
  return path.resolve(env && env.trim() ? env : path.join(os.homedir(), ".cache", "zk-agglayer"));
}

/** Instances whose keys are exported into the repository (verifier, vkey) and built by npm test. */
export const isExported = (inst: Instance) => inst.setup && !inst.production;

export interface CompileRecord {
  instance: string;
  hash: string;
  template: string;
  file: string;
  params: Record<string, number>;
  flags: string[];
  tools: { circom2: string; circomlib: string; snarkjs: string };
  r1cs: R1csHeader;
  r1csSha256: string;
  nonLinearConstraints: number;
  linearConstraints: number;
  templateInstances: number | null;
  /** Names of the public signals in proof order (outputs first, then public inputs), from the .sym file. */
  publicSignalNames: string[] | null;
  requiredPower: number;
  compileSeconds: number;
  /** circom2's peak resident memory during the compile (absent in older records or without /proc). */
  compilePeakRssBytes?: number;
  compiledAt: string;
  r1csBytes: number;
  wasmBytes: number | null;
}

export interface SetupRecord {
  instance: string;
  hash: string;
  setup: SetupChoice;
  setupSeconds: number;
  setupAt: string;
  zkeyBytes: number;
  /** ZK_PTAU_FILE route: blake2b contribution hash printed by snarkjs for the final zkey (hex). */
  beaconHex?: string;
}

export type SetupChoice =
  /** The native prover's DEVELOPMENT setup from the R1CS (no powers of tau). */
  | { kind: "dev"; tag: string }
  /** snarkjs groth16 setup over ZK_PTAU_FILE (power: of the file), then the public phase-2 beacon. */
  | { kind: "file"; power: number; path: string; tag: string };

export interface InstancePaths {
  dir: string;
  main: string;
  r1cs: string;
  sym: string;
  wasm: string;
  compileRecord: string;
}

export function instancePaths(inst: Instance, hash = instanceHash(inst)): InstancePaths {
  const dir = path.join(cacheRoot(), "circuits", `${inst.name}-${hash}`);
  return {
    dir,
    main: path.join(dir, `${inst.name}.circom`),
    r1cs: path.join(dir, `${inst.name}.r1cs`),
    sym: path.join(dir, `${inst.name}.sym`),
    wasm: path.join(dir, `${inst.name}_js`, `${inst.name}.wasm`),
    compileRecord: path.join(dir, "compile.json"),
  };
}

export function setupPaths(p: InstancePaths, setup: SetupChoice) {
  const dir = path.join(p.dir, `setup-${setup.tag}`);
  return {
    dir,
    zkey: path.join(dir, "circuit_final.zkey"),
    vkey: path.join(dir, "verification_key.json"),
    record: path.join(dir, "setup.json"),
  };
}

export function readCompileRecord(p: InstancePaths): CompileRecord | null {
  return fs.existsSync(p.compileRecord) ? (JSON.parse(fs.readFileSync(p.compileRecord, "utf8")) as CompileRecord) : null;
}

/** Fingerprint of a ptau file: size + sha256 of the first MiB (header and the first tau powers fix tau). */
export function ptauFingerprint(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 1 << 20));
    fs.readSync(fd, buf, 0, buf.length, 0);
    return sha256(Buffer.concat([Buffer.from(String(size)), buf])).slice(0, 12);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * How an instance's keys are made: with ZK_PTAU_FILE set, snarkjs's setup over that powers of tau (must be
 * prepared for phase 2 and big enough); otherwise the native DEVELOPMENT setup. Creates nothing.
 */
export function chooseSetup(inst: Instance, r1cs: R1csHeader, env = process.env): SetupChoice {
  const file = env.ZK_PTAU_FILE;
  if (file && file.trim()) {
    const need = requiredPower(r1cs);
    const abs = path.resolve(file);
    if (!fs.existsSync(abs)) throw new Error(`ZK_PTAU_FILE=${file} does not exist`);
    const h = readPtauHeader(abs);
    if (!h.prepared) throw new Error(`ZK_PTAU_FILE=${file} is not prepared for phase 2 (run snarkjs powersoftau prepare phase2)`);
    if (h.power < need)
      throw new Error(`ZK_PTAU_FILE=${file} has power ${h.power}; instance ${inst.name} needs ${need} (2^${need} >= constraints + public + 1)`);
    return { kind: "file", power: h.power, path: abs, tag: `file-${ptauFingerprint(abs)}` };
  }
  return { kind: "dev", tag: `dev-native-v${DEV_SETUP_VERSION}` };
}

export { readR1csHeader, requiredPower };
