/**
 * API acceptance tests against a REAL coordinator (startCoordinator, in-process, SQLite store in a temp dir) on a
 * REAL `hardhat node` with the layer deployed: chains 1 and 2 (policy 0) and chain 3 (policy 1 = opt-out, settles
 * directly and may only depend on finalized states).
 *
 * Every hostile or malformed request must get the documented JSON-RPC error (docs/api.md): the HTTP status, the
 * stable error.code (ERROR_CODES[reason]) and error.data.reason; AND it must change nothing: the store (every
 * certificate's status, rejection and history, proofs, equivocations, epochs, jobs, settlements) and the graph's
 * counts are snapshotted before and after and compared.
 *
 * One real certificate proof is made (chain 1's first certificate); it serves the valid case and is reused for the
 * signal-swap (INVALID_PROOF), mismatch and PROOF_NOT_NEEDED cases.
 *
 * The second describe is equivocation end to end: chain 1 signs two certificates for one height after chain 2
 * depended on the first; the coordinator keeps both signed headers, rejects the first with EQUIVOCATION and its
 * dependent with DEPENDENCY_REJECTED, and reports the evidence to L1 (coordinator/l1/reporter.ts), which ejects
 * chain 1; the L1 sync then refuses chain 1's submissions with NETWORK_EJECTED.
 */
import { expect } from "chai";
import * as http from "http";
import { HDNodeWallet, Wallet, toBeHex } from "ethers";
import { buildCertificate, BuiltCertificate, CertificateRef, ExitLeaf, LeafType, NetworkState, certificatePublicSignals, fieldKeccak } from "../../lib";
import { certificateFromJson, certificateToJson } from "../../lib/codec";
import { recoverRejectionSigner, signCertificate, signHeader } from "../../lib/certificate";
import { startCoordinator, Coordinator } from "../../coordinator/service";
import type { CoordinatorConfig } from "../../coordinator/config";
import { ProverPool } from "../../zk/prover/pool";
import { terminateCurves } from "../../zk/groth16";
import { ERROR_CODES, ErrorReason, EquivocationRecord } from "../../coordinator/types";
import { startTestL1, TestL1, TestChains, testConfig, tempStorePath, waitFor, hex, eth, account, SHAPE } from "./helpers/layer";
import { request, Reply } from "./helpers/http";


const ID = 7;
const rpcText = (method: string, params?: unknown, id: unknown = ID) => JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });

function expectError(r: Reply, status: number, reason: ErrorReason, id: unknown): void {
  expect(r.status, r.text).to.equal(status);
  expect(r.json, r.text).to.be.an("object");
  expect(r.json.jsonrpc, r.text).to.equal("2.0");
  expect(r.json.id, r.text).to.deep.equal(id);
  expect(r.json, r.text).to.not.have.property("result");
  expect(r.json.error.code, r.text).to.equal(ERROR_CODES[reason]);
  expect(r.json.error.data.reason, r.text).to.equal(reason);
  expect(r.json.error.message, r.text).to.be.a("string");
}

// ------------------------------------------------------------------------------------------------ certificates

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CertJson = any;

/** Decodes (mutated) certificate JSON and signs it properly (the node's EIP-712 header over the new id). */
async function resign(l1: TestL1, j: CertJson, signer?: HDNodeWallet): Promise<CertJson> {
  const c = certificateFromJson({ ...j, signature: undefined });
  const s = await signCertificate(signer ?? l1.sequencers.get(c.networkId)!, l1.domain, c);
  return certificateToJson(s);
}

/** The chain's next certificate, built WITHOUT advancing the model (for certificates that must be refused). */
function peek(chains: TestChains, networkId: number, batch: { height?: bigint; state?: NetworkState; exits?: ExitLeaf[]; extraDependencies?: CertificateRef[]; newStateRoot?: string; revision?: number } = {}): BuiltCertificate {
  const state = batch.state ?? chains.world.chain(networkId);
  return buildCertificate(state, {
    height: batch.height ?? chains.world.heights.get(networkId)!,
    newStateRoot: batch.newStateRoot ?? "0x" + "ab".repeat(32),
    imports: [],
    exits: batch.exits ?? [],
    extraDependencies: batch.extraDependencies,
    revision: batch.revision,
  });
}

const ref = (b: BuiltCertificate): CertificateRef => ({ networkId: b.certificate.networkId, height: b.certificate.height, certificateId: b.certificateId });
const refView = (b: BuiltCertificate) => ({ networkId: b.certificate.networkId, height: hex(b.certificate.height), certificateId: hex(b.certificateId) });
const nativeExit = (from: number, to: number, amount: bigint): ExitLeaf => ({ leafType: LeafType.Asset, originNetwork: from, originAddress: 0n, destinationNetwork: to, destinationAddress: 0xb0bn, amount, metadataHash: fieldKeccak("0x") });

// ------------------------------------------------------------------------------------------------ store snapshot

