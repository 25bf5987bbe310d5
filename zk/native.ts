/**
 * The native prover (the Rust crate in prover/): Groth16 over BN254 for the project's circom circuits, and
 * the DEVELOPMENT setup straight from the R1CS. Its files are snarkjs's (.r1cs, .wtns, .zkey, proof JSON).
 *
 * Built on first use: `cargo build --release --locked` with its target directory in the cache
 * (<cache>/native/target, or ZK_NATIVE_DIR/target), and the binary copied to <cache>/native/bin/zk-prover-<hash>, where <hash> covers
 * the crate's sources, Cargo.lock and the compiler flags. A binary of the current sources is used as is;
 * anything else (missing, stale) is rebuilt, once, under a lock shared by every process of the machine.
 *
 * Each job runs the binary as a child process (one job, one process: a crash or a kill takes nothing else with
 * it). It uses every core (RAYON_NUM_THREADS to limit). Failures come back as NativeProverError with the kind
 * the binary reported (prover/src/error.rs); on any failure the binary writes nothing.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { removeStaleTemps, tmpName, withLock } from "./files";
import { cacheRoot, DEV_SETUP_SEED, REPO_ROOT } from "./registry";

export const CRATE_DIR = path.join(REPO_ROOT, "prover");

export type NativeErrorKind =
  /** What the binary reports (prover/src/error.rs). */
  | "usage"
  | "io"
  | "malformed"
  | "mismatch"
  | "unsatisfied"
  | "proof-invalid"
  /** The crate could not be built (no cargo, a compile error). */
  | "build"
  /** The process died (signal, out of memory) or was aborted. */
  | "crashed"
  | "aborted";

export class NativeProverError extends Error {
  constructor(
    readonly kind: NativeErrorKind,
    message: string,
    readonly exitCode: number | null = null,
  ) {
    super(message);
    this.name = "NativeProverError";
  }
}

/** Exit codes of prover/src/error.rs. */
const KIND_BY_CODE: Record<number, NativeErrorKind> = { 2: "usage", 3: "io", 4: "malformed", 5: "mismatch", 6: "unsatisfied", 7: "proof-invalid" };

/** Figures the binary prints for a proof (milliseconds). */
export interface NativeProveFigures {
  nConstraints: number;
  nVars: number;
  domainSize: number;
  loadMs: number;
  checkMs: number;
  qapMs: number;
  msmMs: number;
  verifyMs: number;
  totalMs: number;
  threads: number;
  /** The process's peak resident memory (VmHWM), KiB. */
  peakRssKb: number;
}

export interface NativeSetupFigures {
  nVars: number;
  nPublic: number;
  nConstraints: number;
  domainSize: number;
  r1csSha256: string;
  readMs: number;
  setupMs: number;
  writeMs: number;
  threads: number;
  peakRssKb: number;
}

// ------------------------------------------------------------------------------------------------ building

/** x86-64 carry-chain instructions that ark-ff's assembly backend needs at compile time (~20-30% faster). */
function cpuFlags(): string[] {
  try {
    const info = fs.readFileSync("/proc/cpuinfo", "utf8");
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? "").split(/\s+/));
    return flags.has("bmi2") && flags.has("adx") ? ["-C", "target-feature=+bmi2,+adx"] : [];
  } catch {
    return [];
  }
}

