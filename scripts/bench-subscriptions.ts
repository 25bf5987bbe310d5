/**
 * WebSocket subscribers under a pre-confirmation flood (a benchmark, not a test: it asserts nothing, it prints).
 *
 *   npx ts-node --transpile-only scripts/bench-subscriptions.ts [--connections 1000] [--subscriptions 32] [--non-readers 200]
 *   npm run bench:subscriptions -- --certs 3000
 *
 * What it does, in one run against one coordinator:
 *   1. starts a `hardhat node` on loopback, deploys the settlement stack at production global parameters and
 *      registers --chains chains (policy 0);
 *   2. generates and signs every certificate of every phase before timing (no dependencies, no exits or imports:
 *      what matters here is the events they cause, two per certificate);
 *   3. starts the coordinator in a child process (this file with --serve: the same loadConfig + startCoordinator
 *      as coordinator/main.ts, the default WebSocket limits, plus CPU and peak-RSS figures over IPC), and the
 *      subscribers in another (--subscribers), so that neither the load generator nor the coordinator reads
 *      their notifications;
 *   4. runs the phases below, each a flood of --certs certificates over keep-alive HTTP with --concurrency in
 *      flight (each chain submits its heights in order). Between phases every subscriber is closed.
 *        warm-up         no subscribers; not counted (the first phase runs on a cold JIT)
 *        baseline        no subscribers
 *        subscribed      --connections connections with --subscriptions subscriptions each (all events), spread
 *                        over loopback addresses (--per-address each, within the per-address caps); they read
 *        one address     the same load attempted from 127.0.0.1 alone: what the per-address caps let in
 *        followers       --connections connections with one subscription each to one chain (round robin), as
 *                        chain clients follow the chains they depend on; they read
 *        non-readers     --non-readers connections with --subscriptions subscriptions each that never read
 *        baseline again  the machine's drift (the machine may be shared)
 *   5. prints per phase: the rate and its ratio to the baseline (the mean of both baselines), latency, the
 *      coordinator's CPU per certificate, its peak RSS and how far that rose during the phase, what the
 *      subscribers got, and the connections the coordinator dropped as slow consumers. Stops everything, also on
 *      errors and Ctrl-C.
 *
 * Options: --chains N (default 50), --certs N per phase (default 3000), --concurrency N (default 64),
 * --connections N (default 1000), --subscriptions N per connection (default 32), --per-address N (default 8),
 * --non-readers N (default 200), --json (also print one JSON line with the figures).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import WebSocket from "ws";
import { HDNodeWallet, JsonRpcProvider, Wallet, getBytes, hexlify, parseEther, randomBytes } from "ethers";
import { startHardhatNode } from "./devnet/hardhat-node";
import { deploySettlementStack } from "../deploy/settlement-stack";
import { NetworkState } from "../lib/network-state";
import { PRODUCTION_LAYER_PARAMS } from "../lib/params";
import { buildCertificate } from "../lib/certificate-builder";
import { Certificate, SigningDomain, certificateId, signCertificate, validateCertificate } from "../lib/certificate";
import { HeaderVerifier } from "../lib/header-verifier";
import { certificateToJson } from "../lib/codec";
import { enableFastPoseidon } from "../lib/poseidon";
import { ConfigInput, loadConfig } from "../coordinator/config";
import { createLogger } from "../coordinator/log";
import { startCoordinator } from "../coordinator/service";
import { eachFlag, numberArg } from "./lib/cli";
import { nativeSigner } from "./lib/load";

const MNEMONIC = "test test test test test test test test test test test junk";
const hardhatAccount = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

// ------------------------------------------------------------------------------------------------ options

interface Options {
  chains: number;
  certs: number;
  concurrency: number;
  connections: number;
  subscriptions: number;
  perAddress: number;
  nonReaders: number;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { chains: 50, certs: 3000, concurrency: 64, connections: 1000, subscriptions: 32, perAddress: 8, nonReaders: 200, json: false };
  eachFlag(argv, __filename, (flag, value) => {
    switch (flag) {
      case "--chains": o.chains = numberArg("chains", value(), 1, 10_000); break;
      case "--certs": o.certs = numberArg("certs", value(), 100, 200_000); break;
      case "--concurrency": o.concurrency = numberArg("concurrency", value(), 1, 1024); break;
      case "--connections": o.connections = numberArg("connections", value(), 0, 5000); break;
      case "--subscriptions": o.subscriptions = numberArg("subscriptions", value(), 1, 100); break;
      case "--per-address": o.perAddress = numberArg("per-address", value(), 1, 1000); break;
      case "--non-readers": o.nonReaders = numberArg("non-readers", value(), 0, 5000); break;
      case "--json": o.json = true; break;
      default: return false;
    }
    return true;
  });
  return o;
}

/** Loopback addresses 127.0.<i/250 + 1>.<i%250 + 1>, one per `perAddress` connections (all on lo's 127.0.0.0/8). */
function loopbackAddresses(count: number, perAddress: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => {
    const a = offset + Math.floor(i / perAddress);
    return `127.0.${1 + Math.floor(a / 250)}.${1 + (a % 250)}`;
  });
}

