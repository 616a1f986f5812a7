/**
 * The project's root directory (where Pulumi.yaml and scripts/ are), the one place it is computed:
 * every module that reads a script or writes under the project resolves paths from here.
 */
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * A path under `root` as a local command running in the program's working directory (the project root)
 * is given it: relative under the project root, so the same stack run from another clone does not look
 * changed (an absolute checkout path in a command's inputs would); absolute for any other root (tests).
 */
export function commandPath(root: string, rel: string): string {
  return path.resolve(root) === REPO_ROOT ? rel : path.join(root, rel);
}
