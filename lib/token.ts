/**
 * Token identity = (originNetwork, originAddress). A network's gas coin is (thatNetwork, address(0)); on L1
 * (network 0) that is ETH.
 *
 * Balance tree: tokenKey = Poseidon(originNetwork, originAddress); a token is held in a slot of the network's
 * balance tree (2^balanceDepth slots), and the slot's leaf is Poseidon(tokenKey, balance) (0 for an unused slot).
 * The network's model gives a token the next unused slot when it is first credited (lib/network-state.ts); the
 * leaf names the full tokenKey, so no other token can ever be credited or debited in that slot.
 */
import { poseidon } from "./poseidon";
import { isNetworkId } from "./exit-leaf";
import { fitsBits } from "./field";

export interface TokenId {
  originNetwork: number;
  originAddress: bigint;
}

export function tokenKey(t: TokenId): bigint {
  if (!isNetworkId(t.originNetwork)) throw new RangeError(`originNetwork ${t.originNetwork}`);
  if (!fitsBits(t.originAddress, 160)) throw new RangeError(`originAddress ${t.originAddress}`);
  return poseidon([BigInt(t.originNetwork), t.originAddress]);
}

export function balanceLeaf(key: bigint, balance: bigint): bigint {
  return poseidon([key, balance]);
}

export function gasCoin(networkId: number): TokenId {
  return { originNetwork: networkId, originAddress: 0n };
}

export function tokenIdString(t: TokenId): string {
  return `${t.originNetwork}:0x${t.originAddress.toString(16).padStart(40, "0")}`;
}
