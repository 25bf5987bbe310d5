import { HardhatUserConfig, subtask, task, types } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
// Typechain-free (only fs, path, ethers): safe to load before anything is compiled.
import {
  DEVNET_COORDINATOR_ACCOUNT, DEVNET_COORDINATOR_URL, DEVNET_DEPLOYER_ACCOUNT, DEVNET_VERIFIER_DEPLOYER_ACCOUNT, DEVNET_MNEMONIC, DEVNET_NETWORKS, contractAddress, readDeployments,
} from "./deploy/deployments";

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

// ------------------------------------------------------------------------------------------------ devnet tasks
// Every action imports its module lazily, like `coordinator` above. The deployments name of a network is its
// Hardhat network name (devnetL1, devnetA, ...), so `claim --from devnetA` finds what `devnet:deploy-l2` recorded.

type Hre = import("hardhat/types").HardhatRuntimeEnvironment;

/** The URL the current network's node answers on; the in-process "hardhat" network would forget every deployment. */
function nodeUrl(hre: Hre): string {
  const url = (hre.network.config as { url?: string }).url;
  if (!url) throw new Error(`network "${hre.network.name}" is in-process: pass --network devnetL1 / devnetA / devnetB / devnetC`);
  return url;
}

async function signerAt(hre: Hre, index: number) {
  const signers = await hre.ethers.getSigners();
  if (!signers[index]) throw new Error(`network "${hre.network.name}" has no account ${index}`);
  return signers[index];
}

/** Default sequencer (and oracle poster) account of a network id: 11/12/13 for networks 1/2/3. */
const sequencerAccount = (networkId: number) => DEVNET_NETWORKS.find((n) => n.networkId === networkId)?.sequencerAccount ?? 10 + networkId;

async function coordinatorCall(url: string, method: string, params: unknown): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  if (body.error) throw new Error(`${method}: ${body.error.message} (${body.error.code}) ${JSON.stringify(body.error.data ?? {})}`);
  return body.result;
}

const printJson = (x: unknown) => console.log(JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));

task("devnet:deploy-l1", "Deploys (or completes) the L1 layer: Poseidon libs, batch verifier, hub, L1 bridge, timelock")
  .addOptionalParam("deploymentsDir", "Directory of the deployments files (default <repo>/deployments)")
  .setAction(async (a: { deploymentsDir?: string }, hre) => {
    const { deployL1Devnet } = await import("./deploy/devnet");
    const layerSigner = (await signerAt(hre, DEVNET_COORDINATOR_ACCOUNT)).address;
    const r = await deployL1Devnet(await signerAt(hre, DEVNET_DEPLOYER_ACCOUNT), { name: hre.network.name, rpcUrl: nodeUrl(hre), dir: a.deploymentsDir, layerSigner, verifierDeployer: await signerAt(hre, DEVNET_VERIFIER_DEPLOYER_ACCOUNT) });
    console.log(r.executed.length ? `executed: ${r.executed.join(", ")}` : "nothing to do: every step is in place");
    printJson(r.deployments);
  });

task("devnet:deploy-l2", "Deploys (or completes) an L2's bridge stack: Poseidon libs, exit-root oracle, bridge")
  .addOptionalParam("networkId", "The layer's network id of this chain (default: the devnet's for --network)", undefined, types.int)
  .addOptionalParam("poster", "First oracle poster (default: the network's sequencer account, 10 + id)")
  .addOptionalParam("deploymentsDir", "Directory of the deployments files (default <repo>/deployments)")
  .setAction(async (a: { networkId?: number; poster?: string; deploymentsDir?: string }, hre) => {
    const { deployL2Devnet } = await import("./deploy/devnet");
    const networkId = a.networkId ?? DEVNET_NETWORKS.find((n) => n.name === hre.network.name)?.networkId;
    if (networkId === undefined) throw new Error("--network-id is required outside the devnet's networks");
    const poster = a.poster ?? (await signerAt(hre, sequencerAccount(networkId))).address;
    const r = await deployL2Devnet(await signerAt(hre, DEVNET_DEPLOYER_ACCOUNT), { networkId, poster, name: hre.network.name, rpcUrl: nodeUrl(hre), dir: a.deploymentsDir });
    console.log(r.executed.length ? `executed: ${r.executed.join(", ")}` : "nothing to do: every step is in place");
    printJson(r.deployments);
  });

task("devnet:register-chain", "Registers a chain on the L1 hub (no-op if it is registered)")
  .addParam("networkId", "Network id", undefined, types.int)
  .addOptionalParam("sequencer", "Sequencer address (default: account 10 + id)")
  .addOptionalParam("policy", "Policy flags (bit 0: opt-out, settles directly)", 0, types.int)
  .addOptionalParam("stake", "Stake in ETH", "1")
  .addOptionalParam("deploymentsDir", "Directory of the deployments files (default <repo>/deployments)")
  .setAction(async (a: { networkId: number; sequencer?: string; policy: number; stake: string; deploymentsDir?: string }, hre) => {
    const { registerChainIfNeeded, l1Contracts } = await import("./deploy/devnet");
    const { hub } = l1Contracts(readDeployments(hre.network.name, a.deploymentsDir), await signerAt(hre, DEVNET_DEPLOYER_ACCOUNT));
    const sequencer = a.sequencer ?? (await signerAt(hre, sequencerAccount(a.networkId))).address;
    const now = await registerChainIfNeeded(hub, { networkId: a.networkId, sequencer, policyFlags: a.policy, stakeEth: a.stake });
    console.log(now ? `registered network ${a.networkId} (sequencer ${sequencer}, policy ${a.policy})` : `network ${a.networkId} was already registered`);
  });

