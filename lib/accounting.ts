/**
 * Chain-level accounting: the rule the certificate circuit enforces, written once.
 *
 * applyTransition applies a certificate's imported exits (first, in order) and then its bridge exits (in order)
 * to a network's state. It refuses, with a typed AccountingError and without touching the input state:
 *  - an asset exit or import of amount 0 (ZERO_AMOUNT): it moves nothing, yet names a token (with its metadata)
 *    that the network need not hold; a message of value 0 is a plain call and is accepted;
 *  - an exit whose destination is the network itself (SELF_EXIT), or a message exit whose origin is not it
 *    (MESSAGE_ORIGIN_MISMATCH);
 *  - an exit of a token not native to the network that would take its balance below zero (OVERDRAW, named at
 *    the first exit where the running balance goes below zero);
 *  - an import whose destination is another network (WRONG_DESTINATION) or whose source is the network itself
 *    (SELF_IMPORT), a message import whose origin is not its source network (MESSAGE_ORIGIN_MISMATCH);
 *  - an import already imported, in an earlier certificate or earlier in this one (DOUBLE_IMPORT);
 *  - an import whose Merkle proof does not lead to the named source exit root (INVALID_IMPORT_PROOF);
 *  - a token whose balance would end above 2^192 - 1 (BALANCE_OVERFLOW, named at its last import), a new token
 *    when every balance slot is taken (BALANCE_TREE_FULL), a full exit tree (EXIT_TREE_FULL), out-of-range
 *    fields (INVALID_LEAF, OUT_OF_RANGE).
 * Tokens native to the network (originNetwork == networkId) are not tracked: the network is their origin.
 * An asset moves token (originNetwork, originAddress); a message's value moves the sender network's gas coin
 * (originNetwork, 0).
 *
 * Balances are changed once per token, not once per item (docs/protocol.md §6): the certificate's distinct
 * tracked tokens, in order of first appearance, each get before + sum(its imports) - sum(its exits). Imports come
 * before exits, so that final balance is >= 0 exactly when no running balance ever goes below zero: the rule is
 * the same as applying the items one by one.
 */
import { ExitLeaf, LeafType, hashExitLeaf, validateLeaf, InvalidLeafError } from "./exit-leaf";
import { NetworkState, NULLIFIER_SET } from "./network-state";
import { SmtUpdate } from "./smt";
import { computeMerkleRoot } from "./exit-tree";
import { BALANCE_BITS } from "./params";
import { TokenId, balanceLeaf, tokenKey } from "./token";

export type AccountingErrorCode =
  | "ZERO_AMOUNT"
  | "OVERDRAW"
  | "DOUBLE_IMPORT"
  | "WRONG_DESTINATION"
  | "SELF_EXIT"
  | "SELF_IMPORT"
  | "MESSAGE_ORIGIN_MISMATCH"
  | "INVALID_IMPORT_PROOF"
  | "BALANCE_OVERFLOW"
  | "BALANCE_TREE_FULL"
  | "EXIT_TREE_FULL"
  | "INVALID_LEAF"
  | "OUT_OF_RANGE";

export class AccountingError extends Error {
  constructor(
    readonly code: AccountingErrorCode,
    readonly item: "import" | "exit",
    readonly index: number,
    detail: string,
  ) {
    super(`${code} at ${item} ${index}: ${detail}`);
    this.name = "AccountingError";
  }
}

/** An exit of another network to import, with its proof against that network's exit root. */
export interface ImportInput {
  leaf: ExitLeaf;
  sourceNetwork: number;
  leafIndex: number;
  sourceExitRoot: bigint;
  siblings: bigint[];
}

/**
 * The change of one tracked token's balance over the whole certificate, with the preimages a circuit needs.
 * Changes are listed in order of the token's first appearance (imports, then exits) and applied to the balance
 * tree in that order.
 */
export interface TokenChange {
  token: TokenId;
  key: bigint;
  /** The balance tree slot that holds the token (its old slot, or the next unused one for a new token). */
  slot: bigint;
  /** Token key that held the slot before (0 if the slot was unused). */
  slotKeyBefore: bigint;
  before: bigint;
  /** Sum of the certificate's imports of the token. */
  credit: bigint;
  /** Sum of the certificate's exits of the token. */
  debit: bigint;
  after: bigint;
  update: SmtUpdate;
}

export interface ImportStep {
  leafHash: bigint;
  nullifier: SmtUpdate;
  /** Index into TransitionResult.tokens of the token this import credits; null when it moves no tracked token. */
  tokenIndex: number | null;
}

