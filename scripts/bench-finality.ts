/**
 * Finality under steady load on the devnet (a benchmark, not a test: it prints, it asserts nothing).
 *
 *   npm run bench:finality -- [--rate 0.05] [--duration 600|max] [--drain 600] [--paths random|A-C,B-A,...] [--json]
 *   npm run bench:finality -- --rate 0.2 --duration 120
 *
 * Cross-chain transfers are offered at a steady rate (transfer i is due at i / --rate seconds) for --duration
 * seconds, every proof real (the devnet's chain clients and the coordinator's backup prover, the native prover;
 * the coordinator's epochs settle them with settleBatch). What it measures is how many of them reach L1
 * finalization and how fast:
 *
 *   finalized   the transfer's exit is in a certificate of the source chain that the L1 hub finalized: a
 *               BatchCertificateFinalized event whose new local exit root covers the exit (by an epoch's
 *               settleBatch, or by the opt-out chain C's own batch of one). For a transfer to C (opt-out: it
 *               accepts finalized roots only) the recipient's claim is a second witness of the same thing, and is
 *               reported as well.
 *
 * Every transfer is also claimed on its destination as soon as the destination's oracle holds a covering root
 * (its policy decides when), so the load is the whole transfer: one exit certificate on the source, one claim
 * certificate on the destination.
 *
 * It prints: the machine (cores, load average at start, during and at the end, CPU pressure), the devnet's
 * parameters and the capacity it has left for this run, then every --sample seconds a line of the backlog
 * (offered, mined, claimed, finalized, backlog = offered - finalized), and at the end: the offered and the
 * sustained finalized rate, p50/p95 of bridgeAsset -> finalized (and -> claimed) next to the retired epoch path's
 * recorded figures (EPOCH_PATH_BASELINE: not re-run), the backlog table, where the time to finality went (per
 * transfer, from the coordinator's store: exit -> certificate at the coordinator -> Proven -> Confirmed -> in an
 * epoch -> Finalized), and the layer's per-chain figures (as bench-latency).
 *
 * Capacity: a devnet network's exit tree takes 2^exitDepth - 1 exits and its history tree 2^historyDepth - 1
 * finalized certificates (DEVNET_PARAMS: 2^20 - 1 each); a transfer costs its source one exit and at most one
 * certificate, its destination at most one certificate, and each sending chain one more certificate for its
 * sender's deposit from L1 (upper bounds: a certificate carries up to certificate_test's exits and imports). The
 * script computes the plan (directions included) before starting the devnet and refuses a run that could exhaust a
 * chain; --duration max offers as many transfers as the capacity allows at the given rate (counted up to a million).
 *
 * Options:
 *   --rate R          transfers offered per second (default 0.05)
 *   --duration S|max  seconds of offering (default 600); "max": as long as the devnet's capacity allows
 *   --drain S         seconds to wait after the last offer for the rest to finalize (default 600; it stops earlier
 *                     once every transfer is finalized and claimed)
 *   --chains N        chains on the devnet, 3..6 (default 3: A, B, C; then D confirmed, E pre-confirmed, ...)
 *   --paths P         "random" (default): directions drawn among the N (N - 1) ordered pairs of the chains, in
 *                     shuffled rounds of all pairs (so every chain sends and receives equally);
 *                     or a fixed list such as "A-C" or "A-B,B-A", used in turn
 *   --seed N          seed of the random directions (default 1)
 *   --sample S        seconds between backlog samples (default 10)
 *   --epoch S         the coordinator's epoch interval (default 5, as bench-latency; the devnet's own is 20)
 *   --proof-timeout S the coordinator's proof timeout (default: the devnet's, 150 s)
 *   --keep            keep the data directory (the devnet's warn-level log is in <dir>/devnet.log)
 *   --json            also print one JSON line with every measurement
 * Ctrl-C prints the figures measured so far, then stops everything.
 *
 * Senders: alice on A, bob on B, carol on C, each funded by one deposit from L1; recipients: one fresh account per
 * transfer, given gas on its destination, sending its own claim. A sender's transfers go out one after the other
 * (the next once the previous is mined); a transfer that goes out late is counted from when it was due (offered)
 * and from when it was mined (latency). Percentiles are nearest-rank.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HDNodeWallet, NonceManager, Wallet, parseEther } from "ethers";
import { startDevnet, Devnet, ChainSpec, devnetChains, account, MNEMONIC } from "./devnet/devnet";
import { Scenario, sleep } from "./devnet/scenario";
import { terminateCurves } from "../zk/groth16";
import { DEVNET_PARAMS } from "../lib/params";
import { eachFlag, numberArg } from "./lib/cli";
import { mulberry32 } from "./lib/prng";
import { DestEntries, HubFinalized, SourceTree, capturedLog, cpuPressure, layerReport, loadAvg, loadDuring, logCountLines, machineNow, sampleLoad, sec, summary } from "./lib/devnet-bench";
import type { Summary } from "./lib/devnet-bench";
import { checkBalances, BalanceCheck, LedgerEntry } from "./lib/balance-check";
import { bridgeOnce, claimOnce, leafIndexOf } from "./lib/bench-transfers";

// ------------------------------------------------------------------------------------------------ options

/** Network 0 is L1; chain k is the k-th letter (A = 1, B = 2, ...; scripts/devnet/devnet.ts devnetChains). */
const NAMES: Record<number, string> = { 0: "L1", ...Object.fromEntries(devnetChains(6).map((c) => [c.networkId, c.name])) };
const IDS: Record<string, number> = Object.fromEntries(devnetChains(6).map((c) => [c.name, c.networkId]));
/** Hardhat account of the sender on each source network (1 settles, 5 pays gas, 9 deploys the verifier, 11.. sequence). */
const SENDER: Record<number, number> = { 1: 2, 2: 3, 3: 4, 4: 6, 5: 7, 6: 8 };
const SENDER_NAMES: Record<number, string> = { 1: "alice", 2: "bob", 3: "carol", 4: "dave", 5: "erin", 6: "frank" };
const MAX_CHAINS = 6;
/** Pays the recipients' gas on the destinations. */
const GAS_FUNDER = 5;
const AMOUNT = parseEther("0.01");
/** How often a claim looks for its root once started (it starts when the watcher saw one; this only bounds the RPC load). */
const CLAIM_POLL_MS = 500;
const GAS_PER_RECIPIENT = parseEther("1");
const MAX_EXITS = 2 ** DEVNET_PARAMS.exitDepth - 1;
/**
 * The retired epoch path (aggregation proofs of at most 2 certificates, one epoch at a time), as docs/benchmarks.md
 * records it (table 3: --rate 0.2 --duration 120 on a quiet machine). It is printed next to what a run measures,
 * not measured again: that path no longer exists.
 */