task("bridge", "Bridges an asset from the current network's bridge; prints the exit's leaf index")
  .addParam("toNetwork", "Destination network id", undefined, types.int)
  .addParam("to", "Destination address")
  .addParam("amount", "Amount in whole units of the token (decimals applied), e.g. 1.5")
  .addOptionalParam("token", "ERC20 token (default: the gas coin)")
  .addOptionalParam("account", "Sender's account index", 0, types.int)
  .addOptionalParam("deploymentsDir", "Directory of the deployments files (default <repo>/deployments)")
  .setAction(async (a: { toNetwork: number; to: string; amount: string; token?: string; account: number; deploymentsDir?: string }, hre) => {
    const { bridgeAsset, tokenDecimals } = await import("./chain/claims");
    const { bridgeContracts } = await import("./deploy/devnet");
    const signer = await signerAt(hre, a.account);
    const { bridge } = bridgeContracts(readDeployments(hre.network.name, a.deploymentsDir), signer);
    const amount = hre.ethers.parseUnits(a.amount, await tokenDecimals(signer, a.token));
    const r = await bridgeAsset(bridge, { toNetwork: a.toNetwork, to: a.to, amount, token: a.token });
    console.log(`leaf index ${r.leafIndex} (tx ${r.receipt.hash})`);
  });

task("claim", "Claims an exit of another network on the current network (against the latest oracle root containing it)")
  .addParam("from", "Deployments name of the source network (e.g. devnetL1, devnetA)")
  .addParam("leafIndex", "Leaf index of the exit in the source's exit tree", undefined, types.int)
  .addOptionalParam("account", "Claim sender's account index (anyone may claim)", 0, types.int)
  .addOptionalParam("deploymentsDir", "Directory of the deployments files (default <repo>/deployments)")
  .setAction(async (a: { from: string; leafIndex: number; account: number; deploymentsDir?: string }, hre) => {
    const { claimFromNetwork } = await import("./chain/claims");
    const { bridgeContracts } = await import("./deploy/devnet");
    const { JsonRpcProvider } = await import("ethers");
    const source = readDeployments(a.from, a.deploymentsDir);
    const here = readDeployments(hre.network.name, a.deploymentsDir);
    const provider = new JsonRpcProvider(source.rpcUrl, source.chainId, { staticNetwork: true });
    try {
      const { bridge, oracle } = bridgeContracts(here, await signerAt(hre, a.account));
      const rc = await claimFromNetwork({
        source: { provider, bridge: contractAddress(source, "bridge"), fromBlock: source.startBlock },
        dest: { bridge, oracle, fromBlock: here.startBlock },
        leafIndex: a.leafIndex,
      });
      console.log(`claimed exit ${a.leafIndex} of ${a.from} (tx ${rc.hash}, block ${rc.blockNumber})`);
    } finally {
      provider.destroy();
    }
  });

task("settle-epoch", "Asks the coordinator to build an epoch now (admin_triggerEpoch)")
  .addOptionalParam("coordinator", "Coordinator JSON-RPC URL", DEVNET_COORDINATOR_URL)
  .setAction(async (a: { coordinator: string }) => {
    const id = await coordinatorCall(a.coordinator, "admin_triggerEpoch", []);
    console.log(id === null ? "nothing ready to settle" : `epoch ${id} started`);
  });

task("status", "Shows a certificate, a network or an epoch (default: the latest epoch) from the coordinator")
  .addOptionalParam("certificate", "Certificate id (0x-hex)")
  .addOptionalParam("networkId", "Network id (--network is Hardhat's own option)", undefined, types.int)
  .addOptionalParam("epoch", "Epoch id", undefined, types.int)
  .addOptionalParam("coordinator", "Coordinator JSON-RPC URL", DEVNET_COORDINATOR_URL)
  .setAction(async (a: { certificate?: string; networkId?: number; epoch?: number; coordinator: string }) => {
    const given = [a.certificate, a.networkId, a.epoch].filter((x) => x !== undefined).length;
    if (given > 1) throw new Error("give at most one of --certificate, --network-id, --epoch");
    if (a.certificate !== undefined) printJson(await coordinatorCall(a.coordinator, "getCertificate", { certificateId: a.certificate }));
    else if (a.networkId !== undefined) printJson(await coordinatorCall(a.coordinator, "getNetwork", { networkId: a.networkId }));
    else printJson(await coordinatorCall(a.coordinator, "getEpoch", a.epoch === undefined ? {} : { id: a.epoch }));
  });

const devnetNetworks = Object.fromEntries(
  DEVNET_NETWORKS.map((n) => [n.name, { url: n.rpcUrl, chainId: n.chainId, accounts: { mnemonic: DEVNET_MNEMONIC, count: 20 } }]),
);

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
    // devnetL1 (8545, chain 31337), devnetA/B/C (8546-8548, chains 1001-1003): deploy/deployments.ts DEVNET_NETWORKS.
    ...devnetNetworks,
  },
  mocha: { timeout: 600_000 },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "1" },
};

export default config;
