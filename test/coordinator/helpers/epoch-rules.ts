/**
 * Counts the runs of the epoch rules (lib/epoch.ts applyEpoch) in this process, by the certificate ids of the epoch
 * they were run on. It wraps the module's export, so every caller that reaches the function through the module
 * (the coordinator's modules import it by name, which compiles to a property read at each call) is counted, whatever
 * path it took.
 */
import * as epochModule from "../../../lib/epoch";
import { certificateId } from "../../../lib/certificate";

type ApplyEpoch = typeof epochModule.applyEpoch;

export const epochKey = (ids: readonly bigint[]) => ids.map((id) => id.toString(16)).join(",");

export interface EpochRulesCounter {
  /** Runs per epoch, keyed by epochKey(the certificate ids in slot order). */
  readonly runs: Map<string, number>;
  count(ids: readonly bigint[]): number;
  restore(): void;
}

export function countEpochRules(): EpochRulesCounter {
  const mod = epochModule as { applyEpoch: ApplyEpoch };
  const original = mod.applyEpoch;
  const runs = new Map<string, number>();
  mod.applyEpoch = ((global, certificates, l1, options) => {
    const k = epochKey(certificates.map((c) => certificateId(c)));
    runs.set(k, (runs.get(k) ?? 0) + 1);
    return original(global, certificates, l1, options);
  }) as ApplyEpoch;
  return {
    runs,
    count: (ids) => runs.get(epochKey(ids)) ?? 0,
    restore: () => {
      mod.applyEpoch = original;
    },
  };
}
