/**
 * Reading a runScript command back under mocks (components/remote.ts): the command text names the
 * verb, the script and the node; the environment is in the `export K='v'` lines of its stdin.
 */

/** The script a command runs: the name at the end of its command text. */
export function scriptOf(command: unknown): string {
  const m = /([\w-]+\.sh)['"]?\s*$/.exec(String(command));
  return m ? m[1] : '?';
}

/** The node a command hops to from the router (undefined: it runs on the router). */
export function nodeOf(command: unknown): string | undefined {
  return /lab@([\d.]+)/.exec(String(command))?.[1];
}

/** The environment a command's stdin exports (values unquoted). */
export function envOf(stdin: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of String(stdin ?? '').matchAll(/^export ([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)'$/gm)) {
    env[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return env;
}
