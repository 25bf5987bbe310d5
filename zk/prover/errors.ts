/**
 * Errors of the prover pool. Callers tell apart "retry may help" (crash, timeout, closed) from "this job is
 * wrong" (ProverJobError) by class, so each failure mode has its own.
 */

export class ProverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProverError";
  }
}

/** The pool was closed before the job finished (queued or in flight). */
export class ProverClosedError extends ProverError {
  constructor(message = "prover pool closed") {
    super(message);
    this.name = "ProverClosedError";
  }
}

/** The worker process died while proving the job (signal, out of memory, crash in native code...). */
export class ProverCrashedError extends ProverError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    /** Last lines the worker wrote to stderr, for the diagnosis. */
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = "ProverCrashedError";
  }
}

/** The caller's AbortSignal fired; a job in flight had its worker killed. */
export class ProverAbortedError extends ProverError {
  constructor(message = "prove job aborted") {
    super(message);
    this.name = "ProverAbortedError";
  }
}

/** The job ran longer than jobTimeoutMs; its worker was killed. */
export class ProverTimeoutError extends ProverError {
  constructor(readonly timeoutMs: number) {
    super(`prove job timed out after ${timeoutMs} ms`);
    this.name = "ProverTimeoutError";
  }
}

/** The job failed inside a healthy worker: an input the circuit refuses (witness), a key that does not fit, a witness
 * that does not satisfy the circuit (the native prover's typed errors, by name in remoteName). */
export class ProverJobError extends ProverError {
  constructor(
    message: string,
    /** Name and stack of the error as thrown in the worker. */
    readonly remoteName: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = "ProverJobError";
  }
}
