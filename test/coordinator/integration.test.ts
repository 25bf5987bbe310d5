/**
 * The coordinator against a real `hardhat node` process with the layer deployed: three chains
 * submit signed certificates with cross-chain imports, chains 1 and 2 prove their own, chain 3's proof comes from
 * the backup prover; batches settle on L1 with the stored certificate proofs (settleBatch) and every certificate is
 * Finalized, with L1's tips and batch roots equal to the reference model's (lib/batch-settlement.ts). Then a
 * settlement that reverts on L1 and an L1 reorg (evm_snapshot / evm_revert) return certificates to Confirmed, and
 * each is finalized exactly once; a restart with a batch in flight follows it to L1.
 */
import { expect } from "chai";
import { Wallet, parseEther } from "ethers";
import { BatchSettlementState, ExitLeaf, LeafType, fieldKeccak, genesisStateCommitment, tipOf } from "../../lib";
import { startCoordinator, Coordinator } from "../../coordinator/service";
import { ProverPool } from "../../zk/prover/pool";
import { terminateCurves } from "../../zk/groth16";
import { startTestL1, TestL1, TestChains, RpcClient, testConfig, tempStorePath, waitFor, hex, P } from "./helpers/layer";
import type { BuiltCertificate, L1Checkpoint } from "../../lib";

