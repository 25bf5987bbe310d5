/**
 * Claims across networks, shared by the devnet scenario, the Hardhat tasks and the chain client: rebuild the
 * source network's exit tree from its bridge's events, find an exit root the destination's oracle holds that
 * contains the exit, and claim it with a proof against exactly that root.
 *
 * An oracle rarely holds the source's *current* root: it holds whatever its sequencer posted (or, on L1, what the
 * hub finalized), which may be older than the source tree but still contain the leaf. So a proof is built against
 * the tree as it was at the size whose root the oracle entry names, not against the mirror's latest root.
 * Deposits from L1 need no special case: the L2 oracle's network-0 entries are L1 checkpoints, which are roots of
 * L1's exit tree at the checkpointed size, exactly like a certificate's new exit root.
 */
import { ContractTransactionReceipt, Contract, ContractRunner, Interface, Provider, ZeroAddress, getAddress } from "ethers";
import { ExitRootOracle__factory, SettlementHub__factory, UnifiedBridge__factory } from "../typechain-types";
import type { ExitRootOracle, SettlementHub, UnifiedBridge } from "../typechain-types";
import { ExitTree, ExitLeaf, LeafType, batchLeaf, batchProof } from "../lib";
import { ExitTreeMirror, MirroredExit, exitFromEvent } from "./exit-tree-mirror";

// ------------------------------------------------------------------------------------------------ errors

export type ClaimErrorCode = "NO_ROOT_YET" | "EXIT_NOT_FOUND" | "WRONG_DESTINATION" | "ALREADY_CLAIMED";

export class ClaimError extends Error {
  constructor(readonly code: ClaimErrorCode, message: string) {
    super(message);
    this.name = "ClaimError";
  }
}

/** The destination's oracle holds no root of the source network that contains the exit (yet: retry later). */
export class NoRootYetError extends ClaimError {
  constructor(readonly sourceNetwork: number, readonly leafIndex: number, readonly destinationNetwork: number) {
    super("NO_ROOT_YET", `network ${destinationNetwork}'s oracle holds no exit root of network ${sourceNetwork} that contains leaf ${leafIndex} yet`);
    this.name = "NoRootYetError";
  }
}

/** The source bridge has no exit with this leaf index. */
export class ExitNotFoundError extends ClaimError {
  constructor(readonly sourceNetwork: number, readonly leafIndex: number, readonly exitCount: number) {
    super("EXIT_NOT_FOUND", `network ${sourceNetwork} has no exit ${leafIndex} (it has ${exitCount})`);
    this.name = "ExitNotFoundError";
  }
}

export class WrongDestinationError extends ClaimError {
  constructor(readonly sourceNetwork: number, readonly leafIndex: number, readonly exitDestination: number, readonly claimingNetwork: number) {
    super("WRONG_DESTINATION", `exit ${leafIndex} of network ${sourceNetwork} goes to network ${exitDestination}, not ${claimingNetwork}`);
    this.name = "WrongDestinationError";
  }
}

export class AlreadyClaimedError extends ClaimError {
  constructor(readonly sourceNetwork: number, readonly leafIndex: number, readonly destinationNetwork: number) {
    super("ALREADY_CLAIMED", `exit ${leafIndex} of network ${sourceNetwork} is already claimed on network ${destinationNetwork}`);
    this.name = "AlreadyClaimedError";
  }
}

// ------------------------------------------------------------------------------------------------ exit proofs

/** UnifiedBridge.Exit: the values claimAsset/claimMessage take. */
export interface ExitStruct {
  originNetwork: number;
  originAddress: string;
  destinationNetwork: number;
  destinationAddress: string;
  amount: bigint;
  metadata: string;
}

export interface ExitProof {
  sourceNetwork: number;
  leafIndex: number;
  leafType: LeafType;
  exit: ExitStruct;
  leaf: ExitLeaf;
  /** The leaf's hash (what the tree holds). */
  leafHash: bigint;
  /** Siblings against `root`. */
  siblings: bigint[];
  /** The source's current exit root (all `count` exits mirrored). */
  root: bigint;
  count: number;
  /** Root of the source tree at every size that contains the leaf (leafIndex + 1 .. count) => that size. */
  rootsContainingLeaf: Map<bigint, number>;
  /** Siblings against the root of the tree's first `size` leaves. */
  proofAt(size: number): bigint[];
}

export interface ReadOptions {
  /** First block to read events from (a deployments file's startBlock); default 0. */
  fromBlock?: number;
}

