import { expect } from "chai";
import { ZeroAddress, parseEther, AbiCoder } from "ethers";
import { ExitTree, LeafType, hashExitLeaf, fieldKeccak, TEST_PARAMS } from "../../lib";
import { MirroredExit } from "../../chain/exit-tree-mirror";
import { newNetwork, exitVia, claimArgs, postRoot, TestNetwork, ROLES } from "../helpers/bridge";
import { TestToken__factory, FeeOnTransferToken__factory, WrappedToken__factory, MessageRecorder__factory, ReentrantReceiver__factory } from "../../typechain-types";
import type { TestToken, UnifiedBridge } from "../../typechain-types";

const DEPTH = TEST_PARAMS.exitDepth;

describe("UnifiedBridge: attacks fail with their custom error and change nothing", function () {
  let l1: TestNetwork, n1: TestNetwork;
  let token: TestToken;
  let deposit: MirroredExit; // 100 TT from alice (L1) to bob on chain 1
  let entry: bigint; // chain 1's oracle entry holding L1's checkpoint root
  const signer = (net: TestNetwork, role: keyof typeof ROLES) => net.chain.signers[ROLES[role]];
  const addr = (net: TestNetwork, role: keyof typeof ROLES) => signer(net, role).address;

  /** Everything a failed claim on chain 1 could have touched. */
  async function chain1State() {
    const w = await n1.bridge.wrappedTokenAddress(0, await token.getAddress());
    const code = await n1.chain.provider.getCode(w);
    return {
      claimed: await n1.bridge.isClaimed(await n1.bridge.claimKey(0, deposit.leafIndex)),
      wrappedDeployed: code !== "0x",
      bobBalance: code === "0x" ? 0n : await WrappedToken__factory.connect(w, n1.chain.provider).balanceOf(addr(n1, "bob")),
      exitCount: await n1.bridge.exitCount(),
      entries: await n1.oracle.entryCount(),
    };
  }

  async function expectNoChange(attempt: () => Promise<unknown>) {
    const before = await chain1State();
    await attempt();
    expect(await chain1State()).to.deep.equal(before);
  }

  before(async function () {
    l1 = await newNetwork(0, 9100, DEPTH);
    n1 = await newNetwork(1, 9101, DEPTH);
    token = await new TestToken__factory(signer(l1, "alice")).deploy("Test Token", "TT", 6);
    await token.mint(addr(l1, "alice"), 1_000_000n);
    await token.connect(signer(l1, "alice")).approve(await l1.bridge.getAddress(), 1_000_000n);
    [deposit] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(1, addr(l1, "bob"), 100n, await token.getAddress()));
    await l1.bridge.checkpointExitRoot();
    entry = await postRoot(n1, 0, 0n, 0n, l1.mirror.root());
  });

  it("a tampered proof, amount, recipient or metadata fails InvalidMerkleProof", async function () {
    const { proof, exit } = claimArgs(l1, deposit, entry);
    const siblings = [...(proof.siblings as bigint[])];
    siblings[0] = siblings[0] + 1n;
    const cases: [string, UnifiedBridge.ClaimProofStruct, UnifiedBridge.ExitStruct][] = [
      ["sibling", { ...proof, siblings }, exit],
      ["leaf index", { ...proof, leafIndex: 1 }, exit],
      ["amount", proof, { ...exit, amount: 101n }],
      ["recipient", proof, { ...exit, destinationAddress: addr(n1, "mallory") }],
      ["origin token", proof, { ...exit, originAddress: addr(n1, "mallory") }],
      ["metadata", proof, { ...exit, metadata: "0x00" }],
    ];
    for (const [what, p, e] of cases) {
      await expectNoChange(() => expect(n1.bridge.claimAsset(p, e), what).to.be.revertedWithCustomError(n1.bridge, "InvalidMerkleProof"));
    }
  });

  it("a claim for another destination fails WrongDestination; one posing as this destination fails InvalidMerkleProof", async function () {
    const [toTwo] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(2, addr(l1, "bob"), 5n, await token.getAddress()));
    await l1.bridge.checkpointExitRoot();
    const e2 = await postRoot(n1, 0, 1n, 0n, l1.mirror.root());
    const { proof, exit } = claimArgs(l1, toTwo, e2);
    await expectNoChange(() => expect(n1.bridge.claimAsset(proof, exit)).to.be.revertedWithCustomError(n1.bridge, "WrongDestination").withArgs(2));
    await expectNoChange(() => expect(n1.bridge.claimAsset(proof, { ...exit, destinationNetwork: 1 })).to.be.revertedWithCustomError(n1.bridge, "InvalidMerkleProof"));
  });

  it("a claim against a root the oracle never received fails", async function () {
    const { proof, exit } = claimArgs(l1, deposit, entry);
    // No such entry at all.
    await expectNoChange(() => expect(n1.bridge.claimAsset({ ...proof, oracleEntry: 999n }, exit)).to.be.revertedWithCustomError(n1.oracle, "UnknownExitRootEntry").withArgs(999n));
    // A forged tree whose root was never posted: its (valid) proof does not match any posted entry's root.
    const forged = new ExitTree(DEPTH);
    const fakeLeaf = { ...deposit.leaf, amount: 1_000_000n };
    forged.append(hashExitLeaf(fakeLeaf));
    const p = forged.proof(0);
    await expectNoChange(() =>
      expect(n1.bridge.claimAsset({ oracleEntry: entry, leafIndex: 0, siblings: p.siblings }, { ...exit, amount: 1_000_000n })).to.be.revertedWithCustomError(n1.bridge, "InvalidMerkleProof"),
    );
  });

  it("only the sequencer posts roots: a post by anyone else fails AccessControlUnauthorizedAccount", async function () {
    const before = await n1.oracle.entryCount();
    await expect(n1.oracle.connect(signer(n1, "mallory")).postExitRoot(0, 9n, 0n, 123n))
      .to.be.revertedWithCustomError(n1.oracle, "AccessControlUnauthorizedAccount")
      .withArgs(addr(n1, "mallory"), await n1.oracle.POSTER_ROLE());
    await expect(n1.oracle.connect(n1.sequencer).postExitRoot(1, 0n, 0n, 1n)).to.be.revertedWithCustomError(n1.oracle, "OwnNetworkRoot");
    await expect(n1.oracle.connect(n1.sequencer).postExitRoot(0, 0n, 0n, 2n ** 254n)).to.be.revertedWithCustomError(n1.oracle, "NotFieldElement");
    expect(await n1.oracle.entryCount()).to.equal(before);
  });

  it("the first claim succeeds; a second claim of the same exit fails AlreadyClaimed", async function () {
    // The L1 tree has grown since `entry`: prove against a checkpoint of its current root.
    await l1.bridge.checkpointExitRoot();
    const latest = await postRoot(n1, 0, 5n, 0n, l1.mirror.root());
    const { proof, exit } = claimArgs(l1, deposit, latest);
    await expect(n1.bridge.claimAsset(proof, exit)).to.emit(n1.bridge, "ExitClaimed").withArgs(0, deposit.leafIndex, latest, LeafType.Asset, 0, await token.getAddress(), addr(n1, "bob"), 100n);
    const state = await chain1State();
    expect(state.claimed).to.equal(true);
    expect(state.bobBalance).to.equal(100n);
    // Again through the same root, and through yet another entry holding the same root.
    await expectNoChange(() => expect(n1.bridge.claimAsset(proof, exit)).to.be.revertedWithCustomError(n1.bridge, "AlreadyClaimed").withArgs(0, deposit.leafIndex));
    const again = await postRoot(n1, 0, 6n, 0n, l1.mirror.root());
    const before = await chain1State();
    await expect(n1.bridge.claimAsset({ ...proof, oracleEntry: again }, exit)).to.be.revertedWithCustomError(n1.bridge, "AlreadyClaimed");
    expect(await chain1State()).to.deep.equal(before);
  });

  it("wrapped tokens are minted and burnt by the bridge only", async function () {
    const w = WrappedToken__factory.connect(await n1.bridge.wrappedTokenAddress(0, await token.getAddress()), signer(n1, "mallory"));
    const supply = await w.totalSupply();
    await expect(w.mint(addr(n1, "mallory"), 1n)).to.be.revertedWithCustomError(w, "OnlyBridge").withArgs(addr(n1, "mallory"));
    await expect(w.burn(addr(n1, "bob"), 1n)).to.be.revertedWithCustomError(w, "OnlyBridge");
    expect(await w.totalSupply()).to.equal(supply);
  });

  it("a message target that re-enters the bridge makes the claim revert; nothing is claimed", async function () {
    const attacker = await new ReentrantReceiver__factory(signer(n1, "mallory")).deploy(await n1.bridge.getAddress());
    const [msg] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeMessage(1, await attacker.getAddress(), "0x1234"));
    await l1.bridge.checkpointExitRoot();
    const e = await postRoot(n1, 0, 2n, 0n, l1.mirror.root());
    const { proof, exit } = claimArgs(l1, msg, e);
    const exitsBefore = await n1.bridge.exitCount();
    await expect(n1.bridge.claimMessage(proof, exit)).to.be.revertedWithCustomError(n1.bridge, "ReentrancyGuardReentrantCall");
    expect(await n1.bridge.isClaimed(await n1.bridge.claimKey(0, msg.leafIndex))).to.equal(false);
    expect(await n1.bridge.exitCount()).to.equal(exitsBefore);
    // The same message to a well-behaved target is delivered, with its value minted as wrapped ETH.
    const recorder = await new MessageRecorder__factory(signer(n1, "bob")).deploy();
    const [ok] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeMessage(1, await recorder.getAddress(), "0xabcdef", { value: 7n }));
    await l1.bridge.checkpointExitRoot();
    const e2 = await postRoot(n1, 0, 3n, 0n, l1.mirror.root());
    const c = claimArgs(l1, ok, e2);
    await expect(n1.bridge.claimMessage(c.proof, c.exit)).to.emit(recorder.attach(await recorder.getAddress()), "MessageReceived").withArgs(addr(l1, "alice"), 0, "0xabcdef");
    const wEth = WrappedToken__factory.connect(await n1.bridge.wrappedTokenAddress(0, ZeroAddress), n1.chain.provider);
    expect(await wEth.balanceOf(await recorder.getAddress())).to.equal(7n);
    // An asset leaf cannot be claimed as a message, nor a message as an asset.
    await expect(n1.bridge.claimAsset(c.proof, c.exit)).to.be.revertedWithCustomError(n1.bridge, "InvalidMerkleProof");
  });

  it("a message whose origin is not its source network is refused (MessageOriginMismatch)", async function () {
    // A compromised chain 2 forges a message claiming to come from L1; its root gets posted on chain 1.
    const recorder = await new MessageRecorder__factory(signer(n1, "bob")).deploy();
    const forged = new ExitTree(DEPTH);
    const leaf = { leafType: LeafType.Message, originNetwork: 0, originAddress: BigInt(addr(n1, "alice")), destinationNetwork: 1, destinationAddress: BigInt(await recorder.getAddress()), amount: 0n, metadataHash: fieldKeccak("0x") };
    forged.append(hashExitLeaf(leaf));
    const e = await postRoot(n1, 2, 0n, 1n, forged.root());
    const exit = { originNetwork: 0, originAddress: addr(n1, "alice"), destinationNetwork: 1, destinationAddress: await recorder.getAddress(), amount: 0n, metadata: "0x" };
    await expect(n1.bridge.claimMessage({ oracleEntry: e, leafIndex: 0, siblings: forged.proof(0).siblings }, exit)).to.be.revertedWithCustomError(n1.bridge, "MessageOriginMismatch").withArgs(0, 2);
    expect(await recorder.received()).to.equal(0n);
  });

  it("a fee-on-transfer token bridges the amount actually received", async function () {
    const fee = await new FeeOnTransferToken__factory(signer(l1, "alice")).deploy();
    await fee.mint(addr(l1, "alice"), 10_000n);
    await fee.connect(signer(l1, "alice")).approve(await l1.bridge.getAddress(), 10_000n);
    const [e] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(1, addr(l1, "bob"), 1000n, await fee.getAddress()));
    expect(e.leaf.amount).to.equal(990n);
    expect(await fee.balanceOf(await l1.bridge.getAddress())).to.equal(990n);
    const md = AbiCoder.defaultAbiCoder().decode(["string", "string", "uint8"], e.metadata);
    expect([md[0], md[1], md[2]]).to.deep.equal(["Fee Token", "FEE", 18n]);
  });

  it("bad exits are refused: value mismatch, oversized amount, own network, zero destination", async function () {
    const b = l1.bridge.connect(signer(l1, "alice"));
    const count = await l1.bridge.exitCount();
    await expect(b.bridgeAsset(1, addr(l1, "bob"), 5n, ZeroAddress, { value: 4n })).to.be.revertedWithCustomError(b, "MsgValueMismatch").withArgs(5n, 4n);
    await expect(b.bridgeAsset(1, addr(l1, "bob"), 5n, await token.getAddress(), { value: 1n })).to.be.revertedWithCustomError(b, "MsgValueMismatch").withArgs(0n, 1n);
    const big = 2n ** 128n;
    await token.mint(addr(l1, "alice"), big);
    await token.connect(signer(l1, "alice")).approve(await l1.bridge.getAddress(), big);
    await expect(b.bridgeAsset(1, addr(l1, "bob"), big, await token.getAddress())).to.be.revertedWithCustomError(b, "AmountTooLarge").withArgs(big);
    await expect(b.bridgeAsset(0, addr(l1, "bob"), 1n, ZeroAddress, { value: 1n })).to.be.revertedWithCustomError(b, "DestinationIsThisNetwork").withArgs(0);
    await expect(b.bridgeAsset(1, ZeroAddress, 1n, ZeroAddress, { value: 1n })).to.be.revertedWithCustomError(b, "ZeroDestinationAddress");
    await expect(l1.bridge.checkpoint(999)).to.be.revertedWithCustomError(l1.bridge, "UnknownCheckpoint");
    expect(await l1.bridge.exitCount()).to.equal(count);
  });

  it("a zero-amount asset exit is refused with ZeroAmount (gas coin, ERC20, wrapped token); nothing is appended", async function () {
    const b = l1.bridge.connect(signer(l1, "alice"));
    const count = await l1.bridge.exitCount();
    await expect(b.bridgeAsset(1, addr(l1, "bob"), 0n, ZeroAddress)).to.be.revertedWithCustomError(b, "ZeroAmount");
    await expect(b.bridgeAsset(1, addr(l1, "bob"), 0n, await token.getAddress())).to.be.revertedWithCustomError(b, "ZeroAmount");
    expect(await l1.bridge.exitCount()).to.equal(count);
    // bob holds wrapped TT on chain 1 (claimed above): burning 0 of it is refused too
    const wTT = await n1.bridge.wrappedTokenAddress(0, await token.getAddress());
    const n1Count = await n1.bridge.exitCount();
    await expect(n1.bridge.connect(signer(n1, "bob")).bridgeAsset(0, addr(n1, "bob"), 0n, wTT)).to.be.revertedWithCustomError(n1.bridge, "ZeroAmount");
    expect(await n1.bridge.exitCount()).to.equal(n1Count);
    // a message without value is a plain call and still goes through
    const [call] = await exitVia(l1, b.bridgeMessage(1, addr(l1, "bob"), "0x01"));
    expect([call.leaf.leafType, call.leaf.amount]).to.deep.equal([LeafType.Message, 0n]);
  });

  it("a claim of a zero-amount asset exit (forged into a posted root) is refused with ZeroAmount; nothing is deployed or claimed", async function () {
    const fresh = addr(l1, "carol"); // a token address nobody has bridged
    const leaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: BigInt(fresh), destinationNetwork: 1, destinationAddress: BigInt(addr(n1, "mallory")), amount: 0n, metadataHash: fieldKeccak("0x") };
    const forged = new ExitTree(DEPTH);
    forged.append(hashExitLeaf(leaf));
    const e = await postRoot(n1, 2, 7n, 1n, forged.root());
    const exit = { originNetwork: 0, originAddress: fresh, destinationNetwork: 1, destinationAddress: addr(n1, "mallory"), amount: 0n, metadata: "0x" };
    await expect(n1.bridge.claimAsset({ oracleEntry: e, leafIndex: 0, siblings: forged.proof(0).siblings }, exit)).to.be.revertedWithCustomError(n1.bridge, "ZeroAmount");
    expect(await n1.chain.provider.getCode(await n1.bridge.wrappedTokenAddress(0, fresh))).to.equal("0x");
    expect(await n1.bridge.isClaimed(await n1.bridge.claimKey(2, 0))).to.equal(false);
  });

  it("the ETH a claim unlocks goes to the exit's recipient, whoever submits the claim", async function () {
    // chain 1 holds wrapped ETH (7 wei minted by the message above) for the recorder; here: a fresh round trip of 1 ETH.
    const [dep] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(1, addr(l1, "bob"), parseEther("1"), ZeroAddress, { value: parseEther("1") }));
    await l1.bridge.checkpointExitRoot();
    const e = await postRoot(n1, 0, 4n, 0n, l1.mirror.root());
    const c = claimArgs(l1, dep, e);
    await n1.bridge.connect(signer(n1, "mallory")).claimAsset(c.proof, c.exit);
    const wEth = WrappedToken__factory.connect(await n1.bridge.wrappedTokenAddress(0, ZeroAddress), n1.chain.provider);
    expect(await wEth.balanceOf(addr(n1, "bob"))).to.equal(parseEther("1"));
    expect(await wEth.balanceOf(addr(n1, "mallory"))).to.equal(0n);
  });
});
