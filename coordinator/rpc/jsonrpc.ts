/**
 * Transport-independent JSON-RPC 2.0 dispatcher: text in, text (or nothing) out. HTTP and WebSocket
 * (server.ts) share it, so both transports parse, gate, validate and map errors identically.
 *
 * Hostile input is expected: nesting depth is checked by a linear scan before JSON.parse (a deep document can
 * neither overflow a recursive consumer nor cost more than one pass), batches are bounded, and every thrown
 * value becomes a JSON-RPC error object whose data.reason is an ERROR_CODES key. Unexpected errors are logged
 * and answered with a bare INTERNAL_ERROR: their messages may carry paths, SQL or keys.
 */
import { performance } from "node:perf_hooks";
import { ZodError } from "zod";
import { CertificateFormatError } from "../../lib/certificate";
import { CoordinatorError, ERROR_CODES, ErrorReason } from "../types";
import type { CoordinatorApi } from "../api";
import { Logger, silentLogger } from "../log";
import type { Metrics } from "../metrics";
import { RpcSession, lookupMethod, METHODS, runMethod } from "./methods";
import type { MethodName } from "./schemas";

export const RPC_LIMITS = Object.freeze({
  /** The deepest legitimate request (a batched submitCertificate with imports) nests 7 levels. */
  maxDepth: 32,
  maxBatch: 100,
  /** Bounds the size of an INVALID_PARAMS answer whatever the request looked like. */
  maxIssues: 20,
  maxMessageChars: 200,
});

export type RpcId = string | number | null;

export interface RpcErrorObject {
  code: number;
  message: string;
  data: { reason: ErrorReason; [k: string]: unknown };
}

export interface DispatcherOptions {
  api: CoordinatorApi;
  /** Serve admin_* methods (default false: NOT_ALLOWED). */
  admin?: boolean;
  /** False once the server stops taking submissions (SHUTTING_DOWN); default always open. */
  intakeOpen?: () => boolean;
  log?: Logger;
  metrics?: Metrics;
  maxDepth?: number;
  maxBatch?: number;
}

// ------------------------------------------------------------------------------------------------ errors

const truncate = (s: string) => (s.length > RPC_LIMITS.maxMessageChars ? s.slice(0, RPC_LIMITS.maxMessageChars) + "…" : s);

/** reason always wins over a same-named key in data: clients switch on it. */
export function rpcError(reason: ErrorReason, message: string, data: Record<string, unknown> = {}): RpcErrorObject {
  const { reason: _shadowed, ...rest } = data;
  return { code: ERROR_CODES[reason], message: truncate(message), data: { reason, ...rest } };
}

/** Error data from the node may hold bigints (ids, heights): encode them as 0x-hex like lib/codec does. */
function jsonSafe(data: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v)));
  } catch {
    return {};
  }
}

function zodIssues(e: ZodError): { path: string; message: string }[] {
  return e.issues.slice(0, RPC_LIMITS.maxIssues).map((i) => ({ path: i.path.join("."), message: truncate(i.message) }));
}

function isKnownReason(r: unknown): r is ErrorReason {
  return typeof r === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, r);
}

/** Maps anything a method threw; onInternal sees the errors whose detail must stay in the logs. */
export function toRpcError(e: unknown, onInternal: (e: unknown) => void): RpcErrorObject {
  if (e instanceof CoordinatorError && isKnownReason(e.reason)) return rpcError(e.reason, e.message, jsonSafe(e.data));
  if (e instanceof ZodError) {
    const issues = zodIssues(e);
    const first = issues[0];
    return rpcError("INVALID_PARAMS", first ? `invalid params: ${first.path || "params"}: ${first.message}` : "invalid params", { issues });
  }
  if (e instanceof CertificateFormatError) return rpcError("BAD_CERTIFICATE", `bad certificate: ${e.message}`, { format: e.code });
  onInternal(e);
  return rpcError("INTERNAL_ERROR", "internal error");
}

/** A complete error response, for transports that refuse a request before dispatch (413, 429). */
export function errorResponseText(reason: ErrorReason, message: string, data: Record<string, unknown> = {}, id: RpcId = null): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: rpcError(reason, message, data) });
}

// ------------------------------------------------------------------------------------------------ parsing

/** True when brackets nest deeper than max (outside strings). One pass, no recursion, no allocation. */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character (it may be a quote)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; error: RpcErrorObject };

export function parseRequestText(text: string, maxDepth: number = RPC_LIMITS.maxDepth): ParseResult {
  if (exceedsDepth(text, maxDepth)) return { ok: false, error: rpcError("PARSE_ERROR", `JSON nested deeper than ${maxDepth} levels`, { maxDepth }) };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: rpcError("PARSE_ERROR", "invalid JSON") };
  }
}

// ------------------------------------------------------------------------------------------------ envelope

interface Call {
  id: RpcId;
  method: string;
  params: unknown;
  /** No id member: run it, answer nothing. */
  notification: boolean;
}

type EnvelopeResult = { ok: true; call: Call } | { ok: false; id: RpcId; error: RpcErrorObject };

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * A numeric id must come back exactly as sent, and JSON.parse keeps only a double: 2^53 + 1 would be echoed as
 * 2^53, 0.30000000000000001 as 0.3, 1e400 (Infinity) as null. Integers up to 2^53 - 1 survive the round trip;
 * every other number is refused rather than answered under another id.
 */
