import { expect } from "chai";
import { ethers } from "hardhat";
import { readFileSync } from "fs";
import { ExitTree, zeroHashes, hashExitLeaf, fieldKeccak, LeafType, packLeafWord, ExitLeaf, poseidon } from "../../lib";
import { renderZeroHashes, ZERO_HASHES_PATH } from "../../scripts/gen-zero-hashes";
import { deployPoseidonLibraries } from "../../deploy/bridge-stack";
import { ExitTreeHarness__factory } from "../../typechain-types";
import type { ExitTreeHarness } from "../../typechain-types";
import { loadAllExitTreeVectors, loadExitLeafVectors, loadPoseidonVectors } from "../helpers/vectors";

/** Deterministic PRNG (mulberry32) so a failure is reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randomField(r: () => number): bigint {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  return x % 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
}

async function harness(depth: number): Promise<ExitTreeHarness> {
  const [deployer] = await ethers.getSigners();
  const libs = await deployPoseidonLibraries(deployer);
  return new ExitTreeHarness__factory(
    { "poseidon-solidity/PoseidonT3.sol:PoseidonT3": libs.poseidonT3, "poseidon-solidity/PoseidonT5.sol:PoseidonT5": libs.poseidonT5 },
    deployer,
  ).deploy(depth);
}

describe("ExitTreeLib / ExitLeafLib (Solidity) against the reference model", function () {
  it("ZeroHashes.sol is generated from the model and current", async function () {
    expect(readFileSync(ZERO_HASHES_PATH, "utf8")).to.equal(renderZeroHashes());
    const h = await harness(32);
    const z = zeroHashes(32);
    for (let i = 0; i <= 32; i++) expect(await h.zero(i)).to.equal(z[i]);
    await expect(h.zero(33)).to.be.revertedWithCustomError(h, "ZeroHashHeightOutOfRange");
  });

  it("PoseidonT3 agrees with the model and circomlib's published value", async function () {
    const h = await harness(32);
    expect(await h.computeRoot(1n, 0n, [2n])).to.equal(poseidon([1n, 2n]));
    expect(poseidon([1n, 2n])).to.equal(7853200120776062878684798364095072458815029376092732009249414926327459813530n);
  });

  it("exit-leaves.json: every leaf hash and metadata hash is reproduced on chain", async function () {
    const h = await harness(32);
    const vectors = loadExitLeafVectors();
    expect(vectors.length).to.be.greaterThan(5);
    for (const v of vectors) {
      const l = v.leaf;
      expect(await h.fieldKeccak(v.metadata), v.name).to.equal(l.metadataHash);
      const onChain = await h.leafHash(l.leafType, l.originNetwork, ethers.toBeHex(l.originAddress, 20), l.destinationNetwork, ethers.toBeHex(l.destinationAddress, 20), l.amount, l.metadataHash);
      expect(onChain, v.name).to.equal(v.leafHash);
    }
  });

  it("exit-tree.json: the on-chain root equals the vector root after every insert (depths 32 and 8), proofs verify", async function () {
    for (const t of loadAllExitTreeVectors()) {
      const h = await harness(t.depth);
      expect(await h.root()).to.equal(t.emptyRoot);
      for (let i = 0; i < t.leaves.length; i++) {
        await h.append(t.leaves[i]);
        expect(await h.root(), `depth ${t.depth}, after insert ${i}`).to.equal(t.roots[i]);
      }
      for (const p of t.proofs) expect(await h.computeRoot(p.leaf, p.index, p.siblings)).to.equal(t.roots[t.roots.length - 1]);
    }
  });

  it("poseidon.json: PoseidonT3 reproduces circomlib's published H(1, 2), H(3, 4), H(0, 0)", async function () {
    const h = await harness(32);
    const v = loadPoseidonVectors();
    let checked = 0;
    for (const k of v.knownAnswers) {
      if (k.inputs.length !== 2) continue;
      expect(await h.computeRoot(k.inputs[0], 0n, [k.inputs[1]])).to.equal(k.output);
      checked++;
    }
    expect(checked).to.be.at.least(3);
  });

  it("exit leaf hash and fieldKeccak equal the model's on random leaves", async function () {
    const h = await harness(32);
    const r = rng(7);
    const leaves: [ExitLeaf, string][] = [
      [{ leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 1, destinationAddress: 1n, amount: 0n, metadataHash: fieldKeccak("0x") }, "0x"],
      [{ leafType: LeafType.Message, originNetwork: 2 ** 32 - 1, originAddress: 2n ** 160n - 1n, destinationNetwork: 2 ** 32 - 1, destinationAddress: 2n ** 160n - 1n, amount: 2n ** 128n - 1n, metadataHash: fieldKeccak("0xdeadbeef") }, "0xdeadbeef"],
    ];
    for (let i = 0; i < 6; i++) {
      const md = ethers.hexlify(ethers.randomBytes(1 + Math.floor(r() * 80)));
      leaves.push([{ leafType: i % 2, originNetwork: Math.floor(r() * 2 ** 32), originAddress: BigInt(ethers.Wallet.createRandom().address), destinationNetwork: Math.floor(r() * 2 ** 32), destinationAddress: BigInt(ethers.Wallet.createRandom().address), amount: randomField(r) >> 126n, metadataHash: fieldKeccak(md) }, md]);
    }
    for (const [l, md] of leaves) {
      expect(await h.fieldKeccak(md)).to.equal(l.metadataHash);
      const onChain = await h.leafHash(l.leafType, l.originNetwork, ethers.toBeHex(l.originAddress, 20), l.destinationNetwork, ethers.toBeHex(l.destinationAddress, 20), l.amount, l.metadataHash);
      expect(onChain).to.equal(hashExitLeaf(l));
    }
    expect(packLeafWord({ leafType: LeafType.Message, originNetwork: 1, destinationNetwork: 2, amount: 3n })).to.equal(1n + 256n + 2n * 2n ** 40n + 3n * 2n ** 72n);
  });

  it("root equals the model's after every one of 200 random inserts (depth 32), and proofs verify on chain", async function () {
    const h = await harness(32);
    const model = new ExitTree(32);
    const r = rng(42);
    expect(await h.root()).to.equal(model.root());
    for (let i = 0; i < 200; i++) {
      const leaf = randomField(r);
      await h.append(leaf);
      model.append(leaf);
      expect(await h.root(), `root after insert ${i}`).to.equal(model.root());
    }
    expect(await h.count()).to.equal(200n);
    for (const idx of [0, 1, 99, 127, 128, 199]) {
      const p = model.proof(idx);
      expect(await h.computeRoot(p.leaf, idx, p.siblings)).to.equal(model.root());
      const bad = [...p.siblings];
      bad[3] = bad[3] + 1n;
      expect(await h.computeRoot(p.leaf, idx, bad)).to.not.equal(model.root());
    }
  });

  it("root equals the model's after every insert of a whole depth-9 tree (511 leaves, every pending-merge pattern)", async function () {
    const h = await harness(9);
    const model = new ExitTree(9);
    const r = rng(9);
    for (let i = 0; i < 511; i++) {
      const leaf = randomField(r);
      await h.append(leaf);
      model.append(leaf);
      expect(await h.root(), `root after insert ${i}`).to.equal(model.root());
    }
    await expect(h.append(1n)).to.be.revertedWithCustomError(h, "ExitTreeFull").withArgs(9);
  });

  it("an append costs at most one Poseidon hash: its gas stays under APPEND_GAS_BOUND at every index, fresh slots included", async function () {
    const h = await harness(32);
    const bound = await h.appendGasBound();
    const r = rng(11);
    const gas: bigint[] = [];
    for (let i = 0; i < 300; i++) {
      await (await h.appendMeasured(randomField(r))).wait();
      gas.push(await h.lastGas());
    }
    const max = gas.reduce((a, b) => (a > b ? a : b));
    const min = gas.reduce((a, b) => (a < b ? a : b));
    expect(max, `append gas at index ${gas.indexOf(max)}`).to.be.lessThanOrEqual(bound);
    // no index pays for more than one hash: the spread is one PoseidonT3 (~20k) plus first writes of storage slots
    expect(max - min, `spread ${min}..${max}`).to.be.lessThan(70_000n);
    // later appends (every slot below height 8 written before) stay within one hash of each other
    const later = gas.slice(256);
    expect(later.reduce((a, b) => (a > b ? a : b)) - later.reduce((a, b) => (a < b ? a : b))).to.be.lessThan(30_000n);
  });

  it("a small tree (depth 3) takes 2^3 - 1 leaves and then refuses with ExitTreeFull", async function () {
    const h = await harness(3);
    const model = new ExitTree(3);
    for (let i = 1n; i <= 7n; i++) {
      await h.append(i);
      model.append(i);
      expect(await h.root()).to.equal(model.root());
    }
    await expect(h.append(8n)).to.be.revertedWithCustomError(h, "ExitTreeFull").withArgs(3);
    expect(() => model.append(8n)).to.throw("full");
    expect(await h.count()).to.equal(7n);
  });

  it("computeRoot refuses an index that does not fit the proof length", async function () {
    const h = await harness(32);
    await expect(h.computeRoot(1n, 4n, [0n, 0n])).to.be.revertedWithCustomError(h, "MalformedMerkleProof");
  });
});
