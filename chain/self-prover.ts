/**
 * Proves this chain's own certificates (config.proving.self), or leaves them to the coordinator's backup prover
 * while proving is off. A proof job lives only as long as its certificate: a rejection or a rebuild aborts it, so
 * it never delays the proofs still wanted.
 */
import type { BuiltCertificate, NetworkState } from "../lib";
import type { CertificateShape } from "../lib/witness/certificate";
import { certificateWitness, circuitInputToJson } from "../lib/witness/certificate";
import type { Logger } from "../coordinator/log";
import { ProverPool } from "../zk/prover/pool";
import type { ChainConfig } from "./config";
import type { CoordinatorLink } from "./coordinator-link";
import type { ChainMetrics } from "./metrics";
import { hex } from "./refs";

export class SelfProver {
  private on: boolean;
  /** Started with the first proof. */
  private pool: ProverPool | null = null;
  /** Proof jobs in progress, by certificate id. */
  private readonly proving = new Map<bigint, AbortController>();

  constructor(
    private readonly config: ChainConfig,
    private readonly shape: CertificateShape,
    private readonly link: CoordinatorLink,
    private readonly log: Logger,
    private readonly stopped: () => boolean,
    private readonly metrics: ChainMetrics,
  ) {
    this.on = config.proving.self;
    metrics.readBacklog(() => this.backlog);
  }

  get enabled(): boolean {
    return this.on;
  }

  /** Proofs of this chain's certificates being made or waiting for a worker here (0 while proving is off). */
  get backlog(): number {
    return this.on ? this.proving.size : 0;
  }

  /** Proving on or off; switched on, every certificate of `waiting` is proven now. */
  setEnabled(on: boolean, waiting: Iterable<{ built: BuiltCertificate; prev: NetworkState }>): void {
    this.on = on;
    if (!on) return;
    for (const c of waiting) void this.prove(c.built, c.prev);
  }

  async prove(built: BuiltCertificate, prev: NetworkState): Promise<void> {
    if (this.proving.has(built.certificateId) || this.stopped()) return;
    const abort = new AbortController();
    this.proving.set(built.certificateId, abort);
    this.pool ??= new ProverPool({ workers: this.config.proving.workers, log: this.log.child("prover") });
    try {
      const input = circuitInputToJson(certificateWitness(prev, built, this.shape) as unknown as Record<string, unknown>);
      const r = await this.pool.prove({ instance: this.config.circuits.certificate, input }, { signal: abort.signal });
      this.metrics.proveDuration.observe({ circuit: this.config.circuits.certificate }, r.ms / 1000);
      await this.link.call("submitProof", { certificateId: hex(built.certificateId), proof: r.proof, publicSignals: r.publicSignals });
      this.metrics.proofsSubmitted.inc();
      this.log.info("proof submitted", { height: built.certificate.height, ms: Math.round(r.ms) });
    } catch (e) {
      if (abort.signal.aborted) this.log.info("proof abandoned: the certificate is no longer live", { height: built.certificate.height });
      else if (!this.stopped()) this.log.warn("proving failed", { height: built.certificate.height, error: e as Error });
    } finally {
      this.proving.delete(built.certificateId);
    }
  }

  /** The certificate is no longer live (rejected, or rebuilt away): its proof is not wanted. */
  abort(certificateId: bigint): void {
    this.proving.get(certificateId)?.abort();
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
