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
  balanceSlot,
  hashExitLeaf,
  movedToken,
  nullifierDepth,
  splitBytes32,
  tokenKey,
} from "../../lib";
import { CertificateCircuitInput, CertificateShape } from "../../lib/witness";
import type { CircuitSpec } from "../helpers/circuit";

export const P = FIELD_MODULUS;
export const ETHER = 10n ** 18n;

/** Certificate circuit shapes under test (all with TEST_PARAMS: exitDepth 8, balanceDepth 8, networkBits 2). */
export const SHAPE_A: CertificateShape = { maxImports: 1, maxExits: 1, maxDependencies: 1, maxBundles: 1 };
export const SHAPE_B: CertificateShape = { maxImports: 2, maxExits: 2, maxDependencies: 1, maxBundles: 1 };
/** For the dependency and bundle rules (two of each) on CertificateTransition. */
export const SHAPE_C: CertificateShape = { maxImports: 1, maxExits: 1, maxDependencies: 2, maxBundles: 2 };
export const PRODUCTION_SHAPE: CertificateShape = { maxImports: 4, maxExits: 4, maxDependencies: 4, maxBundles: 2 };

export function certificateSpec(template: "CertificateProof" | "CertificateTransition", p: TreeParams, s: CertificateShape): CircuitSpec {
  return { template, params: [p.exitDepth, p.balanceDepth, p.networkBits, s.maxImports, s.maxExits, s.maxDependencies, s.maxBundles] };
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
}

const zeros = (n: number) => new Array<bigint>(n).fill(0n);
const padTo = <T>(xs: T[], n: number, f: () => T): T[] => [...xs, ...Array.from({ length: n - xs.length }, f)];

/**
 * The circuit input a cheating prover would build for `batch` on `state`, with none of the model's refusals:
 * every import and exit is applied in order to a clone of the state, each witness being the true path of
 * the current trees (nullifier proof of the key whatever its value, the slot's real holder and balance, the
 * append path). Balance arithmetic follows the circuit (mod p); a leaf whose new balance is out of range is
 * still written so that later steps have a path. For a valid batch this equals certificateWitness.
 * `slotKeyBefore` overrides let a test claim another holder of a balance slot.
 */
