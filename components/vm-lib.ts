/**
 * scripts/vm/lib.sh, the helpers every VM script uses, and how it ships with a script: concatenated
 * in front of the script's text, which remote.ts sends on stdin. The header of lib.sh says how each way
 * of running a script finds it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './repo';

export const VM_LIB = 'scripts/vm/lib.sh';

/** Reads a file of the project (repo-relative path, e.g. scripts/vm/router-setup.sh). */
export function readRepoFile(rel: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
}

/** A script as it runs on a VM: lib.sh first, then the script's own text. */
export function scriptWithLib(scriptText: string, libText: string = readRepoFile(VM_LIB)): string {
  return `${libText}\n${scriptText}`;
}

/**
 * The one set of SSH options, read from lib.sh (`LAB_SSH_OPTIONS=( ... )`, options one per line) so
 * the router's hop to a node and the scripts' own ssh calls cannot drift apart.
 */
export function labSshOptions(libText: string = readRepoFile(VM_LIB)): string[] {
  const m = /^LAB_SSH_OPTIONS=\(\n([\s\S]*?)\n\)$/m.exec(libText);
  if (!m) throw new Error(`${VM_LIB}: no LAB_SSH_OPTIONS=( ... ) block`);
  return m[1]
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .flatMap((l) => l.split(/\s+/));
}
