/**
 * The coordinator node: pre-confirms certificates, verifies proofs (the chain's or its own backup prover's),
 * confirms through the dependency graph, rejects with cascades, and hands confirmed certificates to the settlement
 * manager (coordinator/batches.ts: epochs, one settleBatch each); the L1 sync (coordinator/l1/sync.ts) finalizes
 * them from L1's events.
 *
 * Invariants:
 * - A certificate is acknowledged only after the store committed it (group commit: coordinator/store/).
 * - The graph (memory) is changed first, synchronously, so that concurrent requests see each other; the store
 *   follows in the same order; subscribers hear of a change only once it is durable. A store failure is fatal
 *   (fail-stop): memory would otherwise run ahead of the disk.
 * - Nothing here is trusted for safety: the circuits and the hub refuse whatever this code might get wrong.
 * - Memory is a cache of the store: once a status change is durable, the graph forgets the settled certificates that
 *   nothing in progress needs and the L1 mirror the history entries the store holds (forgetSettled). Questions about
 *   forgotten certificates are answered from the store and the mirror, as they would have been from memory.
 */
import { certificateId as computeCertificateId, compareRefs, revisionOf } from "../lib/certificate";
import type { Certificate, CertificateRef, SignedCertificate } from "../lib/certificate";
import { certificateToJson } from "../lib/codec";
import { HeaderVerifier } from "../lib/header-verifier";
import { movedTokens } from "../lib/accounting";
import { certificatePublicSignals } from "../lib/settlement";
import { verify as verifyGroth16 } from "../zk/groth16";
import type { CertificateShape } from "../lib/witness/certificate";
import type {
  CertificateView, CoordinatorApi, CoordinatorEvent, DashboardView, EpochView, Groth16ProofJson, HealthView, NetworkView, RefView, RejectionView, SubmitProofInput, SubmitResult,
} from "./api";
import { DashboardModel } from "./dashboard";
import { ChainStates, TransitionInvalidError } from "./backup";
import { certificateShapeOf, CoordinatorConfig } from "./config";
import { CertificateGraph, GraphError, GraphNode } from "./graph";
import type { L1Client } from "./l1/client";
import { LayerSigner } from "./licences";
import { L1View, type Finalization } from "./l1/view";
import type { Logger } from "./log";
import type { ProverPool } from "../zk/prover/pool";
import { Metrics } from "./metrics";
import type { Store, WriteOp } from "./store/store";
import {
  CertificateRecord, CertificateStatus, CoordinatorError, EpochRecord, EpochStatus, ProofSource, Rejection, STATUSES, STATUS_RANK, StatusChange, isConfirmedOrLater, POLICY_DIRECT_SETTLEMENT,
} from "./types";

export interface NodeDeps {
  config: CoordinatorConfig;
  store: Store;
  l1: L1Client;
  view: L1View;
  pool: ProverPool;
  log: Logger;
  now?: () => number;
  /** Called after a status change became durable. */
  onChanges?: (changes: StatusChange[]) => void;
  /** Where the node's series go (default: a private Metrics instance). */
  metrics?: Metrics;
  /** Verifies a certificate proof; the Groth16 verifier (zk/groth16.ts) unless a test replaces it. */
  verifyProof?: (instance: string, publicSignals: string[], proof: Groth16ProofJson) => Promise<boolean>;
  /** The layer key that signs rejections (licences); null: none configured, licences cannot be given. */
  layer?: LayerSigner | null;
}

const hex = (x: bigint) => "0x" + x.toString(16);
const refView = (r: CertificateRef): RefView => ({ networkId: r.networkId, height: hex(r.height), certificateId: hex(r.certificateId) });
const refOf = (n: { networkId: number; height: bigint; certificateId: bigint }): CertificateRef => ({ networkId: n.networkId, height: n.height, certificateId: n.certificateId });
const key = (networkId: number, height: bigint) => `${networkId}/${height}`;
/**
 * Finalized history entries kept in memory below each chain's finalized height: dependencies on recently finalized
 * certificates (the common case) are proven without reading the store back.
 */
const HISTORY_KEPT = 512n;
const isSettled = (s: CertificateStatus) => s === "Finalized" || s === "Rejected";
/** Epoch rows whose last written status the node remembers (epochMoves): more than are ever in flight at once. */
const EPOCHS_REMEMBERED = 16;

export function rejectionView(r: Rejection | null | undefined): RejectionView | null {
  if (!r) return null;
  return { code: r.code, detail: r.detail, ...(r.cause ? { cause: refView(r.cause) } : {}), ...(r.root ? { root: refView(r.root) } : {}) };
}

export class CoordinatorNode implements CoordinatorApi {
  readonly graph = new CertificateGraph();
  readonly states: ChainStates;
  readonly shape: CertificateShape;
  state: "starting" | "running" | "stopping" | "stopped" = "starting";
  private verifier: HeaderVerifier | null = null;
  private readonly bodies = new Map<bigint, SignedCertificate>();
  /** PreConfirmed certificates by acceptance order, for proof deadlines and the backup prover. */
  private readonly awaitingProof = new Map<bigint, number>();
  private readonly backupJobs = new Map<bigint, Promise<void>>();
  private readonly bundleFirstSeen = new Map<bigint, number>();
  /** Networks caught equivocating: refused until L1 ejects them (then the registry says so). */
  private readonly equivocated = new Set<number>();
  /** The highest rejected revision per (networkId, height): the next certificate there needs the one after it. */
  private readonly rejectedRevision = new Map<string, number>();
  private readonly listeners = new Set<(e: CoordinatorEvent) => void>();
  /** Certificates per network and status, all of them (the graph holds only those still needed): counted once at load, then kept. */
  private readonly totals = new Map<number, Record<CertificateStatus, number>>();
  /** When each certificate the graph may still move entered its current status (time-in-status histograms). */
  private readonly enteredAt = new Map<bigint, number>();
  /** When each certificate in progress (neither Finalized nor Rejected) arrived, by id: the oldest unfinalized per chain. */
  private readonly inProgress = new Map<bigint, { networkId: number; receivedAt: number }>();
  /** The status last written for the latest epochs (epochMoves); one epoch is in flight at a time. */
  private readonly epochStatus = new Map<number, EpochStatus>();
  readonly metrics: Metrics;
  private dashboard: DashboardModel | null = null;
  private readonly startedAt: number;
  private fatal: Error | null = null;
  /** Hook for the settlement manager's admin trigger (admin_triggerEpoch). */
  epochTrigger: (() => Promise<number | null>) | null = null;
  l1Status: { connected: boolean; block: number | null; lagBlocks: number | null } = { connected: false, block: null, lagBlocks: null };

  constructor(readonly d: NodeDeps) {
    this.shape = certificateShapeOf(d.config);
    this.startedAt = this.now();
    this.metrics = d.metrics ?? new Metrics();
    this.metrics.readState({
      certificates: () => this.certificateCounts(),
      graphNodes: () => this.graph.counts(),
      finality: () => this.finality(),
    });
    this.states = new ChainStates({
      liveAt: (networkId, height) => {
        const n = this.graph.at(networkId, height);
        return n && n.status !== "Finalized" ? { certificateId: n.certificateId, certificate: this.body(n.certificateId) } : undefined;
      },
      mirror: () => this.d.view.mirror,
    });
  }

