/**
 * Metrics against the truth: a small reader of Prometheus' text format, and the check that a coordinator's
 * GET /metrics says what its store says (certificates by network and status, transitions and the time spent in
 * each status, rejections by reason, cascades, proofs, backup proof jobs, epochs and their sizes, settlements,
 * finality lag per chain). The store is the record of every event the counters count, so on a coordinator that
 * has not restarted (counters count since the process started) the two must agree series by series.
 */
import { expect } from "chai";
import type { CoordinatorNode } from "../../coordinator/node";
import { EPOCH_STATUSES, REJECTION_CODES, STATUSES } from "../../coordinator/types";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The metric families a text exposition declares (# TYPE lines): name -> type. */
export function declaredMetrics(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1], m[2]);
  return out;
}

/** The value of the sample of `name` with exactly these labels, 0 if absent. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const same = (a: Record<string, string>) => Object.keys(a).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => a[k] === v);
  return samples.find((s) => s.name === name && same(s.labels))?.value ?? 0;
}

/** What the store says, in the series' terms (each key a series and its labels, each value the expected value). */
export interface StoreTruth {
  exact: Map<string, number>;
  /** Sums of seconds (status durations): compared with a tolerance for float rounding. */
  approx: Map<string, number>;
  /** Per registered chain: whether it has a certificate in progress, and since when (oldest received). */
  oldestInProgress: Map<number, number | null>;
}

const key = (name: string, labels: Record<string, string | number> = {}) =>
  name + JSON.stringify(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]).sort()));

/** The series' values the store implies, for the coordinator `node` (prefix: the metrics' name prefix). */
export function storeTruth(node: CoordinatorNode, prefix = "coordinator_"): StoreTruth {
  const store = node.d.store;
  const exact = new Map<string, number>();
  const approx = new Map<string, number>();
  const add = (m: Map<string, number>, name: string, labels: Record<string, string | number>, v: number) => m.set(key(prefix + name, labels), (m.get(key(prefix + name, labels)) ?? 0) + v);
  const networks = [...node.d.view.networks.keys()];

  for (const networkId of networks) for (const status of STATUSES) add(exact, "certificates", { network: networkId, status }, 0);
  for (const from of STATUSES) {
    add(exact, "status_duration_seconds_count", { status: from }, 0);
    for (const to of STATUSES) add(exact, "status_transitions_total", { from, to }, 0);
  }
  for (const reason of REJECTION_CODES) add(exact, "rejections_total", { reason }, 0);
  add(exact, "cascade_size_count", {}, 0);
  add(exact, "cascade_size_sum", {}, 0);

  const oldestInProgress = new Map<number, number | null>(networks.map((n) => [n, null]));
  const top = new Map<number, { pre: bigint; fin: bigint }>(networks.map((n) => [n, { pre: -1n, fin: -1n }]));
  for (const c of store.listCertificates()) {
    add(exact, "certificates", { network: c.networkId, status: c.status }, 1);
    const history = store.statusHistory(c.certificateId);
    let since = c.receivedAt;
    for (const h of history) {
      add(exact, "status_transitions_total", { from: h.from, to: h.to }, 1);
      add(exact, "status_duration_seconds_count", { status: h.from }, 1);
      add(approx, "status_duration_seconds_sum", { status: h.from }, (h.at - since) / 1000);
      since = h.at;
      if (h.to !== "Rejected") continue;
      add(exact, "rejections_total", { reason: h.rejection!.code }, 1);
      if (h.rejection!.root) add(exact, "cascade_size_sum", {}, 1);
      else add(exact, "cascade_size_count", {}, 1);
    }
    const proof = store.getProof(c.certificateId);
    if (proof) add(exact, "proofs_verified_total", { source: proof.source, outcome: "valid" }, 1);
    const t = top.get(c.networkId);
    if (t && c.status !== "Rejected" && c.height > t.pre) t.pre = c.height;
    if (t && c.status === "Finalized" && c.height > t.fin) t.fin = c.height;
    if (c.status !== "Rejected" && c.status !== "Finalized") {
      const o = oldestInProgress.get(c.networkId);
      oldestInProgress.set(c.networkId, o === null || o === undefined ? c.receivedAt : Math.min(o, c.receivedAt));
    }
  }
  for (const [networkId, t] of top) add(exact, "finality_lag_heights", { network: networkId }, t.pre < 0n ? 0 : Number(t.pre - t.fin));

  const circuit = node.d.config.circuits.certificate;
  for (const j of store.listJobs({ status: ["done", "failed", "cancelled"] })) add(exact, "prover_jobs_total", { circuit, outcome: j.status }, 1);
  for (const status of EPOCH_STATUSES) add(exact, "epochs_total", { status }, 0);
  add(exact, "epoch_certificates_count", {}, 0);
  add(exact, "epoch_certificates_sum", {}, 0);
  for (const e of store.listEpochs()) {
    // Every epoch is built "proved"; it entered "settling" if a settlement was signed for it; then it ended.
    add(exact, "epochs_total", { status: "proved" }, 1);
    if (store.listSettlements(e.id).length > 0) add(exact, "epochs_total", { status: "settling" }, 1);
    if (e.status !== "proved" && e.status !== "settling") add(exact, "epochs_total", { status: e.status }, 1);
    if (e.status !== "settled") continue;
    add(exact, "epoch_certificates_count", {}, 1);
    add(exact, "epoch_certificates_sum", {}, e.certificateIds.length);
    // One settlement transaction landed per settled epoch: its gas and inclusion time were measured once.
    for (const name of ["settlement_gas_count", "settlement_gas_per_certificate_count", "settlement_inclusion_seconds_count"]) add(exact, name, {}, 1);
  }
  return { exact, approx, oldestInProgress };
}

