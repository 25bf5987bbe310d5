/**
 * Certifies this chain's bridge activity: reads its L2's new exits and claims (chain/l2-position.ts), cuts them
 * into certificates that fit the certificate circuit (exits, imports, dependencies, chains per certificate, one
 * L1 checkpoint), builds them with the reference model at the licensed revision, signs, writes each ahead in the
 * state file, submits it and has it proven. A refusal because of a dependency hands over to the rebuilder.
 */
import { trackedToken } from "../lib/accounting";
import { tokenKey } from "../lib/token";
import type { Wallet } from "ethers";
import { buildCertificate, certificateFromJson, certificateToJson, signCertificate, CertificateRef, ImportedExit, ExitLeaf } from "../lib";
import type { SignedCertificate } from "../lib";
import type { CertificateShape } from "../lib/witness/certificate";
import type { Logger } from "../coordinator/log";
import type { ChainConfig } from "./config";
import { CoordinatorLink, RpcError } from "./coordinator-link";
import type { BridgeEvent, L2Follower } from "./l2-follower";
import type { L2Position } from "./l2-position";
import type { OwnCertificates } from "./own-certificates";
import type { Revisions } from "./revisions";
import type { SelfProver } from "./self-prover";
import type { ChainClientEvents } from "./client";
import type { ChainMetrics } from "./metrics";
import { eventCount, hex, refKey } from "./refs";

/** Refusals caused by a dependency of the certificate, not by the certificate itself: rebuild without it. */
const DEPENDENCY_REFUSALS = ["DEPENDENCY_REJECTED", "UNKNOWN_DEPENDENCY", "IMPORT_ROOT_MISMATCH"];

export interface CertifierParts {
  config: ChainConfig;
  log: Logger;
  link: CoordinatorLink;
  follower: L2Follower;
  sequencer: Wallet;
  shape: CertificateShape;
  own: OwnCertificates;
  position: L2Position;
  revisions: Revisions;
  prover: SelfProver;
  events: Pick<ChainClientEvents, "onSubmitted">;
  metrics: ChainMetrics;
  /** The hub's EIP-712 domain, known once the client started. */
  domain(): { chainId: bigint; verifyingContract: string };
  /** Hands a signed certificate to the peer feed, if there is one. */
  publish(c: SignedCertificate): void;
  persist(): void;
  stopped(): boolean;
  rebuilding(): boolean;
  rebuild(height: bigint, badSources: string[]): void;
}

export class Certifier {
  /** peerToPeer: when the written-ahead certificate was first refused for a dependency the layer does not know yet. */
  private unknownSince: number | null = null;

  constructor(private readonly p: CertifierParts) {}

  /** Reads new blocks, cuts certificates, submits them. */
  async certify(): Promise<void> {
    const { own, position } = this.p;
    await position.read();
    while ((own.submitting || position.pending.length > 0) && !this.p.stopped() && !this.p.rebuilding()) {
      if (!own.submitting && !(await this.p.revisions.flushAbandoned())) return;
      if (!own.submitting) {
        const chunk = this.cut();
        // Not a full certificate yet, and a certificate already waits behind the one being proven: the prover is
        // behind, so these events wait to go out together (config.batch). One proof in progress holds nothing, so
        // the fast path keeps its latency while the prover keeps up.
        if (chunk.length === position.pending.length && this.p.config.batch.holdWhileProving && this.p.prover.backlog >= 2) return;
        await this.prepare(chunk);
      }
      const n = eventCount(certificateFromJson(own.submitting!.certificate));
      if (!(await this.send())) return;
      position.consume(n);
      if (position.pending.length === 0 && (await position.snapshot(own.height - 1n))) this.p.persist();
    }
  }

  /** The longest prefix of pending events that fits one certificate. */
  private cut(): BridgeEvent[] {
    const s = this.p.shape;
    let exits = 0;
    let imports = 0;
    const deps = new Set<string>();
    const chains = new Set<number>();
    const tokens = new Set<bigint>();
    let l1Checkpoint: bigint | null = null;
    const out: BridgeEvent[] = [];
    for (const e of this.p.position.pending) {
      // The distinct tokens the balance tree tracks: one balance update each in the circuit (maxTokens).
      const token = trackedToken(this.p.config.networkId, e.kind === "exit" ? e.exit.leaf : e.import.leaf);
      const key = token ? tokenKey(token) : null;
      if (key !== null && !tokens.has(key) && tokens.size + 1 > s.maxTokens) break;
      if (e.kind === "exit") {
        if (exits + 1 > s.maxExits) break;
        exits++;
      } else {
        const src = e.import.source;
        if (imports + 1 > s.maxImports) break;
        if (src.networkId === 0) {
          if (l1Checkpoint !== null && l1Checkpoint !== src.height) break;
          l1Checkpoint = src.height;
        } else {
          const k = refKey(src);
          const newDeps = deps.has(k) ? deps.size : deps.size + 1;
          const newChains = chains.has(src.networkId) ? chains.size : chains.size + 1;
          if (newDeps > s.maxDependencies || newChains > this.p.config.policy.maxChainsPerCertificate) break;
          deps.add(k);
          chains.add(src.networkId);
        }
        imports++;
      }
      if (key !== null) tokens.add(key);
      out.push(e);
    }
    if (out.length === 0) throw new Error("a single bridge event does not fit the certificate circuit");
    return out;
  }

