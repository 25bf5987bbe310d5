/**
 * The aggregation rules (docs/protocol.md §9) in the reference model: applies an epoch's certificates, in slot
 * order, to the global state, and returns the new state together with everything the aggregation circuit's
 * witness needs. Anything the circuit refuses is refused here first, with a typed EpochError.
 */
import { applyTransition, TransitionResult, AccountingError } from "./accounting";
import { Certificate, CertificateRef, certificateId, compareRefs, packParticipants } from "./certificate";
import { GlobalState, NetworkRecord, HistoryEntry } from "./global-state";
import { SmtUpdate } from "./smt";

export type EpochErrorCode =
  | "EMPTY_EPOCH"
  | "OVER_CAPACITY"
  | "HEIGHT_GAP"
  | "STATE_MISMATCH"
  | "TRANSITION_INVALID"
  | "TRANSITION_MISMATCH"
  | "DEPENDENCY_UNRESOLVED"
  | "IMPORT_SOURCE_MISMATCH"
  | "L1_CHECKPOINT_MISMATCH"
  | "BUNDLE_FAILED"
  | "BUNDLE_INCOMPLETE";

export class EpochError extends Error {
  constructor(readonly code: EpochErrorCode, readonly slot: number, detail: string) {
    super(`${code} in slot ${slot}: ${detail}`);
    this.name = "EpochError";
  }
}

export interface L1Checkpoint {
  number: bigint;
  exitRoot: bigint;
}

/** How one dependency is satisfied: by another slot of the epoch, or by the old global state's history. */
export type DependencyResolution =
  | { kind: "slot"; slot: number; exitRoot: bigint }
  | { kind: "finalized"; exitRoot: bigint; entry: HistoryEntry; record: ReturnType<NetworkRecord["leafPreimage"]>; globalSiblings: bigint[]; historySiblings: bigint[] };

export interface SlotResult {
  certificate: Certificate;
  certificateId: bigint;
  transition: TransitionResult;
  /** The network's record before this slot (after earlier slots of the same epoch). */
  before: NetworkRecord;
  after: NetworkRecord;
  /** The global-tree update of this slot, against the running root. */
  globalUpdate: SmtUpdate;
  /** Siblings of slot `height` in the history tree before the append. */
  historyAppendSiblings: bigint[];
  dependencies: DependencyResolution[];
  /** For each import: the index of its source among the dependencies, or -1 for an L1 checkpoint import. */
  importSources: number[];
}

export interface EpochResult {
  oldRoot: bigint;
  newRoot: bigint;
  l1: L1Checkpoint;
  slots: SlotResult[];
  state: GlobalState;
}

const refKey = (r: { networkId: number; height: bigint }) => `${r.networkId}/${r.height}`;

export interface EpochOptions {
  /** Slot capacity of the circuit instance (default: unbounded). */
  capacity?: number;
  /**
   * false: skip the cross-chain rules (dependencies, import sources, L1 checkpoint, bundles) and resolve them as
   * well as possible. Only for tests that build the most plausible cheating witness and show that the circuit
   * refuses what the model refuses. Default true.
   */
  crossChainChecks?: boolean;
}

