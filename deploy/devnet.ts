/**
 * Idempotent, resumable devnet deployments: the L1 layer (as deploy/l1-layer.ts) and an L2's bridge stack (as
 * deploy/bridge-stack.ts), each step through the DeploymentRunner (deploy/deployments.ts), plus chain
 * registration that may be repeated.
 *
 * The steps are the originals' transactions in the originals' order, not calls to them: the originals deploy
 * everything in one go, so a rerun would redeploy, and a resumed run would shift the deployer's nonces and so
 * the bridge address every network shares (nonce 3: the 4th transaction of account 0, on L1 and on every L2).
 */
import { ContractFactory, Signer, parseEther, getAddress, ZeroAddress, ContractRunner } from "ethers";
import { hubBatchParameters } from "./settlement-stack";
import { CertificateTestBatchVerifier__factory, ExitRootOracle__factory, SettlementHub__factory, UnifiedBridge__factory, LayerTimelock__factory } from "../typechain-types";
import type { ExitRootOracle, SettlementHub, UnifiedBridge } from "../typechain-types";
import PoseidonT3Artifact from "../artifacts/poseidon-solidity/PoseidonT3.sol/PoseidonT3.json";
import PoseidonT5Artifact from "../artifacts/poseidon-solidity/PoseidonT5.sol/PoseidonT5.json";
import { bridgeFactory } from "./bridge-stack";
import { DEVNET_PARAMS, LayerParams } from "../lib/params";
import { DEVNET_NETWORKS, DEVNET_TIMELOCK_DELAY_S, Deployments, DeploymentRunner, contractAddress } from "./deployments";
import { HubAdmin } from "./governance";

export interface DevnetDeployOptions {
  /** The RPC URL recorded in the deployments file (the signer's provider is what is actually used). */
  rpcUrl: string;
  /** Deployments file name; default: the devnet's name for the network id (devnetL1, devnetA, ...). */
  name?: string;
  /** Deployments directory; default <repo>/deployments. */
  dir?: string;
}

export interface L1DevnetOptions extends DevnetDeployOptions {
  /** Default DEVNET_PARAMS (the set-up instance the devnet's circuits use). */
  params?: LayerParams;
  /** The coordinator's rejection-signing key (its settler account). */
  layerSigner: string;
  /** Seconds of the hub's timelock (default DEVNET_TIMELOCK_DELAY_S). */
  timelockDelay?: number;
  /** The account that deploys the batch verifier (not `signer`: deploy/settlement-stack.ts). */
  verifierDeployer: Signer;
}

export interface DevnetDeployResult {
  deployments: Deployments;
  /** Steps that sent a transaction in this run; empty when everything was already in place. */
  executed: string[];
  /** Deployment steps whose recorded contract was reused. */
  reused: string[];
}

export interface L1DevnetResult extends DevnetDeployResult {
  hub: SettlementHub;
  bridge: UnifiedBridge;
}

export interface L2DevnetOptions extends DevnetDeployOptions {
  networkId: number;
  /** First POSTER_ROLE holder of the oracle (the chain's sequencer). */
  poster: string;
  /** DEFAULT_ADMIN_ROLE of the oracle; default the deployer. */
  admin?: string;
  /** Default DEVNET_PARAMS.exitDepth; must equal the certificate circuit's. */
  exitTreeDepth?: number;
}

export interface L2DevnetResult extends DevnetDeployResult {
  bridge: UnifiedBridge;
  oracle: ExitRootOracle;
}

export function devnetName(networkId: number): string {
  return DEVNET_NETWORKS.find((n) => n.networkId === networkId)?.name ?? `network${networkId}`;
}

async function deployPoseidon(runner: DeploymentRunner, signer: Signer): Promise<{ poseidonT3: string; poseidonT5: string }> {
  const poseidonT3 = await runner.step("poseidonT3", () => new ContractFactory(PoseidonT3Artifact.abi, PoseidonT3Artifact.bytecode, signer).deploy());
  const poseidonT5 = await runner.step("poseidonT5", () => new ContractFactory(PoseidonT5Artifact.abi, PoseidonT5Artifact.bytecode, signer).deploy());
  return { poseidonT3, poseidonT5 };
}

/**
 * Same transactions, in the same order, as deployL1Layer (so the same addresses), then a LayerTimelock (the
 * deployer as proposer and executor) takes over the hub: from then on every privileged call waits for its delay
 * (deploy/governance.ts).
 */
