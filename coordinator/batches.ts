/**
 * Batches: the settlement of a hub in Batches mode (docs/protocol.md §9 "Batched settlement"). Confirmed
 * certificates (proof verified, dependencies Confirmed or later) go into a batch of up to `epochs.batchSize` with
 * their STORED certificate proofs — nothing is proven here — and settle with `settleBatch`, built from the model's
 * plan (lib/batch-settlement.ts) on the L1 mirror's batch state: per network the tip it continues, per dependency
 * a slot of the batch or the leaf (and Merkle path) of an earlier batch.
 *
 * The durable job is the epoch manager's (coordinator/epochs.ts), with the same rows and the same recovery: a batch
 * is an epoch row (status "proved" from the start: there is no aggregation proof to wait for; `newRoot` is the
 * batch's Merkle root, `l1Epoch` the hub's batch id once settled) and its settlement transactions are settlement
 * rows. Certificates go Confirmed -> InEpoch (built) -> Settling (signed, stored, then broadcast) -> Finalized (the
 * L1 sync, from BatchCertificateFinalized); reverted, reorged out, a taken nonce or a tip that moved -> Confirmed.
 *
 * A batch reads and writes only its own networks' tips, so a chain that settles directly meanwhile (an opt-out
 * chain's batch of one) does not make it stale: it is signed and settled as it was built.
 */
import { BatchError, BatchPlan } from "../lib/batch-settlement";
import { certificateStatements } from "../lib/settlement";
import { solidityProofOf, Groth16Proof } from "../zk/groth16";
import { EpochManager, shortError } from "./epochs";
import type { Certificate } from "../lib/certificate";
import type { GraphNode } from "./graph";
import type { EpochRecord } from "./types";
import type { L1View } from "./l1/view";

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

export class BatchManager extends EpochManager {
  protected override readonly unit = "batch";

  private get size(): number {
    return this.config.epochs.batchSize;
  }

  protected override async advance(e: EpochRecord): Promise<void> {
    if (e.status === "proving" || e.status === "proved") await this.send(e);
    else if (e.status === "settling") await this.follow(e);
  }

  private shapeChecked: string | null | undefined;

  /**
   * The hub's batch verifier takes proofs of one certificate circuit (D dependencies, B bundle legs); the stored
   * proofs are of the configured one. A mismatch would make every batch revert at estimation: refuse to build.
   */
  private async shapeMismatch(): Promise<string | null> {
    if (this.shapeChecked === undefined) {
      const [d, b] = [Number(await this.l1.hub.maxDependencies()), Number(await this.l1.hub.maxBundles())];
      const s = this.node.shape;
      this.shapeChecked = d === s.maxDependencies && b === s.maxBundles ? null : `the hub's batch verifier takes D = ${d}, B = ${b}; ${this.config.circuits.certificate} has D = ${s.maxDependencies}, B = ${s.maxBundles}`;
    }
    return this.shapeChecked;
  }

  /** Builds a batch of Confirmed certificates of chains that settle through the layer, and signs and sends it. */
  override async build(): Promise<number | null> {
    const mismatch = await this.shapeMismatch();
    if (mismatch) {
      this.log.error("no batch can settle with the configured certificate circuit", { why: mismatch });
      return null;
    }
    // The sync has not applied every settled batch yet: a plan now could locate against a stale batch state.
    if ((await this.l1.batchCount()) !== BigInt(this.view.batches.batchCount)) return null;
    const nodes = this.node.graph.selectEpoch(this.size, (n) => !this.node.isOptOut(n.networkId) && this.node.d.store.getProof(n.certificateId) !== undefined);
    if (nodes.length === 0) return null;
    let plan: BatchPlan;
    try {
      plan = await planBatch(this.view, this.entries(nodes.map((n) => n.certificateId)), (n) => this.l1.checkpointRoot(n));
    } catch (e) {
      return this.refusedBatch(e, nodes);
    }
    const now = this.node.now();
    const id = this.store.nextId("epoch");
    const record: EpochRecord = {
      id, certificateIds: nodes.map((n) => n.certificateId), oldRoot: 0n, newRoot: BigInt(plan.root), l1CheckpointNumber: 0n, l1ExitRoot: 0n,
      slotCapacity: nodes.length, status: "proved", proof: null, createdAt: now, updatedAt: now, l1Epoch: null, l1Tx: null, failure: null,
    };
    await this.node.enterEpoch(record);
    this.log.info("batch built", { batch: id, certificates: nodes.length });
    await this.send(record);
    return id;
  }

  private entries(ids: readonly bigint[]) {
    return ids.map((certificateId) => ({ certificate: this.node.body(certificateId), certificateId }));
  }

  private async refusedBatch(e: unknown, nodes: GraphNode[]): Promise<null> {
    this.log.error("the model refuses the selected batch", { error: e as Error, certificates: nodes.map((n) => `${n.networkId}/${n.height}`) });
    return null;
  }

  /** settleBatch's argument for a built batch on the current batch state (throws BatchError if it no longer fits). */
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
      const s = this.node.settlementSlot(id);
      slots.push({ signature: s.signature, licence: s.licence, dependencies: hubLocators(plan, i) });
    });
    return { proofs, publicSignals, slots };
  }

  protected override async signAndSend(e: EpochRecord): Promise<void> {
    let settlement: HubSettlement;
    try {
      settlement = await this.settlement(e);
    } catch (err) {
      // A tip the batch continues moved (L1 settled one of its networks otherwise): the certificates go back.
      if (err instanceof BatchError) return this.abandon(e, `the batch no longer fits L1: ${err.message}`);
      return this.fail(e, `a slot cannot be settled: ${shortError(err)}`);
    }
    const data = this.l1.hubInterface.encodeFunctionData("settleBatch", [settlement]);
    await this.signAndSettle(e, data);
  }
}
