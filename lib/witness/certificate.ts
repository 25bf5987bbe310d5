/**
 * Witness builder of the certificate circuit (circuits/CertificateTransition.circom, CertificateProof.circom):
 * turns a certificate built by the model (lib/certificate-builder.ts) and the state it was built on into the
 * circuit's input signals, lists padded with all-zero entries to the circuit's capacities.
 *
 * Every value comes from the model: the certificate's fields, and the transition's steps (lib/accounting.ts
 * ImportStep / ExitStep: nullifier SmtUpdates, appendSiblings, the token each item moves; TokenChange: slot,
 * slotKeyBefore, balance SmtUpdates). Nothing is re-hashed here.
 */
import { TokenChange } from "../accounting";
import { BuiltCertificate } from "../certificate-builder";
import { packParticipants, revisionOf } from "../certificate";
import { ExitLeaf } from "../exit-leaf";
import { splitBytes32 } from "../field";
import { NetworkState } from "../network-state";
import { certificateStatements } from "../settlement";
import { TreeParams, nullifierDepth } from "../params";

/** List capacities of a certificate circuit instance (circuits/instances.json). */
export interface CertificateShape {
  maxImports: number;
  maxExits: number;
  maxDependencies: number;
  maxBundles: number;
  /** Distinct tracked tokens one certificate may move (lib/accounting.ts movedTokens). */
  maxTokens: number;
}

export const SHAPE_KEYS: readonly (keyof CertificateShape)[] = Object.freeze(["maxImports", "maxExits", "maxDependencies", "maxBundles", "maxTokens"] as const);

/** The shape's capacities, copied from any object that has them (instance params, configuration). */
export function shapeOf(p: CertificateShape): CertificateShape {
  return { maxImports: p.maxImports, maxExits: p.maxExits, maxDependencies: p.maxDependencies, maxBundles: p.maxBundles, maxTokens: p.maxTokens };
}

export type CertificateWitnessErrorCode =
  | "BAD_SHAPE"
  | "TOO_MANY_IMPORTS"
  | "TOO_MANY_EXITS"
  | "TOO_MANY_DEPENDENCIES"
  | "TOO_MANY_BUNDLES"
  | "TOO_MANY_TOKENS"
  | "STATE_MISMATCH";

export class CertificateWitnessError extends Error {
  constructor(
    readonly code: CertificateWitnessErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = "CertificateWitnessError";
  }
}

/**
 * The input signals of CertificateTransition / CertificateProof, by name. Every value is a field element
 * (bigint); arrays have the circuit's capacity (maxImports, ...) and, for paths, the tree depth.
 */
