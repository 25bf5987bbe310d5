/**
 * Typed access to the JSON test vectors in test/vectors/ (written by scripts/gen-vectors.ts; do not edit them
 * by hand: run `npx ts-node scripts/gen-vectors.ts`, and test/lib/vectors.test.ts fails when they are stale).
 *
 * Encoding in the files: every bigint (field element, uint256, amount, index of a 64-deep SMT...) is a 0x-prefixed
 * lower-case hex string; small integers (network ids, exit-leaf indices, depths, counts) are JSON numbers; exit
 * leaves and certificates use lib/codec.ts (leafToJson / certificateToJson). The `load*` functions below parse
 * all of that back to bigints and model types, so that TS tests and the Solidity contract tests can do e.g.
 *
 *   const { leaves, roots } = loadExitTreeVectors(32);
 *   for (let i = 0; i < leaves.length; i++) { await tree.append(leaves[i]); expect(await tree.root()).to.equal(roots[i]); }
 *
 * Files are read lazily (on each call), so importing this module never fails when a file is missing.
 */
import * as fs from "fs";
import * as path from "path";
import {
  Certificate,
  CertificateRef,
  ExitLeaf,
  ImportInput,
  Json,
  NetworkState,
  SignedCertificate,
  SmtProof,
  SmtUpdate,
  TokenId,
  TreeParams,
  balanceLeaf,
  certificateFromJson,
  leafFromJson,
  tokenKey,
} from "../../lib";

export const VECTORS_DIR = path.join(__dirname, "..", "vectors");

// ---------------------------------------------------------------------------------------------------------
// Raw file shapes (what scripts/gen-vectors.ts writes). `Hex` is a 0x-hex bigint; `Json` parts are lib/codec.ts.

export type Hex = string;

export interface RawFileHeader {
  description: string;
  generatedBy: string;
}

export interface RawPoseidonFile extends RawFileHeader {
  knownAnswers: { inputs: Hex[]; output: Hex; source: string }[];
  zeroHashes: { description: string; values: Hex[] };
}

export interface RawExitLeafFile extends RawFileHeader {
  leaves: { name: string; leaf: Json; metadata: Hex; word: Hex; leafHash: Hex }[];
}

export interface RawMerkleProof {
  index: number;
  leaf: Hex;
  siblings: Hex[];
}

export interface RawExitTree {
  depth: number;
  emptyRoot: Hex;
  leaves: Hex[];
  roots: Hex[];
  proofs: RawMerkleProof[];
}

export interface RawExitTreeFile extends RawFileHeader {
  trees: RawExitTree[];
}

export interface RawSmtProof {
  index: Hex;
  leaf: Hex;
  siblings: Hex[];
}

export interface RawSmtUpdate {
  operation: number;
  index: Hex;
  oldLeaf: Hex;
  newLeaf: Hex;
  siblings: Hex[];
  oldRoot: Hex;
  newRoot: Hex;
}

export interface RawSmt {
  depth: number;
  emptyRoot: Hex;
  operations: { index: Hex; value: Hex; root: Hex }[];
  finalLeaves: { index: Hex; value: Hex }[];
  membershipProofs: RawSmtProof[];
  nonMembershipProofs: RawSmtProof[];
  updateProofs: RawSmtUpdate[];
}

export interface RawSmtFile extends RawFileHeader {
  trees: RawSmt[];
}

export interface RawTokenBalance {
  token: { originNetwork: number; originAddress: Hex };
  balance: Hex;
}

export interface RawSignedHeader {
  certificateId: Hex;
  digest: Hex;
  signature: Hex;
}

export interface RawCertificateEntry extends RawSignedHeader {
  name: string;
  networkId: number;
  height: Hex;
  signer: Hex;
  stateCommitments: { prev: Hex; new: Hex };
  localExitRoots: { prev: Hex; new: Hex };
  /** The proof's public signals (lib/settlement.ts certificatePublicSignals), padded to VECTOR_STATEMENT_SHAPE. */
  publicSignals: Hex[];
  certificate: Json;
  balancesAfter: RawTokenBalance[];
}

