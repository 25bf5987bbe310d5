/**
 * The coordinator's L1 mirror (coordinator/l1/view.ts): a settled batch is applied from its
 * BatchCertificateFinalized events and BatchSettled alone (plus the certificates' bodies), with the reference model
 * (lib/batch-settlement.ts); the networks' records advance by each certificate's transition, and the certificates are
 * reported finalized with the hub's batch id. A batch L1 settled that the model does not reach (another root, a
 * batch id out of order, a certificate never received) marks the view diverged. Synthetic events, no L1 node and no proofs: fast.
 */
import { expect } from "chai";
import { BatchSettlementState, BuiltCertificate, DEVNET_PARAMS, L1Checkpoint, genesisStateCommitment } from "../../lib";
import { L1View } from "../../coordinator/l1/view";
import type { StoredL1Event } from "../../coordinator/store/store";
import { ModelWorld, assetExit } from "../helpers/world";

const P = DEVNET_PARAMS;
const TX = "0x" + "ab".repeat(32);

function events(certs: BuiltCertificate[], batchId: number, root: string, tx = TX, block = 10): StoredL1Event[] {
  const slots = certs.map((b, index): StoredL1Event => ({
    blockNumber: block, blockHash: "0x" + "11".repeat(32), logIndex: index, txHash: tx, name: "BatchCertificateFinalized",
    args: { networkId: String(b.certificate.networkId), height: String(b.certificate.height), certificateId: String(b.certificateId), newLocalExitRoot: String(b.certificate.newLocalExitRoot), batchId: String(batchId), index: String(index) },
  }));
  return [...slots, { blockNumber: block, blockHash: "0x" + "11".repeat(32), logIndex: certs.length, txHash: tx, name: "BatchSettled", args: { batchId: String(batchId), root, count: String(certs.length) } }];
}

describe("L1 mirror of the hub's batches (coordinator/l1/view.ts)", function () {
  let w: ModelWorld;
  let cp: L1Checkpoint;
  let a: BuiltCertificate, b: BuiltCertificate, a1: BuiltCertificate;
  const bodies = new Map<bigint, BuiltCertificate>();
  const body = (id: bigint) => bodies.get(id)?.certificate;
  const checkpointRoot = async (n: bigint) => (n === cp.number ? cp.exitRoot : null);
  const model = () => new BatchSettlementState(genesisStateCommitment(P));

  beforeEach(function () {
    w = new ModelWorld(P);
    w.deposit({ destinationNetwork: 1, amount: 100n });
    cp = w.checkpoint();
    a = w.certify(1, { imports: [w.importFromL1(0, cp)], exits: [assetExit(2, 40n)] });
    b = w.certify(2, { imports: [w.importFrom(a, 0)] });
    a1 = w.certify(1, {});
    for (const x of [a, b, a1]) bodies.set(x.certificateId, x);
  });

  it("applies two batches: tips, records and finalizations follow L1, with the hub's batch ids", async function () {
    const m = model();
    const p1 = m.plan([a, b].map((x) => ({ certificate: x.certificate, certificateId: x.certificateId })), (n) => (n === cp.number ? cp.exitRoot : undefined));
    m.apply(p1);
    const p2 = m.plan([{ certificate: a1.certificate, certificateId: a1.certificateId }], () => undefined);
    const view = new L1View(P);
    const fx1 = await view.apply(events([a, b], 1, p1.root), body, checkpointRoot);
    expect(view.diverged).to.equal(null);
    expect(fx1.settlements).to.deep.equal([{ txHash: TX, l1Epoch: 1, newRoot: BigInt(p1.root) }]);
    expect(fx1.finalized.map((f) => [f.certificateId, f.l1Epoch])).to.deep.equal([[a.certificateId, 1], [b.certificateId, 1]]);
    expect(view.batches.batchCount).to.equal(1);
    expect(view.batches.tip(2)).to.deep.equal({ stateCommitment: b.certificate.newStateCommitment, nextHeight: 1n });
    expect(view.mirror.record(1).nextHeight).to.equal(1n);
    expect(view.mirror.record(1).state.commitment()).to.equal(a.certificate.newStateCommitment);
    expect(view.mirror.finalized(2, 0n)).to.deep.include({ certificateId: b.certificateId, exitRoot: b.certificate.newLocalExitRoot });

    await view.apply(events([a1], 2, p2.root, "0x" + "cd".repeat(32), 11), body, checkpointRoot);
    expect(view.diverged).to.equal(null);
    expect(view.batches.batchRoot(1)).to.equal(p2.root);
    expect(view.mirror.record(1).nextHeight).to.equal(2n);
    expect(view.batches.finalizedAt(1, 1n)).to.include({ certificateId: a1.certificateId, batchId: 1, index: 0 });
  });

  it("diverges on another root, a batch id out of order, or a certificate it never received", async function () {
    const p1 = model().plan([a, b].map((x) => ({ certificate: x.certificate, certificateId: x.certificateId })), (n) => (n === cp.number ? cp.exitRoot : undefined));
    const wrongRoot = new L1View(P);
    await wrongRoot.apply(events([a, b], 1, "0x" + "00".repeat(31) + "01"), body, checkpointRoot);
    expect(wrongRoot.diverged).to.match(/batch root/);
    expect(wrongRoot.batches.batchCount).to.equal(0);
    expect(wrongRoot.mirror.record(1).nextHeight).to.equal(0n);

    const outOfOrder = new L1View(P);
    await outOfOrder.apply(events([a, b], 2, p1.root), body, checkpointRoot);
    expect(outOfOrder.diverged).to.match(/next batch is 1/);

    const unknown = new L1View(P);
    const fx = await unknown.apply(events([a, b], 1, p1.root), (id) => (id === b.certificateId ? undefined : body(id)), checkpointRoot);
    expect(unknown.diverged).to.match(/never received/);
    expect(fx.finalized, "L1 is the truth: its finalizations are still reported").to.have.length(2);
  });
});
