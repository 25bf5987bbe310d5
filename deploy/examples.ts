/**
 * Deploys the example dApps of the devnet's cross-chain scenarios (contracts/examples/) on one network, and links
 * their instances on several networks as peers.
 *
 * - CrossChainCounter: `ping(destNetwork, counterOnDest, value)` on one network counts on another.
 * - BridgeAndCall: `bridgeAndDeposit(token, amount, destNetwork, vaultOnDest, receiver)` bridges an ERC20 and
 *   deposits it into an ERC-4626 vault on the destination in one user transaction (two claims there: asset, then
 *   message).
 * - Vault: a minimal ERC-4626 vault for one asset (deployVault; the asset may be a wrapped token not deployed yet,
 *   see BridgeAndCall.tokenOn / UnifiedBridge.wrappedTokenAddress).
 *
 * Both dApps accept messages only from their owner-set peer on the origin network, so every instance must be told
 * the others' addresses (linkExamplePeers / setExamplePeers) before it can send or receive. Nothing assumes the
 * instances have the same address on every network.
 */
import { Signer } from "ethers";
import { CrossChainCounter__factory, BridgeAndCall__factory, Vault__factory, UnifiedBridge__factory } from "../typechain-types";
import type { CrossChainCounter, BridgeAndCall, Vault } from "../typechain-types";

export interface Examples {
  /** The network the instances live on (read from the bridge). */
  networkId: number;
  counter: CrossChainCounter;
  bridgeAndCall: BridgeAndCall;
}

/** Where a network's example instances are (enough to make them peers of instances elsewhere). */
export interface ExampleAddresses {
  networkId: number;
  counter: string;
  bridgeAndCall: string;
}

export interface DeployExamplesOptions {
  /** Owner of both contracts (sets peers); default: the deployer. Peers can only be set by this account. */
  owner?: string;
}

/** Deploys CrossChainCounter then BridgeAndCall (in this order) bound to the bridge at `bridgeAddress`. */
export async function deployExamples(signer: Signer, bridgeAddress: string, options: DeployExamplesOptions = {}): Promise<Examples> {
  const owner = options.owner ?? (await signer.getAddress());
  const networkId = Number(await UnifiedBridge__factory.connect(bridgeAddress, signer).networkId());
  const counter = await new CrossChainCounter__factory(signer).deploy(bridgeAddress, owner);
  await counter.waitForDeployment();
  const bridgeAndCall = await new BridgeAndCall__factory(signer).deploy(bridgeAddress, owner);
  await bridgeAndCall.waitForDeployment();
  return { networkId, counter, bridgeAndCall };
}

/** Deploys a Vault (ERC-4626) for `asset`. */
export async function deployVault(signer: Signer, asset: string, name = "Example vault share", symbol = "xVLT"): Promise<Vault> {
  const vault = await new Vault__factory(signer).deploy(asset, name, symbol);
  await vault.waitForDeployment();
  return vault;
}

export async function exampleAddresses(e: Examples): Promise<ExampleAddresses> {
  return { networkId: e.networkId, counter: await e.counter.getAddress(), bridgeAndCall: await e.bridgeAndCall.getAddress() };
}

/**
 * Makes `remotes` the peers of `local`'s instances (one transaction per peer that changes; idempotent).
 * `local`'s contracts must be connected to their owner.
 */
export async function setExamplePeers(local: Examples, remotes: ExampleAddresses[]): Promise<void> {
  for (const r of remotes) {
    if (r.networkId === local.networkId) continue;
    if ((await local.counter.peer(r.networkId)) !== r.counter) {
      await (await local.counter.setPeer(r.networkId, r.counter)).wait();
    }
    if ((await local.bridgeAndCall.peer(r.networkId)) !== r.bridgeAndCall) {
      await (await local.bridgeAndCall.setPeer(r.networkId, r.bridgeAndCall)).wait();
    }
  }
}

/** Makes every instance in `all` (one per network, each connected to its owner on its own chain) a peer of every other. */
export async function linkExamplePeers(all: Examples[]): Promise<void> {
  const addresses = await Promise.all(all.map(exampleAddresses));
  for (const e of all) await setExamplePeers(e, addresses);
}
