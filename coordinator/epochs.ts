/**
 * Epochs: select confirmed certificates (the graph's closed set), apply them to the L1 mirror with the model
 * (lib/epoch.ts), prove the aggregation circuit in the prover pool, and settle with a durable settlement job.
 *
 * The epoch rules run once per epoch (L1View.epochResult): the result computed at build is kept by the view and
 * serves the witness here and the mirror's update when L1's events of the settlement arrive; the settlement
 * transaction carries the roots the epoch record took from it.
 *
 * One epoch is in flight at a time: every epoch is proven against the current global root, so a second one
 * could only be proven after the first settles. The steps persist their progress (epoch and settlement rows),
 * and `step()` resumes from whatever the store says after a restart:
 *   proving  -> (re)prove, unless the mirror moved on (then abandon: certificates back to Confirmed)
 *   proved   -> estimate, sign, store the signed transaction, then broadcast it (a crash between the two
 *               re-broadcasts the same transaction: same nonce, same hash — it cannot settle twice)
 *   settling -> follow the receipt: reverted or reorged out -> certificates back to Confirmed; mined and
 *               `confirmations` deep -> done; the L1 sync marks the certificates Finalized from the hub's events.
 * The hub refuses a second settlement of the same root (StaleGlobalRoot), so nothing here can double-settle.
 */
import { EpochError, EpochResult } from "../lib/epoch";
import { aggregationWitness } from "../lib/witness/aggregation";
import { circuitInputToJson } from "../lib/witness/certificate";
import type { CoordinatorConfig } from "./config";
import type { GraphNode } from "./graph";
import type { L1Client } from "./l1/client";
import type { L1View } from "./l1/view";
import type { CoordinatorNode } from "./node";
import type { ProverPool } from "../zk/prover/pool";
import type { WriteOp } from "./store/store";
import type { EpochRecord, JobRecord, SettlementRecord } from "./types";

export class EpochManager {
  protected busy = false;
  protected proving: Promise<void> | null = null;
  protected readonly maxSlots: number;
  /** What a unit of settlement is called in the logs ("batch" for BatchManager). */
  protected readonly unit: string = "epoch";

  constructor(
    protected readonly node: CoordinatorNode,
    protected readonly l1: L1Client,
    protected readonly view: L1View,
    protected readonly pool: ProverPool,
    protected readonly config: CoordinatorConfig,
  ) {
    this.maxSlots = Math.max(...config.circuits.aggregation.map((a) => a.slots));
  }

  protected get store() {
    return this.node.d.store;
  }

  protected get log() {
    return this.node.log.child("epochs");
  }

  protected active(): EpochRecord | undefined {
    return this.store.listEpochs({ status: ["proving", "proved", "settling"] })[0];
  }

  /** One step of the pipeline; never overlaps itself. `build`: also start a new epoch if none is in flight. */
  async step(build: boolean): Promise<number | null> {
    if (this.busy) return null;
    this.busy = true;
    try {
      const e = this.active();
      if (e) {
        await this.advance(e);
        return null;
      }
      if (!build || this.view.diverged || !this.l1.canSend) return null;
      return await this.build();
    } finally {
      this.busy = false;
    }
  }

  protected async advance(e: EpochRecord): Promise<void> {
    if (e.status === "proving") {
      if (!this.proving) this.proving = this.prove(e).finally(() => (this.proving = null));
    } else if (e.status === "proved") await this.send(e);
    else if (e.status === "settling") await this.follow(e);
  }

  // ------------------------------------------------------------------------------------------------ build

  /** The L1 checkpoint the next epoch binds: the one the oldest waiting L1 import uses, else the latest. */
  private async checkpointFor(candidates: GraphNode[]): Promise<{ number: bigint; exitRoot: bigint }> {
    for (const n of candidates) {
      const imp = this.node.body(n.certificateId).importedExits.find((m) => m.source.networkId === 0);
      if (imp) return { number: imp.source.height, exitRoot: imp.sourceExitRoot };
    }
    return this.l1.latestCheckpoint();
  }

  private l1CheckpointOf(n: GraphNode): bigint | null {
    const imp = this.node.body(n.certificateId).importedExits.find((m) => m.source.networkId === 0);
    return imp ? imp.source.height : null;
  }

