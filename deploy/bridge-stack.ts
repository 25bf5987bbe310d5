/**
 * Deploys one network's bridge stack: PoseidonT3, PoseidonT5 (linked libraries), ExitRootOracle, UnifiedBridge,
 * in this fixed order from one deployer. Run from the same deployer's first transactions on every network, it
 * gives the bridge (and so every wrapped token) the same address everywhere.
 */
import { ContractFactory, Signer } from "ethers";
import type { UnifiedBridge, ExitRootOracle } from "../typechain-types";
import { UnifiedBridge__factory, ExitRootOracle__factory } from "../typechain-types";
import PoseidonT3Artifact from "../artifacts/poseidon-solidity/PoseidonT3.sol/PoseidonT3.json";
import PoseidonT5Artifact from "../artifacts/poseidon-solidity/PoseidonT5.sol/PoseidonT5.json";

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
  poseidonT5: string;
}

export async function deployPoseidonLibraries(deployer: Signer): Promise<{ poseidonT3: string; poseidonT5: string }> {
  const t3 = await new ContractFactory(PoseidonT3Artifact.abi, PoseidonT3Artifact.bytecode, deployer).deploy();
  const t5 = await new ContractFactory(PoseidonT5Artifact.abi, PoseidonT5Artifact.bytecode, deployer).deploy();
  return { poseidonT3: await t3.getAddress(), poseidonT5: await t5.getAddress() };
}

export function bridgeFactory(deployer: Signer, libs: { poseidonT3: string; poseidonT5: string }): UnifiedBridge__factory {
  return new UnifiedBridge__factory(
    { "poseidon-solidity/PoseidonT3.sol:PoseidonT3": libs.poseidonT3, "poseidon-solidity/PoseidonT5.sol:PoseidonT5": libs.poseidonT5 },
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
