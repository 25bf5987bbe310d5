/**
 * What the devnet benchmarks (bench-latency, bench-finality) share: the machine's load, nearest-rank statistics,
 * the devnet's warn-level log captured to a file and counted, watchers that follow exits on the source chains,
 * the exit roots posted to the destinations' oracles and the certificates the L1 hub finalized, and the report of
 * where the time went in the layer (from the coordinator's store).
 */
import * as fs from "fs";
import * as os from "os";
import type { Devnet } from "../devnet/devnet";
import { createLogger } from "../../coordinator/log";
import type { Logger } from "../../coordinator/log";
import { ExitTree } from "../../lib/exit-tree";
import { DEVNET_PARAMS } from "../../lib/params";

// ------------------------------------------------------------------------------------------------ machine

export interface MachineSample {
  at: number;
  load1: number;
}

/** CPU pressure (PSI "some": share of time at least one task waited for a CPU), 10 s / 60 s / 300 s. */
export function cpuPressure(): string {
  try {
    const some = fs.readFileSync("/proc/pressure/cpu", "utf8").split("\n").find((l) => l.startsWith("some"));
    const m = some?.match(/avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+)/);
    return m ? `${m[1]}% / ${m[2]}% / ${m[3]}%` : "n/a";
  } catch {
    return "n/a";
  }
}

export const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

export interface Machine {
  cores: number;
  model: string;
  node: string;
  loadStart: string;
  pressureStart: string;
  loadEnd: string;
  pressureEnd: string;
}

export function machineNow(): Machine {
  return { cores: os.cpus().length, model: os.cpus()[0]?.model.trim() ?? "?", node: process.version, loadStart: loadAvg(), pressureStart: cpuPressure(), loadEnd: "", pressureEnd: "" };
}

