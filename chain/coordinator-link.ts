/**
 * The chain client's connection to the coordinator: JSON-RPC calls over HTTP and one WebSocket subscription
 * (status changes and new exit roots of every network), reconnected with backoff when it drops.
 */
import WebSocket from "ws";
import type { CoordinatorEvent } from "../coordinator/api";
import type { Logger } from "../coordinator/log";

export class RpcError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly data: unknown) {
    super(message);
    this.name = "RpcError";
  }
}

export class CoordinatorLink {
  private id = 0;
  private ws: WebSocket | null = null;
  private closed = false;
  private backoffMs = 200;

  constructor(readonly url: string, readonly wsUrl: string, private readonly log: Logger) {}

  async call<T = unknown>(method: string, params: unknown = {}): Promise<T> {
    const res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }) });
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: { reason?: string } } };
    if (body.error) throw new RpcError(body.error.code, body.error.data?.reason ?? "UNKNOWN", body.error.message, body.error.data);
    return body.result as T;
  }

  /** Subscribes to every event; `onOpen` runs after each (re)connection (to catch up on what was missed). */
  subscribe(onEvent: (e: CoordinatorEvent) => void, onOpen: () => void): void {
    if (this.closed) return;
    const ws = new WebSocket(this.wsUrl);
    this.ws = ws;
    ws.on("open", () => {
      this.backoffMs = 200;
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: "sub", method: "subscribe", params: { events: ["status", "exitRoot"] } }));
      onOpen();
    });
    ws.on("message", (data) => {
      let msg: { method?: string; params?: { result?: CoordinatorEvent } };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (msg.method === "subscription" && msg.params?.result) onEvent(msg.params.result);
    });
    ws.on("error", (e) => this.log.debug("coordinator websocket error", { error: e }));
    ws.on("close", () => {
      if (this.closed) return;
      this.log.warn("coordinator websocket closed; reconnecting", { inMs: this.backoffMs });
      setTimeout(() => this.subscribe(onEvent, onOpen), this.backoffMs).unref();
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    });
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
