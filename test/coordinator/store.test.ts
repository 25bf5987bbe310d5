/**
 * The SQLite store (coordinator/store/sqlite.ts): round trips of every record kind, durability across reopen and
 * across a SIGKILL, group commit and its per-batch atomicity, the optimistic check of setStatus, id allocation,
 * pragmas and close semantics. Two tests print measurements (bulk reads, 10,000 concurrent commits) without
 * asserting on time.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet } from "ethers";
import {
  BundleLeg,
  DEVNET_PARAMS,
  ExitLeaf,
  LeafType,
  NetworkState,
  SignedCertificate,
  SigningDomain,
  buildCertificate,
  signCertificate,
} from "../../lib";
import { SCHEMA_VERSION, SqliteStore, StoreError, openSqliteStore } from "../../coordinator/store/sqlite";
import type { StoredL1Event, WriteOp } from "../../coordinator/store/store";
import type {
  CertificateRecord,
  EpochRecord,
  EquivocationRecord,
  JobRecord,
  NetworkRecordRow,
  ProofRecord,
  SettlementRecord,
  StatusChange,
} from "../../coordinator/types";
import { syntheticId, syntheticRecord } from "./fixtures/store-writer";

const DOMAIN: SigningDomain = { chainId: 31337n, verifyingContract: "0x" + "11".repeat(20) };
const WRITER = path.join(__dirname, "fixtures", "store-writer.ts");

// ------------------------------------------------------------------------------------------------ fixtures

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "store-test-"));
}

function leaf(originNetwork: number, destinationNetwork: number, amount: bigint): ExitLeaf {
  return { leafType: LeafType.Asset, originNetwork, originAddress: 0xabcn, destinationNetwork, destinationAddress: 0xdefn, amount, metadataHash: 77n };
}

interface RealCertificates {
  a: CertificateRecord;
  b: CertificateRecord;
}

/**
 * Two signed certificates built by the reference model: A (network 1) exits a native token to network 2; B
 * (network 2) imports that exit (so it depends on A), exits onwards to network 3 and carries two bundle legs.
 */
async function realCertificates(): Promise<RealCertificates> {
  const signer = Wallet.createRandom();
  // Bundle 5: leg 0 on network 1 (A), leg 1 on network 2 (B); bundle 9: B carries leg 1 of 3, failed.
  const bundles: BundleLeg[] = [
    { bundleId: 5n, legIndex: 1, legCount: 2, success: true, participants: [1, 2] },
    { bundleId: 9n, legIndex: 1, legCount: 3, success: false, participants: [3, 2, 1] },
  ];
  const legA: BundleLeg = { bundleId: 5n, legIndex: 0, legCount: 2, success: true, participants: [1, 2] };
  const exitA = leaf(1, 2, 500n);
  const builtA = buildCertificate(new NetworkState(1, DEVNET_PARAMS), { height: 0n, newStateRoot: "0x" + "aa".repeat(32), imports: [], exits: [exitA], bundles: [legA] });
  const source = { networkId: 1, height: 0n, certificateId: builtA.certificateId };
  const imp = { leaf: exitA, leafIndex: 0, source, sourceExitRoot: builtA.certificate.newLocalExitRoot, siblings: builtA.transition.state.exitTree.proof(0).siblings };
  const builtB = buildCertificate(new NetworkState(2, DEVNET_PARAMS), { height: 0n, newStateRoot: "0x" + "bb".repeat(32), imports: [imp], exits: [leaf(1, 3, 200n)], bundles });
  const a = await signCertificate(signer, DOMAIN, builtA.certificate);
  const b = await signCertificate(signer, DOMAIN, builtB.certificate);
  expect(b.dependencies).to.deep.equal([source]);
  return { a: record(a, builtA.certificateId, 1), b: record(b, builtB.certificateId, 2) };
}

function record(certificate: SignedCertificate, certificateId: bigint, seq: number): CertificateRecord {
  return {
    certificateId,
    networkId: certificate.networkId,
    height: certificate.height,
    certificate,
    status: "PreConfirmed",
    rejection: null,
    seq,
    receivedAt: 1000 + seq,
    updatedAt: 1000 + seq,
    epoch: null,
    l1Tx: null,
    proofSource: null,
  };
}

const change = (r: CertificateRecord, from: StatusChange["from"], to: StatusChange["to"], rejection?: StatusChange["rejection"]): StatusChange => ({
  certificateId: r.certificateId,
  networkId: r.networkId,
  height: r.height,
  from,
  to,
  ...(rejection ? { rejection } : {}),
});

