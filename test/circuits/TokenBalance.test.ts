import { expect } from "chai";
import { NetworkState, TEST_PARAMS, TokenId, gasCoin, tokenKey } from "../../lib";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { seedBalance } from "../helpers/vectors";
import { P } from "./fixtures";

const LIMIT = 1n << 192n;
const usdc: TokenId = { originNetwork: 0, originAddress: 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48n };
const eth = gasCoin(0);

/**
 * The circuit input for changing `token` by +credit -debit in `state`, with the model's witness: the token's slot
 * (or the next unused one) and the slot's real holder and balance.
 */
function inputFor(state: NetworkState, token: TokenId, credit: bigint, debit: bigint, enabled = true) {
  const key = tokenKey(token);
  const slot = state.slotOf(key) ?? state.nextFreeSlot()!;
  const held = state.balanceBook.get(slot);
  return {
    enabled: enabled ? 1 : 0,
    balanceRoot: state.balances.root(),
    originNetwork: token.originNetwork,
    originAddress: token.originAddress,
    slot,
    slotKeyBefore: held?.key ?? 0n,
    balanceBefore: held?.balance ?? 0n,
    credit,
    debit,
    siblings: state.balances.proof(slot).siblings,
  };
}

/** The model's balance root after setting `token`'s balance to `after`. */
function rootWith(state: NetworkState, token: TokenId, after: bigint): bigint {
  const s = state.clone();
  seedBalance(s, token, after);
  return s.balances.root();
}

