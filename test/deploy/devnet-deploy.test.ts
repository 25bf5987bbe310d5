/**
 * Devnet deployment and claims against real `hardhat node` processes (an L1 and one L2, random ports):
 * idempotent and resumable deployments (deploy/deployments.ts, deploy/devnet.ts), chain registration, an L1
 * deposit claimed on the L2 through chain/claims.ts, and the Hardhat tasks run as child processes the way a
 * developer runs them.
 */
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { AddressInfo } from "net";
import { HDNodeWallet, JsonRpcProvider, Wallet, ZeroAddress, parseEther } from "ethers";
import { startHardhatNode, HardhatNodeHandle } from "../../scripts/devnet/hardhat-node";
import { DeploymentRunner, readDeployments, tryReadDeployments, writeDeployments, deploymentsPath } from "../../deploy/deployments";
import { deployL1Devnet, deployL2Devnet, registerChainIfNeeded, L1DevnetResult, L2DevnetResult, RegistrationMismatchError } from "../../deploy/devnet";
import {
  claimFromNetwork, exitProof, findOracleEntry, bridgeAsset, NoRootYetError, AlreadyClaimedError, WrongDestinationError, ExitNotFoundError,
} from "../../chain/claims";
import { TestToken__factory, WrappedToken__factory } from "../../typechain-types";
import { DEVNET_PARAMS } from "../../lib/params";
import { genesisStateCommitment } from "../../lib/network-state";
import { DEVNET_CERTIFICATE, certificateShapeOf } from "../../zk/registry";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
const REPO = path.resolve(__dirname, "../..");
const run = promisify(execFile);

function connect(url: string): JsonRpcProvider {
  const p = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  p.pollingInterval = 100;
  return p;
}

