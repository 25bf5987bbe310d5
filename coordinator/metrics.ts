/**
 * The coordinator's Prometheus metrics. Each Metrics owns its own prom-client Registry (never the global default
 * one) so that several coordinators, or several tests, can live in one process without "metric already
 * registered" clashes.
 *
 * Two kinds of series, and one writer each (docs/coordinator.md "Metrics" lists every series and its writer):
 * - counters and histograms are updated where the event happens: the node's status transitions (node.ts
 *   afterChanges, persist), the backup prover (node.ts runBackup), the settlement manager (batches.ts), the RPC
 *   layer (rpc/);
 * - gauges that describe state (certificates by network and status, the graph, finality lag, WebSocket
 *   subscriptions) are read from their owner at each scrape (`readState`), so they cannot drift from it.
 *
 * Counters count since the process started (Prometheus' rate() and increase() handle the reset of a restart); the
 * state gauges are the store's totals at any time.
 *
 * Label values must come from closed sets (statuses, method names, error reasons, rejection codes, the network ids
 * of registered chains, circuit names from the configuration): a label fed from request input would let a client
 * grow the registry without bound.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { CertificateStatus, EPOCH_STATUSES, EpochStatus, REJECTION_CODES, RejectionCode, STATUSES } from "./types";

export interface MetricsOptions {
  /** Prepended to every metric name (default "coordinator_"). */
  prefix?: string;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag); off by default. */
  defaultMetrics?: boolean;
}

/** Seconds: from a fast cache read up to a slow L1 round trip. */
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds: a devnet certificate proof takes about a second, a production one tens of seconds. */
const PROVE_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];
/** Seconds a certificate spends in one status: milliseconds (Proven -> Confirmed) up to a proof deadline and more. */
const STATUS_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];
/** Gas of one settlement transaction. */
const GAS_BUCKETS = [100e3, 200e3, 300e3, 500e3, 750e3, 1e6, 1.5e6, 2e6, 3e6, 5e6, 10e6];
/** Gas per certificate of a settlement: a batch of S certificates shares one pairing check. */
const GAS_PER_CERTIFICATE_BUCKETS = [25e3, 50e3, 75e3, 100e3, 150e3, 200e3, 300e3, 500e3, 1e6];
/** Seconds from broadcasting a settlement to seeing its receipt. */
const INCLUSION_BUCKETS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
/** Certificates one rejection took down, or one epoch settled: a handful, up to a batch or a long chain of heights. */
const COUNT_BUCKETS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What the state gauges read at each scrape; each owner registers its part with readState. */
export interface StateSources {
  /** Certificates by network and status: all of them (the store's totals, kept by the node). */
  certificates(): Iterable<{ networkId: number; status: CertificateStatus; count: number }>;
  /** Certificates the dependency graph holds, by status. */
  graphNodes(): Record<CertificateStatus, number>;
  /** Per registered chain: newest pre-confirmed height minus newest finalized height; age of its oldest unfinalized certificate. */
  finality(): Iterable<{ networkId: number; lagHeights: number; oldestUnfinalizedSeconds: number }>;
  /** Open WebSocket subscriptions (the fan-out's count). */
  subscriptions(): number;
}

/** The outcome of one backup proof job. */
export type ProverJobOutcome = "done" | "failed" | "cancelled";

/** One backup proof job's place in the queue gauges: queued, then running, then gone (whatever happened). */
export interface ProverJobTracker {
  running(): void;
  ended(outcome: ProverJobOutcome, seconds?: number): void;
}

export class Metrics {
  readonly registry: Registry;
  private sources: Partial<StateSources> = {};

  // ---- RPC (coordinator/rpc)
  /** One per JSON-RPC call; outcome is "ok" or the ERROR_CODES reason. */
  readonly rpcRequests: Counter<"method" | "outcome">;
  readonly rpcDuration: Histogram<"method">;
  /** HTTP requests refused before any JSON-RPC handling (RATE_LIMITED, REQUEST_TOO_LARGE, ...). */
  readonly httpRejected: Counter<"reason">;
  readonly wsConnections: Gauge;
  readonly wsSubscriptions: Gauge;
  /** WebSocket connections the server dropped, by cause (e.g. "slow_consumer", "ping_timeout"). */
  readonly wsDropped: Counter<"cause">;

  // ---- certificates (node.ts)
  readonly certificates: Gauge<"network" | "status">;
  /** Certificates held in memory (the dependency graph): the work in progress and what it requires. */
  readonly graphNodes: Gauge<"status">;
  readonly statusTransitions: Counter<"from" | "to">;
  /** Time a certificate spent in `status`, observed when it leaves it. */
  readonly statusDuration: Histogram<"status">;
  readonly rejections: Counter<"reason">;
  /** Per rejection that started a cascade (not itself caused by another): how many certificates it took down with it. */
  readonly cascadeSize: Histogram;
  /** source: "chain" | "backup"; outcome: "valid" | "invalid". */
  readonly proofsVerified: Counter<"source" | "outcome">;
  readonly finalityLag: Gauge<"network">;
  readonly oldestUnfinalized: Gauge<"network">;