/** Samples the 1-min load average every `everyMs` until stopped. */
export function sampleLoad(everyMs = 5_000): { samples: MachineSample[]; stop(): void } {
  const samples: MachineSample[] = [];
  const timer = setInterval(() => samples.push({ at: Date.now(), load1: os.loadavg()[0] }), everyMs);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

export function loadDuring(samples: MachineSample[], since: number): { values: number[]; mean: string; max: string } {
  const values = samples.filter((x) => x.at >= since).map((x) => x.load1);
  return { values, mean: values.length ? (values.reduce((a, b) => a + b, 0) / values.length).toFixed(2) : "-", max: values.length ? Math.max(...values).toFixed(2) : "-" };
}

// ------------------------------------------------------------------------------------------------ statistics

/** Nearest-rank percentile of sorted values. */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

export function summary(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** Milliseconds as seconds with two decimals ("-" for NaN). */
export const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "-");

// ------------------------------------------------------------------------------------------------ devnet log

/** A logger at warn level writing JSON lines to `file`, with a count per (level, component, message). */
export function capturedLog(file: string): { log: Logger; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const log = createLogger({
    level: "warn",
    write: (line) => {
      fs.appendFileSync(file, line + "\n");
      try {
        const j = JSON.parse(line) as { level: string; component: string; msg: string };
        const k = `${j.level} ${j.component}: ${j.msg}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      } catch {
        // not JSON: counted nowhere
      }
    },
  });
  return { log, counts };
}

export function logCountLines(counts: Map<string, number>, top = 15): string[] {
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, c]) => `  ${String(c).padStart(4)} x ${k}`);
}

// ------------------------------------------------------------------------------------------------ watchers

/**
 * The watcher's view of one source bridge: its exit tree, built incrementally from BridgeExit events, with the
 * root after every size. If the chain goes back (a rebuild reverted it), it starts over.
 */
export class SourceTree {
  private tree = new ExitTree(DEVNET_PARAMS.exitDepth);
  readonly sizeOfRoot = new Map<bigint, number>();
  private cursor = -1;

  constructor(private readonly net: Devnet, private readonly networkId: number) {}

  async poll(): Promise<void> {
    const c = this.net.chains.get(this.networkId)!;
    const head = await c.provider.getBlockNumber();
    if (head < this.cursor) {
      this.tree = new ExitTree(DEVNET_PARAMS.exitDepth);
      this.cursor = -1; // roots already seen stay in the map: a replay appends the same leaves
    }
    if (head <= this.cursor) return;
    const logs = await c.bridge.queryFilter(c.bridge.filters.BridgeExit(), this.cursor + 1, head);
    const exits = logs.map((l) => ({ leafIndex: Number(l.args.leafIndex), leafHash: BigInt(l.args.leafHash) })).sort((a, b) => a.leafIndex - b.leafIndex);
    for (const e of exits) {
      if (e.leafIndex !== this.tree.count) continue;
      this.tree.append(e.leafHash);
      this.sizeOfRoot.set(this.tree.root(), this.tree.count);
    }
    this.cursor = head;
  }

  /** The largest number of exits that one of `roots` commits to (0 if none is known). */
  coveredSize(roots: Iterable<bigint>): number {
    let best = 0;
    for (const r of roots) best = Math.max(best, this.sizeOfRoot.get(r) ?? 0);
    return best;
  }
}

/** Exit roots of network `source` posted to the oracle of network `dest`: the largest source size they cover. */
export class DestEntries {
  private readonly roots = new Set<bigint>();
  private cursor = -1;

  constructor(private readonly net: Devnet, private readonly dest: number, private readonly source: number) {}

  async poll(): Promise<void> {
    const c = this.net.chains.get(this.dest)!;
    const head = await c.provider.getBlockNumber();
    if (head < this.cursor) this.cursor = -1;
    if (head <= this.cursor) return;
    const logs = await c.oracle.queryFilter(c.oracle.filters.ExitRootPosted(undefined, this.source), this.cursor + 1, head);
    for (const l of logs) this.roots.add(BigInt(l.args.exitRoot));
    this.cursor = head;
  }

  coveredSize(src: SourceTree): number {
    return src.coveredSize(this.roots);
  }
}

/**
 * The L1 hub's BatchCertificateFinalized events (every network, read incrementally): the exit roots it finalized per
 * network, and how many certificates each network has finalized (what its history tree holds).
 */
export class HubFinalized {
  readonly roots = new Map<number, Set<bigint>>();
  readonly count = new Map<number, number>();
  private cursor: number;

  constructor(private readonly net: Devnet) {
    this.cursor = net.l1.layer.startBlock - 1;
  }

  async poll(): Promise<void> {
    const hub = this.net.l1.layer.hub;
    const head = await this.net.l1.provider.getBlockNumber();
    if (head <= this.cursor) return;
    const logs = await hub.queryFilter(hub.filters.BatchCertificateFinalized(), this.cursor + 1, head);
    for (const l of logs) {
      const n = Number(l.args.networkId);
      if (!this.roots.has(n)) this.roots.set(n, new Set());
      this.roots.get(n)!.add(BigInt(l.args.newLocalExitRoot));
      this.count.set(n, (this.count.get(n) ?? 0) + 1);
    }
    this.cursor = head;
  }

  coveredSize(networkId: number, src: SourceTree): number {
    return src.coveredSize(this.roots.get(networkId) ?? []);
  }
}

// ------------------------------------------------------------------------------------------------ the layer

/** Where the time went in the layer, from the coordinator's store: per chain, pre-confirmation -> each status. */
export function layerReport(net: Devnet, since: number): { lines: string[]; data: Record<string, unknown> & { proofTimeouts: number } } {
  const store = net.coordinator.node.d.store;
  const lines = [`\n== the layer during the measured part (certificates pre-confirmed after the first transfer was sent)`];
  lines.push(`${"chain".padEnd(6)} ${"certs".padStart(5)}   ${"-> Proven p50/max".padStart(18)}   ${"-> Confirmed p50/max".padStart(21)}   ${"-> Finalized p50/max".padStart(21)}   statuses now; proofs by`);
  const data: Record<string, unknown> = {};
  for (const c of [...net.chains.values()]) {
    const certs = store.listCertificates({ networkId: c.spec.networkId }).filter((r) => r.receivedAt >= since);
    const to: Record<string, number[]> = { Proven: [], Confirmed: [], Finalized: [] };
    const statuses = new Map<string, number>();
    const sources = new Map<string, number>();
    const rejections = new Map<string, number>();
    for (const r of certs) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const proof = store.getProof(r.certificateId)?.source ?? r.proofSource;
      if (proof) sources.set(proof, (sources.get(proof) ?? 0) + 1);
      if (r.status === "Rejected") {
        const k = `Rejected ${r.rejection?.code ?? "?"}`;
        rejections.set(k, (rejections.get(k) ?? 0) + 1);
      }
      // First time each status was reached (an abandoned epoch sends its certificates back to Confirmed).
      const seen = new Set<string>();
      for (const h of store.statusHistory(r.certificateId)) {
        if (!(h.to in to) || seen.has(h.to)) continue;
        seen.add(h.to);
        to[h.to].push(h.at - r.receivedAt);
      }
    }
    const col = (xs: number[]) => {
      const sm = summary(xs);
      return sm.n ? `${sec(sm.p50)} / ${sec(sm.max)} (${sm.n})` : "-";
    };
    const st = [...statuses].filter(([k]) => k !== "Rejected").map(([k, v]) => `${k} ${v}`).concat([...rejections].map(([k, v]) => `${k} ${v}`)).join(", ");
    const src = [...sources].map(([k, v]) => `${k} ${v}`).join(", ");
    lines.push(`${c.spec.name.padEnd(6)} ${String(certs.length).padStart(5)}   ${col(to.Proven).padStart(18)}   ${col(to.Confirmed).padStart(21)}   ${col(to.Finalized).padStart(21)}   ${st}; proofs: ${src || "-"}; rebuilds ${c.client.rebuilds.length}`);
    data[c.spec.name] = { certificates: certs.length, statuses: Object.fromEntries(statuses), rejections: Object.fromEntries(rejections), proofSources: Object.fromEntries(sources), toProven: summary(to.Proven), toConfirmed: summary(to.Confirmed), toFinalized: summary(to.Finalized), rebuilds: c.client.rebuilds.map((r) => ({ height: r.height, badSources: r.badSources.length, at: r.at - since })) };
  }
  const epochs = store.listEpochs().filter((e) => e.createdAt >= since);
  const settled = epochs.filter((e) => e.status === "settled");
  const dur = summary(settled.map((e) => e.updatedAt - e.createdAt));
  const slots = settled.reduce((n, e) => n + e.certificateIds.length, 0);
  const byStatus = new Map<string, number>();
  for (const e of epochs) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  lines.push(`epochs: ${epochs.length} built (${[...byStatus].map(([k, v]) => `${k} ${v}`).join(", ") || "-"}), ${slots} certificates settled by them; built -> settled p50 ${sec(dur.p50)} s, max ${sec(dur.max)} s`);
  lines.push(`(times in s from the certificate's arrival at the coordinator; the count in brackets is how many reached that status)`);
  data.epochs = { built: epochs.length, statuses: Object.fromEntries(byStatus), certificatesSettled: slots, builtToSettled: dur };
  const proofTimeouts = store.listCertificates({ status: "Rejected" }).filter((r) => r.receivedAt >= since && r.rejection?.code === "PROOF_TIMEOUT").length;
  return { lines, data: { ...data, proofTimeouts } };
}