function toExitStruct(e: MirroredExit): ExitStruct {
  const addr = (x: bigint) => getAddress("0x" + x.toString(16).padStart(40, "0"));
  return {
    originNetwork: e.leaf.originNetwork,
    originAddress: addr(e.leaf.originAddress),
    destinationNetwork: e.leaf.destinationNetwork,
    destinationAddress: addr(e.leaf.destinationAddress),
    amount: e.leaf.amount,
    metadata: e.metadata,
  };
}

/** Every exit of `bridge`, mirrored from its BridgeExit events (which must all lie at or after `fromBlock`). */
export async function mirrorExits(bridge: UnifiedBridge, depth: number, o: ReadOptions = {}): Promise<ExitTreeMirror> {
  const mirror = new ExitTreeMirror(depth);
  const logs = await bridge.queryFilter(bridge.filters.BridgeExit(), o.fromBlock ?? 0, "latest");
  mirror.ingest(bridge.interface as unknown as Interface, logs);
  return mirror;
}

/**
 * The exit `leafIndex` of the bridge at `sourceBridgeAddress` with its Merkle proof, and the source tree's root at
 * every size that contains it. `depth` defaults to the bridge's exitTreeDepth.
 */
export async function exitProof(sourceProvider: Provider, sourceBridgeAddress: string, leafIndex: number, depth?: number, o: ReadOptions = {}): Promise<ExitProof> {
  const bridge = UnifiedBridge__factory.connect(sourceBridgeAddress, sourceProvider);
  const [sourceNetwork, d] = await Promise.all([bridge.networkId(), depth === undefined ? bridge.exitTreeDepth() : Promise.resolve(depth)]);
  const mirror = await mirrorExits(bridge, Number(d), o);
  const count = mirror.exits.length;
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= count) throw new ExitNotFoundError(Number(sourceNetwork), leafIndex, count);
  const leaves = mirror.tree.allLeaves();
  // One pass: append and note the root after each size from leafIndex + 1 on.
  const rootsContainingLeaf = new Map<bigint, number>();
  const partial = new ExitTree(Number(d));
  for (let i = 0; i < count; i++) {
    partial.append(leaves[i]);
    if (i >= leafIndex) rootsContainingLeaf.set(partial.root(), i + 1);
  }
  const e = mirror.exits[leafIndex];
  return {
    sourceNetwork: Number(sourceNetwork),
    leafIndex,
    leafType: e.leaf.leafType,
    exit: toExitStruct(e),
    leaf: e.leaf,
    leafHash: e.leafHash,
    siblings: mirror.proof(leafIndex).siblings,
    root: mirror.root(),
    count,
    rootsContainingLeaf,
    proofAt(size: number): bigint[] {
      if (size <= leafIndex || size > count) throw new RangeError(`a tree of ${size} exits does not contain leaf ${leafIndex}`);
      const t = new ExitTree(Number(d));
      for (let i = 0; i < size; i++) t.append(leaves[i]);
      return t.proof(leafIndex).siblings;
    },
  };
}

// ------------------------------------------------------------------------------------------------ oracle entries

/** An exit root a network's oracle holds for another network. On L1 (the hub), `height` is the certificate's. */
export interface OracleEntry {
  entryId: bigint;
  networkId: number;
  /** Certificate height, or the L1 checkpoint number for network 0. */
  height: bigint;
  /** 0 for L1 checkpoints. */
  certificateId: bigint;
  exitRoot: bigint;
  /**
   * On the hub: the settled batch leaf the entry comes from (entryId = batchId * 2^32 + index). The hub answers for
   * the entry only once it is registered (registerExitRoot: registerBatchEntry, done before a claim).
   */
  batch?: { batchId: bigint; index: bigint };
}

/** A network's claim oracle: an L2's ExitRootOracle, or on L1 the settlement hub. */
export type DestOracle = ExitRootOracle | SettlementHub;

function isHub(o: DestOracle): o is SettlementHub {
  return (o.interface as unknown as Interface).hasFunction("registerExitRoot");
}

/** Every entry of `sourceNetwork` the oracle holds, oldest first (from its events: one query, filtered by network). */
export async function oracleEntries(oracle: DestOracle, sourceNetwork: number, o: ReadOptions = {}): Promise<OracleEntry[]> {
  const from = o.fromBlock ?? 0;
  if (isHub(oracle)) {
    const leaves = await oracle.queryFilter(oracle.filters.BatchCertificateFinalized(sourceNetwork), from, "latest");
    return leaves.map((l) => ({
      entryId: (l.args.batchId << 32n) + l.args.index, networkId: Number(l.args.networkId), height: l.args.height, certificateId: l.args.certificateId, exitRoot: l.args.newLocalExitRoot,
      batch: { batchId: l.args.batchId, index: l.args.index },
    }));
  }
  const logs = await oracle.queryFilter(oracle.filters.ExitRootPosted(undefined, sourceNetwork), from, "latest");
  return logs.map((l) => ({ entryId: l.args.entryId, networkId: Number(l.args.networkId), height: l.args.height, certificateId: l.args.certificateId, exitRoot: l.args.exitRoot }));
}

