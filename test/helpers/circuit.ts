/**
 * Circuit test harness: compiles a small generated wrapper (`component main = Template(params)`) around a
 * template of circuits/ with circom2 (`--r1cs --wasm --sym --O2`), caches the artifacts by content hash, and
 * gives tests the witness, the constraint check, signal lookup by name and witness tampering.
 *
 *   const c = await loadCircuit({ template: "MerkleRootBits", params: [8] });
 *   const w = await c.calculateWitness({ leaf, pathBits, siblings }); // throws WitnessError on a failed `===`
 *   await c.checkConstraints(w);                                      // throws ConstraintError on a violated one
 *   expect(c.readOutput(w, "root")).to.equal(root);
 *   await expectConstraintFailure(c, c.tamper(w, "main.path.node[3]", 5n));
 *
 * Cache: `$ZK_CACHE_DIR` or `~/.cache/zk-agglayer/circuit-tests`, one directory per sha256 of (the .circom
 * sources the wrapper includes, transitively, the wrapper, the circom2 and circomlib versions, the flags; every
 * circuits/*.circom when an include cannot be resolved). The wrapper is written
 * into that directory, outside the source tree: circom2 (WASI) reads it there, and resolves its includes with
 * `-l .` (the repo root, for `circuits/X.circom`) and `-l node_modules` (for `circomlib/...`); relative `-l`
 * paths are required, so circom2 runs with the repo root as working directory. A compile goes to a temporary
 * directory renamed into place, so parallel runs never see half-written artifacts.
 *
 * With --O2, signals that only appear in linear constraints are substituted away: their `.sym` wire is -1 and
 * `readOutput` / `tamper` refuse them (outputs of `main` are always kept).
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FIELD_MODULUS } from "../../lib/field";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const CIRCUITS_DIR = path.join(REPO_ROOT, "circuits");
const P = FIELD_MODULUS;

export interface CircuitSpec {
  /** Template to instantiate as `main`. */
  template: string;
  /** Its file under circuits/ without `.circom` (default: the template name). */
  file?: string;
  /** Template parameters. */
  params?: (number | bigint)[];
  /** Input signals of main to declare public (outputs of main are always public). */
  publicInputs?: string[];
}

export interface CompileOptions {
  /** Also build the witness generator (.wasm) and the symbol file (.sym). Default true; false = --r1cs only. */
  witness?: boolean;
  /** Optimization flag (default --O2). */
  optimization?: "--O0" | "--O1" | "--O2";
}

export interface CompiledCircuit {
  dir: string;
  r1csPath: string;
  wasmPath?: string;
  symPath?: string;
  /** True when the artifacts came from the cache. */
  cached: boolean;
  /** Wall time of the compile (0 when cached). */
  seconds: number;
}

/** A witness calculation that failed: a failed `===` / assert, or bad inputs (missing, extra, wrong length). */
export class WitnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WitnessError";
  }
}

/** A witness that violates a constraint of the R1CS. */
export class ConstraintError extends Error {
  constructor(
    readonly constraintIndex: number,
    readonly signals: string[],
    message: string,
  ) {
    super(message);
    this.name = "ConstraintError";
  }
}

export function cacheRoot(): string {
  return process.env.ZK_CACHE_DIR || path.join(os.homedir(), ".cache", "zk-agglayer", "circuit-tests");
}

function packageVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

/** The generated main: includes the template's file and instantiates it. */
export function wrapperSource(spec: CircuitSpec): string {
  const file = spec.file ?? spec.template;
  const params = (spec.params ?? []).map(String).join(", ");
  const pub = spec.publicInputs?.length ? ` {public [${spec.publicInputs.join(", ")}]}` : "";
  return `pragma circom 2.1.6;\ninclude "circuits/${file}.circom";\ncomponent main${pub} = ${spec.template}(${params});\n`;
}

function flagsOf(opts: CompileOptions): string[] {
  const witness = opts.witness ?? true;
  return ["--r1cs", ...(witness ? ["--wasm", "--sym"] : []), opts.optimization ?? "--O2"];
}

