/**
 * Start-up checks of the settings the coordinator cannot run without, made before anything else is opened. A
 * wrong value is a ConfigError that names the setting (coordinator/main.ts exits with code 2), within seconds:
 * not a bare SQLite or EEXIST error, not a start-up that hangs on an L1 endpoint that never answers, and not a
 * healthy-looking node that refuses every submission because it reads another contract's registry.
 */
import * as fs from "fs";
import * as path from "path";
import { ZeroAddress } from "ethers";
import { ConfigError, CoordinatorConfig, layerParamsOf, redactedUrl } from "./config";
import type { L1Client } from "./l1/client";
import { openSqliteStore, SqliteStore } from "./store/sqlite";

// ------------------------------------------------------------------------------------------------ store.path

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? "error";

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** The nearest existing ancestor of `dir` (or dir itself) when it is not a directory: nothing can be created under it. */
function blockingFile(dir: string): string | null {
  let p = dir;
  let st = statOrNull(p);
  while (!st && path.dirname(p) !== p) {
    p = path.dirname(p);
    st = statOrNull(p);
  }
  return st && !st.isDirectory() ? p : null;
}

/**
 * Makes sure `store.path` can hold the SQLite store: it is not a directory, its directory exists (created if
 * need be) and is writable (SQLite creates the -wal and -shm files next to the store), and an existing store is
 * readable and writable. Returns the absolute path (":memory:" as is).
 */
export function prepareStorePath(storePath: string): string {
  if (storePath === ":memory:") return storePath;
  const file = path.resolve(storePath);
  const st = statOrNull(file);
  if (st?.isDirectory()) throw new ConfigError(`store.path: ${file} is a directory; store.path names the SQLite file (for example ${path.join(file, "coordinator.sqlite")})`);
  if (st && !st.isFile()) throw new ConfigError(`store.path: ${file} is not a regular file`);
  const dir = path.dirname(file);
  const blocker = blockingFile(dir);
  if (blocker) throw new ConfigError(`store.path: cannot create the directory ${dir}: ${blocker} is a file, not a directory`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError(`store.path: cannot create the directory ${dir} (${errnoOf(e)})`);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw new ConfigError(`store.path: the directory ${dir} is not writable (${errnoOf(e)}); SQLite creates the store and its -wal and -shm files there`);
  }
  if (st) {
    try {
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
    } catch (e) {
      throw new ConfigError(`store.path: ${file} is not readable and writable (${errnoOf(e)})`);
    }
  }
  return file;
}

/** SQLite's answers that mean "this file cannot be the store", as opposed to a fault of the coordinator. */
const UNUSABLE_FILE = /^SQLITE_(CANTOPEN|NOTADB|READONLY|PERM|AUTH|CORRUPT)/;

/** Opens the store; a file SQLite cannot use is a ConfigError naming store.path. */
export function openStore(storePath: string): SqliteStore {
  try {
    return openSqliteStore(storePath);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNUSABLE_FILE.test(code)) {
      throw new ConfigError(`store.path: ${storePath} cannot be opened as the coordinator's store: ${(e as Error).message} (${code})`);
    }
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------ l1.rpcUrl

function timeoutSignal(ms: number, outer?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return outer ? AbortSignal.any([t, outer]) : t;
}

const isAbort = (e: unknown, name: string) => (e as { name?: string })?.name === name;

/** Why a fetch failed, in the words of its cause (ECONNREFUSED, ENOTFOUND, ...). */
function fetchFailure(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code === "ECONNREFUSED") return "refused the connection";
  if (cause?.code === "ENOTFOUND" || cause?.code === "EAI_AGAIN") return "names a host that does not resolve";
  return `could not be reached (${cause?.code ?? cause?.message ?? (e as Error)?.message ?? "error"})`;
}

/**
 * Asks the endpoint for its chain id with a deadline, and returns it. Plain fetch rather than ethers: ethers
 * retries its network detection forever, one request of up to five minutes at a time.
 */
