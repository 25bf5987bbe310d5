/**
 * The coordinator's network face (docs/api.md): JSON-RPC over HTTP POST and WebSocket on one port, plus
 * GET /healthz, GET /metrics and the dashboard (GET /dashboard: the static files of coordinator/dashboard/). Both
 * transports hand text to the same Dispatcher (jsonrpc.ts); this file only deals with what is transport-specific:
 * body size, rate limits, origins, subscriptions and slow consumers.
 *
 * Every limit refuses early and cheaply: a Content-Length over the limit is answered before one byte is read,
 * a streamed body stops being buffered the moment it crosses the limit, a client trickling its request is cut off
 * at the documented time, connections and subscriptions are capped per client address, and a WebSocket client
 * that does not read its notifications is dropped instead of growing our memory (fanout.ts).
 */
import http from "node:http";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import type { Duplex } from "node:stream";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { isUtf8 } from "node:buffer";
import { WebSocketServer, WebSocket, RawData } from "ws";
import type { CoordinatorApi } from "../api";
import { CoordinatorError, ErrorReason } from "../types";
import { Logger, silentLogger } from "../log";
import { Metrics } from "../metrics";
import { Dispatcher, errorResponseText } from "./jsonrpc";
import type { RpcSession } from "./methods";
import type { SubscriptionFilter } from "./schemas";
import { FanOut, Outbox, Subscription } from "./fanout";

export interface RpcServerOptions {
  /** Default 127.0.0.1: the API has write and admin methods, so exposing it is an explicit choice. */
  host?: string;
  /** 0 picks an ephemeral port (tests). */
  port: number;
  /** Largest HTTP body (default 1 MiB). Also the default WebSocket message limit. */
  maxBodyBytes?: number;
  /** Token bucket per client IP, shared by HTTP requests, WebSocket upgrades and WebSocket messages. */
  rateLimit?: { perSecond: number; burst: number };
  /** Serve admin_* methods. */
  admin?: boolean;
  log?: Logger;
  /** Where RPC metrics go and what GET /metrics serves (default: a private Metrics instance). */
  metrics?: Metrics;
  /** Browser origins allowed to open a WebSocket; upgrades carrying any other Origin header are refused (403). */
  allowedOrigins?: string[];
  /** A request whose headers are not complete after this long is answered 408 and closed (default 15 s). */
  headersTimeoutMs?: number;
  /** A request not received in full after this long is answered 408 and closed (default 30 s). */
  requestTimeoutMs?: number;
  ws?: WsOptions;
}

export interface WsOptions {
  /** Largest incoming message (default maxBodyBytes). */
  maxPayloadBytes?: number;
  /** A connection whose queued and unsent output exceeds this is dropped (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Subscriptions per connection (default 32). */
  maxSubscriptions?: number;
  /** Subscriptions per client address, all its connections together (default 256). */
  maxSubscriptionsPerAddress?: number;
  /** Connections in all (default 1000). */
  maxConnections?: number;
  /** Connections per client address (default 32). */
  maxConnectionsPerAddress?: number;
  /** Dead peers are detected by ping/pong at this interval (default 30 s; 0 disables). */
  pingIntervalMs?: number;
  /** Share of the event loop notifications may take while requests wait (default 0.05). */
  fanOutShare?: number;
}

export interface RpcServer {
  url: string;
  wsUrl: string;
  port: number;
  /** Closes WebSocket clients and the server; idempotent. */
  close(): Promise<void>;
  /** From now on submissions (and admin actions) answer SHUTTING_DOWN; reads keep working. */
  stopIntake(): void;
}

export const SERVER_DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  maxBodyBytes: 1024 * 1024,
  rateLimit: { perSecond: 5000, burst: 10000 },
  maxBufferedBytes: 4 * 1024 * 1024,
  maxSubscriptions: 32,
  maxSubscriptionsPerAddress: 256,
  maxConnections: 1000,
  maxConnectionsPerAddress: 32,
  pingIntervalMs: 30_000,
  fanOutShare: 0.05,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  /**
   * How often node looks for connections past those two timeouts. Its default (30 s) let a slow client keep a
   * connection for up to 30 s longer than documented.
   */
  timeoutCheckMs: 1000,
  closeGraceMs: 1000,
});

