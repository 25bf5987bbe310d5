/**
 * The devnet's narrated scenario (PROTOCOL §11): real transactions on the real chains, waiting on the real
 * components, with measured times. Every step returns what it measured; `checkBalances` compares every balance
 * with what the steps imply. Used by `npm start` (scripts/devnet/start.ts) and the end-to-end test.
 */
import { Wallet, ZeroAddress, Contract, JsonRpcProvider } from "ethers";
import { WrappedToken__factory } from "../../typechain-types";
import type { UnifiedBridge } from "../../typechain-types";
import { claimFromNetwork, NoRootYetError, ExitNotFoundError } from "../../chain/claims";
import { DEVNET_PARAMS } from "../../lib/params";
import { revisionOf } from "../../lib/certificate";
import { account, Devnet, eth } from "./devnet";

export interface Timing {
  step: string;
  ms: number;
  detail?: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 180_000, everyMs = 50): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

interface Side {
  provider: JsonRpcProvider;
  bridge: UnifiedBridge;
}

export class Scenario {
  readonly timeline: Timing[] = [];
  readonly alice = account(2);
  readonly bob = account(3);
  readonly carol = account(4);
  private readonly t0 = Date.now();

  constructor(readonly net: Devnet, private readonly say: (line: string) => void = () => undefined) {}

  private side(networkId: number): Side {
    if (networkId === 0) return { provider: this.net.l1.provider, bridge: this.net.l1.layer.bridge };
    const c = this.net.chains.get(networkId)!;
    return { provider: c.provider, bridge: c.bridge };
  }

  walletOn(w: { privateKey: string }, networkId: number): Wallet {
    return this.wallet(w, networkId);
  }

  private wallet(w: { privateKey: string }, networkId: number): Wallet {
    return new Wallet(w.privateKey, this.side(networkId).provider);
  }

  record(step: string, ms: number, detail?: string): void {
    this.timeline.push({ step, ms, detail });
    this.say(`  [${((Date.now() - this.t0) / 1000).toFixed(1).padStart(6)} s] ${step}: ${(ms / 1000).toFixed(2)} s${detail ? ` — ${detail}` : ""}`);
  }

  /** L1's native coin, wrapped on an L2 (the same address on every L2). */
  async wrappedEth(networkId: number): Promise<Contract> {
    const s = this.side(networkId);
    const addr = await s.bridge.wrappedTokenAddress(0, ZeroAddress);
    return WrappedToken__factory.connect(addr, s.provider) as unknown as Contract;
  }

  async wethBalance(networkId: number, who: string): Promise<bigint> {
    const s = this.side(networkId);
    const addr = await s.bridge.wrappedTokenAddress(0, ZeroAddress);
    if ((await s.provider.getCode(addr)) === "0x") return 0n;
    return (await (await this.wrappedEth(networkId)).balanceOf(who)) as bigint;
  }

  /** Sends an exit from `from` and returns its leaf index and the time it was mined. */
  async bridgeOut(from: number, who: { privateKey: string }, to: number, recipient: string, amount: bigint): Promise<{ leafIndex: number; at: number }> {
    const s = this.side(from);
    const w = this.wallet(who, from);
    const token = from === 0 ? ZeroAddress : await s.bridge.wrappedTokenAddress(0, ZeroAddress);
    const tx = await s.bridge.connect(w).bridgeAsset(to, recipient, amount, token, { value: from === 0 ? amount : 0n });
    const rc = await tx.wait();
    const ev = rc!.logs.map((l) => s.bridge.interface.parseLog(l)).find((x) => x?.name === "BridgeExit")!;
    if (from === 0) await (await this.net.l1.layer.bridge.connect(w).checkpointExitRoot()).wait();
    return { leafIndex: Number(ev.args.leafIndex), at: Date.now() };
  }