describe("coordinator integration (real hardhat node, real proofs, batched settlement)", function () {
  this.timeout(20 * 60_000);
  let l1: TestL1;
  let coord: Coordinator;
  let rpc: RpcClient;
  let chains: TestChains;
  let pool: ProverPool;
  const all: BuiltCertificate[] = [];
  let checkpoint: L1Checkpoint;

  const status = async (b: BuiltCertificate) => (await rpc.call<{ status: string }>("getCertificate", { certificateId: hex(b.certificateId) })).status;
  const waitStatus = (b: BuiltCertificate, s: string, ms = 180_000) => waitFor(`${b.certificate.networkId}/${b.certificate.height} ${s}`, async () => (await status(b)) === s, ms);
  const finalizedEvents = async (b: BuiltCertificate) =>
    (await l1.layer.hub.queryFilter(l1.layer.hub.filters.BatchCertificateFinalized(b.certificate.networkId))).filter((e) => e.args.certificateId === b.certificateId).length;
  /** The reference model of L1's batch state, fed the batches L1 settled, in order. */
  const model = new BatchSettlementState(genesisStateCommitment(P));
  const modelSettles = (certs: BuiltCertificate[]) => model.apply(model.plan(certs.map((b) => ({ certificate: b.certificate, certificateId: b.certificateId })), (n) => (n === checkpoint.number ? checkpoint.exitRoot : undefined)));
  /** L1's tips and batch roots are the model's. */
  const expectModel = async () => {
    const hub = l1.layer.hub;
    expect(await hub.batchCount()).to.equal(BigInt(model.batchCount));
    for (let k = 0; k < model.batchCount; k++) expect(await hub.batchRoot(k + 1), `batch ${k + 1}`).to.equal(model.batchRoot(k));
    for (const n of [1, 2, 3]) {
      const t = model.tip(n);
      expect(await hub.tip(n), `network ${n}'s tip`).to.equal(tipOf(t.stateCommitment, t.nextHeight));
    }
  };
  const mine = () => l1.provider.send("evm_mine", []);
  const settleAndFinalize = async (certs: BuiltCertificate[]) => {
    const epoch = await rpc.call<number | null>("admin_triggerEpoch");
    expect(epoch, "a batch was built").to.be.a("number");
    const slots = coord.node.d.store.getEpoch(epoch!)!.certificateIds;
    expect([...slots].sort()).to.deep.equal(certs.map((b) => b.certificateId).sort());
    await waitFor(`batch ${epoch} mined`, () => coord.node.d.store.listSettlements(epoch!).some((s) => s.status === "mined"), 180_000);
    await mine();
    for (const b of certs) await waitStatus(b, "Finalized");
    modelSettles(slots.map((id) => certs.find((b) => b.certificateId === id)!));
    return epoch!;
  };

  before(async function () {
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }, { networkId: 2, policyFlags: 0 }, { networkId: 3, policyFlags: 0 }]);
    coord = await startCoordinator(testConfig(l1, { store: tempStorePath("integration") }, { proving: { workers: 1, backup: { enabled: true, share: 0.01, disabledNetworks: [1, 2] } } }));
    rpc = new RpcClient(coord.rpc.url);
    chains = new TestChains(l1);
    pool = new ProverPool({ workers: 1 });
  });

  after(async function () {
    await pool?.close();
    await coord?.stop();
    await l1?.stop();
    await terminateCurves();
  });

  let a0: BuiltCertificate, b0: BuiltCertificate, c0: BuiltCertificate;

  it("pre-confirms signed certificates with cross-chain imports (L1 -> chain 1 -> chain 2 -> L1)", async function () {
    const deposit = await chains.depositFromL1(1, parseEther("1"));
    checkpoint = { number: deposit.source.height, exitRoot: deposit.sourceExitRoot };
    const toChain2: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 2, destinationAddress: 0xb0bn, amount: parseEther("0.4"), metadataHash: deposit.leaf.metadataHash };
    a0 = chains.certify(1, { imports: [deposit], exits: [toChain2] });
    b0 = chains.certify(2, { imports: [chains.world.importFrom(a0, 0)], exits: [{ ...toChain2, destinationNetwork: 0, destinationAddress: BigInt(Wallet.createRandom().address), amount: parseEther("0.1") }] });
    c0 = chains.certify(3, {});
    all.push(a0, b0, c0);
    for (const b of [a0, b0, c0]) {
      const r = await rpc.call<{ status: string; certificateId: string }>("submitCertificate", { certificate: await chains.signedJson(b) });
      expect(r).to.deep.equal({ certificateId: hex(b.certificateId), status: "PreConfirmed" });
    }
    const viewA = await rpc.call<{ dependents: { networkId: number }[] }>("getCertificate", { certificateId: hex(a0.certificateId) });
    expect(viewA.dependents.map((d) => d.networkId)).to.deep.equal([2]);
  });

  it("confirms in dependency order; chain 3's proof comes from the backup prover", async function () {
    const [pa, pb] = [await chains.prove(pool, a0), await chains.prove(pool, b0)];
    expect((await rpc.call<{ status: string }>("submitProof", pb)).status).to.equal("Proven"); // waits for A0
    expect((await rpc.call<{ status: string }>("submitProof", pa)).status).to.equal("Confirmed");
    expect(await status(b0)).to.equal("Confirmed");
    await waitStatus(c0, "Confirmed");
    expect((await rpc.call<{ proofSource: string }>("getCertificate", { certificateId: hex(c0.certificateId) })).proofSource).to.equal("backup");
    expect((await rpc.call<{ proofSource: string }>("getCertificate", { certificateId: hex(a0.certificateId) })).proofSource).to.equal("chain");
  });

  it("settles batches on L1 with the stored proofs; every certificate is Finalized and L1's tips and batch roots are the model's", async function () {
    await settleAndFinalize([a0, b0, c0]);
    await expectModel();
    for (const b of all) expect(await finalizedEvents(b)).to.equal(1);
    const net = await rpc.call<{ latest: { finalized: { height: string } } }>("getNetwork", { networkId: 2 });
    expect(net.latest.finalized.height).to.equal("0x0");
  });

  it("a settlement that reverts on L1 returns its certificates to Confirmed; they settle exactly once", async function () {
    const a1 = chains.certify(1, {});
    all.push(a1);
    await rpc.call("submitCertificate", { certificate: await chains.signedJson(a1) });
    await rpc.call("submitProof", await chains.prove(pool, a1));
    expect(await status(a1)).to.equal("Confirmed");

    const hub = l1.layer.hub;
    const sequencer = l1.sequencers.get(1)!.address;
    await l1.provider.send("evm_setAutomine", [false]);
    try {
      const epoch = await rpc.call<number>("admin_triggerEpoch");
      await waitFor("settlement sent", () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "sent"), 180_000);
      // The owner replaces chain 1's sequencer with a higher tip: it lands first in the same block, and the batch's
      // signature (by the old sequencer) no longer authorizes it.
      await hub.connect(l1.deployer).setSequencer(1, Wallet.createRandom().address, { maxPriorityFeePerGas: parseEther("0.0001"), maxFeePerGas: parseEther("0.001") });
      await mine();
      await waitFor("the settlement reverted", () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "reverted"));
      expect(coord.node.d.store.getEpoch(epoch)!.status).to.equal("failed");
    } finally {
      await l1.provider.send("evm_setAutomine", [true]);
    }
    await waitStatus(a1, "Confirmed");
    await (await hub.connect(l1.deployer).setSequencer(1, sequencer)).wait();
    await settleAndFinalize([a1]);
    expect(await finalizedEvents(a1)).to.equal(1);
  });

  it("an L1 reorg (snapshot / revert) returns certificates to Confirmed; they settle exactly once", async function () {
    const b1 = chains.certify(2, {});
    all.push(b1);
    await rpc.call("submitCertificate", { certificate: await chains.signedJson(b1) });
    await rpc.call("submitProof", await chains.prove(pool, b1));
    const snapshot = await l1.provider.send("evm_snapshot", []);
    const epoch = await rpc.call<number>("admin_triggerEpoch");
    await waitFor("settlement mined", () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "mined"), 180_000);
    expect(await status(b1)).to.equal("Settling");
    await l1.provider.send("evm_revert", [snapshot]);
    await waitStatus(b1, "Confirmed");
    expect(coord.node.d.store.getEpoch(epoch)!.status).to.equal("abandoned");
    await settleAndFinalize([b1]);
    expect(await finalizedEvents(b1)).to.equal(1);

    await expectModel();
    for (const b of all) expect(await status(b)).to.equal("Finalized");
  });

  it("each settled epoch row is the hub's batch, with the root it was built with", async function () {
    // the sync marks the last batch settled in the commit after its certificates' Finalized
    const store = coord.node.d.store;
    await waitFor("the last batch row settled", () => store.listEpochs({}).at(-1)?.status === "settled");
    // A row whose very transaction landed is settled (a batch rebuilt after a reorg may sign the same transaction).
    const byBatch = new Map(store.listEpochs({ status: ["settled"] }).map((e) => [e.l1Epoch!, e]));
    expect([...byBatch.keys()].sort()).to.deep.equal([1, 2, 3]);
    for (const [batchId, e] of byBatch) expect("0x" + e.newRoot.toString(16).padStart(64, "0"), `batch ${batchId}: the root it was built with`).to.equal(model.batchRoot(batchId - 1));
  });

  it("after a restart with a batch in flight, the batch is followed to L1 (not rebuilt)", async function () {
    const a2 = chains.certify(1, {});
    all.push(a2);
    await rpc.call("submitCertificate", { certificate: await chains.signedJson(a2) });
    await rpc.call("submitProof", await chains.prove(pool, a2));
    await l1.provider.send("evm_setAutomine", [false]);
    let epoch: number;
    try {
      epoch = await rpc.call<number>("admin_triggerEpoch");
      await waitFor("settlement sent", () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "sent"), 180_000);
      await coord.stop();
    } finally {
      await l1.provider.send("evm_setAutomine", [true]);
    }
    coord = await startCoordinator(coord.config);
    rpc = new RpcClient(coord.rpc.url);
    await mine();
    await waitFor(`batch ${epoch} mined`, () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "mined"), 180_000);
    await mine();
    await waitStatus(a2, "Finalized");
    await waitFor(`batch ${epoch} settled`, () => coord.node.d.store.getEpoch(epoch)!.status === "settled");
    modelSettles([a2]);
    await expectModel();
    expect(coord.node.d.store.listSettlements(epoch)).to.have.length(1);
    expect(coord.node.d.store.listEpochs({}), "batch rows: 3 settled, 1 failed, 1 abandoned, this one").to.have.length(6);
    expect(coord.node.d.store.getEpoch(epoch)!.l1Epoch).to.equal(4);
    expect(await finalizedEvents(a2)).to.equal(1);
  });
});