export async function probeL1(rpcUrl: string, timeoutMs: number, signal?: AbortSignal): Promise<bigint> {
  const where = `l1.rpcUrl: ${redactedUrl(rpcUrl)}`;
  const deadline = timeoutSignal(timeoutMs, signal);
  let text: string;
  let status: number;
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: deadline,
    });
    status = res.status;
    text = await res.text();
  } catch (e) {
    if (signal?.aborted) throw signal.reason ?? e;
    if (isAbort(e, "TimeoutError") || isAbort(e, "AbortError")) {
      throw new ConfigError(`${where} did not answer eth_chainId within ${timeoutMs} ms (l1.requestTimeoutMs)`);
    }
    throw new ConfigError(`${where} ${fetchFailure(e)}`);
  }
  if (status !== 200) throw new ConfigError(`${where} answered eth_chainId with HTTP ${status}`);
  let result: unknown;
  try {
    result = (JSON.parse(text) as { result?: unknown }).result;
  } catch {
    result = undefined;
  }
  if (typeof result !== "string" || !/^0x[0-9a-fA-F]{1,16}$/.test(result)) {
    throw new ConfigError(`${where} is not an Ethereum JSON-RPC endpoint (eth_chainId answered ${JSON.stringify(text.slice(0, 120))})`);
  }
  return BigInt(result);
}

// ------------------------------------------------------------------------------------------------ l1.hub, l1.bridge

const isTimeout = (e: unknown) => (e as { code?: string })?.code === "TIMEOUT";
const shortError = (e: unknown) => ((e as { shortMessage?: string })?.shortMessage ?? (e as Error)?.message ?? String(e)).slice(0, 160);

/** Runs an L1 read; a timeout names l1.rpcUrl, any other failure is `onError`'s ConfigError. */
async function read<T>(what: () => Promise<T>, config: CoordinatorConfig, onError: (e: unknown) => ConfigError): Promise<T> {
  try {
    return await what();
  } catch (e) {
    if (isTimeout(e)) throw new ConfigError(`l1.rpcUrl: ${redactedUrl(config.l1.rpcUrl)} did not answer within ${config.l1.requestTimeoutMs} ms (l1.requestTimeoutMs)`);
    throw onError(e);
  }
}

/**
 * l1.hub is a SettlementHub with the configured params' tree depth, and l1.bridge is the L1 bridge bound to it.
 * A wrong hub would otherwise start a node whose registry is empty: every submission UNKNOWN_NETWORK.
 */
export async function checkL1Contracts(l1: L1Client, config: CoordinatorConfig, chainId: bigint): Promise<void> {
  const { hub, bridge } = config.l1;
  const on = `on L1 (chain ${chainId})`;
  const hubCode = await read(() => l1.provider.getCode(hub), config, (e) => new ConfigError(`l1.hub: cannot read the code at ${hub}: ${shortError(e)}`));
  if (hubCode === "0x") throw new ConfigError(`l1.hub: there is no contract at ${hub} ${on}; l1.hub must be the SettlementHub's address`);
  const notAHub = (call: string) => (e: unknown) => new ConfigError(`l1.hub: the contract at ${hub} ${on} is not a SettlementHub; ${call} failed: ${shortError(e)}`);
  const bits = Number(await read(() => l1.hub.networkBits(), config, notAHub("networkBits()")));
  const bound = await read(() => l1.hub.l1Bridge(), config, notAHub("l1Bridge()"));
  const wanted = layerParamsOf(config).networkBits;
  if (bits !== wanted) throw new ConfigError(`l1.hub: the SettlementHub at ${hub} has ${bits} network bits, params "${config.params}" has ${wanted}: the hub and params belong to different deployments`);
  if (bound !== ZeroAddress) {
    if (bound.toLowerCase() !== bridge.toLowerCase()) throw new ConfigError(`l1.bridge: ${bridge} is not the hub's L1 bridge; the SettlementHub at ${hub} is bound to ${bound}`);
    return;
  }
  // Not bound yet (the deployment is in progress): the bridge must at least be an L1 bridge serving this hub.
  const notABridge = (call: string) => (e: unknown) => new ConfigError(`l1.bridge: the contract at ${bridge} ${on} is not an L1 UnifiedBridge; ${call} failed: ${shortError(e)}`);
  const bridgeCode = await read(() => l1.provider.getCode(bridge), config, notABridge("eth_getCode"));
  if (bridgeCode === "0x") throw new ConfigError(`l1.bridge: there is no contract at ${bridge} ${on}`);
  const oracle = await read(() => l1.bridge.oracle(), config, notABridge("oracle()"));
  if (oracle.toLowerCase() !== hub.toLowerCase()) throw new ConfigError(`l1.bridge: the bridge at ${bridge} serves the hub ${oracle}, not l1.hub ${hub}`);
}