/**
 * The differences between the metrics text and what the store says, one line each (empty: they agree). `now` is
 * when the text was scraped (for the age of the oldest unfinalized certificate).
 */
export function metricsVersusStore(node: CoordinatorNode, truth: StoreTruth, metricsText: string, now: number, prefix = "coordinator_"): string[] {
  const samples = parseMetrics(metricsText);
  const out: string[] = [];
  const read = (k: string) => {
    const { name, labels } = { name: k.slice(0, k.indexOf("{")), labels: JSON.parse(k.slice(k.indexOf("{"))) as Record<string, string> };
    return { name, labels, value: valueOf(samples, name, labels) };
  };
  for (const [k, want] of truth.exact) {
    const got = read(k);
    if (got.value !== want) out.push(`${k}: metrics ${got.value}, store ${want}`);
  }
  for (const [k, want] of truth.approx) {
    const got = read(k);
    if (Math.abs(got.value - want) > 1e-6 * Math.max(1, want)) out.push(`${k}: metrics ${got.value}, store ${want}`);
  }
  // A series the store does not imply (a status pair, a reason, a network it never saw) must read 0.
  const known = new Set([...truth.exact.keys()]);
  for (const s of samples) {
    if (!["certificates", "status_transitions_total", "rejections_total", "proofs_verified_total", "prover_jobs_total", "epochs_total"].some((n) => s.name === prefix + n)) continue;
    if (s.name === prefix + "proofs_verified_total" && s.labels.outcome === "invalid") continue; // refused proofs are not stored
    if (!known.has(key(s.name, s.labels)) && s.value !== 0) out.push(`${key(s.name, s.labels)}: metrics ${s.value}, the store has none`);
  }
  for (const [networkId, since] of truth.oldestInProgress) {
    const got = valueOf(samples, prefix + "oldest_unfinalized_age_seconds", { network: String(networkId) });
    const want = since === null ? 0 : (now - since) / 1000;
    // the scrape and `now` are a request apart
    if (Math.abs(got - want) > 5) out.push(`oldest_unfinalized_age_seconds{network=${networkId}}: metrics ${got}, store ${want}`);
  }
  return out;
}

