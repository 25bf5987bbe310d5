/**
 * The chain client's one typed configuration (file + CHAIN_* environment), validated at start. Keys are read
 * from the file or the environment and never logged.
 */
import * as fs from "fs";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x-hex address");
const key = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte 0x-hex private key");

export const POLICIES = ["optOut", "confirmed", "preConfirmed", "peerToPeer"] as const;
/** The status a root taken from a peer's feed is relayed at: signed by the source, not yet seen by the layer. */
export const PEER_SIGNED = "PeerSigned";
export type PolicyMode = (typeof POLICIES)[number];

export const ChainConfigSchema = z
  .object({
    networkId: z.number().int().min(1),
    /** The client's durable state (chain/state-file.ts); default data/chain-<networkId>.json. */
    stateFile: z.string().min(1).optional(),
    l2: z.object({ rpcUrl: z.string().url(), bridge: address, oracle: address, sequencerKey: key }).strict(),
    l1: z.object({ rpcUrl: z.string().url(), hub: address, bridge: address }).strict(),
    coordinator: z.object({ url: z.string().url(), wsUrl: z.string().url() }).strict(),
    policy: z
      .object({
        /** Which states of other chains this chain accepts (relays into its oracle): PROTOCOL §8. */
        mode: z.enum(POLICIES).default("confirmed"),
        allow: z.array(z.number().int().min(0)).optional(),
        deny: z.array(z.number().int().min(0)).default([]),
        /** Most distinct chains one certificate may depend on. */
        maxChainsPerCertificate: z.number().int().min(1).default(4),
        /** peerToPeer: the source chains' peer feeds (chain/peer.ts), each checked against its L1-registered sequencer. */
        peers: z.array(z.object({ networkId: z.number().int().min(1), url: z.string().url() }).strict()).default([]),
        /**
         * peerToPeer: how long a certificate that imports from a peer's certificate the layer has not received yet
         * is held back before the chain gives up on that root and rebuilds without it.
         */
        peerWaitMs: z.number().int().min(0).default(60_000),
      })
      .strict()
      .refine((p) => p.mode !== "peerToPeer" || p.peers.length > 0, { message: "the peerToPeer policy needs at least one peer", path: ["peers"] })
      .default({}),
    /** Prometheus metrics (chain/metrics.ts) served at GET /metrics on host:port; absent: not served. Port 0 picks one. */
    metrics: z.object({ host: z.string().min(1).default("127.0.0.1"), port: z.number().int().min(0).max(65535) }).strict().optional(),
    /** This chain's own peer feed: its certificates pushed, as they are signed, to chains that take them peer-to-peer. */
    peerFeed: z.object({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535) }).strict().optional(),
    batch: z
      .object({
        intervalMs: z.number().int().min(10).default(250),
        /**
         * While the prover is behind (a certificate of this chain waits behind the one being proven here), new events
         * wait (until a proof is done, or until they fill a certificate) instead of going out in a certificate of
         * their own: under load, fewer and fuller certificates, hence fewer proofs, for about one proof time of extra
         * pre-confirmation latency; no wait while the prover keeps up.
         */
        holdWhileProving: z.boolean().default(true),
      })
      .strict()
      .default({}),
    proving: z
      .object({
        /** true: prove own certificates; false: leave them to the coordinator's backup prover (or to nobody). */
        self: z.boolean().default(true),
        workers: z.number().int().min(1).default(1),
      })
      .strict()
      .default({}),
    /** The certificate circuit instance (devnet default). */
    circuits: z.object({ certificate: z.string().default("certificate_test") }).strict().default({}),
    log: z.object({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).strict().default({}),
  })
  .strict();

export type ChainConfig = z.infer<typeof ChainConfigSchema>;
export type ChainConfigInput = z.input<typeof ChainConfigSchema>;

export class ChainConfigError extends Error {
  constructor(detail: string) {
    super(`invalid chain client configuration: ${detail}`);
    this.name = "ChainConfigError";
  }
}

export function parseChainConfig(input: unknown): ChainConfig {
  const r = ChainConfigSchema.safeParse(input);
  if (!r.success) throw new ChainConfigError(r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  return r.data;
}

export function loadChainConfig(file?: string, env: NodeJS.ProcessEnv = process.env): ChainConfig {
  const path = file ?? env.CHAIN_CONFIG;
  let raw: Record<string, unknown> = {};
  if (path) {
    try {
      raw = JSON.parse(fs.readFileSync(path, "utf8"));
    } catch (e) {
      throw new ChainConfigError(`cannot read ${path}: ${(e as Error).message}`);
    }
  }
  if (env.CHAIN_SEQUENCER_KEY) raw = { ...raw, l2: { ...(raw.l2 as object), sequencerKey: env.CHAIN_SEQUENCER_KEY } };
  return parseChainConfig(raw);
}

/** Whether a state of `source` at `status` may be relayed under the policy. */
export function accepts(policy: ChainConfig["policy"], source: number, status: string): boolean {
  if (policy.deny.includes(source)) return false;
  if (policy.allow && !policy.allow.includes(source)) return false;
  if (policy.mode === "optOut") return status === "Finalized";
  if (status === PEER_SIGNED) return policy.mode === "peerToPeer" && policy.peers.some((p) => p.networkId === source);
  if (policy.mode === "confirmed") return ["Confirmed", "InEpoch", "Settling", "Finalized"].includes(status);
  return ["PreConfirmed", "Proven", "Confirmed", "InEpoch", "Settling", "Finalized"].includes(status);
}
