/**
 * What L1 itself says is finalized: an opt-out chain relays another chain's exit root only once the settlement hub
 * finalized that very certificate (its BatchCertificateFinalized event), never on the coordinator's word alone — a
 * coordinator that lied would otherwise make the chain accept a root L1 never finalized.
 *
 * The hub's finalization events of a network are read incrementally (the network id is indexed) and kept
 * by height; a reorg deeper than the L1 node's head is not undone here (finalized certificates stay finalized).
 */
import { JsonRpcProvider } from "ethers";
import { SettlementHub__factory } from "../typechain-types";
import type { SettlementHub } from "../typechain-types";

export interface FinalizedRef {
  networkId: number;
  height: bigint;
  certificateId: bigint;
  exitRoot: bigint;
}

export class HubFinality {
  private readonly hub: SettlementHub;
  /** Per network: height -> (certificateId, exitRoot), and the last block scanned. */
  private readonly seen = new Map<number, { byHeight: Map<bigint, { certificateId: bigint; exitRoot: bigint }>; scanned: number }>();

  constructor(private readonly provider: JsonRpcProvider, hub: string, private readonly fromBlock = 0) {
    this.hub = SettlementHub__factory.connect(hub, provider);
  }

  close(): void {
    this.provider.destroy();
  }

  /** Whether L1 finalized exactly this certificate with exactly this exit root. */
  async isFinalized(r: FinalizedRef): Promise<boolean> {
    const known = await this.refresh(r.networkId);
    const f = known.get(r.height);
    return f !== undefined && f.certificateId === r.certificateId && f.exitRoot === r.exitRoot;
  }

  private async refresh(networkId: number): Promise<Map<bigint, { certificateId: bigint; exitRoot: bigint }>> {
    let s = this.seen.get(networkId);
    if (!s) this.seen.set(networkId, (s = { byHeight: new Map(), scanned: this.fromBlock - 1 }));
    const head = await this.provider.getBlockNumber();
    if (head > s.scanned) {
      const logs = await this.hub.queryFilter(this.hub.filters.BatchCertificateFinalized(networkId), s.scanned + 1, head);
      for (const l of logs) s.byHeight.set(l.args.height, { certificateId: l.args.certificateId, exitRoot: l.args.newLocalExitRoot });
      s.scanned = head;
    }
    return s.byHeight;
  }
}
