/**
 * chain/rebuilder.ts against a real L2 (a hardhat node with the exit-root oracle): the rebuild takes the L2 back to
 * a snapshot and replays what followed, with the posts of rejected roots voided.
 * - A root posted after a certificate's last event but before that certificate's snapshot is voided too: the rebuild
 *   goes back to an earlier snapshot (reverting to the usual one would keep the root).
 * - An L2 that drops answers or connections during the replay (an overloaded node) interrupts the rebuild; it
 *   resumes where it stopped, and every transaction is re-included exactly once.
 * - A rejection heard while a rebuild runs waits for it, and lapses if that rebuild replaced its certificate.
 * The coordinator, relayer, prover and certificate store are stand-ins recording what the rebuilder asked of them.
 */
import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet, parseEther } from "ethers";
import { startHardhatNode, HardhatNodeHandle } from "../../scripts/devnet/hardhat-node";
import { account } from "../../scripts/devnet/devnet";
import { ExitRootOracle, ExitRootOracle__factory } from "../../typechain-types";
import { createLogger } from "../../coordinator/log";
import { Rebuilder, RebuilderParts } from "../../chain/rebuilder";
import { L2Follower } from "../../chain/l2-follower";
import { L2Position } from "../../chain/l2-position";
import { SequencerQueue } from "../../chain/sequencer-queue";
import { parseChainConfig } from "../../chain/config";
import { ChainMetrics } from "../../chain/metrics";

const NETWORK = 2;
const BAD = "1/3/77";
const BRIDGE = "0x" + "b1".repeat(20);

/** A provider whose node "drops" chosen calls after the L2 was reverted: the call fails before or after it reached the node. */
class FlakyProvider extends JsonRpcProvider {
  armed = false;
  private counts = new Map<string, number>();
  faults: { method: string; nth: number; reached: boolean; fired?: boolean }[] = [];

  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    if (method === "evm_revert") this.armed = true;
    const n = (this.counts.get(method) ?? 0) + 1;
    if (this.armed) this.counts.set(method, n);
    const fault = this.armed ? this.faults.find((f) => f.method === method && f.nth === n && !f.fired) : undefined;
    if (fault) {
      fault.fired = true;
      if (fault.reached) await super.send(method, params);
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    }
    return super.send(method, params);
  }
}

interface Own {
  height: bigint;
  certificateId: bigint;
}

