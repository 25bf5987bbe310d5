/**
 * Cross-chain latency on the devnet (a benchmark, not a test: it prints, it asserts nothing).
 *
 *   npm run bench:latency -- [--n 20] [--paths pre,confirmed,finalized] [--interval 60]
 *   npm run bench:latency -- --n 20 --paths pre --interval 1.5
 *
 * What it measures: for every transfer, the time from `bridgeAsset` mined on the source chain (as its sender
 * sees the receipt) to the recipient's claim mined on the destination (the wrapped ETH is spendable), with the
 * claim attempted as soon as the destination's oracle holds an exit root of the source that contains the exit.
 * Three paths, all measured in the same run (chains and policies of scripts/devnet/devnet.ts):
 *
 *   pre        A -> B   B accepts A's pre-confirmed roots (no proof needed)
 *   confirmed  B -> A   A accepts B's roots once the layer confirmed them (B's certificate proof)
 *   finalized  A -> C   C (opt-out) accepts finalized roots only (A's certificate settled on L1 in an epoch's batch)
 *
 * What it does:
 *   1. starts the devnet (startDevnet: L1 + three L2 hardhat nodes, deployments, the coordinator with 5 s epochs,
 *      the three chain clients) with its data in a temp directory (kept with --keep; the devnet's log lines at
 *      warn level and above go to <dir>/devnet.log and are counted in the summary);
 *   2. funds the senders with deposits from L1 (alice on A for A -> B, carol on A for A -> C, bob on B for
 *      B -> A: bridgeOut(0, ...) + claimWhenAvailable(0, ...), as in the scenario's step 1), and every recipient
 *      (one fresh account per transfer) with 1 native ETH for gas on its destination: each recipient sends its own
 *      claim, so concurrent claims never share a nonce;
 *   3. sends the transfers (0.01 ETH each): round i starts at i x --interval, and within a round the paths are
 *      staggered by --interval / (number of paths), so the paths run concurrently; a path sends its transfers in
 *      order (the next after the previous one is mined);
 *   4. one watcher polls every 100 ms: the source bridges' new BridgeExit events (an incremental exit tree: root
 *      -> size) and the destinations' new ExitRootPosted events; once a posted root covers a pending exit it notes
 *      the time (the "root" column) and starts Scenario.claimWhenAvailable for it (one claim per exit, in parallel;
 *      the watcher replaces 20 x 3 claim loops that would each rebuild the source tree every 100 ms and would be
 *      a load of their own);
 *   5. prints per path n, p50, p95, min, max (s) of bridgeAsset -> claimed and of bridgeAsset -> root, the
 *      first and last transfer (the queueing a path builds up shows as a trend), the machine (cores, load average
 *      at start, during and at the end, CPU pressure, Node version), and where the time went in the layer
 *      (per chain: time from pre-confirmation to Proven / Confirmed / Finalized, epochs, rejections, rebuilds).
 *
 * Percentiles are nearest-rank (p95 of 20 values = the 19th smallest). Everything it starts (hardhat nodes,
 * prover workers, snarkjs threads) is stopped at the end, on an error and on Ctrl-C.
 *
 * Options: --n N transfers per path (default 20), --paths list (pre,confirmed,finalized; default all),
 * --interval S seconds between rounds (default 60), --timeout S per transfer, from bridgeAsset to claimed
 * (default 3600), --proof-timeout S (the coordinator's proof timeout; default: the devnet's, 150 s), --keep (keep
 * the data directory), --json (also print one JSON line with every measurement). Ctrl-C prints the figures
 * measured so far, then stops everything.
 *
 * Why a round every 60 s by default: every transfer costs the devnet two certificates (one exit on the source,
 * one claim on the destination: certificate_test holds one of each), each proven by its chain's one prover
 * worker (8-9 s on a quiet core; an epoch proves nothing: it settles the certificates' own proofs). A round of
 * the three paths is ~6 certificate proofs, ~50 s of CPU: on 2 cores, rounds much closer together than ~60 s
 * build a proof backlog that the confirmed and finalized latencies then measure, and past
 * the coordinator's proof timeout (150 s on the devnet, which disables the backup prover for A) A's certificates are rejected
 * and A and B rebuild. --interval 1.5 is fine for the pre-confirmed path alone (its claims wait for no proof).
 *
 * Limits of the devnet (DEVNET_PARAMS): a network's exit tree holds 2^20 - 1 exits and its history tree 2^20 - 1
 * finalized certificates; the script checks --n against them (a certificate per exit and per claim at most).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HDNodeWallet, NonceManager, Wallet, parseEther } from "ethers";
import { startDevnet, Devnet, account, MNEMONIC } from "./devnet/devnet";
import { Scenario, sleep } from "./devnet/scenario";
import { terminateCurves } from "../zk/groth16";
import { DEVNET_PARAMS } from "../lib/params";
import { eachFlag, numberArg } from "./lib/cli";
import { DestEntries, SourceTree, capturedLog, cpuPressure, layerReport, loadAvg, loadDuring, logCountLines, machineNow, sampleLoad, sec, summary } from "./lib/devnet-bench";

// ------------------------------------------------------------------------------------------------ options

type PathKey = "pre" | "confirmed" | "finalized";

interface PathSpec {
  key: PathKey;
  title: string;
  from: number;
  to: number;
  route: string;
  /** Hardhat account index of the sender. */
  sender: number;
}