  async build(): Promise<number | null> {
    // The sync has not applied the last settlement yet: an epoch proven now would start from a stale root.
    if ((await this.l1.globalRoot()) !== this.view.mirror.root()) return null;
    const eligible = (n: GraphNode) => !this.node.isOptOut(n.networkId);
    const first = this.node.graph.selectEpoch(this.maxSlots, eligible);
    if (first.length === 0) return null;
    const cp = await this.checkpointFor(first);
    const nodes = this.node.graph.selectEpoch(this.maxSlots, (n) => eligible(n) && [null, cp.number].includes(this.l1CheckpointOf(n)));
    if (nodes.length === 0) return null;
    const certs = nodes.map((n) => this.node.body(n.certificateId));
    const slots = this.config.circuits.aggregation.filter((a) => a.slots >= nodes.length).sort((a, b) => a.slots - b.slots)[0];
    let result: EpochResult;
    try {
      result = this.view.epochResult(nodes.map((n) => n.certificateId), () => certs, cp, slots.slots);
    } catch (e) {
      return this.refused(e, nodes);
    }
    const now = this.node.now();
    const id = this.store.nextId("epoch");
    const record: EpochRecord = {
      id, certificateIds: nodes.map((n) => n.certificateId), oldRoot: result.oldRoot, newRoot: result.newRoot, l1CheckpointNumber: cp.number, l1ExitRoot: cp.exitRoot,
      slotCapacity: slots.slots, status: "proving", proof: null, createdAt: now, updatedAt: now, l1Epoch: null, l1Tx: null, failure: null,
    };
    await this.node.enterEpoch(record);
    this.log.info("epoch built", { epoch: id, certificates: nodes.length, slots: slots.slots, l1Checkpoint: cp.number });
    this.proving = this.prove(record, result).finally(() => (this.proving = null));
    return id;
  }