export interface RawCertificateFile extends RawFileHeader {
  params: TreeParams;
  domain: { name: string; version: string; chainId: number; verifyingContract: Hex };
  sequencers: { networkId: number; privateKey: Hex; address: Hex }[];
  l1: { networkId: 0; checkpoint: Hex; exitRoot: Hex; leaves: Json[]; leafHashes: Hex[] };
  certificates: RawCertificateEntry[];
  equivocation: { networkId: number; height: Hex; sequencer: Hex; a: RawSignedHeader; b: RawSignedHeader; certificateB: Json };
  rebuild: {
    networkId: number;
    height: Hex;
    rejected: RawSignedHeader & { revision: number };
    rebuilt: RawSignedHeader & { revision: number };
    certificate: Json;
    licence: { signer: Hex; privateKey: Hex; digest: Hex; signature: Hex };
  };
}

export interface RawImport {
  leaf: Json;
  sourceNetwork: number;
  leafIndex: number;
  sourceExitRoot: Hex;
  siblings: Hex[];
}

export type RawAccountingExpect =
  | {
      ok: true;
      stateCommitment: Hex;
      exitRoot: Hex;
      exitCount: number;
      balanceRoot: Hex;
      nullifierRoot: Hex;
      balances: RawTokenBalance[];
    }
  | { ok: false; code: string; item: "import" | "exit"; index: number };

export interface RawAccountingCase {
  name: string;
  networkId: number;
  initialBalances: RawTokenBalance[];
  initialCommitment: Hex;
  steps: { imports: RawImport[]; exits: Json[]; expect: RawAccountingExpect }[];
}

export interface RawAccountingFile extends RawFileHeader {
  params: TreeParams;
  sourceTrees: { networkId: number; root: Hex; leaves: Json[]; leafHashes: Hex[] }[];
  cases: RawAccountingCase[];
}

// ---------------------------------------------------------------------------------------------------------
// Parsing helpers

/** Parses a 0x-hex string (as written by the generator) into a bigint; anything else throws. */
export function hexToBig(x: unknown, what = "value"): bigint {
  if (typeof x !== "string" || !/^0x[0-9a-fA-F]+$/.test(x)) throw new Error(`${what}: expected 0x-hex, got ${JSON.stringify(x)}`);
  return BigInt(x);
}

const bigs = (xs: readonly Hex[], what: string) => xs.map((x, i) => hexToBig(x, `${what}[${i}]`));

/** Reads and JSON-parses test/vectors/<name> (no conversion). */
export function readVectorFile<T = unknown>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, name), "utf8")) as T;
}

// ---------------------------------------------------------------------------------------------------------
// poseidon.json

export interface PoseidonVectors {
  /** Published circomlib/iden3 values (not computed by this project). */
  knownAnswers: { inputs: bigint[]; output: bigint; source: string }[];
  /** zeroHashes[h] = root of an empty tree of height h (h = 0..32), computed by the model. */
  zeroHashes: bigint[];
}

export function loadPoseidonVectors(): PoseidonVectors {
  const f = readVectorFile<RawPoseidonFile>("poseidon.json");
  return {
    knownAnswers: f.knownAnswers.map((k) => ({ inputs: bigs(k.inputs, "inputs"), output: hexToBig(k.output), source: k.source })),
    zeroHashes: bigs(f.zeroHashes.values, "zeroHashes"),
  };
}

// ---------------------------------------------------------------------------------------------------------
// exit-leaves.json

export interface ExitLeafVector {
  name: string;
  leaf: ExitLeaf;
  /** The bytes whose fieldKeccak is leaf.metadataHash (0x-hex, "0x" for empty). */
  metadata: string;
  /** packLeafWord(leaf): leafType + originNetwork * 2^8 + destinationNetwork * 2^40 + amount * 2^72. */
  word: bigint;
  /** hashExitLeaf(leaf). */
  leafHash: bigint;
}

export function loadExitLeafVectors(): ExitLeafVector[] {
  const f = readVectorFile<RawExitLeafFile>("exit-leaves.json");
  return f.leaves.map((v) => ({ name: v.name, leaf: leafFromJson(v.leaf), metadata: v.metadata, word: hexToBig(v.word), leafHash: hexToBig(v.leafHash) }));
}

// ---------------------------------------------------------------------------------------------------------
// exit-tree.json

