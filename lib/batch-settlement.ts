/**
 * Batched settlement on L1, the reference model (docs/protocol.md §9): S certificates settle in one transaction,
 * each with its own certificate proof (verified together in one batched pairing check), and the hub itself checks
 * the cross-chain rules from the proofs' public signals (lib/settlement.ts). No aggregation proof, and no global
 * root: L1 keeps, per network, only the tip of its settled chain, and per batch one keccak Merkle root of the
 * certificates it finalized. Settling one network never makes a batch of others stale.
 *
 *   tip(n)          = keccak256(abi.encode(stateCommitment, nextHeight)) of n's last settled certificate
 *                     (genesisStateCommitment(params), 0 for a network that never settled)
 *   leaf(c)         = keccak256(abi.encode(networkId, height, certificateId, newLocalExitRoot))
 *   batchRoot       = keccak Merkle root of the batch's leaves in slot order, padded with zero leaves to a power
 *                     of two; node = keccak256(left ‖ right)
 *
 * A batch is accepted when, for every slot in order: its network's tip is keccak(prevStateCommitment, height)
 * (then becomes keccak(newStateCommitment, height + 1); two slots of one network follow each other), every
 * dependency (networkId, height, certificateId) is exactly another slot of the batch or a certificate an earlier
 * batch finalized (shown by its leaf and Merkle path), with its stated exit root (if non-zero) equal to that
 * certificate's newLocalExitRoot, a non-zero stated L1 checkpoint is L1's, and every bundle is complete and
 * successful within the batch. BatchSettlementState.plan applies exactly these rules and gives each dependency's
 * locator; the hub (contracts/settlement/BatchSettlement.sol) enforces them.
 */
import { AbiCoder, concat, keccak256, zeroPadValue } from "ethers";
import type { Certificate, CertificateRef } from "./certificate";
import { certificateStatements } from "./settlement";

export type BatchErrorCode =
  | "EMPTY_BATCH"
  | "STALE_TIP"
  | "DEPENDENCY_UNRESOLVED"
  | "DEPENDENCY_EXIT_ROOT"
  | "UNKNOWN_CHECKPOINT"
  | "BUNDLE_FAILED"
  | "BUNDLE_INCOMPLETE";

export class BatchError extends Error {
  constructor(readonly code: BatchErrorCode, readonly slot: number, detail: string) {
    super(`${code} in slot ${slot}: ${detail}`);
    this.name = "BatchError";
  }
}

/** What a batch's leaf commits to: a finalized certificate and its exit root. */
export interface FinalizedLeaf {
  networkId: number;
  height: bigint;
  certificateId: bigint;
  exitRoot: bigint;
}

const coder = AbiCoder.defaultAbiCoder();
const ZERO = zeroPadValue("0x", 32);

export function batchLeaf(l: FinalizedLeaf): string {
  return keccak256(coder.encode(["uint256", "uint256", "uint256", "uint256"], [l.networkId, l.height, l.certificateId, l.exitRoot]));
}

export function tipOf(stateCommitment: bigint, nextHeight: bigint): string {
  return keccak256(coder.encode(["uint256", "uint256"], [stateCommitment, nextHeight]));
}

const node = (left: string, right: string) => keccak256(concat([left, right]));

/** The levels of the padded tree, leaves first (a single leaf is its own root). */
function levels(leaves: readonly string[]): string[][] {
  if (leaves.length === 0) throw new RangeError("a batch root needs at least one leaf");
  let size = 1;
  while (size < leaves.length) size *= 2;
  const out = [[...leaves, ...new Array<string>(size - leaves.length).fill(ZERO)]];
  while (out[out.length - 1].length > 1) {
    const below = out[out.length - 1];
    out.push(Array.from({ length: below.length / 2 }, (_, k) => node(below[2 * k], below[2 * k + 1])));
  }
  return out;
}

export function batchRoot(leaves: readonly string[]): string {
  const l = levels(leaves);
  return l[l.length - 1][0];
}

