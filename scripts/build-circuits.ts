/**
 * Circuit build pipeline: circuits/instances.json -> compile -> (DEVELOPMENT) Groth16 setup -> exports.
 *
 *   npm run build:circuits                         build everything (cached), write exports and docs/circuits.md
 *   npm run build:circuits -- --check              compare checked-in exports with the cached zkeys; no building
 *   npm run build:circuits -- --only a,b           only these instances (docs are not rewritten)
 *   npm run build:circuits -- --production         also build the production instances ("production": true; also
 *                                                  ZK_PRODUCTION=1). Off by default: certificate_prod alone takes
 *                                                  ~3 min in circom2 (WASM), and npm test runs this build
 *   npm run build:circuits -- --docs               rewrite docs/circuits.md even if its structure is unchanged
 *   npm run build:circuits -- --frozen             fail instead of changing a checked-in export (default when CI is set)
 *   npm run build:circuits -- --prune              delete all cache directories of older instance versions
 *                                                  (by default the 2 most recent old versions are kept)
 *
 * Per instance (see zk/registry.ts for the cache layout):
 *   1. skip (with a message) when circuits/<file> or its template does not exist yet;
 *   2. compile the generated main with circom2 --O2 into <cache>/circuits/<instance>-<hash>/ (skipped when cached);
 *      instances with "setup": false: --r1cs only, counted, nothing else;
 *   3. Groth16 keys (scripts/circuits/setup.ts, cached): the native prover's DEVELOPMENT setup from the R1CS
 *      (the crate in prover/ is built first if needed), or snarkjs over ZK_PTAU_FILE;
 *   4. export contracts/verifiers/<Pascal>Verifier.sol and circuits/keys/<instance>.vkey.json
 *      (not for production instances).
 * Environment: ZK_CACHE_DIR (default ~/.cache/zk-agglayer), ZK_PTAU_FILE (phase-1 file: snarkjs makes the keys).
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { readR1csHeader, requiredPower } from "../zk/binfile";
import { fileSize, removeStaleTemps, tmpName, withLock, writeFileAtomic } from "../zk/files";
import { ensureNativeProver } from "../zk/native";
import { terminateCurves } from "../zk/snarkjs";
import { DEV_WARNING, ensureSetup } from "./circuits/setup";
import { docsStructureOnDisk, DocRow, renderDocs } from "./circuits/docs";
import { checkExports, compareFiles, exportContext, renderExports, staleGeneratedFiles } from "./circuits/exports";
import {
  cacheRoot,
  checkParams,
  chooseSetup,
  compileFlags,
  CompileRecord,
  DOCS_FILE,
  Instance,
  instanceHash,
  instancePaths,
  InstancePaths,
  isExported,
  LINK_DIRS,
  loadRegistry,
  mainSource,
  readCompileRecord,
  REPO_ROOT,
  SetupRecord,
  setupPaths,
  templateStatus,
  toolVersions,
} from "../zk/registry";
import { fmtSeconds, rel, seconds } from "./circuits/util";

interface Options {
  check: boolean;
  only: string[] | null;
  production: boolean;
  docs: boolean;
  frozen: boolean;
  prune: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    check: false,
    only: null,
    production: process.env.ZK_PRODUCTION === "1",
    docs: false,
    frozen: !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0",
    prune: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--check") o.check = true;
    else if (a === "--only") o.only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a.startsWith("--only=")) o.only = a.slice(7).split(",").filter(Boolean);
    else if (a === "--production") o.production = true;
    else if (a === "--skip-production") o.production = false;
    else if (a === "--docs") o.docs = true;
    else if (a === "--frozen") o.frozen = true;
    else if (a === "--no-frozen") o.frozen = false;
    else if (a === "--prune") o.prune = true;
    else if (a === "--help" || a === "-h") {
      const src = fs.readFileSync(__filename, "utf8");
      console.log(src.slice(src.indexOf("/**") + 3, src.indexOf(" */")).replace(/^ \* ?/gm, "").trim());
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return o;
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/** The peak resident memory (VmHWM) of a running process, in bytes; null where /proc does not tell. */
function peakRss(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s*(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs circom2 (WASM) from the repo root; resolves with its output and its peak memory (sampled every 0.5 s
 * from /proc: VmHWM only grows, so the last sample is the peak up to half a second before the end), rejects
 * with its output on failure.
 */
function runCircom(args: string[], label: string): Promise<{ text: string; peakRssBytes: number | null }> {
  const cli = require.resolve("circom2/cli.js", { paths: [REPO_ROOT] });
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setInterval(() => console.log(`    [${label} ${Math.round((Date.now() - t0) / 1000)} s] circom2 still running`), 30_000);
    let peak: number | null = null;
    const sampler = setInterval(() => (peak = peakRss(child.pid) ?? peak), 500);
    child.on("error", (e) => {
      clearInterval(timer);
      clearInterval(sampler);
      reject(e);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      clearInterval(sampler);
      const text = stripAnsi(out);
      if (code === 0 && /Everything went okay/.test(text)) resolve({ text, peakRssBytes: peak });
      else {
        const secs = seconds(Date.now() - t0);
        const oom = /memory allocation of \d+ bytes failed/.test(text);
        const summary = oom
          ? `circom2 (WASM, 4 GiB memory limit) ran out of memory after ${fmtSeconds(secs)}`
          : `circom2 failed (exit ${code}) after ${fmtSeconds(secs)}`;
        reject(Object.assign(new Error(`${summary} for ${label}:\n${text}`), { summary }));
      }
    });
  });
}