  /** Claims on `to` as soon as its oracle holds a root covering the exit (the chain's policy decides when). */
  async claimWhenAvailable(from: number, to: number, leafIndex: number, claimer: { privateKey: string }, timeoutMs = 300_000, pollMs = 100): Promise<number> {
    const src = this.side(from);
    const dst = to === 0 ? { bridge: this.net.l1.layer.bridge, oracle: null } : { bridge: this.net.chains.get(to)!.bridge, oracle: this.net.chains.get(to)!.oracle };
    const signer = this.wallet(claimer, to);
    await waitUntil(`a root of network ${from} covering leaf ${leafIndex} on network ${to}`, async () => {
      try {
        await claimFromNetwork({ source: src, dest: { bridge: dst.bridge.connect(signer), oracle: dst.oracle, hub: to === 0 ? this.net.l1.layer.hub : undefined }, sourceNetwork: from, leafIndex, depth: DEVNET_PARAMS.exitDepth });
        return true;
      } catch (e) {
        // An exit not found: the source chain is rebuilding (its L2 taken back, the replay not yet at the exit).
        if (e instanceof NoRootYetError || e instanceof ExitNotFoundError) return false;
        throw e;
      }
    }, timeoutMs, pollMs);
    return Date.now();
  }
}

/** The whole scenario; returns the timeline. Balances are checked along the way (throws on a mismatch). */
/** The dashboard's page of a certificate (GET /dashboard, its detail opened by the fragment). */
export const dashboardLink = (net: Devnet, certificateId: string) => `${net.coordinator.rpc.url}dashboard#cert=${certificateId}`;

