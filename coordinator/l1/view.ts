/**
 * What L1 says, rebuilt from the hub's events alone (plus the certificates' bodies from the store): the chain
 * registry, the verifiers, and a mirror of the global state (lib/global-state.ts) that epochs are proven against.
 *
 * A settlement's EpochSettled event is followed, in the same transaction, by one CertificateFinalized event per
 * slot in slot order; the mirror applies exactly those certificates with the model (applyEpoch) and checks that it
 * lands on the event's new root. If it cannot (a certificate the coordinator never saw, e.g. a direct settlement of
 * a chain that did not submit to it), the view is marked diverged and epochs stop until an operator looks: proving
 * against a wrong root would only waste work, since L1 would refuse it.
 *
 * In the hub's Batches mode (docs/protocol.md §9 "Batched settlement") the truth is per-network tips and batch roots:
 * a settlement is one BatchCertificateFinalized event per slot, in slot order, then BatchSettled with the batch's id
 * and Merkle root. `batches` (lib/batch-settlement.ts BatchSettlementState) replays exactly those certificates with
 * the model's plan and checks that it lands on the event's batch id and root; the per-network records of `mirror`
 * (accounted state, next height, finalized history) then advance by each certificate's own transition — no epoch
 * rules and no global root are involved. A batch the model refuses, or a certificate the coordinator never saw,
 * marks the view diverged as above.
 *
 * The view is also where the epoch rules run on the mirror, once per epoch (epochResult): the result of an epoch
 * built here (by the coordinator's epoch manager, or a chain's direct settler) is kept until the mirror moves, and
 * the prover's witness, the settlement and the mirror's own settle() take it from there. applyEpoch runs again on a
 * settlement only when the view did not build it itself: another submitter, a direct settlement, a restart.
 */
import { applyEpoch, EpochResult, L1Checkpoint } from "../../lib/epoch";
import { GlobalParams, GlobalState, HistoryArchive, genesisStateCommitment } from "../../lib/global-state";
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
  /** The hub's epoch (Epochs mode) or batch id (Batches mode) that finalized it. */
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

/** Results kept per mirror root (L1View.epochResult). */
const RESULTS_KEPT = 4;
const epochKey = (root: bigint, ids: readonly bigint[], l1: L1Checkpoint) => `${root.toString(16)}|${l1.number}|${l1.exitRoot.toString(16)}|${ids.map((id) => id.toString(16)).join(",")}`;

export class L1View {
  readonly networks = new Map<number, NetworkRecordRow>();
  readonly verifiers = new Map<number, string>();
  mirror: GlobalState;
  /** The hub's batch state (Batches mode): tips and the leaves of every settled batch, from BatchSettled. */
  readonly batches: BatchSettlementState;
  hubEpoch = 0;
  diverged: string | null = null;
  /**
   * The model's results of the epochs built on the current mirror (epochResult), by epochKey: at most
   * RESULTS_KEPT (one epoch is in flight at a time; a released one may be built again on the same root), all
   * dropped when the mirror moves.
   */
  private readonly results = new Map<string, EpochResult>();