const EPOCH_PATH_BASELINE = { commit: "c2abf60", offeredPerS: 0.2, sustainedPerS: 0.158, p50S: 23.1, p95S: 39.7 } as const;
const MAX_CERTS = 2 ** DEVNET_PARAMS.historyDepth - 1;

interface Direction {
  from: number;
  to: number;
}

interface Options {
  rate: number;
  /** Seconds of offering; null: as long as the capacity allows. */
  durationS: number | null;
  drainS: number;
  paths: "random" | Direction[];
  chains: number;
  seed: number;
  sampleS: number;
  epochS: number;
  proofTimeoutS: number | null;
  keep: boolean;
  json: boolean;
}

function parseDirections(v: string | undefined): "random" | Direction[] {
  if (v === "random") return "random";
  const list = (v ?? "").split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  const out: Direction[] = [];
  for (const p of list) {
    const m = p.match(/^([A-F])-([A-F])$/);
    if (!m || m[1] === m[2]) throw new Error(`--paths: expected "random" or a comma-separated list of pairs such as A-C,B-A (two different chains among A..F), got ${v}`);
    out.push({ from: IDS[m[1]], to: IDS[m[2]] });
  }
  if (out.length === 0) throw new Error(`--paths: expected "random" or a list such as A-C,B-A, got nothing`);
  return out;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rate: 0.05, durationS: 600, drainS: 600, paths: "random", chains: 3, seed: 1, sampleS: 10, epochS: 5, proofTimeoutS: null, keep: false, json: false };
  eachFlag(argv, __filename, (flag, value) => {
    switch (flag) {
      case "--rate": o.rate = numberArg("rate", value(), 0.001, 10, false); break;
      case "--duration": {
        const v = value();
        o.durationS = v === "max" ? null : numberArg("duration", v, 1, 86_400, false);
        break;
      }
      case "--drain": o.drainS = numberArg("drain", value(), 0, 86_400, false); break;
      case "--paths": o.paths = parseDirections(value()); break;
      case "--chains": o.chains = numberArg("chains", value(), 3, MAX_CHAINS); break;
      case "--seed": o.seed = numberArg("seed", value(), 0, 2 ** 32 - 1); break;
      case "--sample": o.sampleS = numberArg("sample", value(), 1, 3600, false); break;
      case "--epoch": o.epochS = numberArg("epoch", value(), 1, 3600, false); break;
      case "--proof-timeout": o.proofTimeoutS = numberArg("proof-timeout", value(), 10, 86_400, false); break;
      case "--keep": o.keep = true; break;
      case "--json": o.json = true; break;
      default: return false;
    }
    return true;
  });
  if (o.paths !== "random") {
    const outside = o.paths.find((d) => d.from > o.chains || d.to > o.chains);
    if (outside) throw new Error(`--paths: ${NAMES[outside.from]}-${NAMES[outside.to]} names a chain beyond --chains ${o.chains}`);
  }
  return o;
}

/** The chain ids of the run: 1..--chains. */
const chainIds = (o: Options) => Array.from({ length: o.chains }, (_, i) => i + 1);

// ------------------------------------------------------------------------------------------------ plan and capacity

/** The directions of transfers 0, 1, ... (as many as asked). */
function directions(o: Options, n: number): Direction[] {
  if (o.paths !== "random") {
    const fixed = o.paths;
    return Array.from({ length: n }, (_, i) => fixed[i % fixed.length]);
  }
  const pairs: Direction[] = [];
  for (const from of chainIds(o)) for (const to of chainIds(o)) if (from !== to) pairs.push({ from, to });
  const rnd = mulberry32(o.seed);
  const out: Direction[] = [];
  while (out.length < n) {
    const round = [...pairs];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [round[i], round[j]] = [round[j], round[i]];
    }
    out.push(...round);
  }
  return out.slice(0, n);
}

