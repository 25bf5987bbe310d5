/**
 * The coordinator's API layer (coordinator/rpc/, coordinator/metrics.ts) against a fake CoordinatorApi that
 * records every call: hostile and malformed requests get the documented HTTP status, JSON-RPC code and
 * data.reason, and none of them reaches the API ("changed nothing"). Also the transport rules (body limit, rate
 * limit, intake stop, admin gate), WebSocket subscriptions with filters, and docs/api.md against ERROR_CODES.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as v8 from "v8";
import { runInNewContext } from "vm";
import WebSocket from "ws";
import { Wallet } from "ethers";
import { DEVNET_PARAMS, NetworkState, buildCertificate } from "../../lib";
import { SignedCertificate, certificateId, signCertificate } from "../../lib/certificate";
import { Json, certificateToJson } from "../../lib/codec";
import type { CertificateView, CoordinatorApi, CoordinatorEvent, DashboardView, EpochView, HealthView, NetworkView, SubmitProofInput, SubmitResult } from "../../coordinator/api";
import { CertificateStatus, CoordinatorError, ERROR_CODES, ErrorReason } from "../../coordinator/types";
import { createLogger } from "../../coordinator/log";
import { Metrics } from "../../coordinator/metrics";
import { Dispatcher, exceedsDepth } from "../../coordinator/rpc/jsonrpc";
import { RpcServer, RpcServerOptions, SERVER_DEFAULTS, TokenBuckets, clientAddressKey, startRpcServer } from "../../coordinator/rpc/server";
import { request, Reply } from "./helpers/http";

// ------------------------------------------------------------------------------------------------ fake API

const hex = (x: bigint) => "0x" + x.toString(16);

/** Records calls; a few magic inputs make it fail the ways a real node can. */
class FakeApi implements CoordinatorApi {
  calls: { method: string; args: unknown[] }[] = [];
  listeners = new Set<(e: CoordinatorEvent) => void>();
  healthy = true;

  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
  }

  /** Emitted while a certificate is submitted, before the answer, as the node does. */
  emitOnSubmit: CoordinatorEvent[] = [];

  async submitCertificate(c: SignedCertificate): Promise<SubmitResult> {
    this.record("submitCertificate", c);
    for (const e of this.emitOnSubmit) this.emit(e);
    return { certificateId: hex(certificateId(c)), status: "PreConfirmed" };
  }
  async submitProof(input: SubmitProofInput): Promise<SubmitResult> {
    this.record("submitProof", input);
    return { certificateId: hex(input.certificateId), status: "Proven" };
  }
  getCertificate(id: bigint, withBody?: boolean): CertificateView {
    this.record("getCertificate", id, withBody);
    if (id === 0xdeadn) throw new CoordinatorError("UNKNOWN_CERTIFICATE", "no such certificate", { certificateId: id });
    return certView(id);
  }
  getLatestCertificate(networkId: number, minStatus: CertificateStatus): CertificateView | null {
    this.record("getLatestCertificate", networkId, minStatus);
    return null;
  }
  licence(networkId: number, height: bigint, revision: number): string {
    this.record("licence", networkId, height, revision);
    if (revision > 0) throw new CoordinatorError("NO_LICENCE", `the layer has not rejected revision ${revision}`);
    return "0x" + "ab".repeat(65);
  }
  async abandon(c: SignedCertificate): Promise<{ licence: string; nextRevision: number }> {
    this.record("abandon", c);
    return { licence: "0x" + "cd".repeat(65), nextRevision: (c.revision ?? 0) + 1 };
  }
  getNetwork(networkId: number): NetworkView {
    this.record("getNetwork", networkId);
    if (networkId === 13) throw new CoordinatorError("UNKNOWN_NETWORK", "network 13 is not registered");
    if (networkId === 666) throw new Error("SQLITE_CORRUPT at /var/lib/coordinator/secret.db");
    return networkView(networkId);
  }
  getEpoch(id?: number): EpochView | null {
    this.record("getEpoch", id);
    // A bug in the node: a bigint leaks into a view.
    if (id === 7) return { id: 7n } as unknown as EpochView;
    return null;
  }
  async triggerEpoch(): Promise<number | null> {
    this.record("triggerEpoch");
    return 3;
  }
  health(): HealthView {
    return {
      ok: this.healthy,
      state: this.healthy ? "running" : "starting",
      l1: { connected: this.healthy, block: 10, lagBlocks: 0 },
      store: { certificates: 0 },
      provers: { busy: 0, queued: 0 },
      uptimeSec: 1,
    };
  }
  getDashboard(window: number): DashboardView {
    this.record("getDashboard", window);
    return {
      at: 0, state: "running", uptimeSec: 1, l1: { connected: true, block: 10, lagBlocks: 0, diverged: false },
      provers: { enabled: false, workers: 1, busy: 0, queued: 0, jobs: [] },
      totals: { PreConfirmed: 0, Proven: 0, Confirmed: 0, InEpoch: 0, Settling: 0, Finalized: 0, Rejected: 0, total: 0 },
      chains: [], chainsOmitted: 0, window, certificates: [], epochs: { counts: {}, recent: [] },
    };
  }
  /** Emitted to a listener from inside subscribe(): an event racing the subscribe response. */
  emitOnSubscribe: CoordinatorEvent | null = null;

  subscribe(listener: (e: CoordinatorEvent) => void): () => void {
    this.record("subscribe");
    this.listeners.add(listener);
    if (this.emitOnSubscribe) listener(this.emitOnSubscribe);
    return () => this.listeners.delete(listener);
  }
  emit(e: CoordinatorEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
  /** Calls that reached the API, listeners aside. */
  apiCalls(): string[] {
    return this.calls.map((c) => c.method);
  }
}

function certView(id: bigint): CertificateView {
  return {
    certificateId: hex(id),
    networkId: 1,
    height: "0x0",
    status: "PreConfirmed",
    rejection: null,
    dependencies: [],
    dependents: [],
    epoch: null,
    l1Tx: null,
    proofSource: null,
    newLocalExitRoot: "0x0",
    receivedAt: 0,
    updatedAt: 0,
  };
}

function networkView(networkId: number): NetworkView {
  const none = { preConfirmed: null, confirmed: null, finalized: null };
  return { networkId, registered: true, sequencer: null, policyFlags: 0, optOut: false, ejected: false, stake: "0x0", nextHeight: "0x0", latest: none };
}

const statusEvent = (networkId: number, height = "0x1"): CoordinatorEvent => ({
  type: "status",
  networkId,
  certificateId: "0x" + networkId.toString(16).padStart(4, "0"),
  height,
  from: "PreConfirmed",
  to: "Proven",
  rejection: null,
});

const exitRootEvent = (networkId: number): CoordinatorEvent => ({ type: "exitRoot", networkId, height: "0x1", certificateId: "0x1", exitRoot: "0x2", status: "Confirmed" });

// ------------------------------------------------------------------------------------------------ fixtures

async function signedCertificateJson(): Promise<Record<string, Json>> {
  const built = buildCertificate(new NetworkState(1, DEVNET_PARAMS), { height: 0n, newStateRoot: "0x" + "00".repeat(31) + "01", imports: [], exits: [] });
  const signed = await signCertificate(Wallet.createRandom(), { chainId: 31337n, verifyingContract: "0x" + "11".repeat(20) }, built.certificate);
  return certificateToJson(signed) as Record<string, Json>;
}