export function forgeInput(
  state: NetworkState,
  batch: ForgedBatch,
  shape: CertificateShape,
  opts: { importSlotKey?: (i: number, real: { key: bigint; holder: bigint; balance: bigint }) => { slotKeyBefore: bigint; balanceBefore: bigint } } = {},
): CertificateCircuitInput {
  const p = state.params;
  const s = state.clone();
  const exitRoot = s.exitRoot;
  const exitCount = BigInt(s.exitTree.count);
  const balanceRoot = s.balances.root();
  const nullifierRoot = s.nullifiers.root();

  type Bal = { slotKeyBefore: bigint; before: bigint; siblings: bigint[] };
  const noBal = (): Bal => ({ slotKeyBefore: 0n, before: 0n, siblings: zeros(p.balanceDepth) });
  const change = (leaf: ExitLeaf, sign: 1n | -1n, override?: (real: { key: bigint; holder: bigint; balance: bigint }) => { slotKeyBefore: bigint; balanceBefore: bigint }): Bal => {
    const token = movedToken(leaf);
    if (!token || token.originNetwork === state.networkId) return noBal();
    const key = tokenKey(token);
    const slot = balanceSlot(key, p.balanceDepth);
    const held = s.balanceBook.get(slot);
    const real = { key, holder: held?.key ?? 0n, balance: held?.balance ?? 0n };
    const claimed = override ? override(real) : { slotKeyBefore: real.holder, balanceBefore: real.balance };
    const siblings = s.balances.proof(slot).siblings;
    const after = (((claimed.balanceBefore + sign * leaf.amount) % P) + P) % P;
    s.balances.set(slot, balanceLeaf(key, after));
    s.balanceBook.set(slot, { token, key, balance: after });
    return { slotKeyBefore: claimed.slotKeyBefore, before: claimed.balanceBefore, siblings };
  };

  const impBal: Bal[] = [];
  const impNull: bigint[][] = [];
  batch.imports.forEach((imp, i) => {
    const key = (BigInt(imp.source.networkId) << BigInt(p.exitDepth)) + BigInt(imp.leafIndex);
    const inRange = key < 1n << BigInt(nullifierDepth(p));
    impNull.push(inRange ? s.nullifiers.proof(key).siblings : zeros(nullifierDepth(p)));
    impBal.push(change(imp.leaf, 1n, opts.importSlotKey ? (real) => opts.importSlotKey!(i, real) : undefined));
    if (inRange) s.nullifiers.set(key, 1n);
  });
  const appendSiblings = s.exitTree.appendProof();
  const exBal = batch.exits.map((leaf) => change(leaf, -1n));

  const nI = shape.maxImports;
  const nE = shape.maxExits;
  const nD = shape.maxDependencies;
  const nB = shape.maxBundles;
  const deps = batch.dependencies ?? [];
  const bundles = batch.bundles ?? [];
  const impCol = (f: (i: ImportedExit) => bigint) => padTo(batch.imports.map(f), nI, () => 0n);
  const exCol = (f: (l: ExitLeaf) => bigint) => padTo(batch.exits.map(f), nE, () => 0n);
  const [hi, lo] = splitBytes32(batch.newStateRoot ?? "0x" + "00".repeat(32));
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
    imp_balSlotKeyBefore: padTo(impBal.map((b) => b.slotKeyBefore), nI, () => 0n),
    imp_balBefore: padTo(impBal.map((b) => b.before), nI, () => 0n),
    imp_balSiblings: padTo(impBal.map((b) => b.siblings), nI, () => zeros(p.balanceDepth)),
    bridgeExitCount: BigInt(batch.exits.length),
    ex_leafType: exCol((l) => BigInt(l.leafType)),
    ex_originNetwork: exCol((l) => BigInt(l.originNetwork)),
    ex_originAddress: exCol((l) => l.originAddress),
    ex_destinationNetwork: exCol((l) => BigInt(l.destinationNetwork)),
    ex_destinationAddress: exCol((l) => l.destinationAddress),
    ex_amount: exCol((l) => l.amount),
    ex_metadataHash: exCol((l) => l.metadataHash),
    ex_balSlotKeyBefore: padTo(exBal.map((b) => b.slotKeyBefore), nE, () => 0n),
    ex_balBefore: padTo(exBal.map((b) => b.before), nE, () => 0n),
    ex_balSiblings: padTo(exBal.map((b) => b.siblings), nE, () => zeros(p.balanceDepth)),
    exitAppendSiblings: appendSiblings,
    dependencyCount: BigInt(deps.length),
    dep_networkId: padTo(deps.map((d) => BigInt(d.networkId)), nD, () => 0n),
    dep_height: padTo(deps.map((d) => d.height), nD, () => 0n),
    dep_certificateId: padTo(deps.map((d) => d.certificateId), nD, () => 0n),
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
export function importStepInput(w: CertificateCircuitInput, i = 0, roots = { nullifierRoot: w.nullifierRoot, balanceRoot: w.balanceRoot }, active = 1n) {
  return {
    networkId: w.networkId,
    active,
    nullifierRoot: roots.nullifierRoot,
    balanceRoot: roots.balanceRoot,
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
    balSlotKeyBefore: w.imp_balSlotKeyBefore[i],
    balBefore: w.imp_balBefore[i],
    balSiblings: w.imp_balSiblings[i],
  };
}

/** ExitStep's input for exit j of a certificate input (running balance root given; for j = 0 after the imports). */
export function exitStepInput(w: CertificateCircuitInput, j: number, balanceRoot: bigint, active = 1n) {
  return {
    networkId: w.networkId,
    active,
    balanceRoot,
    leafType: w.ex_leafType[j],
    originNetwork: w.ex_originNetwork[j],
    originAddress: w.ex_originAddress[j],
    destinationNetwork: w.ex_destinationNetwork[j],
    destinationAddress: w.ex_destinationAddress[j],
    amount: w.ex_amount[j],
    metadataHash: w.ex_metadataHash[j],
    balSlotKeyBefore: w.ex_balSlotKeyBefore[j],
    balBefore: w.ex_balBefore[j],
    balSiblings: w.ex_balSiblings[j],
  };
}