interface Usage {
  exits: Map<number, number>;
  certs: Map<number, number>;
}

/** Adds one transfer to `u` (upper bounds: a transfer takes one exit and up to one certificate on each side). */
function take(u: Usage, d: Direction): void {
  const add = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  if (!u.exits.has(d.from)) add(u.certs, d.from); // the sender's deposit claim
  add(u.exits, d.from);
  add(u.certs, d.from);
  add(u.certs, d.to);
}

/** What the first `plan.length` transfers take from each network (upper bounds, the deposits included). */
function usage(plan: Direction[]): Usage {
  const u: Usage = { exits: new Map(), certs: new Map() };
  for (const d of plan) take(u, d);
  return u;
}

const fits = (u: Usage) => [...u.exits.values()].every((x) => x <= MAX_EXITS) && [...u.certs.values()].every((x) => x <= MAX_CERTS);

/** Capacity is only counted up to here (far beyond any run: the devnet's trees take about a million each). */
const CAPACITY_SCAN = 1_000_000;

/** The most transfers the plan's order allows before a network could run out (at most CAPACITY_SCAN). */
function capacity(o: Options): number {
  const all = directions(o, CAPACITY_SCAN + 1);
  const u: Usage = { exits: new Map(), certs: new Map() };
  let n = 0;
  for (const d of all) {
    take(u, d);
    if (!fits(u)) break;
    n++;
  }
  return Math.min(n, CAPACITY_SCAN);
}

const usageLine = (o: Options, u: Usage) => chainIds(o).map((k) => `${NAMES[k]} ${u.certs.get(k) ?? 0}/${MAX_CERTS} certificates, ${u.exits.get(k) ?? 0}/${MAX_EXITS} exits`).join("; ");

// ------------------------------------------------------------------------------------------------ transfers

interface Transfer {
  i: number;
  from: number;
  to: number;
  recipient: HDNodeWallet;
  /** When it was due (i / rate after the start). */
  offeredAt: number;
  sentAt?: number;
  /** bridgeAsset's receipt seen by the sender. */
  minedAt?: number;
  leafIndex?: number;
  /** A BatchCertificateFinalized event of the source covering the exit, first seen. */
  finalizedAt?: number;
  rootAt?: number;
  claimedAt?: number;
  claimStarted?: boolean;
  error?: string;
  claimError?: string;
  /** The bridgeAsset's transaction (its hash survives a rebuild of the source; its leaf index may not). */
  txHash?: string;
}

interface BacklogSample {
  t: number;
  offered: number;
  mined: number;
  claimed: number;
  finalized: number;
  backlog: number;
  /** Certificates the hub finalized so far, all networks. */
  certsFinalized: number;
  load1: number;
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const say = (line: string) => process.stdout.write(line + "\n");

