/**
 * The dashboard's read model (getDashboard, docs/api.md; the page is coordinator/dashboard/, served at
 * GET /dashboard): one bounded snapshot of what an operator watches, built from what the node already holds.
 *
 * - Chains: the L1 registry (policy flags, stake, ejected), the newest height per status class (as getNetwork
 *   answers), the finality lag in heights and the age of the oldest certificate not finalized yet, and the chain's
 *   certificates counted by status (kept by the node, not counted per request).
 * - The recent window: the newest `window` certificates of each chain by height, whatever their status (a rejected
 *   certificate and its cascade stay visible after the graph forgot them), read from the store's
 *   (network_id, height) index. The answer holds at most MAX_CERTIFICATES of them whatever the number of chains
 *   or certificates: with many chains the per-chain window shrinks (and `window` says so).
 * - Epochs: counts by status and the newest MAX_EPOCHS, each with the gas its settlement used. Gas is not stored:
 *   it is read from the settlement's L1 receipt once, in the background, and remembered (a snapshot taken before
 *   the receipt was read says null; the next one has it).
 * - The backup prover (pool and jobs in flight) and L1 (connection, head, lag behind it, divergence).
 *
 * Live changes are not this module's: the page follows the status events of the WebSocket subscription and takes
 * a new snapshot after a reconnect.
 */
import { revisionOf } from "../lib/certificate";
import type { DashboardCertificateView, DashboardChainView, DashboardEpochView, DashboardView, RefView, RejectionView } from "./api";
import type { CoordinatorNode } from "./node";
import { CertificateStatus, EpochRecord, Rejection, STATUSES } from "./types";

export const DASHBOARD_LIMITS = Object.freeze({
  /** Largest per-chain window a request may ask for. */
  maxWindow: 256,
  defaultWindow: 32,
  /** Certificates in one answer, all chains together. */
  maxCertificates: 4000,
  /** Chains in one answer. */
  maxChains: 1024,
  /** Newest epochs listed. */
  maxEpochs: 24,
  /** Backup-prover jobs listed (those queued or running). */
  maxJobs: 32,
  /** Gas figures remembered (settlement transactions). */
  gasCacheEntries: 4096,
});

const hex = (x: bigint) => "0x" + x.toString(16);
const ref = (r: { networkId: number; height: bigint; certificateId: bigint }): RefView => ({ networkId: r.networkId, height: hex(r.height), certificateId: hex(r.certificateId) });
/** As node.ts's rejectionView (not imported: the RPC schemas import this module's limits, not the node). */
const rejectionView = (r: Rejection | null | undefined): RejectionView | null =>
  r ? { code: r.code, detail: r.detail, ...(r.cause ? { cause: ref(r.cause) } : {}), ...(r.root ? { root: ref(r.root) } : {}) } : null;
const zeroCounts = () => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<CertificateStatus, number>;

/** The per-chain window an answer gives, for `chains` chains and a requested window. */
export function effectiveWindow(requested: number, chains: number): number {
  const w = Math.max(0, Math.min(Math.floor(requested), DASHBOARD_LIMITS.maxWindow));
  return chains === 0 ? w : Math.min(w, Math.floor(DASHBOARD_LIMITS.maxCertificates / chains));
}

function firstLiveOf(node: CoordinatorNode, networkId: number) {
  try {
    const n = node.firstLive(networkId);
    return n && n.status !== "Rejected" ? n : undefined;
  } catch {
    return undefined; // not a network the L1 mirror settles
  }
}

export class DashboardModel {
  /** Gas used per settlement transaction hash, read from L1 receipts (null: the receipt has none yet). */
  private readonly gas = new Map<string, bigint>();
  private readonly reading = new Set<string>();

  constructor(private readonly node: CoordinatorNode) {}