const isValidId = (v: unknown): v is RpcId => v === null || typeof v === "string" || Number.isSafeInteger(v);

function invalid(id: RpcId, message: string): EnvelopeResult {
  return { ok: false, id, error: rpcError("INVALID_REQUEST", message) };
}

function readEnvelope(x: unknown): EnvelopeResult {
  if (!isPlainObject(x)) return invalid(null, "a request must be a JSON object");
  if (has(x, "id") && !isValidId(x.id)) return invalid(null, "id must be a string, an integer of magnitude at most 2^53 - 1, or null");
  const id = has(x, "id") ? (x.id as RpcId) : null;
  if (x.jsonrpc !== "2.0") return invalid(id, 'jsonrpc must be "2.0"');
  if (typeof x.method !== "string") return invalid(id, "method must be a string");
  if (has(x, "params") && (typeof x.params !== "object" || x.params === null)) return invalid(id, "params must be an object or an array");
  return { ok: true, call: { id, method: x.method, params: x.params, notification: !has(x, "id") } };
}

// ------------------------------------------------------------------------------------------------ dispatch

export class Dispatcher {
  private readonly log: Logger;
  private readonly maxDepth: number;
  private readonly maxBatch: number;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = opts.log ?? silentLogger;
    this.maxDepth = opts.maxDepth ?? RPC_LIMITS.maxDepth;
    this.maxBatch = opts.maxBatch ?? RPC_LIMITS.maxBatch;
  }

  /** The response text, or null when there is nothing to answer (notifications only). */
  async handle(text: string, session: RpcSession): Promise<string | null> {
    const parsed = parseRequestText(text, this.maxDepth);
    if (!parsed.ok) return this.refuse(null, parsed.error);
    if (!Array.isArray(parsed.value)) return this.handleOne(parsed.value, session);
    return this.handleBatch(parsed.value, session);
  }

  private async handleBatch(entries: unknown[], session: RpcSession): Promise<string | null> {
    if (entries.length === 0) return this.refuse(null, rpcError("INVALID_REQUEST", "empty batch"));
    if (entries.length > this.maxBatch) return this.refuse(null, rpcError("INVALID_REQUEST", `batch of more than ${this.maxBatch} requests`, { maxBatch: this.maxBatch }));
    // In order, one at a time: a batch may submit a certificate and then another that depends on it.
    const out: string[] = [];
    for (const entry of entries) {
      const r = await this.handleOne(entry, session);
      if (r !== null) out.push(r);
    }
    return out.length ? `[${out.join(",")}]` : null;
  }

  private async handleOne(entry: unknown, session: RpcSession): Promise<string | null> {
    const env = readEnvelope(entry);
    if (!env.ok) return this.refuse(env.id, env.error);
    const { call } = env;
    const started = performance.now();
    const name = lookupMethod(call.method);
    let text: string;
    let outcome: string;
    try {
      const result = await this.invoke(name, call, session);
      // Serialised inside the try: a result that is not JSON (a bigint from the API) becomes INTERNAL_ERROR.
      text = JSON.stringify({ jsonrpc: "2.0", id: call.id, result: result === undefined ? null : result });
      outcome = "ok";
    } catch (e) {
      const error = toRpcError(e, (err) => this.logInternal(call.method, err));
      text = JSON.stringify({ jsonrpc: "2.0", id: call.id, error });
      outcome = error.data.reason;
    }
    this.opts.metrics?.observeRpc(name ?? "_unknown", outcome, (performance.now() - started) / 1000);
    return call.notification ? null : text;
  }

  /** Gates, then params, then the API. */
  private async invoke(name: MethodName | undefined, call: Call, session: RpcSession): Promise<unknown> {
    if (!name) throw new CoordinatorError("METHOD_NOT_FOUND", `unknown method ${truncate(call.method)}`);
    this.checkGates(name, session);
    return runMethod(name, call.params, { api: this.opts.api, session });
  }

  private checkGates(name: MethodName, session: RpcSession): void {
    const kind = METHODS[name].kind;
    if (kind === "admin" && !this.opts.admin) throw new CoordinatorError("NOT_ALLOWED", `${name} needs a server started with admin: true`);
    if (kind === "session" && !session.subscriptions) throw new CoordinatorError("NOT_ALLOWED", `${name} is only available over WebSocket`, { transport: session.transport });
    if ((kind === "write" || kind === "admin") && this.opts.intakeOpen && !this.opts.intakeOpen()) {
      throw new CoordinatorError("SHUTTING_DOWN", "the coordinator is shutting down and takes no new submissions");
    }
  }

  private refuse(id: RpcId, error: RpcErrorObject): string {
    this.opts.metrics?.observeRpc("_invalid", error.data.reason, 0);
    return JSON.stringify({ jsonrpc: "2.0", id, error });
  }

  private logInternal(method: string, err: unknown): void {
    const stack = err instanceof Error ? err.stack : undefined;
    this.log.error("rpc method failed", { method: truncate(method), err: err instanceof Error ? err : String(err), stack });
  }
}
