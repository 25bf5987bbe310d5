/**
 * The networks' history trees (lib/history.ts, through lib/network-records.ts): the same roots and proofs as the exit tree
 * over the same leaves, versions that share one log and diverge safely, O(depth) appends, and a log that lets released
 * entries go to an archive and reads them back (checked against the node it kept).
 */
import { expect } from "chai";
import { ExitTree, verifyMerkleProof } from "../../lib/exit-tree";
import { NetworkRecords, NetworkRecord, historyLeaf } from "../../lib/network-records";
import { LayerParams } from "../../lib/params";
import { HistoryArchive, HistoryEntry, HistoryTree } from "../../lib/history";
import { NetworkState } from "../../lib/network-state";
import { poseidonCount } from "../../lib/poseidon";
import { mulberry32 } from "../../scripts/lib/prng";

const entryOf = (i: number, salt = 0): HistoryEntry => ({ certificateId: BigInt(1000 + i * 7 + salt), exitRoot: BigInt(5 + i * 3 + salt) });

/** An archive over a list of entries, counting the blocks read back. */
function listArchive(entries: HistoryEntry[]): { archive: HistoryArchive; reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    archive: (_networkId, from, to) => {
      reads.push(from);
      return entries.slice(from, to);
    },
  };
}

function grow(tree: HistoryTree, entries: HistoryEntry[]): HistoryTree {
  for (const e of entries) tree = tree.append(e);
  return tree;
}

function expectSameAsExitTree(tree: HistoryTree, entries: HistoryEntry[], label: string): void {
  const reference = new ExitTree(tree.depth);
  for (const e of entries) reference.append(historyLeaf(e));
  expect(tree.count, label).to.equal(entries.length);
  expect(tree.root(), `${label}: root`).to.equal(reference.root());
  expect(tree.appendProof(), `${label}: append proof`).to.deep.equal(reference.appendProof());
  for (let i = 0; i < entries.length; i++) {
    expect(tree.proof(i), `${label}: proof ${i}`).to.deep.equal(reference.proof(i));
    expect(tree.entry(i), `${label}: entry ${i}`).to.deep.equal(entries[i]);
  }
}

