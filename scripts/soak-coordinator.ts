/**
 * Memory soak of the coordinator (a measurement, not a test: it prints what it measured and a verdict; not in CI).
 *
 *   npm run soak:coordinator -- [--certs 1000000] [--chains 7] [--deps 0.5] [--withhold 20000] [--sample 15]
 *   nice -n 10 npx ts-node --transpile-only scripts/soak-coordinator.ts --certs 1000000
 *   npx ts-node --transpile-only scripts/soak-coordinator.ts --certs 200000 --baseline     # nothing forgotten
 *
 * What it does:
 *   1. starts a coordinator in a CHILD process (this file with --serve), with node --expose-gc: the same
 *      loadConfig + startCoordinator as coordinator/main.ts, its store (SQLite, WAL, synchronous=FULL) in a temp
 *      dir, the JSON-RPC server on loopback, epochs (batches) on a 2 ms timer of up to 8 certificates,
 *      certificate_prod's shape, the backup prover off. Three test seams of startCoordinator replace what cannot
 *      reach a million certificates in an hour on two cores, and nothing else:
 *        - L1: scripts/lib/loopback-l1.ts, an in-memory hub (registers the chains, settles batches, emits the hub's
 *          events in blocks; it checks tips, shapes and networks, not signatures or proofs);
 *        - the prover pool: never asked (the backup prover is off, and a batch proves nothing);
 *        - the certificate-proof verifier: accepts the soak's marker proof, refuses anything else;
 *      and the tree parameters are the smallest that hold the run (--history-depth, network bits for --chains), so
 *      that the model (each certificate's state transition in the L1 mirror, Poseidon everywhere) is not the whole
 *      cost;
 *   2. drives --certs certificates through it over keep-alive HTTP JSON-RPC: each chain submits its heights in
 *      order, each certificate with its proof in one JSON-RPC batch [submitCertificate, submitProof], a share
 *      --deps of them naming a recently acknowledged certificate of another chain, a share --old-deps naming one
 *      acknowledged long ago (finalized, forgotten by the graph, its history entry released: answered from the
 *      store); one certificate in --withhold gets no proof, so it is rejected (PROOF_TIMEOUT after
 *      --proof-timeout-ms) with its cascade (later heights, dependents on other chains), and the chains rebuild from
 *      the height the coordinator names (HEIGHT_GAP's `expected`) at the revision it names (REVISION_NOT_LICENSED's
 *      `expected`; the batches settle those rebuilds with the layer's licence). Intake is held while more than --in-flight
 *      certificates are unsettled (neither Finalized nor Rejected), so that the backlog stays the same size and
 *      what grows, if anything, is what the coordinator keeps of the past;
 *   3. every --sample seconds asks the child for its RSS and its heap after a full GC (global.gc), its status
 *      totals and the certificates its graph holds; prints the series, the rate, and a verdict on the second half
 *      of the run: the least-squares growth of the RSS and of the heap over that half against the noise (3 x the
 *      residuals' standard deviation, at least 5% of the mean): BOUNDED or GROWING.
 *
 * --baseline runs the same soak with the coordinator's forgetting switched off in the child (the graph's forget()
 * and the mirror's releaseHistory() replaced by no-ops): what the coordinator kept before it forgot anything.
 *
 * Options: --certs N (default 1,000,000), --chains N (2..31, default 7), --deps P, --old-deps P, --withhold N (0: every proof is sent),
 * --proof-timeout-ms MS, --in-flight N, --concurrency N (HTTP requests in flight), --history-depth D, --sample S,
 * --slots S (certificates per epoch: the coordinator's epochs.batchSize, default 8),
 * --max-minutes M (stop submitting then, drain and report), --baseline, --seed S, --keep-store, --cpu-prof DIR (the
 * child runs with node --cpu-prof into DIR), --json.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { HDNodeWallet, getBytes, hexlify, randomBytes } from "ethers";
import { NetworkState } from "../lib/network-state";
import { LayerParams } from "../lib/params";
import { NetworkRecords } from "../lib/network-records";
import { buildCertificate } from "../lib/certificate-builder";
import { Certificate, CertificateRef, SignedCertificate, SigningDomain, certificateId, signCertificate, validateCertificate } from "../lib/certificate";
import { HeaderVerifier } from "../lib/header-verifier";
import { certificateToJson } from "../lib/codec";
import { certificatePublicSignals } from "../lib/settlement";
import { CertificateShape, shapeOf } from "../lib/witness/certificate";
import { getInstance } from "../zk/registry";
import { enableFastPoseidon, poseidonCount } from "../lib/poseidon";
import { ConfigInput, certificateShapeOf, loadConfig } from "../coordinator/config";
import { createLogger } from "../coordinator/log";
import { CertificateGraph } from "../coordinator/graph";
import { startCoordinator, Coordinator } from "../coordinator/service";
import type { CertificateStatus } from "../coordinator/types";
import type { ProverPool } from "../zk/prover/pool";
import { LoopbackL1 } from "./lib/loopback-l1";
import { mulberry32 } from "./lib/prng";
import { eachFlag, numberArg } from "./lib/cli";
import { Semaphore, nativeSigner } from "./lib/load";

const HUB = "0x00000000000000000000000000000000000000b0";
const BRIDGE = "0x00000000000000000000000000000000000000b1";
const MNEMONIC = "test test test test test test test test test test test junk";
/** The layer key: signs the rejection licences that the chains' rebuilt revisions settle with. */
const layerKey = () => HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/99");
const sequencerKey = (networkId: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${100 + networkId}`);
/** The soak's certificate proof: schema-valid, and the only one the soak's verifier accepts. */
const SOAK_PROOF = { pi_a: ["1", "2", "1"], pi_b: [["1", "0"], ["0", "1"], ["1", "0"]], pi_c: ["0", "0", "1"], protocol: "groth16", curve: "bn128" };
const UNSETTLED: CertificateStatus[] = ["PreConfirmed", "Proven", "Confirmed", "InEpoch", "Settling"];

// ------------------------------------------------------------------------------------------------ options

interface Options {
  certs: number;
  chains: number;
  deps: number;
  oldDeps: number;
  withhold: number;
  proofTimeoutMs: number;
  inFlight: number;
  concurrency: number;
  historyDepth: number;
  slots: number;
  sample: number;
  maxMinutes: number;
  baseline: boolean;
  seed: number;
  keepStore: boolean;
  cpuProf: string | null;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    certs: 1_000_000, chains: 7, deps: 0.5, oldDeps: 0.002, withhold: 20_000, proofTimeoutMs: 1000, inFlight: 1000, concurrency: 32,
    historyDepth: 18, slots: 8, sample: 15, maxMinutes: 90, baseline: false, seed: 1, keepStore: false, cpuProf: null, json: false,
  };
  const num = numberArg;
  eachFlag(argv, __filename, (flag, value) => {
    switch (flag) {
      case "--certs": o.certs = num("certs", value(), 1, 100_000_000); break;
      case "--chains": o.chains = num("chains", value(), 2, 31); break;
      case "--deps": o.deps = num("deps", value(), 0, 1, false); break;
      case "--old-deps": o.oldDeps = num("old-deps", value(), 0, 1, false); break;
      case "--withhold": o.withhold = num("withhold", value(), 0, 100_000_000); break;
      case "--proof-timeout-ms": o.proofTimeoutMs = num("proof-timeout-ms", value(), 100, 600_000); break;
      case "--in-flight": o.inFlight = num("in-flight", value(), 16, 1_000_000); break;
      case "--concurrency": o.concurrency = num("concurrency", value(), 1, 1024); break;
      case "--history-depth": o.historyDepth = num("history-depth", value(), 8, 32); break;
      case "--slots": o.slots = num("slots", value(), 1, 256); break;
      case "--sample": o.sample = num("sample", value(), 1, 3600, false); break;
      case "--max-minutes": o.maxMinutes = num("max-minutes", value(), 1, 24 * 60, false); break;
      case "--baseline": o.baseline = true; break;
      case "--seed": o.seed = num("seed", value(), 0, 2 ** 32 - 1); break;
      case "--keep-store": o.keepStore = true; break;
      case "--cpu-prof": o.cpuProf = path.resolve(value() ?? ""); break;
      case "--json": o.json = true; break;
      default: return false;
    }
    return true;
  });
  return o;
}

/** The smallest trees that hold the run: network ids 1..chains, and every chain's heights. */
function soakParams(o: Options): LayerParams {
  const networkBits = Math.ceil(Math.log2(o.chains + 1));
  return { exitDepth: 4, balanceDepth: 4, networkBits, historyDepth: o.historyDepth };
}

// ------------------------------------------------------------------------------------------------ the coordinator child (--serve)

interface ChildStats {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  totals: Record<CertificateStatus, number>;
  graph: Record<CertificateStatus, number>;
  l1: { blocks: number; receipts: number };
  cpuMs: number;
  poseidon: number;
}

interface ServeOptions {
  params: LayerParams;
  slots: number;
  networks: { networkId: number; sequencer: string; policyFlags: number }[];
  baseline: boolean;
}

/** What `--baseline` measures: the coordinator keeping every certificate and every history entry in memory. */
function forgetNothing(): void {
  CertificateGraph.prototype.forget = () => [];
  NetworkRecords.prototype.releaseHistory = () => undefined;
}

function childStats(c: Coordinator, l1: LoopbackL1, gc: boolean): ChildStats {
  if (gc) (global as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const mb = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
  return {
    rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external),
    totals: c.node.statusCounts(), graph: c.node.graph.counts(), l1: l1.held, cpuMs: (cpu.user + cpu.system) / 1000, poseidon: poseidonCount(),
  };
}

async function serve(file: string, serveJson: string): Promise<void> {
  const so = JSON.parse(serveJson) as ServeOptions;
  if (so.baseline) forgetNothing();
  const config = loadConfig({ file, env: {} });
  config.epochs.batchSize = so.slots;
  const l1 = new LoopbackL1(so.params, { hub: HUB, bridge: BRIDGE, networks: so.networks, shape: certificateShapeOf(config), layerSigner: layerKey().address });
  const pool = {
    busy: 0,
    queued: 0,
    prove: async () => ({ proof: SOAK_PROOF, publicSignals: [], solidityProof: new Array<bigint>(8).fill(0n), ms: 0 }),
    close: async () => undefined,
  } as unknown as ProverPool;
  const verifyProof = async (_instance: string, _signals: string[], proof: { pi_c: string[] }) => JSON.stringify(proof.pi_c) === JSON.stringify(SOAK_PROOF.pi_c);
  const c = await startCoordinator(config, { log: createLogger({ level: config.log.level }), l1, pool, verifyProof, params: so.params });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    c.stop().then(() => process.exit(code), () => process.exit(1));
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  process.on("disconnect", () => stop(0));
  process.on("message", (m: { type?: string; id?: number; gc?: boolean }) => {
    if (m?.type === "stats") process.send?.({ type: "stats", id: m.id, stats: childStats(c, l1, m.gc === true) });
    if (m?.type === "totals") process.send?.({ type: "totals", id: m.id, totals: c.node.statusCounts() });
  });
  process.send?.({ type: "ready", url: c.rpc.url, pid: process.pid });
}

interface CoordinatorHandle {
  url: string;
  pid: number;
  /** Everything the sampler records (memory after a full GC when `gc`). */
  stats(gc?: boolean): Promise<ChildStats>;
  /** The status totals alone: what the intake gate polls (process.memoryUsage is not free). */
  totals(): Promise<Record<CertificateStatus, number>>;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
process.on("exit", () => liveChildren.forEach((c) => c.kill("SIGKILL")));

async function spawnCoordinator(configFile: string, so: ServeOptions, cpuProf: string | null): Promise<CoordinatorHandle> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("COORDINATOR_")) delete env[k];
  const profile = cpuProf ? ["--cpu-prof", "--cpu-prof-dir", cpuProf] : [];
  const child = spawn(process.execPath, [...profile, "--expose-gc", "-r", require.resolve("ts-node/register/transpile-only"), __filename, "--serve", configFile, JSON.stringify(so)], {
    cwd: path.resolve(__dirname, ".."),
    env,
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  liveChildren.add(child);
  let stderrTail = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => {
    stderrTail = (stderrTail + s).slice(-8000);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => (liveChildren.delete(child), r())));
  const pending = new Map<number, { resolve: (m: { stats?: ChildStats; totals?: Record<CertificateStatus, number> }) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  child.once("exit", () => {
    for (const p of pending.values()) p.reject(new Error(`the coordinator exited; stderr:\n${stderrTail}`));
    pending.clear();
  });
  const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the coordinator did not start within 120 s; stderr:\n${stderrTail}`)), 120_000);
    child.on("message", (m: { type: string; url?: string; pid?: number; id?: number; stats?: ChildStats; totals?: Record<CertificateStatus, number> }) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve({ url: m.url!, pid: m.pid! });
      } else if (m.type === "stats" || m.type === "totals") {
        pending.get(m.id!)?.resolve(m);
        pending.delete(m.id!);
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the coordinator exited (${sig ?? code}) before it was ready; stderr:\n${stderrTail}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const hard = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.kill("SIGTERM");
    await exited;
    clearTimeout(hard);
  };
  try {
    const { url, pid } = await ready;
    const ask = (type: "stats" | "totals", gc = false) =>
      new Promise<{ stats?: ChildStats; totals?: Record<CertificateStatus, number> }>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`the coordinator exited; stderr:\n${stderrTail}`));
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        child.send({ type, id, gc }, (e) => e && reject(e));
      });
    return {
      url, pid, stop,
      stats: async (gc = false) => (await ask("stats", gc)).stats!,
      totals: async () => (await ask("totals")).totals!,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------ the chains

interface RpcReply {
  result?: { status?: string };
  error?: { message: string; data?: { reason?: string; expected?: string | number } };
}

/** Builds and signs the chains' certificates: no exits or imports, so every height starts from the genesis state. */
/** The certificate circuit's shape the soak's coordinator is configured with (certificate_prod). */
const SOAK_SHAPE: CertificateShape = shapeOf(getInstance("certificate_prod").params as unknown as CertificateShape);

class Chains {
  private readonly templates = new Map<number, Certificate>();
  private readonly verifier: HeaderVerifier;
  private readonly native = nativeSigner();
  private checked = 0;

  constructor(
    readonly params: LayerParams,
    readonly networkIds: number[],
    private readonly domain: SigningDomain,
  ) {
    for (const id of networkIds) {
      const b = buildCertificate(new NetworkState(id, params), { height: 0n, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [] });
      this.templates.set(id, b.certificate);
    }
    this.verifier = new HeaderVerifier(domain);
  }

  async build(networkId: number, height: bigint, dependencies: CertificateRef[], revision = 0): Promise<{ id: bigint; json: unknown; signals: string[] }> {
    const c = validateCertificate({
      ...this.templates.get(networkId)!, height, ...(revision > 0 ? { revision } : {}), newStateRoot: hexlify(randomBytes(32)), dependencies, bridgeExits: [], importedExits: [], bundles: [],
    });
    const id = certificateId(c);
    const key = sequencerKey(networkId);
    let signed: SignedCertificate;
    if (!this.native) signed = await signCertificate(key, this.domain, c);
    else {
      const digest = getBytes(this.verifier.digest({ networkId, height, revision, certificateId: id }));
      const { signature, recid } = this.native.ecdsaSign(digest, getBytes(key.privateKey));
      signed = { ...c, signature: hexlify(signature) + (27 + recid).toString(16) };
      // spot checks: the fast signer gives signCertificate's very signatures
      if (this.checked < 8) {
        this.checked++;
        if ((await signCertificate(key, this.domain, c)).signature !== signed.signature) throw new Error("soak bug: the native signature differs from signCertificate's");
      }
    }
    // the proof's public signals: what the certificate states (certificate_prod's shape, as the coordinator checks)
    return { id, json: certificateToJson(signed), signals: certificatePublicSignals(c, id, SOAK_SHAPE).map(String) };
  }
}

function makePoster(url: string, concurrency: number): { post(body: string): Promise<RpcReply[]>; agent: http.Agent } {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const post = (body: string) =>
    new Promise<RpcReply[]>((resolve, reject) => {
      const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcReply | RpcReply[];
            resolve(Array.isArray(parsed) ? parsed : [parsed]);
          } catch (e) {
            reject(new Error(`HTTP ${res.statusCode}: ${(e as Error).message}`));
          }
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return { post, agent };
}

// ------------------------------------------------------------------------------------------------ the drive

interface Sample {
  seconds: number;
  accepted: number;
  finalized: number;
  rejected: number;
  unsettled: number;
  graphNodes: number;
  rssMb: number;
  heapMb: number;
}

interface DriveCounts {
  accepted: number;
  withheld: number;
  oldDependencies: number;
  refused: Map<string, number>;
}

const total = (r: Record<CertificateStatus, number>, ss: CertificateStatus[]) => ss.reduce((a, s) => a + r[s], 0);
const hex = (x: bigint) => "0x" + x.toString(16);

/** Least-squares growth of y over x, scaled to the x range, and the residuals' standard deviation. */
function trend(xs: number[], ys: number[]): { growth: number; sigma: number; mean: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const sigma = Math.sqrt(ys.reduce((a, y, i) => a + (y - (my + slope * (xs[i] - mx))) ** 2, 0) / Math.max(1, n - 2));
  return { growth: slope * (Math.max(...xs) - Math.min(...xs)), sigma, mean: my };
}

function verdict(samples: Sample[], pick: (s: Sample) => number, what: string): { line: string; bounded: boolean; growthPerMillion: number } {
  const half = samples.filter((s) => s.accepted >= samples[samples.length - 1].accepted / 2);
  if (half.length < 4) return { line: `${what}: too few samples in the second half (${half.length})`, bounded: false, growthPerMillion: NaN };
  const t = trend(half.map((s) => s.accepted), half.map(pick));
  const noise = Math.max(3 * t.sigma, 0.05 * t.mean);
  const span = half[half.length - 1].accepted - half[0].accepted;
  const growthPerMillion = span > 0 ? (t.growth / span) * 1e6 : 0;
  const bounded = t.growth <= noise;
  return {
    line: `${what}: ${bounded ? "BOUNDED" : "GROWING"} — fitted growth over the second half ${t.growth.toFixed(1)} MB (${growthPerMillion.toFixed(1)} MB per million certificates), noise ${noise.toFixed(1)} MB (3 sigma ${(3 * t.sigma).toFixed(1)}, 5% of the mean ${(0.05 * t.mean).toFixed(1)})`,
    bounded,
    growthPerMillion,
  };
}

async function soak(o: Options): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()!().catch((e) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
  };
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    cleanup().finally(() => process.exit(130));
  });
  const say = (s: string) => process.stdout.write(`[soak] ${s}\n`);
  try {
    await enableFastPoseidon();
    const params = soakParams(o);
    const networkIds = Array.from({ length: o.chains }, (_, i) => i + 1);
    say(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}; ${o.baseline ? "BASELINE (nothing forgotten)" : "forgetting on"}; params ${JSON.stringify(params)}`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soak-coordinator-"));
    if (!o.keepStore) cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const config: ConfigInput = {
      rpc: { host: "127.0.0.1", port: 0, rateLimit: { perSecond: 1e9, burst: 1e9 } },
      store: { path: path.join(dir, "coordinator.sqlite") },
      l1: { rpcUrl: "http://127.0.0.1:9", hub: HUB, bridge: BRIDGE, confirmations: 1, pollMs: 2, startBlock: 0, reportEquivocations: false, layerKey: layerKey().privateKey },
      params: "production",
      circuits: { certificate: "certificate_prod" },
      proving: { workers: 1, backup: { enabled: false } },
      lifecycle: { proofTimeoutMs: o.proofTimeoutMs, bundleTimeoutMs: 3_600_000, tickMs: 100 },
      epochs: { enabled: true, intervalMs: 2 },
      log: { level: "warn" },
    };
    const configFile = path.join(dir, "config.json");
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const networks = networkIds.map((networkId) => ({ networkId, sequencer: sequencerKey(networkId).address, policyFlags: 0 }));
    const coord = await spawnCoordinator(configFile, { params, slots: o.slots, networks, baseline: o.baseline }, o.cpuProf);
    cleanups.push(() => coord.stop());
    say(`coordinator child pid ${coord.pid} at ${coord.url}, store ${dir}`);

    const chains = new Chains(params, networkIds, { chainId: 31337n, verifyingContract: HUB });
    const { post, agent } = makePoster(coord.url, o.concurrency);
    cleanups.push(async () => agent.destroy());
    const rand = mulberry32(o.seed);
    const counts: DriveCounts = { accepted: 0, withheld: 0, oldDependencies: 0, refused: new Map() };
    const refuse = (reason: string) => counts.refused.set(reason, (counts.refused.get(reason) ?? 0) + 1);
    const recent: CertificateRef[] = [];
    const old: CertificateRef[] = [];
    const stopAt = performance.now() + o.maxMinutes * 60_000;
    const samples: Sample[] = [];
    const t0 = performance.now();
    let lastCpu = 0;
    let lastPoseidon = 0;

    // the gate: the child's unsettled count, refreshed every 50 ms
    let gateOpen = true;
    const gate = setInterval(() => {
      coord.totals().then((t) => (gateOpen = total(t, UNSETTLED) < o.inFlight), () => undefined);
    }, 50);
    cleanups.push(async () => clearInterval(gate));
    const sampleOnce = async () => {
      const s = await coord.stats(true);
      lastCpu = s.cpuMs;
      lastPoseidon = s.poseidon;
      const row: Sample = {
        seconds: (performance.now() - t0) / 1000, accepted: counts.accepted, finalized: s.totals.Finalized, rejected: s.totals.Rejected,
        unsettled: total(s.totals, UNSETTLED), graphNodes: total(s.graph, Object.keys(s.graph) as CertificateStatus[]), rssMb: s.rssMb, heapMb: s.heapUsedMb,
      };
      samples.push(row);
      say(`${row.seconds.toFixed(0).padStart(5)} s  accepted ${row.accepted}  finalized ${row.finalized}  rejected ${row.rejected}  unsettled ${row.unsettled}  graph ${row.graphNodes}  rss ${row.rssMb} MB  heap ${row.heapMb} MB  l1 blocks ${s.l1.blocks}`);
    };
    await sampleOnce();
    let sampling = Promise.resolve();
    const sampler = setInterval(() => (sampling = sampling.then(sampleOnce, () => undefined)), o.sample * 1000);
    cleanups.push(async () => clearInterval(sampler));

    const sem = new Semaphore(o.concurrency);
    const pickDependency = (networkId: number): CertificateRef[] => {
      if (old.length > 0 && rand() < o.oldDeps) {
        const d = old[Math.floor(rand() * old.length)];
        if (d.networkId !== networkId) {
          counts.oldDependencies++;
          return [d];
        }
      }
      if (recent.length === 0 || rand() >= o.deps) return [];
      const d = recent[Math.floor(rand() * recent.length)];
      return d.networkId === networkId ? [] : [d];
    };
    const done = () => counts.accepted >= o.certs || performance.now() >= stopAt;
    const runChain = async (networkId: number) => {
      let height = 0n;
      /** 0, or the revision the coordinator named for a height a rejection freed (REVISION_NOT_LICENSED's `expected`). */
      let revision = 0;
      while (!done()) {
        while (!gateOpen && !done()) await new Promise((r) => setTimeout(r, 5));
        if (done()) break;
        const deps = pickDependency(networkId);
        const { id, json, signals } = await chains.build(networkId, height, deps, revision);
        const withhold = o.withhold > 0 && rand() * o.withhold < 1;
        const calls: unknown[] = [{ jsonrpc: "2.0", id: 1, method: "submitCertificate", params: { certificate: json } }];
        if (!withhold) calls.push({ jsonrpc: "2.0", id: 2, method: "submitProof", params: { certificateId: hex(id), proof: SOAK_PROOF, publicSignals: signals } });
        await sem.acquire();
        let replies: RpcReply[];
        try {
          replies = await post(JSON.stringify(calls));
        } finally {
          sem.release();
        }
        const [cert, proof] = replies;
        if (cert.result?.status === "PreConfirmed") {
          counts.accepted++;
          if (proof && !proof.result) refuse(`proof: ${proof.error?.data?.reason ?? proof.error?.message}`);
          if (withhold) counts.withheld++;
          const ref = { networkId, height, certificateId: id };
          recent.push(ref);
          if (recent.length > 2 * o.chains) recent.shift();
          if (counts.accepted % 97 === 0) {
            old.push(ref);
            if (old.length > 1000) old.shift();
          }
          height++;
          revision = 0;
          continue;
        }
        const reason = cert.error?.data?.reason ?? cert.error?.message ?? "NO_RESULT";
        refuse(reason);
        if (reason === "HEIGHT_GAP") height = BigInt(cert.error!.data!.expected!); // a cascade took the chain back
        else if (reason === "REVISION_NOT_LICENSED" && cert.error!.data!.expected !== undefined) revision = Number(cert.error!.data!.expected); // the rebuild of a rejected height
        else if (reason !== "DEPENDENCY_REJECTED" && reason !== "UNKNOWN_DEPENDENCY") throw new Error(`submitCertificate refused: ${JSON.stringify(cert.error)}`);
      }
    };
    await Promise.all(networkIds.map(runChain));
    const stoppedEarly = counts.accepted < o.certs;
    const intakeSeconds = (performance.now() - t0) / 1000;
    say(`intake done: ${counts.accepted} accepted in ${intakeSeconds.toFixed(0)} s${stoppedEarly ? ` (stopped early: --max-minutes ${o.maxMinutes})` : ""}; draining`);
    for (;;) {
      if (total(await coord.totals(), UNSETTLED) === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    clearInterval(sampler);
    await sampling;
    await sampleOnce();
    const wall = (performance.now() - t0) / 1000;
    const last = samples[samples.length - 1];

    // ------------------------------------------------------------------------------------------------ report
    const rss = verdict(samples, (s) => s.rssMb, "RSS");
    const heap = verdict(samples, (s) => s.heapMb, "heap after GC");
    const every = Math.max(1, Math.ceil(samples.length / 40));
    const table = samples.filter((_, i) => i % every === 0 || i === samples.length - 1);
    const lines = [
      "",
      `Coordinator memory soak${o.baseline ? " — BASELINE: nothing forgotten" : ""}`,
      `  certificates      ${counts.accepted} accepted (${counts.withheld} without a proof), ${last.finalized} finalized, ${last.rejected} rejected; ${counts.oldDependencies} named a long-finalized certificate`,
      `  refused           ${counts.refused.size ? JSON.stringify(Object.fromEntries(counts.refused)) : "none"} (the chains rebuilt after cascades)`,
      `  rate              ${(counts.accepted / intakeSeconds).toFixed(1)} accepted/s during intake, ${(last.finalized / wall).toFixed(1)} finalized/s over ${wall.toFixed(0)} s; coordinator CPU ${(lastCpu / Math.max(1, last.finalized + last.rejected)).toFixed(2)} ms and ${(lastPoseidon / Math.max(1, last.finalized + last.rejected)).toFixed(1)} Poseidon hashes per settled certificate`,
      `  setup             ${o.chains} chains, ${o.slots}-slot epochs, deps ${o.deps}, old deps ${o.oldDeps}, 1 in ${o.withhold || "never"} withheld (proof timeout ${o.proofTimeoutMs} ms), at most ${o.inFlight} unsettled, ${o.concurrency} HTTP in flight`,
      `  machine           ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} at the end, node ${process.version}`,
      "",
      "      s    accepted   finalized   rejected  unsettled    graph   rss MB  heap MB",
      ...table.map((s) => `  ${s.seconds.toFixed(0).padStart(5)}  ${String(s.accepted).padStart(10)}  ${String(s.finalized).padStart(10)}  ${String(s.rejected).padStart(9)}  ${String(s.unsettled).padStart(9)}  ${String(s.graphNodes).padStart(7)}  ${s.rssMb.toFixed(1).padStart(7)}  ${s.heapMb.toFixed(1).padStart(7)}`),
      "",
      `  ${rss.line}`,
      `  ${heap.line}`,
      "",
    ];
    process.stdout.write(lines.join("\n"));
    if (o.json) process.stdout.write(JSON.stringify({ options: o, params, counts: { ...counts, refused: Object.fromEntries(counts.refused) }, wall, intakeSeconds, samples, rss, heap }) + "\n");
    if (o.keepStore) say(`store kept in ${dir}`);
  } finally {
    await cleanup();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--serve") return serve(argv[1], argv[2]);
  await soak(parseArgs(argv));
  process.exit(0);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`soak-coordinator failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
