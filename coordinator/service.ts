/**
 * Assembles and runs a coordinator: store, L1 client and view, prover pool (the backup prover), node, settlement
 * manager (epochs), L1 sync, RPC server and the loops that drive them. Start-up order matters and is the recovery
 * procedure:
 *   0. check the settings nothing runs without (preflight.ts): store.path, the L1 endpoint, l1.hub, l1.bridge;
 *   1. open the store and load every certificate into the graph;
 *   2. rebuild the L1 view (registry, mirror of L1's settlement state) from the stored L1 events;
 *   3. read L1 from the stored cursor on (reconcile: settlements that landed while down finalize now);
 *   4. resume the epoch in flight (sign and broadcast a built one / re-broadcast / follow its receipt);
 *   5. open the API.
 * Shutdown (stop(), SIGINT/SIGTERM in main.ts) is the reverse: stop intake, stop the loops, close the prover pool
 * (a backup proof in flight is made again after a restart), close the store.
 */
import { createLogger, Logger } from "./log";
import { CoordinatorConfig, layerParamsOf, redactedConfig } from "./config";
import { checkL1Contracts, openStore, prepareStorePath, probeL1 } from "./preflight";
import { L1Client } from "./l1/client";
import { L1View } from "./l1/view";
import { L1Sync } from "./l1/sync";
import { EquivocationReporter } from "./l1/reporter";
import { ProverPool } from "../zk/prover/pool";
import { CoordinatorNode, NodeDeps } from "./node";
import type { Store } from "./store/store";
import type { LayerParams } from "../lib/params";
import type { HistoryArchive } from "../lib/network-records";
import { layerSignerOf } from "./licences";
import { BatchManager } from "./batches";
import { startRpcServer, RpcServer } from "./rpc/server";
import { Metrics } from "./metrics";
import { enableFastPoseidon } from "../lib/poseidon";

export interface Coordinator {
  node: CoordinatorNode;
  /** The settlement manager: epochs, one settleBatch each. */
  epochs: BatchManager;
  sync: L1Sync;
  rpc: RpcServer;
  metrics: Metrics;
  config: CoordinatorConfig;
  stop(): Promise<void>;
  /** Resolves when stop() finished. */
  stopped: Promise<void>;
}

/** The L1 mirror's released history entries, read back from the store (the Finalized certificates by height). */
function historyArchiveOf(store: Store): HistoryArchive {
  return (networkId, from, to) => store.finalizedHistory(networkId, BigInt(from), BigInt(to)).map((e) => ({ certificateId: e.certificateId, exitRoot: e.exitRoot }));
}

