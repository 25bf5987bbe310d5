/**
 * Shared fixtures of the circuit tests: circuit shapes, source exit trees of other networks, leaf builders,
 * and `forgeInput`, the witness a cheating prover would submit for a batch the model refuses.
 * (No side effects at import: Hardhat loads every .ts file under test/ as a test file.)
 */
import {
  ExitLeaf,
  ExitTree,
  FIELD_MODULUS,
  ImportedExit,
  LeafType,
  NetworkState,
  TokenId,
  TreeParams,
  CertificateRef,
  BundleLeg,
  packParticipants,
  balanceLeaf,
  hashExitLeaf,
  trackedToken,
  nullifierDepth,
  splitBytes32,
  tokenKey,
} from "../../lib";
import { CertificateCircuitInput, CertificateShape } from "../../lib/witness";
import type { CircuitSpec } from "../helpers/circuit";

export const P = FIELD_MODULUS;
export const ETHER = 10n ** 18n;

/** Certificate circuit shapes under test (all with TEST_PARAMS: exitDepth 8, balanceDepth 8, networkBits 2). */
export const SHAPE_A: CertificateShape = { maxImports: 1, maxExits: 1, maxDependencies: 1, maxBundles: 1, maxTokens: 2 };
export const SHAPE_B: CertificateShape = { maxImports: 2, maxExits: 2, maxDependencies: 1, maxBundles: 1, maxTokens: 2 };
/** For the dependency and bundle rules (two of each) on CertificateTransition. */
export const SHAPE_C: CertificateShape = { maxImports: 1, maxExits: 1, maxDependencies: 2, maxBundles: 2, maxTokens: 1 };
/** The production certificate instance's shape (circuits/instances.json certificate_prod). */
export const PRODUCTION_SHAPE: CertificateShape = { maxImports: 16, maxExits: 64, maxDependencies: 8, maxBundles: 2, maxTokens: 4 };

export function certificateSpec(template: "CertificateProof" | "CertificateTransition", p: TreeParams, s: CertificateShape): CircuitSpec {
  return { template, params: [p.exitDepth, p.balanceDepth, p.networkBits, s.maxImports, s.maxExits, s.maxDependencies, s.maxBundles, s.maxTokens] };
}

export function assetLeaf(token: TokenId, destinationNetwork: number, destinationAddress: bigint, amount: bigint, metadataHash = 0n): ExitLeaf {
  return { leafType: LeafType.Asset, originNetwork: token.originNetwork, originAddress: token.originAddress, destinationNetwork, destinationAddress, amount, metadataHash };
}

export function messageLeaf(originNetwork: number, sender: bigint, destinationNetwork: number, target: bigint, value: bigint, metadataHash = 0n): ExitLeaf {
  return { leafType: LeafType.Message, originNetwork, originAddress: sender, destinationNetwork, destinationAddress: target, amount: value, metadataHash };
}

/** Another network's exit tree (or L1's, checkpointed): imports are proven against its current root. */
export class SourceNetwork {
  readonly tree: ExitTree;
  readonly leaves: ExitLeaf[] = [];
  constructor(
    readonly networkId: number,
    readonly params: TreeParams,
    /** What imports name as source: for L1 the checkpoint (0, k, 0), else (networkId, height, certificateId). */
    public ref: CertificateRef = { networkId, height: 0n, certificateId: networkId === 0 ? 0n : 1000n + BigInt(networkId) },
  ) {
    this.tree = new ExitTree(params.exitDepth);
  }
  add(leaf: ExitLeaf): number {
    this.leaves.push(leaf);
    return this.tree.append(hashExitLeaf(leaf));
  }
  /** Import of leaf i against the current root. */
  imp(i: number): ImportedExit {
    return { leaf: this.leaves[i], leafIndex: i, source: { ...this.ref }, sourceExitRoot: this.tree.root(), siblings: this.tree.proof(i).siblings };
  }
}

export interface ForgedBatch {
  height?: bigint;
  newStateRoot?: string;
  imports: ImportedExit[];
  exits: ExitLeaf[];
  dependencies?: CertificateRef[];
  bundles?: BundleLeg[];
  /** Stated exit root per dependency (default: as the model states them, from the imports). */
  dependencyExitRoots?: bigint[];
  /** Stated L1 checkpoint (default: the first L1 import's, or (0, 0)). */
  checkpoint?: { number: bigint; exitRoot: bigint };
}

const zeros = (n: number) => new Array<bigint>(n).fill(0n);
const padTo = <T>(xs: T[], n: number, f: () => T): T[] => [...xs, ...Array.from({ length: n - xs.length }, f)];

/** What a forged token entry claims about its slot (by default the truth, as the model would). */
export interface TokenClaim {
  slot: bigint;
  slotKeyBefore: bigint;
  balanceBefore: bigint;
}

