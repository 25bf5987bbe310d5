import { expect } from "chai";
import { DEVNET_PARAMS, GlobalState, applyEpoch, historyLeaf } from "../../lib";
import { CircuitInput, TestCircuit, expectConstraintFailure, expectNoWitness, loadCircuit, terminateCurves } from "../helpers/circuit";
import { ModelWorld, assetExit } from "../helpers/world";
import { P } from "./fixtures";

const G = DEVNET_PARAMS; // networkBits 2, historyDepth 6

/** Network 1 finalizes two certificates (heights 0 and 1) in two epochs. */
function settledWorld() {
  const w = new ModelWorld(G);
  w.deposit({ destinationNetwork: 1, amount: 100n });
  const cp = w.checkpoint();
  const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
  const e1 = applyEpoch(new GlobalState(G), [a.certificate], cp, 1);
  const b = w.certify(1, { exits: [assetExit(2, 10n)] });
  const e2 = applyEpoch(e1.state, [b.certificate], cp, 1);
  return { state: e2.state, certs: [a, b] };
}

/** The witness input proving that (1, height) is finalized under state.root(). */
function finalizedInput(state: GlobalState, height: bigint, certificateId: bigint, exitRoot: bigint): CircuitInput {
  const record = state.record(1);
  return {
    enabled: 1,
    oldGlobalRoot: state.root(),
    networkId: 1,
    height,
    certificateId,
    exitRoot,
    ...record.leafPreimage(),
    globalSiblings: state.leafProof(1),
    historySiblings: record.historyProof(height).siblings,
  };
}

describe("circuit FinalizedEntry(2, 6)", function () {
  this.timeout(600_000);
  let c: TestCircuit;
  let world: ReturnType<typeof settledWorld>;
  let valid: CircuitInput[];

  before(async () => {
    c = await loadCircuit({ template: "FinalizedEntry", params: [G.networkBits, G.historyDepth] });
    world = settledWorld();
    valid = world.certs.map((b, h) => finalizedInput(world.state, BigInt(h), b.certificateId, b.certificate.newLocalExitRoot));
  });
  after(terminateCurves);

  it("accepts each finalized certificate of the model (heights 0 and 1) under the old global root", async () => {
    const record = world.state.record(1);
    expect(record.nextHeight).to.equal(2n);
    for (let h = 0; h < 2; h++) {
      expect(record.entries[h].exitRoot).to.equal(valid[h].exitRoot);
      const w = await c.calculateWitness(valid[h]);
      await c.checkConstraints(w);
      expect(c.readOutput(w, "globalRoot")).to.equal(world.state.root());
      expect(c.readOutput(w, "leaf")).to.equal(record.leaf());
      expect(c.readOutput(w, "entry")).to.equal(historyLeaf(record.entries[h]));
      expect(c.readOutput(w, "root")).to.equal(record.history.root());
    }
  });

  it("disabled: anything passes (field edges 0 and p - 1 included)", async () => {
    const zeros = (n: number) => Array.from({ length: n }, () => 0n);
    const edge = (n: number) => Array.from({ length: n }, () => P - 1n);
    for (const [v, sib] of [[0n, zeros], [P - 1n, edge]] as const) {
      const w = await c.calculateWitness({
        enabled: 0, oldGlobalRoot: v, networkId: v, height: v, certificateId: v, exitRoot: v,
        stateCommitment: v, nextHeight: v, lastCertificateId: v, historyRoot: v,
        globalSiblings: sib(G.networkBits), historySiblings: sib(G.historyDepth),
      });
      await c.checkConstraints(w);
    }
  });

  it("bad input: a wrong exit root, id, height, record or old root has no witness", async () => {
    const v = valid[1];
    await expectNoWitness(c, { ...v, exitRoot: valid[0].exitRoot }, /FinalizedEntry/);
    await expectNoWitness(c, { ...v, certificateId: valid[0].certificateId }, /FinalizedEntry/);
    await expectNoWitness(c, { ...v, height: 0 }, /FinalizedEntry/);
    await expectNoWitness(c, { ...v, height: 2 }, /FinalizedEntry/); // not finalized yet (empty slot)
    await expectNoWitness(c, { ...v, nextHeight: 3 }, /FinalizedEntry/);
    await expectNoWitness(c, { ...v, networkId: 2 }, /FinalizedEntry/);
    await expectNoWitness(c, { ...v, oldGlobalRoot: (v.oldGlobalRoot as bigint) + 1n }, /FinalizedEntry/);
  });

  it("field edges: exit root p - 1, network id 2^2 or p - 1, height 2^6 have no witness when enabled", async () => {
    const v = valid[0];
    await expectNoWitness(c, { ...v, exitRoot: P - 1n }, /FinalizedEntry/);
    await expectNoWitness(c, { ...v, networkId: 4 }, /Num2Bits/);
    await expectNoWitness(c, { ...v, networkId: P - 1n }, /Num2Bits/);
    await expectNoWitness(c, { ...v, height: 64 }, /Num2Bits/);
  });

  it("tampered witness: a changed history entry, network leaf or recomputed root violates a constraint", async () => {
    const w = await c.calculateWitness(valid[0]);
    await expectConstraintFailure(c, c.tamper(w, "entry", historyLeaf({ certificateId: 1n, exitRoot: 2n })));
    await expectConstraintFailure(c, c.tamper(w, "leaf", 5n));
    await expectConstraintFailure(c, c.tamper(w, "globalRoot", 5n));
    await expectConstraintFailure(c, c.tamper(w, "root", 5n));
  });

  it("constraint count", () => {
    // NetworkLeafHash 297 + MerkleRoot(2) + Poseidon(2) + MerkleRoot(6) + 2 products
    expect(c.constraintCount()).to.equal(2477);
  });
});