describe("circuit TokenBalance(8)", function () {
  this.timeout(600_000);
  let c: TestCircuit;
  const state = new NetworkState(1, TEST_PARAMS);
  seedBalance(state, eth, 5n);

  before(async () => {
    c = await loadCircuit({ template: "TokenBalance", params: [TEST_PARAMS.balanceDepth] });
  });

  async function expectChange(s: NetworkState, token: TokenId, credit: bigint, debit: bigint, after: bigint) {
    const w = await c.calculateWitness(inputFor(s, token, credit, debit));
    await c.checkConstraints(w);
    expect(c.readOutput(w, "tokenKey")).to.equal(tokenKey(token));
    expect(c.readOutput(w, "balanceAfter")).to.equal(after);
    expect(c.readOutput(w, "newRoot")).to.equal(rootWith(s, token, after));
  }

  it("credits an unused slot and a held one, debits to exactly zero, credit and debit together (the model's roots)", async () => {
    await expectChange(state, usdc, 100n, 0n, 100n);
    await expectChange(state, eth, 7n, 0n, 12n);
    await expectChange(state, eth, 0n, 5n, 0n);
    await expectChange(state, eth, 10n, 15n, 0n); // imports pay for the exits in the same certificate
    await expectChange(state, usdc, 100n, 100n, 0n); // a token never held, in and out
  });

  it("field edges: sums of many 2^128 - 1 amounts into an unused slot; a balance reaching exactly 2^192 - 1", async () => {
    const max = (1n << 128n) - 1n;
    await expectChange(state, usdc, 64n * max, 0n, 64n * max);
    const s = state.clone();
    seedBalance(s, usdc, LIMIT - 1n - 1000n);
    await expectChange(s, usdc, 1000n, 0n, LIMIT - 1n);
    // passing 2^192 - 1 on the way is fine when the end is below (per token, not per item)
    await expectChange(s, usdc, 2000n, 1500n, LIMIT - 1n - 500n);
  });

  it("BALANCE_OVERFLOW: a final balance of 2^192 has no witness", async () => {
    const s = state.clone();
    seedBalance(s, usdc, LIMIT - 1000n);
    await expectNoWitness(c, inputFor(s, usdc, 1000n, 0n), /Num2Bits/);
  });

  it("OVERDRAW: a debit 1 wei above balance + credit has no witness, nor has one from an unused slot", async () => {
    await expectNoWitness(c, inputFor(state, eth, 0n, 6n), /Num2Bits/);
    await expectNoWitness(c, inputFor(state, eth, 3n, 9n), /Num2Bits/);
    await expectNoWitness(c, inputFor(state, usdc, 0n, 1n), /Num2Bits/);
    const max = (1n << 128n) - 1n;
    await expectNoWitness(c, inputFor(state, usdc, 63n * max, 64n * max), /Num2Bits/);
  });

  it("wrap-around: no claimed balanceBefore other than the real one passes (the leaf binds it)", async () => {
    const honest = inputFor(state, eth, 0n, 6n);
    for (const claimed of [6n, 6n + (1n << 100n), LIMIT - 1n, P - 1n, P - 6n + 5n]) {
      await expectNoWitness(c, { ...honest, balanceBefore: claimed }, /TokenBalance/);
    }
    // claiming the slot unused (old leaf 0) with balance 0 fails the root check, with balance > 0 the unused rule
    await expectNoWitness(c, { ...inputFor(state, usdc, 1n, 0n), balanceBefore: 10n }, /TokenBalance/);
    await expectNoWitness(c, { ...honest, slotKeyBefore: 0n, balanceBefore: 0n }, /TokenBalance/);
  });

  it("another token's slot: no witness whatever holder is claimed; an unused slot of the chain's choice is accepted", async () => {
    const s = new NetworkState(1, TEST_PARAMS);
    seedBalance(s, eth, 10n); // slot 0
    const ethSlot = inputFor(s, eth, 0n, 0n);
    const intoEth = { ...inputFor(s, usdc, 3n, 0n), slot: ethSlot.slot, siblings: ethSlot.siblings, slotKeyBefore: ethSlot.slotKeyBefore, balanceBefore: ethSlot.balanceBefore };
    await expectNoWitness(c, intoEth, /TokenBalance/); // the real holder: not {0, key(usdc)}
    await expectNoWitness(c, { ...intoEth, slotKeyBefore: tokenKey(usdc) }, /TokenBalance/); // usdc "holds" it with eth's balance
    await expectNoWitness(c, { ...intoEth, slotKeyBefore: 0n, balanceBefore: 0n }, /TokenBalance/); // "unused"
    // a debit of eth moved into usdc's freshly claimed slot has nothing to debit: the same as a token never held
    const far = 200n;
    const w = await c.calculateWitness({ ...inputFor(s, usdc, 3n, 0n), slot: far, siblings: s.balances.proof(far).siblings });
    await c.checkConstraints(w);
    const moved = s.clone();
    moved.balances.set(far, (await import("../../lib")).balanceLeaf(tokenKey(usdc), 3n));
    expect(c.readOutput(w, "newRoot")).to.equal(moved.balances.root());
  });

  it("bad input: a slot out of range, a non-binary enabled, have no witness", async () => {
    await expectNoWitness(c, { ...inputFor(state, usdc, 1n, 0n), slot: 256n }, /Num2Bits/);
    await expectNoWitness(c, { ...inputFor(state, eth, 1n, 0n), enabled: P - 1n }, /TokenBalance/);
  });

  it("disabled: the root passes through and the (zero) witness is not checked", async () => {
    const zero = { ...inputFor(state, usdc, 0n, 0n, false), slot: 0n, slotKeyBefore: 0n, balanceBefore: 0n, siblings: new Array(8).fill(0n) };
    const w = await c.calculateWitness(zero);
    await c.checkConstraints(w);
    expect(c.readOutput(w, "newRoot")).to.equal(state.balances.root());
  });

  it("tampered witness: the used flag, the new leaf, the IsZero hint or the balance cannot be changed", async () => {
    const w = await c.calculateWitness(inputFor(state, eth, 0n, 2n));
    await expectConstraintFailure(c, c.tamper(w, "used", 0n));
    await expectConstraintFailure(c, c.tamper(w, "newLeafHash.out", 1n));
    await expectConstraintFailure(c, c.tamper(w, "unused.inv", 1n));
    await expectConstraintFailure(c, c.tamper(w, "balanceAfter", 5n));
  });

  it("constraint count", () => {
    // tokenKey 240 + slot bits 8 + IsZero 2 + 3 + 2 leaf hashes 480 + Num2Bits(192) 193
    // + MerkleUpdateBits(8) 3856 + root check/mux 2 + binary flag 1 (--O2 merges a few)
    expect(c.constraintCount()).to.equal(4784);
  });
});