const PATHS: Record<PathKey, PathSpec> = {
  pre: { key: "pre", title: "pre-confirmed", from: 1, to: 2, route: "A -> B", sender: 2 },
  confirmed: { key: "confirmed", title: "confirmed", from: 2, to: 1, route: "B -> A", sender: 3 },
  finalized: { key: "finalized", title: "finalized only", from: 1, to: 3, route: "A -> C", sender: 4 },
};
const SENDER_NAMES: Record<number, string> = { 2: "alice", 3: "bob", 4: "carol" };
/** Pays the recipients' gas on the destinations. */
const GAS_FUNDER = 5;
const AMOUNT = parseEther("0.01");
const GAS_PER_RECIPIENT = parseEther("1");
const NETWORK_NAMES = ["L1", "A", "B", "C"];

interface Options {
  n: number;
  paths: PathKey[];
  intervalS: number;
  timeoutS: number;
  keep: boolean;
  json: boolean;
  /** The coordinator's proof timeout (s); null: the devnet's. */
  proofTimeoutS: number | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { n: 20, paths: ["pre", "confirmed", "finalized"], intervalS: 60, timeoutS: 3600, keep: false, json: false, proofTimeoutS: null };
  const num = numberArg;
  eachFlag(argv, __filename, (flag, value) => {
    switch (flag) {
      case "--n": o.n = num("n", value(), 1, 60); break;
      case "--paths": {
        const list = (value() ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((p) => !(p in PATHS));
        if (list.length === 0 || bad.length > 0) throw new Error(`--paths: expected a comma-separated subset of ${Object.keys(PATHS).join(",")}, got ${list.join(",") || "nothing"}`);
        o.paths = [...new Set(list)] as PathKey[];
        break;
      }
      case "--interval": o.intervalS = num("interval", value(), 0, 3600, false); break;
      case "--timeout": o.timeoutS = num("timeout", value(), 10, 86_400, false); break;
      case "--proof-timeout": o.proofTimeoutS = num("proof-timeout", value(), 10, 86_400, false); break;
      case "--keep": o.keep = true; break;
      case "--json": o.json = true; break;
      default: return false;
    }
    return true;
  });
  // Certificates of each network (one per exit and one per claim, the deposit claims included): the history
  // tree of a network holds 2^historyDepth - 1 finalized ones; exits: 2^exitDepth per network.
  const perNetwork = new Map<number, number>();
  const add = (net: number, k: number) => perNetwork.set(net, (perNetwork.get(net) ?? 0) + k);
  for (const p of o.paths.map((k) => PATHS[k])) {
    add(p.from, o.n + 1); // the exits, and the sender's deposit claim (at most one per sender)
    add(p.to, o.n); // the claims
  }
  const maxCerts = 2 ** DEVNET_PARAMS.historyDepth - 1;
  for (const [net, k] of perNetwork) {
    if (k > maxCerts) throw new Error(`--n ${o.n} with paths ${o.paths.join(",")} needs up to ${k} certificates on network ${NETWORK_NAMES[net]}; the devnet's history tree holds ${maxCerts}`);
  }
  return o;
}

// ------------------------------------------------------------------------------------------------ transfers

interface Transfer {
  path: PathSpec;
  i: number;
  recipient: HDNodeWallet;
  leafIndex: number;
  sentAt: number;
  /** bridgeAsset's receipt seen by the sender. */
  minedAt: number;
  /** A covering root first seen in the destination's oracle. */
  rootAt?: number;
  claimedAt?: number;
  claimStarted?: boolean;
  error?: string;
  /** The recipient's wrapped ETH on the destination after the claim (expected: AMOUNT), and at the end. */
  balance?: bigint;
  finalBalance?: bigint;
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const say = (line: string) => process.stdout.write(line + "\n");
  const paths = o.paths.map((k) => PATHS[k]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-latency-"));
  const logFile = path.join(dataDir, "devnet.log");
  const { log, counts: logCounts } = capturedLog(logFile);

  const machine = machineNow();
  const load = sampleLoad();
  const samples = load.samples;
  say(`bench-latency: n = ${o.n} per path, paths ${paths.map((p) => `${p.key} (${p.route})`).join(", ")}, a round every ${o.intervalS} s, proof timeout ${o.proofTimeoutS === null ? "the devnet's" : `${o.proofTimeoutS} s`}`);
  say(`machine: ${machine.cores} cores (${machine.model}), Node ${machine.node}, load average ${machine.loadStart} (1/5/15 min), CPU pressure ${machine.pressureStart} (some, 10 s/60 s/300 s)`);
  say(`data directory: ${dataDir}`);

  let net: Devnet | null = null;
  let stopping = false;
  /** Set once the transfers start: prints what was measured (also what was measured so far, on Ctrl-C). */
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
    const coordinator: Record<string, unknown> = { epochs: { intervalMs: 5000 } };
    if (o.proofTimeoutS !== null) coordinator.lifecycle = { proofTimeoutMs: o.proofTimeoutS * 1000 };
    const dn = (net = await startDevnet({ log, dataDir, fixedPorts: false, coordinator, progress: (m) => say(`  [devnet] ${m}`) }));
    if (stopping) return;
    say(`devnet up in ${sec(Date.now() - t0)} s (the coordinator's proof timeout: ${dn.coordinator.config.lifecycle.proofTimeoutMs / 1000} s)`);
    const s = new Scenario(net);

    // -------------------------------------------------------------------------------------------- funding
    const tf = Date.now();
    const senders = [...new Map(paths.map((p) => [p.sender, p])).values()];
    const deposit = eth(o.n) + parseEther("0.1");
    const deposits = [];
    for (const p of senders) {
      const who = account(p.sender);
      deposits.push({ p, who, d: await s.bridgeOut(0, who, p.from, who.address, deposit) });
    }
    // Recipients: one fresh account per transfer, funded with gas on its destination while the deposits land.
    const root = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/1'");
    const recipients = new Map<PathKey, HDNodeWallet[]>();
    for (const [pi, p] of paths.entries()) recipients.set(p.key, Array.from({ length: o.n }, (_, i) => root.deriveChild(pi).deriveChild(i)));
    const fundGas = async (dest: number, list: HDNodeWallet[]) => {
      const funder = new NonceManager(new Wallet(account(GAS_FUNDER).privateKey, net!.chains.get(dest)!.provider));
      let last = null;
      for (const r of list) last = await funder.sendTransaction({ to: r.address, value: GAS_PER_RECIPIENT });
      await last?.wait();
    };
    const byDest = new Map<number, HDNodeWallet[]>();
    for (const p of paths) byDest.set(p.to, [...(byDest.get(p.to) ?? []), ...recipients.get(p.key)!]);
    await Promise.all([
      ...[...byDest].map(([dest, list]) => fundGas(dest, list)),
      ...deposits.map(({ p, who, d }) => s.claimWhenAvailable(0, p.from, d.leafIndex, who).then((at) => say(`  funded ${SENDER_NAMES[p.sender]} on ${NETWORK_NAMES[p.from]}: deposit L1 -> ${NETWORK_NAMES[p.from]} spendable ${sec(at - d.at)} s after its checkpoint`))),
    ]);
    say(`funding done in ${sec(Date.now() - tf)} s (deposits for ${senders.map((p) => SENDER_NAMES[p.sender]).join(", ")}; gas for ${o.n * paths.length} recipients)`);
    if (stopping) return;

    // -------------------------------------------------------------------------------------------- transfers
    const transfers: Transfer[] = [];
    const timeoutMs = o.timeoutS * 1000;
    const sources = new Map<number, SourceTree>();
    for (const p of paths) if (!sources.has(p.from)) sources.set(p.from, new SourceTree(dn, p.from));
    const entries = new Map<PathKey, DestEntries>(paths.map((p) => [p.key, new DestEntries(dn, p.to, p.from)]));
    const reportLine = (t: Transfer) => {
      const took = t.claimedAt !== undefined ? `${sec(t.claimedAt - t.minedAt)} s (root ${sec(t.rootAt! - t.minedAt)} s)` : `failed: ${t.error}`;
      say(`  [${sec(Date.now() - tStart).padStart(7)} s] ${t.path.key.padEnd(9)} #${String(t.i).padStart(2)} leaf ${String(t.leafIndex).padStart(3)}: ${took}`);
    };

    const claim = (t: Transfer) => {
      t.claimStarted = true;
      const left = Math.max(1000, timeoutMs - (Date.now() - t.minedAt));
      void s.claimWhenAvailable(t.path.from, t.path.to, t.leafIndex, t.recipient, left)
        .then(async (at) => {
          t.claimedAt = at;
          t.balance = await s.wethBalance(t.path.to, t.recipient.address).catch(() => undefined);
        })
        .catch((e) => (t.error = (e as Error).message.slice(0, 200)))
        .finally(() => reportLine(t));
    };

    let sending = true;
    const tStart = Date.now();
    const watcher = (async () => {
      while (!stopping) {
        try {
          await Promise.all([...sources.values()].map((x) => x.poll()));
          await Promise.all([...entries.values()].map((x) => x.poll()));
          const now = Date.now();
          for (const t of transfers) {
            if (t.claimStarted) continue;
            if (entries.get(t.path.key)!.coveredSize(sources.get(t.path.from)!) > t.leafIndex) {
              t.rootAt = now;
              claim(t);
            } else if (now - t.minedAt > timeoutMs) {
              t.claimStarted = true;
              t.error = `no covering root within ${o.timeoutS} s`;
              reportLine(t);
            }
          }
          if (!sending && transfers.every((t) => t.claimedAt !== undefined || t.error !== undefined)) return;
        } catch (e) {
          if (!stopping) say(`  watcher: ${(e as Error).message.slice(0, 200)}`);
        }
        await sleep(100);
      }
    })();

    report = async (partial: boolean) => {
      const wall = Date.now() - tStart;
      // A claim that succeeded can be undone later: a destination that accepted a root which the layer then
      // rejected rebuilds without it (B on a timed-out A certificate). What the recipients hold at the end:
      for (const t of transfers) if (t.claimedAt !== undefined) t.finalBalance = await s.wethBalance(t.path.to, t.recipient.address).catch(() => undefined);
      machine.loadEnd = loadAvg();
      machine.pressureEnd = cpuPressure();
      const during = loadDuring(samples, tStart);
      say(`\n== cross-chain latency${partial ? " (PARTIAL: interrupted)" : ""}: bridgeAsset mined on the source -> claim mined on the destination (s)`);
      say(`${"path".padEnd(28)} ${"n".padStart(3)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"min".padStart(7)} ${"max".padStart(7)}   ${"root p50".padStart(8)} ${"root p95".padStart(8)}   ${"first".padStart(7)} ${"last".padStart(7)}  not claimed`);
      const results: Record<string, unknown> = {};
      for (const p of paths) {
        const mine = transfers.filter((t) => t.path === p).sort((a, b) => a.i - b.i);
        const ok = mine.filter((t) => t.claimedAt !== undefined);
        const lat = summary(ok.map((t) => t.claimedAt! - t.minedAt));
        const root = summary(ok.map((t) => t.rootAt! - t.minedAt));
        const first = ok[0] ? ok[0].claimedAt! - ok[0].minedAt : NaN;
        const last = ok[ok.length - 1] ? ok[ok.length - 1].claimedAt! - ok[ok.length - 1].minedAt : NaN;
        const failed = mine.filter((t) => t.claimedAt === undefined && t.error !== undefined).length;
        const pending = mine.length - ok.length - failed + (o.n - mine.length);
        const badBalance = ok.filter((t) => t.balance !== AMOUNT).length;
        const undone = ok.filter((t) => t.finalBalance !== AMOUNT).length;
        const notes = [badBalance ? `${badBalance} balances != ${fmtEth(AMOUNT)} right after the claim` : "", undone ? `${undone} claims undone later (balance at the end != ${fmtEth(AMOUNT)})` : ""].filter(Boolean).join("; ");
        say(`${`${p.title} (${p.route})`.padEnd(28)} ${String(lat.n).padStart(3)} ${sec(lat.p50).padStart(7)} ${sec(lat.p95).padStart(7)} ${sec(lat.min).padStart(7)} ${sec(lat.max).padStart(7)}   ${sec(root.p50).padStart(8)} ${sec(root.p95).padStart(8)}   ${sec(first).padStart(7)} ${sec(last).padStart(7)}  ${failed} failed${pending ? `, ${pending} pending` : ""}${notes ? ` (${notes})` : ""}`);
        results[p.key] = { route: p.route, latency: lat, root, failed, pending, undoneLater: undone, transfers: mine.map((t) => ({ i: t.i, leafIndex: t.leafIndex, sentAt: t.sentAt - tStart, minedAt: t.minedAt - tStart, rootAt: t.rootAt ? t.rootAt - tStart : null, claimedAt: t.claimedAt ? t.claimedAt - tStart : null, error: t.error ?? null })) };
      }
      say(`("root": bridgeAsset -> a covering root in the destination's oracle; the rest is the claim: proof built off chain + claim transaction. first/last: the path's first and last transfer)`);
      say(`\nwall time of the measured part: ${sec(wall)} s; load average at start ${machine.loadStart}, end ${machine.loadEnd}; 1-min load during the run: mean ${during.mean}, max ${during.max} (${machine.cores} cores); CPU pressure (some, 10 s/60 s/300 s) start ${machine.pressureStart}, end ${machine.pressureEnd}`);
      say(`machine: ${machine.cores} x ${machine.model}, Node ${machine.node}, ${os.platform()} ${os.release()}`);
      const layer = layerReport(dn, tStart);
      for (const l of layer.lines) say(l);
      if (logCounts.size > 0) {
        say(`\ndevnet log lines at warn level and above (${logFile}${o.keep ? "" : ", deleted at exit; --keep keeps it"}):`);
        for (const l of logCountLines(logCounts)) say(l);
      }
      const timeouts = layer.data.proofTimeouts;
      if (timeouts > 0) say(`\nWARNING: ${timeouts} certificate(s) were rejected for a missing proof (the coordinator's proof timeout) and their chains rebuilt: the figures include those cascades (see --proof-timeout).`);
      if (o.json) say(JSON.stringify({ options: o, partial, machine: { ...machine, loadDuring: during.values }, wallMs: wall, results, layer: layer.data }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    };

    say(`\nsending: ${o.n} transfers per path of ${fmtEth(AMOUNT)} ETH, a round every ${o.intervalS} s, paths staggered by ${(o.intervalS / paths.length).toFixed(2)} s`);
    await Promise.all(paths.map(async (p, pi) => {
      const sender = account(p.sender);
      for (let i = 0; i < o.n && !stopping; i++) {
        const due = tStart + (i * o.intervalS + (pi * o.intervalS) / paths.length) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        const recipient = recipients.get(p.key)![i];
        const sentAt = Date.now();
        // Paths from one network race on its bridge; each sender's default gas estimate holds wherever its exit lands.
        const out = await s.bridgeOut(p.from, sender, p.to, recipient.address, AMOUNT);
        transfers.push({ path: p, i, recipient, leafIndex: out.leafIndex, sentAt, minedAt: out.at });
      }
    }));
    sending = false;
    say(`  all ${transfers.length} transfers sent after ${sec(Date.now() - tStart)} s; waiting for the claims`);
    await watcher;
    // Claims started last may still be finishing their balance read.
    while (!stopping && transfers.some((t) => t.claimedAt !== undefined && t.balance === undefined && t.error === undefined)) await sleep(100);
    if (stopping) return;
    await report(false);
    await stop(0);
  } catch (e) {
    say(`\nbench-latency failed: ${(e as Error).stack ?? e}`);
    await stop(1);
  }
}

const eth = (n: number) => AMOUNT * BigInt(n);
const fmtEth = (x: bigint) => (Number(x) / 1e18).toString();

main().catch((e) => {
  process.stderr.write(`bench-latency failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
