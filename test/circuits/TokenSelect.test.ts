import { expect } from "chai";
import { TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit } from "../helpers/circuit";
import { P } from "./fixtures";

const T = 3;
/** Listed tokens: two active, one padded entry (all zero). */
const LIST = { tokenActive: [1, 1, 0], tokenOriginNetwork: [0n, 2n, 0n], tokenOriginAddress: [0xaan, 0n, 0n] };

function input(tracked: number, originNetwork: bigint, originAddress: bigint, amount: bigint, sel: number[]) {
  return { tracked, originNetwork, originAddress, amount, sel, ...LIST };
}

describe("circuit TokenSelect(3)", function () {
  this.timeout(600_000);
  let c: TestCircuit;

  before(async () => {
    c = await loadCircuit({ template: "TokenSelect", params: [T] });
  });

  async function parts(i: ReturnType<typeof input>): Promise<bigint[]> {
    const w = await c.calculateWitness(i);
    await c.checkConstraints(w);
    return [0, 1, 2].map((t) => c.readOutput(w, `part[${t}]`));
  }

  it("a tracked item counts its amount against its own listed token; an untracked one against none", async () => {
    expect(await parts(input(1, 0n, 0xaan, 7n, [1, 0, 0]))).to.deep.equal([7n, 0n, 0n]);
    expect(await parts(input(1, 2n, 0n, 5n, [0, 1, 0]))).to.deep.equal([0n, 5n, 0n]);
    expect(await parts(input(0, 1n, 0xbbn, 9n, [0, 0, 0]))).to.deep.equal([0n, 0n, 0n]);
  });

  it("field edges: amount 2^128 - 1 and amount 0 of an untracked item", async () => {
    const max = (1n << 128n) - 1n;
    expect(await parts(input(1, 2n, 0n, max, [0, 1, 0]))).to.deep.equal([0n, max, 0n]);
    expect(await parts(input(0, 0n, 0n, 0n, [0, 0, 0]))).to.deep.equal([0n, 0n, 0n]);
  });

  it("a debit of an unlisted token has no witness, whichever entry it selects", async () => {
    for (const sel of [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]) {
      await expectNoWitness(c, input(1, 0n, 0xccn, 5n, sel), /TokenSelect/);
    }
  });

  it("a tracked item cannot select another listed token, the padded entry (even for token (0, 0)), or none", async () => {
    await expectNoWitness(c, input(1, 0n, 0xaan, 7n, [0, 1, 0]), /TokenSelect/);
    await expectNoWitness(c, input(1, 0n, 0n, 7n, [0, 0, 1]), /TokenSelect/); // L1's ETH vs the all-zero padding
    await expectNoWitness(c, input(1, 0n, 0xaan, 7n, [0, 0, 0]), /TokenSelect/);
  });

  it("bad input: an untracked item selecting an entry, two entries, a non-binary selector", async () => {
    await expectNoWitness(c, input(0, 0n, 0xaan, 7n, [1, 0, 0]), /TokenSelect|OneHot/);
    await expectNoWitness(c, input(1, 0n, 0xaan, 7n, [1, 1, 0]), /TokenSelect|OneHot/);
    await expectNoWitness(c, { ...input(1, 0n, 0xaan, 7n, [1, 0, 0]), sel: [2, P - 1n, 0] } as never, /TokenSelect|OneHot/);
  });

  it("tampered witness: a part or a selected value cannot be changed", async () => {
    const w = await c.calculateWitness(input(1, 0n, 0xaan, 7n, [1, 0, 0]));
    await expectConstraintFailure(c, c.tamper(w, "part[0]", 8n));
    await expectConstraintFailure(c, c.tamper(w, "part[1]", 1n));
    await expectConstraintFailure(c, c.tamper(w, "selNetwork", 2n));
  });

  it("constraint count", () => {
    // OneHot 3 + 3 SelectBySel of 3 (9) + 2 products + 3 parts (--O2 merges a few)
    expect(c.constraintCount()).to.equal(17);
  });
});