/**
 * The circuit input a cheating prover would build for `batch` on `state`, with none of the model's refusals:
 * imports are applied in order to a clone of the state (nullifier proof of the key whatever its value), the
 * exits' append path taken, and the balance tree updated once per distinct tracked token in order of first
 * appearance (its real slot, or the next unused one; the slot's real holder and balance), with the circuit's
 * arithmetic (mod p): a final balance out of range is still written so that later entries have a path. For a
 * valid batch this equals certificateWitness. `token` overrides let a test claim another slot, holder or
 * balance for listed token t (its real values given).
 */
export function forgeInput(
  state: NetworkState,
  batch: ForgedBatch,
  shape: CertificateShape,
  opts: { token?: (t: number, real: TokenClaim & { key: bigint }) => TokenClaim } = {},
): CertificateCircuitInput {
  const p = state.params;
  const s = state.clone();
  const exitRoot = s.exitRoot;
  const exitCount = BigInt(s.exitTree.count);
  const balanceRoot = s.balances.root();
  const nullifierRoot = s.nullifiers.root();

  // The distinct tracked tokens, in order of first appearance, with their net change (mod p).
  const list: { token: TokenId; key: bigint; net: bigint }[] = [];
  const indexOf = (leaf: ExitLeaf, sign: 1n | -1n): number | null => {
    const token = trackedToken(state.networkId, leaf);
    if (!token) return null;
    const key = tokenKey(token);
    let t = list.findIndex((e) => e.key === key);
    if (t < 0) t = list.push({ token, key, net: 0n }) - 1;
    list[t].net += sign * leaf.amount;
    return t;
  };
  const impSel: (number | null)[] = [];
  const impNull: bigint[][] = [];
  batch.imports.forEach((imp) => {
    const key = (BigInt(imp.source.networkId) << BigInt(p.exitDepth)) + BigInt(imp.leafIndex);
    const inRange = key < 1n << BigInt(nullifierDepth(p));
    impNull.push(inRange ? s.nullifiers.proof(key).siblings : zeros(nullifierDepth(p)));
    impSel.push(indexOf(imp.leaf, 1n));
    if (inRange) s.nullifiers.set(key, 1n);
  });
  const appendSiblings = s.exitTree.appendProof();
  const exSel = batch.exits.map((leaf) => indexOf(leaf, -1n));

  const tok = list.map((e, t) => {
    const slot = s.slotOf(e.key) ?? s.nextFreeSlot() ?? 0n;
    const held = s.balanceBook.get(slot);
    const real = { key: e.key, slot, slotKeyBefore: held?.key ?? 0n, balanceBefore: held?.balance ?? 0n };
    const claimed = opts.token ? opts.token(t, real) : real;
    const siblings = s.balances.proof(claimed.slot).siblings;
    const after = (((claimed.balanceBefore + e.net) % P) + P) % P;
    s.balances.set(claimed.slot, balanceLeaf(e.key, after));
    s.setBalance(claimed.slot, { token: e.token, key: e.key, balance: after });
    return { ...claimed, token: e.token, siblings };
  });
  const sel = (t: number | null) => Array.from({ length: shape.maxTokens }, (_, k) => (k === t ? 1n : 0n));
  const tokCol = (f: (x: (typeof tok)[number]) => bigint) => padTo(tok.map(f), shape.maxTokens, () => 0n);

  const nI = shape.maxImports;
  const nE = shape.maxExits;
  const nD = shape.maxDependencies;
  const nB = shape.maxBundles;
  const deps = batch.dependencies ?? [];
  const bundles = batch.bundles ?? [];
  const impCol = (f: (i: ImportedExit) => bigint) => padTo(batch.imports.map(f), nI, () => 0n);
  const exCol = (f: (l: ExitLeaf) => bigint) => padTo(batch.exits.map(f), nE, () => 0n);
  const [hi, lo] = splitBytes32(batch.newStateRoot ?? "0x" + "00".repeat(32));
  const l1Import = batch.imports.find((i) => i.source.networkId === 0);
  const l1Checkpoint = l1Import ? { number: l1Import.source.height, exitRoot: l1Import.sourceExitRoot } : { number: 0n, exitRoot: 0n };
  return {
    networkId: BigInt(state.networkId),
    height: batch.height ?? 0n,
    revision: 0n,
    newStateRootHi: hi,
    newStateRootLo: lo,
    exitRoot,
    exitCount,
    balanceRoot,
    nullifierRoot,
    importCount: BigInt(batch.imports.length),
    imp_leafType: impCol((i) => BigInt(i.leaf.leafType)),
    imp_originNetwork: impCol((i) => BigInt(i.leaf.originNetwork)),
    imp_originAddress: impCol((i) => i.leaf.originAddress),
    imp_destinationNetwork: impCol((i) => BigInt(i.leaf.destinationNetwork)),
    imp_destinationAddress: impCol((i) => i.leaf.destinationAddress),
    imp_amount: impCol((i) => i.leaf.amount),
    imp_metadataHash: impCol((i) => i.leaf.metadataHash),
    imp_sourceNetwork: impCol((i) => BigInt(i.source.networkId)),
    imp_leafIndex: impCol((i) => BigInt(i.leafIndex)),
    imp_sourceHeight: impCol((i) => i.source.height),
    imp_sourceCertificateId: impCol((i) => i.source.certificateId),
    imp_sourceExitRoot: impCol((i) => i.sourceExitRoot),
    imp_siblings: padTo(batch.imports.map((i) => [...i.siblings]), nI, () => zeros(p.exitDepth)),
    imp_nullifierSiblings: padTo(impNull, nI, () => zeros(nullifierDepth(p))),
    imp_tokenSel: padTo(impSel.map(sel), nI, () => zeros(shape.maxTokens)),
    bridgeExitCount: BigInt(batch.exits.length),
    ex_leafType: exCol((l) => BigInt(l.leafType)),
    ex_originNetwork: exCol((l) => BigInt(l.originNetwork)),
    ex_originAddress: exCol((l) => l.originAddress),
    ex_destinationNetwork: exCol((l) => BigInt(l.destinationNetwork)),
    ex_destinationAddress: exCol((l) => l.destinationAddress),
    ex_amount: exCol((l) => l.amount),
    ex_metadataHash: exCol((l) => l.metadataHash),
    ex_tokenSel: padTo(exSel.map(sel), nE, () => zeros(shape.maxTokens)),
    exitAppendSiblings: appendSiblings,
    tokenCount: BigInt(tok.length),
    tok_originNetwork: tokCol((x) => BigInt(x.token.originNetwork)),
    tok_originAddress: tokCol((x) => x.token.originAddress),
    tok_slot: tokCol((x) => x.slot),
    tok_slotKeyBefore: tokCol((x) => x.slotKeyBefore),
    tok_balBefore: tokCol((x) => x.balanceBefore),
    tok_balSiblings: padTo(tok.map((x) => x.siblings), shape.maxTokens, () => zeros(p.balanceDepth)),
    dependencyCount: BigInt(deps.length),
    dep_networkId: padTo(deps.map((d) => BigInt(d.networkId)), nD, () => 0n),
    dep_height: padTo(deps.map((d) => d.height), nD, () => 0n),
    dep_certificateId: padTo(deps.map((d) => d.certificateId), nD, () => 0n),
    dep_exitRoot: padTo(batch.dependencyExitRoots ?? deps.map((d) => batch.imports.find((i) => i.source.networkId === d.networkId && i.source.height === d.height && i.source.certificateId === d.certificateId)?.sourceExitRoot ?? 0n), nD, () => 0n),
    checkpointNumber: (batch.checkpoint ?? l1Checkpoint).number,
    checkpointExitRoot: (batch.checkpoint ?? l1Checkpoint).exitRoot,
    bundleCount: BigInt(bundles.length),
    bun_bundleId: padTo(bundles.map((b) => b.bundleId), nB, () => 0n),
    bun_legIndex: padTo(bundles.map((b) => BigInt(b.legIndex)), nB, () => 0n),
    bun_legCount: padTo(bundles.map((b) => BigInt(b.legCount)), nB, () => 0n),
    bun_success: padTo(bundles.map((b) => (b.success ? 1n : 0n)), nB, () => 0n),
    bun_participants: padTo(bundles.map((b) => packParticipants(b.participants)), nB, () => 0n),
  };
}