export interface MerkleProofVector {
  index: number;
  leaf: bigint;
  /** Bottom-up siblings; verified against the final root (roots[roots.length - 1]). */
  siblings: bigint[];
}

export interface ExitTreeVectors {
  depth: number;
  leaves: bigint[];
  /** roots[i] = root after appending leaves[0..i]. */
  roots: bigint[];
  emptyRoot: bigint;
  proofs: MerkleProofVector[];
}

function parseExitTree(t: RawExitTree): ExitTreeVectors {
  return {
    depth: t.depth,
    leaves: bigs(t.leaves, "leaves"),
    roots: bigs(t.roots, "roots"),
    emptyRoot: hexToBig(t.emptyRoot),
    proofs: t.proofs.map((p) => ({ index: p.index, leaf: hexToBig(p.leaf), siblings: bigs(p.siblings, "siblings") })),
  };
}

/** The exit-tree vectors of one depth (32 = production, 8 = TEST_PARAMS). */
export function loadExitTreeVectors(depth: number = 32): ExitTreeVectors {
  const t = readVectorFile<RawExitTreeFile>("exit-tree.json").trees.find((x) => x.depth === depth);
  if (!t) throw new Error(`exit-tree.json has no tree of depth ${depth}`);
  return parseExitTree(t);
}

export function loadAllExitTreeVectors(): ExitTreeVectors[] {
  return readVectorFile<RawExitTreeFile>("exit-tree.json").trees.map(parseExitTree);
}

// ---------------------------------------------------------------------------------------------------------
// smt.json

export interface SmtVectors {
  depth: number;
  emptyRoot: bigint;
  /** set(index, value) in order (value 0 deletes); root = root after that set. */
  operations: { index: bigint; value: bigint; root: bigint }[];
  /** The non-zero leaves after all operations. */
  finalLeaves: { index: bigint; value: bigint }[];
  /** Against the final root. */
  membershipProofs: SmtProof[];
  /** leaf == 0, against the final root. */
  nonMembershipProofs: SmtProof[];
  /** Update proofs of some operations (`operation` indexes `operations`). */
  updateProofs: (SmtUpdate & { operation: number })[];
}

function parseSmtProof(p: RawSmtProof): SmtProof {
  return { index: hexToBig(p.index), leaf: hexToBig(p.leaf), siblings: bigs(p.siblings, "siblings") };
}

function parseSmt(t: RawSmt): SmtVectors {
  return {
    depth: t.depth,
    emptyRoot: hexToBig(t.emptyRoot),
    operations: t.operations.map((o) => ({ index: hexToBig(o.index), value: hexToBig(o.value), root: hexToBig(o.root) })),
    finalLeaves: t.finalLeaves.map((o) => ({ index: hexToBig(o.index), value: hexToBig(o.value) })),
    membershipProofs: t.membershipProofs.map(parseSmtProof),
    nonMembershipProofs: t.nonMembershipProofs.map(parseSmtProof),
    updateProofs: t.updateProofs.map((u) => ({
      operation: u.operation,
      index: hexToBig(u.index),
      oldLeaf: hexToBig(u.oldLeaf),
      newLeaf: hexToBig(u.newLeaf),
      siblings: bigs(u.siblings, "siblings"),
      oldRoot: hexToBig(u.oldRoot),
      newRoot: hexToBig(u.newRoot),
    })),
  };
}

/** The SMT vectors of one depth (64 = production balance/nullifier depth, 8 = small). */
export function loadSmtVectors(depth: number = 64): SmtVectors {
  const t = readVectorFile<RawSmtFile>("smt.json").trees.find((x) => x.depth === depth);
  if (!t) throw new Error(`smt.json has no tree of depth ${depth}`);
  return parseSmt(t);
}

export function loadAllSmtVectors(): SmtVectors[] {
  return readVectorFile<RawSmtFile>("smt.json").trees.map(parseSmt);
}

// ---------------------------------------------------------------------------------------------------------
// certificates.json

export interface TokenBalance {
  token: TokenId;
  balance: bigint;
}

function parseBalances(xs: readonly RawTokenBalance[]): TokenBalance[] {
  return xs.map((b) => ({ token: { originNetwork: b.token.originNetwork, originAddress: hexToBig(b.token.originAddress) }, balance: hexToBig(b.balance) }));
}