export type CertificateCircuitInput = {
  networkId: bigint;
  height: bigint;
  revision: bigint;
  newStateRootHi: bigint;
  newStateRootLo: bigint;
  exitRoot: bigint;
  exitCount: bigint;
  balanceRoot: bigint;
  nullifierRoot: bigint;

  importCount: bigint;
  imp_leafType: bigint[];
  imp_originNetwork: bigint[];
  imp_originAddress: bigint[];
  imp_destinationNetwork: bigint[];
  imp_destinationAddress: bigint[];
  imp_amount: bigint[];
  imp_metadataHash: bigint[];
  imp_sourceNetwork: bigint[];
  imp_leafIndex: bigint[];
  imp_sourceHeight: bigint[];
  imp_sourceCertificateId: bigint[];
  imp_sourceExitRoot: bigint[];
  /** [maxImports][exitDepth] */
  imp_siblings: bigint[][];
  /** [maxImports][networkBits + exitDepth] */
  imp_nullifierSiblings: bigint[][];
  /** [maxImports][maxTokens]: one-hot on the listed token the import credits, all zero if none. */
  imp_tokenSel: bigint[][];

  bridgeExitCount: bigint;
  ex_leafType: bigint[];
  ex_originNetwork: bigint[];
  ex_originAddress: bigint[];
  ex_destinationNetwork: bigint[];
  ex_destinationAddress: bigint[];
  ex_amount: bigint[];
  ex_metadataHash: bigint[];
  /** [maxExits][maxTokens]: one-hot on the listed token the exit debits, all zero if none. */
  ex_tokenSel: bigint[][];
  /** Siblings of slot exitCount in the exit tree before the batch. */
  exitAppendSiblings: bigint[];

  tokenCount: bigint;
  tok_originNetwork: bigint[];
  tok_originAddress: bigint[];
  tok_slot: bigint[];
  tok_slotKeyBefore: bigint[];
  tok_balBefore: bigint[];
  /** [maxTokens][balanceDepth]: siblings in the tree as the earlier entries left it. */
  tok_balSiblings: bigint[][];

  dependencyCount: bigint;
  dep_networkId: bigint[];
  dep_height: bigint[];
  dep_certificateId: bigint[];
  /** The exit root the imports use for each dependency, 0 if none names it (lib/settlement.ts). */
  dep_exitRoot: bigint[];
  /** The L1 checkpoint of the L1 imports, (0, 0) without one. */
  checkpointNumber: bigint;
  checkpointExitRoot: bigint;

  bundleCount: bigint;
  bun_bundleId: bigint[];
  bun_legIndex: bigint[];
  bun_legCount: bigint[];
  bun_success: bigint[];
  bun_participants: bigint[];
};

/** The input signal names, in the order CertificateTransition declares them. */
export const CERTIFICATE_INPUT_SIGNALS: readonly (keyof CertificateCircuitInput)[] = Object.freeze([
  "networkId", "height", "revision", "newStateRootHi", "newStateRootLo", "exitRoot", "exitCount", "balanceRoot", "nullifierRoot",
  "importCount", "imp_leafType", "imp_originNetwork", "imp_originAddress", "imp_destinationNetwork", "imp_destinationAddress",
  "imp_amount", "imp_metadataHash", "imp_sourceNetwork", "imp_leafIndex", "imp_sourceHeight", "imp_sourceCertificateId",
  "imp_sourceExitRoot", "imp_siblings", "imp_nullifierSiblings", "imp_tokenSel",
  "bridgeExitCount", "ex_leafType", "ex_originNetwork", "ex_originAddress", "ex_destinationNetwork", "ex_destinationAddress",
  "ex_amount", "ex_metadataHash", "ex_tokenSel", "exitAppendSiblings",
  "tokenCount", "tok_originNetwork", "tok_originAddress", "tok_slot", "tok_slotKeyBefore", "tok_balBefore", "tok_balSiblings",
  "dependencyCount", "dep_networkId", "dep_height", "dep_certificateId", "dep_exitRoot", "checkpointNumber", "checkpointExitRoot",
  "bundleCount", "bun_bundleId", "bun_legIndex", "bun_legCount", "bun_success", "bun_participants",
] as (keyof CertificateCircuitInput)[]);

function checkShape(shape: CertificateShape): void {
  for (const k of SHAPE_KEYS) {
    if (!Number.isInteger(shape[k]) || shape[k] < 1) throw new CertificateWitnessError("BAD_SHAPE", `${k} = ${shape[k]}, must be an integer >= 1`);
  }
}

/** `values` padded with `fill()` to `length`. */
function pad<T>(values: readonly T[], length: number, fill: () => T): T[] {
  return [...values, ...Array.from({ length: length - values.length }, fill)];
}

const zeros = (n: number): bigint[] => new Array<bigint>(n).fill(0n);

function leafColumns(leaves: readonly ExitLeaf[], n: number) {
  const col = (f: (l: ExitLeaf) => bigint) => pad(leaves.map(f), n, () => 0n);
  return {
    leafType: col((l) => BigInt(l.leafType)),
    originNetwork: col((l) => BigInt(l.originNetwork)),
    originAddress: col((l) => l.originAddress),
    destinationNetwork: col((l) => BigInt(l.destinationNetwork)),
    destinationAddress: col((l) => l.destinationAddress),
    amount: col((l) => l.amount),
    metadataHash: col((l) => l.metadataHash),
  };
}

