/**
 * The coordinator's one typed configuration, validated at start. Sources, later wins: defaults, a JSON file
 * (--config <file> or COORDINATOR_CONFIG), environment variables (COORDINATOR_* below). The L1 key is read from
 * the environment or the file and never logged (redactedConfig).
 */
import * as fs from "fs";
import { z } from "zod";
import { DEVNET_PARAMS, LayerParams, PRODUCTION_LAYER_PARAMS } from "../lib/params";
import { getInstance } from "../zk/registry";
import { CertificateShape, shapeOf } from "../lib/witness/certificate";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x-hex address");
const ms = (d: number) => z.number().int().min(1).max(7 * 24 * 3600 * 1000).default(d);

export const ConfigSchema = z
  .object({
    rpc: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(7700),
        maxBodyBytes: z.number().int().min(1024).default(1 << 20),
        rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().positive() }).default({ perSecond: 5000, burst: 10000 }),
        admin: z.boolean().default(false),
        /** WebSocket limits (docs/api.md, Limits). */
        ws: z
          .object({
            maxConnections: z.number().int().min(1).max(1_000_000).default(1000),
            maxConnectionsPerAddress: z.number().int().min(1).max(1_000_000).default(32),
            maxSubscriptionsPerConnection: z.number().int().min(1).max(10_000).default(32),
            maxSubscriptionsPerAddress: z.number().int().min(1).max(10_000_000).default(256),
            /** Queued and unsent notification bytes per connection; past it the connection is dropped. */
            maxBufferedBytes: z.number().int().min(64 * 1024).max(1 << 30).default(4 * 1024 * 1024),
            /** 0 disables the ping. */
            pingIntervalMs: z.number().int().min(0).max(3_600_000).default(30_000),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    store: z.object({ path: z.string().min(1).default("data/coordinator.sqlite") }).strict().default({}),
    l1: z
      .object({
        rpcUrl: z.string().url(),
        hub: address,
        bridge: address,
        /** Hex private key of the account that sends settlements and equivocation reports. */
        settlerKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte 0x-hex private key").optional(),
        /** Hex private key that signs rejections (licences for a rebuild's revision); default: the settler key. Must be the hub's layerSigner. */
        layerKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte 0x-hex private key").optional(),
        confirmations: z.number().int().min(1).max(64).default(1),
        pollMs: ms(500),
        /** Block to start reading the hub's events from (its deployment block). */
        startBlock: z.number().int().min(0).default(0),
        /** Every L1 request, the start-up checks' included, fails after this long without an answer. */
        requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        reportEquivocations: z.boolean().default(true),
      })
      .strict(),
    /** Tree parameters of the layer: "devnet" (the set-up test instances) or "production". */
    params: z.enum(["devnet", "production"]).default("devnet"),
    circuits: z
      .object({
        /** The certificate circuit: its shape bounds certificates; the hub's batch verifier must take its proofs. */
        certificate: z.string().default("certificate_test"),
      })
      .strict()
      .default({}),
    proving: z
      .object({
        workers: z.number().int().min(1).max(64).default(1),
        jobTimeoutMs: ms(10 * 60_000),
        backup: z
          .object({
            enabled: z.boolean().default(true),
            /** Share of the proof timeout after which the coordinator proves a certificate itself. */
            share: z.number().min(0).max(1).default(0.5),
            /** Networks the backup prover never proves for. */
            disabledNetworks: z.array(z.number().int().min(1)).default([]),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    lifecycle: z
      .object({
        proofTimeoutMs: ms(120_000),
        bundleTimeoutMs: ms(60_000),
        tickMs: ms(250),
      })
      .strict()
      .default({}),
    /** An epoch is one settleBatch transaction of up to batchSize certificates (coordinator/batches.ts). */
    epochs: z
      .object({
        /** 0: only the admin trigger builds epochs. */
        intervalMs: z.number().int().min(0).default(10_000),
        enabled: z.boolean().default(true),
        /** Certificates per epoch (S, the batch size). */
        batchSize: z.number().int().min(1).max(64).default(16),
      })
      .strict()
      .default({}),
    log: z.object({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).strict().default({}),
  })
  .strict();

export type CoordinatorConfig = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(detail: string) {
    super(`invalid coordinator configuration: ${detail}`);
    this.name = "ConfigError";
  }
}

/** Environment variables and the config path they set. */
const ENV: Record<string, [string[], (v: string) => unknown]> = {
  COORDINATOR_RPC_HOST: [["rpc", "host"], String],
  COORDINATOR_RPC_PORT: [["rpc", "port"], Number],
  COORDINATOR_ADMIN: [["rpc", "admin"], (v) => v === "1" || v === "true"],
  COORDINATOR_STORE: [["store", "path"], String],
  COORDINATOR_L1_RPC_URL: [["l1", "rpcUrl"], String],
  COORDINATOR_L1_HUB: [["l1", "hub"], String],
  COORDINATOR_L1_BRIDGE: [["l1", "bridge"], String],
  COORDINATOR_L1_KEY: [["l1", "settlerKey"], String],
  COORDINATOR_LAYER_KEY: [["l1", "layerKey"], String],
  COORDINATOR_L1_CONFIRMATIONS: [["l1", "confirmations"], Number],
  COORDINATOR_L1_TIMEOUT_MS: [["l1", "requestTimeoutMs"], Number],
  COORDINATOR_EPOCH_INTERVAL_MS: [["epochs", "intervalMs"], Number],
  COORDINATOR_BATCH_SIZE: [["epochs", "batchSize"], Number],
  COORDINATOR_PROOF_TIMEOUT_MS: [["lifecycle", "proofTimeoutMs"], Number],
  COORDINATOR_LOG_LEVEL: [["log", "level"], String],
};

function setPath(o: Record<string, unknown>, p: string[], v: unknown): void {
  let cur = o;
  for (const k of p.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
  cur[p[p.length - 1]] = v;
}

export function parseConfig(input: unknown): CoordinatorConfig {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  getInstance(r.data.circuits.certificate);
  return r.data;
}

/** Defaults < file < environment. */
export function loadConfig(o: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput | Record<string, unknown> } = {}): CoordinatorConfig {
  const env = o.env ?? process.env;
  const file = o.file ?? env.COORDINATOR_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`);
    }
  }
  raw = { ...raw, ...(o.overrides as Record<string, unknown> | undefined) };
  for (const [name, [p, conv]] of Object.entries(ENV)) if (env[name] !== undefined) setPath(raw, p, conv(env[name]!));
  return parseConfig(raw);
}

/** The config as logged: no key, and the L1 URL without what may carry credentials (user info, path, query). */
export function redactedConfig(c: CoordinatorConfig): unknown {
  return {
    ...c,
    l1: {
      ...c.l1,
      rpcUrl: redactedUrl(c.l1.rpcUrl),
      settlerKey: c.l1.settlerKey ? "[redacted]" : undefined,
      layerKey: c.l1.layerKey ? "[redacted]" : undefined,
    },
  };
}

/** scheme://host:port, and "/…" when there was more: provider URLs often carry an API key in the path. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    const more = (u.pathname && u.pathname !== "/") || u.search || u.username ? "/…" : "";
    return `${u.protocol}//${u.host}${more}`;
  } catch {
    return "[unparseable URL]";
  }
}

export function layerParamsOf(c: CoordinatorConfig): LayerParams {
  return c.params === "devnet" ? DEVNET_PARAMS : PRODUCTION_LAYER_PARAMS;
}

/** Per-certificate limits of the configured certificate circuit (checked at pre-confirmation). */
export function certificateShapeOf(c: CoordinatorConfig): CertificateShape {
  return shapeOf(getInstance(c.circuits.certificate).params as unknown as CertificateShape);
}
