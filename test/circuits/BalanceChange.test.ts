import { expect } from "chai";
import { NetworkState, TEST_PARAMS, TokenId, balanceSlot, gasCoin, tokenKey } from "../../lib";
import { findSlotCollision } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { seedBalance } from "../helpers/vectors";
import { P } from "./fixtures";

const LIMIT = 1n << 192n;
const usdc: TokenId = { originNetwork: 0, originAddress: 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48n };
const eth = gasCoin(0);

/** The circuit input for changing `token` by `amount` in `state`, with the model's witness (the slot's real holder). */
function inputFor(state: NetworkState, token: TokenId, amount: bigint, isDebit: boolean, enabled = true) {
  const key = tokenKey(token);
  const slot = balanceSlot(key, state.params.balanceDepth);
  const held = state.balanceBook.get(slot);
  return {
    balanceRoot: state.balances.root(),
    originNetwork: token.originNetwork,
    originAddress: token.originAddress,
    amount,
    isDebit: isDebit ? 1 : 0,
    enabled: enabled ? 1 : 0,
    slotKeyBefore: held?.key ?? 0n,
    balanceBefore: held?.balance ?? 0n,
    siblings: state.balances.proof(slot).siblings,
  };
}

/** The model's balance root after setting `token`'s balance to `after`. */
function rootWith(state: NetworkState, token: TokenId, after: bigint): bigint {
  const s = state.clone();
  seedBalance(s, token, after);
  return s.balances.root();
}

describe("circuit BalanceChange(8)", function () {
  this.timeout(600_000);
  let c: TestCircuit;
  const state = new NetworkState(1, TEST_PARAMS);
  seedBalance(state, eth, 5n);

  before(async () => {
    c = await loadCircuit({ template: "BalanceChange", params: [TEST_PARAMS.balanceDepth] });
  });

  async function expectChange(s: NetworkState, token: TokenId, amount: bigint, isDebit: boolean, after: bigint) {
    const w = await c.calculateWitness(inputFor(s, token, amount, isDebit));
    await c.checkConstraints(w);
    expect(c.readOutput(w, "tokenKey")).to.equal(tokenKey(token));
    expect(c.readOutput(w, "balanceAfter")).to.equal(after);
    expect(c.readOutput(w, "newRoot")).to.equal(rootWith(s, token, after));
  }

  it("credits an unused slot and a held one, debits to exactly zero (the model's roots)", async () => {
    await expectChange(state, usdc, 100n, false, 100n);
    await expectChange(state, eth, 7n, false, 12n);
    await expectChange(state, eth, 5n, true, 0n);
  });

  it("field edges: amount 2^128 - 1 into an unused slot; a balance reaching exactly 2^192 - 1", async () => {
    await expectChange(state, usdc, (1n << 128n) - 1n, false, (1n << 128n) - 1n);
    const s = state.clone();
    seedBalance(s, usdc, LIMIT - 1n - 1000n);
    await expectChange(s, usdc, 1000n, false, LIMIT - 1n);
  });

  it("BALANCE_OVERFLOW: a credit to 2^192 has no witness", async () => {
    const s = state.clone();
    seedBalance(s, usdc, LIMIT - 1000n);
    await expectNoWitness(c, inputFor(s, usdc, 1000n, false), /Num2Bits/);
  });

  it("OVERDRAW: a debit 1 wei above the balance has no witness, nor does one from an unused slot", async () => {
    await expectNoWitness(c, inputFor(state, eth, 6n, true), /Num2Bits/);
    await expectNoWitness(c, inputFor(state, usdc, 1n, true), /Num2Bits/);
  });

  it("wrap-around: no claimed balanceBefore other than the real one passes (the leaf binds it)", async () => {
    const honest = inputFor(state, eth, 6n, true);
    for (const claimed of [6n, 6n + (1n << 100n), LIMIT - 1n, P - 1n, P - 6n + 5n]) {
      await expectNoWitness(c, { ...honest, balanceBefore: claimed }, /BalanceChange/);
    }
    // claiming the slot unused (old leaf 0) with balance 0 fails the root check, with balance > 0 the unused rule
    await expectNoWitness(c, { ...inputFor(state, usdc, 1n, false), balanceBefore: 10n }, /BalanceChange/);
    await expectNoWitness(c, { ...honest, slotKeyBefore: 0n, balanceBefore: 0n }, /BalanceChange/);
  });

  it("BALANCE_SLOT_COLLISION: a token whose slot another token holds has no witness, whatever holder it claims", async () => {
    const [a, b] = findSlotCollision(TEST_PARAMS.balanceDepth);
    const s = new NetworkState(1, TEST_PARAMS);
    seedBalance(s, a, 10n);
    const honest = inputFor(s, b, 3n, false); // slotKeyBefore = a's key, balanceBefore 10
    expect(honest.slotKeyBefore).to.equal(tokenKey(a));
    await expectNoWitness(c, honest, /BalanceChange/); // the real holder: not {0, key(b)}
    await expectNoWitness(c, { ...honest, slotKeyBefore: tokenKey(b) }, /BalanceChange/); // b "holds" it with a's balance
    await expectNoWitness(c, { ...honest, slotKeyBefore: 0n, balanceBefore: 0n }, /BalanceChange/); // "unused"
  });

  it("disabled: the root passes through and the (zero) witness is not checked, even for a debit", async () => {
    const zero = { ...inputFor(state, usdc, 50n, true, false), slotKeyBefore: 0n, balanceBefore: 0n, siblings: new Array(8).fill(0n) };
    const w = await c.calculateWitness(zero);
    await c.checkConstraints(w);
    expect(c.readOutput(w, "newRoot")).to.equal(state.balances.root());
  });

  it("bad input: non-binary isDebit or enabled has no witness", async () => {
    await expectNoWitness(c, { ...inputFor(state, eth, 1n, true), isDebit: 2 }, /BalanceChange/);
    await expectNoWitness(c, { ...inputFor(state, eth, 1n, false), enabled: P - 1n }, /BalanceChange/);
  });

  it("tampered witness: the used flag, the delta, the new leaf or the IsZero hint cannot be changed", async () => {
    const w = await c.calculateWitness(inputFor(state, eth, 2n, true));
    await expectConstraintFailure(c, c.tamper(w, "used", 0n));
    await expectConstraintFailure(c, c.tamper(w, "delta", 1n));
    await expectConstraintFailure(c, c.tamper(w, "newLeafHash.out", 1n));
    await expectConstraintFailure(c, c.tamper(w, "unused.inv", 1n));
    await expectConstraintFailure(c, c.tamper(w, "balanceAfter", 5n));
  });

  it("constraint count", () => {
    // tokenKey 240 + Num2Bits_strict 389 + IsZero 2 + 3 + 2 leaf hashes 480 + delta/debit 2 + Num2Bits(192)
    // + MerkleUpdateBits(8) 3856 + root check/mux 2 + binary flags 2 (--O2 merges a few)
    expect(c.constraintCount()).to.equal(5294);
  });
});