describe("devnet deployments and claims (real L1 + L2 hardhat nodes)", function () {
  let l1Node: HardhatNodeHandle, l2Node: HardhatNodeHandle;
  let l1: JsonRpcProvider, l2: JsonRpcProvider;
  let dir: string;
  let L1: L1DevnetResult, L2: L2DevnetResult;
  const wallet = (i: number, p: JsonRpcProvider) => new Wallet(account(i).privateKey, p);

  before(async () => {
    [l1Node, l2Node] = await Promise.all([startHardhatNode({ chainId: 31337 }), startHardhatNode({ chainId: 1001 })]);
    l1 = connect(l1Node.url);
    l2 = connect(l2Node.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "devnet-deployments-"));
  });

  after(async () => {
    l1?.destroy();
    l2?.destroy();
    await Promise.all([l1Node?.stop(), l2Node?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("deploys the L1 layer and an L2 bridge stack, records them, and the bridges share one address", async () => {
    L1 = await deployL1Devnet(wallet(0, l1), { rpcUrl: l1Node.url, dir, layerSigner: account(1).address, verifierDeployer: wallet(9, l1) });
    L2 = await deployL2Devnet(wallet(0, l2), { networkId: 1, poster: account(11).address, rpcUrl: l2Node.url, dir });

    const d1 = readDeployments("devnetL1", dir);
    expect(d1).to.include({ name: "devnetL1", chainId: 31337, networkId: 0, rpcUrl: l1Node.url, startBlock: 0 });
    expect(Object.keys(d1.contracts).sort()).to.deep.equal(["batchVerifier", "bridge", "hub", "poseidonT3", "poseidonT5", "timelock"]);
    expect(d1.pending).to.equal(undefined);
    expect(L1.executed).to.deep.equal(["poseidonT3", "poseidonT5", "batchVerifier", "hub", "bridge", "bindL1Bridge", "checkpoint0", "timelock", "handOverToTimelock"]);
    const d2 = readDeployments("devnetA", dir);
    expect(d2).to.include({ name: "devnetA", chainId: 1001, networkId: 1, rpcUrl: l2Node.url, startBlock: 0 });
    expect(Object.keys(d2.contracts).sort()).to.deep.equal(["bridge", "oracle", "poseidonT3", "poseidonT5"]);

    // The property the devnet rests on: the 4th deployment of account 0 on every chain.
    expect(d1.contracts.bridge).to.equal(d2.contracts.bridge);
    expect(await L1.hub.l1Bridge()).to.equal(d1.contracts.bridge);
    expect(await L1.bridge.checkpointCount()).to.equal(1n);
    // The hub settles batches with the certificate_test batch verifier, from the empty-trees state of DEVNET_PARAMS.
    expect(await L1.hub.certificateVerifier()).to.equal(d1.contracts.batchVerifier);
    expect(await L1.hub.genesisStateCommitment()).to.equal(genesisStateCommitment(DEVNET_PARAMS));
    const shape = certificateShapeOf(DEVNET_CERTIFICATE);
    expect([await L1.hub.maxDependencies(), await L1.hub.maxBundles(), await L1.hub.publicSignalsPerProof()])
      .to.deep.equal([shape.maxDependencies, shape.maxBundles, 7 + 3 * shape.maxDependencies + 2 * shape.maxBundles].map(BigInt));
    expect(await l1.getTransactionCount(account(9).address), "the verifier is not the deployer's transaction").to.equal(1);
    // The devnet hub is governed the production way: its owner is the timelock, the layer key is account 1.
    expect(await L1.hub.owner()).to.equal(d1.contracts.timelock);
    expect(await L1.hub.layerSigner()).to.equal(account(1).address);
    await expect(L1.hub.setLayerSigner(account(2).address)).to.be.revertedWithCustomError(L1.hub, "OwnableUnauthorizedAccount");
    expect(await L2.bridge.networkId()).to.equal(1n);
    expect(await L2.bridge.exitTreeDepth()).to.equal(BigInt(DEVNET_PARAMS.exitDepth));
    expect(await L2.oracle.hasRole(await L2.oracle.POSTER_ROLE(), account(11).address)).to.equal(true);
  });

  it("a second run reuses everything: same addresses, no transaction at all", async () => {
    const before = { n1: await l1.getTransactionCount(account(0).address), n2: await l2.getTransactionCount(account(0).address), b1: await l1.getBlockNumber(), b2: await l2.getBlockNumber() };
    const again1 = await deployL1Devnet(wallet(0, l1), { rpcUrl: l1Node.url, dir, layerSigner: account(1).address, verifierDeployer: wallet(9, l1) });
    const again2 = await deployL2Devnet(wallet(0, l2), { networkId: 1, poster: account(11).address, rpcUrl: l2Node.url, dir });
    expect(again1.executed).to.deep.equal([]);
    expect(again2.executed).to.deep.equal([]);
    expect(again1.reused).to.deep.equal(["poseidonT3", "poseidonT5", "batchVerifier", "hub", "bridge", "timelock"]);
    expect(again1.deployments.contracts).to.deep.equal(L1.deployments.contracts);
    expect(again2.deployments.contracts).to.deep.equal(L2.deployments.contracts);
    expect(again1.deployments.startBlock).to.equal(0);
    expect(await l1.getTransactionCount(account(0).address)).to.equal(before.n1);
    expect(await l2.getTransactionCount(account(0).address)).to.equal(before.n2);
    expect(await l1.getBlockNumber()).to.equal(before.b1);
    expect(await l2.getBlockNumber()).to.equal(before.b2);
  });

  it("registers a chain once; a second registration is a no-op, a conflicting one an error", async () => {
    const req = { networkId: 1, sequencer: account(11).address, policyFlags: 0, stakeEth: "2" };
    expect(await registerChainIfNeeded(L1.hub, req)).to.equal(true);
    const nonce = await l1.getTransactionCount(account(0).address);
    expect(await registerChainIfNeeded(L1.hub, req)).to.equal(false);
    expect(await l1.getTransactionCount(account(0).address)).to.equal(nonce);
    const info = await L1.hub.networks(1);
    expect(info.active).to.equal(true);
    expect(info.sequencer).to.equal(account(11).address);
    expect(info.stake).to.equal(parseEther("2"));
    await expect(registerChainIfNeeded(L1.hub, { ...req, sequencer: account(12).address })).to.be.rejectedWith(RegistrationMismatchError);
  });

  it("step runner: resumes a deployment whose transaction was sent but not recorded, and one that was never sent", async () => {
    const deployer = wallet(5, l2);
    const factory = new TestToken__factory(deployer);
    const deploy = () => factory.deploy("T", "T", 18);
    const crash = new Error("simulated crash");

    const r1 = await DeploymentRunner.open(deployer, { name: "resume", networkId: 1, rpcUrl: l2Node.url, dir });
    const a = await r1.step("a", deploy);
    let sent = "";
    await expect(r1.step("b", async () => {
      const c = await (await deploy()).waitForDeployment();
      sent = await c.getAddress();
      throw crash;
    })).to.be.rejectedWith("simulated crash");
    expect(readDeployments("resume", dir).pending).to.deep.equal({ step: "b", address: sent });

    const r2 = await DeploymentRunner.open(deployer, { name: "resume", networkId: 1, rpcUrl: l2Node.url, dir });
    const nonce = await l2.getTransactionCount(deployer.address);
    expect(await r2.step("a", deploy)).to.equal(a);
    expect(await r2.step("b", deploy)).to.equal(sent); // adopted, not deployed twice
    expect(await l2.getTransactionCount(deployer.address)).to.equal(nonce);
    await expect(r2.step("c", async () => { throw crash; })).to.be.rejectedWith("simulated crash"); // crashed before sending
    const r3 = await DeploymentRunner.open(deployer, { name: "resume", networkId: 1, rpcUrl: l2Node.url, dir });
    const c = await r3.step("c", deploy);
    expect(r3.executed).to.deep.equal(["c"]);
    expect(readDeployments("resume", dir)).to.deep.include({ contracts: { a, b: sent, c } });
    expect(readDeployments("resume", dir).pending).to.equal(undefined);
  });

  it("step runner: a record made on another chain is not reused, even where that chain's address has code here", async () => {
    // Account 0's nonce-0 address holds PoseidonT3 on both chains; only the chain id tells the records apart.
    const foreign = { ...readDeployments("devnetL1", dir), name: "foreign" };
    writeDeployments(foreign, dir);
    expect(await l2.getCode(foreign.contracts.poseidonT3)).to.not.equal("0x");
    const r = await DeploymentRunner.open(wallet(6, l2), { name: "foreign", networkId: 0, rpcUrl: l2Node.url, dir });
    const t3 = await r.step("poseidonT3", () => new TestToken__factory(wallet(6, l2)).deploy("X", "X", 18));
    expect(t3).to.not.equal(foreign.contracts.poseidonT3);
    expect(r.executed).to.deep.equal(["poseidonT3"]);
    expect(readDeployments("foreign", dir)).to.deep.include({ chainId: 1001, contracts: { poseidonT3: t3 } });
    expect(tryReadDeployments("nothing-here", dir)).to.equal(null);
    expect(() => deploymentsPath("../escape", dir)).to.throw(/invalid deployments name/);
  });

  it("deposit L1 -> network 1: no root yet, then claimed against the posted checkpoint, then AlreadyClaimed", async () => {
    const user = wallet(3, l1);
    const recipient = account(3).address;
    const poster = L2.oracle.connect(wallet(11, l2));
    const claimer = L2.bridge.connect(wallet(4, l2));
    const amount = parseEther("1.25");
    const req = (leafIndex: number) => ({ source: { provider: l1, bridge: L1.deployments.contracts.bridge }, dest: { bridge: claimer, oracle: L2.oracle }, leafIndex });

    const dep = await bridgeAsset(L1.bridge.connect(user), { toNetwork: 1, to: recipient, amount });
    expect(dep.leafIndex).to.equal(0);
    await expect(claimFromNetwork(req(0))).to.be.rejectedWith(NoRootYetError);
    await expect(claimFromNetwork(req(1))).to.be.rejectedWith(ExitNotFoundError);

    // Checkpoint 0 (the empty tree) does not contain the deposit: posting it must not make the exit claimable.
    const [root0] = await L1.bridge.checkpoint(0);
    await (await poster.postExitRoot(0, 0, 0, root0)).wait();
    await expect(claimFromNetwork(req(0))).to.be.rejectedWith(NoRootYetError);
    await (await L1.bridge.connect(user).checkpointExitRoot()).wait();
    const cp = (await L1.bridge.checkpointCount()) - 1n;
    const [root1] = await L1.bridge.checkpoint(cp);
    await expect(claimFromNetwork(req(0))).to.be.rejectedWith(NoRootYetError); // checkpointed, not yet posted
    await (await poster.postExitRoot(0, cp, 0, root1)).wait();

    const rc = await claimFromNetwork(req(0));
    expect(rc.status).to.equal(1);
    const claimed = rc.logs.map((l) => { try { return L2.bridge.interface.parseLog(l); } catch { return null; } }).find((e) => e?.name === "ExitClaimed")!;
    expect(claimed.args.oracleEntry).to.equal(1n);
    const weth = WrappedToken__factory.connect(await L2.bridge.wrappedTokenAddress(0, ZeroAddress), l2);
    expect(await weth.balanceOf(recipient)).to.equal(amount);

    await expect(claimFromNetwork(req(0))).to.be.rejectedWith(AlreadyClaimedError);
    // ...and the bridge itself refuses the same claim, whatever the client checks.
    const p = await exitProof(l1, L1.deployments.contracts.bridge, 0, DEVNET_PARAMS.exitDepth);
    expect(p.root).to.equal(root1);
    expect(p.count).to.equal(1);
    const entry = (await findOracleEntry(L2.oracle, 0, p.rootsContainingLeaf))!;
    expect(entry).to.deep.equal({ entryId: 1n, networkId: 0, height: cp, certificateId: 0n, exitRoot: root1 });
    await expect(claimer.claimAsset({ oracleEntry: entry.entryId, leafIndex: 0, siblings: p.proofAt(1) }, p.exit)).to.be.revertedWithCustomError(claimer, "AlreadyClaimed");

    // A later deposit and checkpoint: leaf 1 is claimable only against the newer root; leaf 0 now maps to it too.
    const dep2 = await bridgeAsset(L1.bridge.connect(user), { toNetwork: 1, to: recipient, amount: 7n });
    expect(dep2.leafIndex).to.equal(1);
    await (await L1.bridge.connect(user).checkpointExitRoot()).wait();
    await expect(claimFromNetwork(req(1))).to.be.rejectedWith(NoRootYetError);
    const [root2] = await L1.bridge.checkpoint(cp + 1n);
    await (await poster.postExitRoot(0, cp + 1n, 0, root2)).wait();
    const p0 = await exitProof(l1, L1.deployments.contracts.bridge, 0);
    expect(p0.rootsContainingLeaf).to.deep.equal(new Map([[root1, 1], [root2, 2]]));
    expect((await findOracleEntry(L2.oracle, 0, p0.rootsContainingLeaf))!.entryId).to.equal(2n);
    expect((await findOracleEntry(L2.oracle, 0, [root1]))!.entryId).to.equal(1n);
    await claimFromNetwork(req(1));
    expect(await weth.balanceOf(recipient)).to.equal(amount + 7n);
    // A claim on the wrong network is a typed error, not a revert.
    await expect(claimFromNetwork({ ...req(1), dest: { bridge: L1.bridge.connect(wallet(4, l1)) } })).to.be.rejectedWith(WrongDestinationError);
  });

  it("network 1 -> L1: the hub is the L1 oracle, and nothing is claimable before a batch settles", async () => {
    const weth = await L2.bridge.wrappedTokenAddress(0, ZeroAddress);
    const out = await bridgeAsset(L2.bridge.connect(wallet(3, l2)), { toNetwork: 0, to: account(3).address, amount: parseEther("0.25"), token: weth });
    expect(out.leafIndex).to.equal(0);
    expect(out.exit.leaf).to.include({ originNetwork: 0, destinationNetwork: 0, originAddress: 0n, amount: parseEther("0.25") });
    // dest.oracle omitted: the L1 bridge's oracle, the hub, is read through its (Batch)CertificateFinalized entries.
    await expect(claimFromNetwork({ source: { provider: l2, bridge: L2.bridge }, dest: { bridge: L1.bridge.connect(wallet(4, l1)) }, leafIndex: 0 })).to.be.rejectedWith(NoRootYetError, /network 0's oracle/);
  });

  describe("Hardhat tasks (child processes, DEVNET_*_RPC pointing at the test's nodes)", () => {
    const hardhat = async (args: string[], extraEnv: Record<string, string> = {}) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DEVNET_L1_RPC: l1Node.url, DEVNET_A_RPC: l2Node.url, ...extraEnv };
      delete env.HARDHAT_NETWORK; // set by `hardhat test`; the task's --network must decide
      const cli = require.resolve("hardhat/internal/cli/cli", { paths: [REPO] });
      const { stdout } = await run(process.execPath, [cli, ...args], { cwd: REPO, env, timeout: 120_000 });
      return stdout;
    };

    it("devnet:deploy-l1/l2 rerun: nothing to do", async () => {
      const [o1, o2] = await Promise.all([
        hardhat(["devnet:deploy-l1", "--network", "devnetL1", "--deployments-dir", dir]),
        hardhat(["devnet:deploy-l2", "--network", "devnetA", "--deployments-dir", dir]),
      ]);
      expect(o1).to.match(/nothing to do/);
      expect(o2).to.match(/nothing to do/);
      expect(o2).to.include(L2.deployments.contracts.bridge);
    });

    it("bridge on L1, then claim on network 1 once the checkpoint is posted", async () => {
      const to = Wallet.createRandom().address;
      const out = await hardhat(["bridge", "--network", "devnetL1", "--to-network", "1", "--to", to, "--amount", "0.5", "--account", "3", "--deployments-dir", dir]);
      expect(out).to.match(/leaf index 2 /);
      await (await L1.bridge.connect(wallet(3, l1)).checkpointExitRoot()).wait();
      const cp = (await L1.bridge.checkpointCount()) - 1n;
      const [root] = await L1.bridge.checkpoint(cp);
      await (await L2.oracle.connect(wallet(11, l2)).postExitRoot(0, cp, 0, root)).wait();
      const claimed = await hardhat(["claim", "--network", "devnetA", "--from", "devnetL1", "--leaf-index", "2", "--account", "5", "--deployments-dir", dir]);
      expect(claimed).to.match(/claimed exit 2 of devnetL1/);
      const weth = WrappedToken__factory.connect(await L2.bridge.wrappedTokenAddress(0, ZeroAddress), l2);
      expect(await weth.balanceOf(to)).to.equal(parseEther("0.5"));
    });

    it("status and settle-epoch talk JSON-RPC to the coordinator", async () => {
      const calls: { method: string; params: unknown }[] = [];
      const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          const { id, method, params } = JSON.parse(body);
          calls.push({ method, params });
          const result = method === "getEpoch" ? { id: 4, status: "Finalized", certificates: [] } : 5;
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ jsonrpc: "2.0", id, result }));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const [status, settle] = await Promise.all([hardhat(["status", "--epoch", "4", "--coordinator", url]), hardhat(["settle-epoch", "--coordinator", url])]);
        expect(JSON.parse(status.slice(status.indexOf("{")))).to.deep.equal({ id: 4, status: "Finalized", certificates: [] });
        expect(settle).to.match(/epoch 5 started/);
        expect(calls).to.deep.include.members([{ method: "getEpoch", params: { id: 4 } }, { method: "admin_triggerEpoch", params: [] }]);
      } finally {
        server.close();
      }
    });
  });
});