const JSON_TYPE = "application/json; charset=utf-8";
const WS_PATHS = new Set(["/", "/ws"]);

// ------------------------------------------------------------------------------------------------ dashboard

/**
 * The dashboard's files (coordinator/dashboard/), by path: a fixed list, so no request path ever reaches the file
 * system. Read once, when the first server starts.
 */
const DASHBOARD_DIR = nodePath.join(__dirname, "..", "dashboard");
const DASHBOARD_FILES: Readonly<Record<string, { file: string; type: string }>> = Object.freeze({
  "/dashboard": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dashboard/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dashboard/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/dashboard/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
});
let dashboardFiles: Map<string, Buffer> | null = null;

function loadDashboardFiles(): Map<string, Buffer> {
  dashboardFiles ??= new Map([...new Set(Object.values(DASHBOARD_FILES).map((f) => f.file))].map((f) => [f, fs.readFileSync(nodePath.join(DASHBOARD_DIR, f))]));
  return dashboardFiles;
}

/**
 * The page runs no inline script or style, loads nothing from elsewhere, talks only to its own origin (JSON-RPC
 * reads and the WebSocket subscription) and cannot be framed.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function handleDashboard(res: http.ServerResponse, entry: { file: string; type: string }): void {
  res.writeHead(200, {
    "Content-Type": entry.type, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": DASHBOARD_CSP,
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
  });
  res.end(loadDashboardFiles().get(entry.file));
}

/**
 * A WebSocket upgrade from a page this server served itself (the dashboard): its Origin is exactly http:// and the
 * Host it asked for, and that host is an IP address or localhost. A name that could be rebound to this address by
 * someone else's DNS (an attacker's page that resolves to 127.0.0.1) is not its own origin: it needs allowedOrigins.
 */
export function isOwnOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  if (!/^(localhost|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/.test(host)) return false;
  return origin.toLowerCase() === `http://${host.toLowerCase()}`;
}

// ------------------------------------------------------------------------------------------------ rate limit

/** One token bucket per key. Bounded: idle (full) buckets are swept, and past maxKeys the oldest go first. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError("rateLimit needs perSecond > 0 and burst >= 1");
  }

  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evict(t);
      b = { tokens: this.burst, at: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private evict(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) * this.perSecond >= this.burst) this.buckets.delete(k);
    // Still nearly full: many distinct clients at once. Forgetting the oldest only grants them a fresh burst, and
    // freeing a tenth (not one) keeps the sweep above from running on every new client.
    const target = Math.floor(this.maxKeys * 0.9);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(k);
    }
  }
}

// ------------------------------------------------------------------------------------------------ HTTP helpers

function send(res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", ...headers });
  res.end(body);
}

function sendRpcError(res: http.ServerResponse, status: number, reason: ErrorReason, message: string, headers: http.OutgoingHttpHeaders = {}): void {
  send(res, status, errorResponseText(reason, message), headers);
}

/** The path without the query; no URL parsing, so "//host/x" cannot turn into "/x". */
function pathOf(url: string | undefined): string {
  return (url ?? "").split("?")[0];
}

/** Requiring application/json makes browsers preflight a cross-site POST, which we never approve (no CORS). */
function isJsonContentType(v: string | undefined): boolean {
  return typeof v === "string" && /^application\/json\s*(;|$)/i.test(v.trim());
}

type Body = { kind: "ok"; text: string } | { kind: "tooLarge" } | { kind: "aborted" } | { kind: "badUtf8" };

/** Buffers at most max bytes; past that it stops reading, and node discards the rest once the 413 is sent. */
function readBody(req: http.IncomingMessage, max: number): Promise<Body> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve({ kind: "tooLarge" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (c: Buffer) => {
      total += c.length;
      if (total <= max) return void chunks.push(c);
      req.off("data", onData);
      chunks.length = 0;
      resolve({ kind: "tooLarge" });
    };
    req.on("data", onData);
    req.on("end", () => resolve(decodeUtf8(Buffer.concat(chunks))));
    req.on("error", () => resolve({ kind: "aborted" }));
    req.on("close", () => resolve({ kind: "aborted" }));
  });
}