// ------------------------------------------------------------------------------------------------ children: IPC

type Msg = { type: string; id?: number; [k: string]: unknown };

interface Child {
  child: ChildProcess;
  ask<T = Msg>(m: Msg, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
process.on("exit", () => liveChildren.forEach((c) => c.kill("SIGKILL")));

/** Starts this file in a child mode; resolves with its "ready" message. */
async function spawnChild(mode: string, arg: string | undefined): Promise<{ handle: Child; ready: Msg }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("COORDINATOR_")) delete env[k];
  const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), __filename, mode, ...(arg ? [arg] : [])], {
    cwd: path.resolve(__dirname, ".."),
    env,
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  liveChildren.add(child);
  let stderrTail = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (stderrTail = (stderrTail + s).slice(-8000)));
  const exited = new Promise<void>((r) => child.once("exit", () => (liveChildren.delete(child), r())));
  const pending = new Map<number, (m: Msg) => void>();
  let nextId = 0;
  const ready = new Promise<Msg>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} did not start within 120 s; stderr:\n${stderrTail}`)), 120_000);
    child.on("message", (m: Msg) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve(m);
      } else if (m.id !== undefined) {
        pending.get(m.id)?.(m);
        pending.delete(m.id);
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${mode} exited (${sig ?? code}); stderr:\n${stderrTail}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const hard = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.kill("SIGTERM");
    await exited;
    clearTimeout(hard);
  };
  const ask = <T>(m: Msg, timeoutMs = 300_000) =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${mode} exited; stderr:\n${stderrTail}`));
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`${mode} did not answer ${m.type} within ${timeoutMs} ms`)), timeoutMs);
      pending.set(id, (r) => (clearTimeout(timer), resolve(r as T)));
      child.send({ ...m, id });
    });
  try {
    return { handle: { child, ask, stop }, ready: await ready };
  } catch (e) {
    await stop();
    throw e;
  }
}

function answerParent(onMessage: (m: Msg) => Promise<Record<string, unknown>>, onStop: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    onStop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  process.on("message", (m: Msg) => {
    onMessage(m).then(
      (r) => process.send?.({ ...r, type: m.type, id: m.id }),
      (e) => process.send?.({ type: m.type, id: m.id, error: String((e as Error).stack ?? e) }),
    );
  });
}

// ------------------------------------------------------------------------------------------------ child: the coordinator

interface CoordinatorStats {
  cpuMs: number;
  rssMb: number;
  /** Highest RSS since the previous stats request that reset it. */
  peakRssMb: number;
  dropped: Record<string, number>;
  /** ms the coordinator's main thread was runnable but waiting for a CPU (/proc/self/schedstat), or null. */
  waitingMs: number | null;
}

/** On a shared machine this is the contention: time the main thread could have run and did not. */
function waitingForCpuMs(): number | null {
  try {
    const wait = Number(fs.readFileSync("/proc/self/schedstat", "utf8").trim().split(/\s+/)[1]);
    return Number.isFinite(wait) ? wait / 1e6 : null;
  } catch {
    return null;
  }
}

async function serveCoordinator(file: string): Promise<void> {
  const config = loadConfig({ file, env: {} });
  const c = await startCoordinator(config, { log: createLogger({ level: config.log.level }) });
  const rss = () => process.memoryUsage().rss;
  let peak = rss();
  setInterval(() => (peak = Math.max(peak, rss())), 20).unref();
  answerParent(
    async (m) => {
      const cpu = process.cpuUsage();
      const dropped: Record<string, number> = {};
      for (const v of (await c.metrics.wsDropped.get()).values) dropped[String(v.labels.cause)] = v.value;
      const stats: CoordinatorStats = { cpuMs: (cpu.user + cpu.system) / 1000, rssMb: rss() / 2 ** 20, peakRssMb: Math.max(peak, rss()) / 2 ** 20, dropped, waitingMs: waitingForCpuMs() };
      if (m.resetPeak) peak = rss();
      return { stats };
    },
    () => c.stop(),
  );
  process.send?.({ type: "ready", url: c.rpc.url, wsUrl: c.rpc.wsUrl, pid: process.pid });
}