  /**
   * `archive`: the finalized history entries as the store holds them, so that the mirror keeps only recent ones in
   * memory (the node releases the others once they are durable: CoordinatorNode.forgetSettled).
   */
  constructor(
    readonly params: GlobalParams,
    archive: HistoryArchive | null = null,
  ) {
    this.mirror = new GlobalState(params, undefined, undefined, archive);
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
      if (e.name === "EpochSettled") {
        const slots: StoredL1Event[] = [];
        while (i + 1 < events.length && events[i + 1].txHash === e.txHash && events[i + 1].name === "CertificateFinalized") slots.push(events[++i]);
        await this.settle(e, slots, body, checkpointRoot, fx);
      } else if (e.name === "BatchCertificateFinalized") {
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

  /**
   * The epoch rules (lib/epoch.ts applyEpoch) for these certificates, in slot order, on the current mirror with this
   * L1 checkpoint: the result kept from an earlier call for the same epoch, else applyEpoch's, kept for the next
   * caller. The model is deterministic, and a certificate id commits to the certificate's content, so the same ids on
   * the same root with the same checkpoint give the same result. Throws the model's EpochError (nothing is kept).
   * `certificates` is called only when the rules must run.
   */
  epochResult(certificateIds: readonly bigint[], certificates: () => readonly Certificate[], l1: L1Checkpoint, capacity = Infinity): EpochResult {
    const key = epochKey(this.mirror.root(), certificateIds, l1);
    const kept = this.results.get(key);
    if (kept && certificateIds.length <= capacity) return kept;
    const r = applyEpoch(this.mirror, certificates(), l1, capacity);
    if (this.results.size >= RESULTS_KEPT) this.results.delete(this.results.keys().next().value!);
    this.results.set(key, r);
    return r;
  }

  /** The mirror moves to `state` (a settlement was applied): results computed on the old one are stale. */
  private advance(state: GlobalState): void {
    this.mirror = state;
    this.results.clear();
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
      case "VerifierSet":
        this.verifiers.set(Number(a.slotCapacity), String(a.newVerifier));
        break;
      case "VerifierRetired":
        this.verifiers.delete(Number(a.slotCapacity));
        break;
      default:
        break;
    }
  }

  private update(id: number, f: (n: NetworkRecordRow) => NetworkRecordRow): void {
    const n = this.networks.get(id);
    if (n) this.networks.set(id, f(n));
  }

  private async settle(e: StoredL1Event, slots: StoredL1Event[], body: (id: bigint) => Certificate | undefined, checkpointRoot: (n: bigint) => Promise<bigint | null>, fx: ViewEffects): Promise<void> {
    const l1Epoch = Number(e.args.epoch);
    this.hubEpoch = l1Epoch;
    const newRoot = big(e.args.newGlobalRoot);
    fx.settlements.push({ txHash: e.txHash, l1Epoch, newRoot });
    for (const s of slots) {
      fx.finalized.push({ certificateId: big(s.args.certificateId), networkId: Number(s.args.networkId), height: big(s.args.height), newLocalExitRoot: big(s.args.newLocalExitRoot), txHash: s.txHash, l1Epoch });
    }
    if (this.diverged) return;
    const certs = slots.map((s) => body(big(s.args.certificateId)));
    const missing = certs.findIndex((c) => !c);
    if (missing >= 0) return this.diverge(`L1 epoch ${l1Epoch} finalized certificate ${slots[missing].args.certificateId}, which this coordinator never received`);
    const number = big(e.args.l1CheckpointNumber);
    const root = await checkpointRoot(number);
    if (root === null) return this.diverge(`L1 epoch ${l1Epoch} names unknown L1 checkpoint ${number}`);
    try {
      const cp = { number, exitRoot: root };
      const r = this.epochResult(slots.map((s) => big(s.args.certificateId)), () => certs as Certificate[], cp);
      if (r.newRoot !== newRoot) return this.diverge(`L1 epoch ${l1Epoch}: the model reaches root ${r.newRoot}, L1 has ${newRoot}`);
      this.advance(r.state);
    } catch (err) {
      this.diverge(`L1 epoch ${l1Epoch}: the model refuses it: ${(err as Error).message}`);
    }
  }

  /**
   * A settled batch (Batches mode): `slots` are its BatchCertificateFinalized events in slot order, `e` its
   * BatchSettled. The model plans the same certificates on the batch state and must reach the same id and root.
   */
  private async settleBatch(e: StoredL1Event, slots: StoredL1Event[], body: (id: bigint) => Certificate | undefined, checkpointRoot: (n: bigint) => Promise<bigint | null>, fx: ViewEffects): Promise<void> {
    const batchId = Number(e.args.batchId);
    this.hubEpoch = batchId;
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
      this.advance(next);
    } catch (err) {
      this.diverge(`L1 batch ${batchId}: the model refuses it: ${(err as Error).message}`);
    }
  }

  private diverge(why: string): void {
    this.diverged = why;
  }
}