interface OtherRecords {
  proof: ProofRecord;
  equivocation: EquivocationRecord;
  epochs: EpochRecord[];
  job: JobRecord;
  settlement: SettlementRecord;
  network: NetworkRecordRow;
  events: StoredL1Event[];
}

function otherRecords(certs: RealCertificates): OtherRecords {
  const big = (1n << 250n) + 12345n;
  const epoch: EpochRecord = {
    id: 3,
    certificateIds: [certs.a.certificateId, certs.b.certificateId],
    newRoot: big + 1n,
    status: "proved",
    createdAt: 10,
    updatedAt: 11,
    l1Epoch: null,
    l1Tx: null,
    failure: null,
  };
  return {
    proof: { certificateId: certs.a.certificateId, source: "backup", proof: { pi_a: ["1", "2"], protocol: "groth16" }, publicSignals: ["1", big.toString()], at: 99 },
    equivocation: {
      networkId: 1,
      height: (1n << 64n) - 1n,
      revision: 2 ** 32 - 1,
      idA: certs.a.certificateId,
      sigA: certs.a.certificate.signature,
      idB: big,
      sigB: "0x" + "22".repeat(65),
      detectedAt: 5,
      reportTx: null,
      reportStatus: "pending",
    },
    epochs: [epoch, { ...epoch, id: 4, status: "settled", l1Epoch: 17, l1Tx: "0x" + "cd".repeat(32), failure: "none" }],
    job: { id: 0, kind: "certificate", subject: certs.a.certificateId.toString(), status: "running", attempts: 2, progress: 0.25, createdAt: 1, updatedAt: 2, error: null },
    settlement: { id: 6, epochId: 3, nonce: 12, txHash: "0x" + "ab".repeat(32), rawTx: "0x02f8", status: "mined", blockNumber: 100, blockHash: "0x" + "ef".repeat(32), createdAt: 3, updatedAt: 4, error: null },
    network: { networkId: 2, sequencer: "0x" + "33".repeat(20), policyFlags: 1, stake: big, ejected: true, registeredBlock: 7 },
    events: [10, 11, 12].map((b) => ({ blockNumber: b, blockHash: "0x" + b.toString(16).padStart(64, "0"), logIndex: b % 2, txHash: "0x" + "99".repeat(32), name: "NetworkRegistered", args: { networkId: "2", stake: big.toString(), nested: [1, "x"] } })),
  };
}

function writeAll(certs: RealCertificates, o: OtherRecords): WriteOp[] {
  return [
    { op: "insertCertificate", record: certs.a },
    { op: "insertCertificate", record: certs.b },
    { op: "putProof", proof: o.proof },
    { op: "putEquivocation", record: o.equivocation },
    ...o.epochs.map((record): WriteOp => ({ op: "putEpoch", record })),
    { op: "putJob", record: o.job },
    { op: "putSettlement", record: o.settlement },
    { op: "putNetwork", record: o.network },
    { op: "setMeta", key: "l1.lastBlock", value: "12" },
    ...o.events.map((event): WriteOp => ({ op: "putL1Event", event })),
  ];
}