// ------------------------------------------------------------------------------------------------ child: the subscribers

interface OpenRequest {
  url: string;
  /** One local address per connection. */
  addresses: string[];
  subscriptions: number;
  read: boolean;
  /** Subscribe to one chain each (1..chains, round robin) instead of to every event. */
  oneChainOf?: number;
}

interface OpenResult {
  accepted: number;
  refused: Record<string, number>;
  subscriptions: number;
  subscribeErrors: Record<string, number>;
}

interface SubscriberStats {
  open: number;
  notifications: number;
  bytes: number;
  /** Connections the server closed, by close code (1006: dropped without a close frame). */
  closedByServer: Record<string, number>;
}

async function serveSubscribers(): Promise<void> {
  let sockets: WebSocket[] = [];
  let notifications = 0;
  let bytes = 0;
  let closedByServer: Record<string, number> = {};
  const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);

  /** Opens one connection and subscribes (one batch request); a non-reader stops reading once it is answered. */
  const openOne = (r: OpenRequest, index: number, out: OpenResult) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(r.url, { localAddress: r.addresses[index], perMessageDeflate: false });
      let answered = false;
      ws.on("unexpected-response", (_req, res) => (bump(out.refused, String(res.statusCode)), resolve()));
      ws.on("error", () => resolve());
      ws.on("open", () => {
        out.accepted++;
        sockets.push(ws);
        const params = (k: number) => (r.oneChainOf ? { networks: [1 + ((index * r.subscriptions + k) % r.oneChainOf)] } : {});
        const batch = Array.from({ length: r.subscriptions }, (_, k) => ({ jsonrpc: "2.0", id: k, method: "subscribe", params: params(k) }));
        ws.send(JSON.stringify(batch));
      });
      ws.on("message", (data: Buffer) => {
        if (answered) {
          notifications++;
          bytes += data.length;
          return;
        }
        answered = true;
        for (const a of JSON.parse(data.toString()) as { result?: string; error?: { data?: { reason?: string } } }[]) {
          if (a.result) out.subscriptions++;
          else bump(out.subscribeErrors, a.error?.data?.reason ?? "error");
        }
        if (!r.read) ws.pause();
        resolve();
      });
      ws.on("close", (code) => {
        // Until closeAll (which resets the counts) only the server closes these connections.
        if (answered) bump(closedByServer, String(code));
        resolve();
      });
    });

  answerParent(
    async (m) => {
      if (m.type === "open") {
        const r = m.request as OpenRequest;
        const out: OpenResult = { accepted: 0, refused: {}, subscriptions: 0, subscribeErrors: {} };
        for (let i = 0; i < r.addresses.length; i += 50) await Promise.all(r.addresses.slice(i, i + 50).map((_, k) => openOne(r, i + k, out)));
        return { result: out };
      }
      if (m.type === "stats") {
        const stats: SubscriberStats = { open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length, notifications, bytes, closedByServer };
        return { stats };
      }
      if (m.type === "closeAll") {
        const closing = sockets.map((s) => new Promise<void>((r) => (s.readyState === WebSocket.CLOSED ? r() : (s.once("close", () => r()), s.terminate()))));
        await Promise.all(closing);
        sockets = [];
        notifications = 0;
        bytes = 0;
        closedByServer = {};
        return {};
      }
      throw new Error(`unknown request ${m.type}`);
    },
    async () => sockets.forEach((s) => s.terminate()),
  );
  process.send?.({ type: "ready" });
}

// ------------------------------------------------------------------------------------------------ certificates

/**
 * Per phase, per chain, the request bodies of its next heights. Each chain's first certificate comes from the
 * model (buildCertificate); the later ones keep its commitments (no exits or imports change the state) with a
 * new state root. Signed over the EIP-712 header with libsecp256k1 when it loads (spot-checked against
 * signCertificate), else with signCertificate.
 */