  // ---- the backup prover (node.ts runBackup), by circuit
  readonly proverJobsQueued: Gauge<"circuit">;
  readonly proverJobsRunning: Gauge<"circuit">;
  readonly proverJobs: Counter<"circuit" | "outcome">;
  readonly proveDuration: Histogram<"circuit">;

  // ---- epochs and L1 (node.ts persist, batches.ts, service.ts)
  /** Epochs that entered each status (proved = built: its proofs are the certificates' own). */
  readonly epochs: Counter<"status">;
  /** Certificates per settled epoch. */
  readonly epochSize: Histogram;
  readonly settlementGas: Histogram;
  readonly settlementGasPerCertificate: Histogram;
  readonly settlementInclusion: Histogram;
  readonly l1BlockLag: Gauge;

  constructor(opts: MetricsOptions = {}) {
    const p = opts.prefix ?? "coordinator_";
    this.registry = new Registry();
    const registers = [this.registry];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });
    const read = <K extends keyof StateSources>(k: K, apply: (f: StateSources[K]) => void) => () => {
      const f = this.sources[k];
      if (f) apply(f);
    };

    this.rpcRequests = new Counter({ name: `${p}rpc_requests_total`, help: "JSON-RPC calls by method and outcome", labelNames: ["method", "outcome"], registers });
    this.rpcDuration = new Histogram({ name: `${p}rpc_request_duration_seconds`, help: "JSON-RPC call latency", labelNames: ["method"], buckets: RPC_BUCKETS, registers });
    this.httpRejected = new Counter({ name: `${p}http_rejected_total`, help: "HTTP requests refused before JSON-RPC handling", labelNames: ["reason"], registers });
    this.wsConnections = new Gauge({ name: `${p}ws_connections`, help: "Open WebSocket connections", registers });
    const subscriptions: Gauge = (this.wsSubscriptions = new Gauge({
      name: `${p}ws_subscriptions`, help: "Open WebSocket subscriptions", registers,
      collect: read("subscriptions", (f) => subscriptions.set(f())),
    }));
    this.wsDropped = new Counter({ name: `${p}ws_dropped_total`, help: "WebSocket connections dropped by the server", labelNames: ["cause"], registers });

    const certificates: Gauge<"network" | "status"> = (this.certificates = new Gauge({
      name: `${p}certificates`, help: "Certificates by network and status (all of them, as the store counts them)", labelNames: ["network", "status"], registers,
      collect: read("certificates", (f) => {
        certificates.reset();
        for (const c of f()) certificates.set({ network: String(c.networkId), status: c.status }, c.count);
      }),
    }));
    const graphNodes: Gauge<"status"> = (this.graphNodes = new Gauge({
      name: `${p}graph_nodes`, help: "Certificates held in memory by the dependency graph, by status", labelNames: ["status"], registers,
      collect: read("graphNodes", (f) => {
        const held = f();
        for (const status of STATUSES) graphNodes.set({ status }, held[status]);
      }),
    }));
    this.statusTransitions = new Counter({ name: `${p}status_transitions_total`, help: "Certificate status changes", labelNames: ["from", "to"], registers });
    this.statusDuration = new Histogram({ name: `${p}status_duration_seconds`, help: "Time a certificate spent in a status, observed when it left it", labelNames: ["status"], buckets: STATUS_BUCKETS, registers });
    this.rejections = new Counter({ name: `${p}rejections_total`, help: "Certificates rejected, by rejection code (cascaded ones included)", labelNames: ["reason"], registers });
    this.cascadeSize = new Histogram({ name: `${p}cascade_size`, help: "Certificates one rejection took down with it (0: none)", buckets: COUNT_BUCKETS, registers });
    this.proofsVerified = new Counter({ name: `${p}proofs_verified_total`, help: "Certificate proofs verified, by source and outcome", labelNames: ["source", "outcome"], registers });
    const lag: Gauge<"network"> = (this.finalityLag = new Gauge({
      name: `${p}finality_lag_heights`, help: "Per chain: newest pre-confirmed height minus newest finalized height", labelNames: ["network"], registers,
      collect: read("finality", (f) => {
        lag.reset();
        for (const x of f()) lag.set({ network: String(x.networkId) }, x.lagHeights);
      }),
    }));
    const oldest: Gauge<"network"> = (this.oldestUnfinalized = new Gauge({
      name: `${p}oldest_unfinalized_age_seconds`, help: "Per chain: age of its oldest certificate in progress (0: none)", labelNames: ["network"], registers,
      collect: read("finality", (f) => {
        oldest.reset();
        for (const x of f()) oldest.set({ network: String(x.networkId) }, x.oldestUnfinalizedSeconds);
      }),
    }));

    this.proverJobsQueued = new Gauge({ name: `${p}prover_jobs_queued`, help: "Backup proof jobs waiting for a prover worker", labelNames: ["circuit"], registers });
    this.proverJobsRunning = new Gauge({ name: `${p}prover_jobs_running`, help: "Backup proof jobs on a prover worker", labelNames: ["circuit"], registers });
    this.proverJobs = new Counter({ name: `${p}prover_jobs_total`, help: "Backup proof jobs ended, by outcome", labelNames: ["circuit", "outcome"], registers });
    this.proveDuration = new Histogram({ name: `${p}prove_duration_seconds`, help: "Backup proof time (witness and proof, in the worker)", labelNames: ["circuit"], buckets: PROVE_BUCKETS, registers });

    this.epochs = new Counter({ name: `${p}epochs_total`, help: "Epochs that entered each status (proved: built; settling: sent; settled, failed, abandoned)", labelNames: ["status"], registers });
    this.epochSize = new Histogram({ name: `${p}epoch_certificates`, help: "Certificates per settled epoch", buckets: COUNT_BUCKETS, registers });
    this.settlementGas = new Histogram({ name: `${p}settlement_gas`, help: "Gas used by a successful settlement transaction", buckets: GAS_BUCKETS, registers });
    this.settlementGasPerCertificate = new Histogram({ name: `${p}settlement_gas_per_certificate`, help: "Gas of a successful settlement divided by its certificates", buckets: GAS_PER_CERTIFICATE_BUCKETS, registers });
    this.settlementInclusion = new Histogram({ name: `${p}settlement_inclusion_seconds`, help: "Seconds from signing and broadcasting a settlement to seeing its successful receipt", buckets: INCLUSION_BUCKETS, registers });
    this.l1BlockLag = new Gauge({ name: `${p}l1_block_lag`, help: "L1 head minus the last processed block", registers });

    // A reason with no rejection should read 0, not be missing: dashboards and alerts then need no special case.
    for (const reason of REJECTION_CODES) this.rejections.inc({ reason }, 0);
    for (const status of EPOCH_STATUSES) this.epochs.inc({ status }, 0);
  }

  /** Registers (some of) the owners the state gauges read at each scrape. */
  readState(sources: Partial<StateSources>): void {
    this.sources = { ...this.sources, ...sources };
  }

  observeRpc(method: string, outcome: string, seconds: number): void {
    this.rpcRequests.inc({ method, outcome });
    this.rpcDuration.observe({ method }, seconds);
  }

  /** A certificate left `from` for `to` after `seconds` in `from`. */
  transition(from: CertificateStatus, to: CertificateStatus, seconds: number, rejection?: RejectionCode): void {
    this.statusTransitions.inc({ from, to });
    this.statusDuration.observe({ status: from }, Math.max(0, seconds));
    if (to === "Rejected" && rejection) this.rejections.inc({ reason: rejection });
  }

  /** A backup proof job was handed to the prover pool: queued until `running()`. */
  proverJob(circuit: string): ProverJobTracker {
    let stage: "queued" | "running" | "ended" = "queued";
    this.proverJobsQueued.inc({ circuit });
    return {
      running: () => {
        if (stage !== "queued") return;
        stage = "running";
        this.proverJobsQueued.dec({ circuit });
        this.proverJobsRunning.inc({ circuit });
      },
      ended: (outcome, seconds) => {
        if (stage === "ended") return;
        (stage === "queued" ? this.proverJobsQueued : this.proverJobsRunning).dec({ circuit });
        stage = "ended";
        this.proverJobs.inc({ circuit, outcome });
        if (outcome === "done" && seconds !== undefined) this.proveDuration.observe({ circuit }, seconds);
      },
    };
  }

  /** An epoch row entered `status` (node.ts persist sees every epoch row written with the status changes). */
  epochEntered(status: EpochStatus, certificates: number): void {
    this.epochs.inc({ status });
    if (status === "settled") this.epochSize.observe(certificates);
  }

  /** A settlement transaction of `certificates` certificates landed (batches.ts BatchManager.landed). */
  settlementLanded(gasUsed: bigint, certificates: number, seconds: number): void {
    this.settlementGas.observe(Number(gasUsed));
    if (certificates > 0) this.settlementGasPerCertificate.observe(Number(gasUsed) / certificates);
    this.settlementInclusion.observe(Math.max(0, seconds));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
