/**
 * Pre-confirmation flood against a real coordinator (a benchmark, not a test: it asserts nothing, it prints).
 *
 *   npx ts-node --transpile-only scripts/bench-coordinator.ts [--chains 100] [--certs 20000] [--concurrency 64] [--deps 0.5]
 *   npm run bench:coordinator -- --chains 100 --certs 20000
 *
 * What it does:
 *   1. starts a `hardhat node` (scripts/devnet/hardhat-node.ts) and deploys the settlement stack at production
 *      global parameters (exit depth 32, 32 network bits: 100 chains do not fit the devnet's 2 bits), then
 *      registers --chains chains with random sequencer keys (policy 0), sending the registrations back to back
 *      with an explicit nonce and waiting only for the last;
 *   2. pre-generates every certificate before timing: per chain heights 0, 1, ... from the chain's empty
 *      production NetworkState, without exits or imports (the state never changes, so the first certificate of
 *      each chain is built with buildCertificate and the others reuse its commitments; spot checks compare them
 *      with buildCertificate); with probability --deps a certificate names one earlier certificate of another
 *      chain (chosen among the previous --dep-window certificates of the global submission order) as an extra
 *      dependency; each one is signed by its sequencer's key over the EIP-712 header (libsecp256k1 on
 *      HeaderVerifier's digest, which gives signCertificate's very signatures ~30x faster; spot checks compare;
 *      signCertificate itself when the addon is missing) and encoded as the request body;
 *   3. starts the coordinator in a CHILD process (this file with --serve: the same loadConfig + startCoordinator
 *      as coordinator/main.ts, plus an IPC channel that reports the store's group-commit counters and timings,
 *      CPU time, event-loop utilisation and the main thread's scheduler statistics) so that the load generator
 *      does not share the coordinator's event loop; --in-process runs it in this process instead, to see what
 *      that costs;
 *   4. submits over keep-alive HTTP JSON-RPC (node:http, one Agent with maxSockets = --concurrency): each chain
 *      submits its heights in order, the next only once the previous was acknowledged, and a certificate with a
 *      dependency only once the dependency's submission was acknowledged; at most --concurrency requests are in
 *      flight. The first --warmup share (default 5%) of the global order is a warm-up and is not counted;
 *   5. prints the sustained rate, the latency distribution (send to acknowledgement), the errors by reason, the
 *      store's group commits (count, time they blocked the event loop), the coordinator's CPU per certificate,
 *      how much of the wall time its main thread was on a CPU or runnable but waiting for one (/proc schedstat:
 *      on a shared machine this is the contention), and the machine's load; stops the coordinator (SIGTERM,
 *      SIGKILL after 10 s) and the hardhat node, also on errors and on Ctrl-C.
 *
 * Reading the latency: with the closed loop (no --rate) the generator keeps --concurrency requests in flight, so
 * by Little's law the mean latency is concurrency / rate (64 in flight at 500/s = 128 ms) whatever the server
 * does; latency targets are measured with --rate below the saturation rate.
 *
 * Options: --chains N, --certs N, --concurrency N, --deps P (0..1), --dep-window N (default 2 x chains),
 * --rate R (offer R certificates/s, paced, instead of the closed loop: latency at a given load; the concurrency
 * cap still applies), --warmup P (default 0.05), --seed S (order and dependencies), --in-process,
 * --cpu-prof DIR (child only: `node --cpu-prof` into DIR), --keep-store (do not delete the store's temp
 * directory), --json (also print one JSON line with the figures).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { HDNodeWallet, JsonRpcProvider, Wallet, getBytes, hexlify, parseEther, randomBytes } from "ethers";
import { startHardhatNode, HardhatNodeHandle } from "./devnet/hardhat-node";
import { deploySettlementStack } from "../deploy/settlement-stack";
import { NetworkState } from "../lib/network-state";
import { PRODUCTION_LAYER_PARAMS } from "../lib/params";
import { buildCertificate } from "../lib/certificate-builder";
import { Certificate, CertificateRef, SignedCertificate, SigningDomain, certificateId, signCertificate, validateCertificate } from "../lib/certificate";
import { HeaderVerifier } from "../lib/header-verifier";
import { certificateToJson } from "../lib/codec";
import { enableFastPoseidon } from "../lib/poseidon";
import { ConfigInput, loadConfig } from "../coordinator/config";
import { createLogger } from "../coordinator/log";
import { startCoordinator, Coordinator } from "../coordinator/service";
import type { SqliteCommitTimings, SqliteStore, SqliteStoreStats } from "../coordinator/store/sqlite";
import { mulberry32 } from "./lib/prng";
import { eachFlag, numberArg } from "./lib/cli";
import { Semaphore, nativeSigner } from "./lib/load";

const MNEMONIC = "test test test test test test test test test test test junk";
const hardhatAccount = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

// ------------------------------------------------------------------------------------------------ options

interface Options {
  chains: number;
  certs: number;
  concurrency: number;
  deps: number;
  /** Offered load in certificates/s (open loop, paced); 0: as fast as the closed loop of --concurrency goes. */
  rate: number;
  depWindow: number;
  warmup: number;
  seed: number;
  inProcess: boolean;
  cpuProf: string | null;
  keepStore: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { chains: 100, certs: 20000, concurrency: 64, deps: 0.5, rate: 0, depWindow: 0, warmup: 0.05, seed: 1, inProcess: false, cpuProf: null, keepStore: false, json: false };
  const num = numberArg;
  eachFlag(argv, __filename, (flag, value) => {
    switch (flag) {
      case "--chains": o.chains = num("chains", value(), 2, 100_000); break;
      case "--certs": o.certs = num("certs", value(), 1, 10_000_000); break;
      case "--concurrency": o.concurrency = num("concurrency", value(), 1, 10_000); break;
      case "--deps": o.deps = num("deps", value(), 0, 1, false); break;
      case "--rate": o.rate = num("rate", value(), 0, 1_000_000, false); break;
      case "--dep-window": o.depWindow = num("dep-window", value(), 1, 10_000_000); break;
      case "--warmup": o.warmup = num("warmup", value(), 0, 0.5, false); break;
      case "--seed": o.seed = num("seed", value(), 0, 2 ** 32 - 1); break;
      case "--in-process": o.inProcess = true; break;
      case "--cpu-prof": o.cpuProf = path.resolve(value() ?? ""); break;
      case "--keep-store": o.keepStore = true; break;
      case "--json": o.json = true; break;
      default: return false;
    }
    return true;
  });
  if (o.depWindow === 0) o.depWindow = 2 * o.chains;
  if (o.cpuProf && o.inProcess) throw new Error("--cpu-prof profiles the coordinator child: it cannot be combined with --in-process");
  return o;
}