async function generate(o: Options, phases: number, networkIds: number[], sequencers: Map<number, Wallet>, domain: SigningDomain): Promise<Buffer[][][]> {
  const perChain = Math.ceil(o.certs / networkIds.length);
  const verifier = new HeaderVerifier(domain);
  const native = nativeSigner();
  const out: Buffer[][][] = Array.from({ length: phases }, () => networkIds.map(() => []));
  let n = 0;
  for (const [ci, id] of networkIds.entries()) {
    const template = buildCertificate(new NetworkState(id, PRODUCTION_LAYER_PARAMS), { height: 0n, newStateRoot: hexlify(randomBytes(32)), imports: [], exits: [] }).certificate;
    const wallet = sequencers.get(id)!;
    for (let h = 0; h < phases * perChain; h++) {
      const c: Certificate = validateCertificate({ ...template, height: BigInt(h), newStateRoot: hexlify(randomBytes(32)), dependencies: [], bridgeExits: [], importedExits: [], bundles: [] });
      let signature: string;
      if (native) {
        const digest = getBytes(verifier.digest({ networkId: id, height: c.height, certificateId: certificateId(c) }));
        const s = native.ecdsaSign(digest, getBytes(wallet.privateKey));
        signature = hexlify(s.signature) + (27 + s.recid).toString(16);
        if (n++ < 4 && signature !== (await signCertificate(wallet, domain, c)).signature) throw new Error("libsecp256k1 and signCertificate disagree");
      } else signature = (await signCertificate(wallet, domain, c)).signature;
      const body = JSON.stringify({ jsonrpc: "2.0", id: h, method: "submitCertificate", params: { certificate: certificateToJson({ ...c, signature }) } });
      out[Math.floor(h / perChain)][ci].push(Buffer.from(body));
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ the flood

interface FloodResult {
  count: number;
  ms: number;
  ok: number;
  errors: Record<string, number>;
  latencies: Float64Array;
}

function makePoster(url: string, concurrency: number): { post(body: Buffer): Promise<string>; agent: http.Agent } {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const post = (body: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return { post, agent };
}

/** Each chain submits its queue in order; at most `concurrency` requests are in flight in all. */
async function flood(queues: Buffer[][], post: (b: Buffer) => Promise<string>, concurrency: number): Promise<FloodResult> {
  const total = queues.reduce((a, q) => a + q.length, 0);
  const latencies = new Float64Array(total);
  const errors: Record<string, number> = {};
  let n = 0;
  let ok = 0;
  let free = concurrency;
  const waiting: (() => void)[] = [];
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  const release = () => (waiting.length ? waiting.shift()!() : free++);
  const t0 = performance.now();
  await Promise.all(
    queues.map(async (queue) => {
      for (const body of queue) {
        await acquire();
        const s = performance.now();
        try {
          const r = JSON.parse(await post(body)) as { result?: { status?: string }; error?: { data?: { reason?: string } } };
          if (r.result?.status === "PreConfirmed") ok++;
          else errors[r.error?.data?.reason ?? "UNEXPECTED"] = (errors[r.error?.data?.reason ?? "UNEXPECTED"] ?? 0) + 1;
        } catch (e) {
          const k = `TRANSPORT_${(e as NodeJS.ErrnoException).code ?? "ERROR"}`;
          errors[k] = (errors[k] ?? 0) + 1;
        } finally {
          latencies[n++] = performance.now() - s;
          release();
        }
      }
    }),
  );
  return { count: total, ms: performance.now() - t0, ok, errors, latencies: latencies.subarray(0, n) };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

// ------------------------------------------------------------------------------------------------ main

interface PhaseFigures {
  phase: string;
  rate: number;
  p50: number;
  p99: number;
  errors: Record<string, number>;
  cpuMsPerCert: number;
  peakRssMb: number;
  /** Peak RSS during the phase minus RSS at its start. */
  rssRiseMb: number;
  /** Share of the phase the coordinator's main thread was runnable but waiting for a CPU. */
  waitingShare: number | null;
  opened: OpenResult | null;
  subscribers: SubscriberStats | null;
  droppedSlow: number;
}

const f1 = (x: number) => x.toFixed(1);

async function bench(o: Options): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()!().catch((e) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("interrupted: stopping the children and the hardhat node\n");
    cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const step = (s: string) => process.stdout.write(`[bench] ${s}\n`);

  try {
    await enableFastPoseidon();
    step(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    // 1. L1.
    const l1 = await startHardhatNode({});
    cleanups.push(() => l1.stop());
    const provider = new JsonRpcProvider(l1.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    provider.pollingInterval = 50;
    cleanups.push(async () => provider.destroy());
    const deployer = new Wallet(hardhatAccount(0).privateKey, provider);
    const startBlock = await provider.getBlockNumber();
    const { hub, bridge } = await deploySettlementStack(deployer, { params: PRODUCTION_LAYER_PARAMS, verifierDeployer: new Wallet(hardhatAccount(9).privateKey, provider) });
    const hubAddress = await hub.getAddress();
    const networkIds = Array.from({ length: o.chains }, (_, i) => i + 1);
    const sequencers = new Map(networkIds.map((id) => [id, new Wallet(hexlify(randomBytes(32)))]));
    let nonce = await deployer.getNonce();
    let last;
    for (const id of networkIds) last = await hub.connect(deployer).registerNetwork(id, sequencers.get(id)!.address, 0, { value: parseEther("1"), nonce: nonce++ });
    await last!.wait();
    step(`L1 ${l1.url}: ${o.chains} chains registered`);

    // 2. Certificates.
    const phaseNames = ["warm-up", "baseline", "subscribed", "one address", "followers", "non-readers", "baseline again"];
    let t = performance.now();
    const bodies = await generate(o, phaseNames.length, networkIds, sequencers, { chainId: BigInt(l1.chainId), verifyingContract: hubAddress });
    step(`generated ${phaseNames.length} x ${bodies[0].reduce((a, q) => a + q.length, 0)} certificates in ${f1((performance.now() - t) / 1000)} s`);

    // 3. The coordinator and the subscribers.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-subscriptions-"));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const config: ConfigInput = {
      rpc: { host: "127.0.0.1", port: 0, rateLimit: { perSecond: 1e9, burst: 1e9 } },
      store: { path: path.join(dir, "coordinator.sqlite") },
      l1: { rpcUrl: l1.url, hub: hubAddress, bridge: await bridge.getAddress(), confirmations: 1, pollMs: 500, startBlock },
      params: "production",
      circuits: { certificate: "certificate_prod" },
      proving: { workers: 1, backup: { enabled: false } },
      lifecycle: { proofTimeoutMs: 3_600_000, bundleTimeoutMs: 3_600_000 },
      epochs: { enabled: false, intervalMs: 0 },
      log: { level: "error" },
    };
    const configFile = path.join(dir, "config.json");
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    http.globalAgent.destroy();
    const coord = await spawnChild("--serve", configFile);
    cleanups.push(() => coord.handle.stop());
    const subs = await spawnChild("--subscribers", undefined);
    cleanups.push(() => subs.handle.stop());
    const url = String(coord.ready.url);
    const wsUrl = String(coord.ready.wsUrl);
    step(`coordinator child pid ${coord.ready.pid} at ${url}; subscribers in child pid ${subs.handle.child.pid}`);

    const coordStats = async (resetPeak = false) => {
      const r = await coord.handle.ask<{ stats: CoordinatorStats; error?: string }>({ type: "stats", resetPeak });
      if (r.error) throw new Error(r.error);
      return r.stats;
    };
    const openSubscribers = async (request: OpenRequest) => {
      const r = await subs.handle.ask<{ result: OpenResult; error?: string }>({ type: "open", request });
      if (r.error) throw new Error(r.error);
      return r.result;
    };
    const subscriberStats = async () => (await subs.handle.ask<{ stats: SubscriberStats }>({ type: "stats" })).stats;

    // 4. Phases.
    const figures: PhaseFigures[] = [];
    const setups: Record<string, () => Promise<OpenResult | null>> = {
      "warm-up": async () => null,
      baseline: async () => null,
      subscribed: () => openSubscribers({ url: wsUrl, addresses: loopbackAddresses(o.connections, o.perAddress), subscriptions: o.subscriptions, read: true }),
      "one address": () => openSubscribers({ url: wsUrl, addresses: Array(o.connections).fill("127.0.0.1"), subscriptions: o.subscriptions, read: true }),
      followers: () => openSubscribers({ url: wsUrl, addresses: loopbackAddresses(o.connections, o.perAddress, 1000), subscriptions: 1, read: true, oneChainOf: o.chains }),
      "non-readers": () => openSubscribers({ url: wsUrl, addresses: loopbackAddresses(o.nonReaders, o.perAddress, 2000), subscriptions: o.subscriptions, read: false }),
      "baseline again": async () => null,
    };
    for (const [i, phase] of phaseNames.entries()) {
      t = performance.now();
      const opened = await setups[phase]();
      if (opened) step(`${phase}: ${opened.accepted} connections accepted, refused ${JSON.stringify(opened.refused)}; ${opened.subscriptions} subscriptions, refused ${JSON.stringify(opened.subscribeErrors)} (${Math.round(performance.now() - t)} ms)`);
      const before = await coordStats(true);
      const dropped0 = before.dropped.slow_consumer ?? 0;
      // A fresh agent per phase: a kept-alive socket idle through the set-up can meet the server's keep-alive
      // timeout (5 s) on its next use (ECONNRESET), and the chain whose request it carried would gap.
      const { post, agent } = makePoster(url, o.concurrency);
      const run = await flood(bodies[i], post, o.concurrency).finally(() => agent.destroy());
      const after = await coordStats();
      const subscribers = opened ? await subscriberStats() : null;
      const sorted = Float64Array.from(run.latencies).sort();
      const fig: PhaseFigures = {
        phase,
        rate: run.count / (run.ms / 1000),
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        errors: run.errors,
        cpuMsPerCert: (after.cpuMs - before.cpuMs) / run.count,
        peakRssMb: after.peakRssMb,
        rssRiseMb: after.peakRssMb - before.rssMb,
        waitingShare: after.waitingMs !== null && before.waitingMs !== null ? (after.waitingMs - before.waitingMs) / run.ms : null,
        opened,
        subscribers,
        droppedSlow: (after.dropped.slow_consumer ?? 0) - dropped0,
      };
      figures.push(fig);
      step(`${phase}: ${f1(fig.rate)} certificates/s, ${run.ok} of ${run.count} PreConfirmed${Object.keys(run.errors).length ? `, errors ${JSON.stringify(run.errors)}` : ""}`);
      if (opened) await subs.handle.ask({ type: "closeAll" });
      // Let the coordinator see the closes before the next phase.
      await new Promise((r) => setTimeout(r, 1000));
    }

    // 5. Figures.
    const counted = figures.slice(1);
    const base = (counted[0].rate + counted[counted.length - 1].rate) / 2;
    const rows = counted.map((f) => {
      const s = f.subscribers;
      return [
        f.phase.padEnd(15),
        f1(f.rate).padStart(8),
        `${f1((100 * f.rate) / base)}%`.padStart(7),
        f1(f.p50).padStart(6),
        f1(f.p99).padStart(7),
        f.cpuMsPerCert.toFixed(2).padStart(8),
        (f.waitingShare === null ? "n/a" : `${f1(100 * f.waitingShare)}%`).padStart(6),
        f1(f.peakRssMb).padStart(7),
        `+${f1(f.rssRiseMb)}`.padStart(7),
        (f.opened ? `${f.opened.accepted}/${f.opened.subscriptions}` : "-").padStart(12),
        (s ? String(s.notifications) : "-").padStart(12),
        (s ? f1(s.bytes / 2 ** 20) : "-").padStart(8),
        String(f.droppedSlow).padStart(8),
      ].join(" ");
    });
    process.stdout.write(
      [
        "",
        `Subscribers under a pre-confirmation flood: ${o.certs} certificates per phase, ${o.chains} chains, ${o.concurrency} in flight; ` +
          `${o.connections} connections x ${o.subscriptions} subscriptions (all events), ${o.perAddress} per loopback address; ${o.nonReaders} non-readers`,
        `Baseline (mean of the two unsubscribed phases): ${f1(base)} certificates/s`,
        "",
        "phase             cert/s  vs base    p50     p99  CPU ms/c  wait  RSS MB   rise   conns/subs   notified     MiB  dropped",
        ...rows,
        "",
        "cert/s: sustained pre-confirmation rate; p50/p99: submission latency (ms); CPU ms/c: coordinator CPU per certificate;",
        "wait: share of the phase the coordinator's main thread was runnable but waiting for a CPU (a shared machine's contention);",
        "RSS MB: coordinator peak RSS during the phase, rise: above its RSS at the phase's start; conns/subs: accepted;",
        "notified, MiB: notifications the subscribers read;",
        "dropped: connections the coordinator dropped as slow consumers during the phase.",
        "",
      ].join("\n"),
    );
    if (o.json) process.stdout.write(JSON.stringify({ options: o, baseline: base, phases: figures }) + "\n");
  } finally {
    await cleanup();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--serve") return serveCoordinator(argv[1]);
  if (argv[0] === "--subscribers") return serveSubscribers();
  await bench(parseArgs(argv));
  process.exit(0);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`bench-subscriptions failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