export interface ExitStep {
  leafHash: bigint;
  leafIndex: number;
  exitRootBefore: bigint;
  appendSiblings: bigint[];
  /** Index into TransitionResult.tokens of the token this exit debits; null when it moves no tracked token. */
  tokenIndex: number | null;
}

export interface TransitionResult {
  state: NetworkState;
  imports: ImportStep[];
  exits: ExitStep[];
  /** One change per distinct tracked token, in order of first appearance. */
  tokens: TokenChange[];
}

const BALANCE_LIMIT = 1n << BigInt(BALANCE_BITS);

/** The token an exit moves, or null when it moves nothing the balance tree tracks. */
export function movedToken(leaf: ExitLeaf): TokenId | null {
  if (leaf.amount === 0n) return null;
  return leaf.leafType === LeafType.Asset
    ? { originNetwork: leaf.originNetwork, originAddress: leaf.originAddress }
    : { originNetwork: leaf.originNetwork, originAddress: 0n };
}

/** The token a leaf moves in the balance tree of `networkId`: null when native to it or of amount 0. */
export function trackedToken(networkId: number, leaf: ExitLeaf): TokenId | null {
  const token = movedToken(leaf);
  return token && token.originNetwork !== networkId ? token : null;
}

/**
 * The distinct tokens a certificate of `networkId` with these imported and exited leaves moves in its balance
 * tree, in order of first appearance: what the certificate circuit's maxTokens must hold. A leaf whose token
 * fields are out of range names no token here (applyTransition refuses it with INVALID_LEAF).
 */
export function movedTokens(networkId: number, importLeaves: readonly ExitLeaf[], exitLeaves: readonly ExitLeaf[]): TokenId[] {
  const seen = new Map<bigint, TokenId>();
  for (const leaf of [...importLeaves, ...exitLeaves]) {
    const t = trackedToken(networkId, leaf);
    if (!t) continue;
    let key: bigint;
    try {
      key = tokenKey(t);
    } catch (e) {
      if (e instanceof RangeError) continue;
      throw e;
    }
    if (!seen.has(key)) seen.set(key, t);
  }
  return [...seen.values()];
}

/** Running totals of one token while the items are applied. */
interface Tally {
  token: TokenId;
  key: bigint;
  before: bigint;
  credit: bigint;
  debit: bigint;
  firstItem: { item: "import" | "exit"; index: number };
  lastImport: number;
}

export function applyTransition(state: NetworkState, imports: readonly ImportInput[], exits: readonly ExitLeaf[]): TransitionResult {
  const next = state.clone();
  const tallies = new Map<bigint, Tally>();
  const tally = (token: TokenId | null, item: "import" | "exit", index: number): number | null => {
    if (!token) return null;
    const key = tokenKey(token);
    if (!tallies.has(key)) tallies.set(key, { token, key, before: next.balanceOf(token), credit: 0n, debit: 0n, firstItem: { item, index }, lastImport: -1 });
    return [...tallies.keys()].indexOf(key);
  };
  const tallyAt = (i: number) => [...tallies.values()][i];

  const importSteps = imports.map((imp, i) => {
    const step = applyImport(next, imp, i);
    const tokenIndex = tally(trackedToken(next.networkId, imp.leaf), "import", i);
    if (tokenIndex !== null) {
      const t = tallyAt(tokenIndex);
      t.credit += imp.leaf.amount;
      t.lastImport = i;
    }
    return { ...step, tokenIndex };
  });
  const exitSteps = exits.map((leaf, i) => {
    const step = applyExit(next, leaf, i);
    const tokenIndex = tally(trackedToken(next.networkId, leaf), "exit", i);
    if (tokenIndex !== null) {
      const t = tallyAt(tokenIndex);
      t.debit += leaf.amount;
      // Imports come first: the running balance only falls from here on, so this is the first exit that
      // takes it below zero exactly when the final balance is negative.
      if (t.before + t.credit - t.debit < 0n) throw new AccountingError("OVERDRAW", "exit", i, `balance ${t.before + t.credit - t.debit + leaf.amount} < ${leaf.amount}`);
    }
    return { ...step, tokenIndex };
  });
  const tokens = [...tallies.values()].map((t) => changeBalance(next, t));
  return { state: next, imports: importSteps, exits: exitSteps, tokens };
}

function leafHashOf(leaf: ExitLeaf, item: "import" | "exit", index: number): bigint {
  try {
    validateLeaf(leaf);
    return hashExitLeaf(leaf);
  } catch (e) {
    if (e instanceof InvalidLeafError) throw new AccountingError("INVALID_LEAF", item, index, e.message);
    throw e;
  }
}