/**
 * The latest entry of `sourceNetwork` in `destOracle` whose root is one of `exitRootsContainingLeaf` (an
 * ExitProof's rootsContainingLeaf, or any collection of roots), or null if there is none.
 */
export async function findOracleEntry(
  destOracle: DestOracle,
  sourceNetwork: number,
  exitRootsContainingLeaf: ReadonlyMap<bigint, unknown> | Iterable<bigint>,
  o: ReadOptions = {},
): Promise<OracleEntry | null> {
  const roots: ReadonlySet<bigint> | ReadonlyMap<bigint, unknown> =
    exitRootsContainingLeaf instanceof Map ? exitRootsContainingLeaf : new Set(exitRootsContainingLeaf as Iterable<bigint>);
  let best: OracleEntry | null = null;
  for (const e of await oracleEntries(destOracle, sourceNetwork, o)) {
    if (roots.has(e.exitRoot) && (best === null || e.entryId > best.entryId)) best = e;
  }
  return best;
}

// ------------------------------------------------------------------------------------------------ claims

export interface ClaimRequest {
  source: { provider: Provider; bridge: string | UnifiedBridge; fromBlock?: number };
  /**
   * `bridge` connected to the signer that sends the claim; `oracle` (or, on L1, `hub`) defaults to the bridge's
   * own oracle, which on L1 is the hub.
   */
  dest: { bridge: UnifiedBridge; oracle?: string | DestOracle | null; hub?: SettlementHub; fromBlock?: number };
  /** Optional cross-check: the network the source bridge must be. */
  sourceNetwork?: number;
  leafIndex: number;
  /** Default: the source bridge's exitTreeDepth. */
  depth?: number;
}

export interface PreparedClaim {
  method: "claimAsset" | "claimMessage";
  /** UnifiedBridge.ClaimProof */
  proof: { oracleEntry: bigint; leafIndex: number; siblings: bigint[] };
  exit: ExitStruct;
  /** The oracle entry the proof is against (its provenance is the claim's dependency). */
  entry: OracleEntry;
  exitProof: ExitProof;
  destinationNetwork: number;
}

function connectOracle(oracle: string | DestOracle, destNetwork: number, runner: ContractRunner | null): DestOracle {
  if (typeof oracle !== "string") return oracle;
  return destNetwork === 0 ? SettlementHub__factory.connect(oracle, runner) : ExitRootOracle__factory.connect(oracle, runner);
}

/** Everything a claim needs, checked off chain first so that the usual failures come back as typed errors. */
export async function prepareClaim(r: ClaimRequest): Promise<PreparedClaim> {
  const sourceBridge = typeof r.source.bridge === "string" ? r.source.bridge : await r.source.bridge.getAddress();
  const p = await exitProof(r.source.provider, sourceBridge, r.leafIndex, r.depth, { fromBlock: r.source.fromBlock });
  if (r.sourceNetwork !== undefined && r.sourceNetwork !== p.sourceNetwork) {
    throw new Error(`source bridge ${sourceBridge} is network ${p.sourceNetwork}'s, not network ${r.sourceNetwork}'s`);
  }
  const destNetwork = Number(await r.dest.bridge.networkId());
  if (p.exit.destinationNetwork !== destNetwork) throw new WrongDestinationError(p.sourceNetwork, r.leafIndex, p.exit.destinationNetwork, destNetwork);
  if (await r.dest.bridge.isClaimed(await r.dest.bridge.claimKey(p.sourceNetwork, r.leafIndex))) {
    throw new AlreadyClaimedError(p.sourceNetwork, r.leafIndex, destNetwork);
  }
  const oracle = connectOracle(r.dest.oracle ?? r.dest.hub ?? (await r.dest.bridge.oracle()), destNetwork, r.dest.bridge.runner);
  const entry = await findOracleEntry(oracle, p.sourceNetwork, p.rootsContainingLeaf, { fromBlock: r.dest.fromBlock });
  if (!entry) throw new NoRootYetError(p.sourceNetwork, r.leafIndex, destNetwork);
  return {
    method: p.leafType === LeafType.Message ? "claimMessage" : "claimAsset",
    proof: { oracleEntry: entry.entryId, leafIndex: r.leafIndex, siblings: p.proofAt(p.rootsContainingLeaf.get(entry.exitRoot)!) },
    exit: p.exit,
    entry,
    exitProof: p,
    destinationNetwork: destNetwork,
  };
}

