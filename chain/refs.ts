/** Small keys shared by the chain client's parts (chain/client.ts). */

/** A source certificate as one string: how relayed, banned and rebuilt-without roots are named (and persisted). */
export const refKey = (r: { networkId: number; height: bigint | string; certificateId: bigint | string }) => `${r.networkId}/${BigInt(r.height)}/${BigInt(r.certificateId)}`;

/** Certificate ids as the coordinator's RPC takes them. */
export const hex = (x: bigint) => "0x" + x.toString(16);

/** Bridge events a certificate holds: how many of the re-read L2 events it accounts for. */
export const eventCount = (c: { bridgeExits: unknown[]; importedExits: unknown[] }) => c.bridgeExits.length + c.importedExits.length;
