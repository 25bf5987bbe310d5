import { expect } from "chai";
import { AbiCoder, ContractTransactionResponse, ZeroAddress, toBeHex } from "ethers";
import { PRODUCTION_PARAMS, LeafType } from "../../lib";
import { MirroredExit } from "../../chain/exit-tree-mirror";
import { newNetwork, claimArgs, postRoot, TestNetwork, ROLES } from "../helpers/bridge";
import { deployExamples, deployVault, linkExamplePeers, Examples } from "../../deploy/examples";
import { TestToken__factory, FeeOnTransferToken__factory, WrappedToken__factory, CrossChainCounter__factory } from "../../typechain-types";
import type { TestToken, Vault } from "../../typechain-types";

const DEPTH = PRODUCTION_PARAMS.exitDepth;
const coder = AbiCoder.defaultAbiCoder();
const TT = 10n ** 18n;

describe("Example dApps: cross-chain counter and bridge-and-deposit (two in-process chains, real bridges, depth 32)", function () {
  let a: TestNetwork, b: TestNetwork; // networks 1 and 2
  let exA: Examples, exB: Examples;
  let token: TestToken; // native on A
  let wTT: string; // its wrapped token on B (same address on every network but A)
  let vaultB: Vault;
  const gas: Record<string, bigint> = {};
  const heights = new Map<string, bigint>();

  const signer = (net: TestNetwork, role: keyof typeof ROLES) => net.chain.signers[ROLES[role]];
  const addr = (net: TestNetwork, role: keyof typeof ROLES) => signer(net, role).address;

  /** Sends a transaction, feeds the source network's mirror with its exits, returns them and the gas used. */
  async function send(net: TestNetwork, tx: Promise<ContractTransactionResponse>): Promise<{ exits: MirroredExit[]; gasUsed: bigint }> {
    const receipt = await (await tx).wait();
    if (!receipt) throw new Error("no receipt");
    return { exits: net.mirror.ingest(net.bridge.interface, receipt.logs), gasUsed: receipt.gasUsed };
  }

  async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
    const receipt = await (await tx).wait();
    if (!receipt) throw new Error("no receipt");
    return receipt.gasUsed;
  }

  /** Posts `source`'s current mirrored exit root (what its next certificate commits) into `target`'s oracle. */
  async function relay(source: TestNetwork, target: TestNetwork): Promise<bigint> {
    const k = `${source.networkId}->${target.networkId}`;
    const h = heights.get(k) ?? 0n;
    heights.set(k, h + 1n);
    expect(await source.bridge.getExitRoot()).to.equal(source.mirror.root());
    return postRoot(target, source.networkId, h, h + 1000n, source.mirror.root());
  }

  function claim(source: TestNetwork, target: TestNetwork, e: MirroredExit, entry: bigint, role: keyof typeof ROLES = "carol") {
    const { proof, exit } = claimArgs(source, e, entry);
    const bridge = target.bridge.connect(signer(target, role)); // a relayer pays the gas
    return e.leaf.leafType === LeafType.Asset ? bridge.claimAsset(proof, exit) : bridge.claimMessage(proof, exit);
  }

  const isClaimed = async (target: TestNetwork, sourceNetwork: number, leafIndex: number) =>
    target.bridge.isClaimed(await target.bridge.claimKey(sourceNetwork, leafIndex));

  async function wrappedSupplyOnB(): Promise<bigint> {
    return (await b.chain.provider.getCode(wTT)) === "0x" ? 0n : WrappedToken__factory.connect(wTT, b.chain.provider).totalSupply();
  }

  /** TT locked in A's bridge == wrapped TT on B + exited from A, not yet claimed on B + burnt on B, not yet claimed on A. */
  async function expectConserved(inFlightAtoB: bigint, inFlightBtoA = 0n) {
    const locked = await token.balanceOf(await a.bridge.getAddress());
    expect(locked, "TT conservation").to.equal((await wrappedSupplyOnB()) + inFlightAtoB + inFlightBtoA);
  }

  before(async function () {
    a = await newNetwork(1, 9201, DEPTH);
    b = await newNetwork(2, 9202, DEPTH);
    // Burn one nonce on B so that the examples land at different addresses than on A: the peer checks must not
    // depend on equal addresses.
    await (await b.deployer.sendTransaction({ to: b.deployer.address, value: 0 })).wait();
    exA = await deployExamples(a.deployer, await a.bridge.getAddress());
    exB = await deployExamples(b.deployer, await b.bridge.getAddress());
    await linkExamplePeers([exA, exB]);
    token = await new TestToken__factory(signer(a, "alice")).deploy("Test Token", "TT", 18);
    await (await token.mint(addr(a, "alice"), 1000n * TT)).wait();
    [wTT] = await exA.bridgeAndCall.tokenOn(2, await token.getAddress());
    vaultB = await deployVault(b.deployer, wTT, "Vault of wrapped TT", "vwTT");
  });

  after(function () {
    console.log("      gas used (depth-32 exit trees):");
    for (const [k, v] of Object.entries(gas)) console.log(`        ${k.padEnd(62)} ${v.toString().padStart(8)}`);
  });

  it("deploys the examples at different addresses on A and B and links them as peers", async function () {
    expect(await exB.counter.getAddress()).to.not.equal(await exA.counter.getAddress());
    expect(exA.networkId).to.equal(1);
    expect(exB.networkId).to.equal(2);
    expect(await exA.counter.peer(2)).to.equal(await exB.counter.getAddress());
    expect(await exB.counter.peer(1)).to.equal(await exA.counter.getAddress());
    expect(await exA.bridgeAndCall.peer(2)).to.equal(await exB.bridgeAndCall.getAddress());
    expect(await exB.bridgeAndCall.peer(1)).to.equal(await exA.bridgeAndCall.getAddress());
    expect(wTT).to.equal(await b.bridge.wrappedTokenAddress(1, await token.getAddress()));
    expect(await vaultB.asset()).to.equal(wTT);
    // Only the owner sets peers, never for its own network.
    await expect(exB.counter.connect(signer(b, "mallory")).setPeer(1, addr(b, "mallory")))
      .to.be.revertedWithCustomError(exB.counter, "OwnableUnauthorizedAccount")
      .withArgs(addr(b, "mallory"));
    await expect(exB.counter.setPeer(2, addr(b, "mallory"))).to.be.revertedWithCustomError(exB.counter, "PeerOnOwnNetwork").withArgs(2);
  });

  describe("CrossChainCounter", function () {
    let pings: MirroredExit[];
    let entry: bigint;

    it("a ping from A is claimed on B and increments alice's counter there", async function () {
      const counterB = await exB.counter.getAddress();
      const first = await send(a, exA.counter.connect(signer(a, "alice")).ping(2, counterB, 42));
      const second = await send(a, exA.counter.connect(signer(a, "alice")).ping(2, counterB, 43));
      gas["ping (A)"] = second.gasUsed;
      pings = [...first.exits, ...second.exits];
      expect(pings).to.have.length(2);
      const m = pings[0];
      expect(m.leaf.leafType).to.equal(LeafType.Message);
      expect(toBeHex(m.leaf.originAddress, 20)).to.equal((await exA.counter.getAddress()).toLowerCase());
      expect(toBeHex(m.leaf.destinationAddress, 20)).to.equal(counterB.toLowerCase());
      expect(m.metadata).to.equal(coder.encode(["address", "uint256"], [addr(a, "alice"), 42]));

      entry = await relay(a, b);
      const tx = claim(a, b, pings[0], entry);
      await expect(tx).to.emit(exB.counter, "Pinged").withArgs(1, addr(a, "alice"), 42, 1);
      gas["claimMessage of a ping (B, first ping of the sender)"] = (await (await tx).wait())!.gasUsed;
      expect(await exB.counter.counts(1, addr(a, "alice"))).to.equal(1n);
      expect(await exB.counter.lastValue(1, addr(a, "alice"))).to.equal(42n);

      gas["claimMessage of a ping (B, counter already non-zero)"] = await gasOf(claim(a, b, pings[1], entry));
      expect(await exB.counter.counts(1, addr(a, "alice"))).to.equal(2n);
      expect(await exB.counter.lastValue(1, addr(a, "alice"))).to.equal(43n);
      expect(await exB.counter.counts(2, addr(a, "alice"))).to.equal(0n);
    });

    it("a replayed claim fails AlreadyClaimed", async function () {
      await expect(claim(a, b, pings[0], entry))
        .to.be.revertedWithCustomError(b.bridge, "AlreadyClaimed")
        .withArgs(1, pings[0].leafIndex);
      expect(await exB.counter.counts(1, addr(a, "alice"))).to.equal(2n);
    });

    it("a direct call of onMessageReceived by anyone but the bridge fails NotBridge", async function () {
      const data = coder.encode(["address", "uint256"], [addr(b, "mallory"), 7]);
      await expect(exB.counter.connect(signer(b, "mallory")).onMessageReceived(await exA.counter.getAddress(), 1, data))
        .to.be.revertedWithCustomError(exB.counter, "NotBridge")
        .withArgs(addr(b, "mallory"));
      expect(await exB.counter.counts(1, addr(b, "mallory"))).to.equal(0n);
    });

    it("a message from a non-peer (an account, or another counter on A) fails UnknownPeer and stays unclaimed", async function () {
      const counterB = await exB.counter.getAddress();
      const mallory = signer(a, "mallory");
      const { exits: direct } = await send(a, a.bridge.connect(mallory).bridgeMessage(2, counterB, coder.encode(["address", "uint256"], [mallory.address, 666])));
      const rogue = await new CrossChainCounter__factory(mallory).deploy(await a.bridge.getAddress(), mallory.address);
      const { exits: viaRogue } = await send(a, rogue.connect(mallory).ping(2, counterB, 667));
      const e = await relay(a, b);
      await expect(claim(a, b, direct[0], e)).to.be.revertedWithCustomError(exB.counter, "UnknownPeer").withArgs(1, mallory.address);
      await expect(claim(a, b, viaRogue[0], e)).to.be.revertedWithCustomError(exB.counter, "UnknownPeer").withArgs(1, await rogue.getAddress());
      expect(await isClaimed(b, 1, direct[0].leafIndex)).to.equal(false);
      expect(await isClaimed(b, 1, viaRogue[0].leafIndex)).to.equal(false);
      expect(await exB.counter.counts(1, mallory.address)).to.equal(0n);
    });

    it("a ping to this network itself is refused by the bridge", async function () {
      await expect(exA.counter.ping(1, await exA.counter.getAddress(), 1)).to.be.revertedWithCustomError(a.bridge, "DestinationIsThisNetwork").withArgs(1);
    });
  });

  describe("BridgeAndCall + Vault", function () {
    const AMOUNT = 100n * TT;
    let asset: MirroredExit, message: MirroredExit;
    let entry: bigint;

    it("alice bridges-and-deposits in one transaction: an asset exit and a message exit to BridgeAndCall on B", async function () {
      const alice = signer(a, "alice");
      const bacA = await exA.bridgeAndCall.getAddress();
      const bacB = await exB.bridgeAndCall.getAddress();
      await (await token.connect(alice).approve(bacA, AMOUNT)).wait();
      const before = await token.balanceOf(alice.address);
      const tx = exA.bridgeAndCall.connect(alice).bridgeAndDeposit(await token.getAddress(), AMOUNT, 2, await vaultB.getAddress(), addr(a, "bob"));
      const r = await send(a, tx);
      gas["bridgeAndDeposit (A, native ERC20)"] = r.gasUsed;
      [asset, message] = r.exits;
      expect(r.exits).to.have.length(2);
      await expect(tx)
        .to.emit(exA.bridgeAndCall, "BridgedAndCalled")
        .withArgs(2, alice.address, addr(a, "bob"), await token.getAddress(), wTT, AMOUNT, await vaultB.getAddress(), asset.leafIndex, message.leafIndex);
      expect(asset.leaf.leafType).to.equal(LeafType.Asset);
      expect(toBeHex(asset.leaf.destinationAddress, 20)).to.equal(bacB.toLowerCase());
      expect(asset.leaf.amount).to.equal(AMOUNT);
      expect(message.leaf.leafType).to.equal(LeafType.Message);
      expect(toBeHex(message.leaf.originAddress, 20)).to.equal(bacA.toLowerCase());
      expect(toBeHex(message.leaf.destinationAddress, 20)).to.equal(bacB.toLowerCase());
      expect(message.metadata).to.equal(
        coder.encode(["address", "uint256", "address", "address", "uint32"], [wTT, AMOUNT, await vaultB.getAddress(), addr(a, "bob"), asset.leafIndex]),
      );
      expect(await token.balanceOf(alice.address)).to.equal(before - AMOUNT);
      expect(await token.balanceOf(bacA)).to.equal(0n);
      expect(await token.allowance(bacA, await a.bridge.getAddress())).to.equal(0n);
      await expectConserved(AMOUNT);
    });

    it("claiming the message before the asset reverts AssetNotClaimed and leaves the message claimable", async function () {
      entry = await relay(a, b);
      await expect(claim(a, b, message, entry))
        .to.be.revertedWithCustomError(exB.bridgeAndCall, "AssetNotClaimed")
        .withArgs(1, asset.leafIndex);
      expect(await isClaimed(b, 1, message.leafIndex)).to.equal(false);
    });

    it("asset claim then message claim: bob holds vault shares worth the amount, BridgeAndCall on B holds nothing", async function () {
      const bacB = await exB.bridgeAndCall.getAddress();
      gas["claimAsset (B, first claim: deploys the wrapped token)"] = await gasOf(claim(a, b, asset, entry));
      const w = WrappedToken__factory.connect(wTT, b.chain.provider);
      expect(await w.balanceOf(bacB)).to.equal(AMOUNT);
      await expectConserved(0n);

      const tx = claim(a, b, message, entry);
      await expect(tx)
        .to.emit(exB.bridgeAndCall, "Deposited")
        .withArgs(1, asset.leafIndex, addr(b, "bob"), await vaultB.getAddress(), wTT, AMOUNT, AMOUNT);
      gas["claimMessage of bridgeAndDeposit (B, first vault deposit)"] = (await (await tx).wait())!.gasUsed;
      const shares = await vaultB.balanceOf(addr(b, "bob"));
      expect(shares).to.equal(AMOUNT);
      expect(await vaultB.convertToAssets(shares)).to.equal(AMOUNT);
      expect(await vaultB.previewRedeem(shares)).to.equal(AMOUNT);
      expect(await vaultB.totalAssets()).to.equal(AMOUNT);
      expect(await vaultB.decimals()).to.equal(18n);
      expect(await w.balanceOf(bacB)).to.equal(0n);
      expect(await w.allowance(bacB, await vaultB.getAddress())).to.equal(0n);
      expect(await exB.bridgeAndCall.consumed(await b.bridge.claimKey(1, asset.leafIndex))).to.equal(true);
      await expectConserved(0n);
    });

    it("the message cannot be replayed (AlreadyClaimed), nor called directly (NotBridge)", async function () {
      await expect(claim(a, b, message, entry)).to.be.revertedWithCustomError(b.bridge, "AlreadyClaimed").withArgs(1, message.leafIndex);
      await expect(exB.bridgeAndCall.connect(signer(b, "mallory")).onMessageReceived(await exA.bridgeAndCall.getAddress(), 1, message.metadata))
        .to.be.revertedWithCustomError(exB.bridgeAndCall, "NotBridge")
        .withArgs(addr(b, "mallory"));
    });

    it("a message never spends tokens of another: with deposit 1's asset claimed, deposit 2's message waits for its own asset", async function () {
      const alice = signer(a, "alice");
      const vault = await vaultB.getAddress();
      const X = 30n * TT;
      const Y = 20n * TT;
      await (await token.connect(alice).approve(await exA.bridgeAndCall.getAddress(), X + Y)).wait();
      const d1 = await send(a, exA.bridgeAndCall.connect(alice).bridgeAndDeposit(await token.getAddress(), X, 2, vault, addr(a, "bob")));
      const d2 = await send(a, exA.bridgeAndCall.connect(alice).bridgeAndDeposit(await token.getAddress(), Y, 2, vault, addr(a, "carol")));
      gas["bridgeAndDeposit (A, native ERC20, again)"] = d2.gasUsed;
      await expectConserved(X + Y);
      const e = await relay(a, b);
      gas["claimAsset (B, wrapped token exists)"] = await gasOf(claim(a, b, d1.exits[0], e));
      // BridgeAndCall on B holds X >= Y, but those are deposit 1's tokens.
      const w = WrappedToken__factory.connect(wTT, b.chain.provider);
      expect(await w.balanceOf(await exB.bridgeAndCall.getAddress())).to.equal(X);
      await expect(claim(a, b, d2.exits[1], e))
        .to.be.revertedWithCustomError(exB.bridgeAndCall, "AssetNotClaimed")
        .withArgs(1, d2.exits[0].leafIndex);
      gas["claimMessage of bridgeAndDeposit (B, vault non-empty)"] = await gasOf(claim(a, b, d1.exits[1], e));
      await gasOf(claim(a, b, d2.exits[0], e));
      await gasOf(claim(a, b, d2.exits[1], e));
      expect(await vaultB.balanceOf(addr(b, "bob"))).to.equal(AMOUNT + X);
      expect(await vaultB.balanceOf(addr(b, "carol"))).to.equal(Y);
      expect(await w.balanceOf(await exB.bridgeAndCall.getAddress())).to.equal(0n);
      await expectConserved(0n);
    });

    it("a bridge-and-deposit message from a non-peer fails UnknownPeer", async function () {
      const mallory = signer(a, "mallory");
      const data = coder.encode(["address", "uint256", "address", "address", "uint32"], [wTT, 1n, await vaultB.getAddress(), mallory.address, asset.leafIndex]);
      const { exits } = await send(a, a.bridge.connect(mallory).bridgeMessage(2, await exB.bridgeAndCall.getAddress(), data));
      const e = await relay(a, b);
      await expect(claim(a, b, exits[0], e)).to.be.revertedWithCustomError(exB.bridgeAndCall, "UnknownPeer").withArgs(1, mallory.address);
      expect(await isClaimed(b, 1, exits[0].leafIndex)).to.equal(false);
    });

    it("when the target is not a vault, the tokens go to the receiver instead (DepositFailed)", async function () {
      const alice = signer(a, "alice");
      const notAVault = await exB.counter.getAddress(); // a contract without deposit()
      const Z = 50n * TT;
      await (await token.connect(alice).approve(await exA.bridgeAndCall.getAddress(), Z)).wait();
      const d = await send(a, exA.bridgeAndCall.connect(alice).bridgeAndDeposit(await token.getAddress(), Z, 2, notAVault, addr(a, "carol")));
      const e = await relay(a, b);
      await (await claim(a, b, d.exits[0], e)).wait();
      await expect(claim(a, b, d.exits[1], e))
        .to.emit(exB.bridgeAndCall, "DepositFailed")
        .withArgs(1, d.exits[0].leafIndex, addr(b, "carol"), notAVault, wTT, Z, "0x");
      const w = WrappedToken__factory.connect(wTT, b.chain.provider);
      expect(await w.balanceOf(addr(b, "carol"))).to.equal(Z);
      expect(await w.balanceOf(await exB.bridgeAndCall.getAddress())).to.equal(0n);
      expect(await w.allowance(await exB.bridgeAndCall.getAddress(), notAVault)).to.equal(0n);
      await expectConserved(0n);
    });

    it("back to the origin: carol bridges-and-deposits wrapped TT from B into a vault of TT on A (unlocked, not wrapped)", async function () {
      const carol = signer(b, "carol");
      const Z = 50n * TT;
      const vaultA = await deployVault(a.deployer, await token.getAddress(), "Vault of TT", "vTT");
      const [onA, isWrapped] = await exB.bridgeAndCall.tokenOn(1, wTT);
      expect(onA).to.equal(await token.getAddress());
      expect(isWrapped).to.equal(true);
      const w = WrappedToken__factory.connect(wTT, carol);
      // The bridge burns the wrapped token from BridgeAndCall: carol approves BridgeAndCall only.
      await (await w.approve(await exB.bridgeAndCall.getAddress(), Z)).wait();
      const d = await send(b, exB.bridgeAndCall.connect(carol).bridgeAndDeposit(wTT, Z, 1, await vaultA.getAddress(), carol.address));
      gas["bridgeAndDeposit (B, wrapped token going home)"] = d.gasUsed;
      expect(await w.balanceOf(carol.address)).to.equal(0n);
      await expectConserved(0n, Z);
      const e = await relay(b, a);
      gas["claimAsset (A, native token unlocked)"] = await gasOf(claim(b, a, d.exits[0], e));
      await expectConserved(0n, 0n);
      gas["claimMessage of bridgeAndDeposit (A, first vault deposit)"] = await gasOf(claim(b, a, d.exits[1], e));
      expect(await vaultA.balanceOf(carol.address)).to.equal(Z);
      expect(await vaultA.convertToAssets(Z)).to.equal(Z);
      expect(await token.balanceOf(await exA.bridgeAndCall.getAddress())).to.equal(0n);
      expect(await token.balanceOf(await vaultA.getAddress())).to.equal(Z);
    });

    it("a fee-on-transfer token: what the bridge actually locked is what is deposited", async function () {
      const alice = signer(a, "alice");
      const fee = await new FeeOnTransferToken__factory(alice).deploy();
      await (await fee.mint(alice.address, 100n * TT)).wait();
      const [wFee] = await exA.bridgeAndCall.tokenOn(2, await fee.getAddress());
      const vaultFee = await deployVault(b.deployer, wFee);
      await (await fee.approve(await exA.bridgeAndCall.getAddress(), 100n * TT)).wait();
      const d = await send(a, exA.bridgeAndCall.connect(alice).bridgeAndDeposit(await fee.getAddress(), 100n * TT, 2, await vaultFee.getAddress(), addr(a, "bob")));
      const bridged = (100n * TT * 99n) / 100n - (100n * TT * 99n) / 100n / 100n; // 1% to BridgeAndCall, 1% to the bridge
      expect(await fee.balanceOf(await a.bridge.getAddress())).to.equal(bridged);
      expect(d.exits[0].leaf.amount).to.equal(bridged);
      expect(await fee.balanceOf(await exA.bridgeAndCall.getAddress())).to.equal(0n);
      const e = await relay(a, b);
      await (await claim(a, b, d.exits[0], e)).wait();
      await (await claim(a, b, d.exits[1], e)).wait();
      expect(await vaultFee.balanceOf(addr(b, "bob"))).to.equal(bridged);
      expect(await vaultFee.totalAssets()).to.equal(bridged);
    });

    it("bob withdraws from the vault on B: shares are worth what was deposited", async function () {
      const bob = signer(b, "bob");
      const shares = await vaultB.balanceOf(bob.address);
      await (await vaultB.connect(bob).redeem(shares, bob.address, bob.address)).wait();
      expect(await WrappedToken__factory.connect(wTT, b.chain.provider).balanceOf(bob.address)).to.equal(AMOUNT + 30n * TT);
      expect(await vaultB.balanceOf(bob.address)).to.equal(0n);
    });

    it("refuses: no peer on the destination, zero amount, zero vault or receiver, a gas coin", async function () {
      const bac = exA.bridgeAndCall.connect(signer(a, "alice"));
      const t = await token.getAddress();
      const v = await vaultB.getAddress();
      const bob = addr(a, "bob");
      await expect(bac.bridgeAndDeposit(t, TT, 3, v, bob)).to.be.revertedWithCustomError(bac, "NoPeer").withArgs(3);
      await expect(bac.bridgeAndDeposit(t, 0, 2, v, bob)).to.be.revertedWithCustomError(bac, "ZeroAmount");
      await expect(bac.bridgeAndDeposit(t, TT, 2, ZeroAddress, bob)).to.be.revertedWithCustomError(bac, "ZeroAddress");
      await expect(bac.bridgeAndDeposit(t, TT, 2, v, ZeroAddress)).to.be.revertedWithCustomError(bac, "ZeroAddress");
      await expect(bac.bridgeAndDeposit(ZeroAddress, TT, 2, v, bob)).to.be.revertedWithCustomError(bac, "GasCoinNotSupported");
    });

    it("conservation across chains, and nothing left in either BridgeAndCall", async function () {
      await expectConserved(0n, 0n);
      // 1000 minted to alice on A; sent 200 to B; 50 came back (into vaultA).
      expect(await token.balanceOf(await a.bridge.getAddress())).to.equal(150n * TT);
      expect(await wrappedSupplyOnB()).to.equal(150n * TT);
      const w = WrappedToken__factory.connect(wTT, b.chain.provider);
      expect(await w.balanceOf(await vaultB.getAddress())).to.equal(20n * TT); // carol's deposit 2
      expect(await w.balanceOf(addr(b, "bob"))).to.equal(130n * TT);
      expect(await token.balanceOf(await exA.bridgeAndCall.getAddress())).to.equal(0n);
      expect(await w.balanceOf(await exB.bridgeAndCall.getAddress())).to.equal(0n);
    });
  });
});
