/**
 * The chain client's Prometheus metrics: a prom-client Registry of its own (several clients share the devnet's
 * process), every series labelled with the client's network id, served on an optional HTTP endpoint
 * (`metrics: { host, port }` in chain/config.ts; off by default) that starts and stops with the client.
 *
 * Each series has one writer, where its event happens (docs/operations.md lists them): the relayer (roots relayed,
 * relay lag), the rebuilder (rebuilds, claims undone), the certifier (certificates submitted, accepted, refused),
 * the self-prover (proving time, proofs submitted; the backlog is read from it at each scrape). Label values come
 * from closed sets: source network ids (the layer's registered chains and 0 for L1), the coordinator's error
 * reasons, the configured circuit.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { ERROR_CODES, ErrorReason } from "../coordinator/types";

/** Seconds from hearing of a root to its post landing on the L2: a block or two, more behind a queue of posts. */
const RELAY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
/** Seconds: a devnet certificate proof takes seconds, a production one tens of seconds. */
const PROVE_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

/** A refusal the coordinator gave for a reason this client does not know (a newer coordinator): one label for all. */
export const UNKNOWN_REASON = "UNKNOWN";

export class ChainMetrics {
  readonly registry = new Registry();
  readonly rootsRelayed: Counter<"source">;
  readonly relayLag: Histogram<"source">;
  readonly rebuilds: Counter;
  readonly claimsUndone: Counter;
  readonly certificatesSubmitted: Counter;
  readonly certificatesAccepted: Counter;
  readonly certificatesRefused: Counter<"reason">;
  readonly proofsSubmitted: Counter;
  readonly proveDuration: Histogram<"circuit">;
  readonly proverBacklog: Gauge;
  private backlog: () => number = () => 0;

  constructor(networkId: number, prefix = "chain_") {
    this.registry.setDefaultLabels({ network: String(networkId) });
    const p = prefix;
    const registers = [this.registry];
    this.rootsRelayed = new Counter({ name: `${p}roots_relayed_total`, help: "Other chains' exit roots (and L1 checkpoints: source 0) posted to this chain's oracle", labelNames: ["source"], registers });
    this.relayLag = new Histogram({ name: `${p}relay_lag_seconds`, help: "Seconds from hearing of a root (the coordinator's announcement, a peer, an L1 checkpoint) to its post landing on this L2", labelNames: ["source"], buckets: RELAY_BUCKETS, registers });
    this.rebuilds = new Counter({ name: `${p}rebuilds_total`, help: "Rebuilds of this chain's L2 after a rejection, finished", registers });
    this.claimsUndone = new Counter({ name: `${p}claims_undone_total`, help: "Claims that no longer succeed after a rebuild (they used a rejected root)", registers });
    this.certificatesSubmitted = new Counter({ name: `${p}certificates_submitted_total`, help: "submitCertificate calls sent to the coordinator (a retry counts again)", registers });
    this.certificatesAccepted = new Counter({ name: `${p}certificates_accepted_total`, help: "Certificates the coordinator holds (accepted, or already held)", registers });
    this.certificatesRefused = new Counter({ name: `${p}certificates_refused_total`, help: "Certificates the coordinator refused, by reason", labelNames: ["reason"], registers });
    this.proofsSubmitted = new Counter({ name: `${p}proofs_submitted_total`, help: "Proofs of this chain's certificates made here and accepted by the coordinator", registers });
    this.proveDuration = new Histogram({ name: `${p}prove_duration_seconds`, help: "Proof time of this chain's certificates (witness and proof, in the worker)", labelNames: ["circuit"], buckets: PROVE_BUCKETS, registers });
    const backlog: Gauge = (this.proverBacklog = new Gauge({
      name: `${p}prover_backlog`, help: "Proofs of this chain's certificates being made or waiting for a worker here", registers,
      collect: () => backlog.set(this.backlog()),
    }));
  }

  /** The self-prover's backlog, read at each scrape (its one count). */
  readBacklog(f: () => number): void {
    this.backlog = f;
  }

  /** The coordinator refused a certificate: counted by its reason (an unknown one as UNKNOWN, so the label set stays closed). */
  refused(reason: string): void {
    this.certificatesRefused.inc({ reason: reason in ERROR_CODES ? (reason as ErrorReason) : UNKNOWN_REASON });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

export class MetricsServerError extends Error {
  constructor(readonly host: string, readonly port: number, cause: Error) {
    super(`cannot serve metrics on ${host}:${port}: ${cause.message}`, { cause });
    this.name = "MetricsServerError";
  }
}

export interface MetricsServer {
  /** The port it listens on (the one picked when port 0 was asked). */
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics (Prometheus' text format) on host:port; anything else is 404. */
export async function serveMetrics(metrics: ChainMetrics, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" }).end(text),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new MetricsServerError(host, port, e)));
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${actual}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