  now(): number {
    return (this.d.now ?? Date.now)();
  }

  get log(): Logger {
    return this.d.log;
  }

  // ------------------------------------------------------------------------------------------- start-up

  /**
   * Loads the certificates in progress into the graph (arrival order, so dependencies come first), with the settled
   * legs of their bundles. Settled certificates stay in the store: one that is not in the graph counts as
   * Finalized where it is named, which is what the store says of those a live certificate may name.
   */
  async load(): Promise<void> {
    this.verifier = new HeaderVerifier({ chainId: await this.d.l1.chainId(), verifyingContract: this.d.config.l1.hub });
    const records = this.d.store.listCertificates({ live: true });
    for (const r of records) {
      this.graph.add(this.nodeOf(r));
      this.bodies.set(r.certificateId, r.certificate);
      this.enteredAt.set(r.certificateId, r.updatedAt);
      this.inProgress.set(r.certificateId, { networkId: r.networkId, receivedAt: r.receivedAt });
      if (r.status === "PreConfirmed") this.awaitingProof.set(r.certificateId, r.receivedAt);
      for (const b of r.certificate.bundles) if (!this.bundleFirstSeen.has(b.bundleId)) this.bundleFirstSeen.set(b.bundleId, r.receivedAt);
    }
    for (const r of records) for (const b of r.certificate.bundles) for (const leg of this.d.store.bundleLegs(b.bundleId)) this.recall(leg.certificateId);
    for (const e of this.d.store.listEquivocations()) this.equivocated.add(e.networkId);
    for (const a of this.d.store.listAbandoned()) this.noteRejected(a.networkId, a.height, a.revision);
    // the revisions rejected at heights not finalized yet (the graph holds only the live certificates)
    for (const r of this.d.store.listCertificates({ status: "Rejected" })) {
      if (!this.d.store.finalizedHistory(r.networkId, r.height, r.height + 1n).length) this.noteRejected(r.networkId, r.height, revisionOf(r.certificate));
    }
    for (const { networkId, status, count } of this.d.store.countByNetworkAndStatus()) this.totalsOf(networkId)[status] = count;
    this.log.info("loaded certificates", { total: this.statusCounts().total, live: this.bodies.size, awaitingProof: this.awaitingProof.size });
  }

  /**
   * Puts a settled certificate the graph forgot back into it, from the store: a Rejected one that L1 finalizes
   * anyway, the settled legs of a live bundle at start-up. Returns its node, or undefined if the store has no
   * settled record of it (in one of `statuses`).
   */
  recall(id: bigint, statuses: readonly CertificateStatus[] = ["Finalized", "Rejected"]): GraphNode | undefined {
    const known = this.graph.get(id);
    if (known) return known;
    const status = this.d.store.certificateStatus(id);
    if (!status || !isSettled(status) || !statuses.includes(status)) return undefined;
    const r = this.d.store.getCertificate(id)!;
    try {
      this.graph.add(this.nodeOf(r));
    } catch (e) {
      this.log.warn("cannot recall a settled certificate into the graph", { certificateId: id, error: e as Error });
      return undefined;
    }
    this.enteredAt.set(id, r.updatedAt);
    return this.graph.get(id);
  }

  /** Certificates by status, all of them (not only those the graph holds), and their total. */
  statusCounts(): Record<CertificateStatus, number> & { total: number } {
    const sum = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<CertificateStatus, number>;
    for (const t of this.totals.values()) for (const s of STATUSES) sum[s] += t[s];
    return { ...sum, total: STATUSES.reduce((a, s) => a + sum[s], 0) };
  }

  /** Certificates by network and status, all of them (what the store counts). */
  certificateCounts(): { networkId: number; status: CertificateStatus; count: number }[] {
    return [...this.totals].flatMap(([networkId, t]) => STATUSES.map((status) => ({ networkId, status, count: t[status] })));
  }

  private totalsOf(networkId: number): Record<CertificateStatus, number> {
    let t = this.totals.get(networkId);
    if (!t) this.totals.set(networkId, (t = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<CertificateStatus, number>));
    return t;
  }

  /**
   * Per registered chain: how far finalization trails pre-confirmation (newest pre-confirmed height minus newest
   * finalized height; a chain with nothing finalized counts from -1), and the age of its oldest certificate in
   * progress (0 when it has none).
   */
  finality(): { networkId: number; lagHeights: number; oldestUnfinalizedSeconds: number }[] {
    const now = this.now();
    const oldest = new Map<number, number>();
    for (const c of this.inProgress.values()) oldest.set(c.networkId, Math.min(oldest.get(c.networkId) ?? Infinity, c.receivedAt));
    return [...this.d.view.networks.keys()].map((networkId) => {
      const pre = this.latestOf(networkId, "PreConfirmed");
      const fin = this.latestOf(networkId, "Finalized");
      const lagHeights = pre ? Number(pre.height - (fin ? fin.height : -1n)) : 0;
      const since = oldest.get(networkId);
      return { networkId, lagHeights, oldestUnfinalizedSeconds: since === undefined ? 0 : Math.max(0, now - since) / 1000 };
    });
  }

  /** A network's certificates by status, all of them (statuses without any are absent). */
  networkCounts(networkId: number): Partial<Record<CertificateStatus, number>> {
    const t = this.totals.get(networkId);
    return t ? Object.fromEntries(STATUSES.filter((st) => t[st] > 0).map((st) => [st, t[st]])) : {};
  }

  /** Proven -> Confirmed at start-up: confirmations a crash may have left undone (between a proof's commit and the changes it implied). */
  async confirmLoaded(): Promise<void> {
    const changes = this.graph.confirmReady();
    if (changes.length > 0) {
      this.log.info("confirmed on start-up", { count: changes.length });
      await this.persist(changes);
    }
  }

  private nodeOf(r: CertificateRecord): GraphNode {
    return { certificateId: r.certificateId, networkId: r.networkId, height: r.height, status: r.status, dependencies: r.certificate.dependencies, bundles: r.certificate.bundles, seq: r.seq, rejection: r.rejection };
  }

  /** A certificate's body: memory for live ones, the store otherwise. */
  body(id: bigint): SignedCertificate {
    const b = this.bodies.get(id) ?? this.d.store.getCertificate(id)?.certificate;
    if (!b) throw new Error(`no certificate ${id}`);
    return b;
  }

  // ------------------------------------------------------------------------------------------- persistence

