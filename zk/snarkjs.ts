/**
 * The one handle on snarkjs (it ships no TypeScript types). snarkjs is used for witness calculation,
 * verification, key and verifier export and production ceremonies; proving is native (zk/native.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Snarkjs = any;
let snarkjsModule: Snarkjs | null = null;
export function snarkjs(): Snarkjs {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (!snarkjsModule) snarkjsModule = require("snarkjs");
  return snarkjsModule;
}

/** snarkjs starts bn128 worker threads that keep the process alive; call this when done. */
export async function terminateCurves(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  if (g.curve_bn128?.terminate) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}
