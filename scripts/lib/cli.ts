import * as fs from "fs";

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

/**
 * Walks argv: `apply(flag, value)` sets one option (`value()` takes its argument, inline or the next word) and
 * returns false for an option it does not know. `--help`/`-h` prints the script's header comment and exits.
 */
export function eachFlag(argv: string[], scriptFile: string, apply: (flag: string, value: () => string | undefined) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const [flag, inline] = splitFlag(word);
    if (flag === "--help" || flag === "-h") {
      process.stdout.write(fs.readFileSync(scriptFile, "utf8").split("*/")[0] + "*/\n");
      process.exit(0);
    }
    if (!apply(flag, () => inline ?? argv[++i])) throw new Error(`unknown option ${word} (see --help)`);
  }
}