  /**
   * Persists status changes (already applied to the graph) with any extra operations, then tells subscribers.
   * A store failure stops the node: the graph would otherwise be ahead of the disk.
   */
  async persist(changes: StatusChange[], extra: WriteOp[] = [], meta: { epoch?: number | null; l1Tx?: string | null } = {}): Promise<void> {
    const at = this.now();
    const ops: WriteOp[] = [...extra, ...changes.map((change): WriteOp => ({ op: "setStatus", change, at, ...meta }))];
    if (ops.length === 0) return;
    const epochMoves = this.epochMoves(ops);
    try {
      await this.d.store.commit(ops);
    } catch (e) {
      this.failStop(e as Error);
      throw new CoordinatorError("INTERNAL_ERROR", "the store failed; the coordinator stopped accepting work");
    }
    for (const e of epochMoves) this.metrics.epochEntered(e.status, e.certificateIds.length);
    this.afterChanges(changes, at);
  }

  /**
   * The epoch rows among `ops` whose status changes: every epoch row is written here (the settlement manager and
   * the L1 sync hand theirs to persist), so this is where an epoch's move is counted, once it is durable.
   */
  private epochMoves(ops: readonly WriteOp[]): EpochRecord[] {
    const out: EpochRecord[] = [];
    for (const op of ops) {
      if (op.op !== "putEpoch") continue;
      const { id, status } = op.record;
      // What this node last wrote wins over the store: two writers (the follow step, the L1 sync) may both mark an
      // epoch settled while the first commit is still in flight; only the first counts.
      const before = this.epochStatus.get(id) ?? this.d.store.getEpoch(id)?.status;
      this.epochStatus.delete(id);
      this.epochStatus.set(id, status);
      if (this.epochStatus.size > EPOCHS_REMEMBERED) this.epochStatus.delete(this.epochStatus.keys().next().value!);
      if (before !== status) out.push(op.record);
    }
    return out;
  }

  private failStop(e: Error): void {
    if (this.fatal) return;
    this.fatal = e;
    this.log.error("store commit failed: stopping intake (fail-stop)", { error: e });
    this.state = "stopping";
  }

  // ------------------------------------------------------------------------------------------- status transitions
  //
  // Every certificate status change is made by one function of this class, which changes the graph (the state
  // machine, coordinator/graph.ts) and persists the change: PreConfirmed (accept), Proven and Confirmed
  // (acceptProof, confirmLoaded), Rejected with its cascade (rejectWith), InEpoch (enterEpoch), Settling
  // (startSettling), back to Confirmed (releaseEpoch), Finalized (finalize). The settlement manager and the L1 sync call
  // these; nothing else calls the graph's mutators. docs/coordinator.md, "One certificate's path".

  /** Confirmed -> InEpoch, for the certificates of an epoch the settlement manager built (BatchManager.build); stored with the epoch row. */
  async enterEpoch(e: EpochRecord): Promise<void> {
    const changes = e.certificateIds.flatMap((id) => this.graph.setStatus(id, "InEpoch"));
    await this.persist(changes, [{ op: "putEpoch", record: e }], { epoch: e.id });
  }

  /**
   * InEpoch -> Settling: the epoch's settlement transaction is signed (BatchManager.signAndSend); stored with `ops`
   * (the signed transaction, the epoch row) before it is broadcast. Certificates L1 finalized meanwhile stay Finalized.
   */
  async startSettling(certificateIds: bigint[], l1Tx: string, ops: WriteOp[]): Promise<void> {
    const changes = certificateIds.flatMap((id) => (this.graph.get(id)?.status === "InEpoch" ? this.graph.setStatus(id, "Settling") : []));
    await this.persist(changes, ops, { l1Tx });
  }

  /**
   * InEpoch / Settling -> Confirmed: the epoch did not settle (BatchManager.release: the settlement would revert or
   * reverted, its block left L1, another transaction took its nonce, a tip it continues moved). Stored
   * with `ops` (the epoch row); returns how many certificates went back.
   */
  async releaseEpoch(certificateIds: bigint[], ops: WriteOp[]): Promise<number> {
    const changes: StatusChange[] = [];
    for (const id of certificateIds) {
      const st = this.graph.get(id)?.status;
      if (st === "InEpoch" || st === "Settling") changes.push(...this.graph.setStatus(id, "Confirmed"));
    }
    await this.persist(changes, ops, { epoch: null });
    return changes.length;
  }

  /**
   * -> Finalized, only from L1's BatchCertificateFinalized events (L1Sync.applyEffects), whoever settled them:
   * this coordinator's epochs, a chain's direct settlement (a batch of one). L1 is the truth: a certificate the
   * layer rejected (and forgot) comes back from the store and is finalized; the live certificate at its height is
   * then rejected (EQUIVOCATION, with its cascade: CertificateGraph.setStatus). A jump from below Confirmed may
   * confirm what waited for it. One commit per settlement transaction (each status row keeps its l1Tx), then the
   * rest with `ops` (the L1 cursor, epoch rows).
   */
  async finalize(finalized: readonly Finalization[], ops: WriteOp[]): Promise<void> {
    const changes: StatusChange[] = [];
    const txOf = new Map<bigint, string>();
    for (const f of finalized) {
      const n = this.graph.get(f.certificateId) ?? this.recall(f.certificateId, ["Rejected"]);
      if (!n || n.status === "Finalized") continue;
      changes.push(...this.graph.setStatus(f.certificateId, "Finalized"));
      txOf.set(f.certificateId, f.txHash);
    }
    const byTx = new Map<string, StatusChange[]>();
    const other: StatusChange[] = [];
    for (const c of changes) {
      const tx = c.to === "Finalized" ? txOf.get(c.certificateId) : undefined;
      if (tx) byTx.set(tx, [...(byTx.get(tx) ?? []), c]);
      else other.push(c);
    }
    for (const [tx, group] of byTx) await this.persist(group, [], { l1Tx: tx });
    await this.persist(other, ops);
  }

  /** L1 readmitted an ejected network with a new sequencer: its evidence is history; its certificates are welcome. */
  readmitted(networkId: number): void {
    this.equivocated.delete(networkId);
    this.log.info("network readmitted on L1", { networkId, sequencer: this.d.view.networks.get(networkId)?.sequencer });
  }

  private noteRejected(networkId: number, height: bigint, revision: number): void {
    const k = key(networkId, height);
    if ((this.rejectedRevision.get(k) ?? -1) < revision) this.rejectedRevision.set(k, revision);
  }

  /** The revision the next certificate at (networkId, height) must carry. */
  nextRevision(networkId: number, height: bigint): number {
    return (this.rejectedRevision.get(key(networkId, height)) ?? -1) + 1;
  }

