/**
 * An in-memory L1 for the coordinator, behind its L1Client interface: a settlement hub that registers networks,
 * settles epochs and emits the hub's events (NetworkRegistered, EpochSettled, CertificateFinalized) with the hub's
 * argument names, in blocks mined one per transaction. It exists so that the soak (scripts/soak-coordinator.ts)
 * and tests can drive the coordinator's whole lifecycle at a rate a Hardhat node cannot reach; it is a test seam,
 * never a production path.
 *
 * What it checks of a settlement, as the hub does: the slot count against the capacity, that every slot's network
 * is registered and not ejected, and that the old global root is the current one (StaleGlobalRoot, both when the
 * coordinator estimates the transaction and when it is mined). What it does not: the sequencers' signatures, the
 * rejection licences of rebuilt revisions and the
 * aggregation proof (the soak's proofs are replaced too); the new root is taken from the calldata, as the hub does
 * once the proof verifies.
 *
 * Memory: it keeps the last WINDOW_BLOCKS blocks and their receipts (the coordinator reads L1 at its cursor, a few
 * blocks behind the head), so a long soak does not measure the fake L1's growth.
 */
import { keccak256, toUtf8Bytes, TransactionReceipt } from "ethers";
import { GlobalState, GlobalParams } from "../../lib/global-state";
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

export class LoopbackL1 extends L1Client {
  private readonly blocks = new Map<number, Block>();
  private headNumber = 0;
  private root: bigint;
  private epoch = 0;
  private nonce = 0;
  private readonly networks = new Map<number, LoopbackNetwork & { ejected: boolean }>();
  /** Signed, not yet mined: raw -> calldata. */
  private readonly pending = new Map<string, string>();
  private readonly mined = new Map<string, Mined>();
  private readonly layer: string;
  /** The single L1 exit-root checkpoint (0): the empty L1 exit tree's root; the soak imports nothing from L1. */
  private readonly checkpoint0: bigint;

  constructor(
    readonly params: GlobalParams,
    o: { hub: string; bridge: string; networks: LoopbackNetwork[]; layerSigner?: string },
  ) {
    // the base class's provider is never asked anything: every method it would serve is overridden below
    super({ rpcUrl: "http://127.0.0.1:9", hub: o.hub, bridge: o.bridge });
    this.root = new GlobalState(params).root();
    this.layer = o.layerSigner ?? SETTLER;
    this.checkpoint0 = zeroHash(params.exitDepth);
    this.mine(
      "0x" + "00".repeat(32),
      o.networks.map((n) => {
        this.networks.set(n.networkId, { ...n, ejected: false });
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

  /** The loopback hub settles epochs. */
  override async settlementMode(): Promise<"Epochs" | "Batches"> {
    return "Epochs";
  }

  override async globalRoot(): Promise<bigint> {
    return this.root;
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

  private settlementEffects(data: string): { slots: { networkId: bigint; height: bigint; certificateId: bigint; newLocalExitRoot: bigint }[]; newRoot: bigint; checkpoint: bigint } {
    const call = this.hubInterface.parseTransaction({ data });
    if (!call || call.name !== "settleEpoch") throw new Error(`the loopback hub settles epochs only, not ${call?.name ?? "this call"}`);
    const [, slotCapacity, oldRoot, newRoot, checkpoint, slots] = call.args as unknown as [unknown, bigint, bigint, bigint, bigint, { networkId: bigint; height: bigint; certificateId: bigint; newLocalExitRoot: bigint }[]];
    if (slots.length === 0 || BigInt(slots.length) > slotCapacity) throw new Error(`SlotCountOutOfRange(${slots.length}, ${slotCapacity})`);
    if (oldRoot !== this.root) throw new Error(`StaleGlobalRoot(${oldRoot}, ${this.root})`);
    if (checkpoint !== 0n) throw new Error(`UnknownCheckpoint(${checkpoint})`);
    for (const s of slots) {
      const n = this.networks.get(Number(s.networkId));
      if (!n || n.ejected) throw new Error(`NetworkNotActive(${s.networkId})`);
    }
    return { slots: [...slots], newRoot, checkpoint };
  }

  private settle(data: string): Omit<StoredL1Event, "blockNumber" | "blockHash" | "logIndex" | "txHash">[] {
    const { slots, newRoot, checkpoint } = this.settlementEffects(data);
    const oldRoot = this.root;
    this.root = newRoot;
    const epoch = ++this.epoch;
    return [
      { name: "EpochSettled", args: { epoch: decimal(epoch), oldGlobalRoot: decimal(oldRoot), newGlobalRoot: decimal(newRoot), l1CheckpointNumber: decimal(checkpoint), slotCount: decimal(slots.length) } },
      ...slots.map((s) => ({
        name: "CertificateFinalized",
        args: { networkId: decimal(s.networkId), height: decimal(s.height), certificateId: decimal(s.certificateId), newLocalExitRoot: decimal(s.newLocalExitRoot), exitRootEntry: "0", epoch: decimal(epoch) },
      })),
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
