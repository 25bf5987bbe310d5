/**
 * Independent in-process EVM chains for multi-network tests: each is its own Hardhat (EDR) network with its own
 * chain id and state, and the same funded accounts. A bridge deployed by the same deployer account as its first
 * transactions lands at the same address on every chain, as in production.
 */
import hre from "hardhat";
import { createProvider } from "hardhat/internal/core/providers/construction";
import { HardhatEthersProvider } from "@nomicfoundation/hardhat-ethers/internal/hardhat-ethers-provider";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

export interface TestChain {
  chainId: number;
  provider: HardhatEthersProvider;
  signers: HardhatEthersSigner[];
}

export async function newChain(chainId: number): Promise<TestChain> {
  const base = hre.config.networks.hardhat;
  const config = { ...hre.config, networks: { ...hre.config.networks, hardhat: { ...base, chainId } } };
  const eip1193 = await createProvider(config, "hardhat", hre.artifacts);
  const provider = new HardhatEthersProvider(eip1193, `chain-${chainId}`);
  const accounts = (await eip1193.request({ method: "eth_accounts" })) as string[];
  const signers = await Promise.all(accounts.map((a) => provider.getSigner(a)));
  return { chainId, provider, signers };
}
