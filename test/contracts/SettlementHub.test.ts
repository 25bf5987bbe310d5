import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, Signature, Signer, Wallet, ZeroAddress, ZeroHash, concat, getAddress, keccak256, parseEther, toBeHex } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ExitLeaf,
  ExitTree,
  FIELD_MODULUS,
  LeafType,
  PRODUCTION_PARAMS,
  SigningDomain,
  TEST_PARAMS,
  fieldKeccak,
  hashExitLeaf,
  headerDigest,
  isEquivocation,
  recoverHeaderSigner,
  signHeader,
  signRejection,
  zeroHash,
} from "../../lib";
import { deploySettlementStack } from "../../deploy/settlement-stack";
import { HubAdmin } from "../../deploy/governance";
import { bridgeFactory, deployBridgeStack, deployPoseidonLibraries } from "../../deploy/bridge-stack";
import { newChain } from "../helpers/chains";
import { loadCertificateVectors } from "../helpers/vectors";
import { EPOCHS } from "../helpers/settlement-modes";
import {
  EthRejectingReporter__factory,
  LayerTimelock__factory,
  SettlementHub__factory,
  TestAggregationVerifier__factory,
  WrappedToken__factory,
} from "../../typechain-types";
import type { SettlementHub, TestAggregationVerifier, UnifiedBridge } from "../../typechain-types";

/** TestAggregationVerifier.Mode */
const Mode = { Accept: 0, Reject: 1, Expect: 2, Capture: 3 };
const DEPTH = TEST_PARAMS.exitDepth;
const BITS = TEST_PARAMS.networkBits; // network ids 1..3
const STAKE = parseEther("10");
const PROOF: bigint[] = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
/** Arbitrary field elements standing for global roots the (test) verifier accepts. */
const ROOT_A = 0xa11cen;
const ROOT_B = 0xb0bn;
const ETH_METADATA = AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8"], ["Ether", "ETH", 18]);
const GAS_METADATA = AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8"], ["Gas coin", "GAS", 18]);
/** secp256k1 group order (for building a high-s signature). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

interface SlotData {
  networkId: number;
  height: bigint;
  revision: number;
  certificateId: bigint;
  newLocalExitRoot: bigint;
  signature: string;
  /** The layer's signed rejection of revision - 1 ("0x" for revision 0). */
  licence: string;
}

/** docs/protocol.md §9: the public inputs of an aggregation of `capacity` slots (zeros for unused slots). */
function modelPublicInputs(capacity: number, oldRoot: bigint, newRoot: bigint, l1Number: bigint, l1Root: bigint, slots: SlotData[]): bigint[] {
  const out = [oldRoot, newRoot, l1Number, l1Root];
  for (let i = 0; i < capacity; i++) {
    const s = slots[i];
    if (s) out.push(BigInt(s.networkId) + s.height * 2n ** 32n + BigInt(s.revision) * 2n ** 96n, s.certificateId, s.newLocalExitRoot);
    else out.push(0n, 0n, 0n);
  }
  return out;
}

async function signSlot(signer: Signer, domain: SigningDomain, networkId: number, height: bigint, certificateId: bigint, newLocalExitRoot: bigint, revision = 0, licence = "0x"): Promise<SlotData> {
  const signature = await signHeader(signer, domain, { networkId, height, revision, certificateId });
  return { networkId, height, revision, certificateId, newLocalExitRoot, signature, licence };
}

/** Everything a refused call could have changed. */
async function hubState(hub: SettlementHub) {
  const ids = [1, 2, 3];
  return {
    globalRoot: await hub.globalRoot(),
    epoch: await hub.epoch(),
    entries: await hub.exitRootEntryCount(),
    networks: await Promise.all(ids.map(async (n) => [...(await hub.networks(n))])),
    latest: await Promise.all(ids.map(async (n) => [...(await hub.latestFinalized(n))])),
    balance: await ethers.provider.getBalance(await hub.getAddress()),
  };
}

async function expectNoChange(hub: SettlementHub, attempt: () => Promise<unknown>) {
  const before = await hubState(hub);
  await attempt();
  expect(await hubState(hub)).to.deep.equal(before);
}

/** Hub + L1 bridge (bound, checkpoint 0 recorded), no networks, no verifiers. */
async function bareFixture() {
  const [deployer, seq1, seq2, seq3, alice, bob, mallory, reporter] = await ethers.getSigners();
  const { hub, bridge } = await deploySettlementStack(deployer, { exitTreeDepth: DEPTH, networkBits: BITS, developmentMode: true, mode: "Epochs" });
  const domain: SigningDomain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
  return { hub, bridge, domain, deployer, seq1, seq2, seq3, alice, bob, mallory, reporter };
}

/** Networks 1 and 2 (epochs) and 3 (opt-out, direct settlement), each staked; test verifiers for 1, 2 and 4 slots. */
async function hubFixture() {
  const f = await bareFixture();
  const verifiers: Record<number, TestAggregationVerifier> = {};
  for (const capacity of [1, 2, 4]) verifiers[capacity] = await new TestAggregationVerifier__factory(f.deployer).deploy();
  await f.hub.setVerifiers([1, 2, 4], [verifiers[1], verifiers[2], verifiers[4]]);
  await f.hub.registerNetwork(1, f.seq1.address, 0, { value: STAKE });
  await f.hub.registerNetwork(2, f.seq2.address, 0, { value: STAKE });
  await f.hub.registerNetwork(3, f.seq3.address, 1, { value: STAKE });
  const [l1Root0] = await f.bridge.checkpoint(0);
  return { ...f, verifiers, l1Root0 };
}

