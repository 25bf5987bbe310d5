/**
 * A wallet's default gas estimate for an exit must hold wherever the exit lands in the tree. A wallet estimates
 * (eth_estimateGas) against the chain as it is, then signs with that limit; other users' exits mined in between
 * move the exit to a later leaf index. These tests take each wallet's default estimate before the others' exits
 * land and require every call to succeed; they run on the in-process Hardhat network (EDR, automine).
 */
import { expect } from "chai";
import { Provider, TransactionRequest, ZeroAddress, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { PRODUCTION_PARAMS, TEST_PARAMS } from "../../lib";
import { bridgeAsset as bridgeAssetHelper } from "../../chain/claims";
import { newNetwork, TestNetwork } from "../helpers/bridge";
import { deployExamples } from "../../deploy/examples";
import { TestToken__factory } from "../../typechain-types";
import type { TestToken } from "../../typechain-types";

interface Outcome {
  leafIndex: number;
  estimate: bigint;
  ok: boolean;
  error?: string;
}

/** Sends `calls` bridgeAsset calls in rounds of `wallets.length`: every wallet of a round estimates first, then all send. */
async function raceRounds(net: TestNetwork, wallets: HardhatEthersSigner[], token: TestToken, calls: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const to = wallets[0].address;
  const tokenAddress = await token.getAddress();
  for (let sent = 0; sent < calls; ) {
    const round = wallets.slice(0, Math.min(wallets.length, calls - sent));
    // Every wallet asks for its default estimate against the same state (what ethers and wallets do before signing).
    const prepared = await Promise.all(
      round.map(async (w, k) => {
        const b = net.bridge.connect(w);
        // alternately the gas coin and a native ERC20
        const [asset, value]: [string, bigint] = (sent + k) % 2 === 0 ? [ZeroAddress, 1000n] : [tokenAddress, 0n];
        return { b, asset, value, estimate: await b.bridgeAsset.estimateGas(1, to, 1000n, asset, { value }) };
      }),
    );
    // Then the transactions land one after another, each at a later leaf index than its estimate saw.
    for (const p of prepared) {
      const leafIndex = Number(await net.bridge.exitCount());
      try {
        const tx = await p.b.bridgeAsset(1, to, 1000n, p.asset, { value: p.value, gasLimit: p.estimate });
        const receipt = await tx.wait();
        outcomes.push({ leafIndex, estimate: p.estimate, ok: receipt?.status === 1 });
      } catch (e) {
        outcomes.push({ leafIndex, estimate: p.estimate, ok: false, error: (e as Error).message.split("\n")[0].slice(0, 160) });
      }
    }
    sent += round.length;
  }
  return outcomes;
}

/** The least gas limit with which `tx` succeeds against the current state (eth_call, binary search to the unit). */
async function leastGas(provider: Provider, tx: TransactionRequest): Promise<bigint> {
  let lo = 21_000n;
  let hi = 5_000_000n;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    const ok = await provider.call({ ...tx, gasLimit: mid }).then(
      () => true,
      () => false,
    );
    if (ok) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

function failures(outcomes: Outcome[]): string {
  const bad = outcomes.filter((o) => !o.ok);
  return `${bad.length} of ${outcomes.length} failed` + (bad.length ? `, e.g. leaf ${bad[0].leafIndex} (estimate ${bad[0].estimate}): ${bad[0].error ?? "status 0"}` : "");
}

describe("UnifiedBridge: bridgeAsset with a wallet's default gas estimate", function () {
  this.timeout(900_000);

  async function fundedNetwork(depth: number, chainId: number) {
    const net = await newNetwork(0, chainId, depth);
    const wallets = net.chain.signers.slice(6, 14);
    const token = await new TestToken__factory(wallets[0]).deploy("Test Token", "TT", 18);
    for (const w of wallets) {
      await token.mint(w.address, 10n ** 24n);
      await token.connect(w).approve(await net.bridge.getAddress(), 10n ** 24n);
    }
    return { net, wallets, token };
  }

  it("200 calls from 8 wallets, each estimated before the others' exits of its round land: all succeed (depth 32)", async function () {
    const { net, wallets, token } = await fundedNetwork(PRODUCTION_PARAMS.exitDepth, 9600);
    const outcomes = await raceRounds(net, wallets, token, 200);
    expect(outcomes.every((o) => o.ok), failures(outcomes)).to.equal(true);
    expect(await net.bridge.exitCount()).to.equal(200n);
  });

  it("the same at the test depth (8), up to 200 of its 255 leaves", async function () {
    const { net, wallets, token } = await fundedNetwork(TEST_PARAMS.exitDepth, 9601);
    const outcomes = await raceRounds(net, wallets, token, 200);
    expect(outcomes.every((o) => o.ok), failures(outcomes)).to.equal(true);
  });

  it("the least gas limit of an exit is the same, to the unit, at every leaf index (0..63, depth 32)", async function () {
    const { net, wallets, token } = await fundedNetwork(PRODUCTION_PARAMS.exitDepth, 9604);
    const [alice, other] = wallets;
    const bridge = await net.bridge.getAddress();
    const calls = {
      gasCoin: { from: alice.address, to: bridge, value: 1000n, data: net.bridge.interface.encodeFunctionData("bridgeAsset", [1, alice.address, 1000n, ZeroAddress]) },
      erc20: { from: alice.address, to: bridge, data: net.bridge.interface.encodeFunctionData("bridgeAsset", [1, alice.address, 1000n, await token.getAddress()]) },
      message: { from: alice.address, to: bridge, data: net.bridge.interface.encodeFunctionData("bridgeMessage", [1, alice.address, "0x1234"]) },
    };
    await (await net.bridge.connect(alice).bridgeAsset(1, alice.address, 1n, await token.getAddress())).wait(); // the bridge's token balance exists
    const seen: Record<string, Set<bigint>> = { gasCoin: new Set(), erc20: new Set(), message: new Set() };
    for (let i = 0; i < 64; i++) {
      for (const [k, tx] of Object.entries(calls)) seen[k].add(await leastGas(net.chain.provider, tx));
      await (await net.bridge.connect(other).bridgeMessage(2, other.address, "0x")).wait();
    }
    for (const [k, values] of Object.entries(seen)) expect([...values], k).to.deep.equal([[...values][0]]);

    // Below that limit the exit is refused with a typed error (not out of gas) and nothing is appended; at it, it
    // goes through and pays only what it uses: the headroom is required, not spent.
    const [least] = [...seen.gasCoin];
    const count = await net.bridge.exitCount();
    const b = net.bridge.connect(alice);
    await expect(b.bridgeAsset(1, alice.address, 1000n, ZeroAddress, { value: 1000n, gasLimit: least - 1n })).to.be.revertedWithCustomError(b, "GasBelowExitBound");
    expect(await net.bridge.exitCount()).to.equal(count);
    const receipt = await (await b.bridgeAsset(1, alice.address, 1000n, ZeroAddress, { value: 1000n, gasLimit: least })).wait();
    expect(receipt!.status).to.equal(1);
    expect(receipt!.gasUsed).to.be.lessThan(least - (await net.bridge.EXIT_GAS_BOUND()) / 3n);
  });

  it("the examples with default estimates, 8 wallets racing: CrossChainCounter.ping and BridgeAndCall.bridgeAndDeposit (two exits per call)", async function () {
    const net = await newNetwork(1, 9603, PRODUCTION_PARAMS.exitDepth);
    const ex = await deployExamples(net.deployer, await net.bridge.getAddress());
    const remote = net.chain.signers[19].address; // the peers on network 2 (not deployed: only their address is used here)
    await (await ex.counter.setPeer(2, remote)).wait();
    await (await ex.bridgeAndCall.setPeer(2, remote)).wait();
    const wallets = net.chain.signers.slice(6, 14);
    const token = await new TestToken__factory(wallets[0]).deploy("Test Token", "TT", 18);
    for (const w of wallets) {
      await token.mint(w.address, 10n ** 24n);
      await token.connect(w).approve(await ex.bridgeAndCall.getAddress(), 10n ** 24n);
    }
    const outcomes: boolean[] = [];
    const errors: string[] = [];
    const bridgeAndDepositGas = new Set<bigint>();
    const probe = {
      from: wallets[0].address,
      to: await ex.bridgeAndCall.getAddress(),
      data: ex.bridgeAndCall.interface.encodeFunctionData("bridgeAndDeposit", [await token.getAddress(), 1000n, 2, remote, wallets[0].address]),
    };
    // One deposit first: the bridge's first balance of the token (a storage slot of the token, set once) is not
    // the tree's concern.
    await (await ex.bridgeAndCall.connect(wallets[0]).bridgeAndDeposit(token.getAddress(), 1000n, 2, remote, wallets[0].address)).wait();
    for (let round = 0; round < 20; round++) {
      bridgeAndDepositGas.add(await leastGas(net.chain.provider, probe));
      const prepared = await Promise.all(
        wallets.map(async (w, k) => {
          if ((round + k) % 2 === 0) {
            const c = ex.counter.connect(w);
            const estimate = await c.ping.estimateGas(2, remote, BigInt(round));
            return () => c.ping(2, remote, BigInt(round), { gasLimit: estimate });
          }
          const c = ex.bridgeAndCall.connect(w);
          const estimate = await c.bridgeAndDeposit.estimateGas(await token.getAddress(), 1000n, 2, remote, w.address);
          return () => c.bridgeAndDeposit(token.getAddress(), 1000n, 2, remote, w.address, { gasLimit: estimate });
        }),
      );
      for (const send of prepared) {
        try {
          outcomes.push((await (await send()).wait())?.status === 1);
        } catch (e) {
          outcomes.push(false);
          errors.push((e as Error).message.split("\n")[0].slice(0, 160));
        }
      }
    }
    expect(errors, `${errors.length} of ${outcomes.length} failed`).to.deep.equal([]);
    expect(outcomes.every((ok) => ok)).to.equal(true);
    expect(await net.bridge.exitCount()).to.equal(2n + 80n + 80n * 2n);
    // Two exits through two calls: the same least gas limit at every state, up to one gas of EIP-150 rounding.
    const least = [...bridgeAndDepositGas];
    expect(least.reduce((a, b) => (a > b ? a : b)) - least.reduce((a, b) => (a < b ? a : b)), least.join(", ")).to.be.lessThanOrEqual(1n);
  });

  it("plain calls without any gas option (the hardhat task's helper, chain/claims.ts bridgeAsset): 64 in a row succeed", async function () {
    const net = await newNetwork(0, 9602, PRODUCTION_PARAMS.exitDepth);
    const w = net.chain.signers[6];
    for (let i = 0; i < 64; i++) {
      const r = await bridgeAssetHelper(net.bridge.connect(w), { toNetwork: 1 + (i % 3), to: w.address, amount: parseEther("0.001") });
      expect(r.leafIndex).to.equal(i);
    }
  });
});
