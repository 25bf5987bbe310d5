/**
 * Settlement: the coordinator's epochs. An epoch is one `settleBatch` transaction (docs/protocol.md §9 "Batched
 * settlement") of up to `epochs.batchSize` Confirmed certificates (proof verified, dependencies Confirmed or later)
 * with their STORED certificate proofs — nothing is proven here — built from the model's plan
 * (lib/batch-settlement.ts) on the L1 mirror's batch state: per network the tip it continues, per dependency a slot
 * of the batch or the leaf (and Merkle path) of an earlier batch.
 *
 * Each epoch is an epoch row (status "proved" from the start: its proofs are the certificates' own; `newRoot` is
 * the batch's Merkle root, `l1Epoch` the hub's batch id once settled) and its settlement transactions are
 * settlement rows. One epoch is in flight at a time, and `step()` resumes from whatever the store says after a
 * restart:
 *   proved   -> plan again on the current batch state (a tip the batch continues moved -> abandoned), estimate,
 *               sign, store the signed transaction, then broadcast it (a crash between the two re-broadcasts the
 *               same transaction: same nonce, same hash)
 *   settling -> follow the receipt: reverted, reorged out or a nonce taken -> certificates back to Confirmed;
 *               mined and `confirmations` deep -> settled; the L1 sync marks the certificates Finalized from the
 *               hub's BatchCertificateFinalized events.
 * Certificates go Confirmed -> InEpoch (built) -> Settling (signed, stored, then broadcast) -> Finalized.
 *
 * A batch reads and writes only its own networks' tips, so a chain that settles directly meanwhile (an opt-out
 * chain's batch of one) does not make it stale: it is signed and settled as it was built. The hub refuses a second
 * settlement of a settled height (StaleTip), so nothing here can settle a certificate twice.
 */
import { BatchError, BatchPlan } from "../lib/batch-settlement";
import { certificateStatements } from "../lib/settlement";
import { solidityProofOf, Groth16Proof } from "../zk/groth16";
import type { Certificate } from "../lib/certificate";
import type { CoordinatorConfig } from "./config";
import type { L1Client } from "./l1/client";
import type { L1View } from "./l1/view";
import type { CoordinatorNode } from "./node";
import type { WriteOp } from "./store/store";
import type { EpochRecord, SettlementRecord } from "./types";

/** One locator of BatchSettlement.sol (batchId 0: slot `index` of this batch; else leaf `index` of batch `batchId`). */
export interface HubLocator {
  batchId: bigint;
  index: bigint;
  exitRoot: bigint;
  siblings: string[];
}

/** BatchSettlement.sol's Settlement, for settleBatch. */
export interface HubSettlement {
  proofs: bigint[][];
  publicSignals: bigint[];
  slots: { signature: string; licence: string; dependencies: HubLocator[] }[];
}

/** The hub's locators of a plan's slot (the model numbers batches from 0, the hub from 1). */
export function hubLocators(plan: BatchPlan, slot: number): HubLocator[] {
  return plan.slots[slot].dependencies.map((d) =>
    d.kind === "slot"
      ? { batchId: 0n, index: BigInt(d.slot), exitRoot: 0n, siblings: [] }
      : { batchId: BigInt(d.batchId + 1), index: BigInt(d.index), exitRoot: d.leaf.exitRoot, siblings: d.siblings },
  );
}

/** The L1 checkpoints the certificates state, read from L1 (null: L1 has none with that number). */
export async function statedCheckpoints(certs: readonly Certificate[], root: (n: bigint) => Promise<bigint | null>): Promise<Map<bigint, bigint>> {
  const out = new Map<bigint, bigint>();
  for (const c of certs) {
    const cp = certificateStatements(c).checkpoint;
    if (cp.exitRoot === 0n || out.has(cp.number)) continue;
    const r = await root(cp.number);
    if (r !== null) out.set(cp.number, r);
  }
  return out;
}

/** The model's plan of these certificates on the view's batch state (throws the model's BatchError). */
export async function planBatch(view: L1View, entries: { certificate: Certificate; certificateId: bigint }[], root: (n: bigint) => Promise<bigint | null>): Promise<BatchPlan> {
  const cps = await statedCheckpoints(entries.map((e) => e.certificate), root);
  return view.batches.plan(entries, (n) => cps.get(n));
}

export class BatchManager {
  private busy = false;
  private shapeChecked: string | null | undefined;
  /** The settlement transactions whose landing was measured (one epoch is in flight at a time: a few suffice). */
  private readonly measured: string[] = [];

  constructor(
    private readonly node: CoordinatorNode,
    private readonly l1: L1Client,
    private readonly view: L1View,
    private readonly config: CoordinatorConfig,
  ) {}

  private get store() {
    return this.node.d.store;
  }

  private get log() {
    return this.node.log.child("epochs");
  }

  private active(): EpochRecord | undefined {
    return this.store.listEpochs({ status: ["proved", "settling"] })[0];
  }