  /** Builds and signs the next certificate and writes it ahead (state file) before anything is sent. */
  private async prepare(chunk: BridgeEvent[]): Promise<void> {
    const { own } = this.p;
    const lastBlock = chunk[chunk.length - 1].block;
    const imports: ImportedExit[] = chunk.flatMap((e) => (e.kind === "import" ? [e.import] : []));
    const exits: ExitLeaf[] = chunk.flatMap((e) => (e.kind === "exit" ? [e.exit.leaf] : []));
    const block = await this.p.follower.block(lastBlock);
    const revision = this.p.revisions.at(own.height);
    const built = buildCertificate(own.state, { height: own.height, ...(revision ? { revision } : {}), newStateRoot: block.stateRoot, imports, exits });
    const signed = await signCertificate(this.p.sequencer, this.p.domain(), built.certificate);
    own.writeAhead({ certificate: certificateToJson(signed), toBlock: lastBlock, toBlockHash: block.hash, status: "PreConfirmed" });
    this.p.persist();
    this.p.publish(signed);
  }

  /**
   * Sends the written-ahead certificate. True once the coordinator holds it (accepted now, or already: a
   * DUPLICATE answer to the same bytes). When the coordinator cannot be reached it stays written ahead and the
   * same bytes go out again next cycle — never a different certificate for a height that may already be taken.
   */
  private async send(): Promise<boolean> {
    const { own, log } = this.p;
    const sc = own.submitting!;
    const height = own.height;
    try {
      this.p.metrics.certificatesSubmitted.inc();
      await this.p.link.call("submitCertificate", { certificate: sc.certificate });
    } catch (e) {
      if (!(e instanceof RpcError)) {
        log.warn("coordinator unreachable; the same certificate goes out again next cycle", { height, error: e as Error });
        return false;
      }
      if (e.reason === "UNKNOWN_DEPENDENCY" && this.awaitingPeer()) return false;
      if (e.reason !== "DUPLICATE_CERTIFICATE") {
        this.unknownSince = null;
        this.p.metrics.refused(e.reason);
        // Signed, refused: before this height is signed again the layer must record it as abandoned.
        this.p.revisions.abandon(sc.certificate);
        own.refuse();
        this.p.persist();
        const c = certificateFromJson(sc.certificate);
        if (DEPENDENCY_REFUSALS.includes(e.reason)) {
          const bad = await this.badSources(c.importedExits.filter((m) => m.source.networkId !== 0).map((m) => m.source), e.reason);
          log.warn("certificate refused because of a dependency: rebuilding", { height, reason: e.reason, sources: bad });
          this.p.rebuild(height, bad);
        } else log.warn("certificate refused; its events are certified again next cycle", { height, reason: e.reason, error: e as Error });
        return false;
      }
    }
    const accepted = own.accept();
    this.p.metrics.certificatesAccepted.inc();
    this.unknownSince = null;
    this.p.persist();
    const c = accepted.built.certificate;
    log.info("certificate submitted", { height: c.height, certificateId: hex(accepted.built.certificateId), exits: c.bridgeExits.length, imports: c.importedExits.length });
    this.p.events.onSubmitted?.(accepted.built);
    if (this.p.prover.enabled) void this.p.prover.prove(accepted.built, accepted.prev);
    return true;
  }

  /**
   * peerToPeer: a certificate importing from a peer's certificate that has not reached the layer yet is held (and
   * sent again each cycle) for up to policy.peerWaitMs — the source normally submits within moments.
   */
  private awaitingPeer(): boolean {
    const { config, log, own } = this.p;
    if (config.policy.mode !== "peerToPeer") return false;
    this.unknownSince ??= Date.now();
    if (Date.now() - this.unknownSince < config.policy.peerWaitMs) {
      log.debug("a peer's certificate has not reached the layer yet; holding this one", { height: own.height });
      return true;
    }
    log.warn("a peer's certificate never reached the layer: giving up on its root", { height: own.height, waitedMs: Date.now() - this.unknownSince });
    return false;
  }

  /** The sources to rebuild without: for an unknown dependency, those the coordinator does not know; else all. */
  private async badSources(sources: CertificateRef[], reason: string): Promise<string[]> {
    if (reason !== "UNKNOWN_DEPENDENCY") return sources.map(refKey);
    const unknown: string[] = [];
    for (const src of sources) {
      const known = await this.p.link.call("getCertificate", { certificateId: hex(src.certificateId) }).then(() => true, (e) => !(e instanceof RpcError && e.reason === "UNKNOWN_CERTIFICATE"));
      if (!known) unknown.push(refKey(src));
    }
    return unknown.length ? unknown : sources.map(refKey);
  }
}
