/**
 * The peer feed behind the peer-to-peer policy (docs/protocol.md §8): a source chain pushes each certificate to
 * its peers the moment its sequencer signs it, so a peer can relay the source's new exit root into its own L2
 * oracle before the coordinator has even received the certificate.
 *
 * What the feed does NOT guarantee. A root taken from a peer carries every risk of a pre-confirmed one and
 * more: the layer has not seen the certificate, so nothing has checked its height, previous state, accounting
 * or dependencies, and the source may never submit it, submit another one at that height (equivocation) or
 * never prove it. The signature only proves that the source's sequencer signed it. Delivery is best effort:
 * at most once per link, a bounded backlog, no acknowledgement; a peer that was away longer than the backlog
 * misses certificates and must rely on the coordinator for them.
 */
import WebSocket, { WebSocketServer, RawData } from "ws";
import type { Logger } from "../coordinator/log";
import { Certificate, SignedCertificate, SigningDomain, certificateId } from "../lib/certificate";
import { certificateFromJson, certificateToJson } from "../lib/codec";
import { HeaderVerifier } from "../lib/header-verifier";

/** Peers never need to send anything; a small cap stops a peer from making the source buffer large frames. */
const SERVER_MAX_PAYLOAD = 4 * 1024;
/** A certificate at ENCODING_LIMITS can be several MB of JSON; anything larger than this is not one we want. */
const LINK_MAX_PAYLOAD = 8 * 1024 * 1024;
const BACKLOG_SIZE = 64;
/** A peer this far behind is dropped rather than letting its queue grow; it reconnects and gets the backlog. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 5000;
/** Enough to absorb a full backlog replay on every reconnect without remembering every id forever. */
const REMEMBERED_IDS = 4096;

// ------------------------------------------------------------------------------------------------ source side

export interface PeerServerOptions {
  /** Default 127.0.0.1: exposing the feed beyond the host is a deployment decision, not a default. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
}

export class PeerServer {
  private wss: WebSocketServer | null = null;
  /** Serialized once at publication, so a replay costs no re-encoding. */
  private readonly backlog: string[] = [];

  constructor(private readonly opts: PeerServerOptions) {}

  /** Resolves with the bound port. */
  start(): Promise<number> {
    if (this.wss) return Promise.reject(new Error("peer server already started"));
    const wss = new WebSocketServer({ host: this.opts.host ?? "127.0.0.1", port: this.opts.port, maxPayload: SERVER_MAX_PAYLOAD, perMessageDeflate: false });
    this.wss = wss;
    wss.on("connection", (ws, req) => this.onConnection(ws, req.socket.remoteAddress));
    return new Promise((resolve, reject) => {
      wss.once("error", (e) => {
        this.wss = null;
        reject(e);
      });
      wss.once("listening", () => {
        wss.removeAllListeners("error");
        wss.on("error", (e) => this.opts.log.warn("peer server error", { error: e }));
        const port = (wss.address() as { port: number }).port;
        this.opts.log.info("peer server listening", { port });
        resolve(port);
      });
    });
  }

  publish(signed: SignedCertificate): void {
    const msg = JSON.stringify({ type: "certificate", certificate: certificateToJson(signed) });
    this.backlog.push(msg);
    if (this.backlog.length > BACKLOG_SIZE) this.backlog.shift();
    for (const ws of this.wss?.clients ?? []) this.send(ws, msg);
  }

  /** Terminates every peer socket and the listener. */
  close(): Promise<void> {
    const wss = this.wss;
    this.wss = null;
    if (!wss) return Promise.resolve();
    for (const ws of wss.clients) ws.terminate();
    return new Promise((resolve) => wss.close(() => resolve()));
  }

  private onConnection(ws: WebSocket, from: string | undefined): void {
    this.opts.log.info("peer connected", { from, backlog: this.backlog.length });
    // Peers have nothing to say; an 'error' listener is still required or an oversized frame would crash us.
    ws.on("error", (e) => this.opts.log.debug("peer socket error", { from, error: e }));
    ws.on("close", () => this.opts.log.info("peer disconnected", { from }));
    for (const msg of this.backlog) this.send(ws, msg);
  }

  private send(ws: WebSocket, msg: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.opts.log.warn("peer too slow; dropping it", { buffered: ws.bufferedAmount });
      ws.terminate();
      return;
    }
    ws.send(msg);
  }
}

// ------------------------------------------------------------------------------------------------ receiving side

export interface PeerLinkOptions {
  peers: { networkId: number; url: string }[];
  verify: (c: SignedCertificate) => boolean;
  onCertificate: (c: SignedCertificate, certificateId: bigint) => void;
  log: Logger;
}

interface PeerConnection {
  readonly networkId: number;
  readonly url: string;
  ws: WebSocket | null;
  timer: NodeJS.Timeout | null;
  backoffMs: number;
}

export class PeerLink {
  private readonly conns: PeerConnection[];
  private readonly delivered = new Set<bigint>();
  private started = false;
  private closed = false;

