/**
 * The chain client's entry point: `npm run chain -- --config chain.json` (CHAIN_CONFIG, CHAIN_SEQUENCER_KEY).
 * SIGINT/SIGTERM stop it gracefully; a second signal exits at once. It resumes from its state file (stateFile);
 * an invalid configuration or a state file that does not fit exits with code 2.
 */
import { loadChainConfig, ChainConfigError } from "./config";
import { ChainClient } from "./client";
import { ChainStateError } from "./state-file";

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const i = argv.indexOf("--config");
  let config;
  try {
    config = loadChainConfig(i >= 0 ? argv[i + 1] : undefined);
  } catch (e) {
    if (e instanceof ChainConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const client = new ChainClient(config);
  try {
    await client.start();
  } catch (e) {
    await client.stop();
    // A state file that does not match the chain, the coordinator or this network: the operator must look.
    if (e instanceof ChainStateError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    client.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`chain client failed to start: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