describe("chain rebuilder (a hardhat L2 with the exit-root oracle; the layer's parts are stand-ins)", function () {
  this.timeout(120_000);
  let node: HardhatNodeHandle;
  const sequencer = account(10 + NETWORK);
  const users = [account(3), account(4), account(5)];

  before(async () => {
    node = await startHardhatNode({});
  });
  after(async () => {
    await node?.stop();
  });

  /** A fresh L2 history on the node: the oracle, snapshots after heights -1, 0 and 1, a bad root's post, user transfers. */
  async function setUp(o: { postBeforeSnapshot: boolean; faults?: FlakyProvider["faults"] }) {
    const l2 = new FlakyProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    const admin = new NonceManager(new Wallet(account(0).privateKey, l2));
    const oracle = (await new ExitRootOracle__factory(admin).deploy(NETWORK, account(0).address, sequencer.address)) as unknown as ExitRootOracle;
    await oracle.waitForDeployment();
    const seq = new Wallet(sequencer.privateKey, l2);
    const signer = new NonceManager(seq);
    const follower = new L2Follower(l2, BRIDGE, await oracle.getAddress(), NETWORK);
    const position = new L2Position(l2, follower);
    await position.startFresh();
    const pay = async (i: number, eth: string) => (await (await new Wallet(users[i].privateKey, l2).sendTransaction({ to: users[(i + 1) % users.length].address, value: parseEther(eth) })).wait())!;
    const post = async () => (await (await oracle.connect(signer).postExitRoot(1, 3, 77, 0xabcn)).wait())!;

    await pay(0, "1");
    expect(await position.snapshot(0n)).to.equal(true);
    await pay(1, "0.5");
    // The bad root lands after certificate 1's last event: before its snapshot (the race), or after it.
    let postTx: string;
    if (o.postBeforeSnapshot) {
      postTx = (await post()).hash;
      expect(await position.snapshot(1n)).to.equal(true);
    } else {
      expect(await position.snapshot(1n)).to.equal(true);
      postTx = (await post()).hash;
    }
    await pay(2, "0.25"); // a claim against the bad root would be here: certificate 2, rejected
    await pay(0, "0.125");
    await (await signer.sendTransaction({ to: sequencer.address, value: 0n })).wait(); // the sequencer's own activity

    const own = new Map<bigint, Own>([
      [100n, { height: 0n, certificateId: 100n }],
      [101n, { height: 1n, certificateId: 101n }],
      [102n, { height: 2n, certificateId: 102n }],
      [103n, { height: 3n, certificateId: 103n }],
    ]);
    const asked = { aborted: [] as bigint[], bumped: [] as bigint[], banned: [] as string[], persisted: 0 };
    const warnings: string[] = [];
    const config = parseChainConfig({
      networkId: NETWORK,
      stateFile: "/nonexistent/chain-B.json",
      l2: { rpcUrl: node.url, bridge: BRIDGE, oracle: await oracle.getAddress(), sequencerKey: sequencer.privateKey },
      l1: { rpcUrl: "http://127.0.0.1:9", hub: "0x" + "44".repeat(20), bridge: "0x" + "55".repeat(20) },
      coordinator: { url: "http://127.0.0.1:9", wsUrl: "ws://127.0.0.1:9" },
      log: { level: "error" },
    });
    const log = createLogger({ level: "warn", write: (l) => warnings.push(l) }, "test");
    const metrics = new ChainMetrics(NETWORK);
    const parts = {
      config,
      log,
      link: { call: async () => ({ status: "Rejected" }) },
      l2,
      follower,
      sequencer: seq,
      signer,
      oracle,
      own: {
        byId: own,
        rewind: (h: bigint) => {
          const gone = [...own.values()].filter((c) => c.height >= h);
          for (const c of gone) own.delete(c.certificateId);
          return gone.map((c) => ({ built: { certificateId: c.certificateId, certificate: { height: c.height } } }));
        },
        certifiedEvents: () => 0,
      },
      position,
      relayer: {
        posted: new Set([BAD]),
        postTxOf: (k: string) => (k === BAD ? postTx : undefined),
        ban: (keys: string[]) => asked.banned.push(...keys),
        replayed: () => undefined,
      },
      revisions: { bump: (h: bigint) => asked.bumped.push(h) },
      prover: { abort: (id: bigint) => asked.aborted.push(id) },
      queue: new SequencerQueue(),
      events: {},
      metrics,
      cycle: () => null,
      persist: () => asked.persisted++,
      stopped: () => false,
    } as unknown as RebuilderParts;
    l2.faults = o.faults ?? [];
    return { l2, oracle, rebuilder: new Rebuilder(parts), own, asked, warnings, metrics };
  }

  /** Each user's balance and nonce. */
  async function balances(l2: JsonRpcProvider) {
    return Promise.all(users.map(async (u) => ({ balance: await l2.getBalance(u.address), nonce: await l2.getTransactionCount(u.address) })));
  }

  /** The same nonces, and balances within 0.001 ETH (a replayed transaction pays another base fee; every transfer is 0.125 ETH or more). */
  function expectSameUsers(after: { balance: bigint; nonce: number }[], before: { balance: bigint; nonce: number }[], what: string) {
    expect(after.map((u) => u.nonce), what).to.deep.equal(before.map((u) => u.nonce));
    after.forEach((u, i) => {
      const d = u.balance - before[i].balance;
      expect(d < 0n ? -d : d, `${what}: user ${i}'s balance`).to.be.lessThan(10n ** 15n);
    });
  }

  async function rebuildFrom(rebuilder: Rebuilder, height: bigint) {
    rebuilder.start(height, [BAD], 100n + height);
    await rebuilder.settled();
    return rebuilder.history;
  }

  it("a root posted before the snapshot of the last good certificate is voided: the rebuild goes back one snapshot further", async () => {
    const { l2, oracle, rebuilder, own, asked } = await setUp({ postBeforeSnapshot: true });
    const before = await balances(l2);
    const history = await rebuildFrom(rebuilder, 2n);
    expect(history.map((r) => r.height)).to.deep.equal([2n]);
    expect((await oracle.entry(0)).exitRoot, "the bad root is gone from the L2").to.equal(0n);
    expect(await oracle.entryCount(), "its entry id stays taken").to.equal(1n);
    expectSameUsers(await balances(l2), before, "every user transaction replayed");
    expect([...own.keys()]).to.deep.equal([100n, 101n]);
    expect(asked.aborted).to.deep.equal([102n, 103n]);
    expect(asked.banned).to.include(BAD);
  });

  it("a root posted after that snapshot: the usual snapshot, the same outcome", async () => {
    const { l2, oracle, rebuilder } = await setUp({ postBeforeSnapshot: false });
    const before = await balances(l2);
    await rebuildFrom(rebuilder, 2n);
    expect((await oracle.entry(0)).exitRoot).to.equal(0n);
    expectSameUsers(await balances(l2), before, "every user transaction replayed");
  });

  it("the L2 drops answers and connections during the replay: the rebuild resumes and re-includes every transaction once", async () => {
    const faults: FlakyProvider["faults"] = [
      { method: "eth_sendRawTransaction", nth: 2, reached: true }, // sent, answer lost
      { method: "eth_sendRawTransaction", nth: 4, reached: false }, // never reached the node
      { method: "eth_getTransactionReceipt", nth: 3, reached: true },
      { method: "evm_snapshot", nth: 1, reached: true }, // the revert's fresh snapshot, answer lost
    ];
    const { l2, oracle, rebuilder, warnings } = await setUp({ postBeforeSnapshot: true, faults });
    const before = await balances(l2);
    const seqNonce = await l2.getTransactionCount(sequencer.address);
    const history = await rebuildFrom(rebuilder, 2n);
    expect(faults.every((f) => f.fired), "every fault happened").to.equal(true);
    expect(warnings.filter((w) => w.includes("rebuild interrupted")).length).to.be.greaterThanOrEqual(2);
    expect(warnings.some((w) => w.includes("rebuild failed") || w.includes("not re-included"))).to.equal(false);
    expect(history.length).to.equal(1);
    expect(history[0].replay!.notReincluded, "nothing refused in the replay").to.deep.equal([]);
    expect(history[0].replay!.fromHeight, "replayed from the snapshot after height 0").to.equal("1");
    expectSameUsers(await balances(l2), before, "every user transaction exactly once");
    expect((await oracle.entry(0)).exitRoot).to.equal(0n);
    // The marker, then the sequencer's post and its own transfer, each once.
    expect(await l2.getTransactionCount(sequencer.address)).to.equal(seqNonce + 1);
  });

  it("a rejection heard during a rebuild waits for it; one whose certificate that rebuild replaced lapses", async () => {
    const { rebuilder, own, metrics } = await setUp({ postBeforeSnapshot: false });
    rebuilder.start(3n, [BAD], 103n);
    rebuilder.start(3n, [], 103n); // the same certificate again: replaced by the running rebuild
    rebuilder.start(2n, [], 102n); // an earlier certificate: still live once the first rebuild is done
    await rebuilder.settled();
    expect(rebuilder.history.map((r) => r.height)).to.deep.equal([3n, 2n]);
    expect([...own.keys()]).to.deep.equal([100n, 101n]);
    // each finished rebuild counted once, with the claims it undid (chain/metrics.ts)
    expect((await metrics.rebuilds.get()).values[0].value).to.equal(2);
    expect((await metrics.claimsUndone.get()).values[0].value).to.equal(rebuilder.history.reduce((a, r) => a + r.failedClaims.length, 0));
  });
});