function decodeUtf8(buf: Buffer): Body {
  try {
    return { kind: "ok", text: new TextDecoder("utf-8", { fatal: true }).decode(buf) };
  } catch {
    return { kind: "badUtf8" };
  }
}

// ------------------------------------------------------------------------------------------------ client addresses

/**
 * The key per-client caps count under: the IPv4 address (also when it arrives IPv4-mapped), or the /64 prefix
 * of an IPv6 address, which is what one IPv6 client usually controls.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const a = address.toLowerCase().split("%")[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1];
  if (!a.includes(":")) return a;
  const [left, right = ""] = a.split("::");
  const l = left ? left.split(":") : [];
  const r = a.includes("::") && right ? right.split(":") : [];
  const groups = a.includes("::") ? [...l, ...Array(Math.max(0, 8 - l.length - r.length)).fill("0"), ...r] : l;
  return groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(":") + "::/64";
}

/** Open connections and subscriptions per client address; an entry goes when both are back to zero. */
class AddressBook {
  private readonly counts = new Map<string, { connections: number; subscriptions: number }>();

  connections(key: string): number {
    return this.counts.get(key)?.connections ?? 0;
  }

  subscriptions(key: string): number {
    return this.counts.get(key)?.subscriptions ?? 0;
  }

  add(key: string, what: "connections" | "subscriptions", delta: number): void {
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { connections: 0, subscriptions: 0 }));
    c[what] += delta;
    if (c.connections <= 0 && c.subscriptions <= 0) this.counts.delete(key);
  }
}

// ------------------------------------------------------------------------------------------------ WebSocket connections

interface ConnectionEnv {
  api: CoordinatorApi;
  dispatcher: Dispatcher;
  limiter: TokenBuckets;
  log: Logger;
  metrics: Metrics;
  fanOut: FanOut;
  addresses: AddressBook;
  maxBufferedBytes: number;
  maxSubscriptions: number;
  maxSubscriptionsPerAddress: number;
}

/**
 * One WebSocket client. Its notifications go through the fan-out (fanout.ts); those of a new subscription are
 * held back until the response to the message that created it has been sent, so a client never sees a
 * subscription id before it learns it. Each message gets its own session so that concurrent messages cannot
 * release each other's subscriptions.
 */
class WsConnection {
  alive = true;
  readonly box: Outbox;
  private disposed = false;

  constructor(
    readonly ws: WebSocket,
    socket: Duplex,
    private readonly ip: string,
    readonly addressKey: string,
    private readonly env: ConnectionEnv,
  ) {
    this.box = env.fanOut.open(socket, () => ws.readyState === WebSocket.OPEN, () => this.drop("slow_consumer"));
    ws.on("message", (data) => this.onMessage(data));
    ws.on("pong", () => (this.alive = true));
    ws.on("error", (err) => env.log.debug("websocket error", { ip, err }));
  }

  private onMessage(data: RawData): void {
    if (!this.env.limiter.take(this.ip)) return this.send(errorResponseText("RATE_LIMITED", "rate limit exceeded"));
    const text = messageText(data);
    if (text === null) return this.send(errorResponseText("PARSE_ERROR", "message is not UTF-8"));
    const created: Subscription[] = [];
    const session: RpcSession = { transport: "ws", subscriptions: { add: (f) => this.addSubscription(f, created), remove: (id) => this.removeSubscription(id) } };
    this.env.dispatcher
      .handle(text, session)
      .then((r) => r !== null && this.send(r))
      .catch((err) => this.env.log.error("websocket dispatch failed", { err }))
      .finally(() => created.forEach((sub) => this.env.fanOut.release(this.box, sub)));
  }