const INCLUDE_RE = /^\s*include\s+"([^"]+)"\s*;/gm;

/**
 * The project .circom files the wrapper reads (its include closure), resolved like circom: relative to the
 * including file, then `-l .`, then `-l node_modules`. circomlib files are covered by circomlib's version.
 * Returns null when some include cannot be resolved (the hash then covers every circuits/*.circom).
 */
export function includeClosure(wrapper: string): string[] | null {
  const seen = new Set<string>();
  const stack: { source: string; dir: string }[] = [{ source: wrapper, dir: REPO_ROOT }];
  while (stack.length) {
    const { source, dir } = stack.pop()!;
    for (const m of source.matchAll(INCLUDE_RE)) {
      const candidates = [path.resolve(dir, m[1]), path.resolve(REPO_ROOT, m[1]), path.resolve(REPO_ROOT, "node_modules", m[1])];
      const file = candidates.find((f) => fs.existsSync(f));
      if (!file) return null;
      if (file.startsWith(path.join(REPO_ROOT, "node_modules") + path.sep) || seen.has(file)) continue;
      seen.add(file);
      stack.push({ source: fs.readFileSync(file, "utf8"), dir: path.dirname(file) });
    }
  }
  return [...seen].sort();
}

/**
 * sha256 of the .circom sources the wrapper includes (transitively; every circuits/*.circom if an include
 * cannot be resolved), the wrapper, the circom2 and circomlib versions and the flags. Editing a circuit
 * recompiles exactly the test circuits that include it.
 */
