/** Command-line parsing shared by the benchmark scripts: `--flag value` or `--flag=value`, checked numbers. */
export function numberArg(name: string, v: string | undefined, min: number, max: number, int = true): number {
  const x = Number(v);
  if (v === undefined || !Number.isFinite(x) || x < min || x > max || (int && !Number.isInteger(x))) throw new Error(`--${name}: expected ${int ? "an integer" : "a number"} in [${min}, ${max}], got ${v}`);
  return x;
}

/** Splits `--flag=value` into [flag, value]; a bare `--flag` gives [flag, undefined]. */
export function splitFlag(a: string): [string, string | undefined] {
  return a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
}
