/**
 * The coordinator's entry point: `npm run coordinator -- [--config file.json]` (or `npx hardhat coordinator`).
 * Configuration: coordinator/config.ts (file + COORDINATOR_* environment). SIGINT/SIGTERM stop it gracefully;
 * a second signal exits at once.
 */
import { loadConfig, ConfigError } from "./config";
import { createLogger } from "./log";
import { startCoordinator } from "./service";

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const i = argv.indexOf("--config");
  const file = i >= 0 ? argv[i + 1] : undefined;
  let config;
  try {
    config = loadConfig({ file });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({ level: config.log.level });
  const c = await startCoordinator(config, { log });
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(130);
    log.info("signal received", { signal: sig });
    c.stop().then(() => process.exit(0), (e) => (log.error("shutdown failed", { error: e }), process.exit(1)));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`coordinator failed to start: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
