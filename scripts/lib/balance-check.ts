/**
 * The end-of-run balance check of the devnet benchmarks (bench:finality, and its 2,000-transfer soak): every
 * balance the run touched, on every chain and on L1, against what the run's own ledger says it must be, and each
 * chain's wrapped L1 ETH against the layer's accounted balance of that token for the network (the reference model's
 * NetworkState, as the coordinator's L1 mirror holds it once the chain's certificates are finalized).
 *
 * The ledger: every deposit L1 -> chain that was claimed, every transfer chain -> chain that was mined (its
 * amount burnt on the source) and claimed (minted on the destination). The devnet's transfers move L1's ETH only.
 */
import type { Devnet } from "../devnet/devnet";
import type { Scenario } from "../devnet/scenario";

export interface LedgerEntry {
  from: number;
  to: number;
  /** Who receives on `to`. */
  recipient: string;
  /** Who pays on `from` (on L1: ETH; on a chain: wrapped L1 ETH). */
  sender: string;
  amount: bigint;
  /** Mined on the source (burnt there / locked on L1). */
  sent: boolean;
  /** Claimed on the destination (minted there). */
  claimed: boolean;
}

export interface BalanceCheck {
  ok: boolean;
  lines: string[];
  mismatches: string[];
  checked: number;
}

/**
 * `accounted(k)`: the layer's accounted balance of L1's ETH for network k (null: not known). `l1Locked0`: the L1
 * bridge's ETH balance before the run's first deposit.
 */
export async function checkBalances(
  net: Devnet,
  s: Scenario,
  ledger: readonly LedgerEntry[],
  chains: readonly number[],
  l1Locked0: bigint,
  accounted: (networkId: number) => bigint | null,
  names: Record<number, string>,
): Promise<BalanceCheck> {
  const mismatches: string[] = [];
  let checked = 0;
  const expectEq = (what: string, actual: bigint, expected: bigint) => {
    checked++;
    if (actual !== expected) mismatches.push(`${what}: ${actual} on chain, ${expected} expected (${actual - expected > 0n ? "+" : ""}${actual - expected})`);
  };
  // Per holder, per network: expected wrapped-ETH balance (chains only; L1 senders pay gas too, so L1 is checked
  // through the bridge's locked balance instead).
  const holders = new Map<string, bigint>();
  const add = (k: number, who: string, x: bigint) => holders.set(`${k}:${who.toLowerCase()}`, (holders.get(`${k}:${who.toLowerCase()}`) ?? 0n) + x);
  const supply = new Map<number, bigint>(chains.map((k) => [k, 0n]));
  let lockedOnL1 = 0n;
  for (const e of ledger) {
    if (e.sent && e.from === 0) lockedOnL1 += e.amount;
    if (e.sent && e.from !== 0) {
      add(e.from, e.sender, -e.amount);
      supply.set(e.from, supply.get(e.from)! - e.amount);
    }
    if (e.claimed && e.to !== 0) {
      add(e.to, e.recipient, e.amount);
      supply.set(e.to, supply.get(e.to)! + e.amount);
    }
  }
  const lines: string[] = [];
  for (const k of chains) {
    const weth = await s.wrappedEth(k);
    const total = (await weth.totalSupply()) as bigint;
    expectEq(`${names[k]}: wrapped L1 ETH total supply`, total, supply.get(k)!);
    const acc = accounted(k);
    if (acc !== null) expectEq(`${names[k]}: the layer's accounted L1 ETH (finalized state) against the supply on ${names[k]}`, acc, total);
    let n = 0;
    for (const [key, want] of holders) {
      const [net0, who] = key.split(":");
      if (Number(net0) !== k) continue;
      expectEq(`${names[k]}: balance of ${who}`, (await s.wethBalance(k, who)) as bigint, want);
      n++;
    }
    lines.push(`  ${names[k]}: wrapped L1 ETH supply ${fmt(total)} (ledger ${fmt(supply.get(k)!)}), layer's accounted ${acc === null ? "unknown" : fmt(acc)}; ${n} holders checked`);
  }
  const l1Bridge = String(net.l1.layer.bridge.target);
  const locked = await net.l1.provider.getBalance(l1Bridge);
  expectEq("L1: ETH locked in the L1 bridge (deposits of this run)", locked - l1Locked0, lockedOnL1);
  const sumAccounted = chains.map(accounted).reduce<bigint | null>((a, x) => (a === null || x === null ? null : a + x), 0n);
  // Every wei the L1 bridge holds was deposited to some chain and is accounted to exactly one network.
  if (sumAccounted !== null) expectEq("L1: ETH locked in the L1 bridge against the sum of the chains' accounted balances", locked, sumAccounted);
  lines.push(`  L1: ${fmt(locked - l1Locked0)} ETH locked by this run (ledger ${fmt(lockedOnL1)}), sum of accounted balances ${sumAccounted === null ? "unknown" : fmt(sumAccounted)}`);
  return { ok: mismatches.length === 0, lines, mismatches, checked };
}

const fmt = (x: bigint) => (Number(x) / 1e18).toFixed(4);