/**
 * Makes a batch leaf an exit-root entry of the hub (registerExitRoot, idempotent; skipped when it already is one):
 * its Merkle path is rebuilt from the batch's BatchCertificateFinalized events (lib/batch-settlement.ts). `hub` must
 * be connected to the signer that pays for it.
 */
export async function registerBatchEntry(hub: SettlementHub, entry: OracleEntry, o: ReadOptions = {}): Promise<boolean> {
  if (!entry.batch) return false;
  try {
    await hub.exitRootOf(entry.entryId);
    return false;
  } catch {
    // not registered yet
  }
  const { batchId, index } = entry.batch;
  const logs = await hub.queryFilter(hub.filters.BatchCertificateFinalized(undefined, undefined, undefined, undefined, batchId), o.fromBlock ?? 0, "latest");
  const leaves: string[] = [];
  for (const l of logs) leaves[Number(l.args.index)] = batchLeaf({ networkId: Number(l.args.networkId), height: l.args.height, certificateId: l.args.certificateId, exitRoot: l.args.newLocalExitRoot });
  if (leaves.length === 0 || leaves.some((x) => x === undefined)) throw new Error(`batch ${batchId}: its BatchCertificateFinalized events are not all readable from block ${o.fromBlock ?? 0}`);
  const tx = await hub.registerExitRoot(batchId, index, entry.networkId, entry.height, entry.certificateId, entry.exitRoot, batchProof(leaves, Number(index)));
  await tx.wait();
  return true;
}

/**
 * Claims exit `leafIndex` of the source network on the destination (claimAsset or claimMessage by leaf type). On L1
 * the entry's batch leaf is registered with the hub first (registerBatchEntry).
 */
export async function claimFromNetwork(r: ClaimRequest): Promise<ContractTransactionReceipt> {
  const c = await prepareClaim(r);
  if (c.entry.batch) {
    const oracle = connectOracle(r.dest.oracle ?? r.dest.hub ?? (await r.dest.bridge.oracle()), c.destinationNetwork, r.dest.bridge.runner);
    if (isHub(oracle)) await registerBatchEntry(oracle, c.entry, { fromBlock: r.dest.fromBlock });
  }
  const tx = await r.dest.bridge[c.method](c.proof, c.exit);
  const receipt = await tx.wait();
  if (!receipt) throw new Error(`claim transaction ${tx.hash} was dropped`);
  return receipt;
}

// ------------------------------------------------------------------------------------------------ bridging out

const ERC20_ABI = [
  "function decimals() view returns (uint8)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

export interface BridgeAssetRequest {
  toNetwork: number;
  to: string;
  /** In the token's smallest unit. */
  amount: bigint;
  /** Omitted or the zero address: this network's gas coin. */
  token?: string;
}

export interface BridgeAssetResult {
  leafIndex: number;
  exit: MirroredExit;
  receipt: ContractTransactionReceipt;
}

/** Decimals of `token` (18 for the gas coin), to turn a human amount into base units. */
export async function tokenDecimals(runner: ContractRunner, token?: string): Promise<number> {
  if (!token || token === ZeroAddress) return 18;
  return Number(await new Contract(token, ERC20_ABI, runner).getFunction("decimals")());
}

/**
 * bridgeAsset from `bridge`'s signer, approving the bridge first for a token native to this network (wrapped
 * tokens are burnt by the bridge without an allowance); returns the exit's leaf index.
 */
export async function bridgeAsset(bridge: UnifiedBridge, r: BridgeAssetRequest): Promise<BridgeAssetResult> {
  const token = r.token ?? ZeroAddress;
  const bridgeAddress = await bridge.getAddress();
  if (token !== ZeroAddress && !(await bridge.wrappedTokenOrigin(token)).exists) {
    const signer = bridge.runner as ContractRunner & { getAddress(): Promise<string> };
    const erc20 = new Contract(token, ERC20_ABI, signer);
    if ((await erc20.getFunction("allowance")(await signer.getAddress(), bridgeAddress)) < r.amount) {
      await (await erc20.getFunction("approve")(bridgeAddress, r.amount)).wait();
    }
  }
  const tx = await bridge.bridgeAsset(r.toNetwork, r.to, r.amount, token, { value: token === ZeroAddress ? r.amount : 0n });
  const receipt = await tx.wait();
  if (!receipt) throw new Error(`bridge transaction ${tx.hash} was dropped`);
  for (const log of receipt.logs) {
    if (getAddress(log.address) !== getAddress(bridgeAddress)) continue;
    const ev = bridge.interface.parseLog(log);
    if (ev?.name === "BridgeExit") {
      const exit = exitFromEvent(ev);
      return { leafIndex: exit.leafIndex, exit, receipt };
    }
  }
  throw new Error(`bridge transaction ${tx.hash} emitted no BridgeExit`);
}