  /** Sends a response, or drops the client when it would take the connection past its cap. */
  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.box.bufferedBytes() + Buffer.byteLength(text) > this.env.maxBufferedBytes) return this.drop("slow_consumer");
    this.ws.send(text);
  }

  drop(cause: string): void {
    if (this.disposed) return;
    this.env.log.warn("dropping websocket client", { ip: this.ip, cause, bufferedBytes: this.box.bufferedBytes() });
    this.env.metrics.wsDropped.inc({ cause });
    // Detach now, not on the asynchronous close event: the fan-out may be queueing for us in a tight loop.
    this.dispose();
    this.ws.terminate();
  }

  private addSubscription(filter: SubscriptionFilter, created: Subscription[]): string {
    const perConnection = this.env.maxSubscriptions;
    if (this.box.subs.size >= perConnection) throw new CoordinatorError("NOT_ALLOWED", `at most ${perConnection} subscriptions per connection`, { maxSubscriptions: perConnection });
    const perAddress = this.env.maxSubscriptionsPerAddress;
    if (this.env.addresses.subscriptions(this.addressKey) >= perAddress) {
      throw new CoordinatorError("NOT_ALLOWED", `at most ${perAddress} subscriptions per client address`, { maxSubscriptionsPerAddress: perAddress });
    }
    const sub = this.env.fanOut.subscribe(this.box, "0x" + randomBytes(16).toString("hex"), filter);
    this.env.addresses.add(this.addressKey, "subscriptions", 1);
    created.push(sub);
    return sub.id;
  }

  private removeSubscription(id: string): boolean {
    if (!this.env.fanOut.unsubscribe(this.box, id)) return false;
    this.env.addresses.add(this.addressKey, "subscriptions", -1);
    return true;
  }

  /** Detaches from the fan-out; called whenever the socket closes, whoever closed it. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.env.addresses.add(this.addressKey, "subscriptions", -this.box.subs.size);
    this.env.fanOut.remove(this.box);
  }
}

/**
 * The text of a message, or null when it is not UTF-8. Text frames too: the server skips ws's own check, which
 * would close the connection (1007) where docs/api.md promises a PARSE_ERROR answer.
 */
function messageText(data: RawData): string | null {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isUtf8(buf) ? buf.toString("utf8") : null;
}

// ------------------------------------------------------------------------------------------------ server

interface ServerContext extends ConnectionEnv {
  state: { intakeOpen: boolean };
  maxBodyBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  allowedOrigins: Set<string>;
  connections: Set<WsConnection>;
  wss: WebSocketServer;
}

const HTTP_SESSION: RpcSession = Object.freeze({ transport: "http" });

function makeContext(api: CoordinatorApi, opts: RpcServerOptions): ServerContext {
  const maxBodyBytes = opts.maxBodyBytes ?? SERVER_DEFAULTS.maxBodyBytes;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new RangeError("maxBodyBytes must be a positive integer");
  const rate = opts.rateLimit ?? SERVER_DEFAULTS.rateLimit;
  const log = opts.log ?? silentLogger;
  const metrics = opts.metrics ?? new Metrics();
  const state = { intakeOpen: true };
  const w = opts.ws ?? {};
  const maxBufferedBytes = w.maxBufferedBytes ?? SERVER_DEFAULTS.maxBufferedBytes;
  const fanOut = new FanOut(api, { maxBufferedBytes, share: w.fanOutShare ?? SERVER_DEFAULTS.fanOutShare, log });
  // The fan-out keeps the one count of subscriptions; the gauge reads it at each scrape.
  metrics.readState({ subscriptions: () => fanOut.subscriptionCount });
  return {
    api,
    log,
    metrics,
    state,
    maxBodyBytes,
    limiter: new TokenBuckets(rate.perSecond, rate.burst),
    dispatcher: new Dispatcher({ api, admin: opts.admin ?? false, intakeOpen: () => state.intakeOpen, log, metrics }),
    fanOut,
    addresses: new AddressBook(),
    maxBufferedBytes,
    maxSubscriptions: w.maxSubscriptions ?? SERVER_DEFAULTS.maxSubscriptions,
    maxSubscriptionsPerAddress: w.maxSubscriptionsPerAddress ?? SERVER_DEFAULTS.maxSubscriptionsPerAddress,
    maxConnections: w.maxConnections ?? SERVER_DEFAULTS.maxConnections,
    maxConnectionsPerAddress: w.maxConnectionsPerAddress ?? SERVER_DEFAULTS.maxConnectionsPerAddress,
    allowedOrigins: new Set(opts.allowedOrigins ?? []),
    connections: new Set(),
    // No compression: a small deflated frame can inflate past every limit we set, and the fan-out's direct
    // frame writes rely on ws writing every message whole and at once (fanout.ts). UTF-8 is checked by
    // messageText, so that a bad text frame is answered (PARSE_ERROR) rather than closing the connection.
    wss: new WebSocketServer({ noServer: true, maxPayload: w.maxPayloadBytes ?? maxBodyBytes, perMessageDeflate: false, skipUTF8Validation: true }),
  };
}

