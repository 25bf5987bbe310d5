/**
 * scripts/devnet/hardhat-node.ts: two `hardhat node` processes with their own chain ids and ports, independent
 * state, snapshots, a clear error when the port is taken, and no process left after stop() or after a parent
 * that never called it.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as net from "net";
import * as path from "path";
import { JsonRpcProvider, parseEther, Wallet } from "ethers";
import { HardhatNodeHandle, freePort, startHardhatNode } from "../../scripts/devnet/hardhat-node";
import { alive, sleep } from "./helpers/process";


async function waitGone(pid: number, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < ms) await sleep(50);
  expect(alive(pid), `process ${pid} still alive`).to.equal(false);
}

describe("scripts/devnet: startHardhatNode", function () {
  this.timeout(180_000);
  let l1: HardhatNodeHandle;
  let l2: HardhatNodeHandle;
  const providers: JsonRpcProvider[] = [];
  const provider = (h: HardhatNodeHandle) => {
    // cacheTimeout -1: ethers would otherwise answer a repeated getBalance from its 250 ms cache across the revert.
    const p = new JsonRpcProvider(h.url, h.chainId, { staticNetwork: true, cacheTimeout: -1 });
    providers.push(p);
    return p;
  };

  after(async function () {
    providers.forEach((p) => p.destroy());
    await Promise.all([l1?.stop(), l2?.stop()]);
  });

  it("starts two nodes with chain ids 1001 and 1002 on distinct free ports", async function () {
    const t0 = performance.now();
    [l1, l2] = await Promise.all([startHardhatNode({ chainId: 1001 }), startHardhatNode({ chainId: 1002 })]);
    console.log(`      two nodes ready in ${(performance.now() - t0).toFixed(0)} ms (started in parallel)`);
    expect(l1.port).to.not.equal(l2.port);
    expect(l1.url).to.equal(`http://127.0.0.1:${l1.port}`);
    // A provider that detects the network itself, so the chain id is the node's answer, not ours.
    for (const h of [l1, l2]) {
      const p = new JsonRpcProvider(h.url);
      providers.push(p);
      expect((await p.getNetwork()).chainId).to.equal(BigInt(h.chainId));
    }
    expect([l1.chainId, l2.chainId]).to.deep.equal([1001, 1002]);
  });

  it("each node has its own state; evm_snapshot / evm_revert work (automine on)", async function () {
    const p1 = provider(l1);
    const p2 = provider(l2);
    const to = Wallet.createRandom().address;
    const id = await p1.send("evm_snapshot", []);
    const block = await p1.getBlockNumber();
    const signer = await p1.getSigner(0);
    const rc = await (await signer.sendTransaction({ to, value: parseEther("1") })).wait();
    expect(rc!.blockNumber).to.equal(block + 1); // mined at once
    expect(await p1.getBalance(to)).to.equal(parseEther("1"));
    expect(await p2.getBalance(to)).to.equal(0n);
    expect(await p1.send("evm_revert", [id])).to.equal(true);
    expect(await p1.getBalance(to)).to.equal(0n);
    expect(await p1.getBlockNumber()).to.equal(block);
  });

  it("stop() ends both nodes: pids gone, ports closed; a second stop() is a no-op", async function () {
    const nodes = [l1, l2];
    const t0 = performance.now();
    await Promise.all(nodes.map((h) => h.stop()));
    console.log(`      both nodes stopped in ${(performance.now() - t0).toFixed(0)} ms`);
    for (const h of nodes) {
      expect(() => process.kill(h.pid, 0)).to.throw();
      await expect(fetch(h.url, { method: "POST" })).to.be.rejected;
      await h.stop();
    }
  });

  it("a port held by something else fails with a clear error carrying the node's stderr", async function () {
    const port = await freePort();
    const squatter = net.createServer().listen(port, "127.0.0.1");
    try {
      await expect(startHardhatNode({ port, chainId: 1003 })).to.be.rejectedWith(/exited .* before answering[\s\S]*EADDRINUSE/);
    } finally {
      squatter.close();
    }
  });

  it("a parent that exits without stop() takes its node down (process 'exit' hook)", async function () {
    const mod = path.resolve(__dirname, "../../scripts/devnet/hardhat-node");
    const script = `
      require(${JSON.stringify(mod)}).startHardhatNode({ chainId: 1004 }).then((h) => console.log("node " + h.pid));`;
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).to.equal(0);
    const m = /node (\d+)/.exec(out);
    expect(m, `parent output: ${out}`).to.not.equal(null);
    await waitGone(Number(m![1]));
  });
});