/** Every read of the interface, against what writeAll wrote (the allocated job id is 1: a fresh store). */
function expectAllRead(store: SqliteStore, certs: RealCertificates, o: OtherRecords): void {
  expect(store.getCertificate(certs.a.certificateId)).to.deep.equal(certs.a);
  expect(store.getCertificate(certs.b.certificateId)).to.deep.equal(certs.b);
  expect(store.listCertificates()).to.deep.equal([certs.a, certs.b]);
  expect(store.countCertificates()).to.equal(2);
  expect(store.getProof(certs.a.certificateId)).to.deep.equal(o.proof);
  expect(store.getProof(certs.b.certificateId)).to.equal(undefined);
  expect(store.listEquivocations()).to.deep.equal([o.equivocation]);
  expect(store.getEpoch(3)).to.deep.equal(o.epochs[0]);
  expect(store.listEpochs()).to.deep.equal(o.epochs);
  expect(store.listEpochs({ status: ["settled", "failed"] })).to.deep.equal([o.epochs[1]]);
  expect(store.listEpochs({ status: [] })).to.deep.equal([]);
  expect(store.getJob(1)).to.deep.equal({ ...o.job, id: 1 });
  expect(store.listJobs({ status: ["running"], kind: "certificate" })).to.deep.equal([{ ...o.job, id: 1 }]);
  expect(store.listJobs({ status: ["done"] })).to.deep.equal([]);
  expect(store.listSettlements()).to.deep.equal([o.settlement]);
  expect(store.listSettlements(3)).to.deep.equal([o.settlement]);
  expect(store.listSettlements(4)).to.deep.equal([]);
  expect(store.listNetworks()).to.deep.equal([o.network]);
  expect(store.getMeta("l1.lastBlock")).to.equal("12");
  expect(store.getMeta("nothing")).to.equal(undefined);
  expect(store.listL1Events()).to.deep.equal(o.events);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

/** Commits every record in batches of `size`, all in flight at once (the store groups them). */
async function insertMany(store: SqliteStore, records: CertificateRecord[], size: number): Promise<void> {
  const batches: Promise<void>[] = [];
  for (let i = 0; i < records.length; i += size) {
    batches.push(store.commit(records.slice(i, i + size).map((record): WriteOp => ({ op: "insertCertificate", record }))));
  }
  await Promise.all(batches);
}

// ------------------------------------------------------------------------------------------------ tests

describe("coordinator SqliteStore", function () {
  let certs: RealCertificates;
  let others: OtherRecords;
  const dirs: string[] = [];
  const dbFile = () => {
    const d = tempDir();
    dirs.push(d);
    return path.join(d, "store.db");
  };

  before(async () => {
    certs = await realCertificates();
    others = otherRecords(certs);
  });

  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  describe("opening", () => {
    it("sets WAL, synchronous=FULL, foreign keys and a busy timeout on a file database", async () => {
      const store = openSqliteStore(dbFile());
      expect(store.pragma("journal_mode")).to.equal("wal");
      expect(store.pragma("synchronous")).to.equal(2);
      expect(store.pragma("foreign_keys")).to.equal(1);
      expect(store.pragma("busy_timeout")).to.equal(5000);
      await store.close();
    });

    it("works in memory", async () => {
      const store = openSqliteStore(":memory:");
      expect(store.pragma("synchronous")).to.equal(2);
      await store.commit([{ op: "insertCertificate", record: certs.a }]);
      expect(store.getCertificate(certs.a.certificateId)).to.deep.equal(certs.a);
      await store.close();
    });

    it("records the schema version, reserves its key, indexes the hot queries and refuses a newer schema", async () => {
      const file = dbFile();
      const store = openSqliteStore(file);
      expect(store.getMeta("schema_version")).to.equal(String(SCHEMA_VERSION));
      expect(SCHEMA_VERSION).to.equal(3);
      expect((await rejection(store.commit([{ op: "setMeta", key: "schema_version", value: "9" }]))).message).to.match(/reserved/);
      await store.close();

      const Database = (await import("better-sqlite3")).default;
      const raw = new Database(file);
      const plan = (q: string) => (raw.prepare(`EXPLAIN QUERY PLAN ${q}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
      // The start-up query (listCertificates({live: true})) must not scan final certificates.
      expect(plan("SELECT * FROM certificates WHERE status NOT IN ('Finalized', 'Rejected') ORDER BY seq")).to.equal("SCAN certificates USING INDEX certificates_live");
      expect(plan("SELECT * FROM certificates WHERE network_id = 1 ORDER BY seq")).to.match(/USING INDEX certificates_network_height/);
      expect(plan("SELECT * FROM certificates WHERE status = 'Proven' ORDER BY seq")).to.match(/USING INDEX certificates_status/);
      // what answers for the certificates the coordinator's memory forgot
      expect(plan("SELECT * FROM certificate_dependencies WHERE dependency_id = '1' ORDER BY seq")).to.match(/SEARCH certificate_dependencies USING PRIMARY KEY/);
      expect(plan("SELECT * FROM bundle_legs WHERE bundle_id = '1' ORDER BY seq")).to.match(/SEARCH bundle_legs USING PRIMARY KEY/);
      expect(plan("SELECT * FROM certificates WHERE network_id = 1 AND height >= '0' AND height < '9' AND status = 'Finalized' ORDER BY height")).to.match(/SEARCH certificates USING INDEX certificates_network_height/);
      raw.prepare("UPDATE meta SET value = '4' WHERE key = 'schema_version'").run();
      raw.close();
      expect(() => openSqliteStore(file)).to.throw(StoreError, /schema version 4/);
    });

    it("version 3 indexes the certificates already stored: who names a certificate, which certificates name a bundle", async () => {
      const file = dbFile();
      const store = openSqliteStore(file);
      await store.commit([{ op: "insertCertificate", record: certs.a }, { op: "insertCertificate", record: certs.b }]);
      await store.close();
      const Database = (await import("better-sqlite3")).default;
      const raw = new Database(file);
      raw.exec("DROP TABLE certificate_dependencies; DROP TABLE bundle_legs; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
      raw.close();
      const migrated = openSqliteStore(file);
      expect(migrated.getMeta("schema_version")).to.equal("3");
      expect(migrated.dependentsOf(certs.a.certificateId).map((d) => d.certificateId)).to.deep.equal([certs.b.certificateId]);
      expect(migrated.bundleLegs(5n).map((l) => [l.certificateId, l.legIndex, l.legCount])).to.deep.equal([
        [certs.a.certificateId, 0, 2],
        [certs.b.certificateId, 1, 2],
      ]);
      expect(migrated.bundleLegs(9n).map((l) => [l.certificateId, l.legIndex, l.legCount])).to.deep.equal([[certs.b.certificateId, 1, 3]]);
      await migrated.close();
    });
  });

  describe("what answers for forgotten certificates", () => {
    it("dependents, bundle legs, status, counts by network and status and the finalized history, as committed", async () => {
      const store = openSqliteStore(":memory:");
      await store.commit([{ op: "insertCertificate", record: certs.a }, { op: "insertCertificate", record: certs.b }]);
      expect(store.dependentsOf(certs.a.certificateId)).to.deep.equal([{ certificateId: certs.b.certificateId, networkId: 2, height: 0n, status: "PreConfirmed", seq: 2 }]);
      expect(store.dependentsOf(certs.b.certificateId)).to.deep.equal([]);
      expect(store.bundleLegs(5n).map((l) => l.certificateId)).to.deep.equal([certs.a.certificateId, certs.b.certificateId]);
      expect(store.bundleLegs(6n)).to.deep.equal([]);
      expect(store.certificateStatus(certs.a.certificateId)).to.equal("PreConfirmed");
      expect(store.certificateStatus(12345n)).to.equal(undefined);
      expect(store.finalizedHistory(1, 0n, 10n)).to.deep.equal([]);
      const at = 7;
      await store.commit([
        { op: "setStatus", change: change(certs.a, "PreConfirmed", "Finalized"), at },
        { op: "setStatus", change: change(certs.b, "PreConfirmed", "Rejected", { code: "PROOF_TIMEOUT", detail: "late" }), at },
      ]);
      expect(store.finalizedHistory(1, 0n, 10n)).to.deep.equal([{ height: 0n, certificateId: certs.a.certificateId, exitRoot: certs.a.certificate.newLocalExitRoot }]);
      expect(store.finalizedHistory(1, 1n, 10n)).to.deep.equal([]);
      expect(store.finalizedHistory(2, 0n, 10n)).to.deep.equal([]);
      expect(store.bundleLegs(9n)[0].status).to.equal("Rejected");
      expect(store.countByNetworkAndStatus()).to.have.deep.members([
        { networkId: 1, status: "Finalized", count: 1 },
        { networkId: 2, status: "Rejected", count: 1 },
      ]);
      expect(store.latestEpoch()).to.equal(undefined);
      const epochs = otherRecords(certs).epochs;
      await store.commit(epochs.map((record) => ({ op: "putEpoch" as const, record })));
      expect(store.latestEpoch()).to.deep.equal(epochs.reduce((a, b) => (b.id > a.id ? b : a)));
      await store.close();
    });
  });

  describe("round trips", () => {
    it("reads back every record kind as written, bigints and signed certificates included", async () => {
      const store = openSqliteStore(":memory:");
      await store.commit(writeAll(certs, others));
      expectAllRead(store, certs, others);
      expect(store.getCertificate(certs.b.certificateId)!.certificate.importedExits[0].siblings).to.have.length(DEVNET_PARAMS.exitDepth);
      await store.close();
    });

    it("keeps everything across close and reopen of a file database", async () => {
      const file = dbFile();
      const first = openSqliteStore(file);
      await first.commit(writeAll(certs, others));
      await first.close();
      const second = openSqliteStore(file);
      expectAllRead(second, certs, others);
      await second.close();
    });

    it("writes records as they were when commit was called, not as later mutated", async () => {
      const store = openSqliteStore(":memory:", { groupWindowMs: 20 });
      const rec = { ...certs.a };
      const done = store.commit([{ op: "insertCertificate", record: rec }]);
      rec.status = "Proven";
      await done;
      expect(store.getCertificate(rec.certificateId)!.status).to.equal("PreConfirmed");
      await store.close();
    });

    it("replaces epochs, jobs, settlements, networks, proofs and equivocations by key", async () => {
      const store = openSqliteStore(":memory:");
      await store.commit(writeAll(certs, others));
      const epoch = { ...others.epochs[0], status: "failed" as const, failure: "gas" };
      const job = { ...others.job, id: 1, status: "done" as const, progress: 1 };
      const settlement = { ...others.settlement, status: "confirmed" as const };
      const network = { ...others.network, ejected: false };
      const proof = { ...others.proof, source: "chain" as const };
      const equivocation = { ...others.equivocation, reportStatus: "sent" as const, reportTx: "0x01" };
      await store.commit([
        { op: "putEpoch", record: epoch },
        { op: "putJob", record: job },
        { op: "putSettlement", record: settlement },
        { op: "putNetwork", record: network },
        { op: "putProof", proof },
        { op: "putEquivocation", record: equivocation },
        { op: "setMeta", key: "l1.lastBlock", value: "13" },
      ]);
      expect(store.listEpochs()).to.deep.equal([epoch, others.epochs[1]]);
      expect(store.listJobs()).to.deep.equal([job]);
      expect(store.listSettlements()).to.deep.equal([settlement]);
      expect(store.listNetworks()).to.deep.equal([network]);
      expect(store.getProof(proof.certificateId)).to.deep.equal(proof);
      expect(store.listEquivocations()).to.deep.equal([equivocation]);
      expect(store.getMeta("l1.lastBlock")).to.equal("13");
      await store.close();
    });

    it("filters certificates by liveness, network and status, in seq order", async () => {
      const store = openSqliteStore(":memory:");
      const recs = [5, 3, 9, 1, 7].map((seq, i) => syntheticRecord(i, seq));
      await insertMany(store, recs, 1);
      await store.commit([
        { op: "setStatus", change: change(recs[0], "PreConfirmed", "Finalized"), at: 1 },
        { op: "setStatus", change: change(recs[1], "PreConfirmed", "Rejected", { code: "PROOF_TIMEOUT", detail: "late" }), at: 1 },
        { op: "setStatus", change: change(recs[2], "PreConfirmed", "Proven"), at: 1 },
      ]);
      const seqs = (rs: CertificateRecord[]) => rs.map((r) => r.seq);
      expect(seqs(store.listCertificates())).to.deep.equal([1, 3, 5, 7, 9]);
      expect(seqs(store.listCertificates({ live: true }))).to.deep.equal([1, 7, 9]);
      expect(seqs(store.listCertificates({ networkId: 1 }))).to.deep.equal([1, 5]);
      expect(seqs(store.listCertificates({ status: "Proven" }))).to.deep.equal([9]);
      expect(seqs(store.listCertificates({ live: true, networkId: 2 }))).to.deep.equal([7]);
      expect(store.listCertificates({ status: "Rejected" })[0].rejection).to.deep.equal({ code: "PROOF_TIMEOUT", detail: "late" });
      await store.close();
    });
  });

  describe("setStatus", () => {
    it("updates the row, keeps epoch/l1Tx when undefined, clears them when null, and appends history in order", async () => {
      const store = openSqliteStore(":memory:");
      const a = certs.a;
      const cause = { networkId: 2, height: 0n, certificateId: certs.b.certificateId };
      const rejected = { code: "DEPENDENCY_REJECTED" as const, detail: "dependency gone", cause, root: { ...cause, height: 4n } };
      await store.commit([{ op: "insertCertificate", record: a }]);
      await store.commit([{ op: "setStatus", change: change(a, "PreConfirmed", "Proven"), at: 2000 }]);
      await store.commit([{ op: "setStatus", change: change(a, "Proven", "Confirmed"), at: 2001, epoch: 7, l1Tx: "0x77" }]);
      await store.commit([{ op: "setStatus", change: change(a, "Confirmed", "InEpoch"), at: 2002 }]);
      expect(store.getCertificate(a.certificateId)).to.deep.include({ status: "InEpoch", epoch: 7, l1Tx: "0x77", updatedAt: 2002 });
      await store.commit([{ op: "setStatus", change: change(a, "InEpoch", "Rejected", rejected), at: 2003, epoch: null, l1Tx: null }]);
      expect(store.getCertificate(a.certificateId)).to.deep.include({ status: "Rejected", rejection: rejected, epoch: null, l1Tx: null, updatedAt: 2003 });
      expect(store.statusHistory(a.certificateId)).to.deep.equal([
        { certificateId: a.certificateId, from: "PreConfirmed", to: "Proven", rejection: null, at: 2000 },
        { certificateId: a.certificateId, from: "Proven", to: "Confirmed", rejection: null, at: 2001 },
        { certificateId: a.certificateId, from: "Confirmed", to: "InEpoch", rejection: null, at: 2002 },
        { certificateId: a.certificateId, from: "InEpoch", to: "Rejected", rejection: rejected, at: 2003 },
      ]);
      expect(store.statusHistory(certs.b.certificateId)).to.deep.equal([]);
      await store.close();
    });

    it("rejects the whole batch when the current status is not `from` or the certificate is unknown", async () => {
      const store = openSqliteStore(":memory:");
      await store.commit([{ op: "insertCertificate", record: certs.a }]);
      const stale = await rejection(
        store.commit([
          { op: "setMeta", key: "touched", value: "yes" },
          { op: "setStatus", change: change(certs.a, "Proven", "Confirmed"), at: 1 },
        ]),
      );
      expect(stale).to.be.instanceOf(StoreError);
      expect(stale.message).to.match(/operation 1 \(setStatus\).*is PreConfirmed, not Proven/);
      const unknown = await rejection(store.commit([{ op: "setStatus", change: change(certs.b, "PreConfirmed", "Proven"), at: 1 }]));
      expect(unknown.message).to.match(/does not exist/);
      const moved = await rejection(store.commit([{ op: "setStatus", change: { ...change(certs.a, "PreConfirmed", "Proven"), height: 5n }, at: 1 }]));
      expect(moved.message).to.match(/height 0, not network 1 height 5/);
      expect(store.getMeta("touched")).to.equal(undefined);
      expect(store.getCertificate(certs.a.certificateId)!.status).to.equal("PreConfirmed");
      expect(store.statusHistory(certs.a.certificateId)).to.deep.equal([]);
      await store.close();
    });
  });

  describe("group commit", () => {
    it("commits 500 concurrent batches in fewer transactions, all durable", async () => {
      const file = dbFile();
      const store = openSqliteStore(file);
      const recs = Array.from({ length: 500 }, (_, i) => syntheticRecord(i, store.nextSeq()));
      await Promise.all(recs.map((record) => store.commit([{ op: "insertCertificate", record }, { op: "setMeta", key: `k${record.seq}`, value: "v" }])));
      const stats = store.stats();
      expect(stats.batches).to.equal(500);
      expect(stats.transactions).to.be.greaterThan(0).and.lessThan(500);
      await store.close();
      const reopened = openSqliteStore(file);
      expect(reopened.countCertificates()).to.equal(500);
      expect(reopened.listCertificates().map((r) => r.certificateId)).to.deep.equal(recs.map((r) => r.certificateId));
      expect(reopened.getMeta("k500")).to.equal("v");
      await reopened.close();
    });

    it("isolates a failing batch: it rejects and applies nothing, its neighbours in the transaction commit", async () => {
      const store = openSqliteStore(":memory:", { groupWindowMs: 10 });
      await store.commit([{ op: "insertCertificate", record: certs.a }]);
      const before = store.stats();
      const [first, bad, last] = await Promise.allSettled([
        store.commit([{ op: "insertCertificate", record: syntheticRecord(0, 10) }]),
        store.commit([
          { op: "insertCertificate", record: syntheticRecord(1, 11) },
          { op: "setMeta", key: "bad", value: "1" },
          { op: "insertCertificate", record: { ...certs.a, seq: 12 } },
        ]),
        store.commit([{ op: "insertCertificate", record: syntheticRecord(2, 13) }]),
      ]);
      expect(first.status).to.equal("fulfilled");
      expect(last.status).to.equal("fulfilled");
      expect(bad.status).to.equal("rejected");
      const reason = (bad as PromiseRejectedResult).reason as Error;
      expect(reason).to.be.instanceOf(StoreError);
      expect(reason.message).to.match(new RegExp(`operation 2 \\(insertCertificate\\): certificate ${certs.a.certificateId} already exists`));
      expect(store.stats()).to.deep.equal({ transactions: before.transactions + 1, batches: before.batches + 2, failedBatches: 1 });
      expect(store.getCertificate(syntheticId(1))).to.equal(undefined);
      expect(store.getMeta("bad")).to.equal(undefined);
      expect(store.listCertificates().map((r) => r.seq)).to.deep.equal([1, 10, 13]);
      await store.close();
    });

    it("rejects a reused seq and an invalid certificate with a clear error", async () => {
      const store = openSqliteStore(":memory:");
      await store.commit([{ op: "insertCertificate", record: syntheticRecord(0, 1) }]);
      expect((await rejection(store.commit([{ op: "insertCertificate", record: syntheticRecord(1, 1) }]))).message).to.match(/seq 1 is already used/);
      const unsigned = syntheticRecord(2, 3);
      unsigned.certificate = { ...unsigned.certificate, signature: "0x12" };
      expect((await rejection(store.commit([{ op: "insertCertificate", record: unsigned }]))).message).to.match(/no valid signature/);
      const mismatched = { ...syntheticRecord(3, 4), height: 99n };
      expect((await rejection(store.commit([{ op: "insertCertificate", record: mismatched }]))).message).to.match(/differ/);
      const orphanProof = { ...others.proof, certificateId: 123n };
      expect((await rejection(store.commit([{ op: "putProof", proof: orphanProof }]))).message).to.match(/FOREIGN KEY/);
      expect(store.countCertificates()).to.equal(1);
      await store.close();
    });

    it("flushes at once when maxBatchOps operations are queued, and keeps call order", async () => {
      const store = openSqliteStore(":memory:", { groupWindowMs: 60_000, maxBatchOps: 10 });
      const commits = Array.from({ length: 10 }, (_, i) => store.commit([{ op: "setMeta", key: "last", value: String(i) }]));
      expect(store.stats().transactions).to.equal(1);
      await Promise.all(commits);
      expect(store.getMeta("last")).to.equal("9");
      const late = store.commit([{ op: "setMeta", key: "last", value: "late" }]);
      await store.flush();
      await late;
      expect(store.getMeta("last")).to.equal("late");
      await store.close();
    });

    it("groups within the same tick when the window is 0", async () => {
      const store = openSqliteStore(":memory:", { groupWindowMs: 0 });
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit([{ op: "setMeta", key: `k${i}`, value: "v" }])));
      expect(store.stats()).to.deep.equal({ transactions: 1, batches: 50, failedBatches: 0 });
      await store.close();
    });
  });

  describe("sequence numbers and ids", () => {
    it("hands out monotonic seq and ids, above every stored row, across reopen", async () => {
      const file = dbFile();
      const store = openSqliteStore(file);
      expect([store.nextSeq(), store.nextSeq()]).to.deep.equal([1, 2]);
      await store.commit([{ op: "insertCertificate", record: syntheticRecord(0, 5) }]);
      expect(store.nextSeq()).to.equal(6);
      expect(store.nextId("epoch")).to.equal(1);
      await store.commit([
        { op: "putEpoch", record: { ...others.epochs[0], id: 7 } },
        { op: "putSettlement", record: { ...others.settlement, id: 3 } },
        { op: "putJob", record: others.job },
        { op: "putJob", record: others.job },
      ]);
      expect(store.nextId("epoch")).to.equal(8);
      expect(store.nextId("settlement")).to.equal(4);
      expect(store.listJobs().map((j) => j.id)).to.deep.equal([1, 2]);
      expect(store.nextId("job")).to.equal(3);
      await store.close();

      const reopened = openSqliteStore(file);
      expect(reopened.nextSeq()).to.equal(6);
      expect(reopened.nextId("epoch")).to.equal(8);
      expect(reopened.nextId("settlement")).to.equal(4);
      expect(reopened.nextId("job")).to.equal(3);
      await reopened.close();
    });
  });

  describe("L1 events", () => {
    it("lists from a block and forgets everything from a block on (reorg)", async () => {
      const store = openSqliteStore(":memory:");
      const ev = (blockNumber: number, logIndex: number): StoredL1Event => ({ blockNumber, logIndex, blockHash: `0x${blockNumber}`, txHash: "0x01", name: "E", args: { n: String(blockNumber) } });
      await store.commit([ev(12, 0), ev(10, 1), ev(10, 0), ev(11, 3), ev(13, 0)].map((event): WriteOp => ({ op: "putL1Event", event })));
      expect(store.listL1Events().map((e) => [e.blockNumber, e.logIndex])).to.deep.equal([[10, 0], [10, 1], [11, 3], [12, 0], [13, 0]]);
      expect(store.listL1Events(12).map((e) => e.blockNumber)).to.deep.equal([12, 13]);
      await store.commit([{ op: "deleteL1EventsFrom", fromBlock: 11 }]);
      expect(store.listL1Events()).to.deep.equal([ev(10, 0), ev(10, 1)]);
      await store.close();
    });
  });

  describe("close", () => {
    it("flushes pending batches, then rejects commits and reads; closing twice is harmless", async () => {
      const file = dbFile();
      const store = openSqliteStore(file, { groupWindowMs: 60_000 });
      const pending = store.commit([{ op: "insertCertificate", record: certs.a }]);
      await store.close();
      await pending;
      await store.close();
      const err = await rejection(store.commit([{ op: "setMeta", key: "k", value: "v" }]));
      expect(err).to.be.instanceOf(Error);
      expect(err.message).to.match(/store is closed/);
      expect(() => store.countCertificates()).to.throw(/store is closed/);
      await store.flush();
      const reopened = openSqliteStore(file);
      expect(reopened.getCertificate(certs.a.certificateId)).to.deep.equal(certs.a);
      await reopened.close();
    });
  });

  describe("crash durability", () => {
    it("keeps every acknowledged commit when the writer is SIGKILLed", async function () {
      this.timeout(120_000);
      const file = dbFile();
      const acked = await runAndKill(file, 300);
      expect(acked.length).to.be.at.least(300);
      const store = openSqliteStore(file);
      expect(store.pragma("integrity_check")).to.equal("ok");
      const missing = acked.filter((i) => store.getCertificate(syntheticId(i)) === undefined);
      expect(missing).to.deep.equal([]);
      expect(store.countCertificates()).to.be.at.least(acked.length);
      expect(store.nextSeq()).to.be.greaterThan(acked.length);
      await store.close();
    });
  });

  describe("measurements (printed, not asserted)", () => {
    it("reads 100,000 certificates through the indexes", async function () {
      this.timeout(300_000);
      const file = dbFile();
      const store = openSqliteStore(file);
      const n = 100_000;
      const recs = Array.from({ length: n }, (_, i) => syntheticRecord(i));
      let t = Date.now();
      await insertMany(store, recs, 1000);
      const insertMs = Date.now() - t;
      await store.commit(recs.slice(0, n / 2).map((r): WriteOp => ({ op: "setStatus", change: change(r, "PreConfirmed", "Finalized"), at: 1 })));
      await store.close();

      const reopened = openSqliteStore(file);
      t = Date.now();
      const live = reopened.listCertificates({ live: true });
      const liveMs = Date.now() - t;
      t = Date.now();
      for (let i = 0; i < 1000; i++) reopened.getCertificate(syntheticId((i * 97) % n));
      const getMs = Date.now() - t;
      t = Date.now();
      const ofNetwork = reopened.listCertificates({ networkId: 2, status: "PreConfirmed" });
      const networkMs = Date.now() - t;
      expect(live).to.have.length(n / 2);
      expect(live[0].seq).to.equal(n / 2 + 1);
      expect(ofNetwork.length).to.be.greaterThan(0);
      expect(reopened.countCertificates()).to.equal(n);
      await reopened.close();
      console.log(
        `      100k certificates: insert ${insertMs} ms (batches of 1000), listCertificates({live}) of ${live.length} ${liveMs} ms, ` +
          `1000 getCertificate ${getMs} ms, listCertificates({networkId, status}) of ${ofNetwork.length} ${networkMs} ms`,
      );
    });

    it("commits 10,000 concurrent single-insert batches on a file database", async function () {
      this.timeout(300_000);
      const file = dbFile();
      const store = openSqliteStore(file);
      const recs = Array.from({ length: 10_000 }, (_, i) => syntheticRecord(i, store.nextSeq()));
      const t = process.hrtime.bigint();
      await Promise.all(recs.map((record) => store.commit([{ op: "insertCertificate", record }])));
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const stats = store.stats();
      expect(stats.batches).to.equal(10_000);
      expect(store.countCertificates()).to.equal(10_000);
      await store.close();
      console.log(`      10,000 concurrent single-op insertCertificate commits: ${ms.toFixed(0)} ms in ${stats.transactions} transactions`);
    });
  });
});

/** Runs the writer until it has acknowledged `killAfter` commits, SIGKILLs it, and returns every acknowledged index. */
function runAndKill(file: string, killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", WRITER, file], { cwd: path.join(__dirname, "..", ".."), stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let buffered = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ACK (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
      }
      if (acked.length >= killAfter && child.exitCode === null) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited on its own (code ${code}) before the kill: ${stderr}`));
    });
  });
}
