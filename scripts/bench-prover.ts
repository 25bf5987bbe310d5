/**
 * npm run bench:prover — the same witness proven by snarkjs and by the native prover (prover/), in one run.
 *
 *   npm run bench:prover
 *   npm run bench:prover -- --only certificate_test --runs 5
 *
 * Options:
 *   --only a,b     instances (default: certificate_test, certificate_prod)
 *   --runs N       proofs per prover and instance, the median is reported (default 3; instances over 200k
 *                  constraints: 1, the snarkjs proof alone takes minutes)
 *   --threads N    threads of the native prover (default: every core); snarkjs uses every core
 *   --json FILE    also write every measurement as JSON
 *
 * Per instance: the circuit is built first (compile + the native DEVELOPMENT setup, cached; certificate_prod:
 * ~3 min cold), a realistic input from the reference model (scripts/lib/workloads.ts) goes through the circuit's
 * WASM witness calculator once, and that one witness file is proven by
 *   - snarkjs 0.7.6 `groth16.prove` (the project's prover until now) in a child Node process, and
 *   - the native prover binary (`zk-prover prove`: key and circuit loading, witness check, QAP, MSMs, and the
 *     proof's own pairing check included),
 * each proof then verified with snarkjs against the instance's verification key. Times are wall clock of the
 * whole proving call; peak memory is each process's maximum resident set.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TreeParams, buildCertificate } from "../lib";
import { certificateWitness } from "../lib/witness";
import { CertificateShape, shapeOf } from "../lib/witness/certificate";
import { artifactsFor, calculateWitness, Groth16Proof, terminateCurves, verify } from "../zk/groth16";
import { ensureNativeProver, nativeProve } from "../zk/native";
import { getInstance, Instance, readCompileRecord, instancePaths, REPO_ROOT } from "../zk/registry";
import { Prng } from "./gen-vectors";
import { eachFlag, numberArg } from "./lib/cli";
import { certificateWorkload } from "./lib/workloads";

const DEFAULT_INSTANCES = ["certificate_test", "certificate_prod"];

interface Options {
  only: string[];
  runs: number;
  threads: number | undefined;
  json: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: DEFAULT_INSTANCES, runs: 3, threads: undefined, json: null };
  eachFlag(argv, __filename, (flag, value) => {
    if (flag === "--only") o.only = (value() ?? "").split(",").filter(Boolean);
    else if (flag === "--runs") o.runs = numberArg("runs", value(), 1, 50);
    else if (flag === "--threads") o.threads = numberArg("threads", value(), 1, 256);
    else if (flag === "--json") o.json = value() ?? null;
    else return false;
    return true;
  });
  for (const n of o.only) getInstance(n); // unknown instance: a clear error before anything runs
  return o;
}

/** The circuit input of a realistic workload for an instance of CertificateProof. */
function inputFor(inst: Instance): Record<string, unknown> {
  const p = inst.params;
  const rng = new Prng(`bench-prover ${inst.name}`);
  const shape = shapeOf(p as unknown as CertificateShape);
  if (inst.template === "CertificateProof") {
    const params: TreeParams = { exitDepth: p.exitDepth, balanceDepth: p.balanceDepth, networkBits: p.networkBits };
    // a full certificate: every import, exit and token slot used
    const { state, batch } = certificateWorkload(params, { imports: p.maxImports, exits: p.maxExits, tokens: Math.min(p.maxTokens, p.maxImports) }, rng);
    return certificateWitness(state, buildCertificate(state, batch), shape);
  }
  throw new Error(`bench:prover has no workload for template ${inst.template} (instance ${inst.name})`);
}

interface Measured {
  ms: number;
  peakRssKb: number;
  proof: Groth16Proof;
  publicSignals: string[];
}

