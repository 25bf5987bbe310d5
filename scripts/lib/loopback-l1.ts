/**
 * An in-memory L1 for the coordinator, behind its L1Client interface: a settlement hub that registers networks,
 * settles batches (settleBatch) and emits the hub's events (NetworkRegistered, BatchCertificateFinalized,
 * BatchSettled) with the hub's argument names, in blocks mined one per transaction. It exists so that the soak
 * (scripts/soak-coordinator.ts) and tests can drive the coordinator's whole lifecycle at a rate a Hardhat node cannot
 * reach; it is a test seam, never a production path.
 *
 * What it checks of a settlement, as the hub does (lib/batch-settlement.ts, contracts/settlement/BatchSettlement.sol):
 * the shape of the public signals, that every slot's network is registered and not ejected, that each slot
 * continues its network's tip (StaleTip, both when the coordinator estimates the transaction and when it is mined),
 * and that a stated L1 checkpoint is checkpoint 0. What it does not: the sequencers' signatures, the rejection
 * licences of rebuilt revisions, the dependencies' locators, the bundles and the certificate proofs (the soak's
 * proofs are markers). The batch root is the model's (batchRoot of the slots' leaves), as the hub computes it.
 *
 * Memory: it keeps the last WINDOW_BLOCKS blocks and their receipts (the coordinator reads L1 at its cursor, a few
 * blocks behind the head), so a long soak does not measure the fake L1's growth.
 */
import { keccak256, toUtf8Bytes, TransactionReceipt } from "ethers";
import { LayerParams } from "../../lib/params";
import { genesisStateCommitment } from "../../lib/network-state";
import { batchLeaf, batchRoot, tipOf } from "../../lib/batch-settlement";
import { zeroHash } from "../../lib/poseidon";
import { L1Client, SignedTx } from "../../coordinator/l1/client";
import type { StoredL1Event } from "../../coordinator/store/store";

const WINDOW_BLOCKS = 256;
const SETTLER = "0x000000000000000000000000000000000000a11c";

export interface LoopbackNetwork {
  networkId: number;
  sequencer: string;
  policyFlags: number;
}

interface Block {
  number: number;
  hash: string;
  events: StoredL1Event[];
}

interface Mined {
  blockNumber: number;
  blockHash: string;
  status: 0 | 1;
}

const blockHashOf = (n: number) => keccak256(toUtf8Bytes(`loopback block ${n}`));
const decimal = (x: bigint | number) => x.toString();

/** The certificate circuit's D and B: the public signals per proof are 7 + 3 D + 2 B (docs/protocol.md §9). */
export interface LoopbackShape {
  maxDependencies: number;
  maxBundles: number;
}

interface SettledSlot {
  networkId: number;
  height: bigint;
  certificateId: bigint;
  newLocalExitRoot: bigint;
  newTip: string;
}

export class LoopbackL1 extends L1Client {
  private readonly blocks = new Map<number, Block>();
  private headNumber = 0;
  private batches = 0;
  private nonce = 0;
  private readonly networks = new Map<number, LoopbackNetwork & { ejected: boolean }>();
  /** keccak256(abi.encode(stateCommitment, nextHeight)) of each network's last settled certificate. */
  private readonly tips = new Map<number, string>();
  /** Signed, not yet mined: raw -> calldata. */
  private readonly pending = new Map<string, string>();
  private readonly mined = new Map<string, Mined>();
  private readonly layer: string;
  private readonly shape: LoopbackShape;
  /** The single L1 exit-root checkpoint (0): the empty L1 exit tree's root; the soak imports nothing from L1. */
  private readonly checkpoint0: bigint;

  constructor(
    readonly params: LayerParams,
    o: { hub: string; bridge: string; networks: LoopbackNetwork[]; shape: LoopbackShape; layerSigner?: string },
  ) {
    // the base class's provider is never asked anything: every method it would serve is overridden below
    super({ rpcUrl: "http://127.0.0.1:9", hub: o.hub, bridge: o.bridge });
    this.layer = o.layerSigner ?? SETTLER;
    this.shape = o.shape;
    this.checkpoint0 = zeroHash(params.exitDepth);
    const genesis = tipOf(genesisStateCommitment(params), 0n);
    this.mine(
      "0x" + "00".repeat(32),
      o.networks.map((n) => {
        this.networks.set(n.networkId, { ...n, ejected: false });
        this.tips.set(n.networkId, genesis);
        return { name: "NetworkRegistered", args: { networkId: decimal(n.networkId), sequencer: n.sequencer, policyFlags: decimal(n.policyFlags), stake: "1000000000000000000" } };
      }),
    );
  }

  override get canSend(): boolean {
    return true;
  }

  override get settlerAddress(): string {
    return SETTLER;
  }

  override async chainId(): Promise<bigint> {
    return 31337n;
  }

  /** The layer key's address as the hub holds it (the coordinator checks its l1.layerKey against it). */
  override async layerSigner(): Promise<string> {
    return this.layer;
  }

  override async batchCount(): Promise<bigint> {
    return BigInt(this.batches);
  }

  override async batchShape(): Promise<LoopbackShape> {
    return this.shape;
  }

  override async head(): Promise<number> {
    return this.headNumber;
  }

  override async blockHash(n: number): Promise<string | null> {
    return n <= this.headNumber ? blockHashOf(n) : null;
  }

  override async hubEvents(from: number, to: number): Promise<StoredL1Event[]> {
    const out: StoredL1Event[] = [];
    for (let n = Math.max(from, this.headNumber - WINDOW_BLOCKS + 1); n <= Math.min(to, this.headNumber); n++) out.push(...(this.blocks.get(n)?.events ?? []));
    return out;
  }

  override async checkpointRoot(number: bigint): Promise<bigint | null> {
    return number === 0n ? this.checkpoint0 : null;
  }

