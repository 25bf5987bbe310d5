/**
 * What L1 says, rebuilt from the hub's events alone (plus the certificates' bodies from the store): the chain
 * registry and a mirror of L1's settlement state, against which the coordinator plans its epochs.
 *
 * The hub settles batches (docs/protocol.md §9 "Batched settlement"): its truth is per-network tips and batch
 * roots. A settlement is one BatchCertificateFinalized event per slot, in slot order, then BatchSettled with the
 * batch's id and Merkle root. `batches` (lib/batch-settlement.ts BatchSettlementState) replays exactly those
 * certificates with the model's plan and checks that it lands on the event's batch id and root; the per-network
 * records of `mirror` (accounted state, next height, finalized history) then advance by each certificate's own
 * transition. If it cannot (a certificate the coordinator never saw, e.g. a direct settlement of a chain that did
 * not submit to it, or a batch the model refuses), the view is marked diverged and epochs stop until an operator
 * looks: a plan against a wrong state would only be refused by L1.
 */
import { LayerParams } from "../../lib/params";
import { NetworkRecords, HistoryArchive } from "../../lib/network-records";
import { genesisStateCommitment } from "../../lib/network-state";
import { BatchSettlementState } from "../../lib/batch-settlement";
import { applyTransition } from "../../lib/accounting";
import { certificateStatements } from "../../lib/settlement";
import type { Certificate } from "../../lib/certificate";
import type { StoredL1Event } from "../store/store";
import type { NetworkRecordRow } from "../types";

export interface Finalization {
  certificateId: bigint;
  networkId: number;
  height: bigint;
  newLocalExitRoot: bigint;
  txHash: string;
  /** The hub's batch id that finalized it. */
  l1Epoch: number;
}

export interface ViewEffects {
  finalized: Finalization[];
  ejected: number[];
  /** Networks readmitted (a new sequencer, from their last finalized state). */
  readmitted: number[];
  settlements: { txHash: string; l1Epoch: number; newRoot: bigint }[];
}

const big = (x: unknown) => BigInt(x as string);

export class L1View {
  readonly networks = new Map<number, NetworkRecordRow>();
  mirror: NetworkRecords;
  /** The hub's batch state: tips and the leaves of every settled batch, from BatchSettled. */
  readonly batches: BatchSettlementState;
  diverged: string | null = null;

  /**
   * `archive`: the finalized history entries as the store holds them, so that the mirror keeps only recent ones in
   * memory (the node releases the others once they are durable: CoordinatorNode.forgetSettled).
   */
  constructor(
    readonly params: LayerParams,
    archive: HistoryArchive | null = null,
  ) {
    this.mirror = new NetworkRecords(params, undefined, archive);
    this.batches = new BatchSettlementState(genesisStateCommitment(params));
  }