describe("history trees (lib/history.ts)", function () {
  it("gives the exit tree's roots, proofs and append proofs over the same leaves, at every size", function () {
    this.timeout(60_000);
    const entries = Array.from({ length: 70 }, (_, i) => entryOf(i));
    let tree = HistoryTree.empty(7);
    for (let n = 0; n <= entries.length; n++) {
      expectSameAsExitTree(tree, entries.slice(0, n), `size ${n}`);
      if (n < entries.length) tree = tree.append(entries[n]);
    }
    expect(() => grow(HistoryTree.empty(3), entries.slice(0, 8))).to.throw(/full/);
  });

  it("versions share one log: an old version keeps its root and proofs; a diverging append gets a log of its own", function () {
    const base = grow(HistoryTree.empty(6), Array.from({ length: 10 }, (_, i) => entryOf(i)));
    const a = grow(base, [entryOf(10), entryOf(11)]);
    const same = base.append(entryOf(10)); // what `a` appended: shared
    const b = grow(base, [entryOf(10, 99), entryOf(11, 99)]); // another history from height 10
    const common = Array.from({ length: 10 }, (_, i) => entryOf(i));
    expectSameAsExitTree(base, common, "base");
    expectSameAsExitTree(a, [...common, entryOf(10), entryOf(11)], "a");
    expectSameAsExitTree(same, [...common, entryOf(10)], "same");
    expectSameAsExitTree(b, [...common, entryOf(10, 99), entryOf(11, 99)], "b");
    expectSameAsExitTree(grow(a, [entryOf(12)]), [...common, entryOf(10), entryOf(11), entryOf(12)], "a + 1");
  });

  it("a record advances in O(depth): 4,096 finalized certificates cost a few hashes each, not a copy of the history", function () {
    this.timeout(60_000);
    const p: LayerParams = { exitDepth: 4, balanceDepth: 4, networkBits: 2, historyDepth: 20 };
    let record = NetworkRecord.genesis(1, p);
    const state = new NetworkState(1, p);
    expect(state.exitRoot).to.be.a("bigint"); // the exit root is cached from here on
    const before = poseidonCount();
    for (let i = 0; i < 4096; i++) record = record.advance(state, BigInt(i + 1));
    const perAppend = (poseidonCount() - before) / 4096;
    expect(perAppend, "Poseidon hashes per advance").to.be.below(3);
    expect(record.nextHeight).to.equal(4096n);
    expect(record.entry(4095n)).to.deep.equal({ certificateId: 4096n, exitRoot: state.exitRoot });
  });

  it("releases whole blocks to the archive, reads them back for entries and proofs, and checks what it reads", function () {
    this.timeout(60_000);
    const rnd = mulberry32(3);
    const entries = Array.from({ length: 1300 }, (_, i) => entryOf(i));
    const { archive, reads } = listArchive(entries);
    let tree = grow(HistoryTree.empty(12, 1, archive), entries.slice(0, 1000));
    tree.release(700);
    expect(tree.releasedBelow).to.equal(512); // whole blocks of 256 only
    tree = grow(tree, entries.slice(1000));
    tree.release(1300);
    expect(tree.releasedBelow).to.equal(1280);
    expect(reads).to.deep.equal([]);
    const reference = new ExitTree(12);
    for (const e of entries) reference.append(historyLeaf(e));
    expect(tree.root()).to.equal(reference.root());
    for (let k = 0; k < 60; k++) {
      const i = Math.floor(rnd() * entries.length);
      expect(tree.proof(i), `proof ${i}`).to.deep.equal(reference.proof(i));
      expect(tree.entry(i)).to.deep.equal(entries[i]);
      expect(verifyMerkleProof(tree.root(), historyLeaf(entries[i]), i, tree.proof(i).siblings)).to.equal(true);
    }
    expect(reads.length, "blocks read back").to.be.greaterThan(0);
    expect(new Set(reads).size).to.be.at.most(5);
    // an archive that does not hold what was released is refused, not believed
    const wrong = entries.map((e, i) => (i === 300 ? entryOf(300, 1) : e));
    const t2 = grow(HistoryTree.empty(12, 1, listArchive(wrong).archive), entries.slice(0, 600));
    t2.release(600);
    expect(() => t2.entry(300)).to.throw(/does not hash to the node kept/);
    const short = grow(HistoryTree.empty(12, 1, () => []), entries.slice(0, 600));
    short.release(600);
    expect(() => short.proof(10)).to.throw(/archive has 0 of the 256 entries/);
    expect(() => grow(HistoryTree.empty(12), entries.slice(0, 600)).release(600)).to.throw(/no archive/);
  });

  it("network records with an archive answer finalized() for released heights; without one they keep everything", function () {
    const p: LayerParams = { exitDepth: 4, balanceDepth: 4, networkBits: 2, historyDepth: 12 };
    const state = new NetworkState(2, p);
    const entries: HistoryEntry[] = Array.from({ length: 600 }, (_, i) => ({ certificateId: BigInt(i + 1), exitRoot: state.exitRoot }));
    const { archive } = listArchive(entries);
    for (const withArchive of [true, false]) {
      const g = new NetworkRecords(p, undefined, withArchive ? archive : null);
      let record = g.record(2);
      for (const e of entries) record = record.advance(state, e.certificateId);
      g.put(record);
      g.clone().releaseHistory(2, 600n); // the clone shares the record's log
      expect(g.record(2).history.releasedBelow).to.equal(withArchive ? 512 : 0);
      expect(g.finalized(2, 3n)).to.deep.equal(entries[3]);
      expect(g.finalized(2, 600n)).to.equal(undefined);
      expect(g.record(2).entries).to.deep.equal(entries);
    }
  });
});