/** Everything a request could change, as plain JSON (bigints as decimal strings). */
function snapshot(coord: Coordinator): unknown {
  const store = coord.node.d.store;
  const certs = store.listCertificates();
  const view = {
    count: store.countCertificates(),
    certificates: certs.map((r) => ({ id: r.certificateId, networkId: r.networkId, height: r.height, status: r.status, rejection: r.rejection, seq: r.seq, updatedAt: r.updatedAt, epoch: r.epoch, l1Tx: r.l1Tx, proofSource: r.proofSource, signature: r.certificate.signature })),
    history: certs.map((r) => store.statusHistory(r.certificateId)),
    proofs: certs.map((r) => store.getProof(r.certificateId) ?? null),
    equivocations: store.listEquivocations(),
    abandoned: store.listAbandoned(),
    epochs: store.listEpochs(),
    jobs: store.listJobs(),
    settlements: store.listSettlements(),
    graph: coord.node.graph.counts(),
  };
  return JSON.parse(JSON.stringify(view, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

// ================================================================================================ hostile and malformed requests

describe("coordinator API acceptance (real coordinator, real hardhat node)", function () {
  this.timeout(10 * 60_000);
  let l1: TestL1;
  let coord: Coordinator;
  let chains: TestChains;
  let pool: ProverPool;
  let url: string;
  let config: CoordinatorConfig;

  const post = (body: string | Buffer, headers?: http.OutgoingHttpHeaders, chunked?: boolean) => request(url, { body, headers, chunked });
  const call = (method: string, params?: unknown) => post(rpcText(method, params));
  const ok = async <T = any>(method: string, params?: unknown): Promise<T> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await call(method, params);
    expect(r.status, r.text).to.equal(200);
    expect(r.json.error, r.text).to.equal(undefined);
    return r.json.result as T;
  };
  const submit = (j: CertJson) => call("submitCertificate", { certificate: j });
  const sign = (b: BuiltCertificate, signer?: HDNodeWallet) => chains.signedJson(b, signer);

  /** The request is refused as documented and leaves the store and the graph exactly as they were. */
  async function refused(send: () => Promise<Reply>, reason: ErrorReason, o: { status?: number; id?: unknown } = {}): Promise<{ code: number; message: string; data: Record<string, unknown> }> {
    const before = snapshot(coord);
    const r = await send();
    expectError(r, o.status ?? 200, reason, o.id === undefined ? ID : o.id);
    await coord.node.d.store.flush();
    expect(snapshot(coord), `${reason}: the store changed`).to.deep.equal(before);
    return r.json.error;
  }

  // Chain 1: A0 (L1 deposit in, exit to chain 2), A1 (next height). Chain 2: B0 (imports A0's exit), B1, B1'.
  let A0: BuiltCertificate, A1: BuiltCertificate, B0: BuiltCertificate, B1: BuiltCertificate, C0: BuiltCertificate;
  let A0json: CertJson, B0json: CertJson;
  let proofA0: { certificateId: string; proof: any; publicSignals: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async function () {
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }, { networkId: 2, policyFlags: 0 }, { networkId: 3, policyFlags: 1 }]);
    // No backup prover (it would change the store in the background), no epochs timer, and no equivocation
    // reports in this coordinator (the describe below covers them): chain 2 must stay registered here.
    config = testConfig(l1, { store: tempStorePath("api") }, { proving: { workers: 1, backup: { enabled: false } }, l1: { reportEquivocations: false } });
    coord = await startCoordinator(config);
    url = coord.rpc.url;
    chains = new TestChains(l1);
    pool = new ProverPool({ workers: 1 });

    const deposit = await chains.depositFromL1(1, eth("1"));
    const toChain2: ExitLeaf = { leafType: LeafType.Asset, originNetwork: 0, originAddress: 0n, destinationNetwork: 2, destinationAddress: 0xb0bn, amount: eth("0.4"), metadataHash: deposit.leaf.metadataHash };
    A0 = chains.certify(1, { imports: [deposit], exits: [toChain2] });
    A0json = await sign(A0);
    A1 = peek(chains, 1); // height 1, continues A0's state
    B0 = chains.certify(2, { imports: [chains.world.importFrom(A0, 0)] });
    B0json = await sign(B0);
    // The coordinator reads L1 at `confirmations` depth: wait until it knows every registered chain.
    for (const n of [1, 2, 3]) await waitFor(`network ${n} known`, async () => (await call("getNetwork", [n])).json.result?.registered === true, 30_000);
  });

  after(async function () {
    await pool?.close();
    await coord?.stop();
    await l1?.stop();
    await terminateCurves();
  });

  describe("transport and envelope", function () {
    it("bad JSON: PARSE_ERROR (-32700), HTTP 200, id null", async function () {
      await refused(() => post('{"jsonrpc":"2.0","id":7,"method":"submitCertificate","params":{"certificate":'), "PARSE_ERROR", { id: null });
    });

    it("an empty body and a body that is not UTF-8: PARSE_ERROR", async function () {
      await refused(() => post(""), "PARSE_ERROR", { id: null });
      await refused(() => post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), "PARSE_ERROR", { id: null });
    });

    it("Content-Type text/plain: HTTP 415 INVALID_REQUEST (a valid submission does not run)", async function () {
      await refused(() => post(rpcText("submitCertificate", { certificate: A0json }), { "Content-Type": "text/plain" }), "INVALID_REQUEST", { status: 415, id: null });
    });

    it("oversized body (> 1 MiB, with Content-Length): HTTP 413 REQUEST_TOO_LARGE, Connection: close", async function () {
      const body = rpcText("submitCertificate", { certificate: { ...A0json, pad: "x".repeat(1024 * 1024 + 16) } });
      expect(Buffer.byteLength(body)).to.be.greaterThan(1 << 20);
      let headers: http.IncomingHttpHeaders = {};
      await refused(async () => {
        const r = await post(body);
        headers = r.headers;
        return r;
      }, "REQUEST_TOO_LARGE", { status: 413, id: null });
      expect(headers.connection).to.equal("close");
    });

    it("oversized chunked body (no Content-Length): HTTP 413 REQUEST_TOO_LARGE", async function () {
      const body = rpcText("submitCertificate", { certificate: A0json, pad: "y".repeat(1536 * 1024) });
      await refused(() => post(body, {}, true), "REQUEST_TOO_LARGE", { status: 413, id: null });
    });

    it("deep nesting (100000 levels): PARSE_ERROR with data.maxDepth 32", async function () {
      const n = 100_000;
      const err = await refused(() => post(`{"jsonrpc":"2.0","id":7,"method":"submitCertificate","params":{"certificate":${"[".repeat(n)}${"]".repeat(n)}}}`), "PARSE_ERROR", { id: null });
      expect(err.data.maxDepth).to.equal(32);
    });

    it("unknown method, and Object.prototype names: METHOD_NOT_FOUND (-32601)", async function () {
      await refused(() => call("submitCertificates", { certificate: A0json }), "METHOD_NOT_FOUND");
      await refused(() => call("__proto__", {}), "METHOD_NOT_FOUND");
      await refused(() => call("constructor", {}), "METHOD_NOT_FOUND");
    });

    it('jsonrpc "1.0", a non-string method, params as a string: INVALID_REQUEST (-32600)', async function () {
      await refused(() => post(JSON.stringify({ jsonrpc: "1.0", id: ID, method: "submitCertificate", params: { certificate: A0json } })), "INVALID_REQUEST");
      await refused(() => post(JSON.stringify({ jsonrpc: "2.0", id: ID, method: 42, params: {} })), "INVALID_REQUEST");
      await refused(() => post(JSON.stringify({ jsonrpc: "2.0", id: ID, method: "submitCertificate", params: "A0" })), "INVALID_REQUEST");
    });

    it("id 1e400 (parses to Infinity): INVALID_REQUEST, id null", async function () {
      await refused(() => post(`{"jsonrpc":"2.0","id":1e400,"method":"getNetwork","params":[1]}`), "INVALID_REQUEST", { id: null });
    });

    it("an empty batch: INVALID_REQUEST", async function () {
      await refused(() => post("[]"), "INVALID_REQUEST", { id: null });
    });

    it("a batch of 101 whose first entry is a valid submission: INVALID_REQUEST (maxBatch 100), nothing in it runs", async function () {
      const entries = [JSON.parse(rpcText("submitCertificate", { certificate: A0json }, 1)), ...Array.from({ length: 100 }, (_, i) => JSON.parse(rpcText("getNetwork", [1], i + 2)))];
      const err = await refused(() => post(JSON.stringify(entries)), "INVALID_REQUEST", { id: null });
      expect(err.data.maxBatch).to.equal(100);
    });
  });

  describe("params", function () {
    it('networkId "1" (a string): INVALID_PARAMS (-32602) with issues', async function () {
      const err = await refused(() => call("getNetwork", { networkId: "1" }), "INVALID_PARAMS");
      expect(err.data.issues).to.be.an("array").that.is.not.empty;
    });

    it("networkId 2^53: INVALID_PARAMS", async function () {
      await refused(() => call("getNetwork", { networkId: 2 ** 53 }), "INVALID_PARAMS");
      await refused(() => call("getLatestCertificate", [2 ** 53]), "INVALID_PARAMS");
    });

    it("networkId 1e400 (Infinity): INVALID_PARAMS", async function () {
      await refused(() => post(`{"jsonrpc":"2.0","id":7,"method":"getNetwork","params":{"networkId":1e400}}`), "INVALID_PARAMS");
    });

    it("networkId -1 and 1.5: INVALID_PARAMS", async function () {
      await refused(() => call("getNetwork", [-1]), "INVALID_PARAMS");
      await refused(() => call("getNetwork", [1.5]), "INVALID_PARAMS");
    });

    it("submitCertificate without a certificate, with an unknown param, with too many positional params: INVALID_PARAMS", async function () {
      await refused(() => call("submitCertificate", {}), "INVALID_PARAMS");
      await refused(() => call("submitCertificate", { certificate: A0json, priority: 1 }), "INVALID_PARAMS");
      await refused(() => call("submitCertificate", [A0json, true]), "INVALID_PARAMS");
    });

    it("submitProof with wrong types (proof extra key, 79-digit decimal, numeric signals): INVALID_PARAMS", async function () {
      const D = "1".repeat(10);
      const proof = { pi_a: [D, D, "1"], pi_b: [[D, D], [D, D], ["1", "0"]], pi_c: [D, D, "1"], protocol: "groth16", curve: "bn128" };
      await refused(() => call("submitProof", { certificateId: hex(A0.certificateId), proof: { ...proof, extra: 1 }, publicSignals: [A0.certificateId.toString()] }), "INVALID_PARAMS");
      await refused(() => call("submitProof", { certificateId: hex(A0.certificateId), proof: { ...proof, pi_a: ["9".repeat(79), D, "1"] }, publicSignals: [A0.certificateId.toString()] }), "INVALID_PARAMS");
      await refused(() => call("submitProof", { certificateId: hex(A0.certificateId), proof, publicSignals: [1] }), "INVALID_PARAMS");
    });

    it("a certificate id of 65 hex digits or without 0x: INVALID_PARAMS", async function () {
      await refused(() => call("getCertificate", ["0x" + "1".repeat(65)]), "INVALID_PARAMS");
      await refused(() => call("getCertificate", [A0.certificateId.toString()]), "INVALID_PARAMS");
    });
  });

  describe("malformed certificates: BAD_CERTIFICATE (1001) with data.format", function () {
    const bad = async (mutate: (j: CertJson) => void, format: string) => {
      const j = clone(A0json);
      mutate(j);
      const err = await refused(() => submit(j), "BAD_CERTIFICATE");
      expect(err.data.format).to.equal(format);
    };

    it("networkId 2^53 in the certificate: BAD_ENCODING", async function () {
      await bad((j) => (j.networkId = 2 ** 53), "BAD_ENCODING");
    });

    it("height beyond u64 (2^64): BAD_HEIGHT", async function () {
      await bad((j) => (j.height = "0x10000000000000000"), "BAD_HEIGHT");
    });

    it("wrong types (height as a JSON number, bridgeExits an object, amount a number): BAD_ENCODING", async function () {
      await bad((j) => (j.height = 0), "BAD_ENCODING");
      await bad((j) => (j.bridgeExits = {}), "BAD_ENCODING");
      await bad((j) => (j.bridgeExits[0].amount = 400), "BAD_ENCODING");
    });

    it("unsigned, and a signature of the wrong length: BAD_ENCODING", async function () {
      await bad((j) => delete j.signature, "BAD_ENCODING");
      await bad((j) => (j.signature = j.signature.slice(0, 66)), "BAD_ENCODING");
    });

    it("an unknown field (top level, inside an exit leaf) next to a valid signature: BAD_ENCODING", async function () {
      await bad((j) => (j.priority = 1), "BAD_ENCODING");
      await bad((j) => (j.bridgeExits[0].memo = "0x01"), "BAD_ENCODING");
    });

    it("a commitment that is not a field element: BAD_FIELD", async function () {
      await bad((j) => (j.prevStateCommitment = "0x" + "f".repeat(64)), "BAD_FIELD");
    });

    it("networkId 0 (L1): BAD_NETWORK", async function () {
      await bad((j) => (j.networkId = 0), "BAD_NETWORK");
    });

    it("an import whose source is not among the dependencies: MISSING_DEPENDENCY", async function () {
      const j = clone(B0json);
      j.dependencies = [];
      const err = await refused(() => submit(j), "BAD_CERTIFICATE");
      expect(err.data.format).to.equal("MISSING_DEPENDENCY");
    });
  });

  describe("submitCertificate: pre-confirmation checks", function () {
    it("height gap: chain 1's height 1 before its height 0: HEIGHT_GAP (1005)", async function () {
      const err = await refused(async () => submit(await sign(A1)), "HEIGHT_GAP");
      expect(err.data).to.include({ expected: "0x0", got: "0x1" });
    });

    it("a wrong prevStateCommitment, a wrong prevLocalExitRoot (re-signed): STATE_MISMATCH (1006)", async function () {
      const j = clone(A0json);
      j.prevStateCommitment = "0x1234";
      await refused(async () => submit(await resign(l1, j)), "STATE_MISMATCH");
      const k = clone(A0json);
      k.prevLocalExitRoot = "0x5678";
      await refused(async () => submit(await resign(l1, k)), "STATE_MISMATCH");
    });

    it("signed by another key (chain 2's sequencer, a random key): BAD_SIGNATURE (1002)", async function () {
      await refused(async () => submit(await sign(A0, l1.sequencers.get(2))), "BAD_SIGNATURE");
      await refused(async () => submit(await sign(A0, HDNodeWallet.createRandom())), "BAD_SIGNATURE");
    });

    it("the sequencer's signature of another height: BAD_SIGNATURE", async function () {
      const j = clone(A0json);
      j.signature = await signHeader(l1.sequencers.get(1)!, l1.domain, { networkId: 1, height: 1n, certificateId: A0.certificateId });
      await refused(() => submit(j), "BAD_SIGNATURE");
    });

    it("the sequencer's signature over the certificate before it was modified: BAD_SIGNATURE", async function () {
      const j = clone(A0json);
      j.newStateRoot = "0x" + "ee".repeat(32);
      await refused(() => submit(j), "BAD_SIGNATURE");
      const k = clone(A0json);
      k.bridgeExits[0].amount = "0x1"; // a smaller exit, same signature
      await refused(() => submit(k), "BAD_SIGNATURE");
    });

    it("the sequencer's signature for another L1 domain (chain id): BAD_SIGNATURE", async function () {
      const c = certificateFromJson({ ...A0json, signature: undefined });
      const s = await signCertificate(l1.sequencers.get(1)!, { chainId: 1n, verifyingContract: l1.domain.verifyingContract }, c);
      await refused(() => submit(certificateToJson(s)), "BAD_SIGNATURE");
    });

    it("network 5 (accepted by the codec, not registered on L1): UNKNOWN_NETWORK (1003), also getNetwork(5)", async function () {
      const j = clone(A0json);
      j.networkId = 5;
      const err = await refused(async () => submit(await resign(l1, j, l1.sequencers.get(1))), "UNKNOWN_NETWORK");
      expect(err.data.networkId).to.equal(5);
      await refused(() => call("getNetwork", [5]), "UNKNOWN_NETWORK");
    });

    it(`${SHAPE.maxExits + 1} exits (the circuit takes ${SHAPE.maxExits}): EXCEEDS_CIRCUIT (1012)`, async function () {
      const j = clone(A0json);
      j.bridgeExits = [j.bridgeExits[0], ...Array.from({ length: SHAPE.maxExits }, (_, i) => ({ ...j.bridgeExits[0], amount: toBeHex(i + 1) }))];
      const err = await refused(async () => submit(await resign(l1, j)), "EXCEEDS_CIRCUIT");
      expect(err.data).to.include({ field: "bridgeExits", count: SHAPE.maxExits + 1, max: SHAPE.maxExits });
    });

    it(`${SHAPE.maxBundles + 1} bundles (the circuit takes ${SHAPE.maxBundles}): EXCEEDS_CIRCUIT`, async function () {
      const j = clone(A0json);
      j.bundles = Array.from({ length: SHAPE.maxBundles + 1 }, (_, i) => ({ bundleId: toBeHex(0x11 + i), legIndex: 0, legCount: 2, success: true, participants: [1, 2] }));
      const err = await refused(async () => submit(await resign(l1, j)), "EXCEEDS_CIRCUIT");
      expect(err.data).to.include({ field: "bundles", count: SHAPE.maxBundles + 1, max: SHAPE.maxBundles });
    });

    it("a bundle leg marked failed: BUNDLE_FAILED (1013)", async function () {
      const j = clone(A0json);
      j.bundles = [{ bundleId: "0x99", legIndex: 0, legCount: 2, success: false, participants: [1, 2] }];
      await refused(async () => submit(await resign(l1, j)), "BUNDLE_FAILED");
    });

    it("an L1 import naming a checkpoint that does not exist: UNKNOWN_L1_CHECKPOINT (1014)", async function () {
      const j = clone(A0json);
      j.importedExits[0].source.height = "0x3e7";
      await refused(async () => submit(await resign(l1, j)), "UNKNOWN_L1_CHECKPOINT");
    });

    it("an L1 import naming a real checkpoint with another root: UNKNOWN_L1_CHECKPOINT", async function () {
      const j = clone(A0json);
      j.importedExits[0].sourceExitRoot = "0x2a";
      await refused(async () => submit(await resign(l1, j)), "UNKNOWN_L1_CHECKPOINT");
    });

    it("the valid certificate is accepted (PreConfirmed) and stored", async function () {
      const before = coord.node.d.store.countCertificates();
      expect(await ok("submitCertificate", { certificate: A0json })).to.deep.equal({ certificateId: hex(A0.certificateId), status: "PreConfirmed" });
      expect(coord.node.d.store.countCertificates()).to.equal(before + 1);
      expect(coord.node.d.store.getCertificate(A0.certificateId)!.status).to.equal("PreConfirmed");
    });

    it("replay of the accepted certificate (and with another signature): DUPLICATE_CERTIFICATE (1011)", async function () {
      const err = await refused(() => submit(A0json), "DUPLICATE_CERTIFICATE");
      expect(err.data).to.include({ certificateId: hex(A0.certificateId), status: "PreConfirmed" });
      await refused(async () => submit(await sign(A0, HDNodeWallet.createRandom())), "DUPLICATE_CERTIFICATE");
    });

    it("a dependency with an unknown id at a known height: UNKNOWN_DEPENDENCY (1007)", async function () {
      const j = clone(B0json);
      j.dependencies[0].certificateId = "0x1234";
      j.importedExits[0].source.certificateId = "0x1234";
      const err = await refused(async () => submit(await resign(l1, j)), "UNKNOWN_DEPENDENCY");
      expect(err.data.dependency).to.deep.equal({ networkId: 1, height: "0x0", certificateId: "0x1234" });
    });

    it("a dependency at a height chain 1 never reached: UNKNOWN_DEPENDENCY", async function () {
      const j = clone(B0json);
      j.dependencies[0].height = "0x7";
      j.importedExits[0].source.height = "0x7";
      await refused(async () => submit(await resign(l1, j)), "UNKNOWN_DEPENDENCY");
    });

    it("an import whose source root is not the dependency's exit root: IMPORT_ROOT_MISMATCH (1015)", async function () {
      const j = clone(B0json);
      j.importedExits[0].sourceExitRoot = "0x1234";
      await refused(async () => submit(await resign(l1, j)), "IMPORT_ROOT_MISMATCH");
    });

    it("chain 2's certificate importing from pre-confirmed A0 is accepted (policy 0)", async function () {
      expect((await ok("submitCertificate", [B0json])).status).to.equal("PreConfirmed");
      const a = await ok("getCertificate", { certificateId: hex(A0.certificateId) });
      expect(a.dependents).to.deep.equal([refView(B0)]);
    });

    it("opt-out chain 3 depending on non-finalized A0: DEPENDENCY_NOT_ALLOWED (1009)", async function () {
      const c = peek(chains, 3, { extraDependencies: [ref(A0)] });
      await refused(async () => submit(await sign(c)), "DEPENDENCY_NOT_ALLOWED");
      const n = await ok("getNetwork", [3]);
      expect(n).to.include({ optOut: true, nextHeight: "0x0" });
    });

    it("opt-out chain 3 without dependencies is accepted", async function () {
      C0 = chains.certify(3, {});
      expect((await ok("submitCertificate", { certificate: await sign(C0) })).status).to.equal("PreConfirmed");
    });

    it("a second certificate for an occupied height: EQUIVOCATION (1010); evidence kept, holder rejected, not reported (reportEquivocations off)", async function () {
      const beforeB1 = chains.world.chain(2);
      B1 = chains.certify(2, {});
      await ok("submitCertificate", { certificate: await sign(B1) });
      const B1x = peek(chains, 2, { state: beforeB1, height: 1n, newStateRoot: "0x" + "cd".repeat(32) });
      const r = await submit(await sign(B1x));
      expectError(r, 200, "EQUIVOCATION", ID);
      expect(r.json.error.data).to.include({ networkId: 2, height: "0x1" });
      const ev = coord.node.d.store.listEquivocations();
      expect(ev.map((e) => [e.networkId, e.height, e.idA, e.idB])).to.deep.equal([[2, 1n, B1.certificateId, B1x.certificateId]]);
      const b1 = await ok("getCertificate", { certificateId: hex(B1.certificateId) });
      expect(b1.status).to.equal("Rejected");
      expect(b1.rejection.code).to.equal("EQUIVOCATION");
      expect(coord.node.d.store.getCertificate(B1x.certificateId)).to.equal(undefined);
      // The reporter is off on this coordinator: the evidence stays pending and chain 2 stays registered.
      await new Promise((r) => setTimeout(r, 5 * coord.config.l1.pollMs));
      expect(coord.node.d.store.listEquivocations()[0].reportStatus).to.equal("pending");
      expect((await l1.layer.hub.networks(2)).ejected).to.equal(false);
    });

    it("a dependency on a rejected certificate: DEPENDENCY_REJECTED (1008) naming it", async function () {
      const a1 = peek(chains, 1, { extraDependencies: [ref(B1)] });
      const err = await refused(async () => submit(await sign(a1)), "DEPENDENCY_REJECTED");
      expect(err.data.dependency).to.deep.equal(refView(B1));
    });
  });

  describe("submitProof", function () {
    before(async function () {
      proofA0 = await chains.prove(pool, A0); // the one real proof of this describe
    });

    it("a proof for an unknown certificate: UNKNOWN_CERTIFICATE (1101)", async function () {
      const id = "0x" + "42".repeat(31);
      const err = await refused(() => call("submitProof", { certificateId: id, proof: proofA0.proof, publicSignals: [BigInt(id).toString()] }), "UNKNOWN_CERTIFICATE");
      expect(err.data.certificateId).to.equal(id);
    });

    it("A0's proof and signals submitted for B0: PUBLIC_SIGNALS_MISMATCH (1103)", async function () {
      const err = await refused(() => call("submitProof", { certificateId: hex(B0.certificateId), proof: proofA0.proof, publicSignals: proofA0.publicSignals }), "PUBLIC_SIGNALS_MISMATCH");
      const expected = certificatePublicSignals(B0.certificate, B0.certificateId, SHAPE).map(String);
      expect(err.data.expected).to.deep.equal(expected);
      expect(expected[0]).to.equal(B0.certificateId.toString());
    });

    it("a second public signal: PUBLIC_SIGNALS_MISMATCH", async function () {
      await refused(() => call("submitProof", { ...proofA0, publicSignals: [...proofA0.publicSignals, "0"] }), "PUBLIC_SIGNALS_MISMATCH");
    });

    it("a real proof of A0 with B0's statements swapped in as the signals: INVALID_PROOF (1102)", async function () {
      const signals = certificatePublicSignals(B0.certificate, B0.certificateId, SHAPE).map(String);
      await refused(() => call("submitProof", { certificateId: hex(B0.certificateId), proof: proofA0.proof, publicSignals: signals }), "INVALID_PROOF");
    });

    it("A0's proof with one statement changed (its new exit root, its L1 checkpoint): PUBLIC_SIGNALS_MISMATCH", async function () {
      for (const k of [4, 6]) {
        const signals = [...proofA0.publicSignals];
        signals[k] = (BigInt(signals[k]) + 1n).toString();
        await refused(() => call("submitProof", { ...proofA0, publicSignals: signals }), "PUBLIC_SIGNALS_MISMATCH");
      }
    });

    it("A0's proof with a tampered pi_a (off the curve), and with pi_a and pi_c swapped: INVALID_PROOF", async function () {
      const p = clone(proofA0);
      p.proof.pi_a[0] = (BigInt(p.proof.pi_a[0]) + 1n).toString();
      await refused(() => call("submitProof", p), "INVALID_PROOF");
      const q = clone(proofA0);
      [q.proof.pi_a, q.proof.pi_c] = [q.proof.pi_c, q.proof.pi_a];
      await refused(() => call("submitProof", q), "INVALID_PROOF");
    });

    it("the valid proof: A0 is Confirmed (no dependencies), the proof is stored", async function () {
      expect(await ok("submitProof", proofA0)).to.deep.equal({ certificateId: hex(A0.certificateId), status: "Confirmed" });
      expect(coord.node.d.store.getProof(A0.certificateId)!.source).to.equal("chain");
      expect(coord.node.d.store.statusHistory(A0.certificateId).map((h) => h.to)).to.include.members(["Proven", "Confirmed"]);
    });

    it("the same proof again: PROOF_NOT_NEEDED (1104) with data.status", async function () {
      const err = await refused(() => call("submitProof", proofA0), "PROOF_NOT_NEEDED");
      expect(err.data.status).to.equal("Confirmed");
    });

    it("a proof for a rejected certificate: PROOF_NOT_NEEDED", async function () {
      const err = await refused(() => call("submitProof", { certificateId: hex(B1.certificateId), proof: proofA0.proof, publicSignals: [B1.certificateId.toString()] }), "PROOF_NOT_NEEDED");
      expect(err.data.status).to.equal("Rejected");
    });

    it("opt-out chain 3 still may not depend on A0 once it is Confirmed (only Finalized): DEPENDENCY_NOT_ALLOWED", async function () {
      const c = peek(chains, 3, { extraDependencies: [ref(A0)] });
      await refused(async () => submit(await sign(c)), "DEPENDENCY_NOT_ALLOWED");
    });
  });

  describe("revisions: abandonment, licences, rebuilds (docs/protocol.md §5)", function () {
    // Chain 1 has A0 live at height 0; A1 (height 1, revision 0) was signed but never submitted.
    let A1json: CertJson, A1r1: BuiltCertificate, licence: string;
    const layerAddress = () => account(1).address;

    it("getRejectionLicence before any rejection: NO_LICENCE (1203); bad params: INVALID_PARAMS", async function () {
      A1json = await sign(A1);
      const err = await refused(() => call("getRejectionLicence", { networkId: 1, height: "0x1", revision: 0 }), "NO_LICENCE");
      expect(err.message).to.match(/has not rejected revision 0/);
      await refused(() => call("getRejectionLicence", { networkId: 1, height: "0x1" + "0".repeat(16), revision: 0 }), "INVALID_PARAMS");
      await refused(() => call("getRejectionLicence", { networkId: 1, height: "0x1", revision: -1 }), "INVALID_PARAMS");
    });

    it("abandoning A0 (live in the layer): NOT_ALLOWED; A1 signed by another key: BAD_SIGNATURE", async function () {
      await refused(() => call("abandonCertificate", { certificate: A0json }), "NOT_ALLOWED");
      await refused(async () => call("abandonCertificate", { certificate: await sign(A1, l1.sequencers.get(2)!) }), "BAD_SIGNATURE");
    });

    it("a revision 1 before revision 0 was rejected: REVISION_NOT_LICENSED (1016) with data.expected 0", async function () {
      const early = peek(chains, 1, { revision: 1 });
      const err = await refused(async () => submit(await sign(early)), "REVISION_NOT_LICENSED");
      expect(err.data).to.include({ expected: 0, got: 1 });
    });

    it("the chain abandons A1: recorded, and the layer's licence (signed by the hub's layerSigner) comes back", async function () {
      const r = await ok<{ licence: string; nextRevision: number }>("abandonCertificate", { certificate: A1json });
      expect(r.nextRevision).to.equal(1);
      licence = r.licence;
      const rejection = { networkId: 1, height: 1n, revision: 0 };
      expect(recoverRejectionSigner(l1.domain, rejection, licence)).to.equal(layerAddress());
      expect(await l1.layer.hub.layerSigner()).to.equal(layerAddress());
      const rows = coord.node.d.store.listAbandoned();
      expect(rows.map((a) => [a.networkId, a.height, a.revision, a.certificateId])).to.deep.equal([[1, 1n, 0, A1.certificateId]]);
      expect(await ok("getRejectionLicence", { networkId: 1, height: "0x1", revision: 0 })).to.deep.equal({ licence });
      // Revision 1 has not been rejected: no licence for revision 2.
      await refused(() => call("getRejectionLicence", { networkId: 1, height: "0x1", revision: 1 }), "NO_LICENCE");
    });

    it("after abandonment: A1 (revision 0) again is REVISION_NOT_LICENSED, as a submission and as a second abandonment", async function () {
      const err = await refused(() => submit(A1json), "REVISION_NOT_LICENSED");
      expect(err.data).to.include({ expected: 1, got: 0 });
      await refused(() => call("abandonCertificate", { certificate: A1json }), "REVISION_NOT_LICENSED");
    });

    it("the rebuild A1 revision 1 is pre-confirmed; its settlement carries the licence; revision 2 there is refused", async function () {
      A1r1 = peek(chains, 1, { revision: 1, newStateRoot: "0x" + "ef".repeat(32) });
      expect(A1r1.certificateId).to.not.equal(A1.certificateId);
      const signedA1r1 = await sign(A1r1);
      expect((await ok("submitCertificate", { certificate: signedA1r1 })).status).to.equal("PreConfirmed");
      expect(coord.node.settlementAuth(A1r1.certificateId)).to.deep.equal({ signature: (signedA1r1 as { signature: string }).signature, licence });
      const r2 = peek(chains, 1, { revision: 2, newStateRoot: "0x" + "12".repeat(32) });
      const err = await refused(async () => submit(await sign(r2)), "REVISION_NOT_LICENSED");
      expect(err.data).to.include({ live: 1, got: 2 });
    });

    it("a restart reloads the abandonment: the licence is still given, revision 0 still refused, revision 1 still live", async function () {
      await coord.stop();
      coord = await startCoordinator(config);
      url = coord.rpc.url;
      await waitFor("network 1 known again", async () => (await call("getNetwork", [1])).json.result?.registered === true, 30_000);
      expect(coord.node.nextRevision(1, 1n)).to.equal(1);
      expect(await ok("getRejectionLicence", { networkId: 1, height: "0x1", revision: 0 })).to.deep.equal({ licence });
      await refused(() => call("abandonCertificate", { certificate: A1json }), "NOT_ALLOWED"); // revision 1 is live there now
      expect((await ok("getCertificate", { certificateId: hex(A1r1.certificateId) })).status).to.equal("PreConfirmed");
    });
  });

  describe("queries", function () {
    it("getCertificate of an unknown id: UNKNOWN_CERTIFICATE (1101)", async function () {
      await refused(() => call("getCertificate", { certificateId: "0xdeadbeef" }), "UNKNOWN_CERTIFICATE");
    });

    it("getEpoch of an unknown id: UNKNOWN_EPOCH (1201); without an id: null", async function () {
      const err = await refused(() => call("getEpoch", { id: 999 }), "UNKNOWN_EPOCH");
      expect(err.data.id).to.equal(999);
      expect(await ok("getEpoch", {})).to.equal(null);
    });
  });

  describe("shutdown (last)", function () {
    it("after stopIntake: submissions and admin answer SHUTTING_DOWN (1303); reads keep working", async function () {
      const next = peek(chains, 3);
      const j = await sign(next);
      coord.rpc.stopIntake();
      await refused(() => submit(j), "SHUTTING_DOWN");
      await refused(() => call("submitProof", { certificateId: hex(B0.certificateId), proof: proofA0.proof, publicSignals: [B0.certificateId.toString()] }), "SHUTTING_DOWN");
      await refused(() => call("admin_triggerEpoch"), "SHUTTING_DOWN");
      expect((await ok("getNetwork", [1])).networkId).to.equal(1);
      expect((await ok("getCertificate", [hex(A0.certificateId)])).status).to.equal("Confirmed");
    });
  });
});

