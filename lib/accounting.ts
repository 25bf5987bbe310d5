/**
 * Chain-level accounting: the rule the certificate circuit enforces, written once.
 *
 * applyTransition applies a certificate's imported exits (first, in order) and then its bridge exits (in order)
 * to a network's state. It refuses, with a typed AccountingError and without touching the input state:
 *  - an asset exit or import of amount 0 (ZERO_AMOUNT): it moves nothing, yet names a token (with its metadata)
 *    that the network need not hold; a message of value 0 is a plain call and is accepted;
 *  - an exit whose destination is the network itself (SELF_EXIT), or a message exit whose origin is not it
 *    (MESSAGE_ORIGIN_MISMATCH);
 *  - an exit of a token not native to the network that would take its balance below zero (OVERDRAW);
 *  - an import whose destination is another network (WRONG_DESTINATION) or whose source is the network itself
 *    (SELF_IMPORT), a message import whose origin is not its source network (MESSAGE_ORIGIN_MISMATCH);
 *  - an import already imported, in an earlier certificate or earlier in this one (DOUBLE_IMPORT);
 *  - an import whose Merkle proof does not lead to the named source exit root (INVALID_IMPORT_PROOF);
 *  - a credit above 2^192 - 1 (BALANCE_OVERFLOW), a token whose balance slot another token holds
 *    (BALANCE_SLOT_COLLISION), a full exit tree (EXIT_TREE_FULL), out-of-range fields (INVALID_LEAF,
 *    OUT_OF_RANGE).
 * Tokens native to the network (originNetwork == networkId) are not tracked: the network is their origin.
 * An asset moves token (originNetwork, originAddress); a message's value moves the sender network's gas coin
 * (originNetwork, 0).
 */
import { ExitLeaf, LeafType, hashExitLeaf, validateLeaf, InvalidLeafError } from "./exit-leaf";
import { NetworkState, NULLIFIER_SET } from "./network-state";
import { SmtUpdate } from "./smt";
import { computeMerkleRoot } from "./exit-tree";
import { BALANCE_BITS } from "./params";
import { TokenId, balanceLeaf, balanceSlot, tokenKey } from "./token";

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
  | "BALANCE_SLOT_COLLISION"
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

/** A balance change with the preimages a circuit needs; absent when the token is native. */
export interface BalanceChange {
  token: TokenId;
  key: bigint;
  before: bigint;
  after: bigint;
  /** Token key that held the slot before (0 if the slot was empty). */
  slotKeyBefore: bigint;
  update: SmtUpdate;
}

export interface ImportStep {
  leafHash: bigint;
  nullifier: SmtUpdate;
  balance: BalanceChange | null;
}

export interface ExitStep {
  leafHash: bigint;
  leafIndex: number;
  exitRootBefore: bigint;
  appendSiblings: bigint[];
  balance: BalanceChange | null;
}

export interface TransitionResult {
  state: NetworkState;
  imports: ImportStep[];
  exits: ExitStep[];
}

const BALANCE_LIMIT = 1n << BigInt(BALANCE_BITS);

/** The token an exit moves, or null when it moves nothing the balance tree tracks. */
export function movedToken(leaf: ExitLeaf): TokenId | null {
  if (leaf.amount === 0n) return null;
  return leaf.leafType === LeafType.Asset
    ? { originNetwork: leaf.originNetwork, originAddress: leaf.originAddress }
    : { originNetwork: leaf.originNetwork, originAddress: 0n };
}

export function applyTransition(state: NetworkState, imports: readonly ImportInput[], exits: readonly ExitLeaf[]): TransitionResult {
  const next = state.clone();
  const importSteps = imports.map((imp, i) => applyImport(next, imp, i));
  const exitSteps = exits.map((leaf, i) => applyExit(next, leaf, i));
  return { state: next, imports: importSteps, exits: exitSteps };
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

function applyImport(s: NetworkState, imp: ImportInput, i: number): ImportStep {
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
  const token = movedToken(leaf);
  const balance = token && token.originNetwork !== s.networkId ? changeBalance(s, token, leaf.amount, "import", i) : null;
  const nullifier = s.nullifiers.set(nKey, NULLIFIER_SET);
  return { leafHash, nullifier, balance };
}

function applyExit(s: NetworkState, leaf: ExitLeaf, i: number): ExitStep {
  const leafHash = leafHashOf(leaf, "exit", i);
  checkAmount(leaf, "exit", i);
  if (leaf.destinationNetwork === s.networkId) throw new AccountingError("SELF_EXIT", "exit", i, `exit to its own network ${s.networkId}`);
  if (leaf.leafType === LeafType.Message && leaf.originNetwork !== s.networkId) {
    throw new AccountingError("MESSAGE_ORIGIN_MISMATCH", "exit", i, `message claims origin ${leaf.originNetwork}, sent by ${s.networkId}`);
  }
  if (s.exitTree.count + 1 >= 2 ** s.params.exitDepth) throw new AccountingError("EXIT_TREE_FULL", "exit", i, `depth ${s.params.exitDepth}`);
  const token = movedToken(leaf);
  const balance = token && token.originNetwork !== s.networkId ? changeBalance(s, token, -leaf.amount, "exit", i) : null;
  const exitRootBefore = s.exitTree.root();
  const appendSiblings = s.exitTree.appendProof();
  const leafIndex = s.exitTree.append(leafHash);
  return { leafHash, leafIndex, exitRootBefore, appendSiblings, balance };
}

function changeBalance(s: NetworkState, token: TokenId, delta: bigint, item: "import" | "exit", i: number): BalanceChange {
  const key = tokenKey(token);
  const slot = balanceSlot(key, s.params.balanceDepth);
  const held = s.balanceBook.get(slot);
  if (held && held.key !== key) {
    throw new AccountingError("BALANCE_SLOT_COLLISION", item, i, `slot ${slot} is held by token ${held.token.originNetwork}:${held.token.originAddress}`);
  }
  const before = held?.balance ?? 0n;
  const after = before + delta;
  if (after < 0n) throw new AccountingError("OVERDRAW", item, i, `balance ${before} < ${-delta}`);
  if (after >= BALANCE_LIMIT) throw new AccountingError("BALANCE_OVERFLOW", item, i, `balance would exceed 2^${BALANCE_BITS} - 1`);
  const update = s.balances.set(slot, balanceLeaf(key, after));
  s.balanceBook.set(slot, { token, key, balance: after });
  return { token, key, before, after, slotKeyBefore: held?.key ?? 0n, update };
}
