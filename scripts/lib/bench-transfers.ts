/**
 * A benchmark's transfers made the way a careful wallet makes them on an overloaded devnet:
 * - a bridgeAsset is signed once and sent again by hash when an answer is lost (a node that hangs up may have mined
 *   it), so a transfer is neither lost nor made twice;
 * - a claim finds its exit by the bridgeAsset's transaction, read again before every try: a rebuild of the source
 *   chain replays its users' transactions as they were signed (same hashes) but may give their exits other leaf
 *   indices;
 * - a claim whose earlier try landed although its answer was lost ("already claimed") is made.
 */
import type { HDNodeWallet } from "ethers";
import { Transaction, Wallet, ZeroAddress } from "ethers";
import type { Devnet } from "../devnet/devnet";
import { sleep } from "../devnet/scenario";
import type { Scenario } from "../devnet/scenario";
import { isConnectionError } from "../../chain/rpc-errors";
import { AlreadyClaimedError, ClaimError } from "../../chain/claims";

/** How long a lost answer is waited for before the same signed transaction is sent again. */
const RESEND_AFTER_MS = 5_000;
const RETRY_PAUSE_MS = 2_000;

/** The leaf index of the BridgeExit in transaction `txHash` on network `from`, or null while it is not (or no longer) mined. */
export async function leafIndexOf(net: Devnet, from: number, txHash: string): Promise<number | null> {
  const c = net.chains.get(from)!;
  const rc = await c.provider.getTransactionReceipt(txHash);
  if (!rc) return null;
  const ev = rc.logs.map((l) => { try { return c.bridge.interface.parseLog(l); } catch { return null; } }).find((x) => x?.name === "BridgeExit");
  return ev ? Number(ev.args.leafIndex) : null;
}

/** `fn` again after a pause while it fails on a connection error, until `deadline`. */
async function retryConnection<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!isConnectionError(e) || Date.now() >= deadline) throw e;
      await sleep(RETRY_PAUSE_MS);
    }
  }
}

/** One sender's bridgeAsset of wrapped L1 ETH from L2 `from`, mined once; resolves with its hash and leaf index. */
export async function bridgeOnce(net: Devnet, from: number, who: HDNodeWallet, to: number, recipient: string, amount: bigint, deadline: number): Promise<{ txHash: string; leafIndex: number; at: number }> {
  const c = net.chains.get(from)!;
  const w = new Wallet(who.privateKey, c.provider);
  // The reads that build the transaction (token, nonce, fees) are tried again when the node hangs up: nothing is sent yet.
  const raw = await retryConnection(async () => {
    const token = await c.bridge.wrappedTokenAddress(0, ZeroAddress);
    const req = await c.bridge.connect(w).bridgeAsset.populateTransaction(to, recipient, amount, token);
    return w.signTransaction(await w.populateTransaction(req));
  }, deadline);
  const txHash = Transaction.from(raw).hash!;
  while (Date.now() < deadline) {
    try {
      await c.provider.broadcastTransaction(raw);
    } catch (e) {
      // Sent before and mined, or still in the node's pool: wait for it below. Anything else is the caller's.
      if (!isConnectionError(e) && !/already known|nonce too low|nonce has already been used/i.test(String((e as Error).message))) throw e;
    }
    const until = Date.now() + RESEND_AFTER_MS;
    while (Date.now() < until) {
      const leaf = await leafIndexOf(net, from, txHash).catch(() => null);
      if (leaf !== null) return { txHash, leafIndex: leaf, at: Date.now() };
      await sleep(250);
    }
  }
  throw new Error(`bridgeAsset ${txHash} not mined before the deadline`);
}

/**
 * Claims on `to` the exit made by `txHash` on `from`, once a root covering it is there, until `deadline`. Returns
 * when the claim was made (or found made); throws a claim error that is not about time (e.g. a wrong destination
 * that persists after reading the exit again).
 */
export async function claimOnce(s: Scenario, net: Devnet, t: { from: number; to: number; txHash: string; claimer: HDNodeWallet }, deadline: number, pollMs: number): Promise<{ at: number; leafIndex: number }> {
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    const leaf = await leafIndexOf(net, t.from, t.txHash).catch(() => null);
    if (leaf === null) {
      // The source is rebuilding (its L2 taken back, the replay not yet at the exit), or its node is overloaded.
      await sleep(RETRY_PAUSE_MS);
      continue;
    }
    try {
      const at = await s.claimWhenAvailable(t.from, t.to, leaf, t.claimer, Math.max(1000, deadline - Date.now()), pollMs);
      return { at, leafIndex: leaf };
    } catch (e) {
      lastError = e;
      if (e instanceof AlreadyClaimedError || /AlreadyClaimed|is already claimed|0x04abac11/.test(String((e as Error).message))) return { at: Date.now(), leafIndex: leaf };
      // A rebuild of the source moved the exit between the read above and the claim: read it again.
      if (e instanceof ClaimError && (e.code === "WRONG_DESTINATION" || e.code === "EXIT_NOT_FOUND")) {
        await sleep(RETRY_PAUSE_MS);
        continue;
      }
      if (isConnectionError(e)) {
        await sleep(RETRY_PAUSE_MS);
        continue;
      }
      throw e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`claim of ${t.txHash} not made before the deadline`);
}