  view(requestedWindow: number): DashboardView {
    const node = this.node;
    const store = node.d.store;
    const networks = [...node.d.view.networks.values()].sort((a, b) => a.networkId - b.networkId);
    const shown = networks.slice(0, DASHBOARD_LIMITS.maxChains);
    const window = effectiveWindow(requestedWindow, shown.length);
    const now = node.now();
    const chains: DashboardChainView[] = [];
    const certificates: DashboardCertificateView[] = [];
    for (const net of shown) {
      const v = node.getNetwork(net.networkId);
      const first = firstLiveOf(node, net.networkId);
      const firstRecord = first && store.getCertificate(first.certificateId);
      const pre = v.latest.preConfirmed ? BigInt(v.latest.preConfirmed.height) : null;
      const fin = v.latest.finalized ? BigInt(v.latest.finalized.height) : null;
      chains.push({
        networkId: net.networkId, sequencer: net.sequencer, policyFlags: net.policyFlags, optOut: v.optOut, ejected: net.ejected, stake: net.stake.toString(),
        nextHeight: v.nextHeight,
        latest: { preConfirmed: v.latest.preConfirmed?.height ?? null, confirmed: v.latest.confirmed?.height ?? null, finalized: v.latest.finalized?.height ?? null },
        finalityLagHeights: pre === null ? 0 : Number(pre - (fin ?? -1n)),
        oldestUnfinalized: first ? { height: hex(first.height), certificateId: hex(first.certificateId), ageMs: firstRecord ? Math.max(0, now - firstRecord.receivedAt) : 0 } : null,
        counts: { ...zeroCounts(), ...node.networkCounts(net.networkId) },
      });
      for (const r of store.recentCertificates(net.networkId, window)) {
        // the graph is ahead of the store by the changes being committed; it answers for what it holds
        const live = node.graph.get(r.certificateId);
        certificates.push({
          certificateId: hex(r.certificateId), networkId: r.networkId, height: hex(r.height), revision: revisionOf(r.certificate),
          status: live?.status ?? r.status, rejection: rejectionView(live?.rejection ?? r.rejection),
          dependencies: r.certificate.dependencies.map(ref), epoch: r.epoch, receivedAt: r.receivedAt, updatedAt: r.updatedAt,
        });
      }
    }
    const health = node.health();
    const backup = node.d.config.proving.backup;
    const jobs = store.listJobs({ status: ["queued", "running"] }).slice(-DASHBOARD_LIMITS.maxJobs);
    return {
      at: now,
      state: health.state,
      uptimeSec: health.uptimeSec,
      l1: { ...node.l1Status, diverged: node.d.view.diverged !== null },
      provers: {
        enabled: backup.enabled, workers: node.d.config.proving.workers, busy: health.provers.busy, queued: health.provers.queued,
        jobs: jobs.map((j) => ({ id: j.id, certificateId: hex(BigInt(j.subject)), status: j.status, createdAt: j.createdAt })),
      },
      totals: node.statusCounts(),
      chains,
      chainsOmitted: networks.length - shown.length,
      window,
      certificates,
      epochs: { counts: store.countEpochsByStatus(), recent: store.recentEpochs(DASHBOARD_LIMITS.maxEpochs).map((e) => this.epochView(e)) },
    };
  }

  private epochView(e: EpochRecord): DashboardEpochView {
    return {
      id: e.id, status: e.status, size: e.certificateIds.length, l1Epoch: e.l1Epoch, l1Tx: e.l1Tx, gasUsed: this.gasOf(e), failure: e.failure,
      createdAt: e.createdAt, updatedAt: e.updatedAt,
    };
  }

  /** The gas a settled epoch's transaction used, once its receipt was read; starts reading it otherwise. */
  private gasOf(e: EpochRecord): string | null {
    if (e.status !== "settled" || !e.l1Tx) return null;
    const known = this.gas.get(e.l1Tx);
    if (known !== undefined) return known.toString();
    this.readGas(e.l1Tx);
    return null;
  }

  private readGas(tx: string): void {
    if (this.reading.has(tx) || this.reading.size >= 4) return;
    this.reading.add(tx);
    this.node.d.l1
      .receipt(tx)
      .then((r) => {
        if (!r || r.gasUsed === undefined || r.gasUsed === null) return;
        if (this.gas.size >= DASHBOARD_LIMITS.gasCacheEntries) this.gas.delete(this.gas.keys().next().value!);
        this.gas.set(tx, BigInt(r.gasUsed));
      })
      .catch((err) => this.node.log.debug("dashboard: cannot read a settlement receipt", { tx, error: err as Error }))
      .finally(() => this.reading.delete(tx));
  }
}
