/**
 * Writes the JSON test vectors of test/vectors/ from the TypeScript reference model (lib/).
 *
 *   npx ts-node scripts/gen-vectors.ts          # (re)writes test/vectors/*.json
 *   npx ts-node scripts/gen-vectors.ts --check  # exits 1 if a checked-in file differs from what would be written
 *
 * Deterministic: all "random" values come from Prng (SplitMix64) seeded with a constant per file, and signatures
 * are RFC 6979 (deterministic ECDSA). test/lib/vectors.test.ts calls generateVectors() and fails when the
 * checked-in files are stale. Read the files through test/helpers/vectors.ts, which also documents their shape.
 */
import * as fs from "fs";
import * as path from "path";
import { certificatePublicSignals } from "../lib/settlement";
import { AbiCoder, SigningKey, TypedDataEncoder, computeAddress, getAddress, keccak256, toUtf8Bytes } from "ethers";
import {
  BundleLeg,
  CertificateRef,
  ExitLeaf,
  ExitTree,
  FIELD_MODULUS,
  ImportInput,
  ImportedExit,
  Json,
  LeafType,
  NetworkState,
  SparseMerkleTree,
  TEST_PARAMS,
  TokenId,
  TreeParams,
  AccountingError,
  applyTransition,
  buildCertificate,
  certificateToJson,
  fieldKeccak,
  gasCoin,
  hashExitLeaf,
  headerDigest,
  leafToJson,
  packLeafWord,
  tokenKey,
  zeroHashes,
  EIP712_NAME,
  EIP712_VERSION,
  REJECTION_TYPES,
  SigningDomain,
  eip712Domain,
} from "../lib";
import {
  Hex,
  RawAccountingCase,
  RawAccountingExpect,
  RawAccountingFile,
  RawCertificateEntry,
  RawCertificateFile,
  RawExitLeafFile,
  RawExitTree,
  RawExitTreeFile,
  RawImport,
  RawPoseidonFile,
  RawSignedHeader,
  RawSmt,
  RawSmtFile,
  RawTokenBalance,
  balancesOf,
  seedBalance,
} from "../test/helpers/vectors";

/** The shape the certificate vectors' proof public signals are padded to (lib/settlement.ts). */
export const VECTOR_STATEMENT_SHAPE = { maxDependencies: 2, maxBundles: 1 };

export const GENERATED_BY = "scripts/gen-vectors.ts";
export const VECTORS_DIR = path.join(__dirname, "..", "test", "vectors");

/** 0x-hex as lib/codec.ts writes it (lower case, no padding). */
export const hex = (x: bigint): Hex => {
  if (x < 0n) throw new RangeError(`negative value ${x} in a vector`);
  return "0x" + x.toString(16);
};

// ---------------------------------------------------------------------------------------------------------
// Deterministic PRNG (SplitMix64), shared with the tests for reproducible "random" inputs.

const M64 = (1n << 64n) - 1n;

export class Prng {
  private state: bigint;

  /** A string seed is hashed (keccak256) to its 64-bit state. */
  constructor(seed: string | bigint) {
    this.state = (typeof seed === "string" ? BigInt(keccak256(toUtf8Bytes(seed))) : BigInt(seed)) & M64;
  }

