/**
 * SettlementHub: BatchSettlement's settleBatch through the real hub, with REAL
 * certificate_test proofs (test/helpers/proven-certificates.ts) verified by the generated
 * CertificateTestBatchVerifier, the hub's registry (active = registered and not ejected), its sequencers'
 * and layer signer's EIP-712 signatures, and the L1 UnifiedBridge bound to it (its checkpoints; the hub as its
 * exit-root oracle).
 *
 * Networks A, B, C (DEVNET_PARAMS: ids 1..3). A real ETH deposit on L1 to A is checkpointed (checkpoint 0) and
 * imported by A's first certificate; A withdraws part of it to L1 and the recipient claims it on the L1 bridge
 * against the exit root `registerExitRoot` made an entry. C is ejected (refused), then readmitted with a new
 * sequencer and continues from its tip; B's revision 1 needs the layer's licence. A replayed batch and a changed public
 * signal are refused and change nothing. A ring of 16 certificates and a typical single one measure settleBatch gas
 * through the hub (S = 16, S = 1).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { HDNodeWallet, Wallet, ZeroAddress, toBeHex } from "ethers";
import { DEVNET_PARAMS, ImportedExit, genesisStateCommitment, signRejection, tipOf } from "../../lib";
import { ExitTreeMirror } from "../../chain/exit-tree-mirror";
import { terminateCurves } from "../../zk/groth16";
import { bridgeFactory, deployPoseidonLibraries } from "../../deploy/bridge-stack";
import { assetExit } from "../helpers/world";
import {
  BatchBuilder, Cert, CertificateModel, M, STATEMENT, exitRootOf, heightOf, idOf, leafHash, netOf, proveAll,
} from "../helpers/proven-certificates";
import { SettlementHub__factory, TestBatchVerifier__factory } from "../../typechain-types";
import type { CertificateTestBatchVerifier, SettlementHub, UnifiedBridge } from "../../typechain-types";

const P = DEVNET_PARAMS;
/** SettlementHub's BatchParameters for a verifier of a certificate circuit with D dependencies and B bundle legs. */
const parameters = (certificateVerifier: string, maxDependencies: number, maxBundles: number) => ({
  certificateVerifier, genesisStateCommitment: genesisStateCommitment(P), maxDependencies: BigInt(maxDependencies), maxBundles: BigInt(maxBundles),
});
const [A, B, C] = [1, 2, 3];
const fmt = (x: bigint) => x.toLocaleString("en-US");

