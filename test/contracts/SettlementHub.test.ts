/**
 * SettlementHub's own logic (contracts/settlement/SettlementHub.sol): construction and the L1 bridge binding, the
 * registry, stakes, ejection, the hub's hooks of batched settlement (its sequencers' EIP-712 signatures, the layer's
 * licences, active networks, the bound bridge's checkpoints), withdrawals against registered exit roots,
 * equivocation reports, readmission and governance. The batch verifier is a stand-in (contracts/test/TestBatchVerifier.sol)
 * and the certificates are made-up public signals, so every case is fast; the same rules with real proofs and the
 * model's certificates are test/contracts/SettlementHub.batches.test.ts, and BatchSettlement's own checks (tips,
 * dependencies, bundles, proofs) test/contracts/BatchSettlement.test.ts.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, Signature, Signer, ZeroAddress, ZeroHash, concat, getAddress, keccak256, parseEther, toBeHex } from "ethers";
import {
  ExitLeaf,
  ExitTree,
  LeafType,
  SigningDomain,
  TEST_PARAMS,
  batchLeaf,
  batchProof,
  fieldKeccak,
  genesisStateCommitment,
  hashExitLeaf,
  headerDigest,
  isEquivocation,
  recoverHeaderSigner,
  recoverRejectionSigner,
  signHeader,
  signRejection,
  slotWord,
  tipOf,
} from "../../lib";
import { BATCH_CERTIFICATE_SHAPE, deploySettlementStack, hubBatchParameters } from "../../deploy/settlement-stack";
import { HubAdmin } from "../../deploy/governance";
import { bridgeFactory, deployBridgeStack, deployPoseidonLibraries } from "../../deploy/bridge-stack";
import { newChain } from "../helpers/chains";
import { loadCertificateVectors } from "../helpers/vectors";
import { EthRejectingReporter__factory, LayerTimelock__factory, SettlementHub__factory, TestBatchVerifier__factory, WrappedToken__factory } from "../../typechain-types";
import type { BatchSettlement, SettlementHub, TestBatchVerifier, UnifiedBridge } from "../../typechain-types";

const P = TEST_PARAMS;
const DEPTH = P.exitDepth;
const BITS = P.networkBits; // network ids 1..3
const STAKE = parseEther("10");
/** Public signals per proof of the hub's verifier shape (7 + 3 D + 2 B, D = B = 1). */
const M = 7 + 3 * BATCH_CERTIFICATE_SHAPE.maxDependencies + 2 * BATCH_CERTIFICATE_SHAPE.maxBundles;
const GENESIS = genesisStateCommitment(P);
const ETH_METADATA = AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8"], ["Ether", "ETH", 18]);
const GAS_METADATA = AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8"], ["Gas coin", "GAS", 18]);
/** secp256k1 group order (for building a high-s signature). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A made-up certificate as the hub sees it: its header and the public signals of its (stand-in) proof. */
interface Fake {
  networkId: number;
  height: bigint;
  revision?: number;
  certificateId: bigint;
  exitRoot: bigint;
  /** The stated L1 checkpoint (none: (0, 0)). */
  checkpoint?: { number: bigint; root: bigint };
}

/** Network n's state commitment before its certificate at height h: genesis at 0, then made-up values. */
const stateAt = (n: number, h: bigint) => (h === 0n ? GENESIS : BigInt(n) * 1_000_000n + h);

/** docs/protocol.md §9: certificateId, slotWord, prev and new state, exit root, checkpoint, then padded entries. */
function signalsOf(c: Fake): bigint[] {
  const head = [c.certificateId, slotWord(c), stateAt(c.networkId, c.height), stateAt(c.networkId, c.height + 1n), c.exitRoot, c.checkpoint?.number ?? 0n, c.checkpoint?.root ?? 0n];
  return [...head, ...new Array<bigint>(M - head.length).fill(0n)];
}

interface Slot {
  cert: Fake;
  signature: string;
  licence: string;
}

