import { expect } from "chai";
import { getBytes, keccak256 } from "ethers";
import { ExitLeaf, FIELD_MODULUS, InvalidLeafError, LeafType, fieldKeccak, hashExitLeaf, leafFromJson, leafToJson, packLeafWord, poseidon, validateLeaf } from "../../lib";
import { Prng } from "../../scripts/gen-vectors";
import { loadExitLeafVectors } from "../helpers/vectors";

/** The word packing of docs/protocol.md §3, written with multiplications. */
const word = (l: ExitLeaf) => BigInt(l.leafType) + BigInt(l.originNetwork) * 2n ** 8n + BigInt(l.destinationNetwork) * 2n ** 40n + l.amount * 2n ** 72n;

function unpack(w: bigint) {
  return {
    leafType: Number(w & 0xffn),
    originNetwork: Number((w >> 8n) & 0xffffffffn),
    destinationNetwork: Number((w >> 40n) & 0xffffffffn),
    amount: w >> 72n,
  };
}

describe("exit leaves (lib/exit-leaf.ts)", () => {
  describe("vectors (test/vectors/exit-leaves.json)", () => {
    const v = loadExitLeafVectors();

    it("cover both leaf types and every field at its edges", () => {
      const leaves = v.map((x) => x.leaf);
      expect(leaves.some((l) => l.leafType === LeafType.Asset) && leaves.some((l) => l.leafType === LeafType.Message)).to.equal(true);
      for (const [field, values] of [
        ["amount", [0n, 2n ** 128n - 1n]],
        ["originAddress", [0n, 2n ** 160n - 1n]],
        ["destinationAddress", [0n, 2n ** 160n - 1n]],
        ["originNetwork", [0, 2 ** 32 - 1]],
        ["destinationNetwork", [0, 2 ** 32 - 1]],
      ] as const) {
        for (const x of values) expect(leaves.some((l) => l[field] === x), `${field} = ${x}`).to.equal(true);
      }
      expect(v.some((x) => x.metadata === "0x")).to.equal(true);
      expect(v.length).to.be.greaterThanOrEqual(12);
    });

    for (const x of loadExitLeafVectors()) {
      it(x.name, () => {
        expect(x.leaf.metadataHash).to.equal(BigInt(keccak256(x.metadata)) >> 3n);
        expect(x.leaf.metadataHash).to.equal(fieldKeccak(x.metadata));
        expect(x.word).to.equal(word(x.leaf));
        expect(x.word).to.equal(packLeafWord(x.leaf));
        expect(x.leafHash).to.equal(poseidon([x.word, x.leaf.originAddress, x.leaf.destinationAddress, x.leaf.metadataHash]));
        expect(x.leafHash).to.equal(hashExitLeaf(x.leaf));
        expect(leafFromJson(leafToJson(x.leaf))).to.deep.equal(x.leaf);
      });
    }
  });

  it("the word is below 2^200 and its fields do not overlap (it unpacks to the leaf)", () => {
    const rng = new Prng("exit leaf words");
    for (let k = 0; k < 200; k++) {
      const l = rng.exitLeaf();
      const w = packLeafWord(l);
      expect(w < 1n << 200n).to.equal(true);
      expect(unpack(w)).to.deep.equal({ leafType: l.leafType, originNetwork: l.originNetwork, destinationNetwork: l.destinationNetwork, amount: l.amount });
    }
    const max: ExitLeaf = { leafType: LeafType.Message, originNetwork: 2 ** 32 - 1, originAddress: 0n, destinationNetwork: 2 ** 32 - 1, destinationAddress: 0n, amount: 2n ** 128n - 1n, metadataHash: 0n };
    expect(packLeafWord(max)).to.equal((1n << 200n) - 1n - 0xfen);
  });

  it("each field changes the leaf hash", () => {
    const rng = new Prng("exit leaf fields");
    const l = rng.exitLeaf();
    const hashes = new Set([
      hashExitLeaf(l),
      hashExitLeaf({ ...l, leafType: 1 - l.leafType }),
      hashExitLeaf({ ...l, originNetwork: l.originNetwork ^ 1 }),
      hashExitLeaf({ ...l, originAddress: l.originAddress ^ 1n }),
      hashExitLeaf({ ...l, destinationNetwork: l.destinationNetwork ^ 1 }),
      hashExitLeaf({ ...l, destinationAddress: l.destinationAddress ^ 1n }),
      hashExitLeaf({ ...l, amount: l.amount ^ 1n }),
      hashExitLeaf({ ...l, metadataHash: l.metadataHash ^ 1n }),
    ]);
    expect(hashes.size).to.equal(8);
  });

  it("validateLeaf (and hashExitLeaf) reject out-of-range fields with INVALID_LEAF", () => {
    const ok: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 1n, destinationNetwork: 1, destinationAddress: 2n, amount: 3n, metadataHash: 4n };
    const bad: Partial<ExitLeaf>[] = [
      { leafType: 2 as LeafType },
      { leafType: -1 as LeafType },
      { originNetwork: 2 ** 32 },
      { originNetwork: -1 },
      { destinationNetwork: 1.5 },
      { originAddress: 1n << 160n },
      { destinationAddress: -1n },
      { amount: 1n << 128n },
      { amount: -1n },
      { metadataHash: FIELD_MODULUS },
    ];
    expect(() => validateLeaf(ok)).to.not.throw();
    for (const b of bad) {
      const l = { ...ok, ...b };
      expect(() => validateLeaf(l), JSON.stringify(b, (_, x) => (typeof x === "bigint" ? x.toString() : x))).to.throw(InvalidLeafError);
      expect(() => hashExitLeaf(l)).to.throw(InvalidLeafError);
    }
    expect(() => validateLeaf({ ...ok, amount: 1n << 128n })).to.throw(InvalidLeafError).with.property("code", "INVALID_LEAF");
  });

  it("fieldKeccak is keccak256 >> 3, below the modulus, for hex strings and bytes alike", () => {
    const rng = new Prng("fieldKeccak");
    for (let k = 0; k < 50; k++) {
      const data = rng.bytes(rng.int(80));
      const x = fieldKeccak(data);
      expect(x < FIELD_MODULUS).to.equal(true);
      expect(x).to.equal(BigInt(keccak256(data)) >> 3n);
      expect(fieldKeccak(getBytes(data))).to.equal(x);
    }
  });
});
