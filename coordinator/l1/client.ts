/**
 * The coordinator's connection to L1: reads (head, blocks, the hub's logs, the bridge's exit-root checkpoints)
 * and the settler account's transactions. Transactions are signed here and broadcast separately, so that the
 * caller can store the signed transaction before it leaves the process (a crash never loses track of one).
 */
import { FetchRequest, JsonRpcProvider, Network, Wallet, Log, TransactionReceipt, Interface } from "ethers";
import { SettlementHub__factory, UnifiedBridge__factory } from "../../typechain-types";
import type { SettlementHub, UnifiedBridge } from "../../typechain-types";
import type { StoredL1Event } from "../store/store";

export interface L1ClientOptions {
  rpcUrl: string;
  hub: string;
  bridge: string;
  settlerKey?: string;
  /**
   * L1's chain id when it is already known (coordinator/preflight.ts asks for it first). Without it ethers
   * detects the network itself, and retries that forever (every second) while the endpoint does not answer.
   */
  chainId?: bigint;
  /** Every request fails after this long without an answer (default: ethers' 5 minutes). */
  timeoutMs?: number;
}

export interface SignedTx {
  raw: string;
  hash: string;
  nonce: number;
}

const jsonArg = (v: unknown): unknown => (typeof v === "bigint" ? v.toString() : Array.isArray(v) ? v.map(jsonArg) : v);

export class L1Client {
  readonly provider: JsonRpcProvider;
  readonly hub: SettlementHub;
  readonly bridge: UnifiedBridge;
  readonly hubInterface: Interface;
  private readonly wallet: Wallet | null;
  private readonly checkpoints = new Map<bigint, bigint>();
  private chainIdCache: bigint | null = null;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(readonly o: L1ClientOptions) {
    const request = new FetchRequest(o.rpcUrl);
    if (o.timeoutMs !== undefined) request.timeout = o.timeoutMs;
    const network = o.chainId === undefined ? undefined : Network.from(o.chainId);
    this.provider = new JsonRpcProvider(request, network, { staticNetwork: network ?? true, batchMaxCount: 1, cacheTimeout: -1 });
    if (o.chainId !== undefined) this.chainIdCache = o.chainId;
    this.provider.pollingInterval = 200;
    this.hub = SettlementHub__factory.connect(o.hub, this.provider);
    this.bridge = UnifiedBridge__factory.connect(o.bridge, this.provider);
    this.hubInterface = SettlementHub__factory.createInterface();
    this.wallet = o.settlerKey ? new Wallet(o.settlerKey, this.provider) : null;
  }

  get canSend(): boolean {
    return this.wallet !== null;
  }

  get settlerAddress(): string | null {
    return this.wallet?.address ?? null;
  }

  async chainId(): Promise<bigint> {
    this.chainIdCache ??= (await this.provider.getNetwork()).chainId;
    return this.chainIdCache;
  }

  /** The address whose signature the hub takes as the layer's (rejection licences). */
  layerSigner(): Promise<string> {
    return this.hub.layerSigner();
  }

  /** Batches the hub settled so far (the last batch id). */
  batchCount(): Promise<bigint> {
    return this.hub.batchCount();
  }

  /** The certificate circuit's D (dependencies) and B (bundle legs) that the hub's batch verifier takes. */
  async batchShape(): Promise<{ maxDependencies: number; maxBundles: number }> {
    const [d, b] = await Promise.all([this.hub.maxDependencies(), this.hub.maxBundles()]);
    return { maxDependencies: Number(d), maxBundles: Number(b) };
  }

  head(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  async blockHash(n: number): Promise<string | null> {
    const b = await this.provider.getBlock(n);
    return b?.hash ?? null;
  }

  /** The hub's logs in [from, to], decoded, in chain order. */
  async hubEvents(from: number, to: number): Promise<StoredL1Event[]> {
    if (to < from) return [];
    const logs: Log[] = await this.provider.getLogs({ address: this.o.hub, fromBlock: from, toBlock: to });
    const out: StoredL1Event[] = [];
    for (const log of logs) {
      const parsed = this.hubInterface.parseLog(log);
      if (!parsed) continue;
      const args: Record<string, unknown> = {};
      parsed.fragment.inputs.forEach((input, i) => (args[input.name] = jsonArg(parsed.args[i])));
      out.push({ blockNumber: log.blockNumber, blockHash: log.blockHash, logIndex: log.index, txHash: log.transactionHash, name: parsed.name, args });
    }
    return out;
  }

  /** Root of the L1 bridge's exit-root checkpoint `number`, or null if it does not exist (cached: checkpoints never change). */
  async checkpointRoot(number: bigint): Promise<bigint | null> {
    const cached = this.checkpoints.get(number);
    if (cached !== undefined) return cached;
    const count = await this.bridge.checkpointCount();
    if (number >= count) return null;
    const [root] = await this.bridge.checkpoint(number);
    this.checkpoints.set(number, root);
    return root;
  }

  async latestCheckpoint(): Promise<{ number: bigint; exitRoot: bigint }> {
    const count = await this.bridge.checkpointCount();
    const number = count - 1n;
    const root = await this.checkpointRoot(number);
    return { number, exitRoot: root! };
  }

  /** Forgets cached checkpoints (after an L1 reorg). */
  forgetCheckpoints(): void {
    this.checkpoints.clear();
  }

  /**
   * Signs a call to the hub with the next nonce the node reports as pending. Throws what eth_estimateGas throws,
   * so a settlement that would revert (e.g. StaleTip) is known before anything is signed.
   */
  async signHubCall(data: string): Promise<SignedTx> {
    if (!this.wallet) throw new Error("no L1 settler key configured (l1.settlerKey / COORDINATOR_L1_KEY)");
    const from = this.wallet.address;
    const gas = await this.provider.estimateGas({ from, to: this.o.hub, data });
    const nonce = await this.provider.getTransactionCount(from, "pending");
    const fee = await this.provider.getFeeData();
    const tx = await this.wallet.populateTransaction({ to: this.o.hub, data, nonce, gasLimit: (gas * 12n) / 10n + 20_000n, maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas, chainId: await this.chainId() });
    const raw = await this.wallet.signTransaction(tx);
    const { Transaction } = await import("ethers");
    return { raw, hash: Transaction.from(raw).hash!, nonce };
  }

  /**
   * Runs `fn` alone among the settler's senders. Nonces come from the node's pending count, which only moves
   * once a transaction is broadcast: sign, store and broadcast inside one exclusive section, or two senders
   * (settlements, equivocation reports) would sign the same nonce.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Broadcasts a signed transaction; "already known" counts as success. */
  async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (e) {
      const msg = String((e as Error).message ?? e);
      if (/already known|known transaction|AlreadyKnown/i.test(msg)) return;
      throw e;
    }
  }

  receipt(hash: string): Promise<TransactionReceipt | null> {
    return this.provider.getTransactionReceipt(hash);
  }

  async transactionKnown(hash: string): Promise<boolean> {
    return (await this.provider.getTransaction(hash)) !== null;
  }

  /** The settler's confirmed nonce (transactions mined so far). */
  async minedNonce(): Promise<number> {
    if (!this.wallet) return 0;
    return this.provider.getTransactionCount(this.wallet.address, "latest");
  }

  destroy(): void {
    this.provider.destroy();
  }
}