const D = "1".repeat(10);
const validProof = () => ({ pi_a: [D, D, "1"], pi_b: [[D, D], [D, D], ["1", "0"]], pi_c: [D, D, "1"], protocol: "groth16", curve: "bn128" });

const rpc = (method: unknown, params?: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });


const post = (url: string, body: string | Buffer, headers?: http.OutgoingHttpHeaders) => request(url, { body, headers });

function expectError(r: Reply, status: number, reason: ErrorReason, id: unknown = null): void {
  expect(r.status, r.text).to.equal(status);
  expect(r.json, r.text).to.be.an("object");
  expect(r.json.jsonrpc).to.equal("2.0");
  expect(r.json.id).to.deep.equal(id);
  expect(r.json.error.code, r.text).to.equal(ERROR_CODES[reason]);
  expect(r.json.error.data.reason, r.text).to.equal(reason);
  expect(r.json.error.message).to.be.a("string");
  expect(r.json).to.not.have.property("result");
}

// ------------------------------------------------------------------------------------------------ WebSocket client

class WsClient {
  readonly messages: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Every message as received, in order. */
  readonly raw: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.raw.push(data.toString());
      this.messages.push(JSON.parse(data.toString()));
      this.waiters.splice(0).forEach((w) => w());
    });
    ws.on("close", (code) => {
      this.closed = true;
      this.closeCode = code;
      this.waiters.splice(0).forEach((w) => w());
    });
    ws.on("error", () => undefined);
  }

  static open(url: string, opts?: WebSocket.ClientOptions): Promise<WsClient> {
    const ws = new WebSocket(url, opts);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new WsClient(ws)));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** The first message (in arrival order, not yet taken) matching pred. */
  async take(pred: (m: any) => boolean, ms = 3000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex(pred);
      if (i >= 0) return this.messages.splice(i, 1)[0];
      if (this.closed || Date.now() > deadline) throw new Error(`no matching message (closed=${this.closed})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async call(method: string, params?: unknown, id: number | string = Math.floor(Math.random() * 1e9)): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    this.send(rpc(method, params, id));
    return this.take((m) => m.id === id);
  }

  async waitClosed(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(this.closed, "connection still open").to.equal(true);
  }

  close(): void {
    this.ws.terminate();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One turn of the event loop: what the server scheduled (the notification fan-out) runs. */
const tick = () => new Promise((r) => setImmediate(r));

/** Stops reading the socket: the kernel buffers fill, then the server's side of the connection grows. */
function pauseReading(c: WsClient): void {
  c.ws.pause();
}

/** A full garbage collection (the flag can be set at run time; the function comes from a fresh context). */
function exposeGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** Live JS heap plus memory outside it held by JS objects (Buffers, pending writes). */
const liveBytes = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/** A status event of the size the node emits (32-byte certificate ids). */
const realisticEvent = (i: number): CoordinatorEvent => ({
  type: "status",
  networkId: 1 + (i % 3),
  certificateId: "0x" + i.toString(16).padStart(64, "c"),
  height: "0x" + i.toString(16),
  from: "PreConfirmed",
  to: "Proven",
  rejection: null,
});

/**
 * Opens a raw connection that sends a request slowly, one line (or body byte) a second, and resolves with the
 * time from connecting until the server closed it.
 */
function trickle(port: number, part: "headers" | "body"): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const started = Date.now();
    let answer = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      socket.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n");
      if (part === "body") socket.write("Content-Length: 100000\r\n\r\n");
      timer = setInterval(() => socket.write(part === "headers" ? "X-Slow: 1\r\n" : "["), 1000);
    });
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, answer });
    });
    setTimeout(() => (socket.destroy(), reject(new Error(`the ${part} trickle was still open after 90 s`))), 90_000).unref();
  });
}

// ------------------------------------------------------------------------------------------------ tests

describe("coordinator/rpc: JSON-RPC over HTTP and WebSocket", function () {
  this.timeout(60_000);
  const servers: RpcServer[] = [];
  const logs: string[] = [];
  let api: FakeApi;
  let metrics: Metrics;
  let server: RpcServer;
  let cert: Record<string, Json>;

  async function start(o: Partial<RpcServerOptions> = {}, withApi: FakeApi = api): Promise<RpcServer> {
    const s = await startRpcServer(withApi, { port: 0, log: createLogger({ level: "debug", write: (l) => logs.push(l) }), ...o });
    servers.push(s);
    return s;
  }

  before(async function () {
    cert = await signedCertificateJson();
    api = new FakeApi();
    metrics = new Metrics();
    server = await start({ metrics });
  });

  beforeEach(function () {
    api.calls = [];
    logs.length = 0;
  });

  after(async function () {
    await Promise.all(servers.map((s) => s.close()));
  });

  describe("valid requests", function () {
    it("submitCertificate by name and by position reaches the API with the decoded certificate", async function () {
      const byName = await post(server.url, rpc("submitCertificate", { certificate: cert }));
      const byPos = await post(server.url, rpc("submitCertificate", [cert], "two"));
      expect(byName.status).to.equal(200);
      expect(byName.json.id).to.equal(1);
      expect(byName.json.result.status).to.equal("PreConfirmed");
      expect(byPos.json.id).to.equal("two");
      expect(byPos.json.result).to.deep.equal(byName.json.result);
      expect(api.apiCalls()).to.deep.equal(["submitCertificate", "submitCertificate"]);
      const decoded = api.calls[0].args[0] as SignedCertificate;
      expect(decoded.height).to.equal(0n);
      expect(decoded.signature).to.equal(cert.signature);
    });

    it("submitProof passes the proof, the decimals and the id as a bigint", async function () {
      const r = await post(server.url, rpc("submitProof", { certificateId: "0xAB", proof: validProof(), publicSignals: ["1", "9".repeat(78)] }));
      expect(r.json.result).to.deep.equal({ certificateId: "0xab", status: "Proven" });
      const input = api.calls[0].args[0] as SubmitProofInput;
      expect(input.certificateId).to.equal(0xabn);
      expect(input.publicSignals).to.deep.equal(["1", "9".repeat(78)]);
    });

    it("queries: defaults (minStatus PreConfirmed, latest epoch), nulls as absent, network id 2^32-1", async function () {
      await post(server.url, rpc("getLatestCertificate", [5]));
      await post(server.url, rpc("getLatestCertificate", { networkId: 5, minStatus: "Finalized" }));
      await post(server.url, rpc("getEpoch"));
      await post(server.url, rpc("getEpoch", [null]));
      await post(server.url, rpc("getCertificate", ["0x01", true]));
      const n = await post(server.url, rpc("getNetwork", { networkId: 2 ** 32 - 1 }));
      expect(n.json.result.networkId).to.equal(2 ** 32 - 1);
      expect(api.calls.map((c) => [c.method, ...c.args])).to.deep.equal([
        ["getLatestCertificate", 5, "PreConfirmed"],
        ["getLatestCertificate", 5, "Finalized"],
        ["getEpoch", undefined],
        ["getEpoch", undefined],
        ["getCertificate", 1n, true],
        ["getNetwork", 2 ** 32 - 1],
      ]);
    });

    it("getRejectionLicence and abandonCertificate: typed params (height a u64 hex, revision a u32), the licence returned", async function () {
      const ok = await post(server.url, rpc("getRejectionLicence", { networkId: 3, height: "0xffffffffffffffff", revision: 0 }));
      expect(ok.json.result).to.deep.equal({ licence: "0x" + "ab".repeat(65) });
      const none = await post(server.url, rpc("getRejectionLicence", [3, "0x1", 1]));
      expect(none.json.error.code).to.equal(ERROR_CODES.NO_LICENCE);
      for (const bad of [{ networkId: 3, height: "0x10000000000000000", revision: 0 }, { networkId: 3, height: "0x1", revision: 2 ** 32 }, { networkId: 3, height: 1, revision: 0 }, { networkId: 3, height: "0x1" }]) {
        const r = await post(server.url, rpc("getRejectionLicence", bad));
        expect(r.json.error.code, JSON.stringify(bad)).to.equal(ERROR_CODES.INVALID_PARAMS);
      }
      const a = await post(server.url, rpc("abandonCertificate", { certificate: cert }));
      expect(a.json.result).to.deep.equal({ licence: "0x" + "cd".repeat(65), nextRevision: 1 });
      const unsigned = await post(server.url, rpc("abandonCertificate", { certificate: { ...cert, signature: undefined } }));
      expect(unsigned.json.error.code).to.equal(ERROR_CODES.BAD_CERTIFICATE);
      expect(api.calls.map((c) => c.method)).to.deep.equal(["licence", "licence", "abandon"]);
    });

    it("a batch is answered in order; a notification in it runs but gets no answer", async function () {
      const batch = `[${rpc("getNetwork", [1], 1)},${JSON.stringify({ jsonrpc: "2.0", method: "getNetwork", params: [2] })},${rpc("getEpoch", undefined, 3)}]`;
      const r = await post(server.url, batch);
      expect(r.status).to.equal(200);
      expect(r.json.map((x: { id: number }) => x.id)).to.deep.equal([1, 3]);
      expect(api.apiCalls()).to.deep.equal(["getNetwork", "getNetwork", "getEpoch"]);
    });

    it("ids up to 2^53 - 1 in magnitude are echoed exactly", async function () {
      for (const id of ["9007199254740991", "-9007199254740991", "0", '"9007199254740993"']) {
        const r = await post(server.url, `{"jsonrpc":"2.0","id":${id},"method":"getEpoch"}`);
        expect(r.text).to.equal(`{"jsonrpc":"2.0","id":${id},"result":null}`);
      }
    });

    it("a lone notification: HTTP 204, empty body, the call ran", async function () {
      const r = await post(server.url, JSON.stringify({ jsonrpc: "2.0", method: "getNetwork", params: [4] }));
      expect(r.status).to.equal(204);
      expect(r.text).to.equal("");
      expect(api.apiCalls()).to.deep.equal(["getNetwork"]);
    });
  });

  describe("hostile and malformed requests change nothing", function () {
    const longHex = "0x" + "f".repeat(65);
    interface Case {
      name: string;
      body: () => string | Buffer;
      status?: number;
      reason: ErrorReason;
      id?: unknown;
      headers?: http.OutgoingHttpHeaders;
      /** Extra checks on the error object. */
      check?: (error: { message: string; data: Record<string, unknown> }) => void;
    }
    const issueAt = (p: string) => (e: { data: Record<string, unknown> }) => expect((e.data.issues as { path: string }[]).map((i) => i.path)).to.include(p);
    const format = (f: string) => (e: { data: Record<string, unknown> }) => expect(e.data.format).to.equal(f);
    const cases: Case[] = [
      { name: "bad JSON", body: () => '{"jsonrpc": "2.0", "method": ', reason: "PARSE_ERROR" },
      { name: "empty body", body: () => "", reason: "PARSE_ERROR" },
      { name: "body that is not UTF-8", body: () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: "PARSE_ERROR" },
      { name: "a number as the request", body: () => "42", reason: "INVALID_REQUEST" },
      { name: "a string as the request", body: () => '"getNetwork"', reason: "INVALID_REQUEST" },
      { name: "null as the request", body: () => "null", reason: "INVALID_REQUEST" },
      { name: "jsonrpc 1.0", body: () => JSON.stringify({ jsonrpc: "1.0", id: 9, method: "getNetwork", params: [1] }), reason: "INVALID_REQUEST", id: 9 },
      { name: "jsonrpc missing", body: () => JSON.stringify({ id: 9, method: "getNetwork", params: [1] }), reason: "INVALID_REQUEST", id: 9 },
      { name: "method missing", body: () => JSON.stringify({ jsonrpc: "2.0", id: 9, params: [1] }), reason: "INVALID_REQUEST", id: 9 },
      { name: "method not a string", body: () => rpc(42, [1], 9), reason: "INVALID_REQUEST", id: 9 },
      { name: "id an object (answered with id null)", body: () => rpc("getNetwork", [1], { a: 1 }), reason: "INVALID_REQUEST" },
      { name: "id 1e400 (Infinity)", body: () => '{"jsonrpc":"2.0","id":1e400,"method":"getNetwork","params":[1]}', reason: "INVALID_REQUEST" },
      // JSON.parse would turn it into 2^53: refused rather than answered under another id.
      { name: "id 2^53 + 1", body: () => '{"jsonrpc":"2.0","id":9007199254740993,"method":"getNetwork","params":[1]}', reason: "INVALID_REQUEST" },
      { name: "id -(2^53 + 1)", body: () => '{"jsonrpc":"2.0","id":-9007199254740993,"method":"getNetwork","params":[1]}', reason: "INVALID_REQUEST" },
      { name: "id 0.30000000000000001 (not an integer)", body: () => '{"jsonrpc":"2.0","id":0.30000000000000001,"method":"getNetwork","params":[1]}', reason: "INVALID_REQUEST" },
      { name: "unknown method", body: () => rpc("eth_blockNumber", []), reason: "METHOD_NOT_FOUND", id: 1 },
      { name: "Object.prototype member as method", body: () => rpc("constructor", []), reason: "METHOD_NOT_FOUND", id: 1 },
      { name: "__proto__ as method", body: () => rpc("__proto__", []), reason: "METHOD_NOT_FOUND", id: 1 },
      { name: "params a string", body: () => rpc("getNetwork", "1"), reason: "INVALID_REQUEST", id: 1 },
      { name: "params null", body: () => rpc("getNetwork", null), reason: "INVALID_REQUEST", id: 1 },
      { name: "networkId as a string", body: () => rpc("getNetwork", { networkId: "1" }), reason: "INVALID_PARAMS", id: 1, check: issueAt("networkId") },
      { name: "networkId a float", body: () => rpc("getNetwork", { networkId: 1.5 }), reason: "INVALID_PARAMS", id: 1, check: issueAt("networkId") },
      { name: "networkId negative", body: () => rpc("getNetwork", [-1]), reason: "INVALID_PARAMS", id: 1, check: issueAt("networkId") },
      { name: "networkId 2^32", body: () => rpc("getNetwork", [2 ** 32]), reason: "INVALID_PARAMS", id: 1 },
      { name: "networkId 2^53", body: () => rpc("getNetwork", [2 ** 53]), reason: "INVALID_PARAMS", id: 1 },
      { name: "networkId 1e400", body: () => '{"jsonrpc":"2.0","id":1,"method":"getNetwork","params":{"networkId":1e400}}', reason: "INVALID_PARAMS", id: 1 },
      { name: "networkId missing", body: () => rpc("getNetwork", {}), reason: "INVALID_PARAMS", id: 1, check: issueAt("networkId") },
      { name: "unknown param name", body: () => rpc("getNetwork", { networkId: 1, networkID: 2 }), reason: "INVALID_PARAMS", id: 1 },
      { name: "__proto__ as param name", body: () => '{"jsonrpc":"2.0","id":1,"method":"getNetwork","params":{"networkId":1,"__proto__":{"x":1}}}', reason: "INVALID_PARAMS", id: 1 },
      { name: "too many positional params", body: () => rpc("getNetwork", [1, 2]), reason: "INVALID_PARAMS", id: 1 },
      { name: "minStatus not a status", body: () => rpc("getLatestCertificate", [1, "Done"]), reason: "INVALID_PARAMS", id: 1, check: issueAt("minStatus") },
      { name: "certificateId longer than 32 bytes", body: () => rpc("getCertificate", [longHex]), reason: "INVALID_PARAMS", id: 1, check: issueAt("certificateId") },
      { name: "certificateId not hex", body: () => rpc("getCertificate", ["0xzz"]), reason: "INVALID_PARAMS", id: 1 },
      { name: "certificateId a number", body: () => rpc("getCertificate", [5]), reason: "INVALID_PARAMS", id: 1 },
      { name: "withBody not a boolean", body: () => rpc("getCertificate", ["0x1", "yes"]), reason: "INVALID_PARAMS", id: 1, check: issueAt("withBody") },
      {
        name: "public signal of 200 digits",
        body: () => rpc("submitProof", { certificateId: "0x1", proof: validProof(), publicSignals: ["1".repeat(200)] }),
        reason: "INVALID_PARAMS",
        id: 1,
        check: issueAt("publicSignals.0"),
      },
      {
        name: "proof coordinate of 79 digits",
        body: () => rpc("submitProof", { certificateId: "0x1", proof: { ...validProof(), pi_c: ["1".repeat(79), "1", "1"] }, publicSignals: [] }),
        reason: "INVALID_PARAMS",
        id: 1,
        check: issueAt("proof.pi_c.0"),
      },
      { name: "65 public signals", body: () => rpc("submitProof", ["0x1", validProof(), Array(65).fill("1")]), reason: "INVALID_PARAMS", id: 1 },
      { name: "proof pi_a of 2 coordinates", body: () => rpc("submitProof", ["0x1", { ...validProof(), pi_a: ["1", "1"] }, []]), reason: "INVALID_PARAMS", id: 1 },
      { name: "proof protocol plonk", body: () => rpc("submitProof", ["0x1", { ...validProof(), protocol: "plonk" }, []]), reason: "INVALID_PARAMS", id: 1 },
      { name: "hex decimal in publicSignals", body: () => rpc("submitProof", ["0x1", validProof(), ["0x10"]]), reason: "INVALID_PARAMS", id: 1 },
      { name: "certificate param missing", body: () => rpc("submitCertificate", {}), reason: "INVALID_PARAMS", id: 1, check: issueAt("certificate") },
      {
        name: "certificate missing fields",
        body: () => rpc("submitCertificate", [{ networkId: 1, height: "0x0", signature: cert.signature }]),
        reason: "BAD_CERTIFICATE",
        id: 1,
        check: format("BAD_ENCODING"),
      },
      {
        name: "certificate with nested garbage the codec rejects",
        body: () => rpc("submitCertificate", [{ ...cert, bridgeExits: [{ leafType: 0, garbage: [[[{ deeper: [1, 2, 3] }]]] }] }]),
        reason: "BAD_CERTIFICATE",
        id: 1,
        check: format("BAD_ENCODING"),
      },
      {
        name: "certificate with a height over uint64 (a validation code, not an encoding one)",
        body: () => rpc("submitCertificate", [{ ...cert, height: "0x1" + "0".repeat(16) }]),
        reason: "BAD_CERTIFICATE",
        id: 1,
        check: format("BAD_HEIGHT"),
      },
      {
        name: "unsigned certificate",
        body: () => rpc("submitCertificate", [{ ...cert, signature: undefined }]),
        reason: "BAD_CERTIFICATE",
        id: 1,
        check: (e) => {
          expect(e.data.format).to.equal("BAD_ENCODING");
          expect(e.message).to.match(/signature/);
        },
      },
      {
        name: "signature of 64 bytes",
        body: () => rpc("submitCertificate", [{ ...cert, signature: (cert.signature as string).slice(0, -2) }]),
        reason: "BAD_CERTIFICATE",
        id: 1,
        check: format("BAD_ENCODING"),
      },
      { name: "10,000 levels of nesting", body: () => "[".repeat(10_000) + "]".repeat(10_000), reason: "PARSE_ERROR" },
      {
        name: "33 levels of nesting inside params",
        body: () => rpc("getNetwork", { networkId: JSON.parse("[".repeat(31) + "]".repeat(31)) }),
        reason: "PARSE_ERROR",
      },
      { name: "1 MB of '['", body: () => "[".repeat(1_000_000), reason: "PARSE_ERROR" },
      { name: "empty batch", body: () => "[]", reason: "INVALID_REQUEST" },
      { name: "batch of 101", body: () => `[${Array(101).fill(rpc("getNetwork", [1])).join(",")}]`, reason: "INVALID_REQUEST", check: (e) => expect(e.data.maxBatch).to.equal(100) },
      { name: "admin method on a server without admin", body: () => rpc("admin_triggerEpoch"), reason: "NOT_ALLOWED", id: 1 },
      { name: "subscribe over HTTP", body: () => rpc("subscribe", {}), reason: "NOT_ALLOWED", id: 1 },
      { name: "unsubscribe over HTTP", body: () => rpc("unsubscribe", ["0x1"]), reason: "NOT_ALLOWED", id: 1 },
      { name: "Content-Type text/plain (no cross-site simple POST)", body: () => rpc("getNetwork", [1]), headers: { "Content-Type": "text/plain" }, status: 415, reason: "INVALID_REQUEST" },
      { name: "oversized body, 2 MiB with Content-Length", body: () => rpc("getNetwork", ["x".repeat(2 * 1024 * 1024)]), status: 413, reason: "REQUEST_TOO_LARGE" },
    ];

    for (const c of cases) {
      it(c.name, async function () {
        const before = await post(server.url, rpc("getEpoch", undefined, "probe")); // the server is alive before...
        expect(before.json.result).to.equal(null);
        api.calls = [];
        const r = await request(server.url, { body: c.body(), headers: c.headers });
        expectError(r, c.status ?? 200, c.reason, c.id === undefined ? null : c.id);
        c.check?.(r.json.error);
        expect(api.apiCalls(), "a rejected request reached the API").to.deep.equal([]);
        const after = await post(server.url, rpc("getEpoch", undefined, "probe")); // ...and after
        expect(after.json.result).to.equal(null);
      });
    }

    it("oversized chunked body (no Content-Length): 413 without buffering it", async function () {
      const body = Buffer.alloc(2 * 1024 * 1024, "[");
      const r = await request(server.url, { body, chunked: true });
      expectError(r, 413, "REQUEST_TOO_LARGE");
      expect(r.headers.connection).to.equal("close");
      expect(api.apiCalls()).to.deep.equal([]);
    });

    it("a batch of non-objects is answered entry by entry", async function () {
      const r = await post(server.url, "[1, {}, " + rpc("getEpoch", undefined, 5) + "]");
      expect(r.status).to.equal(200);
      expect(r.json).to.have.length(3);
      expect(r.json[0].error.data.reason).to.equal("INVALID_REQUEST");
      expect(r.json[1].error.data.reason).to.equal("INVALID_REQUEST");
      expect(r.json[2].result).to.equal(null);
      expect(api.apiCalls()).to.deep.equal(["getEpoch"]);
    });

    it("INVALID_PARAMS lists issues with paths, bounded in number and length", async function () {
      const r = await post(server.url, rpc("submitProof", ["0x1", validProof(), Array(64).fill("x".repeat(5000))]));
      expectError(r, 200, "INVALID_PARAMS", 1);
      const issues = r.json.error.data.issues as { path: string; message: string }[];
      expect(issues.length).to.be.at.most(20);
      for (const i of issues) expect(i.message.length).to.be.at.most(201);
      expect(r.text.length).to.be.below(10_000);
    });

    it("GET of an unknown path and POST elsewhere than / are 404", async function () {
      expect((await request(server.url, { path: "/nope" })).status).to.equal(404);
      expect((await request(server.url, { path: "/healthz", method: "POST", body: "{}" })).status).to.equal(404);
      expect((await request(server.url, { path: "/", method: "GET" })).status).to.equal(404);
      expect((await request(server.url, { path: "/", method: "PUT", body: rpc("getEpoch") })).status).to.equal(404);
      expect(api.apiCalls()).to.deep.equal([]);
    });
  });

  describe("errors from the API", function () {
    it("a CoordinatorError keeps its code, reason and data (bigints as 0x-hex)", async function () {
      const r = await post(server.url, rpc("getCertificate", ["0xdead"]));
      expectError(r, 200, "UNKNOWN_CERTIFICATE", 1);
      expect(r.json.error.data).to.deep.equal({ reason: "UNKNOWN_CERTIFICATE", certificateId: "0xdead" });
      const n = await post(server.url, rpc("getNetwork", [13]));
      expectError(n, 200, "UNKNOWN_NETWORK", 1);
      expect(n.json.error.message).to.equal("network 13 is not registered");
    });

    it("an unexpected error is INTERNAL_ERROR with no detail in the answer, and the detail in the log", async function () {
      const r = await post(server.url, rpc("getNetwork", [666]));
      expectError(r, 200, "INTERNAL_ERROR", 1);
      expect(r.json.error).to.deep.equal({ code: -32603, message: "internal error", data: { reason: "INTERNAL_ERROR" } });
      expect(r.text).to.not.match(/SQLITE|secret/);
      expect(logs.some((l) => l.includes("SQLITE_CORRUPT"))).to.equal(true);
    });

    it("a bigint in a result is INTERNAL_ERROR, not a crash", async function () {
      const r = await post(server.url, rpc("getEpoch", [7]));
      expectError(r, 200, "INTERNAL_ERROR", 1);
      const ok = await post(server.url, rpc("getEpoch", [8]));
      expect(ok.json.result).to.equal(null);
    });
  });

  describe("service endpoints and gates", function () {
    it("GET /healthz: 200 with the health view, 503 when not ok", async function () {
      const ok = await request(server.url, { path: "/healthz" });
      expect(ok.status).to.equal(200);
      expect(ok.json).to.deep.equal(api.health());
      api.healthy = false;
      try {
        const bad = await request(server.url, { path: "/healthz" });
        expect(bad.status).to.equal(503);
        expect(bad.json.ok).to.equal(false);
      } finally {
        api.healthy = true;
      }
    });

    it("GET /metrics: Prometheus text with RPC counters by method and outcome", async function () {
      await post(server.url, rpc("getNetwork", [1]));
      await post(server.url, rpc("getNetwork", ["x"]));
      await post(server.url, rpc("no_such_method"));
      const r = await request(server.url, { path: "/metrics" });
      expect(r.status).to.equal(200);
      expect(r.headers["content-type"]).to.match(/^text\/plain/);
      expect(r.text).to.match(/coordinator_rpc_requests_total\{method="getNetwork",outcome="ok"\} [1-9]/);
      expect(r.text).to.match(/coordinator_rpc_requests_total\{method="getNetwork",outcome="INVALID_PARAMS"\} [1-9]/);
      // Unknown names are folded into one label value: a client cannot grow the registry.
      expect(r.text).to.match(/coordinator_rpc_requests_total\{method="_unknown",outcome="METHOD_NOT_FOUND"\} [1-9]/);
      expect(r.text).to.not.include("no_such_method");
      expect(r.text).to.include("coordinator_rpc_request_duration_seconds_bucket");
      // the node's series are declared too; their values come from the node (test/coordinator/metrics.test.ts)
      expect(r.text).to.include("# TYPE coordinator_certificates gauge");
    });

    it("rate limit: past the burst, HTTP 429 with RATE_LIMITED; nothing reaches the API", async function () {
      const s = await start({ rateLimit: { perSecond: 0.5, burst: 3 } });
      for (let i = 0; i < 3; i++) expect((await post(s.url, rpc("getNetwork", [1]))).status).to.equal(200);
      api.calls = [];
      const r = await post(s.url, rpc("getNetwork", [1]));
      expectError(r, 429, "RATE_LIMITED");
      expect(r.headers["retry-after"]).to.equal("1");
      expect((await request(s.url, { path: "/healthz" })).status).to.equal(429);
      expect(api.apiCalls()).to.deep.equal([]);
      // The limit is per server instance: the shared server is unaffected.
      expect((await post(server.url, rpc("getNetwork", [1]))).status).to.equal(200);
    });

    it("token buckets refill at the configured rate and stay bounded in size", function () {
      let t = 0;
      const b = new TokenBuckets(2, 2, 3, () => t);
      expect([b.take("a"), b.take("a"), b.take("a")]).to.deep.equal([true, true, false]);
      t = 0.5;
      expect([b.take("a"), b.take("a")]).to.deep.equal([true, false]);
      for (let i = 0; i < 10; i++) b.take(`ip${i}`);
      expect((b as unknown as { buckets: Map<string, unknown> }).buckets.size).to.be.at.most(3);
    });

    it("stopIntake: submissions answer SHUTTING_DOWN, reads still work", async function () {
      const s = await start();
      s.stopIntake();
      expectError(await post(s.url, rpc("submitCertificate", [cert])), 200, "SHUTTING_DOWN", 1);
      expectError(await post(s.url, rpc("submitProof", ["0x1", validProof(), []])), 200, "SHUTTING_DOWN", 1);
      expect(api.apiCalls()).to.deep.equal([]);
      const read = await post(s.url, rpc("getNetwork", [1]));
      expect(read.json.result.networkId).to.equal(1);
    });

    it("admin: admin_triggerEpoch runs only on an admin server", async function () {
      const s = await start({ admin: true });
      const r = await post(s.url, rpc("admin_triggerEpoch", []));
      expect(r.json.result).to.equal(3);
      expect(api.apiCalls()).to.deep.equal(["triggerEpoch"]);
      expectError(await post(s.url, rpc("admin_triggerEpoch", [1])), 200, "INVALID_PARAMS", 1);
    });

    it("close() resolves, closes WebSocket clients and frees the port", async function () {
      const s = await startRpcServer(api, { port: 0 });
      const c = await WsClient.open(s.wsUrl);
      await post(s.url, rpc("getEpoch"));
      await s.close();
      await c.waitClosed();
      expect(c.closeCode).to.equal(1001);
      await s.close(); // idempotent
      let refused = false;
      await request(s.url, { path: "/healthz" }).catch(() => (refused = true));
      expect(refused).to.equal(true);
    });
  });

  describe("slow clients", function () {
    it("client addresses: IPv4, IPv4-mapped IPv6, and the /64 prefix of IPv6", function () {
      expect(clientAddressKey("127.0.0.1")).to.equal("127.0.0.1");
      expect(clientAddressKey("::ffff:10.1.2.3")).to.equal("10.1.2.3");
      expect(clientAddressKey("2001:db8:1:2:a:b:c:d")).to.equal("2001:db8:1:2::/64");
      expect(clientAddressKey("2001:db8:1:2::5")).to.equal("2001:db8:1:2::/64");
      expect(clientAddressKey("2001:DB8::1")).to.equal("2001:db8:0:0::/64");
      expect(clientAddressKey("::1")).to.equal("0:0:0:0::/64");
      expect(clientAddressKey("fe80::1%eth0")).to.equal("fe80:0:0:0::/64");
    });

    it("a request trickling its headers is closed at 15 s, one trickling its body at 30 s (408)", async function () {
      this.timeout(60_000);
      const s = await start();
      const [headers, body] = await Promise.all([trickle(s.port, "headers"), trickle(s.port, "body")]);
      expect(headers.ms, "headers").to.be.within(14_500, 17_500);
      expect(body.ms, "body").to.be.within(29_500, 32_500);
      expect([SERVER_DEFAULTS.headersTimeoutMs, SERVER_DEFAULTS.requestTimeoutMs]).to.deep.equal([15_000, 30_000]);
      expect(headers.answer).to.match(/^HTTP\/1\.1 408/);
      expect(body.answer).to.match(/^HTTP\/1\.1 408/);
      expect(api.apiCalls()).to.deep.equal([]);
    });
  });

  describe("dispatcher without a transport", function () {
    it("a 1 MB body of '[' is a PARSE_ERROR, not a stack overflow", async function () {
      const d = new Dispatcher({ api });
      const out = await d.handle("[".repeat(1_000_000), { transport: "http" });
      expect(JSON.parse(out!).error.data.reason).to.equal("PARSE_ERROR");
      expect(exceedsDepth('["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[["]', 2)).to.equal(false); // brackets in strings do not count
      expect(exceedsDepth("[[[]]]", 2)).to.equal(true);
    });
  });

  describe("WebSocket", function () {
    const clients: WsClient[] = [];
    const open = async (url = server.wsUrl, opts?: WebSocket.ClientOptions) => {
      const c = await WsClient.open(url, opts);
      clients.push(c);
      return c;
    };
    afterEach(async function () {
      clients.splice(0).forEach((c) => c.close());
      // The server lets go of the API once it has seen its last subscriber leave.
      for (let i = 0; i < 200 && api.listeners.size > 0; i++) await sleep(10);
      api.listeners.clear();
    });

    it("the same JSON-RPC over text frames, at /ws and at /", async function () {
      for (const url of [server.wsUrl, server.url.replace("http", "ws")]) {
        const c = await open(url);
        const r = await c.call("getNetwork", [3], 1);
        expect(r.result.networkId).to.equal(3);
      }
    });

    it("subscribe with a network filter: a subscriber to [2] gets only network 2", async function () {
      const all = await open();
      const only2 = await open();
      const subAll = (await all.call("subscribe", {})).result;
      const sub2 = (await only2.call("subscribe", { networks: [2] })).result;
      expect(sub2).to.match(/^0x[0-9a-f]{32}$/);
      api.emit(statusEvent(1));
      api.emit(statusEvent(2));
      api.emit(exitRootEvent(2));
      const n = await only2.take((m) => m.method === "subscription");
      expect(n).to.deep.equal({ jsonrpc: "2.0", method: "subscription", params: { subscription: sub2, result: statusEvent(2) } });
      expect((await only2.take((m) => m.method === "subscription")).params.result).to.deep.equal(exitRootEvent(2));
      for (const e of [statusEvent(1), statusEvent(2), exitRootEvent(2)]) {
        const m = await all.take((x) => x.method === "subscription");
        expect(m.params).to.deep.equal({ subscription: subAll, result: e });
      }
      await sleep(100);
      expect(only2.messages, "network 1 leaked to a [2] subscriber").to.deep.equal([]);
    });

    it("overlapping subscriptions on one connection: each matching one is notified, until it ends", async function () {
      const own = new FakeApi();
      const s = await start({}, own);
      const c = await open(s.wsUrl);
      const all = (await c.call("subscribe", {})).result;
      const net2 = (await c.call("subscribe", { networks: [2, 3] })).result;
      const exit2 = (await c.call("subscribe", { networks: [2], events: ["exitRoot"] })).result;
      const notified = async (e: CoordinatorEvent, count: number) => {
        own.emit(e);
        const got: string[] = [];
        for (let i = 0; i < count; i++) {
          const m = await c.take((x) => x.method === "subscription");
          expect(m.params.result).to.deep.equal(e);
          got.push(m.params.subscription);
        }
        await sleep(50);
        expect(c.messages, "more notifications than matching subscriptions").to.deep.equal([]);
        return got.sort();
      };
      expect(await notified(statusEvent(2), 2)).to.deep.equal([all, net2].sort());
      expect(await notified(exitRootEvent(2), 3)).to.deep.equal([all, net2, exit2].sort());
      expect(await notified(statusEvent(1), 1)).to.deep.equal([all]);
      expect((await c.call("unsubscribe", [all])).result).to.equal(true);
      expect(await notified(statusEvent(3), 1)).to.deep.equal([net2]);
      expect((await c.call("unsubscribe", [net2])).result).to.equal(true);
      expect(await notified(exitRootEvent(2), 1)).to.deep.equal([exit2]);
      expect(await notified(statusEvent(2), 0)).to.deep.equal([]);
    });

    it("subscribe with an event filter, then unsubscribe stops notifications", async function () {
      const c = await open();
      const id = (await c.call("subscribe", { events: ["exitRoot"] })).result;
      api.emit(statusEvent(1));
      api.emit(exitRootEvent(1));
      expect((await c.take((m) => m.method === "subscription")).params.result.type).to.equal("exitRoot");
      expect((await c.call("unsubscribe", [id])).result).to.equal(true);
      expect((await c.call("unsubscribe", [id])).result).to.equal(false);
      expect(api.listeners.size).to.equal(0);
      api.emit(exitRootEvent(1));
      await sleep(100);
      expect(c.messages).to.deep.equal([]);
    });

    it("an event racing the subscribe response arrives after it", async function () {
      const c = await open();
      api.emitOnSubscribe = statusEvent(9);
      try {
        c.send(rpc("subscribe", [[9]], 1));
        const first = await c.take(() => true);
        expect(first.id).to.equal(1);
        const second = await c.take(() => true);
        expect(second.params).to.deep.equal({ subscription: first.result, result: statusEvent(9) });
      } finally {
        api.emitOnSubscribe = null;
      }
    });

    it("a text frame that is not UTF-8 is a PARSE_ERROR, and the connection stays open", async function () {
      const c = await open();
      c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      const e = await c.take(() => true);
      expect(e.id).to.equal(null);
      expect(e.error.code).to.equal(ERROR_CODES.PARSE_ERROR);
      expect(e.error.data.reason).to.equal("PARSE_ERROR");
      expect((await c.call("getNetwork", [6], 7)).result.networkId).to.equal(6);
      expect(c.closed).to.equal(false);
      expect(api.apiCalls()).to.deep.equal(["getNetwork"]);
    });

    it("a binary frame that is not UTF-8 is a PARSE_ERROR; a binary JSON frame is served", async function () {
      const c = await open();
      c.ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: true });
      expect((await c.take(() => true)).error.data.reason).to.equal("PARSE_ERROR");
      c.ws.send(Buffer.from(rpc("getNetwork", [5], 4)), { binary: true });
      expect((await c.take((m) => m.id === 4)).result.networkId).to.equal(5);
    });

    it("subscribe params are validated like any other (empty list, unknown event, float network)", async function () {
      const c = await open();
      for (const p of [{ networks: [] }, { events: ["blocks"] }, { networks: [1.5] }, { networks: "2" }]) {
        const r = await c.call("subscribe", p);
        expect(r.error.code).to.equal(ERROR_CODES.INVALID_PARAMS);
        expect(r.error.data.reason).to.equal("INVALID_PARAMS");
      }
      expect(api.listeners.size).to.equal(0);
    });

    it("a bad JSON frame is answered with PARSE_ERROR and the connection stays usable", async function () {
      const c = await open();
      c.send("{not json");
      const e = await c.take(() => true);
      expect(e.id).to.equal(null);
      expect(e.error.code).to.equal(ERROR_CODES.PARSE_ERROR);
      expect(e.error.data.reason).to.equal("PARSE_ERROR");
      c.send("[".repeat(10_000));
      expect((await c.take(() => true)).error.data.reason).to.equal("PARSE_ERROR");
      expect((await c.call("getNetwork", [1], 2)).result.networkId).to.equal(1);
      expect(c.closed).to.equal(false);
    });

    it("a message over the per-connection limit closes the connection (1009)", async function () {
      const s = await start({ ws: { maxPayloadBytes: 1024 } });
      const c = await open(s.wsUrl);
      c.send(rpc("getNetwork", ["x".repeat(2048)]));
      await c.waitClosed();
      expect(c.closeCode).to.equal(1009);
      expect(api.apiCalls()).to.deep.equal([]);
    });

    it("connections are dropped when their subscriptions are dropped: the API listener goes too", async function () {
      const c = await open();
      await c.call("subscribe", {});
      expect(api.listeners.size).to.equal(1);
      c.close();
      for (let i = 0; i < 50 && api.listeners.size; i++) await sleep(20);
      expect(api.listeners.size).to.equal(0);
    });

    it("a slow consumer is dropped instead of buffered without bound", async function () {
      const own = new FakeApi();
      const s = await start({ ws: { maxBufferedBytes: 64 * 1024 }, metrics: new Metrics() }, own);
      const c = await open(s.wsUrl);
      await c.call("subscribe", {});
      pauseReading(c);
      const big = (i: number): CoordinatorEvent => ({ type: "exitRoot", networkId: 1, height: "0x" + i.toString(16), certificateId: "0x1", exitRoot: "0x" + "ab".repeat(2000), status: "Confirmed" });
      for (let i = 0; i < 10_000 && own.listeners.size > 0; i++) {
        own.emit(big(i));
        if (i % 16 === 15) await tick(); // the fan-out runs between the node's turns
      }
      expect(own.listeners.size, "the slow client was not dropped").to.equal(0);
      expect(logs.some((l) => l.includes("slow_consumer"))).to.equal(true);
    });

    it("an event is serialised once, whatever the number of subscriptions it reaches", async function () {
      const own = new FakeApi();
      const s = await start({}, own);
      const cs = [await open(s.wsUrl), await open(s.wsUrl), await open(s.wsUrl)];
      const ids: string[] = [];
      for (const c of cs) for (let i = 0; i < 4; i++) ids.push((await c.call("subscribe", {})).result);
      const e = realisticEvent(5);
      const original = JSON.stringify;
      let serialised = 0;
      // Counts every serialisation that has the event inside it (on its own, or in a whole notification).
      JSON.stringify = function (value: unknown, ...rest: unknown[]): string {
        const v = value as { params?: { result?: unknown } } | null;
        if (value === e || v?.params?.result === e) serialised++;
        return (original as (...a: unknown[]) => string).call(JSON, value, ...rest);
      } as typeof JSON.stringify;
      const got: { client: WsClient; message: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
      try {
        own.emit(e);
        for (const client of cs) for (let i = 0; i < 4; i++) got.push({ client, message: await client.take((m) => m.method === "subscription") });
      } finally {
        JSON.stringify = original;
      }
      expect(serialised, "serialisations of one event").to.equal(1);
      expect(got.map((g) => g.message.params.subscription).sort()).to.deep.equal([...ids].sort());
      // Byte for byte what serialising each notification would give.
      for (const c of cs) {
        const expected = c.raw.filter((t) => t.includes('"method":"subscription"'));
        expect(expected).to.have.length(4);
        for (const text of expected) {
          const sub = JSON.parse(text).params.subscription;
          expect(text).to.equal(JSON.stringify({ jsonrpc: "2.0", method: "subscription", params: { subscription: sub, result: e } }));
        }
      }
    });

    it("the submission path does not wait for the fan-out: the submitter's answer comes before the notifications", async function () {
      const own = new FakeApi();
      own.emitOnSubmit = [statusEvent(1), exitRootEvent(1)];
      const s = await start({}, own);
      const c = await open(s.wsUrl);
      for (let i = 0; i < 8; i++) await c.call("subscribe", {});
      c.send(rpc("submitCertificate", [cert], "submit"));
      const first = await c.take(() => true);
      expect(first.id, `a notification came before the answer: ${JSON.stringify(first)}`).to.equal("submit");
      expect(first.result.status).to.equal("PreConfirmed");
      for (let i = 0; i < 16; i++) expect((await c.take(() => true)).method).to.equal("subscription");
    });

    it("connections per client address are capped (HTTP 429); other addresses are not affected", async function () {
      const own = new FakeApi();
      const m = new Metrics();
      const s = await start({ ws: { maxConnectionsPerAddress: 3 }, metrics: m }, own);
      const first = [await open(s.wsUrl), await open(s.wsUrl), await open(s.wsUrl)];
      let err = "";
      await open(s.wsUrl).catch((e: Error) => (err = e.message));
      expect(err).to.equal("HTTP 429");
      expect(await m.render()).to.match(/coordinator_http_rejected_total\{reason="NOT_ALLOWED"\} 1/);
      const other = await open(s.wsUrl, { localAddress: "127.0.0.2" });
      expect((await other.call("getEpoch", [])).result).to.equal(null);
      // A slot frees once the server has seen a connection go.
      first[0].close();
      let reopened: WsClient | null = null;
      for (let i = 0; i < 100 && !reopened; i++) reopened = await open(s.wsUrl).catch(() => sleep(20).then(() => null));
      expect(reopened, "no connection slot came back").to.not.equal(null);
    });

    it("subscriptions per client address are capped across its connections: NOT_ALLOWED", async function () {
      const own = new FakeApi();
      const s = await start({ ws: { maxSubscriptions: 4, maxSubscriptionsPerAddress: 5 } }, own);
      const a = await open(s.wsUrl);
      const b = await open(s.wsUrl);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await a.call("subscribe", {})).result);
      expect((await b.call("subscribe", {})).result).to.match(/^0x[0-9a-f]{32}$/);
      const r = await b.call("subscribe", { networks: [1] });
      expect(r.error.code).to.equal(ERROR_CODES.NOT_ALLOWED);
      expect(r.error.data).to.deep.equal({ reason: "NOT_ALLOWED", maxSubscriptionsPerAddress: 5 });
      const other = await open(s.wsUrl, { localAddress: "127.0.0.2" });
      expect((await other.call("subscribe", {})).result).to.match(/^0x/);
      // Unsubscribing, and closing a connection, give the address its subscriptions back.
      expect((await a.call("unsubscribe", [ids[0]])).result).to.equal(true);
      expect((await b.call("subscribe", {})).result).to.match(/^0x/);
      a.close();
      let again: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
      for (let i = 0; i < 100 && !again?.result; i++) {
        again = await b.call("subscribe", {});
        if (!again.result) await sleep(20);
      }
      expect(again.result, JSON.stringify(again)).to.match(/^0x/);
    });

    it("subscribers that never read are held to their cap: each is dropped once it crosses it, holding far less meanwhile", async function () {
      this.timeout(180_000);
      const gc = exposeGc();
      const cap = 1024 * 1024;
      const n = 8;
      const subsEach = 4;
      const own = new FakeApi();
      const s = await start({ ws: { maxBufferedBytes: cap, maxSubscriptions: subsEach }, metrics: new Metrics() }, own);
      for (let i = 0; i < n; i++) {
        const c = await open(s.wsUrl);
        for (let k = 0; k < subsEach; k++) await c.call("subscribe", {});
        pauseReading(c);
      }
      gc();
      const base = liveBytes();
      let peak = 0;
      let emitted = 0;
      // Notifications of the node's size (~300 bytes): per-notification overheads are what doubled the cost.
      for (let round = 0; round < 5000 && own.listeners.size > 0; round++) {
        for (let k = 0; k < 25; k++) own.emit(realisticEvent(emitted++));
        await tick();
        if (round % 4 === 0) {
          gc();
          peak = Math.max(peak, liveBytes() - base);
        }
      }
      expect(own.listeners.size, "a client that never reads was not dropped").to.equal(0)
      expect(peak, `held ${peak} bytes for ${n} clients that never read, with a cap of ${cap} bytes each`).to.be.below(n * cap);
      const drops = logs.filter((l) => l.includes("dropping websocket client")).map((l) => JSON.parse(l));
      expect(drops).to.have.length(n);
      const oneEvent = subsEach * (4 + JSON.stringify({ jsonrpc: "2.0", method: "subscription", params: { subscription: "0x" + "0".repeat(32), result: realisticEvent(emitted) } }).length);
      for (const d of drops) {
        expect(d.cause).to.equal("slow_consumer");
        expect(d.bufferedBytes, "dropped before crossing the cap").to.be.above(cap);
        expect(d.bufferedBytes, "dropped later than the event that crossed the cap").to.be.at.most(cap + oneEvent);
      }
    });

    it("more subscriptions than allowed per connection: NOT_ALLOWED", async function () {
      const own = new FakeApi();
      const s = await start({ ws: { maxSubscriptions: 2 } }, own);
      const c = await open(s.wsUrl);
      const ids = [(await c.call("subscribe", {})).result, (await c.call("subscribe", {})).result];
      const r = await c.call("subscribe", {});
      expect(r.error.data).to.deep.equal({ reason: "NOT_ALLOWED", maxSubscriptions: 2 });
      own.emit(statusEvent(1));
      const got = [await c.take((m) => m.method === "subscription"), await c.take((m) => m.method === "subscription")];
      expect(got.map((m) => m.params.subscription).sort()).to.deep.equal([...ids].sort());
      await sleep(100);
      expect(c.messages, "a refused subscription was notified").to.deep.equal([]);
    });

    it("upgrades from a browser origin are refused unless allowed; other paths are 404", async function () {
      let err = "";
      await open(server.wsUrl, { origin: "https://evil.example" }).catch((e: Error) => (err = e.message));
      expect(err).to.equal("HTTP 403");
      await open(server.url.replace("http", "ws") + "elsewhere").catch((e: Error) => (err = e.message));
      expect(err).to.equal("HTTP 404");
      const s = await start({ allowedOrigins: ["http://dashboard.local"] });
      const c = await open(s.wsUrl, { origin: "http://dashboard.local" });
      expect((await c.call("getEpoch", [])).result).to.equal(null);
    });

    it("WS messages share the client's rate limit", async function () {
      const s = await start({ rateLimit: { perSecond: 0.5, burst: 3 } });
      const c = await open(s.wsUrl); // the upgrade takes one token
      expect((await c.call("getNetwork", [1], 1)).result.networkId).to.equal(1);
      expect((await c.call("getNetwork", [1], 2)).result.networkId).to.equal(1);
      c.send(rpc("getNetwork", [1], 3));
      const r = await c.take(() => true);
      expect(r.error.code).to.equal(ERROR_CODES.RATE_LIMITED);
      expect(r.error.data.reason).to.equal("RATE_LIMITED");
    });
  });

  describe("docs/api.md", function () {
    it("documents every ERROR_CODES entry with its number, and nothing else", function () {
      const md = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "api.md"), "utf8");
      const rows = [...md.matchAll(/^\|\s*(-?\d+)\s*\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((m) => [m[2], Number(m[1])]);
      expect(rows.length).to.be.greaterThan(0);
      expect(Object.fromEntries(rows)).to.deep.equal({ ...ERROR_CODES });
      expect(rows.length, "a reason is listed twice").to.equal(Object.keys(ERROR_CODES).length);
    });
  });
});
