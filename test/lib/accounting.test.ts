import { expect } from "chai";
import {
  AccountingError,
  AccountingErrorCode,
  ExitLeaf,
  ExitTree,
  ImportInput,
  LeafType,
  NetworkState,
  TEST_PARAMS,
  TokenId,
  TransitionResult,
  TreeParams,
  applyTransition,
  balanceLeaf,
  buildCertificate,
  computeMerkleRoot,
  fieldKeccak,
  gasCoin,
  hashExitLeaf,
  movedToken,
  movedTokens,
  poseidon,
  stateCommitment,
  tokenKey,
  verifySmtUpdate,
} from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { balancesOf, loadAccountingVectors, seedBalance } from "../helpers/vectors";

const P = TEST_PARAMS;
const ME = 1;
const ETHER = 10n ** 18n;
const LIMIT = 1n << 192n;
const rng = new Prng("accounting tests");
const user = rng.address();
const usdc: TokenId = { originNetwork: 0, originAddress: 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48n };
const native: TokenId = { originNetwork: ME, originAddress: rng.address() };
const two: TokenId = { originNetwork: 2, originAddress: rng.address() };

function asset(token: TokenId, destinationNetwork: number, amount: bigint): ExitLeaf {
  return { leafType: LeafType.Asset, originNetwork: token.originNetwork, originAddress: token.originAddress, destinationNetwork, destinationAddress: user, amount, metadataHash: 0n };
}

function message(originNetwork: number, destinationNetwork: number, value: bigint, calldata = "0x"): ExitLeaf {
  return { leafType: LeafType.Message, originNetwork, originAddress: user, destinationNetwork, destinationAddress: user, amount: value, metadataHash: fieldKeccak(calldata) };
}

/** A source network's exit tree; imports are proven against its current root. */
class Source {
  readonly tree: ExitTree;
  readonly leaves: ExitLeaf[] = [];
  constructor(readonly networkId: number, depth = P.exitDepth) {
    this.tree = new ExitTree(depth);
  }
  add(leaf: ExitLeaf): ImportInput {
    this.leaves.push(leaf);
    const i = this.tree.append(hashExitLeaf(leaf));
    return this.imp(i);
  }
  imp(i: number): ImportInput {
    return { leaf: this.leaves[i], sourceNetwork: this.networkId, leafIndex: i, sourceExitRoot: this.tree.root(), siblings: this.tree.proof(i).siblings };
  }
}

function refusal(f: () => unknown): AccountingError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(AccountingError);
    return e as AccountingError;
  }
  return expect.fail("expected an AccountingError") as never;
}

/** Applies a transition that must be refused with `code` at (item, index), and checks the input state is untouched. */
function expectRefused(state: NetworkState, imports: ImportInput[], exits: ExitLeaf[], code: AccountingErrorCode, item: "import" | "exit", index: number): AccountingError {
  const commitment = state.commitment();
  const balances = balancesOf(state);
  const exitCount = state.exitTree.count;
  const nullifierRoot = state.nullifiers.root();
  const e = refusal(() => applyTransition(state, imports, exits));
  expect({ code: e.code, item: e.item, index: e.index }, e.message).to.deep.equal({ code, item, index });
  expect(state.commitment(), "the input state changed").to.equal(commitment);
  expect(balancesOf(state)).to.deep.equal(balances);
  expect(state.exitTree.count).to.equal(exitCount);
  expect(state.nullifiers.root()).to.equal(nullifierRoot);
  return e;
}

/** The key of the token a leaf moves in network ME's balance tree, or null. */
function trackedKey(leaf: ExitLeaf): bigint | null {
  const t = movedToken(leaf);
  return t && t.originNetwork !== ME ? tokenKey(t) : null;
}