  override async latestCheckpoint(): Promise<{ number: bigint; exitRoot: bigint }> {
    return { number: 0n, exitRoot: this.checkpoint0 };
  }

  override forgetCheckpoints(): void {}

  /** Like eth_estimateGas, throws what the hub would revert with; the raw transaction is the calldata with a nonce. */
  override async signHubCall(data: string): Promise<SignedTx> {
    this.settlementEffects(data);
    const nonce = this.nonce++;
    const raw = `${nonce}:${data}`;
    this.pending.set(raw, data);
    return { raw, hash: keccak256(toUtf8Bytes(raw)), nonce };
  }

  /** Mines the transaction in a block of its own (a revert is mined too, with status 0). */
  override async broadcast(raw: string): Promise<void> {
    const data = this.pending.get(raw);
    const hash = keccak256(toUtf8Bytes(raw));
    if (data === undefined || this.mined.has(hash)) return;
    this.pending.delete(raw);
    let events: Omit<StoredL1Event, "blockNumber" | "blockHash" | "logIndex" | "txHash">[] = [];
    let status: 0 | 1 = 1;
    try {
      events = this.settle(data);
    } catch {
      status = 0;
    }
    const block = this.mine(hash, events);
    this.mined.set(hash, { blockNumber: block.number, blockHash: block.hash, status });
  }

  override async receipt(hash: string): Promise<TransactionReceipt | null> {
    const m = this.mined.get(hash);
    return m ? ({ status: m.status, blockNumber: m.blockNumber, blockHash: m.blockHash, gasUsed: 0n, hash } as unknown as TransactionReceipt) : null;
  }

  override async transactionKnown(hash: string): Promise<boolean> {
    return this.mined.has(hash) || [...this.pending.keys()].some((raw) => keccak256(toUtf8Bytes(raw)) === hash);
  }

  override async minedNonce(): Promise<number> {
    return this.nonce - this.pending.size;
  }

  override destroy(): void {}

  /** Blocks and receipts the fake L1 holds now (the soak checks they stay bounded). */
  get held(): { blocks: number; receipts: number } {
    return { blocks: this.blocks.size, receipts: this.mined.size };
  }

  // ------------------------------------------------------------------------------------------------ the hub

  /** The slots settleBatch(data) would finalize, in slot order, or what the hub would revert with. */
  private settlementEffects(data: string): SettledSlot[] {
    const call = this.hubInterface.parseTransaction({ data });
    if (!call || call.name !== "settleBatch") throw new Error(`the loopback hub settles batches only, not ${call?.name ?? "this call"}`);
    const [settlement] = call.args as unknown as [{ proofs: unknown[]; publicSignals: bigint[]; slots: unknown[] }];
    const m = 7 + 3 * this.shape.maxDependencies + 2 * this.shape.maxBundles;
    const count = settlement.slots.length;
    if (count === 0) throw new Error("EmptySettlement()");
    if (settlement.proofs.length !== count || settlement.publicSignals.length !== count * m) throw new Error(`SettlementShapeMismatch(${count}, ${settlement.proofs.length}, ${settlement.publicSignals.length})`);
    const tips = new Map(this.tips);
    const out: SettledSlot[] = [];
    for (let i = 0; i < count; i++) {
      const [certificateId, word, prevState, newState, newLocalExitRoot, , checkpointRoot] = settlement.publicSignals.slice(i * m, i * m + 7).map(BigInt);
      const networkId = Number(word & 0xffffffffn);
      const height = (word >> 32n) & 0xffffffffffffffffn;
      const n = this.networks.get(networkId);
      if (!n || n.ejected) throw new Error(`NetworkNotActive(${networkId})`);
      if (checkpointRoot !== 0n && checkpointRoot !== this.checkpoint0) throw new Error(`CheckpointMismatch(${checkpointRoot})`);
      const given = tipOf(prevState, height);
      if (tips.get(networkId) !== given) throw new Error(`StaleTip(${networkId}, ${height})`);
      const newTip = tipOf(newState, height + 1n);
      tips.set(networkId, newTip);
      out.push({ networkId, height, certificateId, newLocalExitRoot, newTip });
    }
    return out;
  }

  private settle(data: string): Omit<StoredL1Event, "blockNumber" | "blockHash" | "logIndex" | "txHash">[] {
    const slots = this.settlementEffects(data);
    const batchId = ++this.batches;
    for (const s of slots) this.tips.set(s.networkId, s.newTip);
    const root = batchRoot(slots.map((s) => batchLeaf({ networkId: s.networkId, height: s.height, certificateId: s.certificateId, exitRoot: s.newLocalExitRoot })));
    return [
      ...slots.map((s, index) => ({
        name: "BatchCertificateFinalized",
        args: { networkId: decimal(s.networkId), height: decimal(s.height), certificateId: decimal(s.certificateId), newLocalExitRoot: decimal(s.newLocalExitRoot), batchId: decimal(batchId), index: decimal(index) },
      })),
      { name: "BatchSettled", args: { batchId: decimal(batchId), root, count: decimal(slots.length) } },
    ];
  }

  private mine(txHash: string, events: Omit<StoredL1Event, "blockNumber" | "blockHash" | "logIndex" | "txHash">[]): Block {
    const number = ++this.headNumber;
    const hash = blockHashOf(number);
    const block = { number, hash, events: events.map((e, logIndex) => ({ ...e, blockNumber: number, blockHash: hash, logIndex, txHash })) };
    this.blocks.set(number, block);
    this.blocks.delete(number - WINDOW_BLOCKS);
    for (const [h, m] of this.mined) {
      if (m.blockNumber > number - WINDOW_BLOCKS) break;
      this.mined.delete(h);
    }
    return block;
  }
}
