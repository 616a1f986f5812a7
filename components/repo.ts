/**
 * The project's root directory (where Pulumi.yaml and scripts/ are), the one place it is computed:
 * every module that reads a script or writes under the project resolves paths from here.
 */
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..');
