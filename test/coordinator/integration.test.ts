/**
 * The coordinator against a real `hardhat node` process with the layer deployed: three chains submit signed
 * certificates with cross-chain imports, chains 1 and 2 prove their own, chain 3's proof comes from the
 * backup prover; epochs are proven and settled on L1 and every certificate is Finalized, with the L1 global root
 * equal to the model's. Then a settlement that reverts on L1 and an L1 reorg (evm_snapshot / evm_revert) return
 * certificates to Confirmed, and each is finalized exactly once. Throughout, the epoch rules (lib/epoch.ts applyEpoch)
 * run once per settled epoch: when the coordinator built it (the prover's witness, the settlement and the L1 mirror
 * reuse that result), even when the same certificates are built again after a revert or a reorg.
 */
import { expect } from "chai";
import { Wallet, parseEther } from "ethers";
import { applyEpoch, GlobalState, ExitLeaf, LeafType, fieldKeccak } from "../../lib";
import { startCoordinator, Coordinator } from "../../coordinator/service";
import { ProverPool } from "../../zk/prover/pool";
import { terminateCurves } from "../../zk/groth16";
import { TestAggregationVerifier__factory } from "../../typechain-types";
import { startTestL1, TestL1, TestChains, RpcClient, testConfig, tempStorePath, waitFor, hex, P } from "./helpers/layer";
import { countEpochRules, epochKey, EpochRulesCounter } from "./helpers/epoch-rules";
import type { BuiltCertificate, L1Checkpoint } from "../../lib";

describe("coordinator integration (real hardhat node, real proofs)", function () {
  this.timeout(20 * 60_000);
  let l1: TestL1;
  let coord: Coordinator;
  let rpc: RpcClient;
  let chains: TestChains;
  let pool: ProverPool;
  const all: BuiltCertificate[] = [];
  let checkpoint: L1Checkpoint;
  let rules: EpochRulesCounter;

  const status = async (b: BuiltCertificate) => (await rpc.call<{ status: string }>("getCertificate", { certificateId: hex(b.certificateId) })).status;
  const waitStatus = (b: BuiltCertificate, s: string, ms = 180_000) => waitFor(`${b.certificate.networkId}/${b.certificate.height} ${s}`, async () => (await status(b)) === s, ms);
  const finalizedEvents = async (b: BuiltCertificate) =>
    (await l1.layer.hub.queryFilter(l1.layer.hub.filters.CertificateFinalized(b.certificate.networkId))).filter((e) => e.args.certificateId === b.certificateId).length;
  const mine = () => l1.provider.send("evm_mine", []);
  const settleAndFinalize = async (certs: BuiltCertificate[]) => {
    const epoch = await rpc.call<number | null>("admin_triggerEpoch");
    expect(epoch, "an epoch was built").to.be.a("number");
    await waitFor(`epoch ${epoch} mined`, () => coord.node.d.store.listSettlements(epoch!).some((s) => s.status === "mined"), 180_000);
    await mine();
    for (const b of certs) await waitStatus(b, "Finalized");
    return epoch!;
  };

  before(async function () {
    rules = countEpochRules();
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }, { networkId: 2, policyFlags: 0 }, { networkId: 3, policyFlags: 0 }]);
    coord = await startCoordinator(testConfig(l1, { store: tempStorePath("integration") }, { proving: { workers: 1, backup: { enabled: true, share: 0.01, disabledNetworks: [1, 2] } } }));
    rpc = new RpcClient(coord.rpc.url);
    chains = new TestChains(l1);
    pool = new ProverPool({ workers: 1 });
  });

  after(async function () {
    rules?.restore();
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

  it("proves and settles epochs on L1; every certificate is Finalized and the L1 root is the model's", async function () {
    await settleAndFinalize([a0, b0]);
    await settleAndFinalize([c0]);
    const model = applyEpoch(new GlobalState(P), [a0.certificate, b0.certificate, c0.certificate], checkpoint);
    expect(await l1.layer.hub.globalRoot()).to.equal(model.newRoot);
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
    const rejecting = await (await new TestAggregationVerifier__factory(l1.deployer).deploy()).waitForDeployment();
    await (await rejecting.setMode(1)).wait(); // Reject
    await l1.provider.send("evm_setAutomine", [false]);
    try {
      const epoch = await rpc.call<number>("admin_triggerEpoch");
      await waitFor("settlement sent", () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "sent"), 180_000);
      // The owner swaps in a rejecting verifier with a higher tip: it lands first in the same block.
      await hub.connect(l1.deployer).setVerifiers([1, 2], [await rejecting.getAddress(), l1.layer.addresses.verifierS2], { maxPriorityFeePerGas: parseEther("0.0001"), maxFeePerGas: parseEther("0.001") });
      await mine();
      await waitFor("the settlement reverted", () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "reverted"));
      expect(coord.node.d.store.getEpoch(epoch)!.status).to.equal("failed");
    } finally {
      await l1.provider.send("evm_setAutomine", [true]);
    }
    await waitStatus(a1, "Confirmed");
    await (await hub.connect(l1.deployer).setVerifiers([1, 2], [l1.layer.addresses.verifierS1, l1.layer.addresses.verifierS2])).wait();
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

    const model = applyEpoch(new GlobalState(P), all.map((b) => b.certificate), checkpoint);
    expect(await l1.layer.hub.globalRoot()).to.equal(model.newRoot);
    for (const b of all) expect(await status(b)).to.equal("Finalized");
  });

  it("runs the epoch rules once per settled epoch it built (build, witness, settlement and L1 mirror share one result)", async function () {
    // the sync marks the last epoch settled in the commit after its certificates' Finalized
    const settled = await waitFor("four settled epochs", () => {
      const s = coord.node.d.store.listEpochs({ status: ["settled"] });
      return s.length === 4 && s;
    });
    const runs = settled.map((e) => ({ epoch: e.id, certificates: e.certificateIds.length, runs: rules.count(e.certificateIds) }));
    console.log("      applyEpoch runs per settled epoch:", JSON.stringify(runs));
    for (const r of runs) expect(r.runs, `epoch ${r.epoch}`).to.equal(1);
  });

  it("after a restart (the results are gone) the rules run once per stored settlement and once for the epoch in flight", async function () {
    const a2 = chains.certify(1, {});
    all.push(a2);
    await rpc.call("submitCertificate", { certificate: await chains.signedJson(a2) });
    await rpc.call("submitProof", await chains.prove(pool, a2));
    const epoch = await rpc.call<number>("admin_triggerEpoch");
    expect(rules.count([a2.certificateId]), "built").to.equal(1);
    const settled = coord.node.d.store.listEpochs({ status: ["settled"] });
    const before = new Map(rules.runs);
    await coord.stop(); // the proof in flight is parked: the epoch is proven again after the restart
    coord = await startCoordinator(coord.config);
    rpc = new RpcClient(coord.rpc.url);
    await waitFor(`epoch ${epoch} mined`, () => coord.node.d.store.listSettlements(epoch).some((s) => s.status === "mined"), 180_000);
    await mine();
    await waitStatus(a2, "Finalized");
    await waitFor(`epoch ${epoch} settled`, () => coord.node.d.store.getEpoch(epoch)!.status === "settled");
    const since = (ids: bigint[]) => (rules.runs.get(epochKey(ids)) ?? 0) - (before.get(epochKey(ids)) ?? 0);
    for (const e of settled) expect(since(e.certificateIds), `epoch ${e.id} replayed from the store`).to.equal(1);
    expect(since([a2.certificateId]), `epoch ${epoch}: re-derived for its proof, reused for its settlement`).to.equal(1);
  });
});