describe("SettlementHub", function () {
  describe("construction and binding", function () {
    it("starts at the empty global tree zero(networkBits), epoch 0, with the EIP-712 domain of docs/protocol.md §5", async function () {
      const { hub, bridge, deployer, domain } = await loadFixture(bareFixture);
      expect(await hub.globalRoot()).to.equal(zeroHash(BITS));
      expect(await hub.epoch()).to.equal(0n);
      expect(await hub.networkBits()).to.equal(BigInt(BITS));
      expect(await hub.owner()).to.equal(deployer.address);
      expect(await hub.l1Bridge()).to.equal(await bridge.getAddress());
      expect(await bridge.oracle()).to.equal(await hub.getAddress());
      expect(await bridge.checkpointCount()).to.equal(1n);
      const d = await hub.eip712Domain();
      expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal(["AggregationLayer", "1", BigInt(domain.chainId), domain.verifyingContract]);
      expect(await hub.exitRootEntryCount()).to.equal(0n);
      await expect(hub.exitRootOf(0)).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(0);
      await expect(hub.exitRootEntry(0)).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(0);
      expect([...(await hub.latestFinalized(1))]).to.deep.equal([false, 0n, 0n, 0n, 0n]);
    });

    it("takes networkBits 1..32 (32 bits: the empty global tree is zero(32))", async function () {
      const [deployer] = await ethers.getSigners();
      const f = new SettlementHub__factory(deployer);
      const hub32 = await f.deploy(deployer.address, 32, deployer.address, true, ...EPOCHS);
      expect(await hub32.globalRoot()).to.equal(zeroHash(32));
      await expect(f.deploy(deployer.address, 0, deployer.address, true, ...EPOCHS)).to.be.revertedWithCustomError(hub32, "InvalidNetworkBits").withArgs(0);
      await expect(f.deploy(deployer.address, 33, deployer.address, true, ...EPOCHS)).to.be.revertedWithCustomError(hub32, "InvalidNetworkBits").withArgs(33);
      // With 32 bits every uint32 but 0 is a valid network id.
      await expect(hub32.registerNetwork(2 ** 32 - 1, deployer.address, 0)).to.emit(hub32, "NetworkRegistered");
      await expect(hub32.registerNetwork(0, deployer.address, 0)).to.be.revertedWithCustomError(hub32, "InvalidNetworkId").withArgs(0);
    });

    it("binds the L1 bridge once, only a network-0 bridge using this hub as its oracle, only by the owner", async function () {
      const [deployer, other, mallory] = await ethers.getSigners();
      const hub = await new SettlementHub__factory(deployer).deploy(deployer.address, BITS, deployer.address, true, ...EPOCHS);
      const hubAddress = await hub.getAddress();
      const libs = await deployPoseidonLibraries(deployer);
      const l2Bridge = await bridgeFactory(deployer, libs).deploy(1, DEPTH, hubAddress);
      const foreignOracleBridge = await bridgeFactory(deployer, libs).deploy(0, DEPTH, other.address);
      const l1Bridge = await bridgeFactory(deployer, libs).deploy(0, DEPTH, hubAddress);

      await expect(hub.bindL1Bridge(ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
      await expect(hub.bindL1Bridge(other.address)).to.be.revertedWithCustomError(hub, "NotAContract").withArgs(other.address);
      await expect(hub.bindL1Bridge(l2Bridge)).to.be.revertedWithCustomError(hub, "NotAnL1Bridge").withArgs(await l2Bridge.getAddress());
      await expect(hub.bindL1Bridge(foreignOracleBridge))
        .to.be.revertedWithCustomError(hub, "NotAnL1Bridge")
        .withArgs(await foreignOracleBridge.getAddress());
      await expect(hub.connect(mallory).bindL1Bridge(l1Bridge)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount").withArgs(mallory.address);
      await expect(hub.bindL1Bridge(l1Bridge)).to.emit(hub, "L1BridgeBound").withArgs(await l1Bridge.getAddress());
      await expect(hub.bindL1Bridge(l1Bridge)).to.be.revertedWithCustomError(hub, "L1BridgeAlreadyBound").withArgs(await l1Bridge.getAddress());
    });

    it("refuses to settle before the L1 bridge is bound", async function () {
      const [deployer, seq1] = await ethers.getSigners();
      const hub = await new SettlementHub__factory(deployer).deploy(deployer.address, BITS, deployer.address, true, ...EPOCHS);
      const v = await new TestAggregationVerifier__factory(deployer).deploy();
      await hub.setVerifiers([1], [v]);
      await hub.registerNetwork(1, seq1.address, 0);
      const domain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
      const s = await signSlot(seq1, domain, 1, 0n, 7n, 8n);
      await expect(hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [s])).to.be.revertedWithCustomError(hub, "L1BridgeNotBound");
    });

    it("the L1 stack (libraries, hub, bridge) puts L1's bridge at the same address as every L2's bridge", async function () {
      const l1 = await newChain(9201);
      const l2 = await newChain(9202);
      const { bridge } = await deploySettlementStack(l1.signers[0], { exitTreeDepth: DEPTH, networkBits: BITS, developmentMode: true, mode: "Epochs" });
      const l2Stack = await deployBridgeStack(l2.signers[0], { networkId: 1, exitTreeDepth: DEPTH, admin: l2.signers[1].address, poster: l2.signers[1].address });
      expect(await bridge.getAddress()).to.equal(await l2Stack.bridge.getAddress());
    });
  });

  describe("registry", function () {
    it("registers a network with its sequencer, policy flags and msg.value as stake", async function () {
      const { hub, seq1, seq3 } = await loadFixture(bareFixture);
      await expect(hub.registerNetwork(1, seq1.address, 0, { value: STAKE })).to.emit(hub, "NetworkRegistered").withArgs(1, seq1.address, 0, STAKE);
      await expect(hub.registerNetwork(3, seq3.address, 5)).to.emit(hub, "NetworkRegistered").withArgs(3, seq3.address, 5, 0);
      expect([...(await hub.networks(1))]).to.deep.equal([seq1.address, STAKE, 0n, true, false]);
      expect([...(await hub.networks(3))]).to.deep.equal([seq3.address, 0n, 5n, true, false]);
      expect([...(await hub.networks(2))]).to.deep.equal([ZeroAddress, 0n, 0n, false, false]);
      expect(await ethers.provider.getBalance(await hub.getAddress())).to.equal(STAKE);
    });

    it("refuses network 0, ids >= 2^networkBits, a zero sequencer, a second registration and non-owners", async function () {
      const { hub, seq1, mallory } = await loadFixture(bareFixture);
      await expect(hub.registerNetwork(0, seq1.address, 0)).to.be.revertedWithCustomError(hub, "InvalidNetworkId").withArgs(0);
      await expect(hub.registerNetwork(4, seq1.address, 0)).to.be.revertedWithCustomError(hub, "InvalidNetworkId").withArgs(4);
      await expect(hub.registerNetwork(2 ** 32 - 1, seq1.address, 0)).to.be.revertedWithCustomError(hub, "InvalidNetworkId").withArgs(2 ** 32 - 1);
      await expect(hub.registerNetwork(1, ZeroAddress, 0)).to.be.revertedWithCustomError(hub, "ZeroAddress");
      await expect(hub.connect(mallory).registerNetwork(1, mallory.address, 0)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await hub.registerNetwork(1, seq1.address, 0, { value: STAKE });
      await expect(hub.registerNetwork(1, mallory.address, 0)).to.be.revertedWithCustomError(hub, "NetworkAlreadyRegistered").withArgs(1);
      expect((await hub.networks(1)).sequencer).to.equal(seq1.address);
    });

    it("lets anyone add stake to an active network", async function () {
      const { hub, alice } = await loadFixture(hubFixture);
      await expect(hub.connect(alice).addStake(1, { value: 5n })).to.emit(hub, "StakeAdded").withArgs(1, alice.address, 5n, STAKE + 5n);
      expect((await hub.networks(1)).stake).to.equal(STAKE + 5n);
      await expect(hub.connect(alice).addStake(1)).to.be.revertedWithCustomError(hub, "ZeroValue");
      const bare = (await loadFixture(bareFixture)).hub;
      await expect(bare.addStake(1, { value: 1n })).to.be.revertedWithCustomError(bare, "NetworkNotRegistered").withArgs(1);
    });

    it("replaces the sequencer (owner only): the old key's signatures stop counting", async function () {
      const { hub, seq1, seq2, mallory, domain, verifiers, l1Root0 } = await loadFixture(hubFixture);
      await expect(hub.connect(mallory).setSequencer(1, mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await expect(hub.setSequencer(1, ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
      await expect(hub.setSequencer(2 ** 31, mallory.address)).to.be.revertedWithCustomError(hub, "NetworkNotRegistered").withArgs(2 ** 31);
      const old = await signSlot(seq1, domain, 1, 0n, 11n, 12n);
      await expect(hub.setSequencer(1, seq2.address)).to.emit(hub, "SequencerChanged").withArgs(1, seq1.address, seq2.address);
      expect(await hub.isSequencerSignature(1, 0, 0, 11n, old.signature)).to.equal(false);
      await expect(hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [old])).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 0);
      const fresh = await signSlot(seq2, domain, 1, 0n, 11n, 12n);
      await verifiers[1].setExpected(PROOF, modelPublicInputs(1, zeroHash(BITS), ROOT_A, 0n, l1Root0, [fresh]));
      await expect(hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [fresh])).to.emit(hub, "EpochSettled");
    });

    it("ejects a network (owner only): it can no longer settle, stake or change sequencer; its stake can then be released", async function () {
      const { hub, seq2, deployer, alice, mallory, domain, l1Root0, verifiers } = await loadFixture(hubFixture);
      // Network 2 has a finalized certificate before its ejection: the entry stays valid.
      const before = await signSlot(seq2, domain, 2, 0n, 21n, 22n);
      await hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [before]);

      await expect(hub.connect(mallory).ejectNetwork(2)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await expect(hub.releaseStake(2, alice.address)).to.be.revertedWithCustomError(hub, "NetworkNotEjected").withArgs(2);
      await expect(hub.ejectNetwork(2)).to.emit(hub, "Ejected").withArgs(2, deployer.address);
      expect([...(await hub.networks(2))]).to.deep.equal([seq2.address, STAKE, 0n, false, true]);
      await expect(hub.ejectNetwork(2)).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
      await expect(hub.ejectNetwork(1 + 1 + 1 + 1)).to.be.revertedWithCustomError(hub, "NetworkNotRegistered").withArgs(4);
      expect([...(await hub.exitRootOf(0))]).to.deep.equal([2n, 22n]);

      await expectNoChange(hub, async () => {
        const s = await signSlot(seq2, domain, 2, 1n, 23n, 24n);
        await verifiers[1].setMode(Mode.Accept);
        await expect(hub.settleEpoch(PROOF, 1, ROOT_A, ROOT_B, 0, [s])).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
        await expect(hub.addStake(2, { value: 1n })).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
        await expect(hub.setSequencer(2, alice.address)).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
        await expect(hub.registerNetwork(2, alice.address, 0)).to.be.revertedWithCustomError(hub, "NetworkAlreadyRegistered").withArgs(2);
        await expect(hub.connect(mallory).releaseStake(2, mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
        await expect(hub.releaseStake(2, ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
      });

      const tx = hub.releaseStake(2, alice.address);
      await expect(tx).to.emit(hub, "StakeReleased").withArgs(2, alice.address, STAKE);
      await expect(tx).to.changeEtherBalances([hub, alice], [-STAKE, STAKE]);
      expect((await hub.networks(2)).stake).to.equal(0n);
    });

    it("replaces the verifier set as a whole (owner only): a verifier left out is retired and unusable", async function () {
      const { hub, deployer, mallory, verifiers, seq1, domain } = await loadFixture(hubFixture);
      const v = await new TestAggregationVerifier__factory(deployer).deploy();
      await expectNoChange(hub, async () => {
        await expect(hub.setVerifiers([0], [v])).to.be.revertedWithCustomError(hub, "InvalidSlotCapacity").withArgs(0);
        await expect(hub.setVerifiers([3], [mallory.address])).to.be.revertedWithCustomError(hub, "NotAContract").withArgs(mallory.address);
        await expect(hub.setVerifiers([3, 3], [v, v])).to.be.revertedWithCustomError(hub, "BadVerifierSet");
        await expect(hub.setVerifiers([3], [])).to.be.revertedWithCustomError(hub, "BadVerifierSet");
        await expect(hub.connect(mallory).setVerifiers([3], [v])).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      });
      expect(await hub.verifierCapacities()).to.deep.equal([1n, 2n, 4n]);
      const tx = hub.setVerifiers([3], [v]);
      await expect(tx).to.emit(hub, "VerifierSet").withArgs(3, ZeroAddress, await v.getAddress());
      for (const c of [1, 2, 4]) await expect(tx).to.emit(hub, "VerifierRetired").withArgs(c, await verifiers[c].getAddress());
      expect(await hub.verifierCapacities()).to.deep.equal([3n]);
      expect(await hub.verifiers(3)).to.equal(await v.getAddress());
      const s = await signSlot(seq1, domain, 1, 0n, 1n, 2n);
      // Every retired capacity is refused, whatever the caller names.
      for (const c of [1, 2, 4]) await expect(hub.settleEpoch(PROOF, c, zeroHash(BITS), ROOT_A, 0, [s])).to.be.revertedWithCustomError(hub, "NoVerifier").withArgs(c);
      await expect(hub.settleEpoch(PROOF, 3, zeroHash(BITS), ROOT_A, 0, [s])).to.emit(hub, "EpochSettled");
    });

    it("a hub not deployed for development refuses verifiers of development keys; the generated adapters say they are", async function () {
      const [deployer] = await ethers.getSigners();
      const { hub } = await deploySettlementStack(deployer, { exitTreeDepth: DEPTH, networkBits: BITS, developmentMode: false, mode: "Epochs" });
      expect(await hub.developmentMode()).to.equal(false);
      const dev = await new TestAggregationVerifier__factory(deployer).deploy();
      await dev.setDevelopmentKeys(true);
      await expect(hub.setVerifiers([1], [dev])).to.be.revertedWithCustomError(hub, "DevelopmentVerifier").withArgs(await dev.getAddress());
      const generated = await ethers.deployContract("AggregationTestS1Adapter");
      expect(await generated.developmentKeys()).to.equal(true);
      await expect(hub.setVerifiers([1], [generated])).to.be.revertedWithCustomError(hub, "DevelopmentVerifier").withArgs(await generated.getAddress());
      const prod = await new TestAggregationVerifier__factory(deployer).deploy();
      await expect(hub.setVerifiers([1], [prod])).to.emit(hub, "VerifierSet");
      // A development hub takes them (devnets, tests).
      const devHub = (await loadFixture(bareFixture)).hub; // (a snapshot from before the adapter: deploy it again)
      expect(await devHub.developmentMode()).to.equal(true);
      const again = await ethers.deployContract("AggregationTestS1Adapter");
      await expect(devHub.setVerifiers([1], [again])).to.emit(devHub, "VerifierSet");
    });

    it("hands the admin role over in two steps (Ownable2Step)", async function () {
      const { hub, deployer, alice } = await loadFixture(bareFixture);
      await hub.transferOwnership(alice.address);
      expect(await hub.owner()).to.equal(deployer.address);
      await hub.connect(alice).acceptOwnership();
      expect(await hub.owner()).to.equal(alice.address);
    });
  });

  describe("settleEpoch", function () {
    async function twoSlots() {
      const f = await loadFixture(hubFixture);
      const slots = [await signSlot(f.seq1, f.domain, 1, 0n, 101n, 102n), await signSlot(f.seq2, f.domain, 2, 0n, 201n, 202n)];
      return { ...f, slots };
    }

    it("passes the verifier exactly the public inputs of §9, padded with zero slots", async function () {
      const { hub, verifiers, slots, l1Root0 } = await twoSlots();
      const expected = modelPublicInputs(4, zeroHash(BITS), ROOT_A, 0n, l1Root0, slots);
      expect(expected).to.have.length(3 * 4 + 4);
      expect(expected.slice(10)).to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n]);
      await verifiers[4].setMode(Mode.Capture);
      await expect(hub.settleEpoch(PROOF, 4, zeroHash(BITS), ROOT_A, 0, slots))
        .to.be.revertedWithCustomError(verifiers[4], "CapturedCall")
        .withArgs(PROOF, expected);
      expect(await hub.publicInputs(4, zeroHash(BITS), ROOT_A, 0, l1Root0, slots)).to.deep.equal(expected);
      // A slot word packs networkId + height * 2^32 + revision * 2^96.
      const high = { ...slots[0], height: 2n ** 64n - 1n, revision: 2 ** 32 - 1 };
      expect((await hub.publicInputs(1, 0, 0, 0, 0, [high]))[4]).to.equal(1n + (2n ** 64n - 1n) * 2n ** 32n + (2n ** 32n - 1n) * 2n ** 96n);
    });

    it("moves the global root, counts the epoch, records exit-root entries and latest certificates, emits the events", async function () {
      const { hub, verifiers, slots, l1Root0 } = await twoSlots();
      await verifiers[2].setExpected(PROOF, modelPublicInputs(2, zeroHash(BITS), ROOT_A, 0n, l1Root0, slots));
      const tx = hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, slots);
      await expect(tx).to.emit(hub, "EpochSettled").withArgs(1, zeroHash(BITS), ROOT_A, 0, 2);
      await expect(tx).to.emit(hub, "CertificateFinalized").withArgs(1, 0, 101n, 102n, 0, 1);
      await expect(tx).to.emit(hub, "CertificateFinalized").withArgs(2, 0, 201n, 202n, 1, 1);
      expect(await hub.globalRoot()).to.equal(ROOT_A);
      expect(await hub.epoch()).to.equal(1n);
      expect(await hub.exitRootEntryCount()).to.equal(2n);
      expect([...(await hub.exitRootOf(0))]).to.deep.equal([1n, 102n]);
      expect([...(await hub.exitRootOf(1))]).to.deep.equal([2n, 202n]);
      expect([...(await hub.exitRootEntry(1))]).to.deep.equal([2n, 0n, 1n, 201n, 202n]);
      expect([...(await hub.latestFinalized(1))]).to.deep.equal([true, 0n, 101n, 102n, 0n]);
      expect([...(await hub.latestFinalized(2))]).to.deep.equal([true, 0n, 201n, 202n, 1n]);

    });

    it("settles consecutive epochs; two certificates of one network in one epoch: the later is its latest", async function () {
      const { hub, verifiers, slots, seq1, domain, l1Root0 } = await twoSlots();
      await hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, slots);
      const next = [await signSlot(seq1, domain, 1, 1n, 111n, 112n), await signSlot(seq1, domain, 1, 2n, 121n, 122n)];
      await verifiers[4].setExpected(PROOF, modelPublicInputs(4, ROOT_A, ROOT_B, 0n, l1Root0, next));
      const tx = hub.settleEpoch(PROOF, 4, ROOT_A, ROOT_B, 0, next);
      await expect(tx).to.emit(hub, "EpochSettled").withArgs(2, ROOT_A, ROOT_B, 0, 2);
      await expect(tx).to.emit(hub, "CertificateFinalized").withArgs(1, 1, 111n, 112n, 2, 2);
      await expect(tx).to.emit(hub, "CertificateFinalized").withArgs(1, 2, 121n, 122n, 3, 2);
      expect([...(await hub.latestFinalized(1))]).to.deep.equal([true, 2n, 121n, 122n, 3n]);
      expect([...(await hub.latestFinalized(2))]).to.deep.equal([true, 0n, 201n, 202n, 1n]);
      expect(await hub.epoch()).to.equal(2n);
    });

    it("a replayed settlement fails with StaleGlobalRoot and changes nothing", async function () {
      const { hub, slots } = await twoSlots();
      await hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, slots);
      await expectNoChange(hub, async () => {
        await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, slots))
          .to.be.revertedWithCustomError(hub, "StaleGlobalRoot")
          .withArgs(ROOT_A, zeroHash(BITS));
      });
    });

    it("a signature by another key, for other header fields or another domain, or malformed, fails InvalidSequencerSignature and changes nothing", async function () {
      const { hub, slots, seq1, seq2, mallory, domain } = await twoSlots();
      const good = slots[0];
      const sig = Signature.from(good.signature);
      const highS = concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
      const wrong: [string, SlotData][] = [
        ["another network's sequencer", await signSlot(seq2, domain, 1, 0n, 101n, 102n)],
        ["a non-sequencer", await signSlot(mallory, domain, 1, 0n, 101n, 102n)],
        ["another height", { ...good, height: 1n }],
        ["another certificate id", { ...good, certificateId: 100n }],
        ["another network id", { ...slots[1], networkId: 1 }],
        ["another chain id", await signSlot(seq1, { ...domain, chainId: 1n }, 1, 0n, 101n, 102n)],
        ["another verifying contract", await signSlot(seq1, { ...domain, verifyingContract: mallory.address }, 1, 0n, 101n, 102n)],
        ["empty", { ...good, signature: "0x" }],
        ["64 bytes", { ...good, signature: concat([sig.r, sig.yParityAndS]) }],
        ["66 bytes", { ...good, signature: concat([good.signature, "0x00"]) }],
        ["bad v", { ...good, signature: concat([sig.r, sig.s, "0x00"]) }],
        ["high s (malleated)", { ...good, signature: highS }],
      ];
      await expectNoChange(hub, async () => {
        for (const [name, s] of wrong) {
          expect(await hub.isSequencerSignature(s.networkId, s.height, 0, s.certificateId, s.signature), name).to.equal(false);
          await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, [slots[1], s]), name)
            .to.be.revertedWithCustomError(hub, "InvalidSequencerSignature")
            .withArgs(s.networkId, s.height);
        }
      });
      expect(await hub.isSequencerSignature(1, 0, 0, 101n, good.signature)).to.equal(true);
      expect(await hub.isSequencerSignature(3, 0, 0, 101n, good.signature)).to.equal(false);
    });

    it("a public input the proof does not match (the verifier rejects) fails InvalidProof and changes nothing", async function () {
      const { hub, verifiers, slots, l1Root0, seq1, domain } = await twoSlots();
      await verifiers[2].setExpected(PROOF, modelPublicInputs(2, zeroHash(BITS), ROOT_A, 0n, l1Root0, slots));
      // The signature covers (networkId, height, certificateId) only: a swapped exit root is caught by the proof.
      const otherExitRoot = [{ ...slots[0], newLocalExitRoot: 999n }, slots[1]];
      const otherId = [await signSlot(seq1, domain, 1, 0n, 100n, 102n), slots[1]];
      await expectNoChange(hub, async () => {
        await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, otherExitRoot)).to.be.revertedWithCustomError(hub, "InvalidProof");
        await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, otherId)).to.be.revertedWithCustomError(hub, "InvalidProof");
        await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_B, 0, slots)).to.be.revertedWithCustomError(hub, "InvalidProof");
        await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, [slots[1], slots[0]])).to.be.revertedWithCustomError(hub, "InvalidProof");
        await expect(hub.settleEpoch([...PROOF.slice(0, 7), 9n], 2, zeroHash(BITS), ROOT_A, 0, slots)).to.be.revertedWithCustomError(hub, "InvalidProof");
        await verifiers[2].setMode(Mode.Reject);
        await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 0, slots)).to.be.revertedWithCustomError(hub, "InvalidProof");
      });
    });

    it("refuses slot counts outside 1..S, unknown capacities, unknown networks, unknown checkpoints and non-field values", async function () {
      const { hub, verifiers, slots, seq1, seq3, domain, bridge } = await twoSlots();
      const P = FIELD_MODULUS;
      const root0 = zeroHash(BITS);
      await expectNoChange(hub, async () => {
        await expect(hub.settleEpoch(PROOF, 2, root0, ROOT_A, 0, [])).to.be.revertedWithCustomError(hub, "SlotCountOutOfRange").withArgs(0, 2);
        await expect(hub.settleEpoch(PROOF, 1, root0, ROOT_A, 0, slots)).to.be.revertedWithCustomError(hub, "SlotCountOutOfRange").withArgs(2, 1);
        await expect(hub.settleEpoch(PROOF, 3, root0, ROOT_A, 0, slots)).to.be.revertedWithCustomError(hub, "NoVerifier").withArgs(3);
        // The root is checked before the slots: a stale settlement with a bad signature reports StaleGlobalRoot.
        await expect(hub.settleEpoch(PROOF, 2, ROOT_B, ROOT_A, 0, [slots[0], { ...slots[1], signature: "0x" }]))
          .to.be.revertedWithCustomError(hub, "StaleGlobalRoot")
          .withArgs(root0, ROOT_B);
        await expect(hub.settleEpoch(PROOF, 2, root0, ROOT_A, 0, [slots[0], { ...slots[1], networkId: 0 }]))
          .to.be.revertedWithCustomError(hub, "NetworkNotRegistered")
          .withArgs(0);
        await expect(hub.settleEpoch(PROOF, 2, root0, ROOT_A, 1, slots)).to.be.revertedWithCustomError(hub, "UnknownCheckpoint").withArgs(1);
        await expect(hub.settleEpoch(PROOF, 2, root0, ROOT_A, 2n ** 255n, slots)).to.be.revertedWithCustomError(hub, "UnknownCheckpoint").withArgs(2n ** 255n);
        await expect(hub.settleEpoch(PROOF, 2, root0, P, 0, slots)).to.be.revertedWithCustomError(hub, "NotFieldElement").withArgs(P);
        const bigId = await signSlot(seq1, domain, 1, 0n, P, 102n);
        await expect(hub.settleEpoch(PROOF, 2, root0, ROOT_A, 0, [bigId])).to.be.revertedWithCustomError(hub, "NotFieldElement").withArgs(P);
        const bigRoot = await signSlot(seq1, domain, 1, 0n, 101n, 2n ** 256n - 1n);
        await expect(hub.settleEpoch(PROOF, 2, root0, ROOT_A, 0, [bigRoot])).to.be.revertedWithCustomError(hub, "NotFieldElement").withArgs(2n ** 256n - 1n);
      });
      // A network with the direct-settlement policy may still be part of an epoch.
      await verifiers[1].setMode(Mode.Accept);
      await bridge.checkpointExitRoot();
      await expect(hub.settleEpoch(PROOF, 1, root0, ROOT_A, 1, [await signSlot(seq3, domain, 3, 0n, 31n, 32n)])).to.emit(hub, "CertificateFinalized").withArgs(3, 0, 31n, 32n, 0, 1);
    });
  });

  describe("withdrawals: the hub is the L1 bridge's exit-root oracle", function () {
    it("an exit of network 1 (model exit tree) is claimed on L1 against the entry its settled certificate created, also after network 1 was ejected", async function () {
      const { hub, bridge, verifiers, seq1, seq2, alice, bob, domain } = await loadFixture(hubFixture);
      const ETH = parseEther("1");
      // L1: alice deposits 1 ETH for bob on network 1 (the L1 bridge now holds it); checkpoint 1 covers the deposit.
      await bridge.connect(alice).bridgeAsset(1, bob.address, ETH, ZeroAddress, { value: ETH });
      await expect(bridge.checkpointExitRoot()).to.emit(bridge, "ExitRootCheckpointed");
      const deposit: ExitLeaf = {
        leafType: LeafType.Asset,
        originNetwork: 0,
        originAddress: 0n,
        destinationNetwork: 1,
        destinationAddress: BigInt(bob.address),
        amount: ETH,
        metadataHash: fieldKeccak(ETH_METADATA),
      };
      const l1Tree = new ExitTree(DEPTH);
      l1Tree.append(hashExitLeaf(deposit));
      expect((await bridge.checkpoint(1))[0]).to.equal(l1Tree.root());

      // Network 1 (model): 0.4 ETH back to alice on L1, and 5 of network 1's gas coin to bob on L1.
      const exits: { leaf: ExitLeaf; metadata: string }[] = [
        {
          leaf: { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 0, destinationAddress: BigInt(alice.address), amount: (ETH * 4n) / 10n, metadataHash: fieldKeccak(ETH_METADATA) },
          metadata: ETH_METADATA,
        },
        {
          leaf: { leafType: LeafType.Asset, originNetwork: 1, originAddress: 0n, destinationNetwork: 0, destinationAddress: BigInt(bob.address), amount: 5n * ETH, metadataHash: fieldKeccak(GAS_METADATA) },
          metadata: GAS_METADATA,
        },
      ];
      const tree1 = new ExitTree(DEPTH);
      for (const e of exits) tree1.append(hashExitLeaf(e.leaf));

      const slots = [await signSlot(seq1, domain, 1, 0n, 0x1234n, tree1.root()), await signSlot(seq2, domain, 2, 0n, 0x5678n, 0x9abcn)];
      await verifiers[2].setExpected(PROOF, modelPublicInputs(2, zeroHash(BITS), ROOT_A, 1n, l1Tree.root(), slots));
      await expect(hub.settleEpoch(PROOF, 2, zeroHash(BITS), ROOT_A, 1, slots)).to.emit(hub, "EpochSettled").withArgs(1, zeroHash(BITS), ROOT_A, 1, 2);
      const [, , , , entry1] = await hub.latestFinalized(1);
      const [, , , , entry2] = await hub.latestFinalized(2);

      const claim = (i: number, oracleEntry: bigint | number) => {
        const e = exits[i].leaf;
        const proof: UnifiedBridge.ClaimProofStruct = { oracleEntry, leafIndex: i, siblings: tree1.proof(i).siblings };
        const exit: UnifiedBridge.ExitStruct = {
          originNetwork: e.originNetwork,
          originAddress: toBeHex(e.originAddress, 20),
          destinationNetwork: e.destinationNetwork,
          destinationAddress: toBeHex(e.destinationAddress, 20),
          amount: e.amount,
          metadata: exits[i].metadata,
        };
        return [proof, exit] as const;
      };

      // Against the wrong entry (network 2's root) or an entry that does not exist: refused.
      await expect(bridge.claimAsset(...claim(0, entry2))).to.be.revertedWithCustomError(bridge, "InvalidMerkleProof");
      await expect(bridge.claimAsset(...claim(0, 99))).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(99);

      // ETH is unlocked to alice; network 1's gas coin is minted to bob as a wrapped token.
      const tx = bridge.claimAsset(...claim(0, entry1));
      await expect(tx).to.emit(bridge, "ExitClaimed").withArgs(1, 0, entry1, 0, 0, ZeroAddress, alice.address, (ETH * 4n) / 10n);
      await expect(tx).to.changeEtherBalances([bridge, alice], [-(ETH * 4n) / 10n, (ETH * 4n) / 10n]);
      // Network 1 is then ejected (it signs two ids for height 1): what it finalized before stays claimable.
      const equivA = await signHeader(seq1, domain, { networkId: 1, height: 1n, revision: 0, certificateId: 0xaaan });
      const equivB = await signHeader(seq1, domain, { networkId: 1, height: 1n, revision: 0, certificateId: 0xbbbn });
      await expect(hub.connect(alice).reportEquivocation(1, 1n, 0, 0xaaan, equivA, 0xbbbn, equivB)).to.emit(hub, "Ejected");
      expect((await hub.networks(1)).ejected).to.equal(true);
      await bridge.claimAsset(...claim(1, entry1));
      const gas1 = WrappedToken__factory.connect(await bridge.wrappedTokenAddress(1, ZeroAddress), ethers.provider);
      expect(await gas1.balanceOf(bob.address)).to.equal(5n * ETH);
      expect([await gas1.name(), await gas1.symbol(), await gas1.originNetwork()]).to.deep.equal(["Gas coin", "GAS", 1n]);
      await expect(bridge.claimAsset(...claim(0, entry1))).to.be.revertedWithCustomError(bridge, "AlreadyClaimed").withArgs(1, 0);
    });
  });

  describe("settleDirect", function () {
    it("settles one certificate of an opt-out network with the one-slot verifier; anyone may submit it", async function () {
      const { hub, verifiers, seq3, mallory, domain, l1Root0 } = await loadFixture(hubFixture);
      const s = await signSlot(seq3, domain, 3, 0n, 301n, 302n);
      const expected = modelPublicInputs(1, zeroHash(BITS), ROOT_A, 0n, l1Root0, [s]);
      expect(expected).to.deep.equal([zeroHash(BITS), ROOT_A, 0n, l1Root0, 3n, 301n, 302n]);
      await verifiers[1].setMode(Mode.Capture);
      await expect(hub.connect(mallory).settleDirect(PROOF, zeroHash(BITS), ROOT_A, 0, s))
        .to.be.revertedWithCustomError(verifiers[1], "CapturedCall")
        .withArgs(PROOF, expected);
      await verifiers[1].setExpected(PROOF, expected);
      const tx = hub.connect(mallory).settleDirect(PROOF, zeroHash(BITS), ROOT_A, 0, s);
      await expect(tx).to.emit(hub, "EpochSettled").withArgs(1, zeroHash(BITS), ROOT_A, 0, 1);
      await expect(tx).to.emit(hub, "CertificateFinalized").withArgs(3, 0, 301n, 302n, 0, 1);
      expect(await hub.globalRoot()).to.equal(ROOT_A);
      expect([...(await hub.exitRootOf(0))]).to.deep.equal([3n, 302n]);
      expect([...(await hub.latestFinalized(3))]).to.deep.equal([true, 0n, 301n, 302n, 0n]);
      // Replayed: stale.
      await expect(hub.settleDirect(PROOF, zeroHash(BITS), ROOT_A, 0, s)).to.be.revertedWithCustomError(hub, "StaleGlobalRoot").withArgs(ROOT_A, zeroHash(BITS));
    });

    it("refuses a network without the opt-out policy, bad signatures, rejected proofs and a missing one-slot verifier", async function () {
      const { hub, verifiers, seq1, seq3, mallory, domain } = await loadFixture(hubFixture);
      const root0 = zeroHash(BITS);
      await expectNoChange(hub, async () => {
        await expect(hub.settleDirect(PROOF, root0, ROOT_A, 0, await signSlot(seq1, domain, 1, 0n, 1n, 2n))).to.be.revertedWithCustomError(hub, "NotOptOut").withArgs(1);
        await expect(hub.settleDirect(PROOF, root0, ROOT_A, 0, await signSlot(mallory, domain, 3, 0n, 1n, 2n)))
          .to.be.revertedWithCustomError(hub, "InvalidSequencerSignature")
          .withArgs(3, 0);
        const s = await signSlot(seq3, domain, 3, 0n, 1n, 2n);
        await expect(hub.settleDirect(PROOF, root0, ROOT_A, 5, s)).to.be.revertedWithCustomError(hub, "UnknownCheckpoint").withArgs(5);
        await verifiers[1].setMode(Mode.Reject);
        await expect(hub.settleDirect(PROOF, root0, ROOT_A, 0, s)).to.be.revertedWithCustomError(hub, "InvalidProof");
        await hub.setVerifiers([2, 4], [verifiers[2], verifiers[4]]);
        await expect(hub.settleDirect(PROOF, root0, ROOT_A, 0, s)).to.be.revertedWithCustomError(hub, "NoVerifier").withArgs(1);
      });
    });
  });

  describe("reportEquivocation", function () {
    const H = 5n;
    async function equivocation() {
      const f = await loadFixture(hubFixture);
      const a = await signHeader(f.seq1, f.domain, { networkId: 1, height: H, certificateId: 0xaaan });
      const b = await signHeader(f.seq1, f.domain, { networkId: 1, height: H, certificateId: 0xbbbn });
      return { ...f, a, b };
    }

    it("two ids signed for one height and revision: the network is ejected, a tenth of its stake goes to the reporter, the rest is burned", async function () {
      const { hub, reporter, a, b, seq1, domain } = await equivocation();
      const tx = hub.connect(reporter).reportEquivocation(1, H, 0, 0xaaan, a, 0xbbbn, b);
      const reward = (STAKE * (await hub.SLASH_REPORTER_BPS())) / 10_000n;
      expect(reward).to.equal(STAKE / 10n);
      await expect(tx).to.emit(hub, "EquivocationReported").withArgs(1, H, 0, 0xaaan, 0xbbbn, reporter.address, STAKE, reward);
      await expect(tx).to.emit(hub, "Ejected").withArgs(1, reporter.address);
      await expect(tx).to.changeEtherBalances([hub, reporter], [-reward, reward]);
      expect(await hub.burnedStake()).to.equal(STAKE - reward);
      expect([...(await hub.networks(1))]).to.deep.equal([seq1.address, 0n, 0n, false, true]);
      await expect(hub.connect(reporter).reportEquivocation(1, H, 0, 0xaaan, a, 0xbbbn, b)).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(1);
      await expect(hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [await signSlot(seq1, domain, 1, 0n, 1n, 2n)]))
        .to.be.revertedWithCustomError(hub, "NetworkEjected")
        .withArgs(1);
    });

    it("identical ids, a bad or foreign signature, an unknown network or a reporter refusing ETH revert and change nothing", async function () {
      const { hub, reporter, a, b, seq1, seq2, mallory, domain, deployer } = await equivocation();
      const byOther = await signHeader(seq2, domain, { networkId: 1, height: H, certificateId: 0xbbbn });
      const byMallory = await signHeader(mallory, domain, { networkId: 1, height: H, certificateId: 0xbbbn });
      const otherHeight = await signHeader(seq1, domain, { networkId: 1, height: H + 1n, certificateId: 0xbbbn });
      const rejecting = await new EthRejectingReporter__factory(deployer).deploy();
      const r = hub.connect(reporter);
      await expectNoChange(hub, async () => {
        await expect(r.reportEquivocation(1, H, 0, 0xaaan, a, 0xaaan, a)).to.be.revertedWithCustomError(hub, "NotAnEquivocation");
        await expect(r.reportEquivocation(1, H, 0, 0xaaan, a, 0xbbbn, byOther)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
        await expect(r.reportEquivocation(1, H, 0, 0xaaan, a, 0xbbbn, byMallory)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
        await expect(r.reportEquivocation(1, H, 0, 0xaaan, a, 0xbbbn, otherHeight)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
        await expect(r.reportEquivocation(1, H, 0, 0xaaan, "0x1234", 0xbbbn, b)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
        await expect(r.reportEquivocation(1, H, 0, 0xbbbn, a, 0xaaan, b)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
        await expect(r.reportEquivocation(2, H, 0, 0xaaan, a, 0xbbbn, b)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(2, H);
        await expect(r.reportEquivocation(4, H, 0, 0xaaan, a, 0xbbbn, b)).to.be.revertedWithCustomError(hub, "NetworkNotRegistered").withArgs(4);
        await expect(rejecting.report(hub, 1, H, 0, 0xaaan, a, 0xbbbn, b))
          .to.be.revertedWithCustomError(hub, "StakeTransferFailed")
          .withArgs(await rejecting.getAddress(), STAKE / 10n);
      });
      // After a key rotation, the old key's signatures are no longer evidence.
      await hub.setSequencer(1, seq2.address);
      await expect(r.reportEquivocation(1, H, 0, 0xaaan, a, 0xbbbn, b)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
    });
  });

  describe("revisions: an honest rebuild is never slashable, a true equivocation still is", function () {
    const H = 4n;
    /** The layer's licence for revision r + 1: its signed rejection of revision r (the deployer is the layer signer here). */
    const licence = (layer: Signer, domain: SigningDomain, networkId: number, height: bigint, revision: number) => signRejection(layer, domain, { networkId, height, revision });

    it("the rebuild after a rejected certificate (revision 1) and the rejected one (revision 0) are not evidence; two ids for one revision are", async function () {
      const { hub, seq1, reporter, domain, deployer } = await loadFixture(hubFixture);
      expect(await hub.layerSigner()).to.equal(deployer.address);
      const rejected = await signHeader(seq1, domain, { networkId: 1, height: H, revision: 0, certificateId: 0xaaan });
      const rebuilt = await signHeader(seq1, domain, { networkId: 1, height: H, revision: 1, certificateId: 0xbbbn });
      const r = hub.connect(reporter);
      await expectNoChange(hub, async () => {
        // Either revision claimed for the pair: one of the two signatures is not of that revision.
        await expect(r.reportEquivocation(1, H, 0, 0xaaan, rejected, 0xbbbn, rebuilt)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
        await expect(r.reportEquivocation(1, H, 1, 0xaaan, rejected, 0xbbbn, rebuilt)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, H);
      });
      // The model agrees: not an equivocation.
      expect(isEquivocation(domain, seq1.address, { networkId: 1, height: H, revision: 0, certificateId: 0xaaan, signature: rejected }, { networkId: 1, height: H, revision: 1, certificateId: 0xbbbn, signature: rebuilt })).to.equal(false);
      // Two live certificates of one revision: slashed.
      const second = await signHeader(seq1, domain, { networkId: 1, height: H, revision: 1, certificateId: 0xcccn });
      await expect(r.reportEquivocation(1, H, 1, 0xbbbn, rebuilt, 0xcccn, second)).to.emit(hub, "EquivocationReported").withArgs(1, H, 1, 0xbbbn, 0xcccn, reporter.address, STAKE, STAKE / 10n);
    });

    it("a revision > 0 settles only with the layer's signed rejection of the revision before it", async function () {
      const { hub, verifiers, seq3, domain, deployer, mallory } = await loadFixture(hubFixture);
      const root0 = zeroHash(BITS);
      const good = await licence(deployer, domain, 3, 0n, 0);
      const bad: [string, string][] = [
        ["no licence", "0x"],
        ["a licence by another key", await licence(mallory, domain, 3, 0n, 0)],
        ["a licence for another revision", await licence(deployer, domain, 3, 0n, 1)],
        ["a licence for another height", await licence(deployer, domain, 3, 1n, 0)],
        ["a licence for another network", await licence(deployer, domain, 2, 0n, 0)],
        ["a licence for another hub", await licence(deployer, { ...domain, verifyingContract: mallory.address }, 3, 0n, 0)],
      ];
      await expectNoChange(hub, async () => {
        for (const [why, l] of bad) {
          const s = await signSlot(seq3, domain, 3, 0n, 31n, 32n, 1, l);
          await expect(hub.settleDirect(PROOF, root0, ROOT_A, 0, s), why).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(3, 0, 1);
          await expect(hub.settleEpoch(PROOF, 1, root0, ROOT_A, 0, [s]), why).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(3, 0, 1);
        }
      });
      const s = await signSlot(seq3, domain, 3, 0n, 31n, 32n, 1, good);
      await verifiers[1].setExpected(PROOF, modelPublicInputs(1, root0, ROOT_A, 0n, (await hub.publicInputs(1, 0, 0, 0, 0, [s]))[3], [s]));
      await verifiers[1].setMode(Mode.Accept);
      await expect(hub.settleDirect(PROOF, root0, ROOT_A, 0, s)).to.emit(hub, "CertificateFinalized").withArgs(3, 0, 31n, 32n, 0, 1);
      // The layer key rotates (owner): the old key's licences stop counting.
      await hub.setLayerSigner(mallory.address);
      const s2 = await signSlot(seq3, domain, 3, 1n, 41n, 42n, 1, await licence(deployer, domain, 3, 1n, 0));
      await expect(hub.settleDirect(PROOF, ROOT_A, ROOT_B, 0, s2)).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(3, 1, 1);
      const s3 = await signSlot(seq3, domain, 3, 1n, 41n, 42n, 1, await licence(mallory, domain, 3, 1n, 0));
      await expect(hub.settleDirect(PROOF, ROOT_A, ROOT_B, 0, s3)).to.emit(hub, "EpochSettled");
      await expect(hub.connect(mallory).setLayerSigner(mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await expect(hub.setLayerSigner(ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
    });
  });

  describe("ejection is not a dead end", function () {
    it("a governed readmission gives an ejected network a new sequencer from its last finalized state; the old key is gone", async function () {
      const { hub, verifiers, seq1, seq2, reporter, alice, mallory, domain } = await loadFixture(hubFixture);
      const s0 = await signSlot(seq1, domain, 1, 0n, 101n, 102n);
      await hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [s0]);
      const a = await signHeader(seq1, domain, { networkId: 1, height: 1n, certificateId: 0xaaan });
      const b = await signHeader(seq1, domain, { networkId: 1, height: 1n, certificateId: 0xbbbn });
      await hub.connect(reporter).reportEquivocation(1, 1, 0, 0xaaan, a, 0xbbbn, b);
      const finalized = [...(await hub.latestFinalized(1))];
      await expectNoChange(hub, async () => {
        await expect(hub.connect(mallory).readmitNetwork(1, alice.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
        await expect(hub.readmitNetwork(2, alice.address)).to.be.revertedWithCustomError(hub, "NetworkNotEjectedForReadmission").withArgs(2);
        await expect(hub.readmitNetwork(1, ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
        await expect(hub.readmitNetwork(0, alice.address)).to.be.revertedWithCustomError(hub, "NetworkNotRegistered").withArgs(0);
      });
      const tx = hub.readmitNetwork(1, alice.address, { value: STAKE });
      await expect(tx).to.emit(hub, "NetworkReadmitted").withArgs(1, alice.address, STAKE);
      await expect(tx).to.emit(hub, "SequencerChanged").withArgs(1, seq1.address, alice.address);
      expect([...(await hub.networks(1))]).to.deep.equal([alice.address, STAKE, 0n, true, false]);
      expect([...(await hub.latestFinalized(1))]).to.deep.equal(finalized);
      // The old key's certificates no longer settle, nor count as evidence; the new key's do.
      const old = await signSlot(seq1, domain, 1, 1n, 111n, 112n);
      await expect(hub.settleEpoch(PROOF, 1, ROOT_A, ROOT_B, 0, [old])).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 1);
      await expect(hub.connect(reporter).reportEquivocation(1, 1, 0, 0xaaan, a, 0xbbbn, b)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 1);
      await verifiers[1].setMode(Mode.Accept);
      await expect(hub.settleEpoch(PROOF, 1, ROOT_A, ROOT_B, 0, [await signSlot(alice, domain, 1, 1n, 111n, 112n)])).to.emit(hub, "CertificateFinalized").withArgs(1, 1, 111n, 112n, 1, 2);
      void seq2;
    });
  });

  describe("governance: every privileged function waits for the timelock's delay", function () {
    const DELAY = 2 * 24 * 3600;
    async function governed() {
      const f = await loadFixture(hubFixture);
      const timelock = await new LayerTimelock__factory(f.deployer).deploy(DELAY, [f.deployer.address], [f.deployer.address]);
      await f.hub.transferOwnership(await timelock.getAddress());
      const data = f.hub.interface.encodeFunctionData("acceptOwnership");
      await timelock.schedule(f.hub, 0, data, ZeroHash, ZeroHash, DELAY);
      await time.increase(DELAY);
      await timelock.execute(f.hub, 0, data, ZeroHash, ZeroHash);
      expect(await f.hub.owner()).to.equal(await timelock.getAddress());
      return { ...f, timelock };
    }

    it("an admin drain (a made-up verifier, then a settlement of a made-up root) cannot happen before the delay, and is visible for all of it", async function () {
      const { hub, timelock, deployer, mallory, verifiers, seq1, domain } = await governed();
      // The former admin key acts directly: refused.
      const forged = await new TestAggregationVerifier__factory(deployer).deploy();
      await expect(hub.setVerifiers([1], [forged])).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount").withArgs(deployer.address);
      await expect(hub.setSequencer(1, mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      // Through the timelock: scheduled in public, with its calldata ...
      const data = hub.interface.encodeFunctionData("setVerifiers", [[1], [await forged.getAddress()]]);
      const salt = ZeroHash;
      await expect(timelock.schedule(hub, 0, data, ZeroHash, salt, DELAY)).to.emit(timelock, "CallScheduled");
      await expect(timelock.schedule(hub, 0, data, ZeroHash, keccak256("0x01"), DELAY - 1)).to.be.revertedWithCustomError(timelock, "TimelockInsufficientDelay");
      await expect(timelock.connect(mallory).schedule(hub, 0, data, ZeroHash, salt, DELAY)).to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount");
      // ... and not executable before the delay: the settlement it would enable is still refused by the real verifier.
      await time.increase(DELAY - 60);
      await expect(timelock.execute(hub, 0, data, ZeroHash, salt)).to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState");
      await verifiers[1].setMode(Mode.Reject);
      const s = await signSlot(seq1, domain, 1, 0n, 1n, 2n);
      await expect(hub.settleEpoch(PROOF, 1, zeroHash(BITS), ROOT_A, 0, [s])).to.be.revertedWithCustomError(hub, "InvalidProof");
      // After the delay it executes (users had the whole delay to withdraw).
      await time.increase(120);
      await expect(timelock.execute(hub, 0, data, ZeroHash, salt)).to.emit(hub, "VerifierSet").withArgs(1, ZeroAddress, await forged.getAddress());
      expect(await hub.verifiers(1)).to.equal(await forged.getAddress());
    });

    it("HubAdmin schedules, waits and executes through the timelock (the devnet's path)", async function () {
      const f = await loadFixture(hubFixture);
      const timelock = await new LayerTimelock__factory(f.deployer).deploy(1, [f.deployer.address], [f.deployer.address]);
      await HubAdmin.handOver(f.hub, f.deployer, timelock);
      expect(await f.hub.owner()).to.equal(await timelock.getAddress());
      const admin = await HubAdmin.of(f.hub, f.deployer);
      expect(admin.timelock).to.not.equal(null);
      await admin.call("setSequencer", [2, f.alice.address]);
      expect((await f.hub.networks(2)).sequencer).to.equal(f.alice.address);
    });
  });

  describe("the model's signed certificates (test/vectors/certificates.json)", function () {
    it("verify against a hub deployed at the vectors' verifyingContract; they settle and their equivocation pair slashes", async function () {
      const vec = loadCertificateVectors();
      const chain = await newChain(vec.domain.chainId);
      const [deployer, reporter] = chain.signers;
      // First transaction of a fresh chain from account 0: the address the vectors were signed for.
      const hub = await new SettlementHub__factory(deployer).deploy(deployer.address, vec.params.networkBits, vec.rebuild.licence.signer, true, ...EPOCHS);
      expect(await hub.getAddress()).to.equal(getAddress(vec.domain.verifyingContract));
      const d = await hub.eip712Domain();
      expect([d.name, d.version, d.chainId]).to.deep.equal([vec.domain.name, vec.domain.version, BigInt(vec.domain.chainId)]);

      for (const s of vec.sequencers) await hub.registerNetwork(s.networkId, s.address, 0, { value: STAKE });
      for (const c of vec.certificates) {
        expect(await hub.headerDigest(c.networkId, c.height, 0, c.certificateId), c.name).to.equal(c.digest);
        expect(headerDigest(vec.domain, c), c.name).to.equal(c.digest);
        expect(recoverHeaderSigner(vec.domain, c), c.name).to.equal(getAddress(c.signer));
        expect(await hub.isSequencerSignature(c.networkId, c.height, 0, c.certificateId, c.signature), c.name).to.equal(true);
        expect(await hub.isSequencerSignature(c.networkId, c.height, 0, c.certificateId + 1n, c.signature), c.name).to.equal(false);
      }

      // Settle them (test verifier): epoch 1 = both height-0 certificates, epoch 2 = network 1's height 1.
      const libs = await deployPoseidonLibraries(deployer);
      const bridge = await bridgeFactory(deployer, libs).deploy(0, vec.params.exitDepth, await hub.getAddress());
      await hub.bindL1Bridge(bridge);
      await bridge.checkpointExitRoot();
      await hub.setVerifiers([2], [await new TestAggregationVerifier__factory(deployer).deploy()]);
      const asSlot = (c: (typeof vec.certificates)[number]): SlotData => ({
        networkId: c.networkId,
        height: c.height,
        certificateId: c.certificateId,
        newLocalExitRoot: c.localExitRoots.new,
        signature: c.signature,
        revision: 0,
        licence: "0x",
      });
      const [c10, c20, c11] = vec.certificates;
      await expect(hub.settleEpoch(PROOF, 2, zeroHash(vec.params.networkBits), ROOT_A, 0, [asSlot(c10), asSlot(c20)])).to.emit(hub, "EpochSettled");
      await expect(hub.settleEpoch(PROOF, 2, ROOT_A, ROOT_B, 0, [asSlot(c11)]))
        .to.emit(hub, "CertificateFinalized")
        .withArgs(1, 1, c11.certificateId, c11.localExitRoots.new, 2, 2);
      expect([...(await hub.latestFinalized(2))]).to.deep.equal([true, 0n, c20.certificateId, c20.localExitRoots.new, 1n]);

      // The honest rebuild: both headers verify for their own revisions, are no evidence, and the rebuilt one settles with the licence.
      const rb = vec.rebuild;
      expect(await hub.rejectionDigest(rb.networkId, rb.height, 0)).to.equal(rb.licence.digest);
      expect(await hub.isSequencerSignature(rb.networkId, rb.height, 0, rb.rejected.certificateId, rb.rejected.signature)).to.equal(true);
      expect(await hub.isSequencerSignature(rb.networkId, rb.height, 1, rb.rebuilt.certificateId, rb.rebuilt.signature)).to.equal(true);
      expect(await hub.headerDigest(rb.networkId, rb.height, 1, rb.rebuilt.certificateId)).to.equal(rb.rebuilt.digest);
      for (const rev of [0, 1]) {
        await expect(hub.connect(reporter).reportEquivocation(rb.networkId, rb.height, rev, rb.rejected.certificateId, rb.rejected.signature, rb.rebuilt.certificateId, rb.rebuilt.signature))
          .to.be.revertedWithCustomError(hub, "InvalidSequencerSignature");
      }
      const rebuiltSlot: SlotData = { ...asSlot({ ...c11, certificateId: rb.rebuilt.certificateId, signature: rb.rebuilt.signature }), revision: 1, licence: rb.licence.signature };
      await expect(hub.settleEpoch(PROOF, 2, ROOT_B, ROOT_A, 0, [{ ...rebuiltSlot, licence: "0x" }])).to.be.revertedWithCustomError(hub, "UnlicensedRevision");
      await expect(hub.settleEpoch(PROOF, 2, ROOT_B, ROOT_A, 0, [rebuiltSlot])).to.emit(hub, "CertificateFinalized");

      const q = vec.equivocation;
      await expect(hub.connect(reporter).reportEquivocation(q.networkId, q.height, 0, q.a.certificateId, q.a.signature, q.b.certificateId, q.b.signature))
        .to.emit(hub, "EquivocationReported")
        .withArgs(q.networkId, q.height, 0, q.a.certificateId, q.b.certificateId, reporter.address, STAKE, STAKE / 10n);
      expect((await hub.networks(q.networkId)).ejected).to.equal(true);
    });
  });

  describe("gas", function () {
    const KEYS = Array.from({ length: 8 }, (_, i) => new Wallet(toBeHex(0x5eed00n + BigInt(i), 32)));

    /** Production-size global tree (32 bits), 8 networks with their own keys, accepting test verifiers for 1, 2 and 8 slots. */
    async function gasFixture() {
      const [deployer, reporter] = await ethers.getSigners();
      const { hub } = await deploySettlementStack(deployer, { exitTreeDepth: PRODUCTION_PARAMS.exitDepth, networkBits: PRODUCTION_PARAMS.networkBits, developmentMode: true, mode: "Epochs" });
      const v = await Promise.all([1, 2, 8].map(() => new TestAggregationVerifier__factory(deployer).deploy()));
      await hub.setVerifiers([1, 2, 8], v);
      for (let i = 0; i < KEYS.length; i++) await hub.registerNetwork(i + 1, KEYS[i].address, i === 0 ? 1 : 0, { value: STAKE });
      const domain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
      return { hub, domain, reporter };
    }

    async function slotsFor(domain: SigningDomain, count: number, height: bigint): Promise<SlotData[]> {
      const out: SlotData[] = [];
      for (let i = 0; i < count; i++) {
        out.push(await signSlot(KEYS[i], domain, i + 1, height, FIELD_MODULUS - 1n - BigInt(i) - height * 100n, FIELD_MODULUS - 1000n - BigInt(i) - height * 100n));
      }
      return out;
    }

    it("measures settleEpoch per slot count (test verifier: excludes the Groth16 verification itself)", async function () {
      const rows: string[] = [];
      const next: Record<number, bigint> = {};
      const gasOf = async (tx: Promise<{ wait: () => Promise<{ gasUsed: bigint } | null> }>) => (await (await tx).wait())!.gasUsed;
      for (const count of [1, 2, 8]) {
        const { hub, domain } = await loadFixture(gasFixture);
        const root0 = zeroHash(PRODUCTION_PARAMS.networkBits);
        const first = await gasOf(hub.settleEpoch(PROOF, count, root0, ROOT_A, 0, await slotsFor(domain, count, 0n)));
        const second = await gasOf(hub.settleEpoch(PROOF, count, ROOT_A, ROOT_B, 0, await slotsFor(domain, count, 1n)));
        next[count] = second;
        rows.push(`settleEpoch S=${count}, ${count} slot(s): first epoch ${first}, next epoch ${second}`);
        expect(await hub.epoch()).to.equal(2n);
      }
      rows.push(`marginal cost of a slot (next epochs, S=2 -> S=8): ${(next[8] - next[2]) / 6n}`);
      // Padding: 1 slot in an 8-slot aggregation.
      {
        const { hub, domain } = await loadFixture(gasFixture);
        rows.push(`settleEpoch S=8, 1 slot: ${await gasOf(hub.settleEpoch(PROOF, 8, zeroHash(PRODUCTION_PARAMS.networkBits), ROOT_A, 0, await slotsFor(domain, 1, 0n)))}`);
        const direct = (await slotsFor(domain, 1, 1n))[0];
        rows.push(`settleDirect: ${await gasOf(hub.settleDirect(PROOF, ROOT_A, ROOT_B, 0, direct))}`);
      }
      {
        const { hub, domain, reporter } = await loadFixture(gasFixture);
        const a = await signHeader(KEYS[1], domain, { networkId: 2, height: 3n, certificateId: 1n });
        const b = await signHeader(KEYS[1], domain, { networkId: 2, height: 3n, certificateId: 2n });
        rows.push(`reportEquivocation: ${await gasOf(hub.connect(reporter).reportEquivocation(2, 3, 0, 1n, a, 2n, b))}`);
      }
      console.log(rows.map((r) => `      ${r}`).join("\n"));
    });
  });
});
