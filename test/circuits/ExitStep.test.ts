import { expect } from "chai";
import { ExitLeaf, NetworkState, TEST_PARAMS, TokenId, buildCertificate, fieldKeccak, gasCoin } from "../../lib";
import { certificateWitness } from "../../lib/witness";
import { Prng } from "../../scripts/gen-vectors";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { seedBalance } from "../helpers/vectors";
import { ETHER, SHAPE_A, assetLeaf, exitStepInput, forgeInput, messageLeaf } from "./fixtures";

const ME = 1;
const rng = new Prng("ExitStep");
const user = rng.address();
const usdc: TokenId = { originNetwork: 0, originAddress: rng.address() };
const mine: TokenId = { originNetwork: ME, originAddress: rng.address() };

describe("circuit ExitStep()", function () {
  this.timeout(600_000);
  let c: TestCircuit;
  const state = new NetworkState(ME, TEST_PARAMS);
  seedBalance(state, gasCoin(0), 10n * ETHER);
  seedBalance(state, usdc, 500n);

  before(async () => {
    c = await loadCircuit({ template: "ExitStep", params: [] });
  });

  const valid = (leaf: ExitLeaf, s = state) => {
    const built = buildCertificate(s, { height: 0n, newStateRoot: "0x" + "00".repeat(32), imports: [], exits: [leaf] });
    return { built, input: exitStepInput(certificateWitness(s, built, SHAPE_A), 0) };
  };
  const forged = (leaf: ExitLeaf, s = state) => exitStepInput(forgeInput(s, { imports: [], exits: [leaf] }, SHAPE_A), 0);

  it("checks valid exits like the model and flags what it debits: foreign tokens, not native tokens, message values, a message without value", async () => {
    const exits = [
      assetLeaf(gasCoin(0), 2, user, ETHER),
      assetLeaf(usdc, 0, user, 500n), // the whole balance
      assetLeaf(mine, 2, user, (1n << 128n) - 1n), // native: not tracked, any amount
      messageLeaf(ME, user, 0, user, 3n * ETHER, fieldKeccak("0xabcd")), // value in ME's own gas coin: native
      messageLeaf(ME, user, 2, user, 0n, fieldKeccak("0x01")), // a plain call: nothing moves
    ];
    for (const leaf of exits) {
      const { built, input } = valid(leaf);
      const w = await c.calculateWitness(input);
      await c.checkConstraints(w);
      expect(c.readOutput(w, "leafHash")).to.equal(built.transition.exits[0].leafHash);
      const step = built.transition.exits[0];
      expect(c.readOutput(w, "tracked")).to.equal(step.tokenIndex === null ? 0n : 1n);
      if (step.tokenIndex !== null) {
        const t = built.transition.tokens[step.tokenIndex].token;
        expect([c.readOutput(w, "movedAddress"), leaf.originNetwork]).to.deep.equal([t.originAddress, t.originNetwork]);
      }
    }
  });

  it("ZERO_AMOUNT: an asset exit of amount 0 has no witness, whatever the token (the model refuses it too)", async () => {
    for (const leaf of [assetLeaf({ originNetwork: 3, originAddress: 9n }, 2, user, 0n), assetLeaf(gasCoin(0), 2, user, 0n), assetLeaf(mine, 2, user, 0n)]) {
      await expectNoWitness(c, forged(leaf), /ExitStep/);
      expect(() => valid(leaf)).to.throw(/ZERO_AMOUNT/);
    }
    // an amount of 1 of a held token proves
    const w = await c.calculateWitness(valid(assetLeaf(usdc, 0, user, 1n)).input);
    await c.checkConstraints(w);
  });

  it("SELF_EXIT and MESSAGE_ORIGIN_MISMATCH have no witness", async () => {
    await expectNoWitness(c, forged(assetLeaf(mine, ME, user, 1n)), /AssertNonZeroIf/);
    await expectNoWitness(c, forged(messageLeaf(2, user, 0, user, 1n)), /ExitStep/);
    await expectNoWitness(c, forged(messageLeaf(0, user, 2, user, 0n)), /ExitStep/);
  });

  it("a padded (inactive) entry: all zeros, any root, passes it through; non-zero data has no witness", async () => {
    const zero = Object.fromEntries(Object.entries(valid(assetLeaf(mine, 2, user, 1n)).input).map(([k, v]) => [k, Array.isArray(v) ? v.map(() => 0n) : 0n]));
    const w = await c.calculateWitness({ ...zero, networkId: ME, active: 0 });
    await c.checkConstraints(w);
    expect(c.readOutput(w, "tracked")).to.equal(0n);
    for (const field of ["amount", "destinationNetwork", "originAddress", "leafType"]) {
      await expectNoWitness(c, { ...zero, networkId: ME, active: 0, [field]: 1 }, /ExitStep/);
    }
  });

  it("tampered witness: the tracked flag and the moved address cannot be changed", async () => {
    const w = await c.calculateWitness(valid(assetLeaf(gasCoin(0), 2, user, ETHER)).input);
    await expectConstraintFailure(c, c.tamper(w, "tracked", 0n));
    const m = await c.calculateWitness(valid(messageLeaf(ME, user, 2, user, 0n, fieldKeccak("0x01"))).input);
    await expectConstraintFailure(c, c.tamper(m, "movedAddress", user));
    // the zero-amount flag cannot be raised on a non-zero asset amount (with its inverse cleared, as a prover would)
    await expectConstraintFailure(c, c.tamper(c.tamper(w, "zeroAmount.out", 1n), "zeroAmount.inv", 0n));
  });

  it("constraint count", () => {
    // padding 7 + ExitLeafHash 810 + rules 3 (ZERO_AMOUNT one) + IsZero x 2 + tracked 1 + movedAddress 1
    // (the debit itself is per token, in TokenBalances)
    expect(c.constraintCount()).to.equal(826);
  });
});