  private afterChanges(changes: StatusChange[], at: number): void {
    this.observe(changes, at);
    for (const c of changes) {
      const t = this.totalsOf(c.networkId);
      t[c.from]--;
      t[c.to]++;
      if (c.to === "Rejected") this.noteRejected(c.networkId, c.height, revisionOf(this.body(c.certificateId)));
      // a finalized height takes no other revision: what was rejected there is no longer needed
      if (c.to === "Finalized") this.rejectedRevision.delete(key(c.networkId, c.height));
      if (c.to === "Proven" || c.to === "Rejected" || c.to === "Finalized") this.awaitingProof.delete(c.certificateId);
      if (c.to === "Finalized" || c.to === "Rejected") {
        this.bodies.delete(c.certificateId);
        this.states.forget(c.certificateId);
        this.enteredAt.delete(c.certificateId);
        this.inProgress.delete(c.certificateId);
      }
      this.emit({ type: "status", networkId: c.networkId, certificateId: hex(c.certificateId), height: hex(c.height), from: c.from, to: c.to, rejection: rejectionView(c.rejection) });
      if (c.to === "Confirmed" || c.to === "Finalized") this.emitExitRoot(c.certificateId, c.to);
    }
    this.forgetSettled(changes);
    this.d.onChanges?.(changes);
  }

  /**
   * The series of durable status changes: each transition with the time spent in the status it leaves, each
   * rejection by code, and per rejection that started a cascade (one with no `root`) how many certificates of this
   * change set it took down (those naming it as their root).
   */
  private observe(changes: StatusChange[], at: number): void {
    const cascades = new Map<bigint, number>();
    for (const c of changes) {
      this.metrics.transition(c.from, c.to, (at - (this.enteredAt.get(c.certificateId) ?? at)) / 1000, c.rejection?.code);
      this.enteredAt.set(c.certificateId, at);
      if (c.to !== "Rejected") continue;
      const root = c.rejection?.root?.certificateId;
      if (root === undefined) cascades.set(c.certificateId, cascades.get(c.certificateId) ?? 0);
      else cascades.set(root, (cascades.get(root) ?? 0) + 1);
    }
    for (const n of cascades.values()) this.metrics.cascadeSize.observe(n);
  }

  /**
   * The one place memory lets go, right after the status changes are durable: the graph forgets the settled
   * certificates nothing in progress requires (a Finalized one only once the L1 mirror holds it in its history, so
   * that a dependency on it, the chain's next height and its state are still answered), and the mirror the history
   * entries below the chains' new finalized heights, which the store now holds as Finalized.
   */
  private forgetSettled(changes: StatusChange[]): void {
    const settled = changes.filter((c) => isSettled(c.to));
    if (settled.length === 0) return;
    const mirror = this.d.view.mirror;
    const forgotten = this.graph.forget(
      settled.map((c) => c.certificateId),
      (n) => mirror.finalized(n.networkId, n.height)?.certificateId === n.certificateId,
    );
    // a settled certificate recalled into the graph (a bundle's leg at start-up) may leave it without changing again
    for (const n of forgotten) this.enteredAt.delete(n.certificateId);
    const finalizedTop = new Map<number, bigint>();
    for (const c of settled) if (c.to === "Finalized" && c.height >= (finalizedTop.get(c.networkId) ?? 0n)) finalizedTop.set(c.networkId, c.height);
    for (const [networkId, height] of finalizedTop) mirror.releaseHistory(networkId, height + 1n - HISTORY_KEPT);
  }

  private emitExitRoot(id: bigint, status: CertificateStatus): void {
    const n = this.graph.get(id);
    if (!n) return;
    const c = this.bodies.get(id) ?? this.d.store.getCertificate(id)?.certificate;
    if (!c) return;
    this.emit({ type: "exitRoot", networkId: n.networkId, height: hex(n.height), certificateId: hex(id), exitRoot: hex(c.newLocalExitRoot), status });
  }