async function signed(signer: Signer, domain: SigningDomain, cert: Fake, licence = "0x"): Promise<Slot> {
  const signature = await signHeader(signer, domain, { networkId: cert.networkId, height: cert.height, revision: cert.revision ?? 0, certificateId: cert.certificateId });
  return { cert, signature, licence };
}

/** settleBatch's argument (no dependencies: every dependency signal is padding). */
function batch(slots: Slot[]): BatchSettlement.SettlementStruct {
  return {
    proofs: slots.map(() => new Array<bigint>(8).fill(0n)),
    publicSignals: slots.flatMap((s) => signalsOf(s.cert)),
    slots: slots.map((s) => ({ signature: s.signature, licence: s.licence, dependencies: [] })),
  };
}

const leafOf = (c: Fake) => batchLeaf({ networkId: c.networkId, height: c.height, certificateId: c.certificateId, exitRoot: c.exitRoot });

/** Everything a refused call could have changed. */
async function hubState(hub: SettlementHub) {
  const ids = [1, 2, 3];
  return {
    batches: await hub.batchCount(),
    tips: await Promise.all(ids.map((n) => hub.tip(n))),
    networks: await Promise.all(ids.map(async (n) => [...(await hub.networks(n))])),
    burned: await hub.burnedStake(),
    balance: await ethers.provider.getBalance(await hub.getAddress()),
  };
}

async function expectNoChange(hub: SettlementHub, attempt: () => Promise<unknown>) {
  const before = await hubState(hub);
  await attempt();
  expect(await hubState(hub)).to.deep.equal(before);
}

/** Hub (stand-in batch verifier) + L1 bridge (bound, checkpoint 0 recorded), no networks. */
async function bareFixture() {
  const [deployer, seq1, seq2, seq3, alice, bob, mallory, reporter] = await ethers.getSigners();
  const verifier = await new TestBatchVerifier__factory(deployer).deploy(M);
  const { hub, bridge } = await deploySettlementStack(deployer, { params: P, batchVerifier: await verifier.getAddress() });
  const domain: SigningDomain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
  return { hub, bridge, verifier, domain, deployer, seq1, seq2, seq3, alice, bob, mallory, reporter };
}

/** Networks 1, 2 and 3 (3 with the opt-out policy bit), each staked. */
async function hubFixture() {
  const f = await bareFixture();
  await f.hub.registerNetwork(1, f.seq1.address, 0, { value: STAKE });
  await f.hub.registerNetwork(2, f.seq2.address, 0, { value: STAKE });
  await f.hub.registerNetwork(3, f.seq3.address, 1, { value: STAKE });
  return f;
}

/** A hub on its own, its bridge not bound. */
async function unboundHub(networkBits: number, verifier: TestBatchVerifier) {
  const [deployer] = await ethers.getSigners();
  return new SettlementHub__factory(deployer).deploy(deployer.address, networkBits, deployer.address, hubBatchParameters(await verifier.getAddress(), P));
}