/** The circuit-facing witnesses of a transition chain from the old state to the new one. */
function checkWitnesses(before: NetworkState, r: TransitionResult, imports: ImportInput[], exits: ExitLeaf[]): void {
  let nullifierRoot = before.nullifiers.root();
  let balanceRoot = before.balances.root();
  r.imports.forEach((s, k) => {
    expect(s.leafHash).to.equal(hashExitLeaf(imports[k].leaf));
    expect(verifySmtUpdate(s.nullifier)).to.equal(true);
    expect(s.nullifier.oldRoot).to.equal(nullifierRoot);
    expect(s.nullifier.oldLeaf).to.equal(0n);
    expect(s.nullifier.index).to.equal(r.state.nullifierIndex(imports[k].sourceNetwork, imports[k].leafIndex));
    nullifierRoot = s.nullifier.newRoot;
  });
  let exitRoot = before.exitRoot;
  r.exits.forEach((s, k) => {
    expect(s.leafHash).to.equal(hashExitLeaf(exits[k]));
    expect(s.leafIndex).to.equal(before.exitTree.count + k);
    expect(s.exitRootBefore).to.equal(exitRoot);
    expect(computeMerkleRoot(0n, s.leafIndex, s.appendSiblings)).to.equal(exitRoot);
    exitRoot = computeMerkleRoot(s.leafHash, s.leafIndex, s.appendSiblings);
  });
  // One balance update per distinct tracked token, in order of first appearance, on the running root.
  const expected = movedTokens(before.networkId, imports.map((i) => i.leaf), exits);
  expect(r.tokens.map((t) => t.token)).to.deep.equal(expected);
  r.tokens.forEach((t, k) => {
    const credit = imports.filter((_, i) => r.imports[i].tokenIndex === k).reduce((a, i) => a + i.leaf.amount, 0n);
    const debit = exits.filter((_, j) => r.exits[j].tokenIndex === k).reduce((a, l) => a + l.amount, 0n);
    expect([t.credit, t.debit, t.after]).to.deep.equal([credit, debit, t.before + credit - debit]);
    expect(verifySmtUpdate(t.update)).to.equal(true);
    expect(t.update.index).to.equal(t.slot);
    expect(t.update.oldRoot).to.equal(balanceRoot);
    expect(t.update.newLeaf).to.equal(balanceLeaf(t.key, t.after));
    expect(t.update.oldLeaf).to.equal(t.slotKeyBefore === 0n ? 0n : balanceLeaf(t.slotKeyBefore, t.before));
    balanceRoot = t.update.newRoot;
  });
  r.imports.forEach((s, i) => expect(s.tokenIndex === null ? null : r.tokens[s.tokenIndex].key).to.equal(trackedKey(imports[i].leaf)));
  r.exits.forEach((s, j) => expect(s.tokenIndex === null ? null : r.tokens[s.tokenIndex].key).to.equal(trackedKey(exits[j])));
  expect(r.state.nullifiers.root()).to.equal(nullifierRoot);
  expect(r.state.balances.root()).to.equal(balanceRoot);
  expect(r.state.exitRoot).to.equal(exitRoot);
  expect(r.state.commitment()).to.equal(poseidon([exitRoot, BigInt(r.state.exitTree.count), balanceRoot, nullifierRoot]));
}