export interface SignedHeaderVector {
  certificateId: bigint;
  /** EIP-712 digest (bytes32 hex) of Certificate(networkId, height, certificateId) under `domain`. */
  digest: string;
  /** 65-byte r || s || v signature of the digest by the network's sequencer. */
  signature: string;
}

export interface CertificateVector extends SignedHeaderVector {
  name: string;
  networkId: number;
  height: bigint;
  /** Address of the sequencer that signed (checksummed). */
  signer: string;
  stateCommitments: { prev: bigint; new: bigint };
  localExitRoots: { prev: bigint; new: bigint };
  publicSignals: bigint[];
  /** Decoded with certificateFromJson (so validated); carries `signature`. */
  certificate: SignedCertificate;
  /** The network's balance tree entries after the certificate, by slot. */
  balancesAfter: TokenBalance[];
}

export interface CertificateVectors {
  params: TreeParams;
  domain: { name: string; version: string; chainId: number; verifyingContract: string };
  sequencers: { networkId: number; privateKey: string; address: string }[];
  l1: { checkpoint: bigint; exitRoot: bigint; leaves: ExitLeaf[]; leafHashes: bigint[]; ref: CertificateRef };
  certificates: CertificateVector[];
  /** Two headers for one (networkId, height) with different ids, both signed by that network's sequencer. */
  equivocation: { networkId: number; height: bigint; sequencer: string; a: SignedHeaderVector; b: SignedHeaderVector; certificateB: Certificate };
  /**
   * A rebuild (docs/protocol.md §5): revision 0 at (networkId, height) rejected by the layer, revision 1 signed
   * by the same sequencer, and the licence: the layer key's EIP-712 Rejection(networkId, height, 0).
   */
  rebuild: {
    networkId: number;
    height: bigint;
    rejected: SignedHeaderVector & { revision: number };
    rebuilt: SignedHeaderVector & { revision: number };
    certificate: Certificate;
    licence: { signer: string; privateKey: string; digest: string; signature: string };
  };
}

function parseHeader(h: RawSignedHeader): SignedHeaderVector {
  return { certificateId: hexToBig(h.certificateId), digest: h.digest, signature: h.signature };
}