function rustflags(): string {
  return [process.env.RUSTFLAGS ?? "", ...cpuFlags()].join(" ").trim();
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** 16 hex digits over the crate's sources, Cargo.toml, Cargo.lock and the compiler flags. */
export function nativeSourceHash(): string {
  const h = crypto.createHash("sha256");
  const files = [path.join(CRATE_DIR, "Cargo.toml"), path.join(CRATE_DIR, "Cargo.lock"), ...listFiles(path.join(CRATE_DIR, "src"))];
  for (const f of files) h.update(path.relative(CRATE_DIR, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  h.update(`rustflags=${rustflags()}`);
  return h.digest("hex").slice(0, 16);
}

/** ZK_NATIVE_DIR, default <cache>/native: kept apart so that a fresh ZK_CACHE_DIR can reuse a built prover. */
export const nativeDir = () => path.resolve(process.env.ZK_NATIVE_DIR?.trim() || path.join(cacheRoot(), "native"));
export const nativeBinaryPath = (hash = nativeSourceHash()) => path.join(nativeDir(), "bin", `zk-prover-${hash}`);

function cargoVersion(): string | null {
  const r = spawnSync("cargo", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Path of the native prover binary of the current sources, building it first if needed (cold: ~1-2 min on
 * 2 cores, with cargo's progress shown). `log` receives progress lines (default: console.log).
 */
export async function ensureNativeProver(log: (line: string) => void = console.log): Promise<string> {
  const hash = nativeSourceHash();
  const bin = nativeBinaryPath(hash);
  if (fs.existsSync(bin)) return bin;
  return withLock(path.join(nativeDir(), "build.lock"), "the native prover's build", async () => {
    if (fs.existsSync(bin)) return bin; // built by another process while we waited
    const cargo = cargoVersion();
    if (!cargo)
      throw new NativeProverError("build", "cargo was not found on PATH: the native prover (prover/) needs a Rust toolchain (https://rustup.rs), rustc 1.75 or newer");
    const target = path.join(nativeDir(), "target");
    log(`  native prover: building prover/ with ${cargo} (release; target ${target}; the first build takes 1-2 min)`);
    const t0 = Date.now();
    await runCargo(["build", "--release", "--locked", "--manifest-path", path.join(CRATE_DIR, "Cargo.toml")], target, log);
    const built = path.join(target, "release", "zk-prover");
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    removeStaleTemps(bin);
    const tmp = tmpName(bin);
    fs.copyFileSync(built, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, bin);
    pruneOldBinaries(bin);
    log(`  native prover: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${bin})`);
    return bin;
  });
}

/** Runs cargo in prover/ with the prover's target directory and flags (the build above, and its unit tests). */
export function runCargo(args: string[], targetDir = path.join(nativeDir(), "target"), log: (line: string) => void = console.log): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CARGO_TARGET_DIR: targetDir, RUSTFLAGS: rustflags(), CARGO_TERM_COLOR: "never", CARGO_TERM_PROGRESS_WHEN: "never" };
    const child = spawn("cargo", args, { cwd: CRATE_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const t0 = Date.now();
    let last = "";
    let partial = "";
    const onData = (d: Buffer) => {
      const text = partial + d.toString();
      tail = (tail + d.toString()).slice(-8000);
      const lines = text.split("\n");
      partial = lines.pop() ?? ""; // an unfinished line waits for the rest
      for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
        last = line;
        if (/^(Compiling|Finished|Downloaded|error|test |running|test result)/.test(line)) log(`    [cargo ${Math.round((Date.now() - t0) / 1000)} s] ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const beat = setInterval(() => log(`    [cargo ${Math.round((Date.now() - t0) / 1000)} s] still building (${last})`), 30_000);
    beat.unref();
    child.on("error", (e) => {
      clearInterval(beat);
      reject(new NativeProverError("build", `could not run cargo: ${e.message}`));
    });
    child.on("close", (code) => {
      clearInterval(beat);
      if (code === 0) resolve();
      else reject(new NativeProverError("build", `cargo ${args[0]} of prover/ failed (exit ${code}):\n${tail}`, code));
    });
  });
}

/** Keeps the current binary and the two most recent others (switching branches stays cheap). */
function pruneOldBinaries(current: string): void {
  const dir = path.dirname(current);
  const old = fs
    .readdirSync(dir)
    .filter((f) => /^zk-prover-[0-9a-f]{16}$/.test(f) && path.join(dir, f) !== current)
    .map((f) => ({ f: path.join(dir, f), t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of old.slice(2)) fs.rmSync(f, { force: true });
}

// ------------------------------------------------------------------------------------------------ running

interface RunOptions {
  signal?: AbortSignal;
  /** Threads for the proving (default: every core). */
  threads?: number;
}

/** Runs the binary; resolves with its one JSON line of figures, rejects with a NativeProverError. */
async function run<T>(args: string[], o: RunOptions = {}): Promise<T> {
  const bin = await ensureNativeProver();
  if (o.signal?.aborted) throw new NativeProverError("aborted", "native prover job aborted");
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (o.threads) env.RAYON_NUM_THREADS = String(o.threads);
    const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err = (err + d).slice(-8000)));
    const onAbort = () => child.kill("SIGKILL");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e) => reject(new NativeProverError("crashed", `could not run ${bin}: ${e.message}`)));
    child.on("close", (code, signal) => {
      o.signal?.removeEventListener("abort", onAbort);
      if (code === 0) {
        try {
          return resolve(JSON.parse(out.trim().split("\n").pop()!) as T);
        } catch {
          return reject(new NativeProverError("crashed", `the native prover printed no figures: ${out.slice(0, 200)}`));
        }
      }
      if (o.signal?.aborted) return reject(new NativeProverError("aborted", "native prover job aborted"));
      const m = /zk-prover error ([a-z-]+): ([\s\S]*)$/.exec(err.trim());
      if (code !== null && KIND_BY_CODE[code] && m) return reject(new NativeProverError(KIND_BY_CODE[code], m[2].trim(), code));
      reject(new NativeProverError("crashed", `the native prover died (${signal ?? `exit ${code}`}): ${err.trim().split("\n").pop() ?? ""}`, code));
    });
  });
}

/** DEVELOPMENT-ONLY keys for `r1cs`, written to `zkey` (snarkjs format; see prover/src/setup.rs). */
export function nativeSetup(r1cs: string, zkey: string, seed = DEV_SETUP_SEED): Promise<NativeSetupFigures> {
  return run<NativeSetupFigures>(["setup", "--r1cs", r1cs, "--zkey", zkey, "--seed", seed]);
}

export interface NativeProveFiles {
  zkey: string;
  r1cs: string;
  wtns: string;
  proof: string;
  public: string;
}

/** Proves `wtns` with `zkey`; writes snarkjs's proof and public-signal JSON files, or nothing on failure. */
export function nativeProve(f: NativeProveFiles, o: RunOptions = {}): Promise<NativeProveFigures> {
  return run<NativeProveFigures>(["prove", "--zkey", f.zkey, "--r1cs", f.r1cs, "--wtns", f.wtns, "--proof", f.proof, "--public", f.public], o);
}
