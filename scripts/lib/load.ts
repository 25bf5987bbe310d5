/**
 * Pieces the load generators share (bench:coordinator, bench:subscriptions, soak:coordinator): a counting semaphore
 * for requests in flight, and the native secp256k1 signer that makes pre-signing a million certificates affordable.
 */

/** At most `free` holders at a time; the rest wait in arrival order. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export interface NativeSign {
  ecdsaSign(msg32: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
}

/** The secp256k1 addon when it is installed; null: the caller signs with ethers (the same signatures, slower). */
export function nativeSigner(): NativeSign | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("secp256k1") as NativeSign;
  } catch {
    return null;
  }
}