export function applyEpoch(global: GlobalState, certificates: readonly Certificate[], l1: L1Checkpoint, options: EpochOptions | number = {}): EpochResult {
  const { capacity = Infinity, crossChainChecks = true } = typeof options === "number" ? { capacity: options } : options;
  if (certificates.length === 0) throw new EpochError("EMPTY_EPOCH", -1, "no certificates");
  if (certificates.length > capacity) throw new EpochError("OVER_CAPACITY", -1, `${certificates.length} certificates, ${capacity} slots`);
  const old = global;
  const state = global.clone();
  const ids = certificates.map((c) => certificateId(c));
  const inEpoch = new Map<string, number>();
  certificates.forEach((c, i) => inEpoch.set(refKey(c), i));

  const slots: SlotResult[] = certificates.map((c, i) => {
    const before = state.record(c.networkId);
    if (c.height !== before.nextHeight) throw new EpochError("HEIGHT_GAP", i, `network ${c.networkId} is at height ${before.nextHeight}, certificate has ${c.height}`);
    if (c.prevStateCommitment !== before.state.commitment()) throw new EpochError("STATE_MISMATCH", i, "prevStateCommitment is not the network's settled state");
    let transition: TransitionResult;
    try {
      transition = applyTransition(
        before.state,
        c.importedExits.map((m) => ({ leaf: m.leaf, sourceNetwork: m.source.networkId, leafIndex: m.leafIndex, sourceExitRoot: m.sourceExitRoot, siblings: m.siblings })),
        c.bridgeExits,
      );
    } catch (e) {
      if (e instanceof AccountingError) throw new EpochError("TRANSITION_INVALID", i, e.message);
      throw e;
    }
    if (transition.state.commitment() !== c.newStateCommitment || transition.state.exitRoot !== c.newLocalExitRoot || before.state.exitRoot !== c.prevLocalExitRoot) {
      throw new EpochError("TRANSITION_MISMATCH", i, "the certificate's new state is not the result of its exits and imports");
    }
    const dependencies = c.dependencies.map((d) => resolveDependency(old, certificates, ids, inEpoch, d, i, crossChainChecks));
    const importSources = c.importedExits.map((m, k) => {
      if (m.source.networkId === 0) {
        if (crossChainChecks && (m.source.height !== l1.number || m.source.certificateId !== 0n || m.sourceExitRoot !== l1.exitRoot)) {
          throw new EpochError("L1_CHECKPOINT_MISMATCH", i, `import ${k} names L1 checkpoint ${m.source.height}, the epoch uses ${l1.number}`);
        }
        return -1;
      }
      const j = c.dependencies.findIndex((d) => compareRefs(d, m.source) === 0 && d.certificateId === m.source.certificateId);
      if (crossChainChecks && (j < 0 || dependencies[j].exitRoot !== m.sourceExitRoot)) {
        throw new EpochError("IMPORT_SOURCE_MISMATCH", i, `import ${k}: root is not the exit root of ${refKey(m.source)}`);
      }
      return j;
    });
    const historyAppendSiblings = before.history.appendProof();
    const after = before.advance(transition.state, ids[i]);
    const globalUpdate = state.put(after);
    return { certificate: c, certificateId: ids[i], transition, before, after, globalUpdate, historyAppendSiblings, dependencies, importSources };
  });
  if (crossChainChecks) checkBundles(certificates);
  return { oldRoot: old.root(), newRoot: state.root(), l1, slots, state };
}

function resolveDependency(old: GlobalState, certs: readonly Certificate[], ids: bigint[], inEpoch: Map<string, number>, d: CertificateRef, i: number, strict: boolean): DependencyResolution {
  const k = inEpoch.get(refKey(d));
  if (k !== undefined) {
    if (strict && ids[k] !== d.certificateId) throw new EpochError("DEPENDENCY_UNRESOLVED", i, `${refKey(d)} in this epoch has another certificate id (equivocation)`);
    return { kind: "slot", slot: k, exitRoot: certs[k].newLocalExitRoot };
  }
  const entry = old.finalized(d.networkId, d.height);
  if (!entry) {
    if (!strict) return { kind: "finalized", exitRoot: 0n, entry: { certificateId: d.certificateId, exitRoot: 0n }, record: old.record(d.networkId).leafPreimage(), globalSiblings: old.leafProof(d.networkId), historySiblings: new Array(old.params.historyDepth).fill(0n) };
    throw new EpochError("DEPENDENCY_UNRESOLVED", i, `${refKey(d)} is neither in this epoch nor finalized`);
  }
  if (strict && entry.certificateId !== d.certificateId) throw new EpochError("DEPENDENCY_UNRESOLVED", i, `${refKey(d)} was finalized with another certificate id (equivocation)`);
  const rec = old.record(d.networkId);
  return { kind: "finalized", exitRoot: entry.exitRoot, entry, record: rec.leafPreimage(), globalSiblings: old.leafProof(d.networkId), historySiblings: rec.historyProof(d.height).siblings };
}

/**
 * Every bundle leg succeeded, and each bundle has all legCount legs (distinct legIndex, same legCount) naming the
 * same participants (each leg sits in its participant's certificate: validateCertificate).
 */
function checkBundles(certs: readonly Certificate[]): void {
  const legs = new Map<bigint, { legIndex: number; legCount: number; participants: bigint; slot: number }[]>();
  certs.forEach((c, i) =>
    c.bundles.forEach((b) => {
      if (!b.success) throw new EpochError("BUNDLE_FAILED", i, `bundle ${b.bundleId} leg ${b.legIndex} failed`);
      legs.set(b.bundleId, [...(legs.get(b.bundleId) ?? []), { legIndex: b.legIndex, legCount: b.legCount, participants: packParticipants(b.participants), slot: i }]);
    }),
  );
  for (const [id, ls] of legs) {
    const count = ls[0].legCount;
    const distinct = new Set(ls.map((l) => l.legIndex)).size === ls.length;
    if (ls.length !== count || !distinct || ls.some((l) => l.legCount !== count)) {
      throw new EpochError("BUNDLE_INCOMPLETE", ls[0].slot, `bundle ${id}: ${ls.length} of ${count} legs present`);
    }
    if (ls.some((l) => l.participants !== ls[0].participants)) {
      throw new EpochError("BUNDLE_INCOMPLETE", ls[0].slot, `bundle ${id}: its legs name different participants`);
    }
  }
}
