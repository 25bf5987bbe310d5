/**
 * One sequencer transaction flow at a time. The relayer's oracle posts and the rebuilder's replay both send the
 * sequencer's transactions through one nonce manager; a post in the middle of a replay would take a nonce the
 * replay re-signs, and a replay must see every post that was made before it (to void or keep it).
 */
export class SequencerQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once everything queued before it settled (a failure does not block what follows). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
