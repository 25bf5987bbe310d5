import { expect } from "chai";
import { GlobalState, DEVNET_PARAMS, applyEpoch, EpochError, genesisStateCommitment, NetworkState, zeroHash, poseidon, historyLeaf, LeafType, fieldKeccak } from "../../lib";
import { ModelWorld, ref, assetExit } from "../helpers/world";

const P = DEVNET_PARAMS;

function expectEpochError(f: () => unknown, code: string) {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(EpochError);
    expect((e as EpochError).code).to.equal(code);
    return;
  }
  expect.fail(`expected EpochError ${code}`);
}

describe("epoch model (lib/epoch.ts): the aggregation rules", function () {
  it("genesis: a never-settled network has leaf 0 and the empty-trees commitment", function () {
    const g = new GlobalState(P);
    expect(g.root()).to.equal(zeroHash(P.networkBits));
    expect(g.record(1).leaf()).to.equal(0n);
    expect(g.record(1).state.commitment()).to.equal(genesisStateCommitment(P));
    expect(new NetworkState(1, P).commitment()).to.equal(genesisStateCommitment(P));
  });

  it("two chains, B imports from A in the same epoch: the root moves, leaves and history are as specified", function () {
    const w = new ModelWorld(P);
    const g = new GlobalState(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    expect(b.certificate.dependencies).to.deep.equal([ref(a)]);
    const r = applyEpoch(g, [a.certificate, b.certificate], cp, 2);
    expect(r.oldRoot).to.equal(g.root());
    expect(r.newRoot).to.not.equal(r.oldRoot);
    expect(r.slots[1].dependencies[0]).to.deep.include({ kind: "slot", slot: 0 });
    expect(r.slots[0].importSources).to.deep.equal([-1]);
    expect(r.slots[1].importSources).to.deep.equal([0]);
    const rec = r.state.record(1);
    expect(rec.nextHeight).to.equal(1n);
    expect(rec.leaf()).to.equal(poseidon([a.certificate.newStateCommitment, 1n, a.certificateId, rec.history.root()]));
    expect(rec.history.leaf(0)).to.equal(historyLeaf({ certificateId: a.certificateId, exitRoot: a.certificate.newLocalExitRoot }));
    expect(g.root()).to.equal(zeroHash(P.networkBits)); // the input state is untouched
  });

  it("a later epoch depends on a finalized certificate through the history; two certificates of one chain in one epoch", function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a0 = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 10n), assetExit(2, 20n)] });
    const e1 = applyEpoch(new GlobalState(P), [a0.certificate], cp);
    const b0 = w.certify(2, { imports: [w.importFrom(a0, 1)] });
    const b1 = w.certify(2, { imports: [w.importFrom(a0, 0)] });
    const e2 = applyEpoch(e1.state, [b0.certificate, b1.certificate], cp);
    expect(e2.slots[0].dependencies[0].kind).to.equal("finalized");
    expect(e2.state.record(2).nextHeight).to.equal(2n);
  });

  it("refuses a height gap, a stale state, and a certificate whose commitments lie", function () {
    const w = new ModelWorld(P);
    const cp = w.checkpoint();
    const a0 = w.certify(1);
    const a1 = w.certify(1);
    expectEpochError(() => applyEpoch(new GlobalState(P), [a1.certificate], cp), "HEIGHT_GAP");
    const lie = { ...a0.certificate, newStateCommitment: a0.certificate.newStateCommitment + 1n };
    expectEpochError(() => applyEpoch(new GlobalState(P), [lie], cp), "TRANSITION_MISMATCH");
    const stale = { ...a0.certificate, prevStateCommitment: 5n };
    expectEpochError(() => applyEpoch(new GlobalState(P), [stale], cp), "STATE_MISMATCH");
    expectEpochError(() => applyEpoch(new GlobalState(P), [], cp), "EMPTY_EPOCH");
    expectEpochError(() => applyEpoch(new GlobalState(P), [a0.certificate, a1.certificate], cp, 1), "OVER_CAPACITY");
  });

  it("refuses a dependency that is neither in the epoch nor finalized, and one naming an equivocated certificate", function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    expectEpochError(() => applyEpoch(new GlobalState(P), [b.certificate], cp), "DEPENDENCY_UNRESOLVED");
    // Chain 1 equivocates: another certificate at height 0 (different state root) is what gets settled.
    const w2 = new ModelWorld(P);
    w2.deposit({ destinationNetwork: 1, amount: 100n });
    const cp2 = w2.checkpoint();
    const other = w2.certify(1, { imports: [w2.importFromL1(0, cp2)], exits: [assetExit(2, 40n)], newStateRoot: "0x" + "ee".repeat(32) });
    expect(other.certificateId).to.not.equal(a.certificateId);
    expectEpochError(() => applyEpoch(new GlobalState(P), [other.certificate, b.certificate], cp), "DEPENDENCY_UNRESOLVED");
    const settled = applyEpoch(new GlobalState(P), [other.certificate], cp);
    expectEpochError(() => applyEpoch(settled.state, [b.certificate], cp), "DEPENDENCY_UNRESOLVED");
  });

  it("refuses an import whose root is not the named source's exit root, and an L1 import of another checkpoint", function () {
    const w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp0 = w.checkpoint();
    const imp = w.importFromL1(0, cp0);
    w.deposit({ destinationNetwork: 1, amount: 5n });
    const cp1 = w.checkpoint();
    const a = w.certify(1, { imports: [imp] });
    expectEpochError(() => applyEpoch(new GlobalState(P), [a.certificate], cp1), "L1_CHECKPOINT_MISMATCH");
    expect(applyEpoch(new GlobalState(P), [a.certificate], cp0).slots).to.have.length(1);
  });

  it("bundles: complete and successful passes; a missing leg, a failed leg or a leg naming other participants is refused", function () {
    const mk = (legs: { net: number; idx: number; ok: boolean; participants?: number[] }[]) => {
      const w = new ModelWorld(P);
      const cp = w.checkpoint();
      return { cp, certs: legs.map((l) => w.certify(l.net, { bundles: [{ bundleId: 77n, legIndex: l.idx, legCount: 2, success: l.ok, participants: l.participants ?? [1, 2] }] }).certificate) };
    };
    let t = mk([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 1, ok: true }]);
    expect(applyEpoch(new GlobalState(P), t.certs, t.cp).slots).to.have.length(2);
    t = mk([{ net: 1, idx: 0, ok: true }]);
    expectEpochError(() => applyEpoch(new GlobalState(P), t.certs, t.cp), "BUNDLE_INCOMPLETE");
    t = mk([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 0, ok: true, participants: [2, 1] }]);
    expectEpochError(() => applyEpoch(new GlobalState(P), t.certs, t.cp), "BUNDLE_INCOMPLETE");
    t = mk([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 1, ok: false }]);
    expectEpochError(() => applyEpoch(new GlobalState(P), t.certs, t.cp), "BUNDLE_FAILED");
    // A squatter: network 3 completes network 1's bundle as leg 1 under its own participant list.
    t = mk([{ net: 1, idx: 0, ok: true }, { net: 3, idx: 1, ok: true, participants: [1, 3] }]);
    expectEpochError(() => applyEpoch(new GlobalState(P), t.certs, t.cp), "BUNDLE_INCOMPLETE");
  });

  it("a message with value credits the source's gas coin on the destination", function () {
    const w = new ModelWorld(P);
    const cp = w.checkpoint();
    const msg = { leafType: LeafType.Message, originNetwork: 1, originAddress: 0xabcn, destinationNetwork: 2, destinationAddress: 0xdefn, amount: 5n, metadataHash: fieldKeccak("0x01") };
    const a = w.certify(1, { exits: [msg] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    const r = applyEpoch(new GlobalState(P), [a.certificate, b.certificate], cp);
    expect(r.slots[1].importSources).to.deep.equal([0]);
    expect(r.state.record(2).state.balanceOf({ originNetwork: 1, originAddress: 0n })).to.equal(5n);
    expect(r.state.record(1).state.balanceOf({ originNetwork: 1, originAddress: 0n })).to.equal(0n);
  });
});
