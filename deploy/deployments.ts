/**
 * Deployments files: one JSON file per network (`<dir>/<name>.json`) recording where the layer's contracts live,
 * and a step runner that makes a deployment script idempotent and resumable.
 *
 * The runner matters for more than convenience: the devnet relies on account 0's nonces to give every network's
 * bridge the same address (deploy/bridge-stack.ts). A redeploy after an interruption must neither repeat a step
 * that already landed (it would shift every later address) nor lose one whose transaction was sent but not yet
 * recorded. So each step is recorded the moment it completes, and the address a deployment is about to get is
 * written down (as `pending`) before its transaction is sent.
 *
 * This module must not import compiled contracts (typechain-types): hardhat.config.ts imports it for the devnet
 * network table, and the config has to load before anything is compiled.
 */
import * as fs from "fs";
import * as path from "path";
import { BaseContract, Provider, Signer, getAddress, getCreateAddress } from "ethers";

export interface Deployments {
  /** The file's name without `.json`; by convention the Hardhat network name (devnetL1, devnetA, ...). */
  name: string;
  chainId: number;
  /** The layer's network id (0 = L1). */
  networkId: number;
  rpcUrl: string;
  /** Block before the first deployment of this set: where event readers (coordinator, mirrors) start. */
  startBlock: number;
  contracts: Record<string, string>;
  /** A deployment whose transaction may have been sent but was not yet recorded (see the header). */
  pending?: { step: string; address: string };
}

export const DEFAULT_DEPLOYMENTS_DIR = path.resolve(__dirname, "..", "deployments");

export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";

export interface DevnetNetwork {
  /** Hardhat network name and deployments file name. */
  name: string;
  networkId: number;
  chainId: number;
  rpcUrl: string;
  /** Mnemonic account index of the sequencer (and oracle poster); none on L1. */
  sequencerAccount?: number;
}

/**
 * The local devnet's fixed topology (docs/protocol.md; PROTOCOL.md §11). `DEVNET_<L1|A|B|C>_RPC` override a URL,
 * so that tests and parallel devnets can run the same tasks against nodes on other ports.
 */
export const DEVNET_NETWORKS: readonly DevnetNetwork[] = Object.freeze([
  { name: "devnetL1", networkId: 0, chainId: 31337, rpcUrl: process.env.DEVNET_L1_RPC ?? "http://127.0.0.1:8545" },
  { name: "devnetA", networkId: 1, chainId: 1001, rpcUrl: process.env.DEVNET_A_RPC ?? "http://127.0.0.1:8546", sequencerAccount: 11 },
  { name: "devnetB", networkId: 2, chainId: 1002, rpcUrl: process.env.DEVNET_B_RPC ?? "http://127.0.0.1:8547", sequencerAccount: 12 },
  { name: "devnetC", networkId: 3, chainId: 1003, rpcUrl: process.env.DEVNET_C_RPC ?? "http://127.0.0.1:8548", sequencerAccount: 13 },
]);
export const DEVNET_DEPLOYER_ACCOUNT = 0;
/** The coordinator's settler account, also the layer's rejection-signing key (the hub's layerSigner). */
export const DEVNET_COORDINATOR_ACCOUNT = 1;
/** Deploys the hub's batch verifier (deploy/settlement-stack.ts: any account but the deployer, whose nonces fix the bridge's address). */
export const DEVNET_VERIFIER_DEPLOYER_ACCOUNT = 9;
/** The devnet hub's timelock delay: seconds, so that the demo's admin steps stay quick (production: days). */
export const DEVNET_TIMELOCK_DELAY_S = 2;
export const DEVNET_SETTLER_ACCOUNT = 1;
export const DEVNET_COORDINATOR_URL = "http://127.0.0.1:7700";

export class DeploymentsNotFoundError extends Error {
  readonly code = "DEPLOYMENTS_NOT_FOUND";
  constructor(readonly file: string) {
    super(`no deployments file ${file} (deploy first: npx hardhat devnet:deploy-l1 / devnet:deploy-l2)`);
    this.name = "DeploymentsNotFoundError";
  }
}

export class MissingContractError extends Error {
  readonly code = "MISSING_CONTRACT";
  constructor(readonly deployments: string, readonly contract: string) {
    super(`deployments ${deployments} record no contract "${contract}"`);
    this.name = "MissingContractError";
  }
}

export function deploymentsPath(name: string, dir: string = DEFAULT_DEPLOYMENTS_DIR): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".")) throw new Error(`invalid deployments name ${JSON.stringify(name)}`);
  return path.join(dir, `${name}.json`);
}

/** The deployments file `name`, or null if there is none. */
export function tryReadDeployments(name: string, dir?: string): Deployments | null {
  const file = deploymentsPath(name, dir);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const d = JSON.parse(text) as Deployments;
  if (typeof d.chainId !== "number" || typeof d.networkId !== "number" || typeof d.contracts !== "object" || d.contracts === null) {
    throw new Error(`${file} is not a deployments file`);
  }
  return d;
}