export function sourceHash(spec: CircuitSpec, opts: CompileOptions = {}): string {
  const h = createHash("sha256");
  h.update(`circuit-tests v2\0circom2 ${packageVersion("circom2")}\0circomlib ${packageVersion("circomlib")}\0`);
  h.update(flagsOf(opts).join(" ") + "\0");
  const wrapper = wrapperSource(spec);
  h.update(wrapper + "\0");
  const files =
    includeClosure(wrapper) ??
    fs.readdirSync(CIRCUITS_DIR).filter((f) => f.endsWith(".circom")).sort().map((f) => path.join(CIRCUITS_DIR, f));
  for (const f of files) {
    h.update(path.relative(REPO_ROOT, f) + "\0");
    h.update(fs.readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

const compiling = new Map<string, Promise<CompiledCircuit>>();

/** Compiles (or finds in the cache) the wrapper of `spec`. */
export function compileCircuit(spec: CircuitSpec, opts: CompileOptions = {}): Promise<CompiledCircuit> {
  const hash = sourceHash(spec, opts);
  let p = compiling.get(hash);
  if (!p) {
    p = doCompile(spec, opts, hash);
    compiling.set(hash, p);
    p.catch(() => compiling.delete(hash));
  }
  return p;
}

async function doCompile(spec: CircuitSpec, opts: CompileOptions, hash: string): Promise<CompiledCircuit> {
  const root = cacheRoot();
  const dir = path.join(root, hash);
  const artifacts = (cached: boolean, seconds: number): CompiledCircuit => {
    const witness = opts.witness ?? true;
    return {
      dir,
      r1csPath: path.join(dir, "main.r1cs"),
      wasmPath: witness ? path.join(dir, "main_js", "main.wasm") : undefined,
      symPath: witness ? path.join(dir, "main.sym") : undefined,
      cached,
      seconds,
    };
  };
  if (fs.existsSync(path.join(dir, "ok"))) return artifacts(true, 0);

  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, `${hash.slice(0, 16)}.tmp-`));
  try {
    fs.writeFileSync(path.join(tmp, "main.circom"), wrapperSource(spec));
    const cli = path.join(REPO_ROOT, "node_modules", "circom2", "cli.js");
    const started = Date.now();
    const { code, output } = await run(
      process.execPath,
      [cli, path.join(tmp, "main.circom"), ...flagsOf(opts), "-l", ".", "-l", "node_modules", "-o", tmp],
      REPO_ROOT,
    );
    const seconds = (Date.now() - started) / 1000;
    // eslint-disable-next-line no-control-regex
    const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
    if (code !== 0 || !fs.existsSync(path.join(tmp, "main.r1cs"))) {
      throw new Error(`circom2 failed on ${wrapperSource(spec).trim().split("\n").pop()} (exit ${code}):\n${plain}`);
    }
    fs.writeFileSync(path.join(tmp, "compile.log"), plain);
    fs.writeFileSync(path.join(tmp, "ok"), `${seconds}\n`);
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // Another process finished the same compile first: keep its artifacts.
      if (!fs.existsSync(path.join(dir, "ok"))) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
      return artifacts(true, 0);
    }
    return artifacts(false, seconds);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// R1CS and symbols

export interface R1csHeader {
  prime: bigint;
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nLabels: bigint;
  nConstraints: number;
}

/** A linear combination: wire ids and their coefficients (in [0, p)). */
export interface LinearCombination {
  wires: Uint32Array;
  coeffs: bigint[];
}

export interface R1cs extends R1csHeader {
  /** [A, B, C] per constraint: A(w) * B(w) = C(w). */
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
}

function readLe(buf: Buffer, pos: number, n8: number): bigint {
  let x = 0n;
  for (let i = n8 - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[pos + i]);
  return x;
}

/** Parses an .r1cs file (iden3 binary format, version 1): the header, and the constraints unless headerOnly. */
export function readR1cs(file: string, headerOnly = false): R1cs {
  const buf = fs.readFileSync(file);
  if (buf.toString("ascii", 0, 4) !== "r1cs") throw new Error(`${file} is not an r1cs file`);
  const nSections = buf.readUInt32LE(8);
  let pos = 12;
  const sections = new Map<number, { start: number; size: number }>();
  for (let s = 0; s < nSections; s++) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    sections.set(type, { start: pos + 12, size });
    pos += 12 + size;
  }
  const hs = sections.get(1);
  if (!hs) throw new Error(`${file}: no header section`);
  let p = hs.start;
  const n8 = buf.readUInt32LE(p);
  p += 4;
  const prime = readLe(buf, p, n8);
  p += n8;
  const header: R1csHeader = {
    prime,
    nWires: buf.readUInt32LE(p),
    nPubOut: buf.readUInt32LE(p + 4),
    nPubIn: buf.readUInt32LE(p + 8),
    nPrvIn: buf.readUInt32LE(p + 12),
    nLabels: buf.readBigUInt64LE(p + 16),
    nConstraints: buf.readUInt32LE(p + 24),
  };
  const constraints: R1cs["constraints"] = [];
  if (!headerOnly) {
    const cs = sections.get(2);
    if (!cs) throw new Error(`${file}: no constraints section`);
    let q = cs.start;
    const readLc = (): LinearCombination => {
      const n = buf.readUInt32LE(q);
      q += 4;
      const wires = new Uint32Array(n);
      const coeffs: bigint[] = new Array(n);
      for (let i = 0; i < n; i++) {
        wires[i] = buf.readUInt32LE(q);
        coeffs[i] = readLe(buf, q + 4, n8);
        q += 4 + n8;
      }
      return { wires, coeffs };
    };
    for (let c = 0; c < header.nConstraints; c++) constraints.push([readLc(), readLc(), readLc()]);
  }
  return { ...header, constraints };
}

/** .sym lines: `labelId,wireId,componentId,name`; wireId -1 = removed by the optimizer. */
export function readSym(file: string): Map<string, number> {
  const names = new Map<string, number>();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const a = line.indexOf(",");
    const b = line.indexOf(",", a + 1);
    const c = line.indexOf(",", b + 1);
    names.set(line.slice(c + 1), Number(line.slice(a + 1, b)));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------------------
// The circuit under test

export type SignalValue = bigint | number | string | SignalValue[];
export type CircuitInput = Record<string, SignalValue>;

type WitnessCalculator = { calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]> };

const mod = (x: bigint) => ((x % P) + P) % P;

/** Every value as a bigint (the generated calculator refuses arrays that mix numbers and bigints). */
function normalizeInput(input: CircuitInput): Record<string, unknown> {
  const conv = (v: SignalValue): unknown => (Array.isArray(v) ? v.map(conv) : typeof v === "bigint" ? v : BigInt(v));
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, conv(v)]));
}

