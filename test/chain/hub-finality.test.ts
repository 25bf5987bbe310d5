/**
 * chain/hub-finality.ts against a real `hardhat node` with the settlement hub: an opt-out chain relays a
 * certificate's exit root only when L1 finalized exactly that certificate with exactly that root. Whatever a
 * coordinator says, a certificate the hub did not finalize (another id, another root, another height, a height
 * still to come) is not finalized here. The hub's BatchCertificateFinalized events, with real certificate_test
 * proofs.
 */
import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, NonceManager, Wallet, parseEther } from "ethers";
import { startHardhatNode, HardhatNodeHandle } from "../../scripts/devnet/hardhat-node";
import { deploySettlementStack } from "../../deploy/settlement-stack";
import { HubFinality } from "../../chain/hub-finality";
import { DEVNET_PARAMS } from "../../lib/params";
import { terminateCurves } from "../../zk/groth16";
import { BatchBuilder, Cert, CertificateModel, exitRootOf, idOf, proveAll } from "../helpers/proven-certificates";
import type { SettlementHub } from "../../typechain-types";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

describe("HubFinality: BatchCertificateFinalized, real proofs", function () {
  this.timeout(600_000);
  let node: HardhatNodeHandle;
  let provider: JsonRpcProvider;
  let hub: SettlementHub;
  let finality: HubFinality;
  const sequencers = new Map([1, 3].map((n) => [n, Wallet.createRandom()]));
  const model = new CertificateModel();
  let builder: BatchBuilder;
  let a0: Cert, a1: Cert, c0: Cert;
  const ref = (x: Cert, o: { certificateId?: bigint; exitRoot?: bigint; height?: bigint; networkId?: number } = {}) => ({
    networkId: o.networkId ?? x.built.certificate.networkId, height: o.height ?? x.built.certificate.height, certificateId: o.certificateId ?? idOf(x), exitRoot: o.exitRoot ?? exitRootOf(x),
  });

  before(async function () {
    node = await startHardhatNode({});
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    provider.pollingInterval = 50;
    const deployer = new NonceManager(new Wallet(account(0).privateKey, provider));
    ({ hub } = await deploySettlementStack(deployer, { params: DEVNET_PARAMS, verifierDeployer: new Wallet(account(9).privateKey, provider) }));
    await (await hub.registerNetwork(1, sequencers.get(1)!.address, 0, { value: parseEther("1") })).wait();
    await (await hub.registerNetwork(3, sequencers.get(3)!.address, 1, { value: parseEther("1") })).wait();
    builder = new BatchBuilder(sequencers as never, { chainId: BigInt(node.chainId), verifyingContract: await hub.getAddress() });
    a0 = model.build("a0", 1, {});
    a1 = model.build("a1", 1, {});
    c0 = model.build("c0", 3, {});
    await proveAll([a0, a1, c0]);
    finality = new HubFinality(new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 }), await hub.getAddress());
  });

  after(async function () {
    finality?.close();
    provider?.destroy();
    await node?.stop();
    await terminateCurves();
  });

  it("nothing is finalized before the hub finalized it", async function () {
    expect(await finality.isFinalized(ref(a0))).to.equal(false);
  });

  it("exactly the finalized certificate and root count; another id, root, height or network does not", async function () {
    await builder.settle(hub as never, "a0", [a0]);
    expect(await finality.isFinalized(ref(a0))).to.equal(true);
    expect(await finality.isFinalized(ref(a0, { certificateId: 999n }))).to.equal(false);
    expect(await finality.isFinalized(ref(a0, { exitRoot: 999n }))).to.equal(false);
    expect(await finality.isFinalized(ref(a0, { height: 1n }))).to.equal(false);
    expect(await finality.isFinalized(ref(a0, { networkId: 3 }))).to.equal(false);
  });

  it("later batches are picked up incrementally, for every network", async function () {
    expect(await finality.isFinalized(ref(a1))).to.equal(false);
    await builder.settle(hub as never, "a1 + c0", [a1, c0]);
    expect(await finality.isFinalized(ref(a1))).to.equal(true);
    expect(await finality.isFinalized(ref(a0))).to.equal(true);
    expect(await finality.isFinalized(ref(c0))).to.equal(true);
  });
});