/** One-hot selectors on the listed token each item moves (all zero for an item that moves none). */
function tokenSelectors(steps: readonly { tokenIndex: number | null }[], n: number, maxTokens: number): bigint[][] {
  const row = (index: number | null) => Array.from({ length: maxTokens }, (_, t) => (t === index ? 1n : 0n));
  return pad(steps.map((s) => row(s.tokenIndex)), n, () => zeros(maxTokens));
}

/** The token list and its balance witnesses, padded to maxTokens. */
function tokenColumns(tokens: readonly TokenChange[], maxTokens: number, balanceDepth: number) {
  const col = (f: (t: TokenChange) => bigint) => pad(tokens.map(f), maxTokens, () => 0n);
  return {
    tokenCount: BigInt(tokens.length),
    tok_originNetwork: col((t) => BigInt(t.token.originNetwork)),
    tok_originAddress: col((t) => t.token.originAddress),
    tok_slot: col((t) => t.slot),
    tok_slotKeyBefore: col((t) => t.slotKeyBefore),
    tok_balBefore: col((t) => t.before),
    tok_balSiblings: pad(tokens.map((t) => [...t.update.siblings]), maxTokens, () => zeros(balanceDepth)),
  };
}

/**
 * The circuit input for `built` (from buildCertificate(prevState, ...)) on `prevState`, padded to `shape`.
 * Throws CertificateWitnessError when a list exceeds its capacity (TOO_MANY_*), the shape is invalid
 * (BAD_SHAPE), or `built` was not built on `prevState` (STATE_MISMATCH).
 */