  /** One step of the pipeline; never overlaps itself. `build`: also start a new epoch if none is in flight. */
  async step(build: boolean): Promise<number | null> {
    if (this.busy) return null;
    this.busy = true;
    try {
      const e = this.active();
      if (e) {
        if (e.status === "proved") await this.send(e);
        else await this.follow(e);
        return null;
      }
      if (!build || this.view.diverged || !this.l1.canSend) return null;
      return await this.build();
    } finally {
      this.busy = false;
    }
  }

  // ------------------------------------------------------------------------------------------------ build

  /**
   * The hub's batch verifier takes proofs of one certificate circuit (D dependencies, B bundle legs); the stored
   * proofs are of the configured one. A mismatch would make every batch revert at estimation: refuse to build.
   */
  private async shapeMismatch(): Promise<string | null> {
    if (this.shapeChecked === undefined) {
      const hub = await this.l1.batchShape();
      const s = this.node.shape;
      this.shapeChecked = hub.maxDependencies === s.maxDependencies && hub.maxBundles === s.maxBundles
        ? null
        : `the hub's batch verifier takes D = ${hub.maxDependencies}, B = ${hub.maxBundles}; ${this.config.circuits.certificate} has D = ${s.maxDependencies}, B = ${s.maxBundles}`;
    }
    return this.shapeChecked;
  }

  /** Builds an epoch of Confirmed certificates of chains that settle through the layer, and signs and sends it. */
  async build(): Promise<number | null> {
    const mismatch = await this.shapeMismatch();
    if (mismatch) {
      this.log.error("no batch can settle with the configured certificate circuit", { why: mismatch });
      return null;
    }
    // The sync has not applied every settled batch yet: a plan now could locate against a stale batch state.
    if ((await this.l1.batchCount()) !== BigInt(this.view.batches.batchCount)) return null;
    const nodes = this.node.graph.selectEpoch(this.config.epochs.batchSize, (n) => !this.node.isOptOut(n.networkId) && this.store.getProof(n.certificateId) !== undefined);
    if (nodes.length === 0) return null;
    let plan: BatchPlan;
    try {
      plan = await planBatch(this.view, this.entries(nodes.map((n) => n.certificateId)), (n) => this.l1.checkpointRoot(n));
    } catch (e) {
      this.log.error("the model refuses the selected batch", { error: e as Error, certificates: nodes.map((n) => `${n.networkId}/${n.height}`) });
      return null;
    }
    const now = this.node.now();
    const id = this.store.nextId("epoch");
    const record: EpochRecord = { id, certificateIds: nodes.map((n) => n.certificateId), newRoot: BigInt(plan.root), status: "proved", createdAt: now, updatedAt: now, l1Epoch: null, l1Tx: null, failure: null };
    await this.node.enterEpoch(record);
    this.log.info("batch built", { epoch: id, certificates: nodes.length });
    await this.send(record);
    return id;
  }

  private entries(ids: readonly bigint[]) {
    return ids.map((certificateId) => ({ certificate: this.node.body(certificateId), certificateId }));
  }

  // ------------------------------------------------------------------------------------------------ settle

  /** settleBatch's argument for a built epoch on the current batch state (throws BatchError if it no longer fits). */
  async settlement(e: EpochRecord): Promise<HubSettlement> {
    const plan = await planBatch(this.view, this.entries(e.certificateIds), (n) => this.l1.checkpointRoot(n));
    const proofs: bigint[][] = [];
    const publicSignals: bigint[] = [];
    const slots: HubSettlement["slots"] = [];
    e.certificateIds.forEach((id, i) => {
      const p = this.store.getProof(id);
      if (!p) throw new Error(`certificate ${id} has no stored proof`);
      proofs.push(solidityProofOf(p.proof as Groth16Proof));
      publicSignals.push(...p.publicSignals.map(BigInt));
      slots.push({ ...this.node.settlementAuth(id), dependencies: hubLocators(plan, i) });
    });
    return { proofs, publicSignals, slots };
  }

  private send(e: EpochRecord): Promise<void> {
    return this.l1.exclusive(() => this.signAndSend(e));
  }

  /**
   * Plans the epoch again on the current batch state, signs its settleBatch (a revert at estimation fails the
   * epoch), stores the signed transaction with the epoch's move to "settling" in one commit, then broadcasts it: a
   * crash in between re-broadcasts the same bytes.
   */
  private async signAndSend(e: EpochRecord): Promise<void> {
    let settlement: HubSettlement;
    try {
      settlement = await this.settlement(e);
    } catch (err) {
      // A tip the batch continues moved (L1 settled one of its networks otherwise): the certificates go back.
      if (err instanceof BatchError) return this.release(e, "abandoned", `the batch no longer fits L1: ${err.message}`);
      return this.release(e, "failed", `a slot cannot be settled: ${shortError(err)}`);
    }
    let signed;
    try {
      signed = await this.l1.signHubCall(this.l1.hubInterface.encodeFunctionData("settleBatch", [settlement]));
    } catch (err) {
      return this.release(e, "failed", `the settlement would revert: ${shortError(err)}`);
    }
    const now = this.node.now();
    const s: SettlementRecord = { id: this.store.nextId("settlement"), epochId: e.id, nonce: signed.nonce, txHash: signed.hash, rawTx: signed.raw, status: "signed", blockNumber: null, blockHash: null, createdAt: now, updatedAt: now, error: null };
    await this.node.startSettling(e.certificateIds, s.txHash, [{ op: "putSettlement", record: s }, { op: "putEpoch", record: { ...e, status: "settling", l1Tx: s.txHash, updatedAt: now } }]);
    await this.broadcast(s);
  }

