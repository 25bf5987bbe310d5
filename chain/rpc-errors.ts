/**
 * Which errors of an RPC call mean "the node did not answer" (an overloaded or restarting node, a lost answer)
 * rather than "the node answered no": the first are worth trying again, the second are not.
 */
const CONNECTION = /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|network error|NETWORK_ERROR|TIMEOUT|request timeout|fetch failed|other side closed/i;

export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string; cause?: unknown } | null;
  if (!err) return false;
  if (err.code === "NETWORK_ERROR" || err.code === "TIMEOUT" || err.code === "ECONNRESET" || err.code === "ECONNREFUSED") return true;
  if (CONNECTION.test(String(err.message ?? err))) return true;
  return err.cause !== undefined && err.cause !== e && isConnectionError(err.cause);
}