describe("SettlementHub", function () {
  describe("construction and binding", function () {
    it("starts with no batch, genesis tips at registration, the EIP-712 domain of docs/protocol.md §5", async function () {
      const { hub, bridge, verifier, deployer, domain, seq1 } = await loadFixture(bareFixture);
      expect(await hub.networkBits()).to.equal(BigInt(BITS));
      expect(await hub.owner()).to.equal(deployer.address);
      expect(await hub.layerSigner()).to.equal(deployer.address);
      expect(await hub.l1Bridge()).to.equal(await bridge.getAddress());
      expect(await bridge.oracle()).to.equal(await hub.getAddress());
      expect(await bridge.checkpointCount()).to.equal(1n);
      expect([await hub.certificateVerifier(), await hub.genesisStateCommitment(), await hub.publicSignalsPerProof()]).to.deep.equal([await verifier.getAddress(), GENESIS, BigInt(M)]);
      const d = await hub.eip712Domain();
      expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal(["AggregationLayer", "1", BigInt(domain.chainId), domain.verifyingContract]);
      expect(await hub.batchCount()).to.equal(0n);
      await expect(hub.exitRootOf(0)).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(0);
      expect(await hub.tip(1)).to.equal(ZeroHash);
      await hub.registerNetwork(1, seq1.address, 0);
      expect(await hub.tip(1)).to.equal(tipOf(GENESIS, 0n));
    });

    it("takes networkBits 1..32 (32 bits: every uint32 but 0 is a network id)", async function () {
      const { verifier, deployer } = await loadFixture(bareFixture);
      const hub32 = await unboundHub(32, verifier);
      await expect(unboundHub(0, verifier)).to.be.revertedWithCustomError(hub32, "InvalidNetworkBits").withArgs(0);
      await expect(unboundHub(33, verifier)).to.be.revertedWithCustomError(hub32, "InvalidNetworkBits").withArgs(33);
      await expect(hub32.registerNetwork(2 ** 32 - 1, deployer.address, 0)).to.emit(hub32, "NetworkRegistered");
      await expect(hub32.registerNetwork(0, deployer.address, 0)).to.be.revertedWithCustomError(hub32, "InvalidNetworkId").withArgs(0);
      const f = new SettlementHub__factory(deployer);
      await expect(f.deploy(deployer.address, BITS, ZeroAddress, hubBatchParameters(await verifier.getAddress(), P))).to.be.revertedWithCustomError(hub32, "ZeroAddress");
    });

    it("binds the L1 bridge once, only a network-0 bridge using this hub as its oracle, only by the owner", async function () {
      const { verifier } = await loadFixture(bareFixture);
      const [deployer, other, mallory] = await ethers.getSigners();
      const hub = await unboundHub(BITS, verifier);
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

    it("refuses a certificate stating an L1 checkpoint before the L1 bridge is bound (L1BridgeNotBound); one stating none settles", async function () {
      const { verifier, seq1 } = await loadFixture(bareFixture);
      const hub = await unboundHub(BITS, verifier);
      await hub.registerNetwork(1, seq1.address, 0);
      const domain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await hub.getAddress() };
      const withCheckpoint = await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 7n, exitRoot: 8n, checkpoint: { number: 0n, root: 9n } });
      await expect(hub.settleBatch(batch([withCheckpoint]))).to.be.revertedWithCustomError(hub, "L1BridgeNotBound");
      const without = await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 7n, exitRoot: 8n });
      await expect(hub.settleBatch(batch([without]))).to.emit(hub, "BatchSettled").withArgs(1, leafOf(without.cert), 1);
    });

    it("the L1 stack (libraries, hub, bridge) puts L1's bridge at the same address as every L2's bridge", async function () {
      const l1 = await newChain(9201);
      const l2 = await newChain(9202);
      const { bridge } = await deploySettlementStack(l1.signers[0], { params: P, verifierDeployer: l1.signers[9] });
      const l2Stack = await deployBridgeStack(l2.signers[0], { networkId: 1, exitTreeDepth: DEPTH, admin: l2.signers[1].address, poster: l2.signers[1].address });
      expect(await bridge.getAddress()).to.equal(await l2Stack.bridge.getAddress());
    });
  });

  describe("registry", function () {
    it("registers a network with its sequencer, policy flags and msg.value as stake, at the genesis tip", async function () {
      const { hub, seq1, seq3 } = await loadFixture(bareFixture);
      await expect(hub.registerNetwork(1, seq1.address, 0, { value: STAKE })).to.emit(hub, "NetworkRegistered").withArgs(1, seq1.address, 0, STAKE);
      await expect(hub.registerNetwork(3, seq3.address, 5)).to.emit(hub, "NetworkRegistered").withArgs(3, seq3.address, 5, 0);
      expect([...(await hub.networks(1))]).to.deep.equal([seq1.address, STAKE, 0n, true, false]);
      expect([...(await hub.networks(3))]).to.deep.equal([seq3.address, 0n, 5n, true, false]);
      expect([...(await hub.networks(2))]).to.deep.equal([ZeroAddress, 0n, 0n, false, false]);
      expect([await hub.tip(1), await hub.tip(2), await hub.tip(3)]).to.deep.equal([tipOf(GENESIS, 0n), ZeroHash, tipOf(GENESIS, 0n)]);
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
      const { hub, seq1, seq2, mallory, domain } = await loadFixture(hubFixture);
      await expect(hub.connect(mallory).setSequencer(1, mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await expect(hub.setSequencer(1, ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
      await expect(hub.setSequencer(2 ** 31, mallory.address)).to.be.revertedWithCustomError(hub, "NetworkNotRegistered").withArgs(2 ** 31);
      const cert: Fake = { networkId: 1, height: 0n, certificateId: 11n, exitRoot: 12n };
      const old = await signed(seq1, domain, cert);
      await expect(hub.setSequencer(1, seq2.address)).to.emit(hub, "SequencerChanged").withArgs(1, seq1.address, seq2.address);
      expect(await hub.isSequencerSignature(1, 0, 0, 11n, old.signature)).to.equal(false);
      await expect(hub.settleBatch(batch([old]))).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 0);
      await expect(hub.settleBatch(batch([await signed(seq2, domain, cert)]))).to.emit(hub, "BatchSettled");
    });

    it("ejects a network (owner only): it can no longer settle, stake or change sequencer; its settled roots stay; its stake can then be released", async function () {
      const { hub, seq2, deployer, alice, mallory, domain } = await loadFixture(hubFixture);
      // Network 2 settles a certificate before its ejection: its exit root can still be registered and claimed against.
      const before = await signed(seq2, domain, { networkId: 2, height: 0n, certificateId: 21n, exitRoot: 22n });
      await hub.settleBatch(batch([before]));

      await expect(hub.connect(mallory).ejectNetwork(2)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await expect(hub.releaseStake(2, alice.address)).to.be.revertedWithCustomError(hub, "NetworkNotEjected").withArgs(2);
      await expect(hub.ejectNetwork(2)).to.emit(hub, "Ejected").withArgs(2, deployer.address);
      expect([...(await hub.networks(2))]).to.deep.equal([seq2.address, STAKE, 0n, false, true]);
      await expect(hub.ejectNetwork(2)).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
      await expect(hub.ejectNetwork(4)).to.be.revertedWithCustomError(hub, "NetworkNotRegistered").withArgs(4);

      await expectNoChange(hub, async () => {
        const next = await signed(seq2, domain, { networkId: 2, height: 1n, certificateId: 23n, exitRoot: 24n });
        await expect(hub.settleBatch(batch([next]))).to.be.revertedWithCustomError(hub, "NetworkNotActive").withArgs(2);
        await expect(hub.addStake(2, { value: 1n })).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
        await expect(hub.setSequencer(2, alice.address)).to.be.revertedWithCustomError(hub, "NetworkEjected").withArgs(2);
        await expect(hub.registerNetwork(2, alice.address, 0)).to.be.revertedWithCustomError(hub, "NetworkAlreadyRegistered").withArgs(2);
        await expect(hub.connect(mallory).releaseStake(2, mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
        await expect(hub.releaseStake(2, ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
      });
      await hub.registerExitRoot(1, 0, 2, 0, 21n, 22n, []);
      expect([...(await hub.exitRootOf(await hub.exitRootEntryId(1, 0)))]).to.deep.equal([2n, 22n]);

      const tx = hub.releaseStake(2, alice.address);
      await expect(tx).to.emit(hub, "StakeReleased").withArgs(2, alice.address, STAKE);
      await expect(tx).to.changeEtherBalances([hub, alice], [-STAKE, STAKE]);
      expect((await hub.networks(2)).stake).to.equal(0n);
    });

    it("hands the admin role over in two steps (Ownable2Step)", async function () {
      const { hub, deployer, alice } = await loadFixture(bareFixture);
      await hub.transferOwnership(alice.address);
      expect(await hub.owner()).to.equal(deployer.address);
      await hub.connect(alice).acceptOwnership();
      expect(await hub.owner()).to.equal(alice.address);
    });
  });

  describe("settleBatch: the hub's hooks", function () {
    it("a signature by another key, for other header fields or another domain, or malformed, fails InvalidSequencerSignature and changes nothing", async function () {
      const { hub, seq1, seq2, mallory, domain } = await loadFixture(hubFixture);
      const cert: Fake = { networkId: 1, height: 0n, certificateId: 101n, exitRoot: 102n };
      const good = await signed(seq1, domain, cert);
      const other = await signed(seq2, domain, { networkId: 2, height: 0n, certificateId: 201n, exitRoot: 202n });
      const sig = Signature.from(good.signature);
      const highS = concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
      const wrong: [string, Slot][] = [
        ["another network's sequencer", await signed(seq2, domain, cert)],
        ["a non-sequencer", await signed(mallory, domain, cert)],
        ["another height", { ...good, cert: { ...cert, height: 1n } }],
        ["another certificate id", { ...good, cert: { ...cert, certificateId: 100n } }],
        ["another revision", { ...good, cert: { ...cert, revision: 1 } }],
        ["another network id", { ...other, cert: { ...other.cert, networkId: 1 } }],
        ["another chain id", await signed(seq1, { ...domain, chainId: 1n }, cert)],
        ["another verifying contract", await signed(seq1, { ...domain, verifyingContract: mallory.address }, cert)],
        ["empty", { ...good, signature: "0x" }],
        ["64 bytes", { ...good, signature: concat([sig.r, sig.yParityAndS]) }],
        ["66 bytes", { ...good, signature: concat([good.signature, "0x00"]) }],
        ["bad v", { ...good, signature: concat([sig.r, sig.s, "0x00"]) }],
        ["high s (malleated)", { ...good, signature: highS }],
      ];
      await expectNoChange(hub, async () => {
        for (const [name, s] of wrong) {
          expect(await hub.isSequencerSignature(s.cert.networkId, s.cert.height, s.cert.revision ?? 0, s.cert.certificateId, s.signature), name).to.equal(false);
          await expect(hub.settleBatch(batch([other, s])), name)
            .to.be.revertedWithCustomError(hub, "InvalidSequencerSignature")
            .withArgs(s.cert.networkId, s.cert.height);
        }
      });
      expect(await hub.isSequencerSignature(1, 0, 0, 101n, good.signature)).to.equal(true);
      expect(await hub.isSequencerSignature(3, 0, 0, 101n, good.signature)).to.equal(false);
      await expect(hub.settleBatch(batch([other, good]))).to.emit(hub, "BatchSettled");
    });

    it("refuses an unregistered network (NetworkNotActive) and a stated checkpoint the bound L1 bridge does not have (UnknownCheckpoint, CheckpointMismatch)", async function () {
      const { hub, bridge, seq1, mallory, domain } = await loadFixture(hubFixture);
      const [root0] = await bridge.checkpoint(0);
      await expectNoChange(hub, async () => {
        const unknown = await signed(mallory, domain, { networkId: 0, height: 0n, certificateId: 1n, exitRoot: 2n });
        await expect(hub.settleBatch(batch([unknown]))).to.be.revertedWithCustomError(hub, "NetworkNotActive").withArgs(0);
        const missing = await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 1n, exitRoot: 2n, checkpoint: { number: 1n, root: root0 } });
        await expect(hub.settleBatch(batch([missing]))).to.be.revertedWithCustomError(hub, "UnknownCheckpoint").withArgs(1);
        const other = await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 1n, exitRoot: 2n, checkpoint: { number: 0n, root: root0 + 1n } });
        await expect(hub.settleBatch(batch([other]))).to.be.revertedWithCustomError(hub, "CheckpointMismatch").withArgs(0, root0, root0 + 1n);
      });
      const ok = await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 1n, exitRoot: 2n, checkpoint: { number: 0n, root: root0 } });
      await expect(hub.settleBatch(batch([ok]))).to.emit(hub, "BatchCertificateFinalized").withArgs(1, 0, 1n, 2n, 1, 0);
    });

    it("settles a network with the opt-out policy bit like any other (the bit is the layer's convention, not the hub's); anyone may submit", async function () {
      const { hub, seq1, seq3, mallory, domain } = await loadFixture(hubFixture);
      const slots = [await signed(seq3, domain, { networkId: 3, height: 0n, certificateId: 31n, exitRoot: 32n }), await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 11n, exitRoot: 12n })];
      const tx = hub.connect(mallory).settleBatch(batch(slots));
      await expect(tx).to.emit(hub, "BatchCertificateFinalized").withArgs(3, 0, 31n, 32n, 1, 0);
      await expect(tx).to.emit(hub, "BatchCertificateFinalized").withArgs(1, 0, 11n, 12n, 1, 1);
      expect(await hub.tip(3)).to.equal(tipOf(stateAt(3, 1n), 1n));
    });

    it("the verifier decides: a batch it refuses reverts InvalidProof and changes nothing", async function () {
      const { hub, verifier, seq1, domain } = await loadFixture(hubFixture);
      const s = await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 11n, exitRoot: 12n });
      await verifier.setAccepts(false);
      await expectNoChange(hub, async () => {
        await expect(hub.settleBatch(batch([s]))).to.be.revertedWithCustomError(hub, "InvalidProof");
      });
    });
  });

  describe("withdrawals: the hub is the L1 bridge's exit-root oracle", function () {
    it("an exit of network 1 (model exit tree) is claimed on L1 against the entry registered from its batch leaf, also after network 1 was ejected", async function () {
      const { hub, bridge, seq1, seq2, alice, bob, domain } = await loadFixture(hubFixture);
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

      // One batch: network 1's certificate (its L1 import states checkpoint 1) and network 2's.
      const slots = [
        await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 0x1234n, exitRoot: tree1.root(), checkpoint: { number: 1n, root: l1Tree.root() } }),
        await signed(seq2, domain, { networkId: 2, height: 0n, certificateId: 0x5678n, exitRoot: 0x9abcn }),
      ];
      await hub.settleBatch(batch(slots));
      const leaves = slots.map((s) => leafOf(s.cert));
      const register = (i: number) => hub.registerExitRoot(1, i, slots[i].cert.networkId, 0, slots[i].cert.certificateId, slots[i].cert.exitRoot, batchProof(leaves, i));
      const [entry1, entry2] = [await hub.exitRootEntryId(1, 0), await hub.exitRootEntryId(1, 1)];

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

      // Before its registration the entry does not exist; against network 2's root: refused.
      await expect(bridge.claimAsset(...claim(0, entry1))).to.be.revertedWithCustomError(hub, "UnknownExitRootEntry").withArgs(entry1);
      await register(0);
      await register(1);
      await expect(bridge.claimAsset(...claim(0, entry2))).to.be.revertedWithCustomError(bridge, "InvalidMerkleProof");

      // ETH is unlocked to alice; network 1's gas coin is minted to bob as a wrapped token.
      const tx = bridge.claimAsset(...claim(0, entry1));
      await expect(tx).to.emit(bridge, "ExitClaimed").withArgs(1, 0, entry1, 0, 0, ZeroAddress, alice.address, (ETH * 4n) / 10n);
      await expect(tx).to.changeEtherBalances([bridge, alice], [-(ETH * 4n) / 10n, (ETH * 4n) / 10n]);
      // Network 1 is then ejected (it signs two ids for height 1): what it settled before stays claimable.
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
      await expect(hub.settleBatch(batch([await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 1n, exitRoot: 2n })])))
        .to.be.revertedWithCustomError(hub, "NetworkNotActive")
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

    it("a revision > 0 settles only with the layer's signed rejection of the revision before it, by the current layer key", async function () {
      const { hub, seq3, domain, deployer, mallory } = await loadFixture(hubFixture);
      const cert: Fake = { networkId: 3, height: 0n, revision: 1, certificateId: 31n, exitRoot: 32n };
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
          await expect(hub.settleBatch(batch([await signed(seq3, domain, cert, l)])), why).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(3, 0, 1);
        }
      });
      await expect(hub.settleBatch(batch([await signed(seq3, domain, cert, await licence(deployer, domain, 3, 0n, 0))]))).to.emit(hub, "BatchCertificateFinalized").withArgs(3, 0, 31n, 32n, 1, 0);
      // The layer key rotates (owner): the old key's licences stop counting.
      await expect(hub.setLayerSigner(mallory.address)).to.emit(hub, "LayerSignerChanged").withArgs(deployer.address, mallory.address);
      const next: Fake = { networkId: 3, height: 1n, revision: 1, certificateId: 41n, exitRoot: 42n };
      await expect(hub.settleBatch(batch([await signed(seq3, domain, next, await licence(deployer, domain, 3, 1n, 0))]))).to.be.revertedWithCustomError(hub, "UnlicensedRevision").withArgs(3, 1, 1);
      await expect(hub.settleBatch(batch([await signed(seq3, domain, next, await licence(mallory, domain, 3, 1n, 0))]))).to.emit(hub, "BatchSettled");
      await expect(hub.connect(mallory).setLayerSigner(mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      await expect(hub.setLayerSigner(ZeroAddress)).to.be.revertedWithCustomError(hub, "ZeroAddress");
    });
  });

  describe("ejection is not a dead end", function () {
    it("a governed readmission gives an ejected network a new sequencer from its tip; the old key is gone", async function () {
      const { hub, seq1, reporter, alice, mallory, domain } = await loadFixture(hubFixture);
      await hub.settleBatch(batch([await signed(seq1, domain, { networkId: 1, height: 0n, certificateId: 101n, exitRoot: 102n })]));
      const a = await signHeader(seq1, domain, { networkId: 1, height: 1n, certificateId: 0xaaan });
      const b = await signHeader(seq1, domain, { networkId: 1, height: 1n, certificateId: 0xbbbn });
      await hub.connect(reporter).reportEquivocation(1, 1, 0, 0xaaan, a, 0xbbbn, b);
      const tip = await hub.tip(1);
      expect(tip).to.equal(tipOf(stateAt(1, 1n), 1n));
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
      expect(await hub.tip(1)).to.equal(tip);
      // The old key's certificates no longer settle, nor count as evidence; the new key's do, from the tip.
      const next: Fake = { networkId: 1, height: 1n, certificateId: 111n, exitRoot: 112n };
      await expect(hub.settleBatch(batch([await signed(seq1, domain, next)]))).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 1);
      await expect(hub.connect(reporter).reportEquivocation(1, 1, 0, 0xaaan, a, 0xbbbn, b)).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 1);
      await expect(hub.settleBatch(batch([await signed(alice, domain, next)]))).to.emit(hub, "BatchCertificateFinalized").withArgs(1, 1, 111n, 112n, 2, 0);
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

    it("a made-up sequencer key (a settlement signed by anyone the owner names) cannot take effect before the delay, and is visible for all of it", async function () {
      const { hub, timelock, deployer, mallory, domain } = await governed();
      // The former admin key acts directly: refused.
      await expect(hub.setSequencer(1, mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount").withArgs(deployer.address);
      await expect(hub.setLayerSigner(mallory.address)).to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount");
      // Through the timelock: scheduled in public, with its calldata ...
      const data = hub.interface.encodeFunctionData("setSequencer", [1, mallory.address]);
      const salt = ZeroHash;
      await expect(timelock.schedule(hub, 0, data, ZeroHash, salt, DELAY)).to.emit(timelock, "CallScheduled");
      await expect(timelock.schedule(hub, 0, data, ZeroHash, keccak256("0x01"), DELAY - 1)).to.be.revertedWithCustomError(timelock, "TimelockInsufficientDelay");
      await expect(timelock.connect(mallory).schedule(hub, 0, data, ZeroHash, salt, DELAY)).to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount");
      // ... and not executable before the delay: the settlement it would enable is still refused.
      await time.increase(DELAY - 60);
      await expect(timelock.execute(hub, 0, data, ZeroHash, salt)).to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState");
      const forged = await signed(mallory, domain, { networkId: 1, height: 0n, certificateId: 1n, exitRoot: 2n });
      await expect(hub.settleBatch(batch([forged]))).to.be.revertedWithCustomError(hub, "InvalidSequencerSignature").withArgs(1, 0);
      // After the delay it executes (users had the whole delay to withdraw).
      await time.increase(120);
      await expect(timelock.execute(hub, 0, data, ZeroHash, salt)).to.emit(hub, "SequencerChanged");
      expect((await hub.networks(1)).sequencer).to.equal(mallory.address);
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
    it("verify against a hub deployed at the vectors' verifyingContract; the rebuild's licence is the layer signer's; the equivocation pair slashes", async function () {
      const vec = loadCertificateVectors();
      const chain = await newChain(vec.domain.chainId);
      const [deployer, reporter, verifierDeployer] = chain.signers;
      // The verifier comes from another account: the hub is the first transaction of account 0, the address the
      // vectors were signed for.
      const verifier = await new TestBatchVerifier__factory(verifierDeployer).deploy(M);
      const hub = await new SettlementHub__factory(deployer).deploy(deployer.address, vec.params.networkBits, vec.rebuild.licence.signer, hubBatchParameters(await verifier.getAddress(), P));
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

      // The honest rebuild: both headers verify for their own revisions, are no evidence, and the licence is the hub's layer signer's.
      const rb = vec.rebuild;
      expect(await hub.rejectionDigest(rb.networkId, rb.height, 0)).to.equal(rb.licence.digest);
      expect(recoverRejectionSigner(vec.domain, { networkId: rb.networkId, height: rb.height, revision: 0 }, rb.licence.signature)).to.equal(await hub.layerSigner());
      expect(await hub.isSequencerSignature(rb.networkId, rb.height, 0, rb.rejected.certificateId, rb.rejected.signature)).to.equal(true);
      expect(await hub.isSequencerSignature(rb.networkId, rb.height, 1, rb.rebuilt.certificateId, rb.rebuilt.signature)).to.equal(true);
      expect(await hub.headerDigest(rb.networkId, rb.height, 1, rb.rebuilt.certificateId)).to.equal(rb.rebuilt.digest);
      for (const rev of [0, 1]) {
        await expect(hub.connect(reporter).reportEquivocation(rb.networkId, rb.height, rev, rb.rejected.certificateId, rb.rejected.signature, rb.rebuilt.certificateId, rb.rebuilt.signature))
          .to.be.revertedWithCustomError(hub, "InvalidSequencerSignature");
      }

      const q = vec.equivocation;
      await expect(hub.connect(reporter).reportEquivocation(q.networkId, q.height, 0, q.a.certificateId, q.a.signature, q.b.certificateId, q.b.signature))
        .to.emit(hub, "EquivocationReported")
        .withArgs(q.networkId, q.height, 0, q.a.certificateId, q.b.certificateId, reporter.address, STAKE, STAKE / 10n);
      expect((await hub.networks(q.networkId)).ejected).to.equal(true);
    });
  });

  describe("gas", function () {
    it("measures reportEquivocation (the batched settlement's figures are docs/gas.md's)", async function () {
      const { hub, seq2, reporter, domain } = await loadFixture(hubFixture);
      const a = await signHeader(seq2, domain, { networkId: 2, height: 3n, certificateId: 1n });
      const b = await signHeader(seq2, domain, { networkId: 2, height: 3n, certificateId: 2n });
      const rc = await (await hub.connect(reporter).reportEquivocation(2, 3, 0, 1n, a, 2n, b)).wait();
      console.log(`      reportEquivocation: ${rc!.gasUsed}`);
    });
  });
});