/** Runs `fn` every `ms` until the signal aborts; one run at a time (the next waits for the previous). */
function loop(name: string, ms: number, fn: () => Promise<unknown>, signal: AbortSignal, log: Logger): Promise<void> {
  return (async () => {
    while (!signal.aborted) {
      try {
        await fn();
      } catch (e) {
        if (!signal.aborted) log.warn(`${name} loop error`, { error: e as Error });
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => (clearTimeout(t), resolve());
        const t = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  })();
}

/** Checks the settings nothing runs without; a bad one is a ConfigError naming it. Returns the L1 client. */
async function preflight(config: CoordinatorConfig, signal: AbortSignal | undefined): Promise<L1Client> {
  prepareStorePath(config.store.path);
  const chainId = await probeL1(config.l1.rpcUrl, config.l1.requestTimeoutMs, signal);
  const l1 = new L1Client({ rpcUrl: config.l1.rpcUrl, hub: config.l1.hub, bridge: config.l1.bridge, settlerKey: config.l1.settlerKey, chainId, timeoutMs: config.l1.requestTimeoutMs });
  try {
    await checkL1Contracts(l1, config, chainId);
    signal?.throwIfAborted();
  } catch (e) {
    l1.destroy();
    throw e;
  }
  return l1;
}

export interface StartOptions {
  log?: Logger;
  /** Aborts the start-up (main.ts wires it to SIGINT/SIGTERM); a coordinator that already started is stopped with stop(). */
  signal?: AbortSignal;
  /**
   * Test seams, which production never passes: another L1 client (an in-memory hub: scripts/lib/loopback-l1.ts;
   * the L1 start-up checks are then skipped), another prover pool, another certificate-proof verifier. The soak
   * (scripts/soak-coordinator.ts) and the memory test use them.
   */
  l1?: L1Client;
  pool?: ProverPool;
  verifyProof?: NodeDeps["verifyProof"];
  /** Tree parameters other than the configured set's (the soak's trees are just deep enough for its certificates). */
  params?: LayerParams;
}

export async function startCoordinator(config: CoordinatorConfig, o: StartOptions = {}): Promise<Coordinator> {
  const log = o.log ?? createLogger({ level: config.log.level });
  log.info("starting", { config: redactedConfig(config) });
  const l1 = o.l1 ?? (await preflight(config, o.signal));
  await enableFastPoseidon();
  let store: ReturnType<typeof openStore>;
  try {
    if (o.l1) prepareStorePath(config.store.path);
    store = openStore(config.store.path);
  } catch (e) {
    if (!o.l1) l1.destroy();
    throw e;
  }
  const view = new L1View(o.params ?? layerParamsOf(config), historyArchiveOf(store));
  const pool = o.pool ?? new ProverPool({ workers: config.proving.workers, log: log.child("prover"), jobTimeoutMs: config.proving.jobTimeoutMs });
  const metrics = new Metrics({ defaultMetrics: true });
  const layer = await layerSignerOf(config, l1);
  const node = new CoordinatorNode({ config, store, l1, view, pool, log, layer, verifyProof: o.verifyProof, metrics });
  const sync = new L1Sync(node, l1, view, config.l1.confirmations, config.l1.startBlock);
  const epochs = new BatchManager(node, l1, view, config);
  node.epochTrigger = () => epochs.step(true);
  sync.onEpochSettled = (e, txHash) => epochs.landed(e, txHash);

  await node.load();
  await sync.replayStored();
  await node.confirmLoaded();
  const head = await sync.poll();
  node.l1Status = { connected: true, block: head, lagBlocks: 0 };
  node.state = "running";
  await epochs.step(false);
  const ws = config.rpc.ws;
  const rpc = await startRpcServer(node, {
    host: config.rpc.host, port: config.rpc.port, maxBodyBytes: config.rpc.maxBodyBytes, rateLimit: config.rpc.rateLimit, admin: config.rpc.admin, log: log.child("rpc"), metrics,
    ws: {
      maxConnections: ws.maxConnections, maxConnectionsPerAddress: ws.maxConnectionsPerAddress, maxSubscriptions: ws.maxSubscriptionsPerConnection,
      maxSubscriptionsPerAddress: ws.maxSubscriptionsPerAddress, maxBufferedBytes: ws.maxBufferedBytes, pingIntervalMs: ws.pingIntervalMs,
    },
  });
  log.info("running", { rpc: rpc.url, ws: rpc.wsUrl, l1Block: head, certificates: store.countCertificates() });

  const abort = new AbortController();
  const loops = [
    loop("lifecycle", config.lifecycle.tickMs, () => node.tick(), abort.signal, log),
    loop("l1", config.l1.pollMs, async () => {
      try {
        const h = await sync.poll();
        node.l1Status = { connected: true, block: h, lagBlocks: Math.max(0, h - sync.cursor().block) };
        metrics.l1BlockLag.set(node.l1Status.lagBlocks ?? 0);
      } catch (e) {
        node.l1Status = { ...node.l1Status, connected: false };
        throw e;
      }
    }, abort.signal, log),
    loop("epochs-follow", config.l1.pollMs, () => epochs.step(false), abort.signal, log),
  ];
  const reporter = new EquivocationReporter(node, l1, config);
  if (reporter.enabled) loops.push(loop("equivocation-reports", config.l1.pollMs, () => reporter.step(), abort.signal, log));
  if (config.epochs.enabled && config.epochs.intervalMs > 0) loops.push(loop("epochs", config.epochs.intervalMs, () => epochs.step(true), abort.signal, log));

  let stopping: Promise<void> | null = null;
  let markStopped!: () => void;
  const stopped = new Promise<void>((r) => (markStopped = r));
  const stop = () => {
    stopping ??= (async () => {
      log.info("stopping: intake closed");
      rpc.stopIntake();
      node.state = "stopping";
      abort.abort();
      await pool.close();
      await Promise.all(loops);
      await Promise.allSettled(node.backupInFlight);
      await rpc.close();
      await store.close();
      l1.destroy();
      node.state = "stopped";
      log.info("stopped");
      markStopped();
    })();
    return stopping;
  };
  return { node, epochs, sync, rpc, metrics, config, stop, stopped };
}
