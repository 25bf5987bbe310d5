/**
 * The coordinator's network face (docs/api.md): JSON-RPC over HTTP POST and WebSocket on one port, plus
 * GET /healthz and GET /metrics. Both transports hand text to the same Dispatcher (jsonrpc.ts); this file only
 * deals with what is transport-specific: body size, rate limits, origins, subscriptions and slow consumers.
 *
 * Every limit refuses early and cheaply: a Content-Length over the limit is answered before one byte is read,
 * a streamed body stops being buffered the moment it crosses the limit, and a WebSocket client that does not
 * read its notifications is dropped instead of growing our memory.
 */
import http from "node:http";
import type { Duplex } from "node:stream";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { WebSocketServer, WebSocket, RawData } from "ws";
import type { CoordinatorApi, CoordinatorEvent } from "../api";
import { CoordinatorError, ErrorReason } from "../types";
import { Logger, silentLogger } from "../log";
import { Metrics } from "../metrics";
import { Dispatcher, errorResponseText } from "./jsonrpc";
import type { RpcSession } from "./methods";
import type { SubscriptionFilter } from "./schemas";

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
  ws?: WsOptions;
}

export interface WsOptions {
  /** Largest incoming message (default maxBodyBytes). */
  maxPayloadBytes?: number;
  /** A connection whose unsent output exceeds this is dropped (default 4 MiB). */
  maxBufferedBytes?: number;
  maxSubscriptions?: number;
  maxConnections?: number;
  /** Dead peers are detected by ping/pong at this interval (default 30 s; 0 disables). */
  pingIntervalMs?: number;
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
  maxConnections: 1000,
  pingIntervalMs: 30_000,
  /** Notifications held per new subscription while its subscribe response is on its way. */
  maxHeldEvents: 1000,
  closeGraceMs: 1000,
});

const JSON_TYPE = "application/json; charset=utf-8";
const WS_PATHS = new Set(["/", "/ws"]);

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

// ------------------------------------------------------------------------------------------------ WebSocket connections

interface CompiledFilter {
  networks?: Set<number>;
  events?: Set<string>;
}

const matches = (f: CompiledFilter, e: CoordinatorEvent) => (!f.networks || f.networks.has(e.networkId)) && (!f.events || f.events.has(e.type));

interface ConnectionEnv {
  api: CoordinatorApi;
  dispatcher: Dispatcher;
  limiter: TokenBuckets;
  log: Logger;
  metrics: Metrics;
  maxBufferedBytes: number;
  maxSubscriptions: number;
}

interface Subscription {
  id: string;
  filter: CompiledFilter;
  unsubscribe: () => void;
  /** Notifications held until the subscribe response is out; null once it is. */
  held: string[] | null;
}

/**
 * One WebSocket client. Notifications of a new subscription are held back until the response to the message
 * that created it has been sent, so a client never sees a subscription id before it learns it. Each message gets
 * its own session so that concurrent messages cannot release each other's subscriptions.
 */
class WsConnection {
  alive = true;
  private readonly subs = new Map<string, Subscription>();