/** snarkjs groth16.prove in a child process (its peak memory is then the child's own). */
function snarkjsProve(zkey: string, wtns: string): Promise<Measured> {
  const out = path.join(os.tmpdir(), `bench-snarkjs-${process.pid}-${Date.now()}.json`);
  const script = `
    const fs = require("fs");
    const snarkjs = require(${JSON.stringify(require.resolve("snarkjs", { paths: [REPO_ROOT] }))});
    const t0 = performance.now();
    snarkjs.groth16.prove(process.argv[1], process.argv[2]).then(async (r) => {
      const ms = performance.now() - t0;
      fs.writeFileSync(process.argv[3], JSON.stringify({ ms, peakRssKb: process.resourceUsage().maxRSS, ...r }));
      await globalThis.curve_bn128?.terminate();
      process.exit(0);
    }, (e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script, zkey, wtns, out], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`snarkjs prove exited with ${code}`));
      const r = JSON.parse(fs.readFileSync(out, "utf8")) as Measured;
      fs.rmSync(out, { force: true });
      resolve(r);
    });
  });
}

async function nativeRun(a: { zkey: string; r1cs: string }, wtns: string, threads: number | undefined): Promise<Measured> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-native-"));
  try {
    const files = { zkey: a.zkey, r1cs: a.r1cs, wtns, proof: path.join(dir, "proof.json"), public: path.join(dir, "public.json") };
    const t0 = performance.now();
    const f = await nativeProve(files, { threads });
    const ms = performance.now() - t0; // the whole process, start-up included
    return { ms, peakRssKb: f.peakRssKb, proof: JSON.parse(fs.readFileSync(files.proof, "utf8")), publicSignals: JSON.parse(fs.readFileSync(files.public, "utf8")) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmtS = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const fmtMb = (kb: number) => `${Math.round(kb / 1024)} MiB`;

interface Result {
  instance: string;
  constraints: number;
  witnessMs: number;
  runs: number;
  snarkjs: { ms: number[]; peakRssKb: number; verified: boolean };
  native: { ms: number[]; peakRssKb: number; verified: boolean; threads: number };
  ratio: number;
}

async function benchInstance(name: string, o: Options): Promise<Result> {
  const inst = getInstance(name);
  const a = artifactsFor(name);
  if (!a.zkey || !fs.existsSync(a.zkey)) throw new Error(`${name}: no proving key after the build (${a.zkey})`);
  const constraints = readCompileRecord(instancePaths(inst))!.r1cs.nConstraints;
  const runs = constraints > 200_000 ? 1 : o.runs;
  console.log(`\n${name}: ${constraints.toLocaleString("en-US")} constraints, ${runs} run(s) per prover`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-wtns-"));
  try {
    const wtns = path.join(dir, "witness.wtns");
    const input = inputFor(inst);
    const t0 = performance.now();
    await calculateWitness(name, input, wtns);
    const witnessMs = performance.now() - t0;
    console.log(`  witness (WASM): ${fmtS(witnessMs)}`);
    const r: Result = {
      instance: name, constraints, witnessMs, runs,
      snarkjs: { ms: [], peakRssKb: 0, verified: true },
      native: { ms: [], peakRssKb: 0, verified: true, threads: o.threads ?? os.cpus().length },
      ratio: 0,
    };
    for (let i = 0; i < runs; i++) {
      const s = await snarkjsProve(a.zkey, wtns);
      const sOk = await verify(name, s.publicSignals, s.proof);
      r.snarkjs.ms.push(s.ms);
      r.snarkjs.peakRssKb = Math.max(r.snarkjs.peakRssKb, s.peakRssKb);
      r.snarkjs.verified &&= sOk;
      const n = await nativeRun({ zkey: a.zkey, r1cs: a.r1cs }, wtns, o.threads);
      const nOk = await verify(name, n.publicSignals, n.proof);
      r.native.ms.push(n.ms);
      r.native.peakRssKb = Math.max(r.native.peakRssKb, n.peakRssKb);
      r.native.verified &&= nOk;
      if (JSON.stringify(n.publicSignals) !== JSON.stringify(s.publicSignals)) throw new Error(`${name}: the provers disagree on the public signals`);
      console.log(`  run ${i + 1}: snarkjs ${fmtS(s.ms)} (${fmtMb(s.peakRssKb)}, verifies: ${sOk}), native ${fmtS(n.ms)} (${fmtMb(n.peakRssKb)}, verifies: ${nOk})`);
    }
    r.ratio = median(r.snarkjs.ms) / median(r.native.ms);
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function buildInstances(names: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(__dirname, "build-circuits.ts"), "--only", names.join(",")], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`build:circuits --only ${names.join(",")} failed (exit ${code})`))));
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await ensureNativeProver();
  await buildInstances(o.only);
  const cpu = os.cpus()[0]?.model ?? "?";
  const results: Result[] = [];
  for (const name of o.only) results.push(await benchInstance(name, o));
  await terminateCurves();

  console.log(`\nbench:prover on ${os.cpus().length} cores (${cpu}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log("| instance | constraints | witness (WASM) | snarkjs prove | snarkjs peak memory | native prove | native peak memory | native vs snarkjs | both verify |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of results) {
    console.log(
      `| \`${r.instance}\` | ${r.constraints.toLocaleString("en-US")} | ${fmtS(r.witnessMs)} | ${fmtS(median(r.snarkjs.ms))} | ${fmtMb(r.snarkjs.peakRssKb)} | ` +
        `${fmtS(median(r.native.ms))} | ${fmtMb(r.native.peakRssKb)} | ${r.ratio.toFixed(1)}x faster | ${r.snarkjs.verified && r.native.verified ? "yes" : "NO"} |`,
    );
  }
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ cores: os.cpus().length, cpu, node: process.version, at: new Date().toISOString(), results }, null, 2) + "\n");
  if (results.some((r) => !r.snarkjs.verified || !r.native.verified)) process.exitCode = 1;
}

main().catch(async (e) => {
  console.error(e instanceof Error ? e.message : e);
  await terminateCurves().catch(() => undefined);
  process.exit(1);
});
