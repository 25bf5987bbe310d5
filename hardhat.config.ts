import { HardhatUserConfig, subtask, task } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";

// Hardhat cannot download compilers on these machines: use the WASM build shipped in the npm package "solc".
const SOLC_VERSION: string = require("solc/package.json").version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  if (args.solcVersion !== SOLC_VERSION) {
    throw new Error(`solc ${args.solcVersion} requested, but only ${SOLC_VERSION} (npm "solc") is available offline`);
  }
  const solc = require("solc");
  return { version: SOLC_VERSION, longVersion: solc.version(), compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true };
});

// poseidon-solidity's hand-written assembly is cheaper without the optimizer (measured: ~21.9k vs ~33.8k gas per T3 hash).
// (PoseidonT5, used for exit leaves: 55.6k gas unoptimized; PoseidonT6 would be 24.8 kB unoptimized, over the
// contract size limit, and 232k gas per hash once optimized for size: hence the 4-input leaf, docs/protocol.md §3.)
const unoptimized = { version: SOLC_VERSION, settings: { optimizer: { enabled: false }, evmVersion: "cancun" } };

/** Runs the coordinator (coordinator/main.ts) in this process; same configuration as `npm run coordinator`. */
task("coordinator", "Runs the aggregation layer's coordinator node")
  .addOptionalParam("configFile", "JSON config file (see docs/coordinator.md); COORDINATOR_* environment variables override it")
  .setAction(async (args: { configFile?: string }) => {
    // Loaded lazily: the coordinator needs compiled contracts (typechain) that this config file must not require.
    const { main } = await import("./coordinator/main");
    await main(args.configFile ? ["--config", args.configFile] : []);
    await new Promise(() => undefined); // keep the task alive; SIGINT/SIGTERM stop it
  });

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" } }],
    overrides: {
      "poseidon-solidity/PoseidonT3.sol": unoptimized,
      "poseidon-solidity/PoseidonT5.sol": unoptimized,
    },
  },
  networks: {
    hardhat: { chainId: Number(process.env.HARDHAT_CHAIN_ID ?? 31337) },
  },
  mocha: { timeout: 600_000 },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "1" },
};

export default config;
