/**
 * Reads a chain's own bridge activity from its L2 node, block by block, as the certificate builder needs it:
 * exits (BridgeExit events, with their full leaf) and imports (ExitClaimed events, completed from the claim
 * transaction's calldata — the Merkle proof — and the oracle entry the claim used, which names the source
 * certificate). Claims must be direct calls of the bridge (the devnet's are); anything else is reported.
 */
import { JsonRpcProvider, Log } from "ethers";
import { UnifiedBridge__factory, ExitRootOracle__factory } from "../typechain-types";
import type { ExitLeaf, ImportedExit } from "../lib";
import { fieldKeccak, LeafType } from "../lib";
import { exitFromEvent, MirroredExit } from "./exit-tree-mirror";

export type BridgeEvent =
  | { kind: "exit"; block: number; logIndex: number; exit: MirroredExit }
  | { kind: "import"; block: number; logIndex: number; txHash: string; import: ImportedExit; oracleEntry: bigint };

export class UnsupportedClaimError extends Error {
  constructor(readonly txHash: string, detail: string) {
    super(`claim in ${txHash}: ${detail}`);
    this.name = "UnsupportedClaimError";
  }
}

const bridgeIface = UnifiedBridge__factory.createInterface();

export class L2Follower {
  private readonly oracle;

  constructor(
    readonly provider: JsonRpcProvider,
    readonly bridgeAddress: string,
    oracleAddress: string,
    readonly networkId: number,
  ) {
    this.oracle = ExitRootOracle__factory.connect(oracleAddress, provider);
  }

  head(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  /** A block's hash and state root (raw RPC: the state root is what a certificate commits to). */
  async block(n: number): Promise<{ hash: string; stateRoot: string }> {
    const b = (await this.provider.send("eth_getBlockByNumber", ["0x" + n.toString(16), false])) as { hash: string; stateRoot: string } | null;
    if (!b) throw new Error(`L2 block ${n} not found`);
    return { hash: b.hash, stateRoot: b.stateRoot };
  }

  /** The bridge events of blocks [from, to], in chain order. */
  async events(from: number, to: number): Promise<BridgeEvent[]> {
    if (to < from) return [];
    const logs: Log[] = await this.provider.getLogs({ address: this.bridgeAddress, fromBlock: from, toBlock: to });
    const out: BridgeEvent[] = [];
    for (const log of logs) {
      const ev = bridgeIface.parseLog(log);
      if (ev?.name === "BridgeExit") out.push({ kind: "exit", block: log.blockNumber, logIndex: log.index, exit: exitFromEvent(ev) });
      else if (ev?.name === "ExitClaimed") out.push(await this.importOf(log, Number(ev.args.sourceNetwork), Number(ev.args.leafIndex), BigInt(ev.args.oracleEntry)));
    }
    return out;
  }

  private async importOf(log: Log, sourceNetwork: number, leafIndex: number, oracleEntry: bigint): Promise<BridgeEvent> {
    const tx = await this.provider.getTransaction(log.transactionHash);
    if (!tx || tx.to?.toLowerCase() !== this.bridgeAddress.toLowerCase()) throw new UnsupportedClaimError(log.transactionHash, "not a direct call of the bridge");
    const call = bridgeIface.parseTransaction({ data: tx.data });
    if (!call || (call.name !== "claimAsset" && call.name !== "claimMessage")) throw new UnsupportedClaimError(log.transactionHash, "not claimAsset/claimMessage");
    const [proof, exit] = call.args as unknown as [{ oracleEntry: bigint; leafIndex: bigint; siblings: bigint[] }, { originNetwork: bigint; originAddress: string; destinationNetwork: bigint; destinationAddress: string; amount: bigint; metadata: string }];
    const entry = await this.oracle.entry(oracleEntry, { blockTag: log.blockNumber });
    const leaf: ExitLeaf = {
      leafType: call.name === "claimAsset" ? LeafType.Asset : LeafType.Message,
      originNetwork: Number(exit.originNetwork),
      originAddress: BigInt(exit.originAddress),
      destinationNetwork: Number(exit.destinationNetwork),
      destinationAddress: BigInt(exit.destinationAddress),
      amount: exit.amount,
      metadataHash: fieldKeccak(exit.metadata),
    };
    const imp: ImportedExit = {
      leaf,
      leafIndex,
      source: { networkId: Number(entry.networkId), height: entry.height, certificateId: entry.certificateId },
      sourceExitRoot: entry.exitRoot,
      siblings: proof.siblings.map((s) => BigInt(s)),
    };
    if (imp.source.networkId !== sourceNetwork) throw new UnsupportedClaimError(log.transactionHash, "oracle entry of another network");
    return { kind: "import", block: log.blockNumber, logIndex: log.index, txHash: log.transactionHash, import: imp, oracleEntry };
  }
}