export function readDeployments(name: string, dir?: string): Deployments {
  const d = tryReadDeployments(name, dir);
  if (!d) throw new DeploymentsNotFoundError(deploymentsPath(name, dir));
  return d;
}

/** Address of `contract` in `d`; throws MissingContractError if it was never recorded. */
export function contractAddress(d: Deployments, contract: string): string {
  const a = d.contracts[contract];
  if (!a) throw new MissingContractError(d.name, contract);
  return a;
}

/** Writes atomically (temp file + rename): a crash mid-write must not leave a truncated file that loses every step. */
export function writeDeployments(d: Deployments, dir: string = DEFAULT_DEPLOYMENTS_DIR): string {
  const file = deploymentsPath(d.name, dir);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(d, null, 2) + "\n");
  fs.renameSync(tmp, file);
  return file;
}

export interface DeploymentRunnerOptions {
  name: string;
  networkId: number;
  rpcUrl: string;
  dir?: string;
}

type Deployed = BaseContract | string;

/**
 * Runs deployment steps against one chain, reusing what the deployments file records when it is still there.
 * A recorded address counts only if the file's chain id is the chain's and the address has code: a restarted
 * Hardhat node keeps its chain id but loses its state, and the same deployer's nonce-derived addresses coincide
 * across chains, so neither check alone tells a live deployment from a stale record.
 */
export class DeploymentRunner {
  /** Steps that sent a transaction in this run (deployments and `ensure` actions); empty when all was in place. */
  readonly executed: string[] = [];
  /** Steps whose recorded contract was reused. */
  readonly reused: string[] = [];

  private constructor(
    readonly signer: Signer,
    readonly provider: Provider,
    readonly dir: string,
    readonly deployments: Deployments,
  ) {}

  static async open(signer: Signer, o: DeploymentRunnerOptions): Promise<DeploymentRunner> {
    const provider = signer.provider;
    if (!provider) throw new Error("the deployer signer has no provider");
    const dir = o.dir ?? DEFAULT_DEPLOYMENTS_DIR;
    const chainId = Number((await provider.getNetwork()).chainId);
    const old = tryReadDeployments(o.name, dir);
    const keep = old && old.chainId === chainId && old.networkId === o.networkId;
    const deployments: Deployments = keep
      ? { ...old, rpcUrl: o.rpcUrl, contracts: { ...old.contracts } }
      : { name: o.name, chainId, networkId: o.networkId, rpcUrl: o.rpcUrl, startBlock: await provider.getBlockNumber(), contracts: {} };
    return new DeploymentRunner(signer, provider, dir, deployments);
  }

  get contracts(): Readonly<Record<string, string>> {
    return this.deployments.contracts;
  }

  /**
   * The contract of step `name`: the recorded one if it is live, otherwise whatever `deploy` deploys (a contract or
   * its address), recorded before this returns.
   */
  async step(name: string, deploy: () => Promise<Deployed>): Promise<string> {
    const d = this.deployments;
    const candidates = [d.contracts[name], d.pending?.step === name ? d.pending.address : undefined];
    let recorded: string | undefined;
    for (const c of candidates) if (c && !recorded && (await this.hasCode(c))) recorded = c;
    if (recorded) {
      if (d.contracts[name] !== recorded || d.pending?.step === name) {
        d.contracts[name] = recorded;
        if (d.pending?.step === name) delete d.pending;
        this.save();
      }
      this.reused.push(name);
      return recorded;
    }
    if (this.reused.length === 0 && this.executed.length === 0) {
      // Nothing of the old record survived: this is a fresh deployment, and readers must start from here.
      d.startBlock = await this.provider.getBlockNumber();
    }
    const from = await this.signer.getAddress();
    d.pending = { step: name, address: getCreateAddress({ from, nonce: await this.provider.getTransactionCount(from, "pending") }) };
    this.save();
    const result = await deploy();
    let address: string;
    if (typeof result === "string") {
      address = getAddress(result);
    } else {
      await result.waitForDeployment();
      address = getAddress(await result.getAddress());
    }
    d.contracts[name] = address;
    delete d.pending;
    this.save();
    this.executed.push(name);
    return address;
  }

  /** Runs a non-deployment transaction step unless `isDone` says the chain already reflects it. */
  async ensure(name: string, isDone: () => Promise<boolean>, act: () => Promise<unknown>): Promise<boolean> {
    if (await isDone()) return false;
    await act();
    if (!(await isDone())) throw new Error(`step ${name} ran but the chain does not reflect it`);
    this.executed.push(name);
    return true;
  }

  save(): string {
    return writeDeployments(this.deployments, this.dir);
  }

  private async hasCode(address: string): Promise<boolean> {
    return (await this.provider.getCode(address)) !== "0x";
  }
}
