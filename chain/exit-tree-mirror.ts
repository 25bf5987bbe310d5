/**
 * Mirrors a network's on-chain local exit tree from the bridge's BridgeExit events, with every leaf's full
 * data, so that claims (Merkle proofs) and certificates (bridge exits) can be built off chain.
 */
import type { Log, LogDescription, Interface } from "ethers";
import { ExitLeaf, ExitTree, LeafType, fieldKeccak, hashExitLeaf, MerkleProof } from "../lib";

export interface MirroredExit {
  leafIndex: number;
  leaf: ExitLeaf;
  /** The raw metadata bytes (token metadata or message calldata); leaf.metadataHash = fieldKeccak(metadata). */
  metadata: string;
  leafHash: bigint;
}

export class ExitMirrorError extends Error {
  constructor(readonly code: "OUT_OF_ORDER" | "HASH_MISMATCH", detail: string) {
    super(`${code}: ${detail}`);
  }
}

/** Converts a decoded BridgeExit event into the exit it records. */
export function exitFromEvent(ev: LogDescription): MirroredExit {
  const a = ev.args;
  const metadata: string = a.metadata;
  const leaf: ExitLeaf = {
    leafType: Number(a.leafType) as LeafType,
    originNetwork: Number(a.originNetwork),
    originAddress: BigInt(a.originAddress),
    destinationNetwork: Number(a.destinationNetwork),
    destinationAddress: BigInt(a.destinationAddress),
    amount: BigInt(a.amount),
    metadataHash: fieldKeccak(metadata),
  };
  return { leafIndex: Number(a.leafIndex), leaf, metadata, leafHash: BigInt(a.leafHash) };
}

export class ExitTreeMirror {
  readonly tree: ExitTree;
  readonly exits: MirroredExit[] = [];

  constructor(depth: number) {
    this.tree = new ExitTree(depth);
  }

  /** Adds an exit; exits must arrive in leaf order and their hash must match the model's. */
  add(exit: MirroredExit): void {
    if (exit.leafIndex !== this.exits.length) throw new ExitMirrorError("OUT_OF_ORDER", `expected leaf ${this.exits.length}, got ${exit.leafIndex}`);
    const h = hashExitLeaf(exit.leaf);
    if (h !== exit.leafHash) throw new ExitMirrorError("HASH_MISMATCH", `leaf ${exit.leafIndex}: event ${exit.leafHash} != model ${h}`);
    this.tree.append(h);
    this.exits.push(exit);
  }

  /** Parses bridge logs (any order of arrival within the batch is sorted by leaf index) and adds the exits. */
  ingest(iface: Interface, logs: readonly Log[]): MirroredExit[] {
    const added: MirroredExit[] = [];
    for (const log of logs) {
      const ev = iface.parseLog(log);
      if (ev?.name === "BridgeExit") added.push(exitFromEvent(ev));
    }
    added.sort((x, y) => x.leafIndex - y.leafIndex);
    for (const e of added) this.add(e);
    return added;
  }

  root(): bigint {
    return this.tree.root();
  }

  proof(leafIndex: number): MerkleProof {
    return this.tree.proof(leafIndex);
  }
}