  // The plan first: a run the devnet cannot take is refused before anything starts.
  const maxN = capacity(o);
  const n = o.durationS === null ? maxN : Math.ceil(o.durationS * o.rate - 1e-9);
  const durationS = o.durationS ?? maxN / o.rate;
  const plan = directions(o, n);
  const used = usage(plan);
  const specs: ChainSpec[] = devnetChains(o.chains);
  const pathsLabel = o.paths === "random" ? `random directions among ${specs.map((c) => c.name).join(", ")} (seed ${o.seed}, shuffled rounds of the ${o.chains * (o.chains - 1)} pairs)` : o.paths.map((d) => `${NAMES[d.from]}-${NAMES[d.to]}`).join(",");
  say(`bench-finality: ${n} transfers of ${fmtEth(AMOUNT)} ETH offered at ${o.rate}/s (one every ${sec(1000 / o.rate)} s) for ${durationS.toFixed(0)} s, then up to ${o.drainS} s of drain; paths: ${pathsLabel}`);
  const machine = machineNow();
  say(`machine: ${machine.cores} cores (${machine.model}), Node ${machine.node}, load average ${machine.loadStart} (1/5/15 min), CPU pressure ${machine.pressureStart} (some, 10 s/60 s/300 s)`);
  say(`devnet: exit trees of ${MAX_EXITS} exits and history trees of ${MAX_CERTS} finalized certificates per chain (DEVNET_PARAMS exitDepth ${DEVNET_PARAMS.exitDepth}, historyDepth ${DEVNET_PARAMS.historyDepth}); chains ${specs.map((c) => `${c.name} ${c.policy}`).join(", ")}; epochs every ${o.epochS} s; proof timeout ${o.proofTimeoutS === null ? "the devnet's" : `${o.proofTimeoutS} s`}`);
  say(`capacity: ${maxN >= CAPACITY_SCAN ? "at least" : "at most"} ${maxN} transfers in this plan's order (${(maxN / o.rate).toFixed(0)} s at ${o.rate}/s) before a chain could run out; this run takes (upper bounds, deposits included) ${usageLine(o, used)}`);
  if (n > maxN) {
    const worst = chainIds(o).filter((k) => (used.certs.get(k) ?? 0) > MAX_CERTS || (used.exits.get(k) ?? 0) > MAX_EXITS).map((k) => NAMES[k]).join(", ");
    say(`\nrefused: ${n} transfers would exhaust the devnet's trees on ${worst} (${MAX_CERTS} finalized certificates and ${MAX_EXITS} exits per chain, for the whole life of the devnet). At ${o.rate}/s the longest run is --duration ${Math.floor(maxN / o.rate)} (or --duration max); a lower --rate or fewer seconds fit too.`);
    process.exit(2);
  }
  if (n === 0) {
    say("nothing to offer (--rate x --duration < 1)");
    process.exit(2);
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-finality-"));
  const logFile = path.join(dataDir, "devnet.log");
  const { log, counts: logCounts } = capturedLog(logFile);
  const load = sampleLoad();
  say(`data directory: ${dataDir}`);

  let net: Devnet | null = null;
  let stopping = false;
  let report: ((partial: boolean) => Promise<void>) | null = null;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    load.stop();
    await net?.stop().catch(() => undefined);
    await terminateCurves().catch(() => undefined);
    if (!o.keep) fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on("SIGINT", () => {
    if (stopping) return;
    say("\ninterrupted: the figures so far, then stopping the devnet ...");
    void (report ? report(true).catch((e) => say(`report failed: ${(e as Error).message}`)) : Promise.resolve()).then(() => stop(130));
  });
  process.on("SIGTERM", () => void stop(143));

  try {
    const t0 = Date.now();
    const coordinator: Record<string, unknown> = { epochs: { intervalMs: o.epochS * 1000 } };
    if (o.proofTimeoutS !== null) coordinator.lifecycle = { proofTimeoutMs: o.proofTimeoutS * 1000 };
    const dn = (net = await startDevnet({ log, dataDir, fixedPorts: false, coordinator, chains: specs, progress: (m) => say(`  [devnet] ${m}`) }));
    if (stopping) return;
    const cfg = dn.coordinator.config;
    const shape = dn.coordinator.node.shape;
    const devnetParams = {
      exitDepth: DEVNET_PARAMS.exitDepth,
      historyDepth: DEVNET_PARAMS.historyDepth,
      maxExitsPerChain: MAX_EXITS,
      maxFinalizedCertificatesPerChain: MAX_CERTS,
      epochIntervalMs: cfg.epochs.intervalMs,
      batchSize: cfg.epochs.batchSize,
      proofTimeoutMs: cfg.lifecycle.proofTimeoutMs,
      certificateShape: { maxExits: shape.maxExits, maxImports: shape.maxImports, maxDependencies: shape.maxDependencies },
      chains: specs.map((c) => `${c.name} ${c.policy}`),
    };
    say(`devnet up in ${sec(Date.now() - t0)} s: epochs every ${cfg.epochs.intervalMs / 1000} s of up to ${cfg.epochs.batchSize} certificates (one settleBatch each); proof timeout ${cfg.lifecycle.proofTimeoutMs / 1000} s; certificates of at most ${shape.maxExits} exit(s) and ${shape.maxImports} import(s)`);
    const s = new Scenario(dn);

    // -------------------------------------------------------------------------------------------- funding
    const tf = Date.now();
    const perSource = new Map<number, number>();
    for (const d of plan) perSource.set(d.from, (perSource.get(d.from) ?? 0) + 1);
    const deposits: { from: number; who: HDNodeWallet; amount: bigint; d: { leafIndex: number; at: number } }[] = [];
    const l1Locked0 = await dn.l1.provider.getBalance(String(dn.l1.layer.bridge.target));
    for (const [from, k] of perSource) {
      const who = account(SENDER[from]);
      const amount = AMOUNT * BigInt(k) + parseEther("0.1");
      deposits.push({ from, who, amount, d: await s.bridgeOut(0, who, from, who.address, amount) });
    }
    const root = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/2'");
    const transfers: Transfer[] = plan.map((d, i) => ({ i, from: d.from, to: d.to, recipient: root.deriveChild(i), offeredAt: 0 }));
    const fundGas = async (dest: number, list: HDNodeWallet[]) => {
      const funder = new NonceManager(new Wallet(account(GAS_FUNDER).privateKey, dn.chains.get(dest)!.provider));
      let last = null;
      for (const r of list) last = await funder.sendTransaction({ to: r.address, value: GAS_PER_RECIPIENT });
      await last?.wait();
    };
    await Promise.all([
      ...chainIds(o).map((dest) => fundGas(dest, transfers.filter((t) => t.to === dest).map((t) => t.recipient))),
      ...deposits.map(({ from, who, d }) => s.claimWhenAvailable(0, from, d.leafIndex, who).then((at) => say(`  funded ${SENDER_NAMES[from]} on ${NAMES[from]}: deposit L1 -> ${NAMES[from]} spendable ${sec(at - d.at)} s after its checkpoint`))),
    ]);
    say(`funding done in ${sec(Date.now() - tf)} s (deposits for ${[...perSource.keys()].map((k) => SENDER_NAMES[k]).join(", ")}; gas for ${n} recipients)`);
    if (stopping) return;

    // -------------------------------------------------------------------------------------------- watcher
    const sources = new Map<number, SourceTree>(chainIds(o).map((k) => [k, new SourceTree(dn, k)]));
    const entries = new Map<string, DestEntries>();
    for (const d of plan) if (!entries.has(`${d.from}-${d.to}`)) entries.set(`${d.from}-${d.to}`, new DestEntries(dn, d.to, d.from));
    const hub = new HubFinalized(dn);
    const tStart = Date.now() + 1000;
    for (const t of transfers) t.offeredAt = tStart + (t.i / o.rate) * 1000;
    const endOffer = tStart + durationS * 1000;
    const drainUntil = endOffer + o.drainS * 1000;
    const at = () => `[${sec(Date.now() - tStart).padStart(8)} s]`;
    const done = (t: Transfer) => t.error !== undefined || (t.finalizedAt !== undefined && (t.claimedAt !== undefined || t.claimError !== undefined));

    const claim = (t: Transfer) => {
      t.claimStarted = true;
      void claimOnce(s, dn, { from: t.from, to: t.to, txHash: t.txHash!, claimer: t.recipient }, drainUntil, CLAIM_POLL_MS)
        .then((x) => {
          t.claimedAt = x.at;
          t.leafIndex = x.leafIndex;
        })
        .catch((e) => {
          t.claimError = (e as Error).message.slice(0, 200);
          say(`  ${at()} #${t.i} ${NAMES[t.from]} -> ${NAMES[t.to]}: claim failed: ${t.claimError}`);
        });
    };

    const backlog: BacklogSample[] = [];
    const sample = () => {
      const now = Date.now();
      const offered = transfers.filter((t) => t.offeredAt <= now).length;
      const finalized = transfers.filter((t) => t.finalizedAt !== undefined).length;
      const x: BacklogSample = {
        t: Math.round((now - tStart) / 1000),
        offered,
        mined: transfers.filter((t) => t.minedAt !== undefined).length,
        claimed: transfers.filter((t) => t.claimedAt !== undefined).length,
        finalized,
        backlog: offered - finalized,
        certsFinalized: [...hub.count.values()].reduce((a, b) => a + b, 0),
        load1: os.loadavg()[0],
      };
      backlog.push(x);
      say(`  ${at()} offered ${x.offered}, mined ${x.mined}, claimed ${x.claimed}, finalized ${x.finalized}, backlog ${x.backlog}; certificates finalized on L1 ${x.certsFinalized}; load ${x.load1.toFixed(2)}`);
    };

    const watcher = (async () => {
      let nextSample = tStart;
      while (!stopping) {
        try {
          await Promise.all([...sources.values()].map((x) => x.poll()));
          await Promise.all([...entries.values()].map((x) => x.poll()).concat(hub.poll()));
          const now = Date.now();
          for (const t of transfers) {
            if (t.leafIndex === undefined) continue;
            const src = sources.get(t.from)!;
            if (t.finalizedAt === undefined && hub.coveredSize(t.from, src) > t.leafIndex) t.finalizedAt = now;
            if (!t.claimStarted && entries.get(`${t.from}-${t.to}`)!.coveredSize(src) > t.leafIndex) {
              t.rootAt = now;
              claim(t);
            }
          }
          if (now >= nextSample) {
            sample();
            nextSample += o.sampleS * 1000;
          }
          if (now >= endOffer && transfers.every(done)) break;
          if (now >= drainUntil) {
            say(`  ${at()} drain time over (${o.drainS} s after the last offer)`);
            break;
          }
        } catch (e) {
          if (!stopping) say(`  watcher: ${(e as Error).message.slice(0, 200)}`);
        }
        await sleep(200);
      }
      sample();
    })();

    // -------------------------------------------------------------------------------------------- report
    report = async (partial: boolean) => {
      const end = Date.now();
      machine.loadEnd = loadAvg();
      machine.pressureEnd = cpuPressure();
      const during = loadDuring(load.samples, tStart);
      const offered = transfers.filter((t) => t.offeredAt <= end);
      const fin = transfers.filter((t) => t.finalizedAt !== undefined && t.minedAt !== undefined);
      const lat = summary(fin.map((t) => t.finalizedAt! - t.minedAt!));
      const offeredSpan = Math.min(end, endOffer) - tStart;
      const finInOffer = fin.filter((t) => t.finalizedAt! <= endOffer).length;
      const half = tStart + offeredSpan / 2;
      const finSecondHalf = fin.filter((t) => t.finalizedAt! > half && t.finalizedAt! <= tStart + offeredSpan).length;
      const lastFin = fin.length ? Math.max(...fin.map((t) => t.finalizedAt!)) : NaN;
      const lateSends = summary(transfers.filter((t) => t.sentAt !== undefined).map((t) => t.sentAt! - t.offeredAt));
      const rates = {
        offeredPerS: offered.length / (offeredSpan / 1000),
        finalizedDuringOfferingPerS: finInOffer / (offeredSpan / 1000),
        finalizedSecondHalfPerS: finSecondHalf / (offeredSpan / 2000),
        finalizedOverallPerS: fin.length / ((lastFin - tStart) / 1000),
      };
      say(`\n== finality under steady load${partial ? " (PARTIAL: interrupted)" : ""}: ${offered.length} transfers offered over ${sec(offeredSpan)} s (${rates.offeredPerS.toFixed(4)}/s), ${fin.length} finalized on L1, ${transfers.filter((t) => t.claimedAt !== undefined).length} claimed`);
      say(`sustained finalized rate: ${rates.finalizedDuringOfferingPerS.toFixed(4)}/s while offering (${finInOffer} finalized by the last offer), ${rates.finalizedSecondHalfPerS.toFixed(4)}/s over its second half, ${Number.isFinite(rates.finalizedOverallPerS) ? rates.finalizedOverallPerS.toFixed(4) : "-"}/s from the first offer to the last finalization (${sec(lastFin - tStart)} s)`);
      const base = EPOCH_PATH_BASELINE;
      say(`recorded baseline (epoch path, commit ${base.commit}, retired): ${base.sustainedPerS}/s sustained at ${base.offeredPerS}/s offered, bridgeAsset -> finalized p50 ${base.p50S} s, p95 ${base.p95S} s (docs/benchmarks.md; not re-run)`);
      say(`sends: bridgeAsset sent p50 ${sec(lateSends.p50)} s, max ${sec(lateSends.max)} s after it was due${transfers.some((t) => t.error) ? `; ${transfers.filter((t) => t.error).length} failed to send` : ""}`);
      const row = (label: string, sm: Summary, extra = "") => say(`${label.padEnd(44)} ${String(sm.n).padStart(4)} ${sec(sm.p50).padStart(8)} ${sec(sm.p95).padStart(8)} ${sec(sm.min).padStart(8)} ${sec(sm.max).padStart(8)}${extra}`);
      say(`\n${"latency (s)".padEnd(44)} ${"n".padStart(4)} ${"p50".padStart(8)} ${"p95".padStart(8)} ${"min".padStart(8)} ${"max".padStart(8)}`);
      row("bridgeAsset -> finalized on L1 (all)", lat);
      const results: Record<string, unknown> = { all: lat };
      for (const src of chainIds(o)) {
        const mine = fin.filter((t) => t.from === src);
        if (mine.length) row(`  from ${NAMES[src]}`, summary(mine.map((t) => t.finalizedAt! - t.minedAt!)));
      }
      const claimedAll = transfers.filter((t) => t.claimedAt !== undefined && t.minedAt !== undefined);
      for (const dest of chainIds(o)) {
        const mine = claimedAll.filter((t) => t.to === dest);
        const sm = summary(mine.map((t) => t.claimedAt! - t.minedAt!));
        results[`claimedOn${NAMES[dest]}`] = sm;
        if (mine.length) row(`bridgeAsset -> claimed on ${NAMES[dest]} (${specs[dest - 1].policy})`, sm, dest === 3 ? "   (C accepts finalized roots only)" : "");
      }
      const firstLast = fin.sort((a, b) => a.i - b.i);
      if (firstLast.length) say(`first transfer finalized after ${sec(firstLast[0].finalizedAt! - firstLast[0].minedAt!)} s, last after ${sec(firstLast[firstLast.length - 1].finalizedAt! - firstLast[firstLast.length - 1].minedAt!)} s (queueing shows as a trend)`);
      const notFin = transfers.filter((t) => t.finalizedAt === undefined);
      if (notFin.length) say(`not finalized: ${notFin.length} (${notFin.filter((t) => t.offeredAt > end).length} never offered, ${notFin.filter((t) => t.error).length} failed to send)`);

      const phases = phaseReport(dn, transfers, sources);
      for (const l of phases.lines) say(l);

      say(`\n== backlog (offered - finalized on L1), every ${o.sampleS} s${backlog.length > 40 ? ` (every ${Math.ceil(backlog.length / 40)}th sample shown; --json has all)` : ""}`);
      say(`${"t (s)".padStart(7)} ${"offered".padStart(8)} ${"mined".padStart(6)} ${"claimed".padStart(8)} ${"finalized".padStart(10)} ${"backlog".padStart(8)} ${"L1 certs".padStart(9)} ${"load1".padStart(6)}`);
      const stride = Math.max(1, Math.ceil(backlog.length / 40));
      backlog.forEach((b, k) => {
        if (k % stride !== 0 && k !== backlog.length - 1) return;
        say(`${String(b.t).padStart(7)} ${String(b.offered).padStart(8)} ${String(b.mined).padStart(6)} ${String(b.claimed).padStart(8)} ${String(b.finalized).padStart(10)} ${String(b.backlog).padStart(8)} ${String(b.certsFinalized).padStart(9)} ${b.load1.toFixed(2).padStart(6)}`);
      });
      say(`(L1 certs: certificates of any chain finalized by the hub since the devnet started, funding deposits included)`);

      say(`\nwall time of the measured part: ${sec(end - tStart)} s; load average at start ${machine.loadStart}, end ${machine.loadEnd}; 1-min load during the run: mean ${during.mean}, max ${during.max} (${machine.cores} cores); CPU pressure (some, 10 s/60 s/300 s) start ${machine.pressureStart}, end ${machine.pressureEnd}`);
      say(`machine: ${machine.cores} x ${machine.model}, Node ${machine.node}, ${os.platform()} ${os.release()}`);
      say(`capacity used (hub): ${chainIds(o).map((k) => `${NAMES[k]} ${hub.count.get(k) ?? 0}/${MAX_CERTS} certificates finalized`).join(", ")}`);
      const layer = layerReport(dn, tStart);
      for (const l of layer.lines) say(l);
      if (logCounts.size > 0) {
        say(`\ndevnet log lines at warn level and above (${logFile}${o.keep ? "" : ", deleted at exit; --keep keeps it"}):`);
        for (const l of logCountLines(logCounts)) say(l);
      }
      if (layer.data.proofTimeouts > 0) say(`\nWARNING: ${layer.data.proofTimeouts} certificate(s) were rejected for a missing proof (the coordinator's proof timeout) and their chains rebuilt: the figures include those cascades (see --proof-timeout).`);
      if (o.json) {
        say(JSON.stringify({
          options: o, partial, devnet: devnetParams, capacity: { maxTransfers: maxN, planned: n, usage: { certs: Object.fromEntries(used.certs), exits: Object.fromEntries(used.exits) } },
          machine: { ...machine, loadDuring: during.values }, wallMs: end - tStart, rates, results, baseline: EPOCH_PATH_BASELINE, phases: phases.data, backlog,
          transfers: transfers.map((t) => ({ i: t.i, from: NAMES[t.from], to: NAMES[t.to], leafIndex: t.leafIndex ?? null, offeredAt: t.offeredAt - tStart, sentAt: rel(t.sentAt, tStart), minedAt: rel(t.minedAt, tStart), rootAt: rel(t.rootAt, tStart), claimedAt: rel(t.claimedAt, tStart), finalizedAt: rel(t.finalizedAt, tStart), error: t.error ?? t.claimError ?? null })),
          layer: layer.data,
        }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
      }
    };

    // -------------------------------------------------------------------------------------------- offering
    say(`\noffering: ${n} transfers, one every ${sec(1000 / o.rate)} s, from ${new Date(tStart).toISOString()}`);
    const queues = new Map<number, Promise<void>>();
    for (const t of transfers) {
      if (stopping) break;
      if (t.offeredAt > Date.now()) await sleep(t.offeredAt - Date.now());
      // Each sender sends in order: the next once the previous is mined.
      const prev = queues.get(t.from) ?? Promise.resolve();
      queues.set(t.from, prev.then(async () => {
        if (stopping) return;
        t.sentAt = Date.now();
        try {
          const out = await bridgeOnce(dn, t.from, account(SENDER[t.from]), t.to, t.recipient.address, AMOUNT, drainUntil);
          t.txHash = out.txHash;
          t.leafIndex = out.leafIndex;
          t.minedAt = out.at;
        } catch (e) {
          t.error = (e as Error).message.slice(0, 200);
          say(`  ${at()} #${t.i} ${NAMES[t.from]} -> ${NAMES[t.to]}: bridgeAsset failed: ${t.error}`);
        }
      }));
    }
    await Promise.all(queues.values());
    say(`  ${at()} all ${n} transfers sent; draining (up to ${o.drainS} s after the last offer)`);
    await watcher;
    if (stopping) return;
    await report(false);
    const balances = await settleAndCheckBalances(dn, s, o, transfers, deposits, l1Locked0, Math.max(60_000, drainUntil - Date.now()), say);
    await stop(balances.ok ? 0 : 3);
  } catch (e) {
    say(`\nbench-finality failed: ${(e as Error).stack ?? e}`);
    await stop(1);
  }
}

/**
 * After the run: waits until every chain's newest certificate is finalized (the claims' certificates included, so
 * that the layer's accounted balances cover everything that happened), then checks every balance the run touched
 * (scripts/lib/balance-check.ts) and prints the result.
 */
async function settleAndCheckBalances(
  net: Devnet, s: Scenario, o: Options, transfers: Transfer[], deposits: { from: number; who: HDNodeWallet; amount: bigint }[], l1Locked0: bigint, timeoutMs: number, say: (l: string) => void,
): Promise<BalanceCheck> {
  const t0 = Date.now();
  // A claim undone by a rebuild of its destination (a cascade) is made again, as its recipient would.
  const undone: Transfer[] = [];
  for (const t of transfers) {
    if (t.claimedAt === undefined || t.txHash === undefined) continue;
    // A rebuild of the source may have moved the exit: where its transaction put it now.
    t.leafIndex = (await leafIndexOf(net, t.from, t.txHash)) ?? t.leafIndex;
    if (t.leafIndex === undefined) continue;
    const bridge = net.chains.get(t.to)!.bridge;
    if (!(await bridge.isClaimed(await bridge.claimKey(t.from, t.leafIndex)))) undone.push(t);
  }
  if (undone.length) {
    say(`\n${undone.length} claim(s) undone by a rebuild of their destination: claiming again`);
    await Promise.all(undone.map((t) => claimOnce(s, net, { from: t.from, to: t.to, txHash: t.txHash!, claimer: t.recipient }, Date.now() + timeoutMs, CLAIM_POLL_MS).catch((e) => {
      t.claimedAt = undefined;
      say(`  #${t.i} ${NAMES[t.from]} -> ${NAMES[t.to]}: claim again failed: ${(e as Error).message.slice(0, 200)}`);
    })));
  }
  const settled = () => chainIds(o).every((k) => {
    const c = net.chains.get(k)!.client;
    const fin = net.coordinator.node.getLatestCertificate(k, "Finalized");
    return !c.awaitingAcknowledgement && c.nextHeight > 0n && fin !== null && BigInt(fin.height) === c.nextHeight - 1n;
  });
  let stableSince: number | null = null;
  while (Date.now() - t0 < timeoutMs) {
    stableSince = settled() ? (stableSince ?? Date.now()) : null;
    if (stableSince !== null && Date.now() - stableSince >= 3000) break;
    await sleep(500);
  }
  say(`\n== balances (${stableSince !== null ? `every chain's newest certificate finalized ${sec(Date.now() - t0)} s after the drain` : `NOT every chain's newest certificate was finalized within ${sec(timeoutMs)} s`})`);
  const ledger: LedgerEntry[] = [
    ...deposits.map((d) => ({ from: 0, to: d.from, sender: d.who.address, recipient: d.who.address, amount: d.amount, sent: true, claimed: true })),
    ...transfers.map((t) => ({ from: t.from, to: t.to, sender: account(SENDER[t.from]).address, recipient: t.recipient.address, amount: AMOUNT, sent: t.minedAt !== undefined, claimed: t.claimedAt !== undefined })),
  ];
  const mirror = net.coordinator.node.d.view.mirror;
  const accounted = (k: number) => mirror.record(k).state.balanceOf({ originNetwork: 0, originAddress: 0n });
  const r = await checkBalances(net, s, ledger, chainIds(o), l1Locked0, accounted, NAMES);
  for (const l of r.lines) say(l);
  say(r.ok ? `balances: OK (${r.checked} balances equal to the ledger and the layer's model)` : `balances: ${r.mismatches.length} MISMATCH(ES) of ${r.checked}:`);
  for (const m of r.mismatches.slice(0, 20)) say(`  ${m}`);
  return r;
}

const rel = (x: number | undefined, t0: number) => (x === undefined ? null : x - t0);
const fmtEth = (x: bigint) => (Number(x) / 1e18).toString();

/**
 * Where the time to finality went, per transfer: the first certificate of its source that covers its exit and was
 * finalized, and when that certificate reached each status in the coordinator's store.
 */
function phaseReport(net: Devnet, transfers: Transfer[], sources: Map<number, SourceTree>): { lines: string[]; data: Record<string, Summary> } {
  const store = net.coordinator.node.d.store;
  const certsOf = new Map<number, { receivedAt: number; height: bigint; size: number; history: { to: string; at: number }[] }[]>();
  for (const k of sources.keys()) {
    const src = sources.get(k)!;
    certsOf.set(k, store.listCertificates({ networkId: k, status: "Finalized" })
      .map((r) => ({ receivedAt: r.receivedAt, height: r.height, size: src.sizeOfRoot.get(r.certificate.newLocalExitRoot) ?? -1, history: store.statusHistory(r.certificateId) }))
      .sort((a, b) => (a.height < b.height ? -1 : 1)));
  }
  const ph: Record<string, number[]> = { toLayer: [], toProven: [], toConfirmed: [], epochWait: [], epochToFinalized: [], directToFinalized: [], finalizedToSeen: [] };
  for (const t of transfers) {
    if (t.finalizedAt === undefined || t.minedAt === undefined || t.leafIndex === undefined) continue;
    const c = certsOf.get(t.from)!.find((x) => x.size > t.leafIndex!);
    if (!c) continue;
    const first = (s: string) => c.history.find((h) => h.to === s)?.at;
    const lastBefore = (s: string, before: number) => [...c.history].reverse().find((h) => h.to === s && h.at <= before)?.at;
    const proven = first("Proven");
    const confirmed = first("Confirmed");
    const finalized = first("Finalized");
    ph.toLayer.push(c.receivedAt - t.minedAt);
    if (proven !== undefined) ph.toProven.push(proven - c.receivedAt);
    if (proven !== undefined && confirmed !== undefined) ph.toConfirmed.push(confirmed - proven);
    if (confirmed !== undefined && finalized !== undefined) {
      const inEpoch = lastBefore("InEpoch", finalized);
      if (inEpoch !== undefined) {
        ph.epochWait.push(inEpoch - confirmed);
        ph.epochToFinalized.push(finalized - inEpoch);
      } else {
        ph.directToFinalized.push(finalized - confirmed);
      }
    }
    if (finalized !== undefined) ph.finalizedToSeen.push(t.finalizedAt - finalized);
  }
  const labels: Record<string, string> = {
    toLayer: "bridgeAsset mined -> its certificate at the coordinator",
    toProven: "  -> Proven (certificate proof)",
    toConfirmed: "  -> Confirmed (dependencies confirmed)",
    epochWait: "  -> picked for the epoch that settled it",
    epochToFinalized: "  -> Finalized (settleBatch, L1 watcher)",
    directToFinalized: "  Confirmed -> Finalized without an epoch (C's own batch of one)",
    finalizedToSeen: "  coordinator's Finalized -> the benchmark saw the L1 event",
  };
  const lines = [`\n== where the time to finality went (per finalized transfer; the first finalized certificate of its source covering its exit; s)`];
  lines.push(`${"phase".padEnd(62)} ${"n".padStart(4)} ${"p50".padStart(8)} ${"p95".padStart(8)} ${"max".padStart(8)}`);
  const data: Record<string, Summary> = {};
  for (const [k, xs] of Object.entries(ph)) {
    const sm = summary(xs);
    data[k] = sm;
    if (sm.n) lines.push(`${labels[k].padEnd(62)} ${String(sm.n).padStart(4)} ${sec(sm.p50).padStart(8)} ${sec(sm.p95).padStart(8)} ${sec(sm.max).padStart(8)}`);
  }
  return { lines, data };
}

main().catch((e) => {
  process.stderr.write(`bench-finality failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