export class TestCircuit {
  private r1csCache?: R1cs;
  private symCache?: Map<string, number>;
  private wireNames?: string[];
  private calculator?: WitnessCalculator;

  constructor(
    readonly spec: CircuitSpec,
    readonly artifacts: CompiledCircuit,
  ) {}

  get r1cs(): R1cs {
    return (this.r1csCache ??= readR1cs(this.artifacts.r1csPath));
  }

  get symbols(): Map<string, number> {
    if (!this.artifacts.symPath) throw new Error("compiled without --sym");
    return (this.symCache ??= readSym(this.artifacts.symPath));
  }

  /** Number of R1CS constraints (after --O2). */
  constraintCount(): number {
    return readR1cs(this.artifacts.r1csPath, true).nConstraints;
  }

  private async witnessCalculator(): Promise<WitnessCalculator> {
    if (!this.calculator) {
      if (!this.artifacts.wasmPath) throw new Error("compiled without --wasm");
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const builder = require(path.join(path.dirname(this.artifacts.wasmPath), "witness_calculator.js"));
      this.calculator = (await builder(fs.readFileSync(this.artifacts.wasmPath))) as WitnessCalculator;
    }
    return this.calculator;
  }

  /**
   * Runs the witness generator. Values may be bigints, numbers or decimal/0x strings (reduced mod p by the
   * generator). A failed `===` or assert, or an input of the wrong name or length, throws WitnessError with
   * circom's message (it names the template and line).
   */
  async calculateWitness(input: CircuitInput): Promise<bigint[]> {
    const calc = await this.witnessCalculator();
    try {
      return await calc.calculateWitness(normalizeInput(input), true);
    } catch (e) {
      // The generated calculator accumulates error text across calls: start a fresh one after a failure.
      this.calculator = undefined;
      throw new WitnessError(String((e as Error).message ?? e).trim());
    }
  }

  /** Checks witness[0] == 1 and every constraint A(w) * B(w) == C(w) mod p; throws ConstraintError on the first violation. */
  async checkConstraints(witness: readonly bigint[]): Promise<void> {
    const r = this.r1cs;
    if (witness.length !== r.nWires) throw new ConstraintError(-1, [], `witness has ${witness.length} wires, the circuit ${r.nWires}`);
    if (witness[0] !== 1n) throw new ConstraintError(-1, [], `witness[0] = ${witness[0]}, must be 1`);
    const evalLc = (lc: LinearCombination): bigint => {
      let acc = 0n;
      for (let i = 0; i < lc.wires.length; i++) acc += lc.coeffs[i] * witness[lc.wires[i]];
      return acc % P;
    };
    for (let c = 0; c < r.constraints.length; c++) {
      const [A, B, C] = r.constraints[c];
      if (mod(evalLc(A) * evalLc(B) - evalLc(C)) !== 0n) {
        const wires = new Set<number>();
        for (const lc of [A, B, C]) lc.wires.forEach((x) => wires.add(x));
        const signals = [...wires].filter((x) => x !== 0).map((x) => this.wireName(x));
        throw new ConstraintError(c, signals, `constraint #${c} violated; it involves ${signals.slice(0, 8).join(", ")}${signals.length > 8 ? ", ..." : ""}`);
      }
    }
  }

  /** The first .sym name of a wire. */
  wireName(wire: number): string {
    if (!this.wireNames) {
      this.wireNames = [];
      for (const [name, w] of this.symbols) if (w >= 0 && this.wireNames[w] === undefined) this.wireNames[w] = name;
    }
    return this.wireNames[wire] ?? `wire ${wire}`;
  }