/** A copy of a circuit input with some array entries replaced: `set(input, "imp_amount", 1, 5n)`. */
export function setEntry(input: CertificateCircuitInput, name: keyof CertificateCircuitInput, index: number, value: bigint): CertificateCircuitInput {
  const arr = [...(input[name] as bigint[])];
  arr[index] = value;
  return { ...input, [name]: arr };
}

/** ImportStep's input for import i of a certificate input (running roots given; for i = 0 the state's). */
export function importStepInput(w: CertificateCircuitInput, i = 0, roots = { nullifierRoot: w.nullifierRoot }, active = 1n) {
  return {
    networkId: w.networkId,
    active,
    nullifierRoot: roots.nullifierRoot,
    leafType: w.imp_leafType[i],
    originNetwork: w.imp_originNetwork[i],
    originAddress: w.imp_originAddress[i],
    destinationNetwork: w.imp_destinationNetwork[i],
    destinationAddress: w.imp_destinationAddress[i],
    amount: w.imp_amount[i],
    metadataHash: w.imp_metadataHash[i],
    sourceNetwork: w.imp_sourceNetwork[i],
    leafIndex: w.imp_leafIndex[i],
    sourceHeight: w.imp_sourceHeight[i],
    sourceCertificateId: w.imp_sourceCertificateId[i],
    sourceExitRoot: w.imp_sourceExitRoot[i],
    siblings: w.imp_siblings[i],
    nullifierSiblings: w.imp_nullifierSiblings[i],
  };
}

/** ExitStep's input for exit j of a certificate input. */
export function exitStepInput(w: CertificateCircuitInput, j: number, active = 1n) {
  return {
    networkId: w.networkId,
    active,
    leafType: w.ex_leafType[j],
    originNetwork: w.ex_originNetwork[j],
    originAddress: w.ex_originAddress[j],
    destinationNetwork: w.ex_destinationNetwork[j],
    destinationAddress: w.ex_destinationAddress[j],
    amount: w.ex_amount[j],
    metadataHash: w.ex_metadataHash[j],
  };
}