function reject(ctx: ServerContext, res: http.ServerResponse, status: number, reason: ErrorReason, message: string, headers: http.OutgoingHttpHeaders = {}): void {
  ctx.metrics.httpRejected.inc({ reason });
  sendRpcError(res, status, reason, message, headers);
}

async function onRequest(ctx: ServerContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!ctx.limiter.take(req.socket.remoteAddress ?? "unknown")) return reject(ctx, res, 429, "RATE_LIMITED", "rate limit exceeded", { "Retry-After": "1" });
  const path = pathOf(req.url);
  if (req.method === "POST" && path === "/") return handleRpc(ctx, req, res);
  if (req.method === "GET" && path === "/healthz") return handleHealth(ctx, res);
  if (req.method === "GET" && path === "/metrics") return handleMetrics(ctx, res);
  if (req.method === "GET" && Object.prototype.hasOwnProperty.call(DASHBOARD_FILES, path)) return handleDashboard(res, DASHBOARD_FILES[path]);
  send(res, 404, JSON.stringify({ error: "not found" }));
}

async function handleRpc(ctx: ServerContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!isJsonContentType(req.headers["content-type"])) return reject(ctx, res, 415, "INVALID_REQUEST", "Content-Type must be application/json");
  const body = await readBody(req, ctx.maxBodyBytes);
  if (body.kind === "aborted") return;
  // Connection: close, so that the unread remainder of the body is not drained on a kept-alive connection.
  if (body.kind === "tooLarge") return reject(ctx, res, 413, "REQUEST_TOO_LARGE", `body larger than ${ctx.maxBodyBytes} bytes`, { Connection: "close" });
  if (body.kind === "badUtf8") return send(res, 200, errorResponseText("PARSE_ERROR", "body is not UTF-8"));
  const out = await ctx.dispatcher.handle(body.text, HTTP_SESSION);
  if (out !== null) return send(res, 200, out);
  res.writeHead(204, { "Cache-Control": "no-store" });
  res.end();
}

function handleHealth(ctx: ServerContext, res: http.ServerResponse): void {
  try {
    const view = ctx.api.health();
    send(res, view.ok ? 200 : 503, JSON.stringify(view));
  } catch (err) {
    ctx.log.error("health check failed", { err });
    send(res, 503, JSON.stringify({ ok: false, state: "error" }));
  }
}

async function handleMetrics(ctx: ServerContext, res: http.ServerResponse): Promise<void> {
  const text = await ctx.metrics.render();
  res.writeHead(200, { "Content-Type": ctx.metrics.contentType, "Cache-Control": "no-store" });
  res.end(text);
}

