import { expect } from "chai";
import {
  BatchError, BatchSettlementState, BuiltCertificate, DEVNET_PARAMS, L1Checkpoint, batchLeaf, batchProof, batchRoot, genesisStateCommitment,
  tipOf, verifyBatchProof,
} from "../../lib";
import { ModelWorld, ref, assetExit } from "../helpers/world";

const P = DEVNET_PARAMS;
const entry = (b: BuiltCertificate) => ({ certificate: b.certificate, certificateId: b.certificateId });
const checkpoints = (...cps: L1Checkpoint[]) => (n: bigint) => cps.find((c) => c.number === n)?.exitRoot;

function expectBatchError(f: () => unknown, code: string, slot?: number) {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(BatchError);
    expect((e as BatchError).code).to.equal(code);
    if (slot !== undefined) expect((e as BatchError).slot).to.equal(slot);
    return;
  }
  expect.fail(`expected BatchError ${code}`);
}

describe("batched settlement model (lib/batch-settlement.ts): the hub's rules without an aggregation proof", function () {
  it("leaves, roots and proofs: keccak, padded to a power of two with zero leaves; a single leaf is the root", function () {
    const leaves = [1, 2, 3].map((k) => batchLeaf({ networkId: k, height: BigInt(k), certificateId: BigInt(100 + k), exitRoot: BigInt(200 + k) }));
    expect(batchRoot([leaves[0]])).to.equal(leaves[0]);
    const root = batchRoot(leaves);
    for (let i = 0; i < 3; i++) {
      const siblings = batchProof(leaves, i);
      expect(siblings).to.have.length(2);
      expect(verifyBatchProof(leaves[i], i, siblings, root)).to.equal(true);
      expect(verifyBatchProof(leaves[i], i ^ 1, siblings, root)).to.equal(false);
    }
    expect(verifyBatchProof(leaves[0], 0, batchProof(leaves, 0), batchRoot(leaves.slice(0, 2)))).to.equal(false);
    expect(tipOf(genesisStateCommitment(P), 0n)).to.not.equal(tipOf(genesisStateCommitment(P), 1n));
  });

  it("two chains, B imports from A in the same batch: tips move, the dependency is the slot, the leaves are the batch's", function () {
    const w = new ModelWorld(P);
    const s = new BatchSettlementState(genesisStateCommitment(P));
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    const plan = s.plan([entry(a), entry(b)], checkpoints(cp));
    expect(plan.slots[1].dependencies).to.deep.equal([{ kind: "slot", slot: 0 }]);
    expect(plan.leaves[0]).to.equal(batchLeaf({ networkId: 1, height: 0n, certificateId: a.certificateId, exitRoot: a.certificate.newLocalExitRoot }));
    expect(s.tip(1)).to.deep.equal({ stateCommitment: genesisStateCommitment(P), nextHeight: 0n }); // planning changes nothing
    s.apply(plan);
    expect(s.tip(1)).to.deep.equal({ stateCommitment: a.certificate.newStateCommitment, nextHeight: 1n });
    expect(s.finalizedAt(2, 0n)).to.include({ certificateId: b.certificateId, batchId: 0, index: 1 });
    expect(s.batchRoot(0)).to.equal(plan.root);
  });

  it("a later batch depends on a finalized certificate through its leaf and path; two certificates of one chain in one batch", function () {
    const w = new ModelWorld(P);
    const s = new BatchSettlementState(genesisStateCommitment(P));
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a0 = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 10n), assetExit(2, 20n)] });
    s.apply(s.plan([entry(a0)], checkpoints(cp)));
    const b0 = w.certify(2, { imports: [w.importFrom(a0, 1)] });
    const b1 = w.certify(2, { imports: [w.importFrom(a0, 0)] });
    const plan = s.plan([entry(b0), entry(b1)], checkpoints(cp));
    const loc = plan.slots[0].dependencies[0];
    expect(loc.kind).to.equal("finalized");
    if (loc.kind === "finalized") expect(verifyBatchProof(batchLeaf(loc.leaf), loc.index, loc.siblings, s.batchRoot(loc.batchId))).to.equal(true);
    s.apply(plan);
    expect(s.tip(2).nextHeight).to.equal(2n);
  });

  it("STALE_TIP: a height gap, a certificate replayed, a state that is not the settled one; two slots of one chain out of order", function () {
    const w = new ModelWorld(P);
    const s = new BatchSettlementState(genesisStateCommitment(P));
    const a0 = w.certify(1, {});
    const a1 = w.certify(1, {});
    expectBatchError(() => s.plan([entry(a1)], checkpoints()), "STALE_TIP", 0);
    expectBatchError(() => s.plan([entry(a1), entry(a0)], checkpoints()), "STALE_TIP", 0);
    s.apply(s.plan([entry(a0)], checkpoints()));
    expectBatchError(() => s.plan([entry(a0)], checkpoints()), "STALE_TIP", 0); // replay
    // another chain 1 history (a certificate at height 1 built on another state)
    const w2 = new ModelWorld(P);
    w2.deposit({ destinationNetwork: 1, amount: 5n });
    const cp2 = w2.checkpoint();
    w2.certify(1, { imports: [w2.importFromL1(0, cp2)] });
    const other1 = w2.certify(1, {});
    expect(other1.certificate.height).to.equal(1n);
    expect(other1.certificate.prevStateCommitment).to.not.equal(a0.certificate.newStateCommitment);
    expectBatchError(() => s.plan([entry(other1)], checkpoints()), "STALE_TIP", 0);
    expect(() => s.plan([entry(a1)], checkpoints())).to.not.throw();
  });

  it("DEPENDENCY_UNRESOLVED: neither in the batch nor finalized, or naming a certificate other than the one settled (equivocation)", function () {
    const w = new ModelWorld(P);
    const s = new BatchSettlementState(genesisStateCommitment(P));
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    expectBatchError(() => s.plan([entry(b)], checkpoints(cp)), "DEPENDENCY_UNRESOLVED", 0);
    // chain 1 equivocates: another certificate at height 0 is the one that settles
    const w2 = new ModelWorld(P);
    w2.deposit({ destinationNetwork: 1, amount: 100n });
    const cp2 = w2.checkpoint();
    const other = w2.certify(1, { imports: [w2.importFromL1(0, cp2)], exits: [assetExit(2, 40n)], newStateRoot: "0x" + "ee".repeat(32) });
    expect(other.certificateId).to.not.equal(a.certificateId);
    s.apply(s.plan([entry(other)], checkpoints(cp2)));
    expectBatchError(() => s.plan([entry(b)], checkpoints(cp)), "DEPENDENCY_UNRESOLVED", 0);
    expect(ref(a).height).to.equal(0n);
  });

  it("DEPENDENCY_EXIT_ROOT and UNKNOWN_CHECKPOINT: an import against a root the dependency does not have; an L1 checkpoint L1 does not have", function () {
    const w = new ModelWorld(P);
    const s = new BatchSettlementState(genesisStateCommitment(P));
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    // b's import claims another exit root for a (the model's certificate says what it imported from)
    const lying = { ...b.certificate, importedExits: b.certificate.importedExits.map((i) => ({ ...i, sourceExitRoot: i.sourceExitRoot + 1n })) };
    expectBatchError(() => s.plan([entry(a), { certificate: lying, certificateId: b.certificateId }], checkpoints(cp)), "DEPENDENCY_EXIT_ROOT", 1);
    expectBatchError(() => s.plan([entry(a)], checkpoints()), "UNKNOWN_CHECKPOINT", 0);
    expectBatchError(() => s.plan([entry(a)], checkpoints({ number: cp.number, exitRoot: cp.exitRoot + 1n })), "UNKNOWN_CHECKPOINT", 0);
  });

  it("bundles: complete and successful passes; a missing leg, a failed leg or two lists of participants is refused", function () {
    const legs = (spec: { net: number; idx: number; ok: boolean; participants?: number[] }[]) => {
      const w = new ModelWorld(P);
      return spec.map((l) => entry(w.certify(l.net, { bundles: [{ bundleId: 77n, legIndex: l.idx, legCount: 2, success: l.ok, participants: l.participants ?? [1, 2] }] })));
    };
    const fresh = () => new BatchSettlementState(genesisStateCommitment(P));
    expect(() => fresh().plan(legs([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 1, ok: true }]), checkpoints())).to.not.throw();
    expectBatchError(() => fresh().plan(legs([{ net: 1, idx: 0, ok: true }]), checkpoints()), "BUNDLE_INCOMPLETE");
    expectBatchError(() => fresh().plan(legs([{ net: 1, idx: 0, ok: true }, { net: 2, idx: 1, ok: false }]), checkpoints()), "BUNDLE_FAILED", 1);
    expectBatchError(() => fresh().plan(legs([{ net: 1, idx: 0, ok: true }, { net: 3, idx: 1, ok: true, participants: [1, 3] }]), checkpoints()), "BUNDLE_INCOMPLETE");
  });

  it("independence: a settlement of chain C between planning and applying a batch of A and B leaves that plan valid", function () {
    const w = new ModelWorld(P);
    const s = new BatchSettlementState(genesisStateCommitment(P));
    w.deposit({ destinationNetwork: 1, amount: 100n });
    const cp = w.checkpoint();
    const a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    const b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    const ab = s.plan([entry(a), entry(b)], checkpoints(cp));
    const c = w.certify(3, {});
    s.apply(s.plan([entry(c)], checkpoints(cp))); // e.g. an opt-out chain settles directly
    const again = s.plan([entry(a), entry(b)], checkpoints(cp));
    expect(again.slots.map((x) => x.dependencies)).to.deep.equal(ab.slots.map((x) => x.dependencies));
    expect(again.root).to.equal(ab.root);
  });

  it("EMPTY_BATCH", function () {
    expectBatchError(() => new BatchSettlementState(0n).plan([], checkpoints()), "EMPTY_BATCH");
  });
});
