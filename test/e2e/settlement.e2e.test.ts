/**
 * End to end on the in-process EVM with real Groth16 proofs (instances of circuits/instances.json at
 * DEVNET_PARAMS): two chains, chain 2 imports an exit of chain 1's certificate in the same epoch and withdraws it
 * to L1. The model builds the certificates and the epoch, snarkjs proves, SettlementHub.settleEpoch verifies with
 * the generated verifier, the global root moves to the model's, and the recipient claims on L1. Then every way to
 * cheat the settlement reverts with its custom error and changes nothing.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet, ZeroAddress, parseEther, toBeHex } from "ethers";
import {
  DEVNET_PARAMS, GlobalState, applyEpoch, EpochResult, LeafType, ImportedExit, ExitLeaf, NetworkState, buildCertificate,
  BuiltCertificate, signHeader, SigningDomain, fieldKeccak, certificatePublicSignals,
} from "../../lib";
import { aggregationWitness, aggregationPublicInputs, certificateWitness, AggregationShape } from "../../lib/witness";
import { prove, verify, terminateCurves } from "../../zk/groth16";
import { deploySettlementStack } from "../../deploy/settlement-stack";
import { ExitTreeMirror } from "../../chain/exit-tree-mirror";
import { AggregationTestS1Adapter__factory, AggregationTestS2Adapter__factory } from "../../typechain-types";
import type { SettlementHub, UnifiedBridge } from "../../typechain-types";

const P = DEVNET_PARAMS;
const SHAPE_S2: AggregationShape = { maxImports: 1, maxExits: 1, maxDependencies: 1, maxBundles: 1, maxTokens: 2, slots: 2 };
const SHAPE_S1: AggregationShape = { ...SHAPE_S2, slots: 1 };
const sequencers = [1, 2, 3].map((i) => new Wallet("0x" + (0xa0 + i).toString(16).repeat(32)));

describe("e2e: aggregated settlement on L1 with real proofs", function () {
  this.timeout(1_800_000);
  let hub: SettlementHub;
  let bridge: UnifiedBridge;
  let domain: SigningDomain;
  let l1Mirror: ExitTreeMirror;
  let global: GlobalState;
  let a: BuiltCertificate, b: BuiltCertificate;
  let epoch: EpochResult;
  let proof: bigint[];
  const dave = Wallet.createRandom().address;

  type Slot = SettlementHub.SlotStruct;
  const slotOf = async (c: BuiltCertificate, signer = sequencers[c.certificate.networkId - 1]): Promise<Slot> => ({
    networkId: c.certificate.networkId,
    height: c.certificate.height,
    certificateId: c.certificateId,
    newLocalExitRoot: c.certificate.newLocalExitRoot,
    revision: 0,
    signature: await signHeader(signer, domain, { networkId: c.certificate.networkId, height: c.certificate.height, revision: 0, certificateId: c.certificateId }),
    licence: "0x",
  });

  async function hubState() {
    return { root: await hub.globalRoot(), epoch: await hub.epoch(), entries: await hub.exitRootEntryCount() };
  }

  before(async function () {
    const [deployer, alice] = await ethers.getSigners();
    ({ hub, bridge } = await deploySettlementStack(deployer, { exitTreeDepth: P.exitDepth, networkBits: P.networkBits, developmentMode: true, mode: "Epochs" }));
    domain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
    const s1 = await new AggregationTestS1Adapter__factory(deployer).deploy();
    const s2 = await new AggregationTestS2Adapter__factory(deployer).deploy();
    await hub.setVerifiers([1, 2], [await s1.getAddress(), await s2.getAddress()]);
    await hub.registerNetwork(1, sequencers[0].address, 0, { value: parseEther("1") });
    await hub.registerNetwork(2, sequencers[1].address, 0, { value: parseEther("1") });
    await hub.registerNetwork(3, sequencers[2].address, 1, { value: parseEther("1") }); // opt-out: settles directly
    global = new GlobalState(P);
    expect(await hub.globalRoot()).to.equal(global.root());

    // A real deposit on L1 for bob on chain 1; the L1 tree is mirrored from the bridge's events.
    l1Mirror = new ExitTreeMirror(P.exitDepth);
    const rc = await (await bridge.connect(alice).bridgeAsset(1, Wallet.createRandom().address, parseEther("1"), ZeroAddress, { value: parseEther("1") })).wait();
    l1Mirror.ingest(bridge.interface, rc!.logs);
    await bridge.checkpointExitRoot();
  });
  after(terminateCurves);

  it("builds chain 1's and chain 2's certificates with the model; the certificate proof verifies", async function () {
    const cp = (await bridge.checkpointCount()) - 1n;
    const [root] = await bridge.checkpoint(cp);
    expect(root).to.equal(l1Mirror.root());
    const deposit = l1Mirror.exits[0];
    const imp: ImportedExit = { leaf: deposit.leaf, leafIndex: 0, source: { networkId: 0, height: cp, certificateId: 0n }, sourceExitRoot: root, siblings: l1Mirror.proof(0).siblings };
    const toChain2: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 2, destinationAddress: 0xca401n, amount: parseEther("0.4"), metadataHash: deposit.leaf.metadataHash };
    const s1 = new NetworkState(1, P);
    a = buildCertificate(s1, { height: 0n, newStateRoot: toBeHex(1, 32), imports: [imp], exits: [toChain2] });
    const withdraw: ExitLeaf = { ...toChain2, destinationNetwork: 0, destinationAddress: BigInt(dave) };
    const importA: ImportedExit = { leaf: toChain2, leafIndex: 0, source: { networkId: 1, height: 0n, certificateId: a.certificateId }, sourceExitRoot: a.certificate.newLocalExitRoot, siblings: a.transition.state.exitTree.proof(0).siblings };
    b = buildCertificate(new NetworkState(2, P), { height: 0n, newStateRoot: toBeHex(2, 32), imports: [importA], exits: [withdraw] });

    const t = await prove("certificate_test", certificateWitness(s1, a, SHAPE_S2));
    expect(t.publicSignals).to.deep.equal(certificatePublicSignals(a.certificate, a.certificateId, SHAPE_S2).map(String));
    expect(await verify("certificate_test", t.publicSignals, t.proof)).to.equal(true);
    expect(await verify("certificate_test", [(a.certificateId + 1n).toString()], t.proof)).to.equal(false);
    console.log(`      certificate proof: ${t.ms.toFixed(0)} ms`);
  });

  it("proves the epoch (S = 2) with the model's public inputs", async function () {
    const cp = (await bridge.checkpointCount()) - 1n;
    const [root] = await bridge.checkpoint(cp);
    epoch = applyEpoch(global, [a.certificate, b.certificate], { number: cp, exitRoot: root }, SHAPE_S2.slots);
    const r = await prove("aggregation_test_s2", aggregationWitness(epoch, P, SHAPE_S2));
    expect(r.publicSignals).to.deep.equal(aggregationPublicInputs(epoch, 2).map(String));
    proof = r.solidityProof;
    console.log(`      aggregation proof (S = 2): ${r.ms.toFixed(0)} ms`);
  });

  it("a settlement with one public input changed, or a signature from the wrong key, reverts and changes nothing", async function () {
    const before = await hubState();
    const slots = [await slotOf(a), await slotOf(b)];
    await expect(hub.settleEpoch(proof as any, 2, epoch.oldRoot, epoch.newRoot + 1n, epoch.l1.number, slots)).to.be.revertedWithCustomError(hub, "InvalidProof");
    const lying = [slots[0], { ...slots[1], newLocalExitRoot: BigInt(slots[1].newLocalExitRoot) + 1n }];
    lying[1].signature = (await slotOf(b)).signature;
    await expect(hub.settleEpoch(proof as any, 2, epoch.oldRoot, epoch.newRoot, epoch.l1.number, lying)).to.be.revertedWithCustomError(hub, "InvalidProof");
    const wrongKey = [slots[0], await slotOf(b, sequencers[0])];
    await expect(hub.settleEpoch(proof as any, 2, epoch.oldRoot, epoch.newRoot, epoch.l1.number, wrongKey)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(2, 0);
    expect(await hubState()).to.deep.equal(before);
  });

  it("settleEpoch succeeds: the L1 global root becomes the model's; a replay reverts with StaleGlobalRoot", async function () {
    const slots = [await slotOf(a), await slotOf(b)];
    const tx = await hub.settleEpoch(proof as any, 2, epoch.oldRoot, epoch.newRoot, epoch.l1.number, slots);
    const rc = await tx.wait();
    console.log(`      settleEpoch (S = 2, real verifier) gas: ${rc!.gasUsed}`);
    await expect(tx).to.emit(hub, "EpochSettled");
    expect(await hub.globalRoot()).to.equal(epoch.newRoot);
    global = epoch.state;
    const after = await hubState();
    await expect(hub.settleEpoch(proof as any, 2, epoch.oldRoot, epoch.newRoot, epoch.l1.number, slots)).to.be.revertedWithCustomError(hub, "StaleGlobalRoot");
    expect(await hubState()).to.deep.equal(after);
  });

  it("the withdrawal recipient claims on L1 against chain 2's finalized exit root", async function () {
    const latest = await hub.latestFinalized(2);
    const exit = b.certificate.bridgeExits[0];
    const proofB = b.transition.state.exitTree.proof(0);
    const balanceBefore = await ethers.provider.getBalance(dave);
    await bridge.claimAsset(
      { oracleEntry: latest.entryId, leafIndex: 0, siblings: proofB.siblings },
      { originNetwork: 0, originAddress: ZeroAddress, destinationNetwork: 0, destinationAddress: dave, amount: exit.amount, metadata: l1Mirror.exits[0].metadata },
    );
    expect(await ethers.provider.getBalance(dave)).to.equal(balanceBefore + parseEther("0.4"));
    expect(fieldKeccak(l1Mirror.exits[0].metadata)).to.equal(exit.metadataHash);
  });

  it("an opt-out chain settles directly (S = 1); after ejection its next settlement reverts with NetworkEjected", async function () {
    const cp = (await bridge.checkpointCount()) - 1n;
    const [root] = await bridge.checkpoint(cp);
    const s3 = new NetworkState(3, P);
    const c0 = buildCertificate(s3, { height: 0n, newStateRoot: toBeHex(3, 32), imports: [], exits: [] });
    const e = applyEpoch(global, [c0.certificate], { number: cp, exitRoot: root }, 1);
    const r = await prove("aggregation_test_s1", aggregationWitness(e, P, SHAPE_S1));
    const rc = await (await hub.settleDirect(r.solidityProof as any, e.oldRoot, e.newRoot, cp, await slotOf(c0))).wait();
    console.log(`      settleDirect (S = 1, real verifier) gas: ${rc!.gasUsed}; proof ${r.ms.toFixed(0)} ms`);
    expect(await hub.globalRoot()).to.equal(e.newRoot);
    global = e.state;

    const c1 = buildCertificate(c0.transition.state, { height: 1n, newStateRoot: toBeHex(4, 32), imports: [], exits: [] });
    const e2 = applyEpoch(global, [c1.certificate], { number: cp, exitRoot: root }, 1);
    const r2 = await prove("aggregation_test_s1", aggregationWitness(e2, P, SHAPE_S1));
    await hub.ejectNetwork(3);
    const before = await hubState();
    await expect(hub.settleDirect(r2.solidityProof as any, e2.oldRoot, e2.newRoot, cp, await slotOf(c1))).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(3);
    await expect(hub.settleEpoch(r2.solidityProof as any, 1, e2.oldRoot, e2.newRoot, cp, [await slotOf(c1)])).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(3);
    expect(await hubState()).to.deep.equal(before);
  });
});
