/**
 * Wrapped-token metadata comes only from the token's origin network (docs/protocol.md §7). A compromised network
 * (here chain 2, whose pre-confirmed roots chain 1 accepts) forges exits of L1's token with its own name, symbol
 * and decimals; the wrapper on chain 1 never takes them, and L1's first exit of the token fixes the metadata.
 */
import { expect } from "chai";
import { AbiCoder, ZeroAddress } from "ethers";
import { ExitTree, LeafType, TEST_PARAMS, fieldKeccak, hashExitLeaf } from "../../lib";
import { newNetwork, exitVia, claimArgs, postRoot, TestNetwork, ROLES } from "../helpers/bridge";
import { TestToken__factory, WrappedToken__factory } from "../../typechain-types";
import type { TestToken, UnifiedBridge, WrappedToken } from "../../typechain-types";

const DEPTH = TEST_PARAMS.exitDepth;
const encodeMetadata = (name: string, symbol: string, decimals: number) => AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8"], [name, symbol, decimals]);

describe("UnifiedBridge: wrapped-token metadata comes only from the origin network", function () {
  let l1: TestNetwork, n1: TestNetwork;
  let usdc: TestToken, dai: TestToken;
  const signer = (net: TestNetwork, role: keyof typeof ROLES) => net.chain.signers[ROLES[role]];
  const addr = (net: TestNetwork, role: keyof typeof ROLES) => signer(net, role).address;
  // Chain 2's exit tree as its compromised sequencer builds it; each batch of forged exits is posted on chain 1.
  const chain2 = new ExitTree(DEPTH);
  let height = 0n;

  /** Appends asset exits to bob on chain 1 to chain 2's tree, posts the new root on chain 1; returns claim arguments. */
  async function forgedExits(exits: { originNetwork: number; originAddress: string; amount: bigint; metadata: string }[]) {
    const added: { index: number; exit: UnifiedBridge.ExitStruct }[] = [];
    for (const e of exits) {
      const exit = { ...e, destinationNetwork: 1, destinationAddress: addr(n1, "bob") };
      const leaf = { leafType: LeafType.Asset, originNetwork: e.originNetwork, originAddress: BigInt(e.originAddress), destinationNetwork: 1, destinationAddress: BigInt(exit.destinationAddress), amount: e.amount, metadataHash: fieldKeccak(e.metadata) };
      added.push({ index: chain2.append(hashExitLeaf(leaf)), exit });
    }
    const entry = await postRoot(n1, 2, height, 1000n + height, chain2.root());
    height++;
    return added.map(({ index, exit }) => ({ proof: { oracleEntry: entry, leafIndex: index, siblings: chain2.proof(index).siblings }, exit }));
  }

  /** An L1 deposit of `amount` of `token` from alice to bob on chain 1, claimed there against a fresh checkpoint. */
  async function depositFromL1(token: TestToken, amount: bigint) {
    await token.connect(signer(l1, "alice")).approve(await l1.bridge.getAddress(), amount);
    const [e] = await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(1, addr(l1, "bob"), amount, await token.getAddress()));
    const checkpoint = await l1.bridge.checkpointCount();
    await l1.bridge.checkpointExitRoot();
    const entry = await postRoot(n1, 0, checkpoint, 0n, l1.mirror.root());
    return claimArgs(l1, e, entry);
  }

  async function wrapper(originNetwork: number, origin: string): Promise<WrappedToken> {
    return WrappedToken__factory.connect(await n1.bridge.wrappedTokenAddress(originNetwork, origin), signer(n1, "mallory"));
  }

  async function metadataOf(w: WrappedToken) {
    return { name: await w.name(), symbol: await w.symbol(), decimals: await w.decimals(), final: await w.metadataFinal() };
  }

  before(async function () {
    l1 = await newNetwork(0, 9400, DEPTH);
    n1 = await newNetwork(1, 9401, DEPTH);
    usdc = await new TestToken__factory(signer(l1, "alice")).deploy("USD Coin", "USDC", 6);
    dai = await new TestToken__factory(signer(l1, "alice")).deploy("Dai Stablecoin", "DAI", 18);
    for (const t of [usdc, dai]) await t.mint(addr(l1, "alice"), 10n ** 24n);
  });

  it("a squat of amount 0 (any network's exit naming L1's token) is refused with ZeroAmount; nothing is deployed", async function () {
    const [squat] = await forgedExits([{ originNetwork: 0, originAddress: await usdc.getAddress(), amount: 0n, metadata: encodeMetadata("USD Coin", "USDC", 18) }]);
    await expect(n1.bridge.claimAsset(squat.proof, squat.exit)).to.be.revertedWithCustomError(n1.bridge, "ZeroAmount");
    expect(await n1.chain.provider.getCode(await n1.bridge.wrappedTokenAddress(0, await usdc.getAddress()))).to.equal("0x");
    expect(await n1.bridge.isClaimed(await n1.bridge.claimKey(2, Number(squat.proof.leafIndex)))).to.equal(false);
  });

  it("a non-origin exit creates the wrapper with placeholder metadata, not the metadata it carries", async function () {
    const [squat] = await forgedExits([{ originNetwork: 0, originAddress: await usdc.getAddress(), amount: 1n, metadata: encodeMetadata("USD Coin", "USDC", 18) }]);
    await expect(n1.bridge.claimAsset(squat.proof, squat.exit)).to.emit(n1.bridge, "WrappedTokenDeployed");
    const w = await wrapper(0, await usdc.getAddress());
    expect(await metadataOf(w)).to.deep.equal({ name: await n1.bridge.PLACEHOLDER_NAME(), symbol: await n1.bridge.PLACEHOLDER_SYMBOL(), decimals: 18n, final: false });
    expect(await n1.bridge.wrappedTokenMetadataFinal(await w.getAddress())).to.equal(false);
    const origin = await n1.bridge.wrappedTokenOrigin(await w.getAddress());
    expect([origin[0], origin[1], origin[2]]).to.deep.equal([true, 0n, await usdc.getAddress()]);
    expect(await w.balanceOf(addr(n1, "bob"))).to.equal(1n);
  });

  it("the origin's first exit claimed here fixes the metadata, once; later squats change nothing", async function () {
    const w = await wrapper(0, await usdc.getAddress());
    const deposit = await depositFromL1(usdc, 5_000_000n);
    await expect(n1.bridge.claimAsset(deposit.proof, deposit.exit)).to.emit(w, "MetadataFinalized").withArgs("USD Coin", "USDC", 6);
    expect(await metadataOf(w)).to.deep.equal({ name: "USD Coin", symbol: "USDC", decimals: 6n, final: true });
    expect(await n1.bridge.wrappedTokenMetadataFinal(await w.getAddress())).to.equal(true);

    const [again] = await forgedExits([{ originNetwork: 0, originAddress: await usdc.getAddress(), amount: 2n, metadata: encodeMetadata("USD Coin v2", "USDC2", 0) }]);
    await expect(n1.bridge.claimAsset(again.proof, again.exit)).to.not.emit(w, "MetadataFinalized");
    expect(await metadataOf(w)).to.deep.equal({ name: "USD Coin", symbol: "USDC", decimals: 6n, final: true });
    // a later origin exit does not rewrite it either, and nobody but the bridge can
    const second = await depositFromL1(usdc, 1n);
    await expect(n1.bridge.claimAsset(second.proof, second.exit)).to.not.emit(w, "MetadataFinalized");
    await expect(w.setMetadata("x", "X", 1)).to.be.revertedWithCustomError(w, "OnlyBridge").withArgs(addr(n1, "mallory"));
    expect(await w.balanceOf(addr(n1, "bob"))).to.equal(1n + 5_000_000n + 2n + 1n);
  });

  it("a wrapper first created by its origin's exit has the origin's metadata, final at once", async function () {
    const deposit = await depositFromL1(dai, 10n ** 18n);
    await n1.bridge.claimAsset(deposit.proof, deposit.exit);
    expect(await metadataOf(await wrapper(0, await dai.getAddress()))).to.deep.equal({ name: "Dai Stablecoin", symbol: "DAI", decimals: 18n, final: true });
  });

  it("origin metadata that does not decode leaves the placeholder, for a well-formed origin exit to fix", async function () {
    // chain 2 is the origin of its own token; a malformed metadata of its first exit names nothing
    const own = addr(n1, "carol");
    const [bad, good] = await forgedExits([
      { originNetwork: 2, originAddress: own, amount: 3n, metadata: "0x1234" },
      { originNetwork: 2, originAddress: own, amount: 4n, metadata: encodeMetadata("Chain two token", "TWO", 9) },
    ]);
    await n1.bridge.claimAsset(bad.proof, bad.exit);
    const w = await wrapper(2, own);
    expect((await metadataOf(w)).final).to.equal(false);
    await n1.bridge.claimAsset(good.proof, good.exit);
    expect(await metadataOf(w)).to.deep.equal({ name: "Chain two token", symbol: "TWO", decimals: 9n, final: true });
  });

  it("a gas coin's wrapper gets the protocol's gas-coin metadata, whatever the exit that creates it carries", async function () {
    const [fakeEth] = await forgedExits([{ originNetwork: 0, originAddress: ZeroAddress, amount: 1n, metadata: encodeMetadata("Ether", "ETH", 6) }]);
    await n1.bridge.claimAsset(fakeEth.proof, fakeEth.exit);
    expect(await metadataOf(await wrapper(0, ZeroAddress))).to.deep.equal({ name: "Ether", symbol: "ETH", decimals: 18n, final: true });
    const [fakeGas] = await forgedExits([{ originNetwork: 3, originAddress: ZeroAddress, amount: 1n, metadata: encodeMetadata("Gas", "G", 0) }]);
    await n1.bridge.claimAsset(fakeGas.proof, fakeGas.exit);
    expect(await metadataOf(await wrapper(3, ZeroAddress))).to.deep.equal({ name: "Gas coin", symbol: "GAS", decimals: 18n, final: true });
  });
});
