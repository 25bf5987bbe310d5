/**
 * Deploys one network's bridge stack: PoseidonT3, PoseidonT6 (linked libraries), ExitRootOracle, UnifiedBridge,
 * in this fixed order from one deployer. Run from the same deployer's first transactions on every network, it
 * gives the bridge (and so every wrapped token) the same address everywhere.
 */
import { ContractFactory, Signer } from "ethers";
import type { UnifiedBridge, ExitRootOracle } from "../typechain-types";
import { UnifiedBridge__factory, ExitRootOracle__factory } from "../typechain-types";
import PoseidonT3Artifact from "../artifacts/poseidon-solidity/PoseidonT3.sol/PoseidonT3.json";
import PoseidonT6Artifact from "../artifacts/poseidon-solidity/PoseidonT6.sol/PoseidonT6.json";

export interface BridgeStackOptions {
  networkId: number;
  exitTreeDepth: number;
  /** DEFAULT_ADMIN_ROLE of the oracle. */
  admin: string;
  /** First POSTER_ROLE holder of the oracle (the sequencer). */
  poster: string;
}

export interface BridgeStack {
  networkId: number;
  bridge: UnifiedBridge;
  oracle: ExitRootOracle;
  poseidonT3: string;
  poseidonT6: string;
}

export async function deployPoseidonLibraries(deployer: Signer): Promise<{ poseidonT3: string; poseidonT6: string }> {
  const t3 = await new ContractFactory(PoseidonT3Artifact.abi, PoseidonT3Artifact.bytecode, deployer).deploy();
  const t6 = await new ContractFactory(PoseidonT6Artifact.abi, PoseidonT6Artifact.bytecode, deployer).deploy();
  return { poseidonT3: await t3.getAddress(), poseidonT6: await t6.getAddress() };
}

export function bridgeFactory(deployer: Signer, libs: { poseidonT3: string; poseidonT6: string }): UnifiedBridge__factory {
  return new UnifiedBridge__factory(
    { "poseidon-solidity/PoseidonT3.sol:PoseidonT3": libs.poseidonT3, "poseidon-solidity/PoseidonT6.sol:PoseidonT6": libs.poseidonT6 },
    deployer,
  );
}

export async function deployBridgeStack(deployer: Signer, o: BridgeStackOptions): Promise<BridgeStack> {
  const libs = await deployPoseidonLibraries(deployer);
  const oracle = await new ExitRootOracle__factory(deployer).deploy(o.networkId, o.admin, o.poster);
  await oracle.waitForDeployment();
  const bridge = await bridgeFactory(deployer, libs).deploy(o.networkId, o.exitTreeDepth, await oracle.getAddress());
  await bridge.waitForDeployment();
  return { networkId: o.networkId, bridge, oracle, ...libs };
}