export function loadCertificateVectors(): CertificateVectors {
  const f = readVectorFile<RawCertificateFile>("certificates.json");
  const checkpoint = hexToBig(f.l1.checkpoint);
  return {
    params: f.params,
    domain: f.domain,
    sequencers: f.sequencers,
    l1: {
      checkpoint,
      exitRoot: hexToBig(f.l1.exitRoot),
      leaves: f.l1.leaves.map((l, i) => leafFromJson(l, `l1.leaves[${i}]`)),
      leafHashes: bigs(f.l1.leafHashes, "l1.leafHashes"),
      ref: { networkId: 0, height: checkpoint, certificateId: 0n },
    },
    certificates: f.certificates.map((c) => {
      const certificate = certificateFromJson(c.certificate);
      if (!("signature" in certificate)) throw new Error(`certificate ${c.name} has no signature`);
      return {
        ...parseHeader(c),
        name: c.name,
        networkId: c.networkId,
        height: hexToBig(c.height),
        signer: c.signer,
        stateCommitments: { prev: hexToBig(c.stateCommitments.prev), new: hexToBig(c.stateCommitments.new) },
        localExitRoots: { prev: hexToBig(c.localExitRoots.prev), new: hexToBig(c.localExitRoots.new) },
        publicSignals: c.publicSignals.map((x) => hexToBig(x)),
        certificate,
        balancesAfter: parseBalances(c.balancesAfter),
      };
    }),
    equivocation: {
      networkId: f.equivocation.networkId,
      height: hexToBig(f.equivocation.height),
      sequencer: f.equivocation.sequencer,
      a: parseHeader(f.equivocation.a),
      b: parseHeader(f.equivocation.b),
      certificateB: certificateFromJson(f.equivocation.certificateB),
    },
    rebuild: {
      networkId: f.rebuild.networkId,
      height: hexToBig(f.rebuild.height),
      rejected: { ...parseHeader(f.rebuild.rejected), revision: f.rebuild.rejected.revision },
      rebuilt: { ...parseHeader(f.rebuild.rebuilt), revision: f.rebuild.rebuilt.revision },
      certificate: certificateFromJson(f.rebuild.certificate),
      licence: f.rebuild.licence,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// accounting.json

export type AccountingExpect =
  | { ok: true; stateCommitment: bigint; exitRoot: bigint; exitCount: number; balanceRoot: bigint; nullifierRoot: bigint; balances: TokenBalance[] }
  | { ok: false; code: string; item: "import" | "exit"; index: number };

export interface AccountingStep {
  imports: ImportInput[];
  exits: ExitLeaf[];
  expect: AccountingExpect;
}

/**
 * One applyTransition scenario: start from an empty NetworkState(networkId, params), seed initialBalances
 * (seedBalance), check initialCommitment, then apply the steps in order. Every step but possibly the last
 * succeeds; a refused step leaves the state (and its commitment) as it was.
 */
export interface AccountingCase {
  name: string;
  networkId: number;
  initialBalances: TokenBalance[];
  initialCommitment: bigint;
  steps: AccountingStep[];
}

export interface AccountingVectors {
  params: TreeParams;
  sourceTrees: { networkId: number; root: bigint; leaves: ExitLeaf[]; leafHashes: bigint[] }[];
  cases: AccountingCase[];
}

export function parseImport(x: RawImport, where = "import"): ImportInput {
  return {
    leaf: leafFromJson(x.leaf, `${where}.leaf`),
    sourceNetwork: x.sourceNetwork,
    leafIndex: x.leafIndex,
    sourceExitRoot: hexToBig(x.sourceExitRoot),
    siblings: bigs(x.siblings, `${where}.siblings`),
  };
}

export function loadAccountingVectors(): AccountingVectors {
  const f = readVectorFile<RawAccountingFile>("accounting.json");
  return {
    params: f.params,
    sourceTrees: f.sourceTrees.map((t) => ({
      networkId: t.networkId,
      root: hexToBig(t.root),
      leaves: t.leaves.map((l) => leafFromJson(l)),
      leafHashes: bigs(t.leafHashes, "leafHashes"),
    })),
    cases: f.cases.map((c) => ({
      name: c.name,
      networkId: c.networkId,
      initialBalances: parseBalances(c.initialBalances),
      initialCommitment: hexToBig(c.initialCommitment),
      steps: c.steps.map((s, k) => ({
        imports: s.imports.map((m, i) => parseImport(m, `${c.name}.steps[${k}].imports[${i}]`)),
        exits: s.exits.map((l, i) => leafFromJson(l, `${c.name}.steps[${k}].exits[${i}]`)),
        expect: s.expect.ok
          ? {
              ok: true as const,
              stateCommitment: hexToBig(s.expect.stateCommitment),
              exitRoot: hexToBig(s.expect.exitRoot),
              exitCount: s.expect.exitCount,
              balanceRoot: hexToBig(s.expect.balanceRoot),
              nullifierRoot: hexToBig(s.expect.nullifierRoot),
              balances: parseBalances(s.expect.balances),
            }
          : { ok: false as const, code: s.expect.code, item: s.expect.item, index: s.expect.index },
      })),
    })),
  };
}

/**
 * Puts `balance` of `token` straight into a state's balance tree and book (no transition), in the token's slot or
 * the next unused one: how vectors and tests start from balances that no sequence of < 2^128 credits could reach
 * in reasonable time (e.g. near 2^192), or from a full balance tree. Throws if every slot is taken.
 */
export function seedBalance(state: NetworkState, token: TokenId, balance: bigint): void {
  const key = tokenKey(token);
  const slot = state.slotOf(key) ?? state.nextFreeSlot();
  if (slot === null) throw new Error("every balance slot is taken");
  state.balances.set(slot, balanceLeaf(key, balance));
  state.setBalance(slot, { token: { ...token }, key, balance });
}

/** The balance book of a state as (token, balance) pairs sorted by slot (the order the vectors use). */
export function balancesOf(state: NetworkState): TokenBalance[] {
  return [...state.balanceBook.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ token: { originNetwork: e.token.originNetwork, originAddress: e.token.originAddress }, balance: e.balance }));
}