// ------------------------------------------------------------------------------------------------ the coordinator child (--serve)

interface ChildStats {
  store: SqliteStoreStats | null;
  /** Time the store's group transactions blocked the event loop. */
  commits: SqliteCommitTimings | null;
  /** /proc/self/schedstat of the main (event-loop) thread: ns on a CPU, ns runnable but waiting for one. */
  sched: { runNs: number; waitNs: number } | null;
  /** process.cpuUsage() in microseconds. */
  cpu: { user: number; system: number };
  /** performance.eventLoopUtilization(): cumulative idle/active ms. */
  elu: { idle: number; active: number };
  rssMb: number;
}

function schedstat(): { runNs: number; waitNs: number } | null {
  try {
    const [run, wait] = fs.readFileSync("/proc/self/schedstat", "utf8").trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runNs: run, waitNs: wait } : null;
  } catch {
    return null;
  }
}

function statsOf(c: Coordinator): ChildStats {
  const store = c.node.d.store as Partial<SqliteStore>;
  const elu = performance.eventLoopUtilization();
  return {
    store: typeof store.stats === "function" ? store.stats() : null,
    commits: typeof store.commitTimings === "function" ? store.commitTimings() : null,
    sched: schedstat(),
    cpu: process.cpuUsage(),
    elu: { idle: elu.idle, active: elu.active },
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

/** Child mode: the coordinator as coordinator/main.ts runs it, plus stats over IPC. Exits when the parent goes. */
async function serve(file: string): Promise<void> {
  const config = loadConfig({ file, env: {} });
  const log = createLogger({ level: config.log.level });
  const c = await startCoordinator(config, { log });
  // Idempotent: a Ctrl-C reaches this process and the parent, whose clean-up then sends SIGTERM too; the parent
  // SIGKILLs it if the graceful stop takes more than STOP_GRACE_MS.
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    c.stop().then(() => process.exit(code), () => process.exit(1));
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  process.on("disconnect", () => stop(0));
  process.on("message", (m: { type?: string; id?: number }) => {
    if (m?.type === "stats") process.send?.({ type: "stats", id: m.id, stats: statsOf(c) });
  });
  process.send?.({ type: "ready", url: c.rpc.url, pid: process.pid });
}

interface CoordinatorHandle {
  url: string;
  pid: number;
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
const liveChildren = new Set<ChildProcess>();
process.on("exit", () => liveChildren.forEach((c) => c.kill("SIGKILL")));

async function spawnCoordinator(configFile: string, o: Options): Promise<CoordinatorHandle> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("COORDINATOR_")) delete env[k];
  const nodeArgs = o.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", o.cpuProf] : [];
  const child = spawn(process.execPath, [...nodeArgs, "-r", require.resolve("ts-node/register/transpile-only"), __filename, "--serve", configFile], {
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
  const pending = new Map<number, (s: ChildStats) => void>();
  let nextId = 0;
  const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the coordinator did not start within 120 s; stderr:\n${stderrTail}`)), 120_000);
    child.on("message", (m: { type: string; url?: string; pid?: number; id?: number; stats?: ChildStats }) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve({ url: m.url!, pid: m.pid! });
      } else if (m.type === "stats") {
        pending.get(m.id!)?.(m.stats!);
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
    const hard = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.kill("SIGTERM");
    await exited;
    clearTimeout(hard);
  };
  try {
    const { url, pid } = await ready;
    return {
      url, pid, stop,
      stats: () => new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`the coordinator exited; stderr:\n${stderrTail}`));
        const id = ++nextId;
        const onExit = () => reject(new Error(`the coordinator exited; stderr:\n${stderrTail}`));
        child.once("exit", onExit);
        pending.set(id, (st) => (child.off("exit", onExit), resolve(st)));
        child.send({ type: "stats", id }, (e) => e && reject(e));
      }),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function inProcessCoordinator(configFile: string): Promise<CoordinatorHandle> {
  const config = loadConfig({ file: configFile, env: {} });
  const c = await startCoordinator(config, { log: createLogger({ level: config.log.level }) });
  return { url: c.rpc.url, pid: process.pid, stats: async () => statsOf(c), stop: () => c.stop() };
}

// ------------------------------------------------------------------------------------------------ HTTP client

interface Reply {
  status: number;
  text: string;
}

function makePoster(url: string, concurrency: number): { post(body: Buffer): Promise<Reply>; agent: http.Agent } {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const post = (body: Buffer) =>
    new Promise<Reply>((resolve, reject) => {
      const req = http.request(
        { agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  return { post, agent };
}

async function rpc<T>(url: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

// ------------------------------------------------------------------------------------------------ certificates

interface Item {
  /** Position in the global submission order. */
  index: number;
  chain: number;
  height: number;
  /** Index of the dependency's item, or -1. */
  dep: number;
  body: Buffer;
}

interface Generated {
  items: Item[];
  withDependency: number;
  signer: string;
  ms: { build: number; sign: number; encode: number };
}

/**
 * The global order is height-major (every chain's height h, chains shuffled, before any height h + 1), so a
 * chain's heights and every dependency (an earlier item) come before the certificates that need them.
 */
async function generate(o: Options, networkIds: number[], sequencers: Map<number, HDNodeWallet>, domain: SigningDomain): Promise<Generated> {
  const rand = mulberry32(o.seed);
  const order: { chain: number; height: number }[] = [];
  for (let h = 0; order.length < o.certs; h++) {
    const level = [...networkIds];
    for (let i = level.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [level[i], level[j]] = [level[j], level[i]];
    }
    for (const chain of level) if (order.length < o.certs) order.push({ chain, height: h });
  }

  const t0 = performance.now();
  // The chains' empty production states and their first certificates, by the model.
  const templates = new Map<number, Certificate>();
  for (const id of networkIds) {
    const b = buildCertificate(new NetworkState(id, PRODUCTION_LAYER_PARAMS), { height: 0n, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [] });
    templates.set(id, b.certificate);
  }
  const certs: Certificate[] = [];
  const ids: bigint[] = [];
  const deps: number[] = [];
  let withDependency = 0;
  for (let k = 0; k < order.length; k++) {
    const { chain, height } = order[k];
    let dep = -1;
    if (k > 0 && rand() < o.deps) {
      for (let attempt = 0; attempt < 16 && dep < 0; attempt++) {
        const lo = Math.max(0, k - o.depWindow);
        const j = lo + Math.floor(rand() * (k - lo));
        if (order[j].chain !== chain) dep = j;
      }
    }
    const dependencies: CertificateRef[] = dep >= 0 ? [{ networkId: order[dep].chain, height: BigInt(order[dep].height), certificateId: ids[dep] }] : [];
    if (dep >= 0) withDependency++;
    const c = validateCertificate({ ...templates.get(chain)!, height: BigInt(height), newStateRoot: hexlify(randomBytes(32)), dependencies, bridgeExits: [], importedExits: [], bundles: [] });
    certs.push(c);
    ids.push(certificateId(c));
    deps.push(dep);
  }
  // Spot checks: the shortcut gives what buildCertificate gives.
  for (let s = 0; s < Math.min(8, order.length); s++) {
    const k = Math.floor(rand() * order.length);
    const c = certs[k];
    const b = buildCertificate(new NetworkState(c.networkId, PRODUCTION_LAYER_PARAMS), {
      height: c.height, newStateRoot: c.newStateRoot, imports: [], exits: [], extraDependencies: c.dependencies,
    });
    if (b.certificateId !== ids[k]) throw new Error(`generator bug: certificate ${k} differs from buildCertificate's`);
  }
  const t1 = performance.now();
  // Signing: libsecp256k1 over HeaderVerifier's digest (RFC 6979 like ethers, so the very same signatures) when
  // the addon loads, ~30x faster than signCertificate; spot checks compare the two.
  const verifier = new HeaderVerifier(domain);
  const native = nativeSigner();
  const signed: SignedCertificate[] = [];
  for (let k = 0; k < certs.length; k++) {
    const c = certs[k];
    const wallet = sequencers.get(c.networkId)!;
    if (!native) signed.push(await signCertificate(wallet, domain, c));
    else {
      const digest = getBytes(verifier.digest({ networkId: c.networkId, height: c.height, certificateId: ids[k] }));
      const { signature, recid } = native.ecdsaSign(digest, getBytes(wallet.privateKey));
      signed.push({ ...c, signature: hexlify(signature) + (27 + recid).toString(16) });
    }
  }
  for (let s = 0; native && s < Math.min(16, certs.length); s++) {
    const k = Math.floor(rand() * certs.length);
    const ref = await signCertificate(sequencers.get(certs[k].networkId)!, domain, certs[k]);
    if (ref.signature !== signed[k].signature) throw new Error(`generator bug: certificate ${k}'s signature differs from signCertificate's`);
  }
  const t2 = performance.now();
  const items: Item[] = signed.map((c, k) => ({
    index: k,
    chain: order[k].chain,
    height: order[k].height,
    dep: deps[k],
    body: Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: k + 1, method: "submitCertificate", params: { certificate: certificateToJson(c) } })),
  }));
  const t3 = performance.now();
  return { items, withDependency, signer: native ? "libsecp256k1 (checked against signCertificate)" : "signCertificate", ms: { build: t1 - t0, sign: t2 - t1, encode: t3 - t2 } };
}