export async function deployL1Devnet(signer: Signer, o: L1DevnetOptions): Promise<L1DevnetResult> {
  const params = o.params ?? DEVNET_PARAMS;
  const runner = await DeploymentRunner.open(signer, { name: o.name ?? devnetName(0), networkId: 0, rpcUrl: o.rpcUrl, dir: o.dir });
  const me = await signer.getAddress();
  const libs = await deployPoseidon(runner, signer);
  // The hub's batch verifier, deployed by a second account so that the deployer's transactions (and the L1 bridge's
  // address) stay those of the L2 bridge stacks.
  const batchVerifier = await runner.step("batchVerifier", () => new CertificateTestBatchVerifier__factory(o.verifierDeployer).deploy());
  const hubAddress = await runner.step("hub", () => new SettlementHub__factory(signer).deploy(me, params.networkBits, o.layerSigner, hubBatchParameters(batchVerifier, params)));
  const hub = SettlementHub__factory.connect(hubAddress, signer);
  const bridgeAddress = await runner.step("bridge", () => bridgeFactory(signer, libs).deploy(0, params.exitDepth, hubAddress));
  const bridge = UnifiedBridge__factory.connect(bridgeAddress, signer);

  await runner.ensure(
    "bindL1Bridge",
    async () => {
      const bound = await hub.l1Bridge();
      if (bound !== ZeroAddress && getAddress(bound) !== bridgeAddress) throw new Error(`hub ${hubAddress} is bound to another L1 bridge ${bound}`);
      return bound !== ZeroAddress;
    },
    async () => (await hub.bindL1Bridge(bridgeAddress)).wait(),
  );
  // Checkpoint 0 exists from the start (deploy/settlement-stack.ts).
  await runner.ensure("checkpoint0", async () => (await bridge.checkpointCount()) > 0n, async () => (await bridge.checkpointExitRoot()).wait());
  const timelockAddress = await runner.step("timelock", () => new LayerTimelock__factory(signer).deploy(o.timelockDelay ?? DEVNET_TIMELOCK_DELAY_S, [me], [me]));
  await runner.ensure(
    "handOverToTimelock",
    async () => getAddress(await hub.owner()) === timelockAddress,
    () => HubAdmin.handOver(hub, signer, LayerTimelock__factory.connect(timelockAddress, signer)),
  );
  return { deployments: runner.deployments, executed: runner.executed, reused: runner.reused, hub, bridge };
}

/** Same transactions, in the same order, as deployBridgeStack. */
export async function deployL2Devnet(signer: Signer, o: L2DevnetOptions): Promise<L2DevnetResult> {
  if (o.networkId === 0) throw new Error("network 0 is L1: use deployL1Devnet");
  const depth = o.exitTreeDepth ?? DEVNET_PARAMS.exitDepth;
  const runner = await DeploymentRunner.open(signer, { name: o.name ?? devnetName(o.networkId), networkId: o.networkId, rpcUrl: o.rpcUrl, dir: o.dir });
  const admin = o.admin ?? (await signer.getAddress());
  const libs = await deployPoseidon(runner, signer);
  const oracleAddress = await runner.step("oracle", () => new ExitRootOracle__factory(signer).deploy(o.networkId, admin, o.poster));
  const bridgeAddress = await runner.step("bridge", () => bridgeFactory(signer, libs).deploy(o.networkId, depth, oracleAddress));
  return {
    deployments: runner.deployments,
    executed: runner.executed,
    reused: runner.reused,
    bridge: UnifiedBridge__factory.connect(bridgeAddress, signer),
    oracle: ExitRootOracle__factory.connect(oracleAddress, signer),
  };
}

export interface ChainRegistrationRequest {
  networkId: number;
  sequencer: string;
  /** Bit 0: settles directly (opt-out). */
  policyFlags: number;
  /** Default "1". */
  stakeEth?: string;
}

export class RegistrationMismatchError extends Error {
  readonly code = "REGISTRATION_MISMATCH";
  constructor(readonly networkId: number, detail: string) {
    super(`network ${networkId} is already registered differently: ${detail}`);
    this.name = "RegistrationMismatchError";
  }
}

/**
 * Registers the chain unless the hub already has it; returns whether it registered now. An existing registration
 * with another sequencer or policy throws: silently keeping it would leave the devnet running with keys or a
 * policy other than the ones its configuration names.
 */
export async function registerChainIfNeeded(hub: SettlementHub, c: ChainRegistrationRequest): Promise<boolean> {
  return (await registerChainsIfNeeded(hub, [c]))[0];
}

/**
 * registerChainIfNeeded for several chains: the missing ones are registered by one privileged operation (through
 * the hub's timelock: one delay for all of them). Returns, per chain, whether it was registered now.
 */
export async function registerChainsIfNeeded(hub: SettlementHub, chains: readonly ChainRegistrationRequest[]): Promise<boolean[]> {
  const missing: ChainRegistrationRequest[] = [];
  for (const c of chains) {
    const info = await hub.networks(c.networkId);
    if (info.active || info.ejected) {
      if (getAddress(info.sequencer) !== getAddress(c.sequencer)) throw new RegistrationMismatchError(c.networkId, `sequencer ${info.sequencer}, not ${c.sequencer}`);
      if (Number(info.policyFlags) !== c.policyFlags) throw new RegistrationMismatchError(c.networkId, `policy flags ${info.policyFlags}, not ${c.policyFlags}`);
    } else missing.push(c);
  }
  const admin = await HubAdmin.of(hub, hub.runner as Signer);
  await admin.callAll(missing.map((c) => ({ method: "registerNetwork", args: [c.networkId, c.sequencer, c.policyFlags], value: parseEther(c.stakeEth ?? "1") })));
  return chains.map((c) => missing.includes(c));
}

/** The L1 contracts a deployments file records, connected to `runner`. */
export function l1Contracts(d: Deployments, runner: ContractRunner): { hub: SettlementHub; bridge: UnifiedBridge } {
  return { hub: SettlementHub__factory.connect(contractAddress(d, "hub"), runner), bridge: UnifiedBridge__factory.connect(contractAddress(d, "bridge"), runner) };
}

/** A network's bridge and the oracle its claims are proven against (the hub on L1), connected to `runner`. */
export function bridgeContracts(d: Deployments, runner: ContractRunner): { bridge: UnifiedBridge; oracle: ExitRootOracle | SettlementHub } {
  const bridge = UnifiedBridge__factory.connect(contractAddress(d, "bridge"), runner);
  const oracle = d.networkId === 0 ? SettlementHub__factory.connect(contractAddress(d, "hub"), runner) : ExitRootOracle__factory.connect(contractAddress(d, "oracle"), runner);
  return { bridge, oracle };
}