  /**
   * Applies a run of events in chain order. `body` returns a certificate's content by id (from the store);
   * `checkpointRoot` the root of an L1 exit-root checkpoint.
   */
  async apply(events: StoredL1Event[], body: (id: bigint) => Certificate | undefined, checkpointRoot: (n: bigint) => Promise<bigint | null>): Promise<ViewEffects> {
    const fx: ViewEffects = { finalized: [], ejected: [], readmitted: [], settlements: [] };
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.name === "BatchCertificateFinalized") {
        const slots: StoredL1Event[] = [e];
        while (i + 1 < events.length && events[i + 1].txHash === e.txHash && events[i + 1].name === "BatchCertificateFinalized") slots.push(events[++i]);
        const settled = events[i + 1];
        if (!settled || settled.txHash !== e.txHash || settled.name !== "BatchSettled") {
          this.diverge(`batch ${e.args.batchId}: BatchCertificateFinalized without its BatchSettled in transaction ${e.txHash}`);
          continue;
        }
        i++;
        await this.settleBatch(settled, slots, body, checkpointRoot, fx);
      } else {
        this.registry(e, fx);
      }
    }
    return fx;
  }

  private registry(e: StoredL1Event, fx: ViewEffects): void {
    const a = e.args;
    const id = Number(a.networkId);
    switch (e.name) {
      case "NetworkRegistered":
        this.networks.set(id, { networkId: id, sequencer: String(a.sequencer), policyFlags: Number(a.policyFlags), stake: big(a.stake), ejected: false, registeredBlock: e.blockNumber });
        break;
      case "SequencerChanged":
        this.update(id, (n) => ({ ...n, sequencer: String(a.newSequencer) }));
        break;
      case "StakeAdded":
        this.update(id, (n) => ({ ...n, stake: big(a.stake) }));
        break;
      case "StakeReleased":
        this.update(id, (n) => ({ ...n, stake: 0n }));
        break;
      case "EquivocationReported":
        this.update(id, (n) => ({ ...n, stake: 0n }));
        break;
      case "Ejected":
        this.update(id, (n) => ({ ...n, ejected: true }));
        fx.ejected.push(id);
        break;
      case "NetworkReadmitted":
        this.update(id, (n) => ({ ...n, sequencer: String(a.sequencer), stake: big(a.stake), ejected: false }));
        fx.readmitted.push(id);
        break;
      default:
        break;
    }
  }

  private update(id: number, f: (n: NetworkRecordRow) => NetworkRecordRow): void {
    const n = this.networks.get(id);
    if (n) this.networks.set(id, f(n));
  }

  /**
   * A settled batch: `slots` are its BatchCertificateFinalized events in slot order, `e` its BatchSettled. The
   * model plans the same certificates on the batch state and must reach the same id and root.
   */
  private async settleBatch(e: StoredL1Event, slots: StoredL1Event[], body: (id: bigint) => Certificate | undefined, checkpointRoot: (n: bigint) => Promise<bigint | null>, fx: ViewEffects): Promise<void> {
    const batchId = Number(e.args.batchId);
    const root = String(e.args.root);
    fx.settlements.push({ txHash: e.txHash, l1Epoch: batchId, newRoot: BigInt(root) });
    for (const s of slots) {
      fx.finalized.push({ certificateId: big(s.args.certificateId), networkId: Number(s.args.networkId), height: big(s.args.height), newLocalExitRoot: big(s.args.newLocalExitRoot), txHash: s.txHash, l1Epoch: batchId });
    }
    if (this.diverged) return;
    const certs = slots.map((s) => body(big(s.args.certificateId)));
    const missing = certs.findIndex((c) => !c);
    if (missing >= 0) return this.diverge(`L1 batch ${batchId} finalized certificate ${slots[missing].args.certificateId}, which this coordinator never received`);
    const entries = slots.map((s, i) => ({ certificate: certs[i]!, certificateId: big(s.args.certificateId) }));
    const checkpoints = new Map<bigint, bigint>();
    for (const { certificate } of entries) {
      const cp = certificateStatements(certificate).checkpoint;
      if (cp.exitRoot === 0n || checkpoints.has(cp.number)) continue;
      const r = await checkpointRoot(cp.number);
      if (r !== null) checkpoints.set(cp.number, r);
    }
    try {
      const plan = this.batches.plan(entries, (n) => checkpoints.get(n));
      // The hub numbers batches from 1 (0 locates a slot of the batch itself); the model from 0.
      if (plan.batchId + 1 !== batchId) return this.diverge(`L1 batch ${batchId}: the model's next batch is ${plan.batchId + 1}`);
      if (plan.root !== root) return this.diverge(`L1 batch ${batchId}: the model's batch root is ${plan.root}, L1 has ${root}`);
      const next = this.mirror.clone();
      for (const { certificate: c, certificateId } of entries) {
        const rec = next.record(c.networkId);
        const t = applyTransition(
          rec.state,
          c.importedExits.map((m) => ({ leaf: m.leaf, sourceNetwork: m.source.networkId, leafIndex: m.leafIndex, sourceExitRoot: m.sourceExitRoot, siblings: m.siblings })),
          c.bridgeExits,
        );
        if (t.state.commitment() !== c.newStateCommitment || t.state.exitRoot !== c.newLocalExitRoot) {
          return this.diverge(`L1 batch ${batchId}: certificate ${certificateId}'s new state is not the result of its transition`);
        }
        next.put(rec.advance(t.state, certificateId));
      }
      this.batches.apply(plan);
      this.mirror = next;
    } catch (err) {
      this.diverge(`L1 batch ${batchId}: the model refuses it: ${(err as Error).message}`);
    }
  }

  private diverge(why: string): void {
    this.diverged = why;
  }
}
