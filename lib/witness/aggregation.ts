/**
 * Witness builder of the aggregation circuit (circuits/Aggregation.circom) from an EpochResult of the model
 * (lib/epoch.ts). Each used slot reuses the certificate witness builder; unused slots carry an empty genesis
 * certificate of network 1 (it satisfies CertificateTransition and reaches nothing public).
 */
import { EpochResult } from "../epoch";
import { GlobalParams, genesisStateCommitment } from "../global-state";
import { zeroHash } from "../poseidon";
import { revisionOf } from "../certificate";
import { slotWord } from "../settlement";
import { certificateWitness, emptyCertificateWitness, CertificateShape } from "./certificate";

/** A circuit input value: a field element or a (nested) array of them. */
export type FieldTree = bigint | FieldTree[];
export type AggregationCircuitInput = Record<string, FieldTree>;

export interface AggregationShape extends CertificateShape {
  slots: number;
}

export class AggregationWitnessError extends Error {
  constructor(readonly code: "OVER_CAPACITY" | "SHAPE", detail: string) {
    super(`${code}: ${detail}`);
    this.name = "AggregationWitnessError";
  }
}

/** A slot's first public input (< 2^128; docs/protocol.md §9): lib/settlement.ts slotWord. */
export { slotWord };

/** The public inputs in circuit and hub order (docs/protocol.md §9). */
export function aggregationPublicInputs(epoch: EpochResult, slots: number): bigint[] {
  if (epoch.slots.length > slots) throw new AggregationWitnessError("OVER_CAPACITY", `${epoch.slots.length} certificates, ${slots} slots`);
  const out = [epoch.oldRoot, epoch.newRoot, epoch.l1.number, epoch.l1.exitRoot];
  for (let s = 0; s < slots; s++) {
    const r = epoch.slots[s];
    if (!r) out.push(0n, 0n, 0n);
    else out.push(slotWord(r.certificate), r.certificateId, r.certificate.newLocalExitRoot);
  }
  return out;
}

const zeros = (n: number) => new Array<bigint>(n).fill(0n);
const oneHot = (n: number, k: number) => zeros(n).map((_, i) => (i === k ? 1n : 0n));

export function aggregationWitness(epoch: EpochResult, params: GlobalParams, shape: AggregationShape): AggregationCircuitInput {
  const S = shape.slots;
  const D = shape.maxDependencies;
  const I = shape.maxImports;
  if (!Number.isInteger(S) || S < 1) throw new AggregationWitnessError("SHAPE", `slots ${S}`);
  const pub = aggregationPublicInputs(epoch, S);
  const dummy = emptyCertificateWitness(params, shape).input;
  const genesis = genesisStateCommitment(params);

  const perSlot: Record<string, FieldTree>[] = [];
  for (let s = 0; s < S; s++) {
    const r = epoch.slots[s];
    const cw = r ? certificateWitness(r.before.state, r, shape) : dummy;
    const rec = r && r.before.settled ? r.before.leafPreimage() : { stateCommitment: genesis, nextHeight: 0n, lastCertificateId: 0n };
    const w: Record<string, FieldTree> = {
      ...(cw as unknown as Record<string, FieldTree>),
      rec_isGenesis: r && r.before.settled ? 0n : 1n,
      rec_stateCommitment: rec.stateCommitment,
      rec_nextHeight: rec.nextHeight,
      rec_lastCertificateId: rec.lastCertificateId,
      rec_historyRoot: r ? r.before.history.root() : zeroHash(params.historyDepth),
      globalSiblings: r ? r.globalUpdate.siblings : zeros(params.networkBits),
      historySiblings: r ? r.historyAppendSiblings : zeros(params.historyDepth),
      dep_inEpoch: zeros(D),
      dep_slotSel: Array.from({ length: D }, () => zeros(S)),
      fin_exitRoot: zeros(D),
      fin_stateCommitment: zeros(D),
      fin_nextHeight: zeros(D),
      fin_lastCertificateId: zeros(D),
      fin_historyRoot: zeros(D),
      fin_globalSiblings: Array.from({ length: D }, () => zeros(params.networkBits)),
      fin_historySiblings: Array.from({ length: D }, () => zeros(params.historyDepth)),
      imp_depSel: Array.from({ length: I }, () => zeros(D)),
    };
    r?.dependencies.forEach((dep, d) => {
      if (dep.kind === "slot") {
        (w.dep_inEpoch as bigint[])[d] = 1n;
        (w.dep_slotSel as bigint[][])[d] = oneHot(S, dep.slot);
      } else {
        (w.fin_exitRoot as bigint[])[d] = dep.exitRoot;
        (w.fin_stateCommitment as bigint[])[d] = dep.record.stateCommitment;
        (w.fin_nextHeight as bigint[])[d] = dep.record.nextHeight;
        (w.fin_lastCertificateId as bigint[])[d] = dep.record.lastCertificateId;
        (w.fin_historyRoot as bigint[])[d] = dep.record.historyRoot;
        (w.fin_globalSiblings as bigint[][])[d] = dep.globalSiblings;
        (w.fin_historySiblings as bigint[][])[d] = dep.historySiblings;
      }
    });
    r?.importSources.forEach((j, i) => {
      if (j >= 0) (w.imp_depSel as bigint[][])[i] = oneHot(D, j);
    });
    perSlot.push(w);
  }

  const out: AggregationCircuitInput = {
    oldGlobalRoot: pub[0],
    newGlobalRoot: pub[1],
    l1CheckpointNumber: pub[2],
    l1ExitRoot: pub[3],
    slotPublic: Array.from({ length: S }, (_, s) => pub.slice(4 + 3 * s, 7 + 3 * s)),
    slotCount: BigInt(epoch.slots.length),
  };
  for (const key of Object.keys(perSlot[0])) out[key] = perSlot.map((w) => w[key]);
  return out;
}