/** The siblings of leaf `index`, bottom-up. */
export function batchProof(leaves: readonly string[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} of ${leaves.length}`);
  const l = levels(leaves);
  return l.slice(0, -1).map((level, h) => level[(index >> h) ^ 1]);
}

export function verifyBatchProof(leaf: string, index: number, siblings: readonly string[], root: string): boolean {
  let acc = leaf;
  siblings.forEach((s, h) => (acc = (index >> h) & 1 ? node(s, acc) : node(acc, s)));
  return acc === root;
}

/** How a dependency is satisfied: another slot of the batch, or a leaf of an earlier batch. */
export type DependencyLocator =
  | { kind: "slot"; slot: number }
  | { kind: "finalized"; batchId: number; index: number; leaf: FinalizedLeaf; siblings: string[] };

/** One certificate of a batch, as settled: the certificate, its id, and how each of its dependencies is met. */
export interface PlannedSlot {
  certificate: Certificate;
  certificateId: bigint;
  dependencies: DependencyLocator[];
}

export interface BatchPlan {
  batchId: number;
  slots: PlannedSlot[];
  leaves: string[];
  root: string;
}

interface Finalized extends FinalizedLeaf {
  batchId: number;
  index: number;
}

const key = (networkId: number, height: bigint) => `${networkId}:${height}`;

/** L1's settlement state as the model sees it: tips, batches (their leaves) and where each certificate settled. */
export class BatchSettlementState {
  private readonly tips = new Map<number, { stateCommitment: bigint; nextHeight: bigint }>();
  private readonly batches: string[][] = [];
  private readonly finalized = new Map<string, Finalized>();

  constructor(readonly genesisStateCommitment: bigint) {}

  tip(networkId: number): { stateCommitment: bigint; nextHeight: bigint } {
    return this.tips.get(networkId) ?? { stateCommitment: this.genesisStateCommitment, nextHeight: 0n };
  }

  /** The certificate settled at (networkId, height), if any. */
  finalizedAt(networkId: number, height: bigint): Finalized | undefined {
    return this.finalized.get(key(networkId, height));
  }

  get batchCount(): number {
    return this.batches.length;
  }

  batchRoot(batchId: number): string {
    return batchRoot(this.batches[batchId]);
  }

  /**
   * The plan of a batch of `certificates` (with their ids, in slot order) on this state, or a BatchError naming the
   * first slot that breaks a rule. `checkpointRoot(number)` is L1's exit root at that checkpoint, if it exists.
   */
  plan(certificates: readonly { certificate: Certificate; certificateId: bigint }[], checkpointRoot: (n: bigint) => bigint | undefined): BatchPlan {
    if (certificates.length === 0) throw new BatchError("EMPTY_BATCH", 0, "a batch settles at least one certificate");
    const tips = new Map<number, { stateCommitment: bigint; nextHeight: bigint }>();
    const tipOfNow = (n: number) => tips.get(n) ?? this.tip(n);
    const slots: PlannedSlot[] = certificates.map(({ certificate: c, certificateId }, i) => {
      const t = tipOfNow(c.networkId);
      if (c.height !== t.nextHeight || c.prevStateCommitment !== t.stateCommitment) {
        throw new BatchError("STALE_TIP", i, `network ${c.networkId} is at height ${t.nextHeight}; the certificate (height ${c.height}) does not continue its settled state`);
      }
      tips.set(c.networkId, { stateCommitment: c.newStateCommitment, nextHeight: c.height + 1n });
      const st = certificateStatements(c);
      if (st.checkpoint.exitRoot !== 0n && checkpointRoot(st.checkpoint.number) !== st.checkpoint.exitRoot) {
        throw new BatchError("UNKNOWN_CHECKPOINT", i, `L1 has no checkpoint ${st.checkpoint.number} with the stated exit root`);
      }
      const dependencies = c.dependencies.map((d, k) => this.locate(certificates, i, d, st.dependencyExitRoots[k]));
      return { certificate: c, certificateId, dependencies };
    });
    checkBundles(certificates.map((x) => x.certificate));
    const leaves = certificates.map(({ certificate: c, certificateId }) => batchLeaf({ networkId: c.networkId, height: c.height, certificateId, exitRoot: c.newLocalExitRoot }));
    return { batchId: this.batches.length, slots, leaves, root: batchRoot(leaves) };
  }

  private locate(batch: readonly { certificate: Certificate; certificateId: bigint }[], i: number, d: CertificateRef, statedRoot: bigint): DependencyLocator {
    const j = batch.findIndex((x, k) => k !== i && x.certificate.networkId === d.networkId && x.certificate.height === d.height && x.certificateId === d.certificateId);
    if (j >= 0) {
      if (statedRoot !== 0n && statedRoot !== batch[j].certificate.newLocalExitRoot) {
        throw new BatchError("DEPENDENCY_EXIT_ROOT", i, `dependency ${d.networkId}:${d.height} has exit root ${batch[j].certificate.newLocalExitRoot}, not the stated one`);
      }
      return { kind: "slot", slot: j };
    }
    const f = this.finalized.get(key(d.networkId, d.height));
    if (!f || f.certificateId !== d.certificateId) {
      throw new BatchError("DEPENDENCY_UNRESOLVED", i, `dependency ${d.networkId}:${d.height} (${d.certificateId}) is neither in the batch nor finalized`);
    }
    if (statedRoot !== 0n && statedRoot !== f.exitRoot) throw new BatchError("DEPENDENCY_EXIT_ROOT", i, `dependency ${d.networkId}:${d.height} has exit root ${f.exitRoot}, not the stated one`);
    const leaf = { networkId: f.networkId, height: f.height, certificateId: f.certificateId, exitRoot: f.exitRoot };
    return { kind: "finalized", batchId: f.batchId, index: f.index, leaf, siblings: batchProof(this.batches[f.batchId], f.index) };
  }

  /** Records a settled batch (as the hub's events report it): tips, leaves, finalized certificates. */
  apply(plan: BatchPlan): void {
    if (plan.batchId !== this.batches.length) throw new RangeError(`batch ${plan.batchId} planned on another state (next batch is ${this.batches.length})`);
    this.batches.push([...plan.leaves]);
    plan.slots.forEach(({ certificate: c, certificateId }, index) => {
      this.tips.set(c.networkId, { stateCommitment: c.newStateCommitment, nextHeight: c.height + 1n });
      this.finalized.set(key(c.networkId, c.height), { networkId: c.networkId, height: c.height, certificateId, exitRoot: c.newLocalExitRoot, batchId: plan.batchId, index });
    });
  }
}

/** Every bundle with a leg in the batch has all its legs there, exactly once each, all successful, one participant list. */
function checkBundles(certificates: readonly Certificate[]): void {
  const bundles = new Map<bigint, { slot: number; legIndex: number; legCount: number; success: boolean; participants: string }[]>();
  certificates.forEach((c, slot) => {
    for (const b of c.bundles) {
      const list = bundles.get(b.bundleId) ?? [];
      list.push({ slot, legIndex: b.legIndex, legCount: b.legCount, success: b.success, participants: b.participants.join(",") });
      bundles.set(b.bundleId, list);
    }
  });
  for (const legs of bundles.values()) {
    const first = legs[0];
    const failed = legs.find((l) => !l.success);
    if (failed) throw new BatchError("BUNDLE_FAILED", failed.slot, `leg ${failed.legIndex} of a bundle failed`);
    const seen = new Set(legs.map((l) => l.legIndex));
    const consistent = legs.every((l) => l.legCount === first.legCount && l.participants === first.participants);
    if (!consistent || seen.size !== legs.length || legs.length !== first.legCount) {
      throw new BatchError("BUNDLE_INCOMPLETE", first.slot, `a bundle of ${first.legCount} legs has ${legs.length} in the batch (${seen.size} distinct)`);
    }
  }
}