  /** The model refused a selected set: a certificate whose transition is invalid is rejected; otherwise log it. */
  protected async refused(e: unknown, nodes: GraphNode[]): Promise<null> {
    if (e instanceof EpochError && (e.code === "TRANSITION_INVALID" || e.code === "TRANSITION_MISMATCH") && nodes[e.slot]) {
      await this.node.rejectWith(nodes[e.slot].certificateId, { code: "TRANSITION_INVALID", detail: e.message });
    } else {
      this.log.error("the model refuses the selected epoch", { error: e as Error, certificates: nodes.map((n) => `${n.networkId}/${n.height}`) });
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------------ prove

  /**
   * The model's result of a built epoch, for its witness: the one computed when it was built (kept by the view), or,
   * after a restart, computed once now and kept for the settlement's turn in the mirror. Null if the mirror moved.
   */
  private result(e: EpochRecord): EpochResult | null {
    if (this.view.mirror.root() !== e.oldRoot) return null;
    return this.view.epochResult(e.certificateIds, () => e.certificateIds.map((id) => this.node.body(id)), { number: e.l1CheckpointNumber, exitRoot: e.l1ExitRoot }, e.slotCapacity);
  }

  /** `built`: the result build() just computed (the view keeps it too; a restart finds it through result()). */
  private async prove(e: EpochRecord, built?: EpochResult): Promise<void> {
    const result = built ?? this.result(e);
    if (!result) return this.abandon(e, "the global root moved before the epoch was proven");
    const instance = this.config.circuits.aggregation.find((a) => a.slots === e.slotCapacity)!.instance;
    const params = this.view.params;
    const input = circuitInputToJson(aggregationWitness(result, params, { ...this.node.shape, slots: e.slotCapacity }) as unknown as Record<string, unknown>);
    const job: JobRecord = { id: this.store.nextId("job"), kind: "epoch", subject: String(e.id), status: "running", attempts: 1, progress: 0, createdAt: this.node.now(), updatedAt: this.node.now(), error: null };
    await this.store.commit([{ op: "putJob", record: job }]);
    this.log.info("proving epoch", { epoch: e.id, instance, jobId: job.id });
    try {
      const r = await this.pool.prove({ instance, input });
      const now = this.node.now();
      await this.store.commit([
        { op: "putJob", record: { ...job, status: "done", progress: 1, updatedAt: now } },
        { op: "putEpoch", record: { ...e, status: "proved", proof: r.solidityProof, updatedAt: now } },
      ]);
      this.log.info("epoch proven", { epoch: e.id, ms: Math.round(r.ms) });
    } catch (err) {
      const stopping = this.node.state !== "running";
      await this.store.commit([{ op: "putJob", record: { ...job, status: stopping ? "cancelled" : "failed", error: (err as Error).message, updatedAt: this.node.now() } }]).catch(() => undefined);
      // Parked on shutdown: the epoch stays "proving" and is proven again after the restart.
      if (!stopping) await this.abandon(e, `proving failed: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------------------------------------ settle

  protected send(e: EpochRecord): Promise<void> {
    return this.l1.exclusive(() => this.signAndSend(e));
  }

  protected async signAndSend(e: EpochRecord): Promise<void> {
    if (this.view.mirror.root() !== e.oldRoot) return this.abandon(e, "the global root moved before the epoch was settled");
    let slots;
    try {
      slots = e.certificateIds.map((id) => this.node.settlementSlot(id));
    } catch (err) {
      return this.fail(e, `a slot cannot be settled: ${shortError(err)}`);
    }
    const data = this.l1.hubInterface.encodeFunctionData("settleEpoch", [e.proof!, e.slotCapacity, e.oldRoot, e.newRoot, e.l1CheckpointNumber, slots]);
    await this.signAndSettle(e, data);
  }

  /**
   * Signs the hub call `data` (a revert at estimation fails the epoch), stores the signed transaction with the
   * epoch's move to "settling" in one commit, then broadcasts it: a crash in between re-broadcasts the same bytes.
   */
  protected async signAndSettle(e: EpochRecord, data: string): Promise<void> {
    let signed;
    try {
      signed = await this.l1.signHubCall(data);
    } catch (err) {
      return this.fail(e, `the settlement would revert: ${shortError(err)}`);
    }
    const now = this.node.now();
    const s: SettlementRecord = { id: this.store.nextId("settlement"), epochId: e.id, nonce: signed.nonce, txHash: signed.hash, rawTx: signed.raw, status: "signed", blockNumber: null, blockHash: null, createdAt: now, updatedAt: now, error: null };
    await this.node.startSettling(e.certificateIds, s.txHash, [{ op: "putSettlement", record: s }, { op: "putEpoch", record: { ...e, status: "settling", l1Tx: s.txHash, updatedAt: now } }]);
    await this.broadcast(s);
  }

  protected async broadcast(s: SettlementRecord): Promise<void> {
    try {
      await this.l1.broadcast(s.rawTx);
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "sent", updatedAt: this.node.now() } }]);
      this.log.info("settlement sent", { epoch: s.epochId, tx: s.txHash, nonce: s.nonce });
    } catch (err) {
      this.log.warn("broadcast failed; will retry", { epoch: s.epochId, tx: s.txHash, error: shortError(err) });
    }
  }

  protected async follow(e: EpochRecord): Promise<void> {
    const s = this.store.listSettlements(e.id).filter((x) => ["signed", "sent", "mined"].includes(x.status)).pop();
    if (!s) return this.fail(e, "no settlement transaction in flight");
    if (s.status === "signed") return this.broadcast(s);
    const receipt = await this.l1.receipt(s.txHash);
    const now = this.node.now();
    if (!receipt) {
      if (s.status === "mined") return this.reorged(e, s, "the settlement's block left the chain (L1 reorg)");
      if (await this.l1.transactionKnown(s.txHash)) return;
      if ((await this.l1.minedNonce()) > s.nonce) return this.reorged(e, s, "another transaction took the settlement's nonce");
      return this.broadcast(s);
    }
    if (receipt.status === 0) {
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "reverted", blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, updatedAt: now, error: "reverted" } }]);
      return this.fail(e, `settlement ${s.txHash} reverted`);
    }
    if (s.status === "sent" || s.blockHash !== receipt.blockHash) {
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "mined", blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, updatedAt: now } }]);
      this.log.info("settlement mined", { epoch: e.id, tx: s.txHash, block: receipt.blockNumber, gasUsed: receipt.gasUsed });
      return;
    }
    const head = await this.l1.head();
    if (head - receipt.blockNumber + 1 >= this.config.l1.confirmations) {
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "confirmed", updatedAt: now } }]);
      // The epoch row becomes "settled" when the L1 sync applies the hub's events of this transaction.
      const settled = this.store.getEpoch(e.id)!;
      if (settled.status === "settling") await this.store.commit([{ op: "putEpoch", record: { ...settled, status: "settled", updatedAt: now } }]);
      this.log.info("settlement confirmed", { epoch: e.id, tx: s.txHash });
    }
  }

  protected async reorged(e: EpochRecord, s: SettlementRecord, why: string): Promise<void> {
    await this.store.commit([{ op: "putSettlement", record: { ...s, status: "dropped", error: why, updatedAt: this.node.now() } }]);
    this.l1.forgetCheckpoints();
    await this.release(e, "abandoned", why);
  }

  protected fail(e: EpochRecord, why: string): Promise<void> {
    return this.release(e, "failed", why);
  }

  protected abandon(e: EpochRecord, why: string): Promise<void> {
    return this.release(e, "abandoned", why);
  }

  /** Ends an epoch that did not settle: its certificates go back to Confirmed (those L1 did not finalize meanwhile). */
  protected async release(e: EpochRecord, status: "failed" | "abandoned", why: string): Promise<void> {
    const latest = this.store.getEpoch(e.id) ?? e;
    const ops: WriteOp[] = [{ op: "putEpoch", record: { ...latest, status, failure: why, updatedAt: this.node.now() } }];
    const released = await this.node.releaseEpoch(e.certificateIds, ops);
    this.log.warn(`${this.unit} ${status}`, { epoch: e.id, why, released });
  }

  /** Waits for a proof in flight (shutdown: the pool is closed first, so this ends quickly). */
  async idle(): Promise<void> {
    await this.proving?.catch(() => undefined);
  }
}

export function shortError(e: unknown): string {
  const x = e as { shortMessage?: string; message?: string; revert?: { name?: string; args?: unknown[] } };
  if (x.revert?.name) return `${x.revert.name}(${(x.revert.args ?? []).join(", ")})`;
  return x.shortMessage ?? x.message ?? String(e);
}