export async function runScenario(net: Devnet, say: (line: string) => void): Promise<Scenario> {
  const s = new Scenario(net, say);
  const { alice, bob, carol } = s;
  const expectEq = (what: string, got: bigint, want: bigint) => {
    if (got !== want) throw new Error(`${what}: expected ${want}, got ${got}`);
  };

  say("1. Deposit: alice moves 5 ETH from L1 to chain A");
  let t = Date.now();
  const d = await s.bridgeOut(0, alice, 1, alice.address, eth("5"));
  await s.claimWhenAvailable(0, 1, d.leafIndex, alice);
  s.record("L1 -> A deposit spendable on A", Date.now() - t);
  expectEq("alice's ETH on A", await s.wethBalance(1, alice.address), eth("5"));

  say("2. Fast transfer A -> B: chain B accepts pre-confirmed states");
  t = Date.now();
  const ab = await s.bridgeOut(1, alice, 2, bob.address, eth("1"));
  await s.claimWhenAvailable(1, 2, ab.leafIndex, bob);
  s.record("A -> B (pre-confirmed policy): bridgeAsset to spendable on B", Date.now() - ab.at);
  expectEq("bob's ETH on B", await s.wethBalance(2, bob.address), eth("1"));

  say("3. Transfer B -> A: chain A accepts confirmed states only (B's certificate must be proven first)");
  const ba = await s.bridgeOut(2, bob, 1, alice.address, eth("0.25"));
  await s.claimWhenAvailable(2, 1, ba.leafIndex, alice);
  s.record("B -> A (confirmed policy): bridgeAsset to spendable on A", Date.now() - ba.at);
  expectEq("alice's ETH on A", await s.wethBalance(1, alice.address), eth("4.25"));

  say("4. Cross-chain call: a contract on A calls a counter on B through bridgeMessage (B accepts pre-confirmed states)");
  const A = net.chains.get(1)!;
  const B = net.chains.get(2)!;
  const counterB = B.examples!.counter;
  const pingTx = await (await A.examples!.counter.connect(s.walletOn(alice, 1)).ping(2, await counterB.getAddress(), 42n)).wait();
  const pingLeaf = Number(pingTx!.logs.map((l) => A.bridge.interface.parseLog(l)).find((x) => x?.name === "BridgeExit")!.args.leafIndex);
  const pingAt = Date.now();
  await s.claimWhenAvailable(1, 2, pingLeaf, bob);
  s.record("A -> B cross-chain call executed on B", Date.now() - pingAt);
  expectEq("the counter on B", (await counterB.counts(1, alice.address)) as bigint, 1n);

  say("   Bridge-and-call: alice moves 1 ETH to B and deposits it into a vault on B for bob, in one transaction on A");
  const { deployVault } = await import("../../deploy/examples");
  const wethB = await B.bridge.wrappedTokenAddress(0, ZeroAddress);
  const vault = await deployVault(s.walletOn(account(0), 2), wethB);
  const wethA = await s.wrappedEth(1);
  await (await (wethA.connect(s.walletOn(alice, 1)) as Contract).approve(await A.examples!.bridgeAndCall.getAddress(), eth("1"))).wait();
  const bc = await (await A.examples!.bridgeAndCall.connect(s.walletOn(alice, 1)).bridgeAndDeposit(await wethA.getAddress(), eth("1"), 2, await vault.getAddress(), bob.address)).wait();
  const legs = bc!.logs.map((l) => A.bridge.interface.parseLog(l)).filter((x) => x?.name === "BridgeExit").map((x) => Number(x!.args.leafIndex));
  const bcAt = Date.now();
  await s.claimWhenAvailable(1, 2, legs[0], bob);
  await s.claimWhenAvailable(1, 2, legs[1], bob);
  s.record("A -> B bridge-and-call: bob's vault shares on B", Date.now() - bcAt);
  expectEq("bob's vault shares on B", (await vault.balanceOf(bob.address)) as bigint, eth("1"));
  expectEq("alice's ETH on A", await s.wethBalance(1, alice.address), eth("3.25"));

  say("5. Cascade, part 1: chain A pre-confirms a certificate and never proves it (its prover is off; the backup prover is disabled for A)");
  A.client.setProving(false);
  const rebuildsBefore = B.client.rebuilds.length;
  const bobOnB = await s.wethBalance(2, bob.address);
  const stalled = await s.bridgeOut(1, alice, 2, bob.address, eth("0.5"));
  await s.claimWhenAvailable(1, 2, stalled.leafIndex, bob);
  s.record("A -> B on an unproven A certificate: spendable on B (B accepts pre-confirmed states)", Date.now() - stalled.at);
  expectEq("bob's ETH on B after the early claim", await s.wethBalance(2, bob.address), bobOnB + eth("0.5"));
  const stalledCert = (await net.coordinator.node.getLatestCertificate(1, "PreConfirmed"))!;
  say(`   A's unproven certificate on the dashboard: ${dashboardLink(net, stalledCert.certificateId)}`);
  // A's operator turns the prover back on once the stalled certificate is rejected — not before (it must time out),
  // and not later: A's rebuilt certificates have the same proof deadline, whatever step 6 is waiting for.
  const stalledRejected = (id: string) => net.coordinator.node.getCertificate(BigInt(id)).status === "Rejected";
  const aRecovered = waitUntil("A's stalled certificate rejected", async () => stalledRejected(stalledCert.certificateId), 900_000, 100).then(() => A.client.setProving(true));
  aRecovered.catch(() => undefined); // awaited in step 7; handled here so a timeout before then is not "unhandled"

  say("6. Opt-out chain C while A is stalled: carol deposits from L1; C accepts finalized states only and settles directly on L1");
  let t6 = Date.now();
  const dc = await s.bridgeOut(0, carol, 3, carol.address, eth("2"));
  await s.claimWhenAvailable(0, 3, dc.leafIndex, carol);
  s.record("L1 -> C deposit spendable on C", Date.now() - t6);
  await waitUntil("C's certificate finalized by its own direct settlement (a batch of one)", async () => (await net.coordinator.node.getLatestCertificate(3, "Finalized")) !== null, 400_000, 200);
  const aStill = net.coordinator.node.getCertificate(BigInt(stalledCert.certificateId)).status;
  s.record("C's certificate finalized on L1 by its direct settlement (settleBatch of one)", Date.now() - t6, `A's stalled certificate meanwhile: ${aStill}`);
  expectEq("carol's ETH on C", await s.wethBalance(3, carol.address), eth("2"));

  say("7. Cascade, part 2: A's proof deadline passes; A's certificate and B's dependent one are rejected; B rebuilds without A's root");
  const rebuilt = await waitUntil("B rebuilt without A's rejected root", async () => B.client.rebuilds[rebuildsBefore], 400_000, 200);
  const rejected = net.coordinator.node.getCertificate(BigInt(stalledCert.certificateId));
  s.record("A's proof timeout -> cascade -> B rebuilt", Date.now() - stalled.at, `A's certificate ${rejected.status} (${rejected.rejection?.code}); claims undone on B: ${rebuilt.failedClaims.length}`);
  // On a mismatch, say what B's rebuild replayed (an intermittent failure here is otherwise hard to tell apart).
  const rebuiltDetail = JSON.stringify(rebuilt, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  expectEq(`bob's ETH on B after B's rebuild (the claim against A's rejected root is undone; the rebuild: ${rebuiltDetail})`, await s.wethBalance(2, bob.address), bobOnB);
  const cascaded = net.coordinator.node.getCertificate(BigInt(stalledCert.certificateId)).dependents.filter((d) => d.networkId === 2);
  say(`   the rejection and its cascade on the dashboard: ${dashboardLink(net, stalledCert.certificateId)}${cascaded.length ? ` (B's dependent: ${dashboardLink(net, cascaded[0].certificateId)})` : ""}`);
  say("   A's prover came back when its certificate was rejected: A rebuilt its blocks, submits and proves again; bob claims against A's new root");
  await aRecovered;
  await s.claimWhenAvailable(1, 2, stalled.leafIndex, bob, 400_000);
  s.record("bob's 0.5 ETH back on B after A's recovery", Date.now() - stalled.at);
  expectEq("bob's ETH on B", await s.wethBalance(2, bob.address), bobOnB + eth("0.5"));

  say("8. Withdrawal B -> L1: bob sends 0.2 ETH to his L1 account; claimable once a batch finalizes B's certificate (its leaf registered as an exit-root entry first)");
  const before = await net.l1.provider.getBalance(bob.address);
  const bl = await s.bridgeOut(2, bob, 0, bob.address, eth("0.2"));
  await s.claimWhenAvailable(2, 0, bl.leafIndex, carol, 900_000);
  s.record("B -> L1 withdrawal: bridgeAsset to claimed on L1 (batch settlement + registerExitRoot)", Date.now() - bl.at);
  expectEq("bob's ETH on L1", (await net.l1.provider.getBalance(bob.address)) - before, eth("0.2"));
  expectEq("bob's ETH on B", await s.wethBalance(2, bob.address), bobOnB + eth("0.3"));
  expectEq("alice's ETH on A", await s.wethBalance(1, alice.address), eth("2.75"));

  // A's rejected certificate and its rebuild share a height with different revisions: the rebuild settled with
  // the layer's licence, and the two signed headers are no evidence against A (PROTOCOL §5).
  const height = BigInt(rejected.height);
  const atHeight = net.coordinator.node.d.store.listCertificates().filter((r) => r.networkId === 1 && r.height === height);
  const rebuiltA = atHeight.find((r) => r.status === "Finalized");
  if (!rebuiltA || revisionOf(rebuiltA.certificate) < 1) throw new Error(`A's height ${height}: no finalized rebuild (revisions ${atHeight.map((r) => `${revisionOf(r.certificate)} ${r.status}`).join(", ")})`);
  const rejectedA = atHeight.find((r) => r.certificateId === BigInt(rejected.certificateId))!;
  const hub = net.l1.layer.hub;
  const report = hub.reportEquivocation.staticCall(1, height, revisionOf(rejectedA.certificate), rejectedA.certificateId, rejectedA.certificate.signature, rebuiltA.certificateId, rebuiltA.certificate.signature);
  if (await report.then(() => true, () => false)) throw new Error("A's rejected certificate and its rebuild were accepted as an equivocation");
  if ((await hub.networks(1)).ejected || (await hub.networks(2)).ejected) throw new Error("a chain that rebuilt was ejected");
  say(`   A's height ${height}: revision ${revisionOf(rejectedA.certificate)} rejected, revision ${revisionOf(rebuiltA.certificate)} finalized on L1 with the layer's licence; not slashable`);
  return s;
}
