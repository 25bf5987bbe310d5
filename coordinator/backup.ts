/**
 * The backup prover's input: a chain's accounted state before one of its certificates, rebuilt from public data
 * only — the chain's finalized record in the L1 mirror and the live certificates between it and this one —
 * and the certificate circuit's witness (lib/witness/certificate.ts) from it.
 *
 * States are cached per certificate id so that proving a run of certificates of one chain replays each
 * transition once.
 */
import { applyTransition, AccountingError, TransitionResult } from "../lib/accounting";
import type { Certificate } from "../lib/certificate";
import type { NetworkRecords } from "../lib/network-records";
import type { NetworkState } from "../lib/network-state";
import { certificateWitness, CertificateShape, circuitInputToJson } from "../lib/witness/certificate";

export class TransitionInvalidError extends Error {
  constructor(readonly certificateId: bigint, detail: string) {
    super(detail);
    this.name = "TransitionInvalidError";
  }
}

export interface ChainSource {
  /** The live (not Rejected, not Finalized) certificate of the chain at this height, with its id. */
  liveAt(networkId: number, height: bigint): { certificateId: bigint; certificate: Certificate } | undefined;
  mirror(): NetworkRecords;
}

function transitionOf(prev: NetworkState, c: Certificate, id: bigint): TransitionResult {
  let t: TransitionResult;
  try {
    t = applyTransition(
      prev,
      c.importedExits.map((m) => ({ leaf: m.leaf, sourceNetwork: m.source.networkId, leafIndex: m.leafIndex, sourceExitRoot: m.sourceExitRoot, siblings: m.siblings })),
      c.bridgeExits,
    );
  } catch (e) {
    if (e instanceof AccountingError) throw new TransitionInvalidError(id, e.message);
    throw e;
  }
  if (t.state.commitment() !== c.newStateCommitment || t.state.exitRoot !== c.newLocalExitRoot) {
    throw new TransitionInvalidError(id, "the certificate's new state is not the result of its exits and imports");
  }
  return t;
}

export class ChainStates {
  private readonly after = new Map<bigint, NetworkState>();

  constructor(private readonly src: ChainSource) {}

  /** The state before `c`, or a TransitionInvalidError naming the first certificate on the way that is invalid. */
  stateBefore(c: Certificate): NetworkState {
    const record = this.src.mirror().record(c.networkId);
    if (c.height < record.nextHeight) throw new Error(`certificate ${c.networkId}/${c.height} is below the finalized height ${record.nextHeight}`);
    let state = record.state;
    for (let h = record.nextHeight; h < c.height; h++) {
      const live = this.src.liveAt(c.networkId, h);
      if (!live) throw new Error(`no live certificate of network ${c.networkId} at height ${h}`);
      const cached = this.after.get(live.certificateId);
      state = cached ?? transitionOf(state, live.certificate, live.certificateId).state;
      if (!cached) this.after.set(live.certificateId, state);
    }
    if (state.commitment() !== c.prevStateCommitment) throw new Error(`certificate ${c.networkId}/${c.height} does not start from its chain's state`);
    return state;
  }

  /** The certificate circuit's input (JSON-ready) for `c`. */
  witness(c: Certificate, id: bigint, shape: CertificateShape): Record<string, unknown> {
    const prev = this.stateBefore(c);
    const transition = transitionOf(prev, c, id);
    this.after.set(id, transition.state);
    return circuitInputToJson(certificateWitness(prev, { certificate: c, certificateId: id, transition }, shape) as unknown as Record<string, unknown>);
  }

  forget(certificateId: bigint): void {
    this.after.delete(certificateId);
  }
}