  next64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & M64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  }

  /** Uniform in [0, 2^n). */
  bits(n: number): bigint {
    let x = 0n;
    for (let got = 0; got < n; got += 64) x = (x << 64n) | this.next64();
    return x & ((1n << BigInt(n)) - 1n);
  }

  /** Uniform in [0, max) (rejection sampling), max > 0. */
  below(max: bigint): bigint {
    if (max <= 0n) throw new RangeError("Prng.below needs max > 0");
    const n = max.toString(2).length;
    for (;;) {
      const x = this.bits(n);
      if (x < max) return x;
    }
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Number(this.below(BigInt(n)));
  }

  field(): bigint {
    return this.below(FIELD_MODULUS);
  }

  address(): bigint {
    return this.bits(160);
  }

  bytes(n: number): string {
    let s = "0x";
    for (let i = 0; i < n; i++) s += Number(this.bits(8)).toString(16).padStart(2, "0");
    return s;
  }

  bytes32(): string {
    return this.bytes(32);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  shuffle<T>(xs: readonly T[]): T[] {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  /** A valid random exit leaf (any type, any networks). */
  exitLeaf(): ExitLeaf {
    const metadata = this.bytes(this.int(100));
    return {
      leafType: this.int(2) === 0 ? LeafType.Asset : LeafType.Message,
      originNetwork: Number(this.bits(32)),
      originAddress: this.address(),
      destinationNetwork: Number(this.bits(32)),
      destinationAddress: this.address(),
      amount: this.bits(this.int(129)),
      metadataHash: fieldKeccak(metadata),
    };
  }
}

/** Same serialization for writing and for the staleness test. */
export function serializeVectorFile(content: unknown): string {
  return JSON.stringify(content, null, 2) + "\n";
}

const header = (description: string) => ({ description, generatedBy: GENERATED_BY });

const MAX_AMOUNT = (1n << 128n) - 1n;
const MAX_ADDRESS = (1n << 160n) - 1n;
const MAX_NETWORK = 2 ** 32 - 1;
const ETHER = 10n ** 18n;

const tokenMetadata = (name: string, symbol: string, decimals: number): string =>
  AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8"], [name, symbol, decimals]);

function assetLeaf(token: TokenId, destinationNetwork: number, destinationAddress: bigint, amount: bigint, metadata = "0x"): ExitLeaf {
  return { leafType: LeafType.Asset, originNetwork: token.originNetwork, originAddress: token.originAddress, destinationNetwork, destinationAddress, amount, metadataHash: fieldKeccak(metadata) };
}

function messageLeaf(originNetwork: number, sender: bigint, destinationNetwork: number, target: bigint, value: bigint, calldata = "0x"): ExitLeaf {
  return { leafType: LeafType.Message, originNetwork, originAddress: sender, destinationNetwork, destinationAddress: target, amount: value, metadataHash: fieldKeccak(calldata) };
}

const tokenJson = (t: TokenId) => ({ originNetwork: t.originNetwork, originAddress: hex(t.originAddress) });
const balancesJson = (s: NetworkState): RawTokenBalance[] => balancesOf(s).map((b) => ({ token: tokenJson(b.token), balance: hex(b.balance) }));

// ---------------------------------------------------------------------------------------------------------
// poseidon.json

/**
 * Known answers published by iden3 (NOT computed here). Poseidon([1,2]), ([3,4]) and ([1,2,0,0,0]) are asserted in
 * iden3/circomlib test/poseidoncircuit.js; the others are the values of iden3's Poseidon test suites
 * (iden3/circomlibjs test/poseidon.js, iden3/go-iden3-crypto poseidon/poseidon_test.go), which use the same
 * constants as circomlib's Poseidon(n) template.
 */
const CIRCOMLIB_KNOWN_ANSWERS: { inputs: bigint[]; output: bigint; source: string }[] = [
  { inputs: [1n], output: 18586133768512220936620570745912940619677854269274689475585506675881198879027n, source: "iden3 Poseidon test suites (circomlibjs test/poseidon.js, go-iden3-crypto poseidon_test.go)" },
  { inputs: [1n, 2n], output: 7853200120776062878684798364095072458815029376092732009249414926327459813530n, source: "iden3/circomlib test/poseidoncircuit.js (t=3)" },
  { inputs: [3n, 4n], output: 14763215145315200506921711489642608356394854266165572616578112107564877678998n, source: "iden3/circomlib test/poseidoncircuit.js (t=3)" },
  { inputs: [0n, 0n], output: 14744269619966411208579211824598458697587494354926760081771325075741142829156n, source: "iden3 Poseidon test values (Poseidon(0, 0), the height-1 zero hash)" },
  { inputs: [1n, 2n, 0n, 0n, 0n], output: 1018317224307729531995786483840663576608797660851238720571059489595066344487n, source: "iden3/circomlib test/poseidoncircuit.js (t=6)" },
  { inputs: [3n, 4n, 0n, 0n, 0n], output: 5811595552068139067952687508729883632420015185677766880877743348592482390548n, source: "iden3 Poseidon test suites (circomlibjs test/poseidon.js, go-iden3-crypto poseidon_test.go)" },
  { inputs: [1n, 2n, 0n, 0n, 0n, 0n], output: 15336558801450556532856248569924170992202208561737609669134139141992924267169n, source: "iden3 Poseidon test suites (circomlibjs test/poseidon.js, go-iden3-crypto poseidon_test.go)" },
];

function poseidonVectors(): RawPoseidonFile {
  return {
    ...header(
      "Poseidon (BN254, circomlib parameters). knownAnswers are published iden3/circomlib values hard-coded in the generator (not computed by this project): " +
        "the model must reproduce them. zeroHashes are computed by the model: values[0] = 0, values[h+1] = Poseidon(values[h], values[h]).",
    ),
    knownAnswers: CIRCOMLIB_KNOWN_ANSWERS.map((k) => ({ inputs: k.inputs.map(hex), output: hex(k.output), source: k.source })),
    zeroHashes: { description: "roots of empty binary Poseidon trees of height 0..32 (zero leaf 0)", values: zeroHashes(32).map(hex) },
  };
}

// ---------------------------------------------------------------------------------------------------------
// exit-leaves.json

function exitLeafVectors(): RawExitLeafFile {
  const rng = new Prng("exit-leaves");
  const calldata = rng.bytes(68);
  const cases: { name: string; leaf: Omit<ExitLeaf, "metadataHash">; metadata: string }[] = [
    { name: "asset: L1 ether deposit to network 1, empty metadata", leaf: { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 1, destinationAddress: rng.address(), amount: 10n * ETHER }, metadata: "0x" },
    { name: "asset: ERC-20 with abi.encode(name, symbol, decimals) metadata", leaf: { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48n, destinationNetwork: 2, destinationAddress: rng.address(), amount: 1_000_000n }, metadata: tokenMetadata("USD Coin", "USDC", 6) },
    { name: "asset: amount 0", leaf: { leafType: LeafType.Asset, originNetwork: 1, originAddress: rng.address(), destinationNetwork: 2, destinationAddress: rng.address(), amount: 0n }, metadata: "0x" },
    { name: "asset: amount 2^128 - 1", leaf: { leafType: LeafType.Asset, originNetwork: 2, originAddress: rng.address(), destinationNetwork: 1, destinationAddress: rng.address(), amount: MAX_AMOUNT }, metadata: tokenMetadata("Max", "MAX", 18) },
    { name: "asset: originAddress 2^160 - 1", leaf: { leafType: LeafType.Asset, originNetwork: 3, originAddress: MAX_ADDRESS, destinationNetwork: 0, destinationAddress: rng.address(), amount: 12345n }, metadata: "0x00" },
    { name: "asset: destinationAddress 0", leaf: { leafType: LeafType.Asset, originNetwork: 1, originAddress: rng.address(), destinationNetwork: 3, destinationAddress: 0n, amount: 1n }, metadata: "0x" },
    { name: "asset: destinationAddress 2^160 - 1", leaf: { leafType: LeafType.Asset, originNetwork: 1, originAddress: rng.address(), destinationNetwork: 3, destinationAddress: MAX_ADDRESS, amount: 2n }, metadata: "0x" },
    { name: "asset: originNetwork 2^32 - 1", leaf: { leafType: LeafType.Asset, originNetwork: MAX_NETWORK, originAddress: rng.address(), destinationNetwork: 0, destinationAddress: rng.address(), amount: 3n * ETHER }, metadata: "0x" },
    { name: "asset: destinationNetwork 2^32 - 1", leaf: { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: MAX_NETWORK, destinationAddress: rng.address(), amount: 4n }, metadata: "0x" },
    { name: "message: value 0, 68 bytes of calldata", leaf: { leafType: LeafType.Message, originNetwork: 1, originAddress: rng.address(), destinationNetwork: 2, destinationAddress: rng.address(), amount: 0n }, metadata: calldata },
    { name: "message: value, empty calldata, destinationNetwork 2^32 - 1", leaf: { leafType: LeafType.Message, originNetwork: 0, originAddress: rng.address(), destinationNetwork: MAX_NETWORK, destinationAddress: rng.address(), amount: ETHER / 2n }, metadata: "0x" },
    { name: "message: every field at its maximum", leaf: { leafType: LeafType.Message, originNetwork: MAX_NETWORK, originAddress: MAX_ADDRESS, destinationNetwork: MAX_NETWORK, destinationAddress: MAX_ADDRESS, amount: MAX_AMOUNT }, metadata: "0x" + "ff".repeat(32) },
    { name: "asset: every field zero (ether from L1 to L1, amount 0)", leaf: { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 0, destinationAddress: 0n, amount: 0n }, metadata: "0x" },
  ];
  return {
    ...header(
      "Exit leaves: word = leafType + originNetwork * 2^8 + destinationNetwork * 2^40 + amount * 2^72 (< 2^200); " +
        "leafHash = Poseidon(word, originAddress, destinationAddress, metadataHash) with metadataHash = fieldKeccak(metadata) = keccak256(metadata) >> 3. " +
        "Leaves in lib/codec.ts leafToJson form.",
    ),
    leaves: cases.map((c) => {
      const leaf: ExitLeaf = { ...c.leaf, metadataHash: fieldKeccak(c.metadata) };
      return { name: c.name, leaf: leafToJson(leaf), metadata: c.metadata, word: hex(packLeafWord(leaf)), leafHash: hex(hashExitLeaf(leaf)) };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// exit-tree.json

const EXIT_TREE_LEAVES = 40;
const EXIT_TREE_PROOF_INDICES = [0, 1, 2, 17, 31, 32, 38, 39];

function exitTreeVector(depth: number, rng: Prng): RawExitTree {
  const tree = new ExitTree(depth);
  const emptyRoot = tree.root();
  const leaves: bigint[] = [];
  const roots: bigint[] = [];
  for (let i = 0; i < EXIT_TREE_LEAVES; i++) {
    const leaf = hashExitLeaf(rng.exitLeaf());
    tree.append(leaf);
    leaves.push(leaf);
    roots.push(tree.root());
  }
  return {
    depth,
    emptyRoot: hex(emptyRoot),
    leaves: leaves.map(hex),
    roots: roots.map(hex),
    proofs: EXIT_TREE_PROOF_INDICES.map((i) => {
      const p = tree.proof(i);
      return { index: p.index, leaf: hex(p.leaf), siblings: p.siblings.map(hex) };
    }),
  };
}

function exitTreeVectors(): RawExitTreeFile {
  const rng = new Prng("exit-tree");
  return {
    ...header(
      `Append-only local exit trees (Poseidon, zero leaf 0). For each depth: ${EXIT_TREE_LEAVES} leaves (hashes of random exit leaves), ` +
        "roots[i] = root after appending leaves[0..i], the empty root, and Merkle proofs (bottom-up siblings; bit h of index set = node is the right child at height h) against the final root.",
    ),
    trees: [exitTreeVector(32, rng), exitTreeVector(8, rng)],
  };
}

// ---------------------------------------------------------------------------------------------------------
// smt.json

function smtVector(depth: number, rng: Prng): RawSmt {
  const max = 1n << BigInt(depth);
  const t = new SparseMerkleTree(depth);
  const emptyRoot = t.root();
  const a = rng.below(max);
  const indices: bigint[] = [0n, max - 1n, a, a ^ 1n, a ^ (1n << BigInt(depth - 1))];
  while (indices.length < 12) {
    const i = rng.below(max);
    if (!indices.includes(i)) indices.push(i);
  }
  // Insert all, overwrite two, delete two (one of them re-set later), and a no-op delete of an absent index.
  let absent = rng.below(max);
  while (indices.includes(absent)) absent = rng.below(max);
  const ops: [bigint, bigint][] = [
    ...indices.map((i): [bigint, bigint] => [i, rng.field()]),
    [indices[2], rng.field()],
    [0n, FIELD_MODULUS - 1n],
    [indices[3], 0n],
    [indices[6], 0n],
    [absent, 0n],
    [indices[6], 1n],
  ];
  const updates = ops.map(([i, v]) => t.set(i, v));
  const updateOps = [0, indices.length, indices.length + 2, ops.length - 2, ops.length - 1];
  const finalLeaves = [...new Set(indices)]
    .map((i) => ({ index: i, value: t.get(i) }))
    .filter((x) => x.value !== 0n)
    .sort((x, y) => (x.index < y.index ? -1 : 1));
  const proofJson = (i: bigint) => {
    const p = t.proof(i);
    return { index: hex(p.index), leaf: hex(p.leaf), siblings: p.siblings.map(hex) };
  };
  let fresh = rng.below(max);
  while (indices.includes(fresh) || fresh === absent) fresh = rng.below(max);
  return {
    depth,
    emptyRoot: hex(emptyRoot),
    operations: ops.map(([i, v], k) => ({ index: hex(i), value: hex(v), root: hex(updates[k].newRoot) })),
    finalLeaves: finalLeaves.map((x) => ({ index: hex(x.index), value: hex(x.value) })),
    membershipProofs: [indices[0], indices[1], indices[2], indices[6], indices[7]].map(proofJson),
    nonMembershipProofs: [indices[3], absent, fresh].map(proofJson),
    updateProofs: updateOps.map((k) => {
      const u = updates[k];
      return { operation: k, index: hex(u.index), oldLeaf: hex(u.oldLeaf), newLeaf: hex(u.newLeaf), siblings: u.siblings.map(hex), oldRoot: hex(u.oldRoot), newRoot: hex(u.newRoot) };
    }),
  };
}

function smtVectors(): RawSmtFile {
  const rng = new Prng("smt");
  return {
    ...header(
      "Sparse Merkle trees (Poseidon, zero leaf 0; a leaf's path is its index, least-significant bit at the leaf level). For each depth: set(index, value) " +
        "operations in order (value 0 deletes) with the root after each, the final non-zero leaves, membership and non-membership (leaf 0) proofs against the final root, " +
        "and update proofs (shared siblings, old and new leaf and root) of some operations.",
    ),
    trees: [smtVector(8, rng), smtVector(64, rng)],
  };
}

// ---------------------------------------------------------------------------------------------------------
// certificates.json

/** Domain of the certificate signatures; the verifying contract is Hardhat's first deployment address (deployer #0, nonce 0). */
export const VECTOR_DOMAIN: SigningDomain & { chainId: number } = { chainId: 31337, verifyingContract: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3") };
/** Fixed test keys of the sequencers of networks 1 and 2 (never use them anywhere else). */
export const SEQUENCER_KEYS: Record<number, string> = { 1: "0x" + "11".repeat(32), 2: "0x" + "22".repeat(32) };

/** Fixed test key of the layer (the coordinator's rejection signer, the hub's layerSigner) in the vectors. */
export const LAYER_KEY = "0x" + "33".repeat(32);

function signHeaderSync(privateKey: string, h: { networkId: number; height: bigint; revision?: number; certificateId: bigint }): RawSignedHeader & { signer: string } {
  const digest = headerDigest(VECTOR_DOMAIN, h);
  const key = new SigningKey(privateKey);
  return { certificateId: hex(h.certificateId), digest, signature: key.sign(digest).serialized, signer: computeAddress(key.publicKey) };
}

const USDC = 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48n;

function certificateVectors(): RawCertificateFile {
  const rng = new Prng("certificates");
  const P = TEST_PARAMS;
  const [alice, bob, carol] = [rng.address(), rng.address(), rng.address()];
  const net1Token: TokenId = { originNetwork: 1, originAddress: rng.address() };
  const [l1Bridge, contract1, contract2] = [rng.address(), rng.address(), rng.address()];

  // L1 (network 0): deposits in its exit tree, then checkpoint 1 of its exit root.
  const l1Leaves = [
    assetLeaf(gasCoin(0), 1, alice, 10n * ETHER, tokenMetadata("Ether", "ETH", 18)),
    assetLeaf({ originNetwork: 0, originAddress: USDC }, 1, alice, 1_000_000n * 10n ** 6n, tokenMetadata("USD Coin", "USDC", 6)),
    assetLeaf(gasCoin(0), 2, bob, 5n * ETHER, tokenMetadata("Ether", "ETH", 18)),
    messageLeaf(0, l1Bridge, 1, contract1, ETHER / 10n, rng.bytes(36)),
  ];
  const l1 = new ExitTree(P.exitDepth);
  l1Leaves.forEach((l) => l1.append(hashExitLeaf(l)));
  const checkpoint = 1n;
  const l1Ref: CertificateRef = { networkId: 0, height: checkpoint, certificateId: 0n };
  const fromL1 = (i: number): ImportedExit => ({ leaf: l1Leaves[i], leafIndex: i, source: l1Ref, sourceExitRoot: l1.root(), siblings: l1.proof(i).siblings });

  const bundleId = fieldKeccak(toUtf8Bytes("bundle: network 1 -> network 2 swap"));
  const entries: RawCertificateEntry[] = [];
  const states: Record<number, NetworkState> = { 1: new NetworkState(1, P), 2: new NetworkState(2, P) };

  const certify = (name: string, networkId: number, input: { height: bigint; imports: ImportedExit[]; exits: ExitLeaf[]; bundles?: BundleLeg[]; extraDependencies?: CertificateRef[] }) => {
    const before = states[networkId];
    const built = buildCertificate(before, { ...input, newStateRoot: rng.bytes32() });
    const signed = signHeaderSync(SEQUENCER_KEYS[networkId], { networkId, height: input.height, certificateId: built.certificateId });
    entries.push({
      name,
      networkId,
      height: hex(input.height),
      certificateId: signed.certificateId,
      digest: signed.digest,
      signature: signed.signature,
      signer: signed.signer,
      stateCommitments: { prev: hex(built.certificate.prevStateCommitment), new: hex(built.certificate.newStateCommitment) },
      localExitRoots: { prev: hex(built.certificate.prevLocalExitRoot), new: hex(built.certificate.newLocalExitRoot) },
      publicSignals: certificatePublicSignals(built.certificate, built.certificateId, VECTOR_STATEMENT_SHAPE).map(hex),
      certificate: certificateToJson({ ...built.certificate, signature: signed.signature }),
      balancesAfter: balancesJson(built.transition.state),
    });
    states[networkId] = built.transition.state;
    return { ref: { networkId, height: input.height, certificateId: built.certificateId }, state: built.transition.state, built };
  };
  const fromCert = (c: ReturnType<typeof certify>, i: number): ImportedExit => {
    const p = c.state.exitTree.proof(i);
    const leaf = c.built.certificate.bridgeExits[i];
    return { leaf, leafIndex: i, source: c.ref, sourceExitRoot: c.state.exitRoot, siblings: p.siblings };
  };

  // Network 1, height 0: claims alice's L1 deposits and an L1 message, bridges onward to network 2.
  const c1 = certify("network 1, height 0: imports L1 deposits, bridges to network 2", 1, {
    height: 0n,
    imports: [fromL1(0), fromL1(1), fromL1(3)],
    exits: [
      assetLeaf(gasCoin(0), 2, bob, 3n * ETHER, tokenMetadata("Ether", "ETH", 18)),
      assetLeaf({ originNetwork: 0, originAddress: USDC }, 2, bob, 250_000n * 10n ** 6n, tokenMetadata("USD Coin", "USDC", 6)),
      assetLeaf(net1Token, 2, bob, 500n * ETHER, tokenMetadata("Network One Token", "ONE", 18)),
      messageLeaf(1, contract1, 2, contract2, ETHER, rng.bytes(100)),
    ],
    bundles: [{ bundleId, legIndex: 0, legCount: 2, success: true, participants: [1, 2] }],
  });
  // Network 2, height 0: imports bob's L1 deposit and everything network 1 sent it, sends some back.
  const c2 = certify("network 2, height 0: imports from L1 and network 1 (dependency), bridges back", 2, {
    height: 0n,
    imports: [fromL1(2), fromCert(c1, 0), fromCert(c1, 1), fromCert(c1, 2), fromCert(c1, 3)],
    exits: [
      assetLeaf(gasCoin(0), 0, carol, 2n * ETHER, tokenMetadata("Ether", "ETH", 18)),
      assetLeaf(net1Token, 1, alice, 200n * ETHER, tokenMetadata("Network One Token", "ONE", 18)),
      assetLeaf(gasCoin(1), 1, alice, ETHER / 4n),
    ],
    bundles: [{ bundleId, legIndex: 1, legCount: 2, success: true, participants: [1, 2] }],
  });
  // Network 1, height 1: takes back its native token and its gas coin (neither is tracked by its balance tree).
  const c3Input = {
    height: 1n,
    imports: [fromCert(c2, 1), fromCert(c2, 2)],
    exits: [messageLeaf(1, contract1, 2, contract2, 0n)],
  };
  const c1State = c1.state;
  certify("network 1, height 1: imports its own tokens back from network 2 (dependency)", 1, c3Input);

  // Equivocation: a second, different certificate for network 1 at height 1, also signed by its sequencer.
  const alt = buildCertificate(c1State, { ...c3Input, newStateRoot: rng.bytes32() });
  const altSigned = signHeaderSync(SEQUENCER_KEYS[1], { networkId: 1, height: 1n, certificateId: alt.certificateId });
  const real = entries[2];
  if (BigInt(real.certificateId) === alt.certificateId) throw new Error("equivocation pair has equal ids");

  // An honest rebuild: the layer rejected network 1's revision 0 at height 1 (alt) and signed the rejection; the
  // chain rebuilt the height as revision 1. Both headers are the sequencer's, and they are not an equivocation.
  const rebuilt = buildCertificate(c1State, { ...c3Input, revision: 1, newStateRoot: rng.bytes32() });
  const rebuiltSigned = signHeaderSync(SEQUENCER_KEYS[1], { networkId: 1, height: 1n, revision: 1, certificateId: rebuilt.certificateId });
  const rejectionDigest = TypedDataEncoder.hash(eip712Domain(VECTOR_DOMAIN), REJECTION_TYPES, { networkId: 1, height: 1n, revision: 0 });
  const layer = new SigningKey(LAYER_KEY);

  return {
    ...header(
      "A certificate scenario built with the model (TEST_PARAMS): network 1 imports L1 deposits (L1 = network 0, source {networkId 0, height = checkpoint, certificateId 0}) " +
        "and bridges to network 2; network 2 imports them (dependency on network 1's certificate) and bridges back; network 1 imports those (dependency on network 2). " +
        "Each certificate: its id, state commitments, certificateToJson encoding with the sequencer's EIP-712 signature of Certificate(networkId, height, revision, certificateId), " +
        "the digest and the signer. Plus an equivocation pair (same network, height and revision, different ids, both signed) and an honest rebuild " +
        "(revision 0 rejected, the layer's signed Rejection(networkId, height, revision) licence, revision 1 rebuilt: not an equivocation). Private keys are fixed test keys.",
    ),
    params: { exitDepth: P.exitDepth, balanceDepth: P.balanceDepth, networkBits: P.networkBits },
    domain: { name: EIP712_NAME, version: EIP712_VERSION, chainId: VECTOR_DOMAIN.chainId, verifyingContract: VECTOR_DOMAIN.verifyingContract },
    sequencers: [1, 2].map((networkId) => ({ networkId, privateKey: SEQUENCER_KEYS[networkId], address: computeAddress(SEQUENCER_KEYS[networkId]) })),
    l1: { networkId: 0, checkpoint: hex(checkpoint), exitRoot: hex(l1.root()), leaves: l1Leaves.map(leafToJson), leafHashes: l1.allLeaves().map(hex) },
    certificates: entries,
    equivocation: {
      networkId: 1,
      height: hex(1n),
      sequencer: computeAddress(SEQUENCER_KEYS[1]),
      a: { certificateId: real.certificateId, digest: real.digest, signature: real.signature },
      b: { certificateId: altSigned.certificateId, digest: altSigned.digest, signature: altSigned.signature },
      certificateB: certificateToJson(alt.certificate),
    },
    rebuild: {
      networkId: 1,
      height: hex(1n),
      rejected: { revision: 0, certificateId: altSigned.certificateId, digest: altSigned.digest, signature: altSigned.signature },
      rebuilt: { revision: 1, certificateId: rebuiltSigned.certificateId, digest: rebuiltSigned.digest, signature: rebuiltSigned.signature },
      certificate: certificateToJson({ ...rebuilt.certificate, signature: rebuiltSigned.signature }),
      licence: { signer: computeAddress(layer.publicKey), privateKey: LAYER_KEY, digest: rejectionDigest, signature: layer.sign(rejectionDigest).serialized },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// accounting.json

class SourceTree {
  readonly tree: ExitTree;
  readonly leaves: ExitLeaf[] = [];
  constructor(readonly networkId: number, depth: number) {
    this.tree = new ExitTree(depth);
  }
  add(leaf: ExitLeaf): number {
    this.leaves.push(leaf);
    return this.tree.append(hashExitLeaf(leaf));
  }
  /** Import input for leaf i against the tree's final root (call once every leaf is added). */
  imp(i: number): ImportInput {
    return { leaf: this.leaves[i], sourceNetwork: this.networkId, leafIndex: i, sourceExitRoot: this.tree.root(), siblings: this.tree.proof(i).siblings };
  }
}

const importJson = (m: ImportInput): RawImport => ({
  leaf: leafToJson(m.leaf),
  sourceNetwork: m.sourceNetwork,
  leafIndex: m.leafIndex,
  sourceExitRoot: hex(m.sourceExitRoot),
  siblings: m.siblings.map(hex),
});

interface CaseSpec {
  name: string;
  initialBalances?: [TokenId, bigint][];
  steps: { imports?: ImportInput[]; exits?: ExitLeaf[]; error?: { code: string; item: "import" | "exit"; index: number } }[];
}

function runCase(params: TreeParams, networkId: number, spec: CaseSpec): RawAccountingCase {
  let state = new NetworkState(networkId, params);
  for (const [token, balance] of spec.initialBalances ?? []) seedBalance(state, token, balance);
  const initialCommitment = state.commitment();
  const steps = spec.steps.map((s, k) => {
    const imports = s.imports ?? [];
    const exits = s.exits ?? [];
    let expect: RawAccountingExpect;
    try {
      const r = applyTransition(state, imports, exits);
      if (s.error) throw new Error(`vector "${spec.name}" step ${k}: expected ${s.error.code}, the transition was accepted`);
      state = r.state;
      expect = {
        ok: true,
        stateCommitment: hex(state.commitment()),
        exitRoot: hex(state.exitRoot),
        exitCount: state.exitTree.count,
        balanceRoot: hex(state.balances.root()),
        nullifierRoot: hex(state.nullifiers.root()),
        balances: balancesJson(state),
      };
    } catch (e) {
      if (!(e instanceof AccountingError)) throw e;
      const want = s.error;
      if (!want || want.code !== e.code || want.item !== e.item || want.index !== e.index) {
        throw new Error(`vector "${spec.name}" step ${k}: expected ${want ? `${want.code} at ${want.item} ${want.index}` : "success"}, got ${e.message}`);
      }
      if (k !== spec.steps.length - 1) throw new Error(`vector "${spec.name}": only the last step may fail`);
      expect = { ok: false, code: e.code, item: e.item, index: e.index };
    }
    return { imports: imports.map(importJson), exits: exits.map(leafToJson), expect };
  });
  return {
    name: spec.name,
    networkId,
    initialBalances: (spec.initialBalances ?? []).map(([t, b]) => ({ token: tokenJson(t), balance: hex(b) })),
    initialCommitment: hex(initialCommitment),
    steps,
  };
}

function accountingVectors(): RawAccountingFile {
  const rng = new Prng("accounting");
  const P = TEST_PARAMS;
  const ME = 1;
  const user = rng.address();
  const usdc: TokenId = { originNetwork: 0, originAddress: USDC };
  const t0: TokenId = { originNetwork: 0, originAddress: rng.address() };
  const one: TokenId = { originNetwork: 1, originAddress: rng.address() };
  const two: TokenId = { originNetwork: 2, originAddress: rng.address() };
  // Tokens that fill every balance slot of a TEST_PARAMS network (2^balanceDepth of them).
  const fillers: TokenId[] = Array.from({ length: 2 ** P.balanceDepth }, (_, k) => ({ originNetwork: 3, originAddress: BigInt(k + 1) }));

  const l1 = new SourceTree(0, P.exitDepth);
  const L1_ETH = l1.add(assetLeaf(gasCoin(0), ME, user, 10n * ETHER));
  const L1_USDC = l1.add(assetLeaf(usdc, ME, user, 1000n * 10n ** 6n, tokenMetadata("USD Coin", "USDC", 6)));
  const L1_TO_2 = l1.add(assetLeaf(gasCoin(0), 2, user, ETHER));
  const L1_MSG = l1.add(messageLeaf(0, rng.address(), ME, rng.address(), ETHER / 10n, rng.bytes(4)));
  const L1_T0 = l1.add(assetLeaf(t0, ME, user, 1n));

  const n2 = new SourceTree(2, P.exitDepth);
  const N2_MSG = n2.add(messageLeaf(2, rng.address(), ME, rng.address(), ETHER / 2n, rng.bytes(36)));
  const N2_FOREIGN_MSG = n2.add(messageLeaf(3, rng.address(), ME, rng.address(), 1n));
  const N2_ONE_HOME = n2.add(assetLeaf(one, ME, user, 42n));
  const N2_TWO = n2.add(assetLeaf(two, ME, user, 7n));
  const N2_ZERO = n2.add(assetLeaf(usdc, ME, user, 0n, tokenMetadata("USD Coin", "USDC", 0))); // no honest bridge makes it

  const n1 = new SourceTree(ME, P.exitDepth);
  const N1_SELF = n1.add(assetLeaf(gasCoin(0), ME, user, 1n));

  const tampered = (m: ImportInput, f: (m: ImportInput) => ImportInput) => f({ ...m, siblings: [...m.siblings] });
  const LIMIT = 1n << 192n;

  const specs: CaseSpec[] = [
    {
      name: "valid sequence: L1 deposits and a message, onward exits, then imports from network 2 (message value, a native token coming home) and exits to zero",
      steps: [
        {
          imports: [l1.imp(L1_ETH), l1.imp(L1_USDC), l1.imp(L1_MSG)],
          exits: [assetLeaf(gasCoin(0), 2, user, 4n * ETHER), messageLeaf(ME, user, 2, rng.address(), 2n * ETHER, rng.bytes(8)), assetLeaf(one, 2, user, 5n)],
        },
        {
          imports: [n2.imp(N2_MSG), n2.imp(N2_ONE_HOME), n2.imp(N2_TWO)],
          exits: [assetLeaf(usdc, 0, user, 1000n * 10n ** 6n), assetLeaf(gasCoin(2), 2, user, ETHER / 5n), assetLeaf(two, 2, user, 7n), assetLeaf(gasCoin(0), 0, user, 6n * ETHER + ETHER / 10n)],
        },
      ],
    },
    { name: "credit up to exactly 2^192 - 1 is accepted", initialBalances: [[t0, LIMIT - 2n]], steps: [{ imports: [l1.imp(L1_T0)] }] },
    {
      name: "OVERDRAW: exit of 1 unit more than the balance",
      steps: [{ imports: [l1.imp(L1_USDC)] }, { exits: [assetLeaf(usdc, 0, user, 1000n * 10n ** 6n + 1n)], error: { code: "OVERDRAW", item: "exit", index: 0 } }],
    },
    {
      name: "OVERDRAW: exit of a foreign token never held",
      steps: [{ exits: [messageLeaf(ME, user, 2, user, 0n), assetLeaf(two, 2, user, 1n)], error: { code: "OVERDRAW", item: "exit", index: 1 } }],
    },
    {
      name: "ZERO_AMOUNT: asset exit of amount 0 of a token never held, with metadata (a metadata squat)",
      steps: [{ exits: [assetLeaf(usdc, 2, user, 0n, tokenMetadata("USD Coin", "USDC", 0))], error: { code: "ZERO_AMOUNT", item: "exit", index: 0 } }],
    },
    { name: "ZERO_AMOUNT: import of an asset exit of amount 0", steps: [{ imports: [n2.imp(N2_ZERO)], error: { code: "ZERO_AMOUNT", item: "import", index: 0 } }] },
    { name: "DOUBLE_IMPORT: the same exit twice in one certificate", steps: [{ imports: [l1.imp(L1_ETH), l1.imp(L1_ETH)], error: { code: "DOUBLE_IMPORT", item: "import", index: 1 } }] },
    {
      name: "DOUBLE_IMPORT: an exit imported by an earlier certificate",
      steps: [{ imports: [l1.imp(L1_ETH)] }, { imports: [l1.imp(L1_USDC), l1.imp(L1_ETH)], error: { code: "DOUBLE_IMPORT", item: "import", index: 1 } }],
    },
    { name: "WRONG_DESTINATION: import of an exit for network 2", steps: [{ imports: [l1.imp(L1_TO_2)], error: { code: "WRONG_DESTINATION", item: "import", index: 0 } }] },
    { name: "SELF_EXIT: exit to the network itself", steps: [{ exits: [assetLeaf(one, ME, user, 1n)], error: { code: "SELF_EXIT", item: "exit", index: 0 } }] },
    { name: "SELF_IMPORT: import from the network's own exit tree", steps: [{ imports: [n1.imp(N1_SELF)], error: { code: "SELF_IMPORT", item: "import", index: 0 } }] },
    {
      name: "INVALID_IMPORT_PROOF: one sibling changed",
      steps: [{ imports: [tampered(l1.imp(L1_ETH), (m) => ((m.siblings[3] = m.siblings[3] + 1n), m))], error: { code: "INVALID_IMPORT_PROOF", item: "import", index: 0 } }],
    },
    {
      name: "INVALID_IMPORT_PROOF: proof of another leaf index",
      steps: [{ imports: [tampered(l1.imp(L1_ETH), (m) => ({ ...m, leafIndex: L1_USDC }))], error: { code: "INVALID_IMPORT_PROOF", item: "import", index: 0 } }],
    },
    {
      name: "INVALID_IMPORT_PROOF: the leaf is not under the named root (another network's root)",
      steps: [{ imports: [tampered(l1.imp(L1_ETH), (m) => ({ ...m, sourceExitRoot: n2.tree.root() }))], error: { code: "INVALID_IMPORT_PROOF", item: "import", index: 0 } }],
    },
    {
      name: "INVALID_IMPORT_PROOF: proof one sibling short",
      steps: [{ imports: [tampered(l1.imp(L1_ETH), (m) => ({ ...m, siblings: m.siblings.slice(0, -1) }))], error: { code: "INVALID_IMPORT_PROOF", item: "import", index: 0 } }],
    },
    {
      name: "MESSAGE_ORIGIN_MISMATCH: imported message claims origin 3 but is proven in network 2's tree",
      steps: [{ imports: [n2.imp(N2_MSG), n2.imp(N2_FOREIGN_MSG)], error: { code: "MESSAGE_ORIGIN_MISMATCH", item: "import", index: 1 } }],
    },
    {
      name: "MESSAGE_ORIGIN_MISMATCH: message exit claiming origin network 2",
      steps: [{ exits: [messageLeaf(2, user, 2, user, 0n)], error: { code: "MESSAGE_ORIGIN_MISMATCH", item: "exit", index: 0 } }],
    },
    { name: "BALANCE_OVERFLOW: credit to 2^192", initialBalances: [[t0, LIMIT - 1n]], steps: [{ imports: [l1.imp(L1_T0)], error: { code: "BALANCE_OVERFLOW", item: "import", index: 0 } }] },
    {
      name: "per token, not per item: a balance may pass 2^192 - 1 inside a certificate if it ends below (import 1 onto 2^192 - 1, exit 1)",
      initialBalances: [[t0, LIMIT - 1n]],
      steps: [{ imports: [l1.imp(L1_T0)], exits: [assetLeaf(t0, 2, user, 1n)] }],
    },
    {
      name: "per token: a token never held is imported and exited in one certificate (one balance update, before 0, after 0)",
      steps: [{ imports: [l1.imp(L1_USDC)], exits: [assetLeaf(usdc, 2, user, 400n * 10n ** 6n), assetLeaf(usdc, 0, user, 600n * 10n ** 6n)] }],
    },
    {
      name: "OVERDRAW: two exits of one token that each fit the balance but not together",
      steps: [{ imports: [l1.imp(L1_USDC)] }, { exits: [assetLeaf(usdc, 2, user, 600n * 10n ** 6n), assetLeaf(usdc, 0, user, 400n * 10n ** 6n + 1n)], error: { code: "OVERDRAW", item: "exit", index: 1 } }],
    },
    {
      name: `BALANCE_TREE_FULL: a new token when all 2^${P.balanceDepth} balance slots are taken`,
      initialBalances: fillers.map((t) => [t, 1n] as [TokenId, bigint]),
      steps: [{ exits: [assetLeaf(fillers[0], 2, user, 1n)] }, { imports: [l1.imp(L1_USDC)], error: { code: "BALANCE_TREE_FULL", item: "import", index: 0 } }],
    },
    { name: "INVALID_LEAF: exit amount 2^128", steps: [{ exits: [assetLeaf(one, 2, user, 1n << 128n)], error: { code: "INVALID_LEAF", item: "exit", index: 0 } }] },
  ];

  const sourceTreeJson = (s: SourceTree) => ({ networkId: s.networkId, root: hex(s.tree.root()), leaves: s.leaves.map(leafToJson), leafHashes: s.tree.allLeaves().map(hex) });
  return {
    ...header(
      `applyTransition cases for network ${ME} with TEST_PARAMS. Replay: state = new NetworkState(networkId, params); seed initialBalances (test/helpers/vectors.ts seedBalance); ` +
        "check initialCommitment; apply the steps in order (imports then exits). ok steps give the new commitment, roots and balance book (by slot); a refused step " +
        "gives the AccountingError code, item and index, and leaves the state unchanged. Imports are {leaf (leafToJson), sourceNetwork, leafIndex, sourceExitRoot, siblings}; " +
        "sourceTrees are the exit trees the imports were proven against.",
    ),
    params: { exitDepth: P.exitDepth, balanceDepth: P.balanceDepth, networkBits: P.networkBits },
    sourceTrees: [sourceTreeJson(l1), sourceTreeJson(n1), sourceTreeJson(n2)],
    cases: specs.map((s) => runCase(P, ME, s)),
  };
}

// ---------------------------------------------------------------------------------------------------------

/** Every vector file, by file name, as it is written (before serializeVectorFile). */
export function generateVectors(): Record<string, unknown> {
  return {
    "poseidon.json": poseidonVectors(),
    "exit-leaves.json": exitLeafVectors(),
    "exit-tree.json": exitTreeVectors(),
    "smt.json": smtVectors(),
    "certificates.json": certificateVectors(),
    "accounting.json": accountingVectors(),
  };
}

function main(): void {
  const check = process.argv.includes("--check");
  const files = generateVectors();
  let stale = 0;
  fs.mkdirSync(VECTORS_DIR, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(VECTORS_DIR, name);
    const text = serializeVectorFile(content);
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    if (old === text) {
      console.log(`unchanged  ${path.relative(process.cwd(), file)}`);
      continue;
    }
    stale++;
    if (check) {
      console.log(`STALE      ${path.relative(process.cwd(), file)}`);
    } else {
      fs.writeFileSync(file, text);
      console.log(`written    ${path.relative(process.cwd(), file)} (${text.length} bytes)`);
    }
  }
  if (check && stale > 0) process.exitCode = 1;
}

if (require.main === module) main();