  private async broadcast(s: SettlementRecord): Promise<void> {
    try {
      await this.l1.broadcast(s.rawTx);
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "sent", updatedAt: this.node.now() } }]);
      this.log.info("settlement sent", { epoch: s.epochId, tx: s.txHash, nonce: s.nonce });
    } catch (err) {
      this.log.warn("broadcast failed; will retry", { epoch: s.epochId, tx: s.txHash, error: shortError(err) });
    }
  }

  private async follow(e: EpochRecord): Promise<void> {
    const s = this.store.listSettlements(e.id).filter((x) => ["signed", "sent", "mined"].includes(x.status)).pop();
    if (!s) return this.release(e, "failed", "no settlement transaction in flight");
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
      return this.release(e, "failed", `settlement ${s.txHash} reverted`);
    }
    if (s.status === "sent" || s.blockHash !== receipt.blockHash) {
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "mined", blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, updatedAt: now } }]);
      this.measure(e, s, receipt.gasUsed, now);
      this.log.info("settlement mined", { epoch: e.id, tx: s.txHash, block: receipt.blockNumber, gasUsed: receipt.gasUsed });
      return;
    }
    const head = await this.l1.head();
    if (head - receipt.blockNumber + 1 >= this.config.l1.confirmations) {
      await this.store.commit([{ op: "putSettlement", record: { ...s, status: "confirmed", updatedAt: now } }]);
      // The epoch row becomes "settled" when the L1 sync applies the hub's events of this transaction.
      const settled = this.store.getEpoch(e.id)!;
      if (settled.status === "settling") await this.node.persist([], [{ op: "putEpoch", record: { ...settled, status: "settled", updatedAt: now } }]);
      this.log.info("settlement confirmed", { epoch: e.id, tx: s.txHash });
    }
  }

  /**
   * The L1 sync applied the hub's events of an epoch's settlement (L1Sync.applyEffects): if the receipt was not
   * measured yet (the sync can see the events before the follow step sees the receipt), it is now.
   */
  async landed(e: EpochRecord, txHash: string): Promise<void> {
    if (this.measured.includes(txHash)) return;
    const s = this.store.listSettlements(e.id).find((x) => x.txHash === txHash);
    // A measurement is not worth failing the sync for: an L1 error leaves this one unmeasured.
    const receipt = s && (await this.l1.receipt(txHash).catch(() => null));
    if (s && receipt && receipt.status === 1) this.measure(e, s, receipt.gasUsed, this.node.now());
  }

  /** One measurement per settlement transaction: its gas, per certificate too, and the time from sending to its receipt. */
  private measure(e: EpochRecord, s: SettlementRecord, gasUsed: bigint, now: number): void {
    if (this.measured.includes(s.txHash)) return;
    this.measured.push(s.txHash);
    if (this.measured.length > 8) this.measured.shift();
    this.node.metrics.settlementLanded(gasUsed, e.certificateIds.length, (now - s.createdAt) / 1000);
  }

  private async reorged(e: EpochRecord, s: SettlementRecord, why: string): Promise<void> {
    await this.store.commit([{ op: "putSettlement", record: { ...s, status: "dropped", error: why, updatedAt: this.node.now() } }]);
    this.l1.forgetCheckpoints();
    await this.release(e, "abandoned", why);
  }

  /** Ends an epoch that did not settle: its certificates go back to Confirmed (those L1 did not finalize meanwhile). */
  private async release(e: EpochRecord, status: "failed" | "abandoned", why: string): Promise<void> {
    const latest = this.store.getEpoch(e.id) ?? e;
    const ops: WriteOp[] = [{ op: "putEpoch", record: { ...latest, status, failure: why, updatedAt: this.node.now() } }];
    const released = await this.node.releaseEpoch(e.certificateIds, ops);
    this.log.warn(`batch ${status}`, { epoch: e.id, why, released });
  }
}

export function shortError(e: unknown): string {
  const x = e as { shortMessage?: string; message?: string; revert?: { name?: string; args?: unknown[] } };
  if (x.revert?.name) return `${x.revert.name}(${(x.revert.args ?? []).join(", ")})`;
  return x.shortMessage ?? x.message ?? String(e);
}