/** An asset leaf moves a non-zero amount (ZERO_AMOUNT); a message of value 0 is a plain call. */
function checkAmount(leaf: ExitLeaf, item: "import" | "exit", index: number): void {
  if (leaf.leafType === LeafType.Asset && leaf.amount === 0n) throw new AccountingError("ZERO_AMOUNT", item, index, "an asset exit of amount 0");
}

function applyImport(s: NetworkState, imp: ImportInput, i: number): Omit<ImportStep, "tokenIndex"> {
  const { leaf } = imp;
  const leafHash = leafHashOf(leaf, "import", i);
  checkAmount(leaf, "import", i);
  if (leaf.destinationNetwork !== s.networkId) {
    throw new AccountingError("WRONG_DESTINATION", "import", i, `exit is for network ${leaf.destinationNetwork}, not ${s.networkId}`);
  }
  if (imp.sourceNetwork === s.networkId) throw new AccountingError("SELF_IMPORT", "import", i, `network ${s.networkId} imports its own exit`);
  if (leaf.leafType === LeafType.Message && leaf.originNetwork !== imp.sourceNetwork) {
    throw new AccountingError("MESSAGE_ORIGIN_MISMATCH", "import", i, `message from ${leaf.originNetwork} proven in ${imp.sourceNetwork}'s tree`);
  }
  let nKey: bigint;
  try {
    nKey = s.nullifierIndex(imp.sourceNetwork, imp.leafIndex);
  } catch (e) {
    throw new AccountingError("OUT_OF_RANGE", "import", i, (e as Error).message);
  }
  if (imp.siblings.length !== s.params.exitDepth) {
    throw new AccountingError("INVALID_IMPORT_PROOF", "import", i, `proof has ${imp.siblings.length} siblings, tree depth is ${s.params.exitDepth}`);
  }
  if (computeMerkleRoot(leafHash, imp.leafIndex, imp.siblings) !== imp.sourceExitRoot) {
    throw new AccountingError("INVALID_IMPORT_PROOF", "import", i, `leaf ${imp.leafIndex} is not under the named exit root of network ${imp.sourceNetwork}`);
  }
  if (s.nullifiers.get(nKey) !== 0n) {
    throw new AccountingError("DOUBLE_IMPORT", "import", i, `exit ${imp.leafIndex} of network ${imp.sourceNetwork} is already imported`);
  }
  const nullifier = s.nullifiers.set(nKey, NULLIFIER_SET);
  return { leafHash, nullifier };
}

function applyExit(s: NetworkState, leaf: ExitLeaf, i: number): Omit<ExitStep, "tokenIndex"> {
  const leafHash = leafHashOf(leaf, "exit", i);
  checkAmount(leaf, "exit", i);
  if (leaf.destinationNetwork === s.networkId) throw new AccountingError("SELF_EXIT", "exit", i, `exit to its own network ${s.networkId}`);
  if (leaf.leafType === LeafType.Message && leaf.originNetwork !== s.networkId) {
    throw new AccountingError("MESSAGE_ORIGIN_MISMATCH", "exit", i, `message claims origin ${leaf.originNetwork}, sent by ${s.networkId}`);
  }
  if (s.exitTree.count + 1 >= 2 ** s.params.exitDepth) throw new AccountingError("EXIT_TREE_FULL", "exit", i, `depth ${s.params.exitDepth}`);
  const exitRootBefore = s.exitTree.root();
  const appendSiblings = s.exitTree.appendProof();
  const leafIndex = s.exitTree.append(leafHash);
  return { leafHash, leafIndex, exitRootBefore, appendSiblings };
}

/** Writes one token's final balance into its slot (the old one, or the next unused one for a new token). */
function changeBalance(s: NetworkState, t: Tally): TokenChange {
  const after = t.before + t.credit - t.debit;
  if (after >= BALANCE_LIMIT) throw new AccountingError("BALANCE_OVERFLOW", "import", t.lastImport, `balance would exceed 2^${BALANCE_BITS} - 1`);
  const held = s.slotOf(t.key);
  const slot = held ?? s.nextFreeSlot();
  if (slot === null) throw new AccountingError("BALANCE_TREE_FULL", t.firstItem.item, t.firstItem.index, `all 2^${s.params.balanceDepth} balance slots are taken`);
  const update = s.balances.set(slot, balanceLeaf(t.key, after));
  s.setBalance(slot, { token: t.token, key: t.key, balance: after });
  return { token: t.token, key: t.key, slot, slotKeyBefore: held === undefined ? 0n : t.key, before: t.before, credit: t.credit, debit: t.debit, after, update };
}
