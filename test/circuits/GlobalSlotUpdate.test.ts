import { expect } from "chai";
import { DEVNET_PARAMS, GlobalState, SlotResult, applyEpoch, genesisStateCommitment, historyLeaf, zeroHash } from "../../lib";
import { CircuitInput, TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { ModelWorld, assetExit } from "../helpers/world";
import { P } from "./fixtures";

const G = DEVNET_PARAMS; // networkBits 2, historyDepth 6
const GENESIS = genesisStateCommitment(G);

/** GlobalSlotUpdate's input for one slot of applyEpoch, against the epoch's running root `runningRoot`. */
function slotInput(slot: SlotResult, runningRoot: bigint): CircuitInput {
  const c = slot.certificate;
  const rec = slot.before.settled
    ? slot.before.leafPreimage()
    : { stateCommitment: GENESIS, nextHeight: 0n, lastCertificateId: 0n, historyRoot: zeroHash(G.historyDepth) };
  return {
    genesisStateCommitment: GENESIS,
    enabled: 1,
    runningRoot,
    networkId: c.networkId,
    height: c.height,
    prevStateCommitment: c.prevStateCommitment,
    newStateCommitment: c.newStateCommitment,
    certificateId: slot.certificateId,
    newLocalExitRoot: c.newLocalExitRoot,
    isGenesis: slot.before.settled ? 0 : 1,
    ...rec,
    globalSiblings: slot.globalUpdate.siblings,
    historySiblings: slot.historyAppendSiblings,
  };
}

/** Network 1 settles twice (genesis, then a settled record) and network 3 once, one slot per epoch. */
function epochs() {
  const w = new ModelWorld(G);
  w.deposit({ destinationNetwork: 1, amount: 100n });
  const cp = w.checkpoint();
  const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
  const e1 = applyEpoch(new GlobalState(G), [a.certificate], cp, 1);
  const b = w.certify(1, { exits: [assetExit(3, 10n)] });
  const e2 = applyEpoch(e1.state, [b.certificate], cp, 1);
  const d = w.certify(3);
  const e3 = applyEpoch(e2.state, [d.certificate], cp, 1);
  return [e1, e2, e3];
}

describe("circuit GlobalSlotUpdate(2, 6)", function () {
  this.timeout(600_000);
  let c: TestCircuit;
  let eps: ReturnType<typeof epochs>;
  let inputs: CircuitInput[];

  before(async () => {
    c = await loadCircuit({ template: "GlobalSlotUpdate", params: [G.networkBits, G.historyDepth] });
    eps = epochs();
    inputs = eps.map((e) => slotInput(e.slots[0], e.oldRoot));
  });
  after(terminateCurves);

  it("gives the model's new global root for one-slot epochs (genesis and settled records)", async () => {
    expect(eps.map((e) => e.slots[0].before.settled)).to.deep.equal([false, true, false]);
    for (let k = 0; k < eps.length; k++) {
      const w = await c.calculateWitness(inputs[k]);
      await c.checkConstraints(w);
      expect(c.readOutput(w, "nextRoot")).to.equal(eps[k].newRoot);
      expect(c.readOutput(w, "nextRoot")).to.equal(eps[k].state.root());
      const after = eps[k].slots[0].after;
      expect(c.readOutput(w, "newLeaf")).to.equal(after.leaf());
      expect(c.readOutput(w, "entry")).to.equal(historyLeaf(after.entries[after.entries.length - 1]));
      expect(c.readOutput(w, "oldLeaf")).to.equal(eps[k].slots[0].before.leaf());
    }
  });

  it("disabled: nextRoot is the running root (0 and p - 1), whatever the other inputs", async () => {
    for (const v of [0n, P - 1n]) {
      const w = await c.calculateWitness({
        ...inputs[1], enabled: 0, isGenesis: 0, runningRoot: v, height: v, prevStateCommitment: v, newStateCommitment: v,
        certificateId: v, newLocalExitRoot: v, stateCommitment: v, nextHeight: v, lastCertificateId: v, historyRoot: v,
        networkId: 3, globalSiblings: [v, v], historySiblings: Array.from({ length: G.historyDepth }, () => v),
      });
      await c.checkConstraints(w);
      expect(c.readOutput(w, "nextRoot")).to.equal(v);
    }
  });

  it("bad input: wrong height, prev state, running root, record, genesis flag or history has no witness", async () => {
    const [g, s] = inputs;
    await expectNoWitness(c, { ...g, height: 1 }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...s, height: 0 }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...s, prevStateCommitment: g.prevStateCommitment }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...s, runningRoot: eps[0].oldRoot }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...s, lastCertificateId: 5n }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...s, isGenesis: 1 }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...g, isGenesis: 0 }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...g, stateCommitment: GENESIS + 1n, prevStateCommitment: GENESIS + 1n }, /GlobalSlotUpdate/);
    // appending over an occupied history slot (the settled record's slot 0)
    await expectNoWitness(c, { ...s, historySiblings: inputs[0].historySiblings }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...g, enabled: 2 }, /GlobalSlotUpdate/);
  });

  it("field edges: network id 2^2 or p - 1, enabled or isGenesis p - 1 have no witness", async () => {
    const g = inputs[0];
    await expectNoWitness(c, { ...g, networkId: 4 }, /Num2Bits/);
    await expectNoWitness(c, { ...g, networkId: P - 1n }, /Num2Bits/);
    await expectNoWitness(c, { ...g, enabled: P - 1n }, /GlobalSlotUpdate/);
    await expectNoWitness(c, { ...g, isGenesis: P - 1n }, /GlobalSlotUpdate/);
  });

  it("tampered witness: a changed room flag, leaf, history entry or next root violates a constraint", async () => {
    const w = await c.calculateWitness(inputs[1]);
    await expectConstraintFailure(c, c.tamper(w, "room", 0n));
    await expectConstraintFailure(c, c.tamper(w, "newLeaf", 5n));
    await expectConstraintFailure(c, c.tamper(w, "oldLeaf", 0n));
    await expectConstraintFailure(c, c.tamper(w, "entry", 5n));
    await expectConstraintFailure(c, c.tamper(w, "nextRoot", eps[1].oldRoot));
  });

  it("constraint count", () => {
    expect(c.constraintCount()).to.equal(4721);
  });
});