  private emit(e: CoordinatorEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn("subscriber threw", { error: err as Error });
      }
    }
  }

  // ------------------------------------------------------------------------------------------- submitCertificate

  private assertIntake(): void {
    if (this.state !== "running") throw new CoordinatorError("SHUTTING_DOWN", this.state === "starting" ? "the coordinator is starting" : "the coordinator is stopping");
  }

  async submitCertificate(c: SignedCertificate): Promise<SubmitResult> {
    this.assertIntake();
    const id = computeCertificateId(c);
    const known = this.statusOf(id);
    if (known) throw new CoordinatorError("DUPLICATE_CERTIFICATE", `certificate ${hex(id)} is already known (${known})`, { certificateId: hex(id), status: known });
    const net = this.checkNetwork(c.networkId);
    const signer = this.verifier!.recover({ networkId: c.networkId, height: c.height, revision: revisionOf(c), certificateId: id, signature: c.signature });
    if (signer === null || signer.toLowerCase() !== net.sequencer.toLowerCase()) {
      throw new CoordinatorError("BAD_SIGNATURE", `the signature does not recover to network ${c.networkId}'s sequencer`, { networkId: c.networkId });
    }
    // Evidence needs only the two signatures: check the height before anything else about the content.
    const holder = this.graph.at(c.networkId, c.height) ?? this.forgottenFinalized(c.networkId, c.height);
    if (holder) {
      const live = revisionOf(this.body(holder.certificateId));
      if (live === revisionOf(c)) return this.equivocation(c, id, holder);
      throw new CoordinatorError("REVISION_NOT_LICENSED", `network ${c.networkId} has revision ${live} live at height ${c.height}; another revision needs its rejection first`, { live, got: revisionOf(c) });
    }
    this.checkRevision(c);
    this.checkShape(c);
    const failedLeg = c.bundles.find((b) => !b.success);
    if (failedLeg) throw new CoordinatorError("BUNDLE_FAILED", `bundle ${hex(failedLeg.bundleId)} leg ${failedLeg.legIndex} is marked failed`);
    this.checkHeightAndState(c);
    this.checkDependencies(c, (net.policyFlags & POLICY_DIRECT_SETTLEMENT) !== 0);
    this.checkForgottenBundleLegs(c);
    if (c.importedExits.some((m) => m.source.networkId === 0)) {
      await this.checkL1Imports(c);
      // While L1 was asked, a concurrent submission may have taken the height, and a dependency may have been
      // rejected and forgotten (the graph would take it for a finalized one): check both again.
      if (this.graph.at(c.networkId, c.height)) return this.submitCertificate(c);
      this.checkDependencies(c, (net.policyFlags & POLICY_DIRECT_SETTLEMENT) !== 0);
    }
    return this.accept(c, id);
  }

  /** The finalized certificate at (networkId, height) that the graph forgot, from the L1 mirror's history and the store. */
  private forgottenFinalized(networkId: number, height: bigint): GraphNode | undefined {
    const fin = this.d.view.mirror.finalized(networkId, height);
    const r = fin && this.d.store.getCertificate(fin.certificateId);
    return r ? this.nodeOf(r) : undefined;
  }

  /**
   * The graph checks a new leg against the legs it holds; the settled legs it forgot are checked here, from the
   * store, with the same rules: the same leg count, no leg rejected (the bundle failed), no leg index taken.
   */
  private checkForgottenBundleLegs(c: Certificate): void {
    for (const leg of c.bundles) {
      for (const other of this.d.store.bundleLegs(leg.bundleId)) {
        if (this.graph.get(other.certificateId)) continue;
        const refuse = (why: string) => new CoordinatorError("BUNDLE_FAILED", `bundle ${hex(leg.bundleId)} ${why}`);
        if (other.legCount !== leg.legCount) throw refuse(`has ${other.legCount} legs, the certificate says ${leg.legCount}`);
        if (other.status === "Rejected") throw refuse("has already failed");
        if (other.legIndex === leg.legIndex) throw refuse(`leg ${leg.legIndex} is already taken`);
      }
    }
  }

  private checkNetwork(networkId: number) {
    const net = this.d.view.networks.get(networkId);
    if (!net) throw new CoordinatorError("UNKNOWN_NETWORK", `network ${networkId} is not registered on L1`, { networkId });
    if (net.ejected) throw new CoordinatorError("NETWORK_EJECTED", `network ${networkId} was ejected`, { networkId });
    if (this.equivocated.has(networkId)) throw new CoordinatorError("NETWORK_EJECTED", `network ${networkId} equivocated; its ejection is being reported to L1`, { networkId });
    return net;
  }

  /** A height's first certificate has revision 0; after the layer rejected revision r there, the next has r + 1. */
  private checkRevision(c: Certificate): void {
    const expected = this.nextRevision(c.networkId, c.height);
    if (revisionOf(c) !== expected) {
      throw new CoordinatorError("REVISION_NOT_LICENSED", `network ${c.networkId}'s next certificate at height ${c.height} has revision ${expected}, not ${revisionOf(c)}`, { expected, got: revisionOf(c) });
    }
  }

  /**
   * What the hub's settleBatch takes for a certificate beyond its proof (BatchSettlement.SlotAuth, without the
   * locators): the sequencer's signature and, for a revision r > 0, the licence (the layer's signed rejection of
   * revision r - 1).
   */
  settlementAuth(id: bigint): { signature: string; licence: string } {
    const c = this.body(id);
    const revision = revisionOf(c);
    return { signature: c.signature, licence: revision > 0 ? this.licence(c.networkId, c.height, revision - 1) : "0x" };
  }

  /**
   * The chain abandons a certificate the layer does not hold (refused, or given up on before an answer): the
   * layer records its revision as rejected at that height and returns the licence for the next revision. Only
   * the chain can ask (its sequencer signed the header), only for the height's current revision, and never for a
   * certificate live in the layer: those end by the layer's own rules, so their dependents are never surprised.
   */
  async abandon(c: SignedCertificate): Promise<{ licence: string; nextRevision: number }> {
    this.assertIntake();
    const id = computeCertificateId(c);
    const net = this.checkNetwork(c.networkId);
    const revision = revisionOf(c);
    const signer = this.verifier!.recover({ networkId: c.networkId, height: c.height, revision, certificateId: id, signature: c.signature });
    if (signer === null || signer.toLowerCase() !== net.sequencer.toLowerCase()) {
      throw new CoordinatorError("BAD_SIGNATURE", `the signature does not recover to network ${c.networkId}'s sequencer`, { networkId: c.networkId });
    }
    const holder = this.graph.at(c.networkId, c.height);
    if (holder || c.height < this.d.view.mirror.record(c.networkId).nextHeight) {
      throw new CoordinatorError("NOT_ALLOWED", `network ${c.networkId} has a live or finalized certificate at height ${c.height}: it ends by the layer's rules, not by abandonment`, { networkId: c.networkId, height: hex(c.height) });
    }
    this.checkRevision(c);
    const record = { networkId: c.networkId, height: c.height, revision, certificateId: id, signature: c.signature, at: this.now() };
    await this.persist([], [{ op: "putAbandoned", record }]);
    this.noteRejected(c.networkId, c.height, revision);
    this.log.info("certificate abandoned by its chain", { networkId: c.networkId, height: c.height, revision, certificateId: id });
    return { licence: this.licence(c.networkId, c.height, revision), nextRevision: revision + 1 };
  }

  /** The layer's signed rejection of `revision` at (networkId, height): the licence for revision + 1. */
  licence(networkId: number, height: bigint, revision: number): string {
    if (!this.d.layer) throw new CoordinatorError("NO_LICENCE", "this coordinator holds no layer key (l1.layerKey / l1.settlerKey)");
    if (this.nextRevision(networkId, height) <= revision) {
      throw new CoordinatorError("NO_LICENCE", `the layer has not rejected revision ${revision} of network ${networkId} at height ${height}`, { networkId, height: hex(height), revision });
    }
    return this.d.layer.licence({ networkId, height, revision });
  }

  private checkShape(c: Certificate): void {
    const s = this.shape;
    const over: [string, number, number][] = [
      ["bridgeExits", c.bridgeExits.length, s.maxExits],
      ["importedExits", c.importedExits.length, s.maxImports],
      ["dependencies", c.dependencies.length, s.maxDependencies],
      ["bundles", c.bundles.length, s.maxBundles],
      ["tokens", movedTokens(c.networkId, c.importedExits.map((i) => i.leaf), c.bridgeExits).length, s.maxTokens],
    ];
    for (const [what, n, max] of over) {
      if (n > max) throw new CoordinatorError("EXCEEDS_CIRCUIT", `${n} ${what}; the certificate circuit takes at most ${max}`, { field: what, count: n, max });
    }
  }

  /** The next height and the state it must start from: the chain's tip in the graph, else its finalized record. */
  expected(networkId: number): { height: bigint; stateCommitment: bigint; exitRoot: bigint } {
    const tip = this.graph.tip(networkId);
    const rec = this.d.view.mirror.record(networkId);
    if (tip && tip.height >= rec.nextHeight) {
      const b = this.body(tip.certificateId);
      return { height: tip.height + 1n, stateCommitment: b.newStateCommitment, exitRoot: b.newLocalExitRoot };
    }
    return { height: rec.nextHeight, stateCommitment: rec.state.commitment(), exitRoot: rec.state.exitRoot };
  }

  private checkHeightAndState(c: Certificate): void {
    const e = this.expected(c.networkId);
    if (c.height !== e.height) throw new CoordinatorError("HEIGHT_GAP", `network ${c.networkId} is at height ${e.height}, the certificate has ${c.height}`, { expected: hex(e.height), got: hex(c.height) });
    if (c.prevStateCommitment !== e.stateCommitment || c.prevLocalExitRoot !== e.exitRoot) {
      throw new CoordinatorError("STATE_MISMATCH", `the certificate does not start from network ${c.networkId}'s state at height ${e.height}`);
    }
  }

  /** Every dependency is known, not rejected, allowed, and every import proves against its dependency's root. */
  private checkDependencies(c: Certificate, finalizedOnly: boolean): void {
    const roots = new Map<string, bigint>();
    for (const d of c.dependencies) {
      const n = this.graph.at(d.networkId, d.height);
      let root: bigint;
      if (n && n.certificateId === d.certificateId && n.status !== "Finalized") {
        if (finalizedOnly) throw new CoordinatorError("DEPENDENCY_NOT_ALLOWED", `network ${c.networkId} settles directly and may only depend on finalized states; ${key(d.networkId, d.height)} is ${n.status}`);
        if (this.d.view.networks.get(d.networkId)?.ejected) throw new CoordinatorError("DEPENDENCY_REJECTED", `dependency ${key(d.networkId, d.height)}: network ${d.networkId} was ejected`, { dependency: refView(d) });
        root = this.body(n.certificateId).newLocalExitRoot;
      } else {
        const fin = this.d.view.mirror.finalized(d.networkId, d.height);
        if (fin && fin.certificateId === d.certificateId) root = fin.exitRoot;
        else {
          const rejected = this.graph.get(d.certificateId) ?? this.d.store.getCertificate(d.certificateId);
          if (rejected?.status === "Rejected") throw new CoordinatorError("DEPENDENCY_REJECTED", `dependency ${key(d.networkId, d.height)} was rejected (${rejected.rejection?.code})`, { dependency: refView(d) });
          throw new CoordinatorError("UNKNOWN_DEPENDENCY", `dependency ${key(d.networkId, d.height)} with id ${hex(d.certificateId)} is not known`, { dependency: refView(d) });
        }
      }
      roots.set(key(d.networkId, d.height), root);
    }
    c.importedExits.forEach((m, i) => {
      if (m.source.networkId === 0) return;
      if (roots.get(key(m.source.networkId, m.source.height)) !== m.sourceExitRoot) {
        throw new CoordinatorError("IMPORT_ROOT_MISMATCH", `importedExits[${i}] proves against a root that is not ${key(m.source.networkId, m.source.height)}'s exit root`);
      }
    });
  }

  private async checkL1Imports(c: Certificate): Promise<void> {
    const l1 = c.importedExits.filter((m) => m.source.networkId === 0);
    if (l1.length === 0) return;
    if (new Set(l1.map((m) => m.source.height)).size > 1) throw new CoordinatorError("UNKNOWN_L1_CHECKPOINT", "imports from two L1 checkpoints: a certificate states one");
    const root = await this.d.l1.checkpointRoot(l1[0].source.height);
    if (root === null || l1.some((m) => m.sourceExitRoot !== root)) {
      throw new CoordinatorError("UNKNOWN_L1_CHECKPOINT", `L1 checkpoint ${l1[0].source.height} ${root === null ? "does not exist" : "has another root"}`);
    }
  }

  /** -> PreConfirmed: submitCertificate's checks passed; acknowledged only once the insert is committed. */
  private async accept(c: SignedCertificate, id: bigint): Promise<SubmitResult> {
    const at = this.now();
    const record: CertificateRecord = {
      certificateId: id, networkId: c.networkId, height: c.height, certificate: c, status: "PreConfirmed", rejection: null,
      seq: this.d.store.nextSeq(), receivedAt: at, updatedAt: at, epoch: null, l1Tx: null, proofSource: null,
    };
    try {
      this.graph.add(this.nodeOf(record));
    } catch (e) {
      throw graphRefusal(e);
    }
    this.bodies.set(id, c);
    this.awaitingProof.set(id, at);
    this.enteredAt.set(id, at);
    this.inProgress.set(id, { networkId: c.networkId, receivedAt: at });
    for (const b of c.bundles) if (!this.bundleFirstSeen.has(b.bundleId)) this.bundleFirstSeen.set(b.bundleId, at);
    await this.persist([], [{ op: "insertCertificate", record }]);
    this.totalsOf(c.networkId).PreConfirmed++;
    this.emit({ type: "status", networkId: c.networkId, certificateId: hex(id), height: hex(c.height), from: "PreConfirmed", to: "PreConfirmed", rejection: null, dependencies: c.dependencies.map(refView) });
    this.emit({ type: "exitRoot", networkId: c.networkId, height: hex(c.height), certificateId: hex(id), exitRoot: hex(c.newLocalExitRoot), status: "PreConfirmed" });
    return { certificateId: hex(id), status: "PreConfirmed" };
  }

  /** Two signed headers for one height: keep both, reject the holder (cascade), report to L1, refuse the newcomer. */
  private async equivocation(c: SignedCertificate, id: bigint, holder: GraphNode): Promise<never> {
    const first = this.body(holder.certificateId);
    const evidence: WriteOp = {
      op: "putEquivocation",
      record: { networkId: c.networkId, height: c.height, revision: revisionOf(c), idA: holder.certificateId, sigA: first.signature, idB: id, sigB: c.signature, detectedAt: this.now(), reportTx: null, reportStatus: "pending" },
    };
    this.equivocated.add(c.networkId);
    await this.rejectWith(holder.certificateId, { code: "EQUIVOCATION", detail: `network ${c.networkId} signed two certificates for height ${c.height}, revision ${revisionOf(c)}` }, [evidence]);
    this.log.warn("equivocation detected", { networkId: c.networkId, height: c.height, idA: holder.certificateId, idB: id });
    throw new CoordinatorError("EQUIVOCATION", `network ${c.networkId} already signed certificate ${hex(holder.certificateId)} for height ${c.height}; both headers are kept as evidence`, { networkId: c.networkId, height: hex(c.height) });
  }

  // ------------------------------------------------------------------------------------------- proofs

  async submitProof(p: SubmitProofInput): Promise<SubmitResult> {
    this.assertIntake();
    return this.acceptProof(p.certificateId, p.proof, p.publicSignals, "chain");
  }

  /** A certificate's status: the graph's, or the store's for one the graph forgot (settled). */
  private statusOf(id: bigint): CertificateStatus | undefined {
    return this.graph.get(id)?.status ?? this.d.store.certificateStatus(id);
  }

  /**
   * PreConfirmed -> Proven, then -> Confirmed for it and whatever waited for it, once every requirement is Confirmed or
   * later (CertificateGraph.markProven): a valid proof from the chain (submitProof) or the backup prover (runBackup).
   */
  private async acceptProof(id: bigint, proof: SubmitProofInput["proof"], publicSignals: string[], source: ProofSource): Promise<SubmitResult> {
    const status = this.statusOf(id);
    if (!status) throw new CoordinatorError("UNKNOWN_CERTIFICATE", `no certificate ${hex(id)}`, { certificateId: hex(id) });
    if (status !== "PreConfirmed") throw new CoordinatorError("PROOF_NOT_NEEDED", `certificate ${hex(id)} is ${status}`, { status });
    // The proof's public signals are what the certificate states for its settlement (lib/settlement.ts), all
    // computed from the certificate: the id first, then its slot word, commitments, checkpoint, dependencies, legs.
    const expected = certificatePublicSignals(this.body(id), id, this.shape).map(String);
    if (publicSignals.length !== expected.length || publicSignals.some((v, k) => v !== expected[k])) {
      throw new CoordinatorError("PUBLIC_SIGNALS_MISMATCH", `the certificate proof's public signals must be the certificate's statements (${expected.length} decimals, the certificate id first)`, { expected });
    }
    let ok = false;
    try {
      ok = await (this.d.verifyProof ?? verifyGroth16)(this.d.config.circuits.certificate, publicSignals, proof as never);
    } catch {
      ok = false;
    }
    this.metrics.proofsVerified.inc({ source, outcome: ok ? "valid" : "invalid" });
    if (!ok) throw new CoordinatorError("INVALID_PROOF", `the proof does not verify against ${this.d.config.circuits.certificate}'s verification key`);
    // while the proof was verified, the certificate may have been proven by another caller, or rejected (and forgotten)
    if (this.graph.get(id)?.status !== "PreConfirmed") return { certificateId: hex(id), status: this.statusOf(id)! };
    const changes = this.graph.markProven(id);
    await this.persist(changes, [{ op: "putProof", proof: { certificateId: id, source, proof, publicSignals, at: this.now() } }]);
    return { certificateId: hex(id), status: this.statusOf(id)! };
  }

  // ------------------------------------------------------------------------------------------- deadlines and backup prover

  /** One pass of the proof deadlines, the backup prover and the bundle deadlines (the lifecycle timer calls it). */
  async tick(): Promise<void> {
    if (this.state !== "running") return;
    const now = this.now();
    const { proofTimeoutMs } = this.d.config.lifecycle;
    const backup = this.d.config.proving.backup;
    const timedOut: bigint[] = [];
    for (const [id, receivedAt] of this.awaitingProof) {
      const age = now - receivedAt;
      if (age < proofTimeoutMs * Math.min(backup.share, 1)) break;
      const n = this.graph.get(id);
      if (!n || n.status !== "PreConfirmed") continue;
      if (backup.enabled && !backup.disabledNetworks.includes(n.networkId) && !this.backupJobs.has(id)) this.startBackup(n);
      if (age >= proofTimeoutMs && !this.backupJobs.has(id)) timedOut.push(id);
    }
    for (const id of timedOut) await this.rejectWith(id, { code: "PROOF_TIMEOUT", detail: `no valid proof within ${proofTimeoutMs} ms` });
    await this.bundleDeadlines(now);
  }

  private async bundleDeadlines(now: number): Promise<void> {
    for (const [bundleId, first] of this.bundleFirstSeen) {
      if (now - first < this.d.config.lifecycle.bundleTimeoutMs) continue;
      const b = this.graph.bundle(bundleId);
      this.bundleFirstSeen.delete(bundleId);
      if (!b || b.legs.filter((l) => l.status !== "Rejected").length >= b.legCount) continue;
      const live = b.legs.find((l) => l.status !== "Rejected" && l.status !== "Finalized");
      if (live) await this.rejectWith(live.certificateId, { code: "BUNDLE_DEADLINE", detail: `bundle ${hex(bundleId)}: ${b.legs.length} of ${b.legCount} legs arrived in time` });
    }
  }

  /**
   * -> Rejected, with the cascade to exactly the certificates that require it (DEPENDENCY_REJECTED,
   * PREDECESSOR_REJECTED, BUNDLE_FAILED: CertificateGraph.reject). The events that lead here: no proof in time
   * (tick: PROOF_TIMEOUT), a bundle incomplete in time (BUNDLE_DEADLINE), a second signed certificate for the height
   * (equivocation: EQUIVOCATION, stored with the evidence in `extra`), a transition the backup prover refuses
   * (TRANSITION_INVALID), the chain ejected on L1 (L1Sync: NETWORK_EJECTED). A certificate that is
   * not in progress (Rejected, Finalized, forgotten) is left alone; `extra` is stored all the same.
   */
  async rejectWith(id: bigint, r: Rejection, extra: WriteOp[] = []): Promise<void> {
    const n = this.graph.get(id);
    const live = n !== undefined && n.status !== "Rejected" && n.status !== "Finalized";
    const changes = live ? this.graph.reject(id, r) : [];
    if (live) this.log.info("rejected", { certificateId: id, networkId: n.networkId, height: n.height, code: r.code, cascade: changes.length - 1 });
    await this.persist(changes, extra);
  }

  private startBackup(n: GraphNode): void {
    const id = n.certificateId;
    const job = this.runBackup(n).finally(() => this.backupJobs.delete(id));
    this.backupJobs.set(id, job);
  }

  private async runBackup(n: GraphNode): Promise<void> {
    const id = n.certificateId;
    const c = this.body(id);
    let input: Record<string, unknown>;
    try {
      input = this.states.witness(c, id, this.shape);
    } catch (e) {
      if (e instanceof TransitionInvalidError) {
        await this.rejectWith(e.certificateId, { code: "TRANSITION_INVALID", detail: e.message });
        return;
      }
      this.log.warn("backup prover cannot build the witness yet", { certificateId: id, error: e as Error });
      return;
    }
    const jobId = this.d.store.nextId("job");
    const t0 = this.now();
    await this.d.store.commit([{ op: "putJob", record: { id: jobId, kind: "certificate", subject: id.toString(), status: "running", attempts: 1, progress: 0, createdAt: t0, updatedAt: t0, error: null } }]);
    this.log.info("backup prover: proving", { certificateId: id, networkId: n.networkId, height: n.height, jobId });
    const circuit = this.d.config.circuits.certificate;
    const tracked = this.metrics.proverJob(circuit);
    try {
      const r = await this.d.pool.prove({ instance: circuit, input }, { onProgress: (p) => p.stage === "witness+prove" && tracked.running() });
      await this.d.store.commit([{ op: "putJob", record: { id: jobId, kind: "certificate", subject: id.toString(), status: "done", attempts: 1, progress: 1, createdAt: t0, updatedAt: this.now(), error: null } }]);
      if (this.graph.get(id)?.status === "PreConfirmed") {
        await this.acceptProof(id, r.proof as SubmitProofInput["proof"], r.publicSignals, "backup");
        this.log.info("backup prover: proven", { certificateId: id, ms: Math.round(r.ms) });
      }
      // Counted as the job row ends: a proof the node refuses rewrites the row as failed (below).
      tracked.ended("done", r.ms / 1000);
    } catch (e) {
      const msg = (e as Error).message;
      const status = this.state === "running" ? "failed" : "cancelled";
      if (status === "failed") this.log.warn("backup prover failed", { certificateId: id, error: e as Error });
      tracked.ended(status);
      await this.d.store.commit([{ op: "putJob", record: { id: jobId, kind: "certificate", subject: id.toString(), status, attempts: 1, progress: 0, createdAt: t0, updatedAt: this.now(), error: msg } }]).catch(() => undefined);
    }
  }

  /** Backup jobs in flight (shutdown waits for or abandons them). */
  get backupInFlight(): Promise<void>[] {
    return [...this.backupJobs.values()];
  }

  // ------------------------------------------------------------------------------------------- queries

  getCertificate(certificateId: bigint, withBody = false, withProof = false, withHistory = false): CertificateView {
    const n = this.graph.get(certificateId);
    const r = this.d.store.getCertificate(certificateId);
    if (!n && !r) throw new CoordinatorError("UNKNOWN_CERTIFICATE", `no certificate ${hex(certificateId)}`, { certificateId: hex(certificateId) });
    const c = r?.certificate ?? this.body(certificateId);
    const status = n?.status ?? r!.status;
    return {
      certificateId: hex(certificateId),
      networkId: c.networkId,
      height: hex(c.height),
      status,
      rejection: rejectionView(n?.rejection ?? r?.rejection),
      dependencies: c.dependencies.map(refView),
      dependents: this.dependentsOf(certificateId),
      epoch: r?.epoch ?? null,
      l1Tx: r?.l1Tx ?? null,
      proofSource: this.d.store.getProof(certificateId)?.source ?? r?.proofSource ?? null,
      newLocalExitRoot: hex(c.newLocalExitRoot),
      receivedAt: r?.receivedAt ?? 0,
      updatedAt: r?.updatedAt ?? 0,
      ...(withBody ? { certificate: certificateToJson(c) } : {}),
      ...(withProof ? { proof: proofView(this.d.store.getProof(certificateId)) } : {}),
      ...(withHistory ? { history: this.d.store.statusHistory(certificateId).map((h) => ({ from: h.from, to: h.to, rejection: rejectionView(h.rejection), at: h.at })) } : {}),
    };
  }

  /** The store's dependents (the graph forgets settled ones) and the graph's (the store follows it), in arrival order. */
  private dependentsOf(id: bigint): RefView[] {
    const all = new Map<bigint, { networkId: number; height: bigint; certificateId: bigint; seq: number }>();
    for (const x of this.d.store.dependentsOf(id)) all.set(x.certificateId, x);
    for (const x of this.graph.dependents(id)) all.set(x.certificateId, x);
    return [...all.values()].sort((a, b) => a.seq - b.seq).map((x) => refView(refOf(x)));
  }

  /**
   * The chain's latest certificate of at least minStatus. A certificate in progress is above every finalized one; of
   * the finalized ones the graph may hold only some (after a restart it holds the work in progress alone), so the
   * finalized tip comes from the L1 mirror unless the graph knows a higher one (a mirror that stopped: diverged).
   */
  private latestOf(networkId: number, minStatus: CertificateStatus): CertificateRef | undefined {
    const n = this.graph.latest(networkId, minStatus);
    if (n && n.status !== "Finalized") return refOf(n);
    const tip = this.finalizedTip(networkId);
    return tip && (!n || tip.height >= n.height) ? tip : n && refOf(n);
  }

  private finalizedTip(networkId: number): CertificateRef | undefined {
    let rec;
    try {
      rec = this.d.view.mirror.record(networkId);
    } catch {
      return undefined; // not a settling network id
    }
    return rec.settled ? { networkId, height: rec.nextHeight - 1n, certificateId: rec.lastCertificateId } : undefined;
  }

  getLatestCertificate(networkId: number, minStatus: CertificateStatus): CertificateView | null {
    const r = this.latestOf(networkId, minStatus);
    return r ? this.getCertificate(r.certificateId) : null;
  }

  getNetwork(networkId: number): NetworkView {
    const net = this.d.view.networks.get(networkId);
    if (!net) throw new CoordinatorError("UNKNOWN_NETWORK", `network ${networkId} is not registered on L1`, { networkId });
    const latest = (s: CertificateStatus) => {
      const r = this.latestOf(networkId, s);
      return r ? refView(r) : null;
    };
    return {
      networkId, registered: true, sequencer: net.sequencer, policyFlags: net.policyFlags, optOut: (net.policyFlags & POLICY_DIRECT_SETTLEMENT) !== 0,
      ejected: net.ejected, stake: net.stake.toString(), nextHeight: hex(this.expected(networkId).height),
      latest: { preConfirmed: latest("PreConfirmed"), confirmed: latest("Confirmed"), finalized: latest("Finalized") },
    };
  }

  getEpoch(id?: number): EpochView | null {
    let e: EpochRecord | undefined;
    if (id === undefined) {
      e = this.d.store.latestEpoch();
      if (!e) return null;
    } else {
      e = this.d.store.getEpoch(id);
      if (!e) throw new CoordinatorError("UNKNOWN_EPOCH", `no epoch ${id}`, { id });
    }
    return {
      id: e.id, status: e.status,
      certificates: e.certificateIds.map((cid) => {
        const c = this.body(cid);
        return refView({ networkId: c.networkId, height: c.height, certificateId: cid });
      }),
      newRoot: hex(e.newRoot), l1Epoch: e.l1Epoch, l1Tx: e.l1Tx, failure: e.failure, createdAt: e.createdAt, updatedAt: e.updatedAt,
    };
  }

  async triggerEpoch(): Promise<number | null> {
    if (!this.epochTrigger) throw new CoordinatorError("UNAVAILABLE", "epochs are not enabled on this coordinator");
    return this.epochTrigger();
  }

  health(): HealthView {
    return {
      ok: this.state === "running" && !this.fatal && this.l1Status.connected && !this.d.view.diverged,
      state: this.fatal ? "failed" : this.state,
      l1: this.l1Status,
      store: { certificates: this.statusCounts().total },
      provers: { busy: this.d.pool.busy, queued: this.d.pool.queued },
      uptimeSec: Math.round((this.now() - this.startedAt) / 1000),
    };
  }

  getDashboard(window: number): DashboardView {
    this.dashboard ??= new DashboardModel(this);
    return this.dashboard.view(window);
  }

  subscribe(listener: (e: CoordinatorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Certificates of a chain that are not final yet, lowest height first (ejection rejects the first; the cascade does the rest). */
  firstLive(networkId: number): GraphNode | undefined {
    for (let h = this.d.view.mirror.record(networkId).nextHeight; ; h++) {
      const n = this.graph.at(networkId, h);
      if (!n) return undefined;
      if (n.status !== "Finalized") return n;
    }
  }

  isOptOut(networkId: number): boolean {
    return ((this.d.view.networks.get(networkId)?.policyFlags ?? 0) & POLICY_DIRECT_SETTLEMENT) !== 0;
  }

  /** Test and dashboard helper: status rank check. */
  static reached(s: CertificateStatus, min: CertificateStatus): boolean {
    return s !== "Rejected" && STATUS_RANK[s] >= STATUS_RANK[min];
  }
}

export { isConfirmedOrLater, compareRefs };

/** The graph's own consistency checks, as API errors (the checks above should have caught them first). */
function graphRefusal(e: unknown): Error {
  if (!(e instanceof GraphError)) return e as Error;
  if (e.code === "BAD_BUNDLE") return new CoordinatorError("BUNDLE_FAILED", e.message);
  if (e.code === "BAD_DEPENDENCY") return new CoordinatorError("DEPENDENCY_REJECTED", e.message);
  if (e.code === "HEIGHT_TAKEN" || e.code === "DUPLICATE") return new CoordinatorError("DUPLICATE_CERTIFICATE", e.message);
  return e;
}

function proofView(p: { proof: unknown; publicSignals: string[] } | undefined): { proof: unknown; publicSignals: string[] } | null {
  return p ? { proof: p.proof, publicSignals: p.publicSignals } : null;
}