/**
 * Asserts that the coordinator's metrics (read with `scrape`, e.g. GET /metrics) agree with its store. A layer
 * that is still moving may change between the scrape and the store's reading: the store is read before and after
 * each scrape, and a scrape is compared only when the two readings agree (up to `tries` scrapes).
 */
export async function checkMetricsAgainstStore(node: CoordinatorNode, scrape: () => Promise<string>, tries = 20): Promise<void> {
  let last: string[] = [];
  for (let i = 0; i < tries; i++) {
    const before = storeTruth(node);
    const now = Date.now();
    const text = await scrape();
    const after = storeTruth(node);
    if (JSON.stringify([...before.exact, ...before.approx, ...before.oldestInProgress]) !== JSON.stringify([...after.exact, ...after.approx, ...after.oldestInProgress])) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    last = metricsVersusStore(node, after, text, now);
    if (last.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(last, "metrics that disagree with the store").to.deep.equal([]);
}

// ------------------------------------------------------------------------------------------------ chain clients

/** What a chain client's metrics must say, from the client itself and the coordinator's store. */
export interface ChainTruthSource {
  networkId: number;
  rebuilds: readonly { failedClaims: readonly string[] }[];
}

/**
 * The differences between a chain client's metrics text and what the client and the layer's store say: its
 * rebuilds and the claims they undid (the client's own record), the certificates the coordinator holds from it,
 * the proofs it made that the coordinator stored, and a relay lag observed for each root relayed.
 */
export function chainMetricsVersusTruth(node: CoordinatorNode, client: ChainTruthSource, metricsText: string): string[] {
  const s = parseMetrics(metricsText);
  const network = String(client.networkId);
  const v = (name: string, labels: Record<string, string> = {}) => valueOf(s, name, { network, ...labels });
  const certificates = node.d.store.listCertificates({ networkId: client.networkId });
  const want: [string, number, number][] = [
    ["chain_rebuilds_total", v("chain_rebuilds_total"), client.rebuilds.length],
    ["chain_claims_undone_total", v("chain_claims_undone_total"), client.rebuilds.reduce((a, r) => a + r.failedClaims.length, 0)],
    ["chain_certificates_accepted_total", v("chain_certificates_accepted_total"), certificates.length],
    ["chain_proofs_submitted_total", v("chain_proofs_submitted_total"), certificates.filter((c) => node.d.store.getProof(c.certificateId)?.source === "chain").length],
  ];
  const out = want.filter(([, got, expected]) => got !== expected).map(([name, got, expected]) => `${name}{network=${network}}: metrics ${got}, truth ${expected}`);
  for (const r of s.filter((x) => x.name === "chain_roots_relayed_total")) {
    const lag = v("chain_relay_lag_seconds_count", { source: r.labels.source });
    if (lag !== r.value) out.push(`chain_relay_lag_seconds_count{network=${network},source=${r.labels.source}}: ${lag}, roots relayed ${r.value}`);
  }
  return out;
}

/**
 * The metric families (of names starting with `prefix`) that no scrape in `texts` shows moving off 0 (a histogram:
 * its _count), apart from those in `exempt` (name -> why it may rest at 0): what is defined but never updated.
 */
export function seriesNeverMoved(texts: string[], prefix: string, exempt: Record<string, string> = {}): string[] {
  const declared = new Map<string, string>();
  for (const t of texts) for (const [n, type] of declaredMetrics(t)) if (n.startsWith(prefix)) declared.set(n, type);
  const samples = texts.flatMap(parseMetrics);
  return [...declared]
    .filter(([n]) => !(n in exempt))
    .filter(([n, type]) => !samples.some((x) => x.name === (type === "histogram" ? `${n}_count` : n) && x.value !== 0))
    .map(([n]) => n);
}
