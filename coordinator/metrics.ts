/**
 * The coordinator's Prometheus metrics. Each Metrics owns its own prom-client Registry (never the global default
 * one) so that several coordinators, or several tests, can live in one process without "metric already
 * registered" clashes. The node updates the fields directly (they are prom-client objects with typed label
 * names); the RPC layer uses observeRpc. GET /metrics serves render().
 *
 * Label values must come from closed sets (statuses, method names, error reasons): a label fed from request
 * input would let a client grow the registry without bound.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { STATUSES } from "./types";

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
/** Gas of one settlement transaction. */
const GAS_BUCKETS = [100e3, 200e3, 300e3, 500e3, 750e3, 1e6, 1.5e6, 2e6, 3e6, 5e6, 10e6];

export class Metrics {
  readonly registry: Registry;

  // ---- RPC (coordinator/rpc)
  /** One per JSON-RPC call; outcome is "ok" or the ERROR_CODES reason. */
  readonly rpcRequests: Counter<"method" | "outcome">;
  readonly rpcDuration: Histogram<"method">;
  /** HTTP requests refused before any JSON-RPC handling (RATE_LIMITED, REQUEST_TOO_LARGE, ...). */
  readonly httpRejected: Counter<"reason">;
  readonly wsConnections: Gauge;
  /** WebSocket connections the server dropped, by cause (e.g. "slow_consumer", "ping_timeout"). */
  readonly wsDropped: Counter<"cause">;

  // ---- certificates and proofs (node)
  readonly certificatesByStatus: Gauge<"status">;
  /** Certificates held in memory (the dependency graph): the work in progress and what it requires. */
  readonly graphNodes: Gauge<"status">;
  readonly statusTransitions: Counter<"from" | "to">;
  /** source: "chain" | "backup"; outcome: "valid" | "invalid". */
  readonly proofsVerified: Counter<"source" | "outcome">;

  // ---- provers (node); kind: "certificate"
  readonly proverJobsQueued: Gauge<"kind">;
  readonly proverJobsRunning: Gauge<"kind">;
  readonly proveDuration: Histogram<"kind">;

  // ---- epochs and L1 (node)
  readonly epochsSettled: Counter;
  readonly epochsFailed: Counter;
  readonly settlementGas: Histogram;
  readonly l1BlockLag: Gauge;

  constructor(opts: MetricsOptions = {}) {
    const p = opts.prefix ?? "coordinator_";
    this.registry = new Registry();
    const registers = [this.registry];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });

    this.rpcRequests = new Counter({ name: `${p}rpc_requests_total`, help: "JSON-RPC calls by method and outcome", labelNames: ["method", "outcome"], registers });
    this.rpcDuration = new Histogram({ name: `${p}rpc_request_duration_seconds`, help: "JSON-RPC call latency", labelNames: ["method"], buckets: RPC_BUCKETS, registers });
    this.httpRejected = new Counter({ name: `${p}http_rejected_total`, help: "HTTP requests refused before JSON-RPC handling", labelNames: ["reason"], registers });
    this.wsConnections = new Gauge({ name: `${p}ws_connections`, help: "Open WebSocket connections", registers });
    this.wsDropped = new Counter({ name: `${p}ws_dropped_total`, help: "WebSocket connections dropped by the server", labelNames: ["cause"], registers });

    this.certificatesByStatus = new Gauge({ name: `${p}certificates`, help: "Certificates by status", labelNames: ["status"], registers });
    this.graphNodes = new Gauge({ name: `${p}graph_nodes`, help: "Certificates held in memory by the dependency graph, by status", labelNames: ["status"], registers });
    this.statusTransitions = new Counter({ name: `${p}status_transitions_total`, help: "Certificate status changes", labelNames: ["from", "to"], registers });
    this.proofsVerified = new Counter({ name: `${p}proofs_verified_total`, help: "Certificate proofs verified", labelNames: ["source", "outcome"], registers });

    this.proverJobsQueued = new Gauge({ name: `${p}prover_jobs_queued`, help: "Prover jobs waiting", labelNames: ["kind"], registers });
    this.proverJobsRunning = new Gauge({ name: `${p}prover_jobs_running`, help: "Prover jobs running", labelNames: ["kind"], registers });
    this.proveDuration = new Histogram({ name: `${p}prove_duration_seconds`, help: "Proof generation time", labelNames: ["kind"], buckets: PROVE_BUCKETS, registers });

    this.epochsSettled = new Counter({ name: `${p}epochs_settled_total`, help: "Epochs settled on L1", registers });
    this.epochsFailed = new Counter({ name: `${p}epochs_failed_total`, help: "Epochs that failed or were abandoned", registers });
    this.settlementGas = new Histogram({ name: `${p}settlement_gas`, help: "Gas used by settlement transactions", buckets: GAS_BUCKETS, registers });
    this.l1BlockLag = new Gauge({ name: `${p}l1_block_lag`, help: "L1 head minus the last processed block", registers });

    // A status with no certificates should read 0, not be missing: dashboards and alerts then need no special case.
    for (const status of STATUSES) {
      this.certificatesByStatus.set({ status }, 0);
      this.graphNodes.set({ status }, 0);
    }
  }

  observeRpc(method: string, outcome: string, seconds: number): void {
    this.rpcRequests.inc({ method, outcome });
    this.rpcDuration.observe({ method }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