  private fullName(name: string): string {
    return name.startsWith("main.") || name === "main" ? name : `main.${name}`;
  }

  /** Wire of a signal (`out`, `main.out`, `main.sub.x[3]`); throws if unknown or removed by --O2. */
  wireOf(name: string): number {
    const full = this.fullName(name);
    const w = this.symbols.get(full);
    if (w === undefined) throw new Error(`no signal ${full}`);
    if (w < 0) throw new Error(`signal ${full} was removed by the optimizer (--O2): it only appears in linear constraints`);
    return w;
  }

  /** True when the signal exists and survived --O2. */
  hasWire(name: string): boolean {
    const w = this.symbols.get(this.fullName(name));
    return w !== undefined && w >= 0;
  }

  /** Names of the signals (kept by --O2) whose full name matches. */
  signalsMatching(re: RegExp): string[] {
    return [...this.symbols].filter(([n, w]) => w >= 0 && re.test(n)).map(([n]) => n);
  }

  /** Value of a signal in a witness (any kept signal; outputs of main are always kept). */
  readOutput(witness: readonly bigint[], name: string): bigint {
    return witness[this.wireOf(name)];
  }

  /** A copy of the witness with one signal set to `value` (mod p); throws if that is its current value. */
  tamper(witness: readonly bigint[], name: string, value: bigint): bigint[] {
    const wire = this.wireOf(name);
    if (witness[wire] === mod(value)) throw new Error(`tamper(${name}): the witness already holds ${value}`);
    const w = [...witness];
    w[wire] = mod(value);
    return w;
  }
}

const loaded = new Map<string, Promise<TestCircuit>>();

/** Compiles (cached) and loads a circuit for testing. */
export function loadCircuit(spec: CircuitSpec): Promise<TestCircuit> {
  const key = sourceHash(spec);
  let p = loaded.get(key);
  if (!p) {
    p = compileCircuit(spec).then((a) => new TestCircuit(spec, a));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** Constraint count of a circuit compiled with --r1cs only (no witness generator), e.g. production shapes. */
export async function countConstraints(spec: CircuitSpec, opts: Omit<CompileOptions, "witness"> = {}): Promise<{ constraints: number; wires: number; seconds: number; cached: boolean }> {
  const a = await compileCircuit(spec, { ...opts, witness: false });
  const h = readR1cs(a.r1csPath, true);
  return { constraints: h.nConstraints, wires: h.nWires, seconds: a.seconds, cached: a.cached };
}

// ---------------------------------------------------------------------------------------------------------
// Assertions

/** Expects the witness generator to refuse `input` (no witness), optionally with a message matching `pattern`. */
export async function expectNoWitness(c: TestCircuit, input: CircuitInput, pattern?: RegExp): Promise<WitnessError> {
  let err: unknown;
  try {
    await c.calculateWitness(input);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof WitnessError)) throw new Error(`expected the witness calculation to fail, but it ${err ? `threw ${String(err)}` : "succeeded"}`);
  if (pattern && !pattern.test(err.message)) throw new Error(`witness failure did not match ${pattern}:\n${err.message}`);
  return err;
}

/** Expects checkConstraints to reject a witness, optionally with a violated constraint involving a signal matching `pattern`. */
export async function expectConstraintFailure(c: TestCircuit, witness: readonly bigint[], pattern?: RegExp): Promise<ConstraintError> {
  let err: unknown;
  try {
    await c.checkConstraints(witness);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof ConstraintError)) throw new Error(`expected a violated constraint, but ${err ? `got ${String(err)}` : "every constraint holds"}`);
  if (pattern && !err.signals.some((s) => pattern.test(s))) throw new Error(`violated constraint #${err.constraintIndex} involves none of ${pattern}: ${err.signals.join(", ")}`);
  return err;
}

/** Stops snarkjs/ffjavascript curve worker threads if any test started them (else mocha never exits). */
export async function terminateCurves(): Promise<void> {
  await (globalThis as { curve_bn128?: { terminate?: () => Promise<void> } }).curve_bn128?.terminate?.();
}