export function certificateWitness(prevState: NetworkState, built: BuiltCertificate, shape: CertificateShape): CertificateCircuitInput {
  checkShape(shape);
  const c = built.certificate;
  const t = built.transition;
  const params: TreeParams = prevState.params;

  if (c.networkId !== prevState.networkId) throw new CertificateWitnessError("STATE_MISMATCH", `certificate of network ${c.networkId}, state of ${prevState.networkId}`);
  if (c.prevStateCommitment !== prevState.commitment()) throw new CertificateWitnessError("STATE_MISMATCH", "the certificate was not built on this state");
  if (t.imports.length !== c.importedExits.length || t.exits.length !== c.bridgeExits.length) {
    throw new CertificateWitnessError("STATE_MISMATCH", "the transition does not match the certificate's lists");
  }
  const over = (what: CertificateWitnessErrorCode, n: number, max: number) => {
    if (n > max) throw new CertificateWitnessError(what, `${n} > capacity ${max}`);
  };
  over("TOO_MANY_IMPORTS", c.importedExits.length, shape.maxImports);
  over("TOO_MANY_EXITS", c.bridgeExits.length, shape.maxExits);
  over("TOO_MANY_DEPENDENCIES", c.dependencies.length, shape.maxDependencies);
  over("TOO_MANY_BUNDLES", c.bundles.length, shape.maxBundles);
  over("TOO_MANY_TOKENS", t.tokens.length, shape.maxTokens);

  const nI = shape.maxImports;
  const nE = shape.maxExits;
  const nD = shape.maxDependencies;
  const nB = shape.maxBundles;
  const [newStateRootHi, newStateRootLo] = splitBytes32(c.newStateRoot);
  const statements = certificateStatements(c);

  const imports = c.importedExits;
  const impLeaves = leafColumns(imports.map((i) => i.leaf), nI);
  const exLeaves = leafColumns(c.bridgeExits, nE);
  const importCol = (f: (i: (typeof imports)[number]) => bigint) => pad(imports.map(f), nI, () => 0n);

  return {
    networkId: BigInt(c.networkId),
    height: c.height,
    revision: BigInt(revisionOf(c)),
    newStateRootHi,
    newStateRootLo,
    exitRoot: prevState.exitRoot,
    exitCount: BigInt(prevState.exitTree.count),
    balanceRoot: prevState.balances.root(),
    nullifierRoot: prevState.nullifiers.root(),

    importCount: BigInt(imports.length),
    imp_leafType: impLeaves.leafType,
    imp_originNetwork: impLeaves.originNetwork,
    imp_originAddress: impLeaves.originAddress,
    imp_destinationNetwork: impLeaves.destinationNetwork,
    imp_destinationAddress: impLeaves.destinationAddress,
    imp_amount: impLeaves.amount,
    imp_metadataHash: impLeaves.metadataHash,
    imp_sourceNetwork: importCol((i) => BigInt(i.source.networkId)),
    imp_leafIndex: importCol((i) => BigInt(i.leafIndex)),
    imp_sourceHeight: importCol((i) => i.source.height),
    imp_sourceCertificateId: importCol((i) => i.source.certificateId),
    imp_sourceExitRoot: importCol((i) => i.sourceExitRoot),
    imp_siblings: pad(imports.map((i) => [...i.siblings]), nI, () => zeros(params.exitDepth)),
    imp_nullifierSiblings: pad(t.imports.map((s) => [...s.nullifier.siblings]), nI, () => zeros(nullifierDepth(params))),
    imp_tokenSel: tokenSelectors(t.imports, nI, shape.maxTokens),

    bridgeExitCount: BigInt(c.bridgeExits.length),
    ex_leafType: exLeaves.leafType,
    ex_originNetwork: exLeaves.originNetwork,
    ex_originAddress: exLeaves.originAddress,
    ex_destinationNetwork: exLeaves.destinationNetwork,
    ex_destinationAddress: exLeaves.destinationAddress,
    ex_amount: exLeaves.amount,
    ex_metadataHash: exLeaves.metadataHash,
    ex_tokenSel: tokenSelectors(t.exits, nE, shape.maxTokens),
    // Imports do not touch the exit tree: the first exit's append path is the one of the old tree; with no
    // exit, the circuit still checks the (empty) slot exitCount against the old root.
    exitAppendSiblings: t.exits.length > 0 ? [...t.exits[0].appendSiblings] : prevState.exitTree.appendProof(),
    ...tokenColumns(t.tokens, shape.maxTokens, params.balanceDepth),

    dependencyCount: BigInt(c.dependencies.length),
    dep_networkId: pad(c.dependencies.map((d) => BigInt(d.networkId)), nD, () => 0n),
    dep_height: pad(c.dependencies.map((d) => d.height), nD, () => 0n),
    dep_certificateId: pad(c.dependencies.map((d) => d.certificateId), nD, () => 0n),
    dep_exitRoot: pad(statements.dependencyExitRoots, nD, () => 0n),
    checkpointNumber: statements.checkpoint.number,
    checkpointExitRoot: statements.checkpoint.exitRoot,

    bundleCount: BigInt(c.bundles.length),
    bun_bundleId: pad(c.bundles.map((b) => b.bundleId), nB, () => 0n),
    bun_legIndex: pad(c.bundles.map((b) => BigInt(b.legIndex)), nB, () => 0n),
    bun_legCount: pad(c.bundles.map((b) => BigInt(b.legCount)), nB, () => 0n),
    bun_success: pad(c.bundles.map((b) => (b.success ? 1n : 0n)), nB, () => 0n),
    bun_participants: pad(c.bundles.map((b) => packParticipants(b.participants)), nB, () => 0n),
  };
}

/** The same input with every value as a decimal string (JSON for snarkjs' CLI or a prover service). */
export function circuitInputToJson(input: Record<string, unknown>): Record<string, unknown> {
  const conv = (v: unknown): unknown => (Array.isArray(v) ? v.map(conv) : typeof v === "bigint" ? v.toString() : v);
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, conv(v)]));
}