function onUpgrade(ctx: ServerContext, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on("error", () => socket.destroy());
  const refuse = (status: number, text: string, reason?: ErrorReason) => {
    if (reason) ctx.metrics.httpRejected.inc({ reason });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const ip = req.socket.remoteAddress ?? "unknown";
  const key = clientAddressKey(ip);
  if (!WS_PATHS.has(pathOf(req.url))) return refuse(404, "Not Found");
  // Browsers let any page open a WebSocket to localhost; only the Origin header tells a page from a client program.
  // The dashboard's own page (served here) may connect: isOwnOrigin.
  const origin = req.headers.origin;
  if (origin !== undefined && !ctx.allowedOrigins.has(origin) && !isOwnOrigin(origin, req.headers.host)) return refuse(403, "Forbidden", "NOT_ALLOWED");
  if (!ctx.limiter.take(ip)) return refuse(429, "Too Many Requests", "RATE_LIMITED");
  if (ctx.connections.size >= ctx.maxConnections) return refuse(503, "Service Unavailable", "UNAVAILABLE");
  if (ctx.addresses.connections(key) >= ctx.maxConnectionsPerAddress) return refuse(429, "Too Many Requests", "NOT_ALLOWED");
  // Without a verifyClient hook ws completes the upgrade synchronously: the counts above cannot be raced.
  ctx.wss.handleUpgrade(req, socket, head, (ws) => attach(ctx, ws, socket, ip, key));
}

function attach(ctx: ServerContext, ws: WebSocket, socket: Duplex, ip: string, key: string): void {
  const conn = new WsConnection(ws, socket, ip, key, ctx);
  ctx.connections.add(conn);
  ctx.addresses.add(key, "connections", 1);
  ctx.metrics.wsConnections.inc();
  ws.on("close", () => {
    conn.dispose();
    ctx.connections.delete(conn);
    ctx.addresses.add(key, "connections", -1);
    ctx.metrics.wsConnections.dec();
  });
}

function startPing(ctx: ServerContext, ms: number): NodeJS.Timeout | undefined {
  if (!ms) return undefined;
  const timer = setInterval(() => {
    for (const c of ctx.connections) {
      if (!c.alive) {
        c.drop("ping_timeout");
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        // not open yet or already closing: the close handler cleans up
      }
    }
  }, ms);
  timer.unref();
  return timer;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

async function closeWsClients(ctx: ServerContext): Promise<void> {
  const all = [...ctx.connections];
  const closed = all.map((c) => new Promise<void>((r) => (c.ws.readyState === WebSocket.CLOSED ? r() : c.ws.once("close", () => r()))));
  for (const c of all) c.ws.close(1001, "server shutting down");
  await Promise.race([Promise.all(closed), delay(SERVER_DEFAULTS.closeGraceMs)]);
  for (const c of all) c.ws.terminate();
  ctx.fanOut.close();
  await new Promise<void>((r) => ctx.wss.close(() => r()));
}

/** In-flight requests get a grace period; idle keep-alive connections are closed at once. */
function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), SERVER_DEFAULTS.closeGraceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export async function startRpcServer(api: CoordinatorApi, opts: RpcServerOptions): Promise<RpcServer> {
  const ctx = makeContext(api, opts);
  loadDashboardFiles();
  const host = opts.host ?? SERVER_DEFAULTS.host;
  // A client trickling its headers or body a byte at a time must not hold a connection for the default five
  // minutes, nor for up to a checking interval longer than documented.
  const timeouts = {
    headersTimeout: opts.headersTimeoutMs ?? SERVER_DEFAULTS.headersTimeoutMs,
    requestTimeout: opts.requestTimeoutMs ?? SERVER_DEFAULTS.requestTimeoutMs,
    connectionsCheckingInterval: SERVER_DEFAULTS.timeoutCheckMs,
  };
  const server = http.createServer(timeouts, (req, res) => {
    onRequest(ctx, req, res).catch((err) => {
      ctx.log.error("http request failed", { err });
      if (!res.headersSent) sendRpcError(res, 500, "INTERNAL_ERROR", "internal error");
      else res.destroy();
    });
  });
  server.on("upgrade", (req, socket, head) => onUpgrade(ctx, req, socket, head));
  const port = await listen(server, opts.port, host);
  const ping = startPing(ctx, opts.ws?.pingIntervalMs ?? SERVER_DEFAULTS.pingIntervalMs);
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    ctx.state.intakeOpen = false;
    if (ping) clearInterval(ping);
    await closeWsClients(ctx);
    await closeHttp(server);
  };
  ctx.log.info("rpc server listening", { host, port, admin: opts.admin ?? false });
  return {
    url: `http://${hostInUrl}:${port}/`,
    wsUrl: `ws://${hostInUrl}:${port}/ws`,
    port,
    stopIntake: () => {
      ctx.state.intakeOpen = false;
    },
    close: () => (closing ??= shutdown()),
  };
}