  constructor(private readonly opts: PeerLinkOptions) {
    this.conns = opts.peers.map((p) => ({ networkId: p.networkId, url: p.url, ws: null, timer: null, backoffMs: BACKOFF_MIN_MS }));
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const c of this.conns) this.connect(c);
  }

  /** Stops for good: terminates sockets at once (no closing handshake to wait for) and cancels reconnections. */
  close(): void {
    this.closed = true;
    for (const c of this.conns) {
      if (c.timer) clearTimeout(c.timer);
      c.timer = null;
      c.ws?.terminate();
      c.ws = null;
    }
  }

  private connect(c: PeerConnection): void {
    c.timer = null;
    if (this.closed) return;
    const ws = new WebSocket(c.url, { maxPayload: LINK_MAX_PAYLOAD, perMessageDeflate: false });
    c.ws = ws;
    ws.on("open", () => {
      c.backoffMs = BACKOFF_MIN_MS;
      this.opts.log.info("peer link open", { peer: c.networkId, url: c.url });
    });
    ws.on("message", (data) => this.onMessage(c, data));
    ws.on("error", (e) => this.opts.log.debug("peer link error", { peer: c.networkId, url: c.url, error: e }));
    ws.on("close", () => this.scheduleReconnect(c, ws));
  }

  private scheduleReconnect(c: PeerConnection, ws: WebSocket): void {
    // A socket replaced or closed by close() must not resurrect the connection.
    if (this.closed || c.ws !== ws) return;
    c.ws = null;
    this.opts.log.debug("peer link closed; reconnecting", { peer: c.networkId, inMs: c.backoffMs });
    c.timer = setTimeout(() => this.connect(c), c.backoffMs);
    c.timer.unref();
    c.backoffMs = Math.min(c.backoffMs * 2, BACKOFF_MAX_MS);
  }

  private onMessage(c: PeerConnection, data: RawData): void {
    const signed = this.decode(c, data);
    if (!signed) return;
    const id = idOf(signed);
    // Every reconnection replays the source's backlog: duplicates are the normal case, not an attack.
    if (this.delivered.has(id)) return;
    // Checked before remembering the id, so a forged copy cannot shadow the genuine certificate.
    if (!this.verifies(signed)) {
      this.opts.log.warn("peer certificate refused: bad signature", { peer: c.networkId, height: signed.height });
      return;
    }
    this.remember(id);
    try {
      this.opts.onCertificate(signed, id);
    } catch (e) {
      // Runs inside a socket event: a throw here would take the whole process down.
      this.opts.log.error("peer certificate handler failed", { peer: c.networkId, error: e });
    }
  }

  /** The signed certificate the message carries, if it is well formed and from the peer's own network. */
  private decode(c: PeerConnection, data: RawData): SignedCertificate | null {
    let signed: Certificate | SignedCertificate;
    try {
      const msg = JSON.parse(rawToString(data)) as { type?: unknown; certificate?: unknown } | null;
      if (msg?.type !== "certificate") throw new Error("not a certificate message");
      signed = certificateFromJson(msg.certificate);
    } catch (e) {
      this.opts.log.warn("peer message dropped: malformed", { peer: c.networkId, error: e });
      return null;
    }
    if (!("signature" in signed)) {
      this.opts.log.warn("peer message dropped: unsigned certificate", { peer: c.networkId });
      return null;
    }
    // A peer may only speak for itself; relaying a third chain's certificate is not what the peer is trusted for.
    if (signed.networkId !== c.networkId) {
      this.opts.log.warn("peer message dropped: foreign network", { peer: c.networkId, claimed: signed.networkId });
      return null;
    }
    return signed;
  }

  private verifies(signed: SignedCertificate): boolean {
    try {
      return this.opts.verify(signed);
    } catch (e) {
      this.opts.log.warn("peer certificate verifier threw", { error: e });
      return false;
    }
  }

  private remember(id: bigint): void {
    this.delivered.add(id);
    // A Set iterates in insertion order, so the first entry is the oldest.
    if (this.delivered.size > REMEMBERED_IDS) this.delivered.delete(this.delivered.values().next().value as bigint);
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString("utf8");
}

// ------------------------------------------------------------------------------------------------ verification

/** The link and the verifier both need the id; Poseidon is not free, so compute it once per decoded object. */
const ids = new WeakMap<Certificate, bigint>();
function idOf(c: Certificate): bigint {
  let id = ids.get(c);
  if (id === undefined) {
    id = certificateId(c);
    ids.set(c, id);
  }
  return id;
}

/**
 * Accepts a certificate whose EIP-712 header is signed by the registered sequencer of its network. It proves
 * authorship only, not validity: see the header comment.
 */
export function sequencerVerifier(domain: SigningDomain, sequencers: Map<number, string>): (c: SignedCertificate) => boolean {
  const verifier = new HeaderVerifier(domain);
  return (c) => {
    const expected = sequencers.get(c.networkId);
    if (!expected) return false;
    let id: bigint;
    try {
      id = idOf(c);
    } catch {
      return false;
    }
    const signer = verifier.recover({ networkId: c.networkId, height: c.height, revision: c.revision, certificateId: id, signature: c.signature });
    return signer !== null && signer.toLowerCase() === expected.toLowerCase();
  };
}