// ------------------------------------------------------------------------------------------------ the flood

/** Hands out send slots at most `rate` per second, in the order they are asked for (an open-loop arrival rate). */
class Pacer {
  private next = 0;
  constructor(private readonly rate: number) {}
  wait(): Promise<void> | undefined {
    if (!this.rate) return undefined;
    const now = performance.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.rate;
    return slot - now >= 1 ? new Promise((r) => setTimeout(r, slot - now)) : undefined;
  }
}

interface PhaseResult {
  count: number;
  ms: number;
  latencies: Float64Array;
  /** Send time of each latency, ms from the phase's start. */
  sentAt: Float64Array;
  ok: number;
  errors: Map<string, number>;
  maxInFlight: number;
}

/** Submits `items` (a contiguous slice of the global order); `acked[i]` settles once item i was answered. */
async function flood(items: Item[], post: (b: Buffer) => Promise<Reply>, concurrency: number, rate: number, acked: Promise<void>[], markAcked: (() => void)[]): Promise<PhaseResult> {
  const byChain = new Map<number, Item[]>();
  for (const it of items) {
    let q = byChain.get(it.chain);
    if (!q) byChain.set(it.chain, (q = []));
    q.push(it);
  }
  const sem = new Semaphore(concurrency);
  const pacer = new Pacer(rate);
  const latencies = new Float64Array(items.length);
  const sentAt = new Float64Array(items.length);
  const errors = new Map<string, number>();
  const fail = (reason: string) => errors.set(reason, (errors.get(reason) ?? 0) + 1);
  let n = 0;
  let ok = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  await Promise.all(
    [...byChain.values()].map(async (queue) => {
      for (const it of queue) {
        if (it.dep >= 0) await acked[it.dep];
        await pacer.wait();
        await sem.acquire();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const s = performance.now();
        try {
          const r = await post(it.body);
          sentAt[n] = s - t0;
          latencies[n++] = performance.now() - s;
          if (r.status !== 200) fail(`HTTP_${r.status}`);
          else {
            const body = JSON.parse(r.text) as { result?: { status?: string }; error?: { data?: { reason?: string } } };
            if (body.result?.status === "PreConfirmed") ok++;
            else fail(body.error?.data?.reason ?? `UNEXPECTED_${body.result?.status ?? "RESULT"}`);
          }
        } catch (e) {
          sentAt[n] = s - t0;
          latencies[n++] = performance.now() - s;
          fail(`TRANSPORT_${(e as NodeJS.ErrnoException).code ?? "ERROR"}`);
        } finally {
          inFlight--;
          sem.release();
          markAcked[it.index]();
        }
      }
    }),
  );
  return { count: items.length, ms: performance.now() - t0, latencies: latencies.subarray(0, n), sentAt: sentAt.subarray(0, n), ok, errors, maxInFlight };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ------------------------------------------------------------------------------------------------ main

const f1 = (x: number) => x.toFixed(1);

/** The five slowest requests: [latency ms, sent at ms from the phase's start] (stalls show as clusters). */
function slowest(r: PhaseResult): [number, number][] {
  const idx = Array.from(r.latencies.keys()).sort((a, b) => r.latencies[b] - r.latencies[a]).slice(0, 5);
  return idx.map((i) => [r.latencies[i], r.sentAt[i]]);
}

/** /proc/pressure/cpu "some avg10" (% of time some runnable task waited for a CPU), or "n/a". */
function cpuPressure(): string {
  try {
    const m = /some avg10=([0-9.]+)/.exec(fs.readFileSync("/proc/pressure/cpu", "utf8"));
    return m ? `${m[1]}%` : "n/a";
  } catch {
    return "n/a";
  }
}
const f2 = (x: number) => x.toFixed(2);

async function bench(o: Options): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch (e) {
        process.stderr.write(`cleanup: ${(e as Error).message}\n`);
      }
    }
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("interrupted: stopping the coordinator and the hardhat node\n");
    cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const step = (s: string) => process.stdout.write(`[bench] ${s}\n`);

  try {
    await enableFastPoseidon();
    const load0 = os.loadavg();
    step(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${load0.map(f2).join(" ")}`);

    // 1. L1: hardhat node, settlement stack at production global params, chains.
    let t = performance.now();
    const l1: HardhatNodeHandle = await startHardhatNode({});
    cleanups.push(() => l1.stop());
    const provider = new JsonRpcProvider(l1.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    provider.pollingInterval = 50;
    cleanups.push(async () => provider.destroy());
    const deployer = new Wallet(hardhatAccount(0).privateKey, provider);
    const startBlock = await provider.getBlockNumber();
    const { hub, bridge } = await deploySettlementStack(deployer, { params: PRODUCTION_LAYER_PARAMS, verifierDeployer: new Wallet(hardhatAccount(9).privateKey, provider) });
    const hubAddress = await hub.getAddress();
    const networkIds = Array.from({ length: o.chains }, (_, i) => i + 1);
    const sequencers = new Map(networkIds.map((id) => [id, Wallet.createRandom()]));
    let nonce = await deployer.getNonce();
    let last;
    for (const id of networkIds) {
      last = await hub.connect(deployer).registerNetwork(id, sequencers.get(id)!.address, 0, { value: parseEther("1"), nonce: nonce++ });
    }
    await last!.wait();
    step(`L1 ${l1.url}: hub ${hubAddress}, ${o.chains} chains registered (${Math.round(performance.now() - t)} ms)`);
    const domain: SigningDomain = { chainId: BigInt(l1.chainId), verifyingContract: hubAddress };

    // 2. Certificates, before any timing.
    t = performance.now();
    const gen = await generate(o, networkIds, sequencers, domain);
    const genMs = performance.now() - t;
    const bytes = gen.items.reduce((a, it) => a + it.body.length, 0);
    step(
      `generated ${gen.items.length} certificates in ${(genMs / 1000).toFixed(1)} s (build ${(gen.ms.build / 1000).toFixed(1)} s, sign ${(gen.ms.sign / 1000).toFixed(1)} s, ` +
        `encode ${(gen.ms.encode / 1000).toFixed(1)} s; signer ${gen.signer}); ${gen.withDependency} with a dependency; mean body ${Math.round(bytes / gen.items.length)} bytes`,
    );

    // 3. The coordinator.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-coordinator-"));
    if (!o.keepStore) cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const config: ConfigInput = {
      rpc: { host: "127.0.0.1", port: 0, rateLimit: { perSecond: 1e9, burst: 1e9 } },
      store: { path: path.join(dir, "coordinator.sqlite") },
      l1: { rpcUrl: l1.url, hub: hubAddress, bridge: await bridge.getAddress(), confirmations: 1, pollMs: 500, startBlock },
      params: "production",
      circuits: { certificate: "certificate_prod" },
      proving: { workers: 1, backup: { enabled: false } },
      lifecycle: { proofTimeoutMs: 3_600_000, bundleTimeoutMs: 3_600_000 },
      epochs: { enabled: false, intervalMs: 0 },
      log: { level: "warn" },
    };
    const configFile = path.join(dir, "config.json");
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    // Node 20's global agent keeps sockets alive: those of the deployment idled through the generation and the
    // hardhat node (5 s keep-alive timeout) may be closing them now; an in-process coordinator would pick one up.
    http.globalAgent.destroy();
    t = performance.now();
    const coord = o.inProcess ? await inProcessCoordinator(configFile) : await spawnCoordinator(configFile, o);
    cleanups.push(() => coord.stop());
    // The registrations must be in the coordinator's L1 view before anything is submitted.
    for (;;) {
      const seen = await Promise.all(networkIds.map((id) => rpc(coord.url, "getNetwork", { networkId: id }).then(() => true, () => false)));
      if (seen.every(Boolean)) break;
      if (performance.now() - t > 60_000) throw new Error("the coordinator did not see the registered chains within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    step(`coordinator ${o.inProcess ? "in this process" : `child pid ${coord.pid}`} at ${coord.url}, store ${config.store!.path} (${Math.round(performance.now() - t)} ms to ready)`);

    // 4. Warm-up, then the timed flood.
    const markAcked: (() => void)[] = new Array(gen.items.length);
    const acked = gen.items.map((_, i) => new Promise<void>((r) => (markAcked[i] = r)));
    const { post, agent } = makePoster(coord.url, o.concurrency);
    cleanups.push(async () => agent.destroy());
    const nWarm = Math.min(gen.items.length - 1, Math.ceil(gen.items.length * o.warmup));
    const warm = await flood(gen.items.slice(0, nWarm), post, o.concurrency, o.rate, acked, markAcked);
    step(`warm-up: ${warm.count} certificates, ${Math.round(warm.count / (warm.ms / 1000))}/s, errors ${JSON.stringify(Object.fromEntries(warm.errors))}`);
    const before = await coord.stats();
    const cpuSelf0 = process.cpuUsage();
    const loadStart = os.loadavg();
    const pressureStart = cpuPressure();
    const run = await flood(gen.items.slice(nWarm), post, o.concurrency, o.rate, acked, markAcked);
    const cpuSelf = process.cpuUsage(cpuSelf0);
    const after = await coord.stats();
    const loadEnd = os.loadavg();
    const pressureEnd = cpuPressure();

    // 5. Figures.
    const sorted = Float64Array.from(run.latencies).sort();
    const rate = run.count / (run.ms / 1000);
    const coordCpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
    const eluActive = after.elu.active - before.elu.active;
    const eluIdle = after.elu.idle - before.elu.idle;
    const txs = after.store && before.store ? after.store.transactions - before.store.transactions : NaN;
    const batches = after.store && before.store ? after.store.batches - before.store.batches : NaN;
    const failedBatches = after.store && before.store ? after.store.failedBatches - before.store.failedBatches : NaN;
    const commitMs = after.commits && before.commits ? after.commits.totalMs - before.commits.totalMs : NaN;
    const schedRunMs = after.sched && before.sched ? (after.sched.runNs - before.sched.runNs) / 1e6 : NaN;
    const schedWaitMs = after.sched && before.sched ? (after.sched.waitNs - before.sched.waitNs) / 1e6 : NaN;
    const pct = (ms: number) => `${f1((100 * ms) / run.ms)}%`;
    const lat = { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
    const errors = Object.fromEntries([...run.errors].sort((a, b) => b[1] - a[1]));
    const lines = [
      "",
      "Coordinator pre-confirmation flood",
      `  chains                 ${o.chains}`,
      `  certificates           ${run.count} timed (+ ${warm.count} warm-up), ${gen.withDependency} of ${gen.items.length} with a dependency (--deps ${o.deps}, window ${o.depWindow})`,
      `  concurrency            ${o.concurrency} (max in flight ${run.maxInFlight}); offered rate ${o.rate ? `${o.rate}/s (open loop)` : "unpaced (closed loop)"}`,
      `  coordinator            ${o.inProcess ? "in-process (shares the load generator's event loop)" : "child process"}, params production, store WAL + synchronous=FULL`,
      `  sustained rate         ${f1(rate)} certificates/s (${run.count} in ${f2(run.ms / 1000)} s)`,
      `  latency (ms)           p50 ${f2(lat.p50)}  p90 ${f2(lat.p90)}  p99 ${f2(lat.p99)}  max ${f2(lat.max)}  mean ${f2(lat.mean)}`,
      `  slowest requests       ${slowest(run).map(([ms, at]) => `${f1(ms)} ms sent at ${f2(at / 1000)} s`).join(", ")}`,
      `  PreConfirmed           ${run.ok} of ${run.count}`,
      `  errors                 ${run.errors.size ? JSON.stringify(errors) : "none"}`,
      `  store group commit     ${Number.isFinite(txs) ? `${txs} transactions, ${batches} batches (${f1(batches / txs)} per transaction), ${failedBatches} failed` : "n/a"}`,
      `  store commits          ${Number.isFinite(commitMs) ? `${f1(commitMs / (txs || 1))} ms per group transaction (mean), ${f2(after.commits!.maxMs)} max over the whole run; ${pct(commitMs)} of the wall time blocked in them` : "n/a"}`,
      `  coordinator CPU        ${f2(coordCpuMs / run.count)} ms/certificate (all threads), ${f1((100 * coordCpuMs) / run.ms)}% of one core; rss ${after.rssMb} MB`,
      `  coordinator event loop busy ${f1((100 * eluActive) / (eluActive + eluIdle))}% of the wall time${o.inProcess ? " (shared with the load generator)" : ""}; main thread on a CPU ${Number.isFinite(schedRunMs) ? pct(schedRunMs) : "n/a"}, runnable but waiting for a CPU ${Number.isFinite(schedWaitMs) ? pct(schedWaitMs) : "n/a"}`,
      `  load generator CPU     ${o.inProcess ? "(the same process as the coordinator: both lines are its total) " : ""}${f1((cpuSelf.user + cpuSelf.system) / 1000 / run.count)} ms/certificate, ${f1((cpuSelf.user + cpuSelf.system) / 10 / run.ms)}% of one core`,
      `  machine                ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${loadStart.map(f2).join(" ")} at start, ${loadEnd.map(f2).join(" ")} at end; CPU pressure (some, avg10) ${pressureStart} -> ${pressureEnd}`,
      `  node                   ${process.version}`,
      `  generation             ${(genMs / 1000).toFixed(1)} s for ${gen.items.length} certificates (not timed)`,
      "",
    ];
    process.stdout.write(lines.join("\n"));
    if (o.json) {
      process.stdout.write(
        JSON.stringify({
          chains: o.chains, certificates: run.count, warmup: warm.count, concurrency: o.concurrency, offeredRate: o.rate, deps: o.deps, depWindow: o.depWindow, inProcess: o.inProcess,
          rate, latencyMs: lat, ok: run.ok, errors, store: { transactions: txs, batches, failedBatches, commitMs }, mainThread: { onCpuMs: schedRunMs, waitingForCpuMs: schedWaitMs, wallMs: run.ms },
          coordinatorCpuMsPerCert: coordCpuMs / run.count, eventLoopBusy: eluActive / (eluActive + eluIdle), cores: os.cpus().length, loadStart, loadEnd, cpuPressure: [pressureStart, pressureEnd], node: process.version, generationMs: genMs,
        }) + "\n",
      );
    }
    if (o.keepStore) step(`store kept in ${dir}`);
  } finally {
    await cleanup();
    if (o.cpuProf) step(`coordinator CPU profile(s) in ${o.cpuProf}`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--serve") return serve(argv[1]);
  await bench(parseArgs(argv));
  // Keep-alive sockets, the provider, timers: nothing here needs to outlive the report.
  process.exit(0);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`bench-coordinator failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
