/**
 * The coordinator's entry point: `npm run coordinator -- [--config file.json]` (or `npx hardhat coordinator`).
 * Configuration: coordinator/config.ts (file + COORDINATOR_* environment). A configuration error, including one
 * found by the start-up checks (coordinator/preflight.ts), exits with code 2 and a message naming the setting.
 * SIGINT/SIGTERM abort the start-up or stop the running coordinator gracefully; a second signal exits at once.
 */
import { loadConfig, ConfigError, CoordinatorConfig } from "./config";
import { createLogger } from "./log";
import { startCoordinator, Coordinator } from "./service";

/** Exit code of a configuration error (every other start-up failure is 1). */
export const CONFIG_ERROR_EXIT = 2;

function exitOnConfigError(e: unknown): void {
  if (!(e instanceof ConfigError)) return;
  process.stderr.write(`${e.message}\n`);
  process.exit(CONFIG_ERROR_EXIT);
}

function readConfig(argv: string[]): CoordinatorConfig {
  const i = argv.indexOf("--config");
  const file = i >= 0 ? argv[i + 1] : undefined;
  try {
    return loadConfig({ file });
  } catch (e) {
    exitOnConfigError(e);
    throw e;
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const config = readConfig(argv);
  const log = createLogger({ level: config.log.level });
  const startup = new AbortController();
  let running: Coordinator | null = null;
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(130);
    log.info("signal received", { signal: sig });
    if (!running) return startup.abort(new Error(`start-up aborted by ${sig}`));
    running.stop().then(() => process.exit(0), (e) => (log.error("shutdown failed", { error: e }), process.exit(1)));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  try {
    running = await startCoordinator(config, { log, signal: startup.signal });
  } catch (e) {
    exitOnConfigError(e);
    if (startup.signal.aborted) {
      log.info("start-up aborted");
      process.exit(130);
    }
    throw e;
  }
  // A signal that came while the last start-up steps ran: stop now that there is something to stop.
  if (startup.signal.aborted) await running.stop().then(() => process.exit(0));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`coordinator failed to start: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
