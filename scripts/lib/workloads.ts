/**
 * Realistic inputs for the benchmarks, built with the reference model (lib/): a certificate that imports k L1
 * deposits of k tokens and spends part of each (k imports + k exits).
 */
import { BatchInput, ExitLeaf, ExitTree, ImportedExit, LeafType, NetworkState, TreeParams, fieldKeccak, gasCoin, hashExitLeaf } from "../../lib";
import { Prng } from "../gen-vectors";

const ETHER = 10n ** 18n;

/** Network 1's first batch: k deposits from L1 (k tokens, the gas coin first) imported, part of each sent on. */
export function certificateWorkload(params: TreeParams, k: number | { imports: number; exits: number; tokens: number }, rng: Prng, me = 1): { state: NetworkState; batch: BatchInput } {
  const n = typeof k === "number" ? { imports: k, exits: k, tokens: k } : k;
  const tokens = [gasCoin(0), ...Array.from({ length: Math.max(0, n.tokens - 1) }, () => ({ originNetwork: 0, originAddress: rng.address() }))];
  const l1 = new ExitTree(params.exitDepth);
  // n.imports L1 deposits, the tokens in turn, each of 100 ETH's worth
  const deposits: ExitLeaf[] = Array.from({ length: n.imports }, (_, j) => ({
    leafType: LeafType.Asset,
    originNetwork: tokens[j % tokens.length].originNetwork,
    originAddress: tokens[j % tokens.length].originAddress,
    destinationNetwork: me,
    destinationAddress: rng.address(),
    amount: 100n * ETHER,
    metadataHash: fieldKeccak(rng.bytes(96)),
  }));
  // unrelated L1 exits first, so that the proofs are not all at the left edge of the tree
  const filler = Math.min(20, 2 ** params.exitDepth - n.imports);
  for (let i = 0; i < filler; i++) l1.append(rng.field());
  const indices = deposits.map((d) => l1.append(hashExitLeaf(d)));
  const root = l1.root();
  const imports: ImportedExit[] = deposits.map((leaf, j) => ({
    leaf,
    leafIndex: indices[j],
    source: { networkId: 0, height: 1n, certificateId: 0n },
    sourceExitRoot: root,
    siblings: l1.proof(indices[j]).siblings,
  }));
  // n.exits onward exits of the same tokens in turn (each of 1 ETH's worth: within what was deposited)
  const exits: ExitLeaf[] = Array.from({ length: n.exits }, (_, j) => ({
    leafType: LeafType.Asset,
    originNetwork: tokens[j % Math.min(tokens.length, Math.max(1, n.imports))].originNetwork,
    originAddress: tokens[j % Math.min(tokens.length, Math.max(1, n.imports))].originAddress,
    destinationNetwork: me === 2 ? 1 : 2,
    destinationAddress: rng.address(),
    amount: (typeof k === "number" ? 40n : 1n) * ETHER,
    metadataHash: 0n,
  }));
  return { state: new NetworkState(me, params), batch: { height: 0n, newStateRoot: rng.bytes32(), imports, exits } };
}
