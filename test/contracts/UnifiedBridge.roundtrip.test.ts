import { expect } from "chai";
import { ZeroAddress, parseEther, toBeHex } from "ethers";
import { NetworkState, PRODUCTION_PARAMS, buildCertificate, ImportedExit, CertificateRef, gasCoin } from "../../lib";
import { MirroredExit } from "../../chain/exit-tree-mirror";
import { newNetwork, exitVia, claimArgs, postRoot, TestNetwork, ROLES } from "../helpers/bridge";
import { TestToken__factory, WrappedToken__factory } from "../../typechain-types";
import type { TestToken } from "../../typechain-types";

const DEPTH = PRODUCTION_PARAMS.exitDepth;

function importOf(e: MirroredExit, source: CertificateRef, root: bigint, siblings: bigint[]): ImportedExit {
  return { leaf: e.leaf, leafIndex: e.leafIndex, source, sourceExitRoot: root, siblings };
}

async function stateRoot(net: TestNetwork): Promise<string> {
  const block = await net.chain.provider.send("eth_getBlockByNumber", ["latest", false]);
  return block.stateRoot;
}

describe("UnifiedBridge: L1 -> chain 1 -> chain 2 -> L1 round trip (three in-process chains, depth 32)", function () {
  let l1: TestNetwork, n1: TestNetwork, n2: TestNetwork;
  let token: TestToken;
  // The model's accounting of chains 1 and 2, advanced by the certificates they would submit.
  let s1: NetworkState, s2: NetworkState;
  const ETH = parseEther("1");
  const TT = 1000n * 10n ** 18n;

  const addr = (net: TestNetwork, role: keyof typeof ROLES) => net.chain.signers[ROLES[role]].address;
  const signer = (net: TestNetwork, role: keyof typeof ROLES) => net.chain.signers[ROLES[role]];
  const wrapped = (net: TestNetwork, originNetwork: number, origin: string) =>
    net.bridge.wrappedTokenAddress(originNetwork, origin).then((a) => WrappedToken__factory.connect(a, net.chain.provider));
  async function supply(net: TestNetwork, originNetwork: number, origin: string): Promise<bigint> {
    const w = await wrapped(net, originNetwork, origin);
    return (await net.chain.provider.getCode(await w.getAddress())) === "0x" ? 0n : w.totalSupply();
  }

  /** Locked on L1 == wrapped supply on chains 1 and 2 + amounts exited but not yet claimed. */
  async function expectConserved(inFlightTT: bigint, inFlightETH: bigint) {
    const t = await token.getAddress();
    const lockedTT = await token.balanceOf(await l1.bridge.getAddress());
    const lockedETH = await l1.chain.provider.getBalance(await l1.bridge.getAddress());
    expect(lockedTT, "TT conservation").to.equal((await supply(n1, 0, t)) + (await supply(n2, 0, t)) + inFlightTT);
    expect(lockedETH, "ETH conservation").to.equal((await supply(n1, 0, ZeroAddress)) + (await supply(n2, 0, ZeroAddress)) + inFlightETH);
  }

  before(async function () {
    l1 = await newNetwork(0, 9000, DEPTH);
    n1 = await newNetwork(1, 9001, DEPTH);
    n2 = await newNetwork(2, 9002, DEPTH);
    token = await new TestToken__factory(signer(l1, "alice")).deploy("Test Token", "TT", 18);
    await token.mint(addr(l1, "alice"), 10n * TT);
    s1 = new NetworkState(1, PRODUCTION_PARAMS);
    s2 = new NetworkState(2, PRODUCTION_PARAMS);
  });

  it("deploys the bridge at the same address on every network", async function () {
    const a = await l1.bridge.getAddress();
    expect(await n1.bridge.getAddress()).to.equal(a);
    expect(await n2.bridge.getAddress()).to.equal(a);
    expect(await n1.bridge.networkId()).to.equal(1n);
    expect(await l1.bridge.wrappedTokenAddress(0, await token.getAddress())).to.equal(await n1.bridge.wrappedTokenAddress(0, await token.getAddress()));
  });

  let deposits: MirroredExit[];
  let checkpointRoot: bigint;
  it("deposits ETH and an ERC20 on L1 for bob on chain 1; the L1 exit root is checkpointed", async function () {
    const t = await token.getAddress();
    deposits = [
      ...(await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(1, addr(l1, "bob"), ETH, ZeroAddress, { value: ETH }))),
    ];
    await token.connect(signer(l1, "alice")).approve(await l1.bridge.getAddress(), TT);
    deposits.push(...(await exitVia(l1, l1.bridge.connect(signer(l1, "alice")).bridgeAsset(1, addr(l1, "bob"), TT, t))));
    expect(deposits.map((d) => d.leafIndex)).to.deep.equal([0, 1]);
    expect(await l1.bridge.getExitRoot()).to.equal(l1.mirror.root());
    await expect(l1.bridge.checkpointExitRoot()).to.emit(l1.bridge, "ExitRootCheckpointed").withArgs(0, l1.mirror.root(), 2);
    [checkpointRoot] = await l1.bridge.checkpoint(0);
    expect(checkpointRoot).to.equal(l1.mirror.root());
    await expectConserved(TT, ETH);
  });

  it("bob claims both on chain 1 against the posted L1 checkpoint; wrapped tokens are deployed", async function () {
    const entry = await postRoot(n1, 0, 0n, 0n, checkpointRoot);
    for (const d of deposits) {
      const { proof, exit } = claimArgs(l1, d, entry);
      await expect(n1.bridge.claimAsset(proof, exit)).to.emit(n1.bridge, "ExitClaimed");
    }
    const wEth = await wrapped(n1, 0, ZeroAddress);
    const wTT = await wrapped(n1, 0, await token.getAddress());
    expect(await wEth.balanceOf(addr(n1, "bob"))).to.equal(ETH);
    expect(await wTT.balanceOf(addr(n1, "bob"))).to.equal(TT);
    expect([await wTT.name(), await wTT.symbol(), await wTT.decimals()]).to.deep.equal(["Test Token", "TT", 18n]);
    expect([await wEth.name(), await wEth.symbol()]).to.deep.equal(["Ether", "ETH"]);
    expect([await wTT.originNetwork(), await wTT.originAddress()]).to.deep.equal([0n, await token.getAddress()]);
    await expectConserved(0n, 0n);
  });

  let onward: MirroredExit[];
  let cert1: CertificateRef;
  it("bob bridges part onward to carol on chain 2; chain 1's certificate (model) matches its on-chain exit root", async function () {
    const wTT = await n1.bridge.wrappedTokenAddress(0, await token.getAddress());
    const wEth = await n1.bridge.wrappedTokenAddress(0, ZeroAddress);
    onward = [
      ...(await exitVia(n1, n1.bridge.connect(signer(n1, "bob")).bridgeAsset(2, addr(n1, "carol"), 400n * 10n ** 18n, wTT))),
      ...(await exitVia(n1, n1.bridge.connect(signer(n1, "bob")).bridgeAsset(2, addr(n1, "carol"), ETH / 2n, wEth))),
    ];
    // Burnt on chain 1, not yet minted on chain 2.
    await expectConserved(400n * 10n ** 18n, ETH / 2n);

    const src: CertificateRef = { networkId: 0, height: 0n, certificateId: 0n };
    const imports = deposits.map((d) => importOf(d, src, checkpointRoot, l1.mirror.proof(d.leafIndex).siblings));
    const built = buildCertificate(s1, { height: 0n, newStateRoot: await stateRoot(n1), imports, exits: onward.map((e) => e.leaf) });
    expect(built.certificate.newLocalExitRoot).to.equal(await n1.bridge.getExitRoot());
    expect(built.certificate.dependencies).to.deep.equal([]);
    s1 = built.transition.state;
    expect(s1.balanceOf({ originNetwork: 0, originAddress: BigInt(await token.getAddress()) })).to.equal(600n * 10n ** 18n);
    expect(s1.balanceOf(gasCoin(0))).to.equal(ETH / 2n);
    cert1 = { networkId: 1, height: 0n, certificateId: built.certificateId };
  });

  let back: MirroredExit[];
  let cert2: CertificateRef;
  it("carol claims on chain 2 (same wrapped address as on chain 1) and bridges everything back to alice on L1", async function () {
    const t = await token.getAddress();
    const root1 = await n1.bridge.getExitRoot();
    const entry = await postRoot(n2, 1, cert1.height, cert1.certificateId, root1);
    for (const e of onward) {
      const { proof, exit } = claimArgs(n1, e, entry);
      await n2.bridge.claimAsset(proof, exit);
    }
    const wTT2 = await n2.bridge.wrappedTokenAddress(0, t);
    expect(wTT2).to.equal(await n1.bridge.wrappedTokenAddress(0, t));
    expect(await n2.chain.provider.getCode(wTT2)).to.not.equal("0x");
    expect(await n1.chain.provider.getCode(wTT2)).to.not.equal("0x");
    const w2 = WrappedToken__factory.connect(wTT2, signer(n2, "carol"));
    expect(await w2.balanceOf(addr(n2, "carol"))).to.equal(400n * 10n ** 18n);
    await expectConserved(0n, 0n);

    back = [
      ...(await exitVia(n2, n2.bridge.connect(signer(n2, "carol")).bridgeAsset(0, addr(n2, "alice"), 400n * 10n ** 18n, wTT2))),
      ...(await exitVia(n2, n2.bridge.connect(signer(n2, "carol")).bridgeAsset(0, addr(n2, "alice"), ETH / 2n, await n2.bridge.wrappedTokenAddress(0, ZeroAddress)))),
    ];
    await expectConserved(400n * 10n ** 18n, ETH / 2n);

    const imports = onward.map((e) => importOf(e, cert1, root1, n1.mirror.proof(e.leafIndex).siblings));
    const built = buildCertificate(s2, { height: 0n, newStateRoot: await stateRoot(n2), imports, exits: back.map((e) => e.leaf) });
    expect(built.certificate.newLocalExitRoot).to.equal(await n2.bridge.getExitRoot());
    expect(built.certificate.dependencies).to.deep.equal([cert1]);
    s2 = built.transition.state;
    expect(s2.balanceOf({ originNetwork: 0, originAddress: BigInt(t) })).to.equal(0n);
    cert2 = { networkId: 2, height: 0n, certificateId: built.certificateId };
  });

  it("alice claims on L1: the ERC20 and ETH are unlocked, and everything adds up", async function () {
    const t = await token.getAddress();
    const root2 = await n2.bridge.getExitRoot();
    const entry = await postRoot(l1, 2, cert2.height, cert2.certificateId, root2);
    const ttBefore = await token.balanceOf(addr(l1, "alice"));
    const ethBefore = await l1.chain.provider.getBalance(addr(l1, "alice"));
    for (const e of back) {
      const { proof, exit } = claimArgs(n2, e, entry);
      await l1.bridge.connect(signer(l1, "carol")).claimAsset(proof, exit); // a relayer pays the gas
    }
    expect(await token.balanceOf(addr(l1, "alice"))).to.equal(ttBefore + 400n * 10n ** 18n);
    expect(await l1.chain.provider.getBalance(addr(l1, "alice"))).to.equal(ethBefore + ETH / 2n);
    expect(await token.balanceOf(await l1.bridge.getAddress())).to.equal(600n * 10n ** 18n);
    expect(await l1.chain.provider.getBalance(await l1.bridge.getAddress())).to.equal(ETH / 2n);
    await expectConserved(0n, 0n);
    expect(await supply(n1, 0, t)).to.equal(600n * 10n ** 18n);
    expect(await supply(n2, 0, t)).to.equal(0n);
    expect(toBeHex(await l1.bridge.claimKey(2, 0))).to.equal(toBeHex((2n << 32n) | 0n));
    expect(await l1.bridge.isClaimed(await l1.bridge.claimKey(2, 0))).to.equal(true);
  });

  it("a self-exit and a zero destination are refused", async function () {
    await expect(n1.bridge.bridgeMessage(1, addr(n1, "bob"), "0x")).to.be.revertedWithCustomError(n1.bridge, "DestinationIsThisNetwork").withArgs(1);
    await expect(n1.bridge.bridgeMessage(2, ZeroAddress, "0x")).to.be.revertedWithCustomError(n1.bridge, "ZeroDestinationAddress");
    await expect(n1.bridge.checkpointExitRoot()).to.be.revertedWithCustomError(n1.bridge, "CheckpointOnlyOnL1");
  });
});