describe("accounting: applyTransition (lib/accounting.ts)", function () {
  this.timeout(60_000);

  const l1 = new Source(0);
  const ethDeposit = l1.add(asset(gasCoin(0), ME, 10n * ETHER));
  const usdcDeposit = l1.add(asset(usdc, ME, 100n));
  const l1Message = l1.add(message(0, ME, ETHER / 10n, "0x1234"));
  const forNetwork2 = l1.add(asset(gasCoin(0), 2, ETHER));
  const usdcDeposit2 = l1.add(asset(usdc, ME, 50n));
  const n2 = new Source(2);
  const n2Message = n2.add(message(2, ME, 5n, "0xabcd"));
  const n2Foreign = n2.add(message(3, ME, 1n));
  const nativeHome = n2.add(asset(native, ME, 42n));
  const twoDeposit = n2.add(asset(two, ME, 7n));
  const n2ZeroMessage = n2.add(message(2, ME, 0n));
  const n2Message1 = n2.add(message(2, ME, 1n, "0x02"));
  // re-prove the earlier leaves against the final roots
  const L1 = {
    eth: l1.imp(ethDeposit.leafIndex),
    usdc: l1.imp(usdcDeposit.leafIndex),
    msg: l1.imp(l1Message.leafIndex),
    to2: l1.imp(forNetwork2.leafIndex),
    usdc2: l1.imp(usdcDeposit2.leafIndex),
  };
  const N2 = {
    msg: n2.imp(n2Message.leafIndex),
    foreign: n2.imp(n2Foreign.leafIndex),
    nativeHome: n2.imp(nativeHome.leafIndex),
    two: n2.imp(twoDeposit.leafIndex),
    zeroMsg: n2.imp(n2ZeroMessage.leafIndex),
    msg1: n2.imp(n2Message1.leafIndex),
  };

  describe("accepted transitions", () => {
    it("a valid sequence gives the expected balances, nullifiers, exits and commitment", () => {
      const s0 = new NetworkState(ME, P);
      const imports1 = [L1.eth, L1.usdc, L1.msg];
      const exits1 = [asset(gasCoin(0), 2, 4n * ETHER), asset(usdc, 0, 30n)];
      const r1 = applyTransition(s0, imports1, exits1);
      checkWitnesses(s0, r1, imports1, exits1);
      const s1 = r1.state;
      expect(s1.balanceOf(gasCoin(0))).to.equal(10n * ETHER + ETHER / 10n - 4n * ETHER);
      expect(s1.balanceOf(usdc)).to.equal(70n);
      expect(s1.exitTree.count).to.equal(2);
      for (const m of imports1) expect(s1.isImported(m.sourceNetwork, m.leafIndex)).to.equal(true);
      expect(s1.isImported(0, L1.to2.leafIndex)).to.equal(false);
      expect(s1.commitment()).to.equal(stateCommitment(s1.exitRoot, 2, s1.balances.root(), s1.nullifiers.root()));

      const imports2 = [N2.msg, N2.two];
      const exits2 = [asset(usdc, 0, 70n), asset(two, 2, 3n), message(ME, 2, 10n * ETHER)];
      const r2 = applyTransition(s1, imports2, exits2);
      checkWitnesses(s1, r2, imports2, exits2);
      const s2 = r2.state;
      expect(balancesOf(s2).map((b) => [b.token.originNetwork, b.token.originAddress, b.balance])).to.have.deep.members([
        [0, 0n, 6n * ETHER + ETHER / 10n],
        [0, usdc.originAddress, 0n],
        [2, 0n, 5n],
        [2, two.originAddress, 4n],
      ]);
      expect(s2.exitTree.count).to.equal(5);
      expect(s2.exitRoot).to.not.equal(s1.exitRoot);
      // the input states are untouched
      expect(s0.commitment()).to.equal(new NetworkState(ME, P).commitment());
      expect(s1.exitTree.count).to.equal(2);
    });

    it("an exit of the whole balance is accepted (balance 0, the slot stays with the token)", () => {
      const s = applyTransition(new NetworkState(ME, P), [L1.usdc], []).state;
      const r = applyTransition(s, [], [asset(usdc, 0, 100n)]);
      expect(r.state.balanceOf(usdc)).to.equal(0n);
      expect(r.tokens[0]).to.include({ before: 100n, debit: 100n, after: 0n });
      const slot = r.state.slotOf(tokenKey(usdc))!;
      expect(r.state.balanceBook.get(slot)?.key).to.equal(tokenKey(usdc));
      // the slot stays bound to the token: a later import reuses it
      expect(applyTransition(r.state, [L1.usdc2], []).tokens[0]).to.include({ slot, slotKeyBefore: tokenKey(usdc), before: 0n });
    });

    it("tokens native to the network (originNetwork == networkId) do not touch the balance tree", () => {
      const s0 = new NetworkState(ME, P);
      const r = applyTransition(s0, [N2.nativeHome], [asset(native, 2, 10n ** 30n), asset(gasCoin(ME), 0, 5n), message(ME, 2, 3n)]);
      expect(r.imports[0].tokenIndex).to.equal(null);
      expect(r.exits.map((e) => e.tokenIndex)).to.deep.equal([null, null, null]);
      expect(r.tokens).to.deep.equal([]);
      expect(r.state.balances.root()).to.equal(s0.balances.root());
      expect(r.state.balanceBook.size).to.equal(0);
      expect(r.state.isImported(2, N2.nativeHome.leafIndex)).to.equal(true);
      expect(r.state.exitTree.count).to.equal(3);
      expect(r.state.balanceOf(native)).to.equal(0n);
    });

    it("a message's value credits the gas coin of the source network (and value 0 moves nothing)", () => {
      const r = applyTransition(new NetworkState(ME, P), [N2.msg, L1.msg, N2.zeroMsg], []);
      expect(r.state.balanceOf(gasCoin(2))).to.equal(5n);
      expect(r.state.balanceOf(gasCoin(0))).to.equal(ETHER / 10n);
      expect(r.tokens[r.imports[0].tokenIndex!].token).to.deep.equal(gasCoin(2));
      expect(r.imports[2].tokenIndex).to.equal(null);
      expect(r.state.isImported(2, N2.zeroMsg.leafIndex)).to.equal(true);
      // and it is spent like any foreign token
      const spent = applyTransition(r.state, [], [asset(gasCoin(2), 2, 5n)]).state;
      expect(spent.balanceOf(gasCoin(2))).to.equal(0n);
      expectRefused(spent, [], [asset(gasCoin(2), 2, 1n)], "OVERDRAW", "exit", 0);
    });

    it("movedToken: asset -> its token, message -> the origin's gas coin, amount 0 -> nothing", () => {
      expect(movedToken(asset(two, 1, 1n))).to.deep.equal(two);
      expect(movedToken(message(2, 1, 1n))).to.deep.equal(gasCoin(2));
      expect(movedToken(asset(two, 1, 0n))).to.equal(null);
      expect(movedToken(message(2, 1, 0n))).to.equal(null);
    });

    it("an empty transition changes nothing", () => {
      const s = new NetworkState(ME, P);
      const r = applyTransition(s, [], []);
      expect(r.state.commitment()).to.equal(s.commitment());
      expect(r.state).to.not.equal(s);
    });
  });

  describe("refused transitions (the input state is left unchanged)", () => {
    it("ZERO_AMOUNT: an asset exit or import of amount 0, whatever the token; a message of value 0 is accepted", () => {
      const s = new NetworkState(ME, P);
      expectRefused(s, [], [asset(usdc, 2, 0n)], "ZERO_AMOUNT", "exit", 0); // a token never held
      expectRefused(s, [], [asset(native, 2, 0n)], "ZERO_AMOUNT", "exit", 0); // the network's own token
      expectRefused(s, [], [message(ME, 2, 1n), asset(gasCoin(0), 2, 0n)], "ZERO_AMOUNT", "exit", 1);
      const zeroImport = new Source(0).add(asset(usdc, ME, 0n));
      expectRefused(s, [zeroImport], [], "ZERO_AMOUNT", "import", 0);
      const r = applyTransition(s, [N2.zeroMsg], [message(ME, 2, 0n)]);
      expect(r.state.exitTree.count).to.equal(1);
      expect(r.exits[0].tokenIndex).to.equal(null);
      // the certificate builder refuses with the same typed error
      const batch = { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [], exits: [asset(usdc, 2, 0n)] };
      expect(() => buildCertificate(s, batch)).to.throw(AccountingError, /ZERO_AMOUNT at exit 0/);
    });

    it("OVERDRAW: an exit of 1 unit more than the balance", () => {
      const s = applyTransition(new NetworkState(ME, P), [L1.usdc], []).state;
      expectRefused(s, [], [asset(usdc, 0, 101n)], "OVERDRAW", "exit", 0);
      expect(() => applyTransition(s, [], [asset(usdc, 0, 100n)])).to.not.throw();
      // over two exits of one certificate
      expectRefused(s, [], [asset(usdc, 0, 60n), asset(usdc, 2, 41n)], "OVERDRAW", "exit", 1);
      // a foreign token never held
      expectRefused(s, [], [asset(two, 2, 1n)], "OVERDRAW", "exit", 0);
    });

    it("OVERDRAW after an accepted import in the same transition leaves the state unchanged", () => {
      const s = applyTransition(new NetworkState(ME, P), [L1.usdc], []).state;
      expectRefused(s, [L1.eth, N2.two], [asset(two, 2, 7n), asset(usdc, 0, 101n)], "OVERDRAW", "exit", 1);
      expect(s.isImported(0, L1.eth.leafIndex)).to.equal(false);
    });

    it("DOUBLE_IMPORT: twice within one certificate", () => {
      expectRefused(new NetworkState(ME, P), [L1.eth, L1.usdc, L1.eth], [], "DOUBLE_IMPORT", "import", 2);
    });

    it("DOUBLE_IMPORT: across two sequential transitions (also with a proof against a later root)", () => {
      const s = applyTransition(new NetworkState(ME, P), [L1.eth], []).state;
      expectRefused(s, [L1.eth], [], "DOUBLE_IMPORT", "import", 0);
      // the same exit proven against a later L1 root is still the same (sourceNetwork, leafIndex)
      const later = new Source(0);
      l1.leaves.forEach((l) => later.add(l));
      later.add(asset(gasCoin(0), ME, 1n));
      const again = later.imp(L1.eth.leafIndex);
      expect(again.sourceExitRoot).to.not.equal(L1.eth.sourceExitRoot);
      expectRefused(s, [again], [], "DOUBLE_IMPORT", "import", 0);
    });

    it("WRONG_DESTINATION: an exit for another network", () => {
      expectRefused(new NetworkState(ME, P), [L1.eth, L1.to2], [], "WRONG_DESTINATION", "import", 1);
      expectRefused(new NetworkState(2, P), [L1.eth], [], "WRONG_DESTINATION", "import", 0);
    });

    it("SELF_EXIT: an exit to the network itself", () => {
      expectRefused(new NetworkState(ME, P), [], [asset(native, ME, 1n)], "SELF_EXIT", "exit", 0);
      expectRefused(new NetworkState(ME, P), [], [message(ME, 2, 0n), message(ME, ME, 0n)], "SELF_EXIT", "exit", 1);
    });

    it("SELF_IMPORT: an import from the network's own exit tree", () => {
      const own = new Source(ME);
      const m = own.add(asset(gasCoin(0), ME, 1n));
      expectRefused(new NetworkState(ME, P), [m], [], "SELF_IMPORT", "import", 0);
    });

    it("INVALID_IMPORT_PROOF: tampered sibling, wrong index, wrong root, wrong leaf, wrong proof length", () => {
      const s = new NetworkState(ME, P);
      for (let h = 0; h < P.exitDepth; h++) {
        const siblings = [...L1.eth.siblings];
        siblings[h] += 1n;
        expectRefused(s, [{ ...L1.eth, siblings }], [], "INVALID_IMPORT_PROOF", "import", 0);
      }
      expectRefused(s, [{ ...L1.eth, leafIndex: L1.usdc.leafIndex }], [], "INVALID_IMPORT_PROOF", "import", 0);
      expectRefused(s, [{ ...L1.eth, sourceExitRoot: n2.tree.root() }], [], "INVALID_IMPORT_PROOF", "import", 0);
      expectRefused(s, [{ ...L1.eth, leaf: { ...L1.eth.leaf, amount: L1.eth.leaf.amount + 1n } }], [], "INVALID_IMPORT_PROOF", "import", 0);
      expectRefused(s, [{ ...L1.eth, siblings: L1.eth.siblings.slice(1) }], [], "INVALID_IMPORT_PROOF", "import", 0);
      expectRefused(s, [{ ...L1.eth, siblings: [...L1.eth.siblings, 0n] }], [], "INVALID_IMPORT_PROOF", "import", 0);
      // a leaf of L1 proven against network 2's root at the same index
      expectRefused(s, [{ ...L1.eth, sourceExitRoot: n2.tree.root(), siblings: n2.imp(L1.eth.leafIndex).siblings }], [], "INVALID_IMPORT_PROOF", "import", 0);
    });

    it("MESSAGE_ORIGIN_MISMATCH: an imported message whose origin is not its source, a message exit not from the network", () => {
      expectRefused(new NetworkState(ME, P), [N2.msg, N2.foreign], [], "MESSAGE_ORIGIN_MISMATCH", "import", 1);
      expectRefused(new NetworkState(ME, P), [], [message(2, 3, 0n)], "MESSAGE_ORIGIN_MISMATCH", "exit", 0);
      // an asset's origin is its token's network, not the sender: no such rule
      expect(() => applyTransition(new NetworkState(ME, P), [N2.two], [])).to.not.throw();
    });

    it("BALANCE_OVERFLOW: a credit to 2^192 (2^192 - 1 is accepted)", () => {
      const s = new NetworkState(ME, P);
      seedBalance(s, two, LIMIT - 8n);
      const full = applyTransition(s, [N2.two], []).state; // + 7
      expect(full.balanceOf(two)).to.equal(LIMIT - 1n);
      const s2 = new NetworkState(ME, P);
      seedBalance(s2, two, LIMIT - 7n);
      expectRefused(s2, [N2.two], [], "BALANCE_OVERFLOW", "import", 0);
      // over two credits in one transition
      const s3 = new NetworkState(ME, P);
      seedBalance(s3, gasCoin(2), LIMIT - 6n);
      expect(applyTransition(s3, [N2.msg], []).state.balanceOf(gasCoin(2))).to.equal(LIMIT - 1n); // + 5
      expectRefused(s3, [N2.msg, N2.msg1], [], "BALANCE_OVERFLOW", "import", 1); // + 5 + 1
      // the final balance is what counts (per token): a debit in the same certificate makes room
      expect(applyTransition(s3, [N2.msg, N2.msg1], [asset(gasCoin(2), 2, 1n)]).state.balanceOf(gasCoin(2))).to.equal(LIMIT - 1n);
      const room = applyTransition(s3, [], [asset(gasCoin(2), 2, 1n)]).state;
      expect(applyTransition(room, [N2.msg, N2.msg1], []).state.balanceOf(gasCoin(2))).to.equal(LIMIT - 1n);
    });

    it("BALANCE_TREE_FULL: a new token when every slot is taken (balanceDepth 2: four tokens); held tokens still move", () => {
      const params: TreeParams = { exitDepth: 8, balanceDepth: 2, networkBits: 4 };
      const tokens: TokenId[] = [1n, 2n, 3n, 4n, 5n].map((a) => ({ originNetwork: 0, originAddress: a }));
      const src = new Source(0);
      tokens.forEach((t) => src.add(asset(t, ME, 5n)));
      const s = new NetworkState(ME, params);
      const four = applyTransition(s, [0, 1, 2, 3].map((k) => src.imp(k)), []);
      expect(four.tokens.map((t) => t.slot)).to.deep.equal([0n, 1n, 2n, 3n]); // the next unused slot, in order
      expectRefused(four.state, [src.imp(4)], [], "BALANCE_TREE_FULL", "import", 0);
      expectRefused(s, [0, 1, 2, 3, 4].map((k) => src.imp(k)), [], "BALANCE_TREE_FULL", "import", 4);
      // an emptied slot stays with its token (slots are never freed) ...
      const emptied = applyTransition(four.state, [], [asset(tokens[0], 2, 5n)]).state;
      expect(emptied.balanceOf(tokens[0])).to.equal(0n);
      expectRefused(emptied, [src.imp(4)], [], "BALANCE_TREE_FULL", "import", 0);
      // ... and held tokens keep moving
      expect(applyTransition(emptied, [], [asset(tokens[3], 2, 5n)]).state.balanceOf(tokens[3])).to.equal(0n);
    });

    it("per token, not per item: the final balance is checked, once per token (OVERDRAW named at the first exit below zero)", () => {
      const s = applyTransition(new NetworkState(ME, P), [L1.usdc], []).state; // 100
      const r = applyTransition(s, [], [asset(usdc, 0, 60n), asset(usdc, 2, 40n)]);
      expect(r.tokens).to.have.length(1);
      expect(r.tokens[0]).to.include({ before: 100n, debit: 100n, after: 0n });
      expectRefused(s, [], [asset(usdc, 0, 60n), message(ME, 2, 0n), asset(usdc, 2, 41n)], "OVERDRAW", "exit", 2);
      // an import in the same certificate pays for the exits (imports come first)
      const r2 = applyTransition(s, [L1.usdc2], [asset(usdc, 0, 150n)]);
      expect(r2.tokens[0]).to.include({ before: 100n, credit: 50n, debit: 150n, after: 0n });
      // a balance may pass 2^192 - 1 inside a certificate when it ends below (the circuit checks the end)
      const high = new NetworkState(ME, P);
      seedBalance(high, two, LIMIT - 1n);
      expect(applyTransition(high, [N2.two], [asset(two, 2, 7n)]).state.balanceOf(two)).to.equal(LIMIT - 1n);
    });

    it("EXIT_TREE_FULL: a depth-2 exit tree takes 3 exits", () => {
      const params: TreeParams = { exitDepth: 2, balanceDepth: 8, networkBits: 4 };
      const s = new NetworkState(ME, params);
      const exits = [message(ME, 2, 0n, "0x01"), message(ME, 3, 0n, "0x02"), message(ME, 4, 0n, "0x03")];
      const full = applyTransition(s, [], exits).state;
      expect(full.exitTree.count).to.equal(3);
      const h = exits.map(hashExitLeaf);
      expect(full.exitRoot).to.equal(poseidon([poseidon([h[0], h[1]]), poseidon([h[2], 0n])]));
      expectRefused(full, [], [message(ME, 2, 0n)], "EXIT_TREE_FULL", "exit", 0);
      expectRefused(s, [], [...exits, message(ME, 5, 0n)], "EXIT_TREE_FULL", "exit", 3);
    });

    it("INVALID_LEAF and OUT_OF_RANGE", () => {
      const s = new NetworkState(ME, P);
      expectRefused(s, [], [asset(native, 2, 1n << 128n)], "INVALID_LEAF", "exit", 0);
      expectRefused(s, [], [{ ...asset(native, 2, 1n), leafType: 2 as LeafType }], "INVALID_LEAF", "exit", 0);
      expectRefused(s, [{ ...L1.eth, leaf: { ...L1.eth.leaf, destinationAddress: 1n << 160n } }], [], "INVALID_LEAF", "import", 0);
      expectRefused(s, [{ ...L1.eth, leafIndex: 2 ** P.exitDepth }], [], "OUT_OF_RANGE", "import", 0);
      expectRefused(s, [{ ...L1.eth, sourceNetwork: 2 ** P.networkBits }], [], "OUT_OF_RANGE", "import", 0);
    });
  });

  describe("vectors (test/vectors/accounting.json)", () => {
    const v = loadAccountingVectors();

    it("covers every required refusal, a valid sequence and a double import across certificates", () => {
      const codes = v.cases.map((c) => c.steps[c.steps.length - 1].expect).filter((e) => !e.ok).map((e) => (e as { code: string }).code);
      for (const code of ["ZERO_AMOUNT", "OVERDRAW", "DOUBLE_IMPORT", "WRONG_DESTINATION", "SELF_EXIT", "SELF_IMPORT", "INVALID_IMPORT_PROOF", "MESSAGE_ORIGIN_MISMATCH", "BALANCE_OVERFLOW"]) {
        expect(codes, code).to.include(code);
      }
      expect(v.cases.some((c) => c.steps.length >= 2 && c.steps.every((s) => s.expect.ok))).to.equal(true);
      expect(v.cases.some((c) => c.steps.length >= 2 && !c.steps[c.steps.length - 1].expect.ok && (c.steps[c.steps.length - 1].expect as { code: string }).code === "DOUBLE_IMPORT")).to.equal(true);
      expect(v.params).to.deep.equal({ ...TEST_PARAMS });
    });

    it("source trees hold the imported leaves", () => {
      for (const t of v.sourceTrees) {
        expect(t.leaves.map(hashExitLeaf)).to.deep.equal(t.leafHashes);
        const tree = new ExitTree(v.params.exitDepth);
        t.leafHashes.forEach((h) => tree.append(h));
        expect(tree.root()).to.equal(t.root);
      }
    });

    for (const c of loadAccountingVectors().cases) {
      it(`replays: ${c.name}`, () => {
        let state = new NetworkState(c.networkId, v.params);
        for (const b of c.initialBalances) seedBalance(state, b.token, b.balance);
        expect(state.commitment()).to.equal(c.initialCommitment);
        c.steps.forEach((step, k) => {
          const e = step.expect;
          if (e.ok) {
            const r = applyTransition(state, step.imports, step.exits);
            checkWitnesses(state, r, step.imports, step.exits);
            state = r.state;
            expect(state.commitment(), `step ${k}`).to.equal(e.stateCommitment);
            expect(state.exitRoot).to.equal(e.exitRoot);
            expect(state.exitTree.count).to.equal(e.exitCount);
            expect(state.balances.root()).to.equal(e.balanceRoot);
            expect(state.nullifiers.root()).to.equal(e.nullifierRoot);
            expect(balancesOf(state)).to.deep.equal(e.balances);
          } else {
            expectRefused(state, step.imports, step.exits, e.code as AccountingErrorCode, e.item, e.index);
          }
        });
      });
    }
  });
});