function parseCircomStats(out: string) {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  return {
    nonLinear: num(/non-linear constraints:\s*(\d+)/),
    linear: num(/(?<!non-)linear constraints:\s*(\d+)/),
    templateInstances: num(/template instances:\s*(\d+)/),
  };
}

/** Names of the public signals (wires 1..nPublic) from a .sym file: "labelId,wireId,componentId,name". */
function publicSignalNames(symFile: string, nPublic: number): string[] {
  const names: string[] = new Array(nPublic).fill("");
  const text = fs.readFileSync(symFile, "utf8");
  for (const line of text.split("\n")) {
    const parts = line.split(",");
    if (parts.length < 4) continue;
    const wire = Number(parts[1]);
    if (wire >= 1 && wire <= nPublic) {
      const name = parts.slice(3).join(",").replace(/^main\./, "");
      // keep the main component's own name for the wire (the shortest), not an alias inside a subcomponent
      if (!names[wire - 1] || name.length < names[wire - 1].length) names[wire - 1] = name;
    }
  }
  return names;
}

async function compile(inst: Instance, hash: string, p: InstancePaths): Promise<{ record: CompileRecord; cached: boolean }> {
  const cachedRecord = readCompileRecord(p);
  if (cachedRecord) return { record: cachedRecord, cached: true };
  return withLock(`${p.dir}.lock`, `the compilation of ${inst.name}`, async () => {
    const again = readCompileRecord(p);
    if (again) return { record: again, cached: true };
    removeStaleTemps(p.dir);
    const tmp = tmpName(p.dir);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    try {
      const main = path.join(tmp, path.basename(p.main));
      fs.writeFileSync(main, mainSource(inst));
      const flags = compileFlags(inst);
      const args = [main, ...flags, ...LINK_DIRS.flatMap((d) => ["-l", d]), "-o", tmp];
      console.log(`  ${inst.name}: circom2 ${flags.join(" ")} ${LINK_DIRS.map((d) => `-l ${d}`).join(" ")} (${inst.template}(${Object.values(inst.params).join(", ")}))`);
      const t0 = Date.now();
      let out: string;
      let compilePeakRssBytes: number | null;
      try {
        ({ text: out, peakRssBytes: compilePeakRssBytes } = await runCircom(args, `${inst.name} compile`));
      } catch (e) {
        const failure = { instance: inst.name, hash, summary: (e as { summary?: string }).summary ?? "circom2 failed", at: new Date().toISOString() };
        writeFileAtomic(failedRecordPath(p), JSON.stringify(failure, null, 2) + "\n");
        throw e;
      }
      fs.rmSync(failedRecordPath(p), { force: true });
      const compileSeconds = seconds(Date.now() - t0);
      const r1csTmp = path.join(tmp, path.basename(p.r1cs));
      const r1cs = readR1csHeader(r1csTmp);
      const stats = parseCircomStats(out);
      const nPublic = r1cs.nPubOut + r1cs.nPubIn;
      const symTmp = path.join(tmp, path.basename(p.sym));
      const wasmTmp = path.join(tmp, path.relative(p.dir, p.wasm));
      const record: CompileRecord = {
        instance: inst.name,
        hash,
        template: inst.template,
        file: inst.file,
        params: inst.params,
        flags,
        tools: toolVersions(),
        r1cs,
        r1csSha256: crypto.createHash("sha256").update(fs.readFileSync(r1csTmp)).digest("hex"),
        nonLinearConstraints: stats.nonLinear ?? r1cs.nConstraints,
        linearConstraints: stats.linear ?? 0,
        templateInstances: stats.templateInstances,
        publicSignalNames: fs.existsSync(symTmp) ? publicSignalNames(symTmp, nPublic) : null,
        requiredPower: requiredPower(r1cs),
        compileSeconds,
        ...(compilePeakRssBytes !== null ? { compilePeakRssBytes } : {}),
        compiledAt: new Date().toISOString(),
        r1csBytes: fileSize(r1csTmp),
        wasmBytes: fs.existsSync(wasmTmp) ? fileSize(wasmTmp) : null,
      };
      fs.writeFileSync(path.join(tmp, "compile.json"), JSON.stringify(record, null, 2) + "\n");
      fs.writeFileSync(path.join(tmp, "circom.log"), out);
      fs.rmSync(p.dir, { recursive: true, force: true });
      fs.renameSync(tmp, p.dir);
      return { record, cached: false };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

/** Where a failed compile of this version is recorded (shown in docs/circuits.md). */
const failedRecordPath = (p: InstancePaths) => `${p.dir}.failed.json`;
function readFailure(p: InstancePaths): string | undefined {
  const f = failedRecordPath(p);
  if (!fs.existsSync(f)) return undefined;
  const r = JSON.parse(fs.readFileSync(f, "utf8")) as { summary: string; at: string };
  return `${r.summary} (${r.at.slice(0, 10)})`;
}

/** The docs row of an instance that this run does not build: from the cache, if it holds the current version. */
function cachedRow(inst: Instance): DocRow {
  try {
    checkParams(inst, (templateStatus(inst) as { params: string[] }).params);
    const p = instancePaths(inst);
    const compile = readCompileRecord(p);
    if (!compile) return { inst, failed: readFailure(p) };
    const row: DocRow = { inst, compile };
    if (inst.setup) {
      row.choice = chooseSetup(inst, compile.r1cs);
      const rec = setupPaths(p, row.choice).record;
      if (fs.existsSync(rec)) row.setup = JSON.parse(fs.readFileSync(rec, "utf8")) as SetupRecord;
    }
    return row;
  } catch {
    return { inst };
  }
}

function describeCounts(c: CompileRecord): string {
  const h = c.r1cs;
  return (
    `${h.nConstraints.toLocaleString("en-US")} constraints (${c.nonLinearConstraints} non-linear + ${c.linearConstraints} linear), ` +
    `${h.nPubOut + h.nPubIn} public, ${h.nPrvIn} private inputs, ${h.nWires} wires, domain 2^${c.requiredPower}`
  );
}

async function runCheck(): Promise<number> {
  console.log(`circuits --check: re-exporting from the cached zkeys (${cacheRoot()}) and comparing with the repo`);
  let failed = 0;
  for (const r of await checkExports()) {
    if (r.skipped) console.log(`  ${r.instance}: SKIP (${r.skipped})`);
    else if (r.error) {
      failed++;
      console.log(`  ${r.instance}: FAIL ${r.error}`);
    } else if (r.diffs.length) {
      failed++;
      for (const d of r.diffs) console.log(`  ${r.instance}: FAIL ${d.file} ${d.status} (run npm run build:circuits and commit it)`);
    } else console.log(`  ${r.instance}: ok`);
  }
  for (const f of staleGeneratedFiles()) {
    failed++;
    console.log(`  FAIL ${rel(REPO_ROOT, f)} belongs to no instance with "setup": true (run npm run build:circuits)`);
  }
  return failed ? 1 : 0;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.check) return runCheck();
  const t0 = Date.now();
  const registry = loadRegistry();
  if (opts.only) for (const n of opts.only) if (!registry.instances.some((i) => i.name === n)) throw new Error(`--only: unknown instance ${n}`);
  const selected = registry.instances.filter((i) => (opts.only ? opts.only.includes(i.name) : !i.production || opts.production));
  console.log(`circuits: ${selected.length} of ${registry.instances.length} instances; cache ${cacheRoot()}`);
  if (process.env.ZK_PTAU_FILE) console.log(`circuits: phase 1 from ZK_PTAU_FILE=${process.env.ZK_PTAU_FILE} (snarkjs makes the keys)`);
  else if (selected.some((i) => i.setup)) {
    console.log(`circuits: ${DEV_WARNING}`);
    await ensureNativeProver(); // before the compiles, so its progress shows up front
  }

  const rows: DocRow[] = [];
  const problems: string[] = [];
  const changed: string[] = [];
  let setupFailed = false; // docs are not rewritten then (a failing production compile is shown in them instead)
  for (const inst of registry.instances) {
    const st = templateStatus(inst);
    if (!st.ok) {
      console.log(`  ${inst.name}: SKIP: ${st.reason} (it will be built once it exists)`);
      rows.push({ inst, skipped: st.reason });
      continue;
    }
    if (!selected.includes(inst)) {
      const row = cachedRow(inst);
      try {
        row.hash = instanceHash(inst);
      } catch {
        /* no hash: no carry-over */
      }
      const why = inst.production && !opts.production ? "production instance, built with --production" : "not selected";
      if (row.compile) console.log(`  ${inst.name}: not built in this run (${why}); the cache has this version: ${describeCounts(row.compile)}`);
      else if (row.failed) console.log(`  ${inst.name}: not built in this run (${why}); its last compile failed: ${row.failed}`);
      else console.log(`  ${inst.name}: SKIP (${why})`);
      rows.push(row.compile || row.failed ? row : { inst, hash: row.hash, skipped: `${why}; not in the cache` });
      continue;
    }
    try {
      checkParams(inst, st.params);
      const hash = instanceHash(inst);
      const p = instancePaths(inst, hash);
      const c = await compile(inst, hash, p);
      console.log(`  ${inst.name}: ${c.cached ? "compiled (cached)" : `compiled in ${fmtSeconds(c.record.compileSeconds)}`}: ${describeCounts(c.record)}`);
      const nPublic = c.record.r1cs.nPubOut + c.record.r1cs.nPubIn;
      if (inst.expectPublicSignals !== undefined && nPublic !== inst.expectPublicSignals)
        throw new Error(`instance ${inst.name} has ${nPublic} public signals, circuits/instances.json expects ${inst.expectPublicSignals} (docs/protocol.md §9)`);
      const row: DocRow = { inst, compile: c.record, hash };
      rows.push(row);
      if (!inst.setup) continue;
      if (c.record.publicSignalNames) console.log(`  ${inst.name}: public signals: ${c.record.publicSignalNames.join(", ")}`);
      const choice = chooseSetup(inst, c.record.r1cs);
      row.choice = choice;
      const s = await ensureSetup(inst.name, hash, p, c.record, choice);
      row.setup = s.record;
      if (s.cached) console.log(`  ${inst.name}: setup (cached, ${choice.tag})`);
      if (!isExported(inst)) continue;
      const expected = await renderExports(exportContext(inst));
      for (const d of compareFiles(expected)) {
        const abs = path.join(REPO_ROOT, d.file);
        if (opts.frozen) problems.push(`${d.file} ${d.status}: it differs from what the cached zkey gives; run npm run build:circuits locally and commit it`);
        else {
          writeFileAtomic(abs, expected.get(abs)!);
          changed.push(d.file);
          console.log(`  ${inst.name}: WROTE ${d.file} (${d.status === "missing" ? "new" : "changed"}; commit it)`);
        }
      }
    } catch (e) {
      const summary = (e as { summary?: string }).summary;
      problems.push(`${inst.name}: ${summary ?? (e as Error).message}`);
      console.log(`  ${inst.name}: FAILED: ${(e as Error).message}`);
      if (inst.production && summary) rows.push({ inst, failed: summary, hash: instanceHash(inst) });
      else setupFailed = true;
    }
  }

  // generated files that belong to no instance any more
  if (!opts.only) {
    for (const f of staleGeneratedFiles(registry.instances)) {
      if (opts.frozen) problems.push(`${rel(REPO_ROOT, f)} belongs to no instance with "setup": true`);
      else {
        fs.rmSync(f);
        changed.push(rel(REPO_ROOT, f));
        console.log(`  REMOVED ${rel(REPO_ROOT, f)} (belongs to no instance with "setup": true)`);
      }
    }
  }

  // docs/circuits.md: only from a full run, only when its structure changed (or --docs)
  if (!opts.only && !setupFailed && !(opts.frozen && problems.length)) {
    const docs = renderDocs(rows);
    if (opts.docs || docsStructureOnDisk() !== docs.structureHash) {
      writeFileAtomic(DOCS_FILE, docs.text);
      changed.push(rel(REPO_ROOT, DOCS_FILE));
      console.log(`  WROTE ${rel(REPO_ROOT, DOCS_FILE)}`);
    }
  }

  if (!opts.only) prune(registry.instances, opts.prune);
  await terminateCurves();
  console.log(`circuits: ${problems.length ? "FAILED" : "done"} in ${fmtSeconds(seconds(Date.now() - t0))}${changed.length ? `; changed: ${changed.join(", ")}` : ""}`);
  for (const pr of problems) console.error(`  ${pr}`);
  return problems.length ? 1 : 0;
}

/**
 * Removes cache directories of older versions of the registry's instances: all of them with --prune, otherwise
 * all but the KEEP_OLD_VERSIONS most recent per instance (so switching branches back and forth stays cheap while
 * the cache does not grow with every edit of a template). Lock files and temporary directories are left alone.
 */
const KEEP_OLD_VERSIONS = 2;
function prune(instances: Instance[], all: boolean): void {
  const dir = path.join(cacheRoot(), "circuits");
  if (!fs.existsSync(dir)) return;
  const current = new Set(instances.filter((i) => templateStatus(i).ok).map((i) => path.basename(instancePaths(i).dir)));
  const old = new Map<string, { d: string; mtime: number }[]>();
  for (const d of fs.readdirSync(dir)) {
    const f = /^(.*-[0-9a-f]{16})\.failed\.json$/.exec(d);
    if (f && !current.has(f[1])) fs.rmSync(path.join(dir, d), { force: true }); // failure of an old version
    const m = /^(.*)-[0-9a-f]{16}$/.exec(d);
    if (!m || current.has(d) || !instances.some((i) => i.name === m[1])) continue;
    const list = old.get(m[1]) ?? [];
    list.push({ d, mtime: fs.statSync(path.join(dir, d)).mtimeMs });
    old.set(m[1], list);
  }
  for (const list of old.values()) {
    list.sort((a, b) => b.mtime - a.mtime);
    for (const { d } of list.slice(all ? 0 : KEEP_OLD_VERSIONS)) {
      if (fs.existsSync(path.join(dir, `${d}.lock`))) continue; // being built by another process
      fs.rmSync(path.join(dir, d), { recursive: true, force: true });
      console.log(`  pruned old cache version ${path.join(dir, d)}`);
    }
  }
}

if (require.main === module) {
  main()
    .then((code) => process.exit(code))
    .catch(async (e) => {
      console.error(e instanceof Error ? e.message : e);
      await terminateCurves().catch(() => undefined);
      process.exit(1);
    });
}