  constructor(
    readonly ws: WebSocket,
    private readonly ip: string,
    private readonly env: ConnectionEnv,
  ) {
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("pong", () => (this.alive = true));
    ws.on("error", (err) => env.log.debug("websocket error", { ip, err }));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!this.env.limiter.take(this.ip)) return this.send(errorResponseText("RATE_LIMITED", "rate limit exceeded"));
    const text = messageText(data, isBinary);
    if (text === null) return this.send(errorResponseText("PARSE_ERROR", "message is not UTF-8"));
    const created: Subscription[] = [];
    const session: RpcSession = { transport: "ws", subscriptions: { add: (f) => this.addSubscription(f, created), remove: (id) => this.removeSubscription(id) } };
    this.env.dispatcher
      .handle(text, session)
      .then((r) => r !== null && this.send(r))
      .catch((err) => this.env.log.error("websocket dispatch failed", { err }))
      .finally(() => created.forEach((sub) => this.release(sub)));
  }

  /** Sends, or drops the client when it is not reading what we already queued. */
  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount <= this.env.maxBufferedBytes) this.ws.send(text);
    if (this.ws.bufferedAmount > this.env.maxBufferedBytes) this.drop("slow_consumer");
  }

  drop(cause: string): void {
    this.env.log.warn("dropping websocket client", { ip: this.ip, cause });
    this.env.metrics.wsDropped.inc({ cause });
    // Detach now, not on the asynchronous close event: the API may be emitting to us in a tight loop.
    this.dispose();
    this.ws.terminate();
  }

  private addSubscription(filter: SubscriptionFilter, created: Subscription[]): string {
    const limit = this.env.maxSubscriptions;
    if (this.subs.size >= limit) throw new CoordinatorError("NOT_ALLOWED", `at most ${limit} subscriptions per connection`, { maxSubscriptions: limit });
    const sub: Subscription = {
      id: "0x" + randomBytes(16).toString("hex"),
      filter: { networks: filter.networks && new Set(filter.networks), events: filter.events && new Set(filter.events) },
      unsubscribe: () => undefined,
      held: [],
    };
    this.subs.set(sub.id, sub);
    created.push(sub);
    sub.unsubscribe = this.env.api.subscribe((e) => this.onEvent(sub, e));
    return sub.id;
  }

  private removeSubscription(id: string): boolean {
    const sub = this.subs.get(id);
    if (!sub) return false;
    this.subs.delete(id);
    sub.unsubscribe();
    return true;
  }

  /** Runs inside the API's emit: must never throw into it. */
  private onEvent(sub: Subscription, e: CoordinatorEvent): void {
    try {
      if (!matches(sub.filter, e)) return;
      const text = JSON.stringify({ jsonrpc: "2.0", method: "subscription", params: { subscription: sub.id, result: e } });
      if (!sub.held) return this.send(text);
      if (sub.held.push(text) > SERVER_DEFAULTS.maxHeldEvents) this.drop("slow_consumer");
    } catch (err) {
      this.env.log.error("subscription notification failed", { err });
    }
  }

  private release(sub: Subscription): void {
    const held = sub.held ?? [];
    sub.held = null;
    if (this.subs.get(sub.id) === sub) for (const text of held) this.send(text);
  }

  /** Detaches from the API; called whenever the socket closes, whoever closed it. */
  dispose(): void {
    for (const sub of this.subs.values()) sub.unsubscribe();
    this.subs.clear();
  }
}

/** The text of a message, or null when a binary one is not UTF-8 (text frames are checked by ws already). */
function messageText(data: RawData, isBinary: boolean): string | null {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (!isBinary) return buf.toString("utf8");
  const decoded = decodeUtf8(buf);
  return decoded.kind === "ok" ? decoded.text : null;
}

// ------------------------------------------------------------------------------------------------ server

interface ServerContext extends ConnectionEnv {
  state: { intakeOpen: boolean };
  maxBodyBytes: number;
  maxConnections: number;
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
  return {
    api,
    log,
    metrics,
    state,
    maxBodyBytes,
    limiter: new TokenBuckets(rate.perSecond, rate.burst),
    dispatcher: new Dispatcher({ api, admin: opts.admin ?? false, intakeOpen: () => state.intakeOpen, log, metrics }),
    maxBufferedBytes: w.maxBufferedBytes ?? SERVER_DEFAULTS.maxBufferedBytes,
    maxSubscriptions: w.maxSubscriptions ?? SERVER_DEFAULTS.maxSubscriptions,
    maxConnections: w.maxConnections ?? SERVER_DEFAULTS.maxConnections,
    allowedOrigins: new Set(opts.allowedOrigins ?? []),
    connections: new Set(),
    // No compression: a small deflated frame can inflate past every limit we set.
    wss: new WebSocketServer({ noServer: true, maxPayload: w.maxPayloadBytes ?? maxBodyBytes, perMessageDeflate: false }),
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
  if (!WS_PATHS.has(pathOf(req.url))) return refuse(404, "Not Found");
  // Browsers let any page open a WebSocket to localhost; only the Origin header tells a page from a client program.
  if (req.headers.origin !== undefined && !ctx.allowedOrigins.has(req.headers.origin)) return refuse(403, "Forbidden", "NOT_ALLOWED");
  if (!ctx.limiter.take(ip)) return refuse(429, "Too Many Requests", "RATE_LIMITED");
  if (ctx.connections.size >= ctx.maxConnections) return refuse(503, "Service Unavailable", "UNAVAILABLE");
  ctx.wss.handleUpgrade(req, socket, head, (ws) => attach(ctx, ws, ip));
}

function attach(ctx: ServerContext, ws: WebSocket, ip: string): void {
  const conn = new WsConnection(ws, ip, ctx);
  ctx.connections.add(conn);
  ctx.metrics.wsConnections.inc();
  ws.on("close", () => {
    conn.dispose();
    ctx.connections.delete(conn);
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
  const host = opts.host ?? SERVER_DEFAULTS.host;
  const server = http.createServer((req, res) => {
    onRequest(ctx, req, res).catch((err) => {
      ctx.log.error("http request failed", { err });
      if (!res.headersSent) sendRpcError(res, 500, "INTERNAL_ERROR", "internal error");
      else res.destroy();
    });
  });
  // A client trickling its body a byte at a time must not hold a connection for the default five minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
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