describe("SettlementHub: batched settlement through the real hub, real certificate_test proofs", function () {
  this.timeout(1_800_000);
  const model = new CertificateModel();
  const sequencers = new Map([A, B, C].map((n) => [n, Wallet.createRandom()]));
  const oldSequencerC = sequencers.get(C)!;
  const newSequencerC = Wallet.createRandom();
  const layer = Wallet.createRandom();
  const stranger = Wallet.createRandom();
  const dave = Wallet.createRandom().address;
  const DEPOSIT = 1000n;
  const WITHDRAWAL = 300n;
  let verifier: CertificateTestBatchVerifier;
  let hub: SettlementHub;
  let bridge: UnifiedBridge;
  let built: BatchBuilder;
  const l1Mirror = new ExitTreeMirror(P.exitDepth);
  const c: Record<string, Cert> = {};
  const ring: Cert[] = [];

  before(async () => {
    const [deployer, alice] = await ethers.getSigners();
    verifier = await ethers.deployContract("CertificateTestBatchVerifier");
    hub = await new SettlementHub__factory(deployer).deploy(deployer.address, P.networkBits, layer.address, parameters(await verifier.getAddress(), STATEMENT.maxDependencies, STATEMENT.maxBundles));
    const libs = await deployPoseidonLibraries(deployer);
    bridge = await bridgeFactory(deployer, libs).deploy(0, P.exitDepth, await hub.getAddress());
    await (await hub.bindL1Bridge(await bridge.getAddress())).wait();
    for (const n of [A, B, C]) await (await hub.registerNetwork(n, sequencers.get(n)!.address, 0)).wait();
    // A real ETH deposit on L1 to A, mirrored from the bridge's events and checkpointed: checkpoint 0.
    const rc = await (await bridge.connect(alice).bridgeAsset(A, toBeHex(0xb0b, 20), DEPOSIT, ZeroAddress, { value: DEPOSIT })).wait();
    l1Mirror.ingest(bridge.interface, rc!.logs);
    await (await bridge.checkpointExitRoot()).wait();
    const deposit: ImportedExit = { leaf: l1Mirror.exits[0].leaf, leafIndex: 0, source: { networkId: 0, height: 0n, certificateId: 0n }, sourceExitRoot: l1Mirror.root(), siblings: l1Mirror.proof(0).siblings };
    built = new BatchBuilder(sequencers, { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() });

    // Batch 1: A h0 imports the L1 deposit (checkpoint 0), exits 100 to B; C h0 is empty.
    c.a0 = model.build("a0", A, { imports: [deposit], exits: [assetExit(B, 100n)] });
    c.c0 = model.build("c0", C, {});
    // Batch 2: B h0 imports A's exit (a leaf of batch 1), exits 100 to C; A h1 withdraws to dave on L1.
    c.b0 = model.build("b0", B, { imports: [model.importFrom(c.a0, 0)], exits: [assetExit(C, 100n)] });
    c.a1 = model.build("a1", A, { exits: [assetExit(0, WITHDRAWAL, undefined, BigInt(dave))] });
    // C h1 imports B's exit (a leaf of batch 2), exits 100 to A: refused while C is ejected, settles after readmission.
    c.c1 = model.build("c1", C, { imports: [model.importFrom(c.b0, 0)], exits: [assetExit(A, 100n)] });
    // C h0 again, from genesis: a readmitted network does not restart.
    c.c0again = model.build("c0again", C, { root: 0xc0 }, { after: null, height: 0n });
    // B h1, revision 1 (a rebuild after the layer rejected revision 0).
    c.b1rev = model.build("b1rev", B, { revision: 1 });
    // The ring: A h2, B h2, C h2, A h3, ...: each imports the previous one's exit, the first C h1's (a settled leaf).
    let prev = c.c1;
    for (let k = 0; k < 17; k++) {
      const n = [A, B, C][k % 3];
      const g = model.build(`g${k}`, n, { imports: [model.importFrom(prev, prev.exits.length - 1)], exits: [assetExit([A, B, C][(k + 1) % 3], 100n)] });
      ring.push(g);
      prev = g;
    }
    await proveAll([...Object.values(c), ...ring]);
  });
  after(async () => {
    await terminateCurves();
  });

  describe("construction", () => {
    it("the verifier's shape; registration gives each network the genesis tip; L1's checkpoint 0 holds the deposit", async () => {
      expect(await hub.publicSignalsPerProof()).to.equal(BigInt(M));
      expect(await hub.certificateVerifier()).to.equal(await verifier.getAddress());
      expect(await hub.genesisStateCommitment()).to.equal(genesisStateCommitment(P));
      for (const n of [A, B, C]) expect(await hub.tip(n)).to.equal(tipOf(genesisStateCommitment(P), 0n));
      expect((await bridge.checkpoint(0))[0]).to.equal(l1Mirror.root());
      expect(await hub.batchCount()).to.equal(0n);
      await expect(hub.exitRootOf(0)).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(0);
    });

    it("refuses batch parameters that do not fit: no verifier (VerifierNotAContract), a verifier of another shape (VerifierShapeMismatch)", async () => {
      const [deployer] = await ethers.getSigners();
      const f = new SettlementHub__factory(deployer);
      const v = await verifier.getAddress();
      await expect(f.deploy(deployer.address, P.networkBits, layer.address, parameters(ZeroAddress, STATEMENT.maxDependencies, STATEMENT.maxBundles)))
        .to.be.revertedWithCustomError(hub, "VerifierNotAContract").withArgs(ZeroAddress);
      await expect(f.deploy(deployer.address, P.networkBits, layer.address, parameters(deployer.address, STATEMENT.maxDependencies, STATEMENT.maxBundles)))
        .to.be.revertedWithCustomError(hub, "VerifierNotAContract").withArgs(deployer.address);
      await expect(f.deploy(deployer.address, P.networkBits, layer.address, parameters(v, 8, 2)))
        .to.be.revertedWithCustomError(hub, "VerifierShapeMismatch").withArgs(35, M);
      const stand = await new TestBatchVerifier__factory(deployer).deploy(M);
      await expect(f.deploy(deployer.address, P.networkBits, layer.address, parameters(await stand.getAddress(), STATEMENT.maxDependencies, STATEMENT.maxBundles + 1)))
        .to.be.revertedWithCustomError(hub, "VerifierShapeMismatch").withArgs(M + 2, M);
    });
  });

  describe("settlement (one hub, in order)", () => {
    it("batch 1: A's first certificate (the L1 deposit, against the bridge's checkpoint 0) and C's", async () => {
      expect(c.a0.signals[5]).to.equal(0n);
      expect(c.a0.signals[6]).to.equal((await bridge.checkpoint(0))[0]);
      expect(await built.settle(hub, "a0, c0", [c.a0, c.c0])).to.equal(1n);
    });

    it("batch 2: B depends on A's leaf of batch 1; A withdraws to L1", async () => {
      const s = await built.settlement([c.b0, c.a1]);
      expect(s.slots[0].dependencies).to.deep.equal([built.settled.get(idOf(c.a0))!]);
      expect(await built.settle(hub, "b0, a1", [c.b0, c.a1], s)).to.equal(2n);
    });

    it("a replayed batch (StaleTip) and a changed public signal (InvalidProof) are refused and change nothing", async () => {
      const before = [await hub.batchCount(), await hub.tip(A), await hub.tip(B)];
      const s = await built.settlement([c.b0, c.a1]);
      const tipB = tipOf(c.b0.built.certificate.newStateCommitment, 1n);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "StaleTip").withArgs(B, 0, tipB, tipOf(c.b0.built.certificate.prevStateCommitment, 0n));
      const next = await built.settlement([c.b1rev]);
      next.slots[0].licence = await signRejection(layer, built.domain, { networkId: B, height: 1n, revision: 0 });
      const lying = [...next.publicSignals];
      lying[4] += 1n; // another new local exit root
      await expect(hub.settleBatch({ ...next, publicSignals: lying })).to.be.revertedWithCustomError(hub, "InvalidProof");
      expect([await hub.batchCount(), await hub.tip(A), await hub.tip(B)]).to.deep.equal(before);
    });

    it("registerExitRoot makes A's batch-2 exit root an entry the L1 bridge accepts: dave claims the withdrawal", async () => {
      const leaf = built.settled.get(idOf(c.a1))!;
      const entryId = await hub.exitRootEntryId(leaf.batchId, leaf.index);
      const exit = { originNetwork: 0, originAddress: ZeroAddress, destinationNetwork: 0, destinationAddress: dave, amount: WITHDRAWAL, metadata: "0x" };
      const proof = { oracleEntry: entryId, leafIndex: 1, siblings: c.a1.built.transition.state.exitTree.proof(1).siblings };
      expect(c.a1.exits[1].destinationAddress).to.equal(BigInt(dave));
      // before the registration the bridge finds no entry
      await expect(bridge.claimAsset(proof, exit)).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(entryId);
      await expect(hub.registerExitRoot(leaf.batchId, leaf.index, A, heightOf(c.a1), idOf(c.a1), exitRootOf(c.a1), leaf.siblings))
        .to.emit(hub, "ExitRootRegistered").withArgs(entryId, A, heightOf(c.a1), idOf(c.a1), exitRootOf(c.a1));
      expect([...(await hub.exitRootOf(entryId))]).to.deep.equal([BigInt(A), exitRootOf(c.a1)]);
      const before = await ethers.provider.getBalance(dave);
      await expect(bridge.claimAsset(proof, exit)).to.emit(bridge, "ExitClaimed");
      expect(await ethers.provider.getBalance(dave)).to.equal(before + WITHDRAWAL);
      await expect(bridge.claimAsset(proof, exit)).to.be.revertedWithCustomError(bridge, "AlreadyClaimed");
    });

    it("an ejected network's certificate is refused: NetworkNotActive (alone and in a batch with others)", async () => {
      await expect(hub.ejectNetwork(C)).to.emit(hub, "Ejected");
      await expect(hub.settleBatch(await built.settlement([c.c1]))).to.be.revertedWithCustomError(hub, "NetworkNotActive").withArgs(C);
      await expect(hub.settleBatch(await built.settlement([c.c1, c.b1rev]))).to.be.revertedWithCustomError(hub, "NetworkNotActive").withArgs(C);
    });

    it("readmitted with a new sequencer, C continues from its tip: the old key is refused, genesis is stale, C h1 settles", async () => {
      const tipBefore = await hub.tip(C);
      expect(tipBefore).to.equal(tipOf(c.c0.built.certificate.newStateCommitment, 1n));
      await expect(hub.readmitNetwork(C, newSequencerC.address)).to.emit(hub, "NetworkReadmitted");
      expect(await hub.tip(C)).to.equal(tipBefore);
      const old = await built.settlement([c.c1]);
      await expect(hub.settleBatch(old)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(C, 1);
      sequencers.set(C, newSequencerC);
      const given = tipOf(c.c0again.built.certificate.prevStateCommitment, 0n);
      await expect(hub.settleBatch(await built.settlement([c.c0again]))).to.be.revertedWithCustomError(hub, "StaleTip").withArgs(C, 0, tipBefore, given);
      expect(await built.settle(hub, "c1 (new sequencer)", [c.c1])).to.equal(3n);
      expect(oldSequencerC.address).to.not.equal(newSequencerC.address);
    });

    it("a revision needs the layer's licence: UnlicensedRevision without it, with another key's or after the layer key changed; settles with it", async () => {
      expect(c.b1rev.signals[1] >> 96n).to.equal(1n);
      const s = await built.settlement([c.b1rev]);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(B, 1, 1);
      const h = { networkId: B, height: 1n, revision: 0 };
      s.slots[0].licence = await signRejection(stranger, built.domain, h);
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(B, 1, 1);
      s.slots[0].licence = await signRejection(layer, built.domain, h);
      // the licence is checked against the hub's current layer signer
      await (await hub.setLayerSigner(stranger.address)).wait();
      await expect(hub.settleBatch(s)).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(B, 1, 1);
      await (await hub.setLayerSigner(layer.address)).wait();
      expect(await built.settle(hub, "b1 revision 1 (licensed)", [c.b1rev], s)).to.equal(4n);
    });

    it("a batch of 16 (A, B and C in a ring, the first depending on C's batch-3 leaf), then a typical batch of 1", async () => {
      const s = await built.settlement(ring.slice(0, 16));
      expect(s.slots[0].dependencies[0].batchId).to.equal(3n);
      await built.settle(hub, "ring of 16", ring.slice(0, 16), s);
      const one = await built.settlement([ring[16]]);
      expect(one.slots[0].dependencies[0].siblings).to.have.length(4);
      await built.settle(hub, "one (a leaf of the 16)", [ring[16]], one);
      const leaf = built.settled.get(idOf(ring[16]))!;
      expect(await hub.isSettledLeaf(leaf.batchId, 0, leafHash(ring[16]), [])).to.equal(true);
      expect(netOf(ring[16])).to.equal(B);
    });

    it("gas: settleBatch through the hub at S = 1 and S = 16", async () => {
      console.log(`\n      settleBatch through SettlementHub (CertificateTestBatchVerifier, m = ${M}), tx gasUsed:`);
      for (const g of built.gas) console.log(`      | ${g.name} | ${g.count} | ${fmt(g.gasUsed)} | ${fmt(g.gasUsed / BigInt(g.count))} |`);
      const s16 = built.gas.find((g) => g.count === 16)!;
      const s1 = built.gas.at(-1)!;
      console.log(`      S = 16: ${fmt(s16.gasUsed)} (${fmt(s16.gasUsed / 16n)} per certificate); S = 1 (typical): ${fmt(s1.gasUsed)}`);
      expect(s16.gasUsed / 16n).to.be.at.most(110_000n);
    });
  });
});