// ================================================================================================ equivocation

describe("coordinator API: equivocation is kept, cascades, and is reported to L1", function () {
  this.timeout(10 * 60_000);
  let l1: TestL1;
  let coord: Coordinator;
  let chains: TestChains;
  let url: string;
  let X: BuiltCertificate, Xp: BuiltCertificate, Y: BuiltCertificate;
  let Xjson: CertJson, Xpjson: CertJson;
  const settler = account(1).address;

  const call = (method: string, params?: unknown) => request(url, { body: rpcText(method, params) });
  const ok = async <T = any>(method: string, params?: unknown): Promise<T> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await call(method, params);
    expect(r.json.error, r.text).to.equal(undefined);
    return r.json.result as T;
  };
  const evidence = () => coord.node.d.store.listEquivocations();
  const mine = (n = 1) => Promise.all(Array.from({ length: n }, () => l1.provider.send("evm_mine", [])));

  before(async function () {
    l1 = await startTestL1([{ networkId: 1, policyFlags: 0 }, { networkId: 2, policyFlags: 0 }]);
    coord = await startCoordinator(testConfig(l1, { store: tempStorePath("api-equivocation") }, { proving: { workers: 1, backup: { enabled: false } } }));
    expect(coord.config.l1.reportEquivocations).to.equal(true);
    url = coord.rpc.url;
    chains = new TestChains(l1);
    // The coordinator reads L1 at `confirmations` depth: chain 2's registration is in the head block until more are mined.
    await mine(coord.config.l1.confirmations);
    for (const n of [1, 2]) await waitFor(`network ${n} known`, async () => (await call("getNetwork", [n])).json.result?.registered === true, 30_000);
  });

  after(async function () {
    await coord?.stop();
    await l1?.stop();
  });

  it("chain 1's X is pre-confirmed, chain 2's Y depending on X is accepted", async function () {
    const before = chains.world.chain(1);
    X = chains.certify(1, { exits: [nativeExit(1, 2, 5n)] });
    Xp = peek(chains, 1, { state: before, height: 0n, newStateRoot: "0x" + "99".repeat(32) });
    Y = chains.certify(2, { imports: [chains.world.importFrom(X, 0)] });
    [Xjson, Xpjson] = [await chains.signedJson(X), await chains.signedJson(Xp)];
    expect((await ok("submitCertificate", [Xjson])).status).to.equal("PreConfirmed");
    expect((await ok("submitCertificate", [await chains.signedJson(Y)])).status).to.equal("PreConfirmed");
    expect(Y.certificate.dependencies).to.deep.equal([ref(X)]);
  });

  it("chain 1 signs X' for the same height: EQUIVOCATION; both signed headers are stored", async function () {
    const r = await call("submitCertificate", { certificate: Xpjson });
    expectError(r, 200, "EQUIVOCATION", ID);
    expect(r.json.error.data).to.include({ networkId: 1, height: "0x0" });
    const ev = evidence();
    expect(ev).to.have.length(1);
    expect(ev[0]).to.include({ networkId: 1, height: 0n, idA: X.certificateId, sigA: Xjson.signature, idB: Xp.certificateId, sigB: Xpjson.signature });
    expect(["pending", "sent", "confirmed"]).to.include(ev[0].reportStatus);
  });

  it("X is Rejected with EQUIVOCATION; Y is Rejected with DEPENDENCY_REJECTED naming X", async function () {
    const x = await ok("getCertificate", { certificateId: hex(X.certificateId) });
    expect(x.status).to.equal("Rejected");
    expect(x.rejection.code).to.equal("EQUIVOCATION");
    const y = await ok("getCertificate", { certificateId: hex(Y.certificateId) });
    expect(y.status).to.equal("Rejected");
    expect(y.rejection.code).to.equal("DEPENDENCY_REJECTED");
    expect(y.rejection.cause).to.deep.equal(refView(X));
    expect(y.rejection.root).to.deep.equal(refView(X));
    const store = coord.node.d.store;
    expect(store.getCertificate(X.certificateId)!.rejection!.code).to.equal("EQUIVOCATION");
    expect(store.getCertificate(Y.certificateId)!.rejection!.code).to.equal("DEPENDENCY_REJECTED");
    expect(store.getCertificate(Xp.certificateId)).to.equal(undefined);
  });

  it("the freed height is not taken by the equivocating certificate: chain 1 is refused until L1 ejects it", async function () {
    const before = evidence();
    const r = await call("submitCertificate", { certificate: Xpjson });
    expectError(r, 200, "NETWORK_EJECTED", ID);
    expect(coord.node.d.store.getCertificate(Xp.certificateId)).to.equal(undefined);
    expect(evidence()).to.have.length(before.length);
  });

  it("the coordinator reports the evidence: hub.reportEquivocation by the settler ejects chain 1 on L1", async function () {
    await waitFor("chain 1 ejected on L1", async () => (await l1.layer.hub.networks(1)).ejected, 60_000);
    const row = await waitFor("report confirmed", () => evidence().find((e) => e.reportStatus === "confirmed"), 60_000);
    expect(row.reportTx).to.match(/^0x[0-9a-f]{64}$/);
    const receipt = (await l1.provider.getTransactionReceipt(row.reportTx!))!;
    expect(receipt.status).to.equal(1);
    expect(receipt.from).to.equal(settler);
    expect(receipt.to).to.equal(l1.layer.addresses.hub);
    const events = receipt.logs.map((log) => l1.layer.hub.interface.parseLog(log)).filter((e) => e !== null);
    const reported = events.find((e) => e!.name === "EquivocationReported")!;
    expect(reported.args.networkId).to.equal(1n);
    expect(reported.args.height).to.equal(0n);
    expect([reported.args.idA, reported.args.idB]).to.deep.equal([X.certificateId, Xp.certificateId]);
    expect(events.find((e) => e!.name === "Ejected")!.args.by).to.equal(settler);
  });

  it("it is reported once: the settler sends nothing more", async function () {
    const nonce = await l1.provider.getTransactionCount(settler, "latest");
    await new Promise((r) => setTimeout(r, 6 * coord.config.l1.pollMs));
    expect(await l1.provider.getTransactionCount(settler, "pending")).to.equal(nonce);
    expect(evidence().map((e) => e.reportStatus)).to.deep.equal(["confirmed"]);
  });

  it("the L1 sync applies the ejection: getNetwork says ejected, chain 1's submissions answer NETWORK_EJECTED", async function () {
    await mine(coord.config.l1.confirmations);
    await waitFor("coordinator sees the ejection", async () => (await ok("getNetwork", [1])).ejected === true, 30_000);
    const r = await call("submitCertificate", { certificate: Xpjson });
    expectError(r, 200, "NETWORK_EJECTED", ID);
    expect(coord.node.d.store.getCertificate(Xp.certificateId)).to.equal(undefined);
  });

  it("a report that would revert (the network is already ejected) is marked failed and not sent", async function () {
    const nonce = await l1.provider.getTransactionCount(settler, "pending");
    const swapped: EquivocationRecord = { networkId: 1, height: 0n, revision: 0, idA: Xp.certificateId, sigA: Xpjson.signature, idB: X.certificateId, sigB: Xjson.signature, detectedAt: Date.now(), reportTx: null, reportStatus: "pending" };
    await coord.node.d.store.commit([{ op: "putEquivocation", record: swapped }]);
    const row = await waitFor("report failed", () => evidence().find((e) => e.idA === Xp.certificateId && e.reportStatus !== "pending"), 30_000);
    expect(row.reportStatus).to.equal("failed");
    expect(row.reportTx).to.equal(null);
    expect(await l1.provider.getTransactionCount(settler, "pending")).to.equal(nonce);
  });

  it("a report stored as sent whose transaction L1 never saw (crash before the broadcast) is signed again and lands", async function () {
    const seq = l1.sequencers.get(2)! as unknown as Wallet;
    const [idA, idB] = [111n, 222n];
    const [sigA, sigB] = [await signHeader(seq, l1.domain, { networkId: 2, height: 5n, certificateId: idA }), await signHeader(seq, l1.domain, { networkId: 2, height: 5n, certificateId: idB })];
    const lost = "0x" + "11".repeat(32);
    await coord.node.d.store.commit([{ op: "putEquivocation", record: { networkId: 2, height: 5n, revision: 0, idA, sigA, idB, sigB, detectedAt: Date.now(), reportTx: lost, reportStatus: "sent" } }]);
    await waitFor("chain 2 ejected on L1", async () => (await l1.layer.hub.networks(2)).ejected, 60_000);
    const row = await waitFor("report confirmed", () => evidence().find((e) => e.networkId === 2 && e.reportStatus === "confirmed"), 30_000);
    expect(row.reportTx).to.not.equal(lost);
    expect((await l1.provider.getTransactionReceipt(row.reportTx!))!.from).to.equal(settler);
  });
});
