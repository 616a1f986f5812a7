/**
 * Every shell script under scripts/ (the host scripts, the scripts shipped to the VMs, the VM suite and
 * test tooling: the whole tree, every owner) passes shellcheck, one test per file.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';

const root = REPO_ROOT;

function shellScripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : shellScripts(p);
    return e.name.endsWith('.sh') ? [p] : [];
  });
}

describe('shellcheck', () => {
  const files = shellScripts(path.join(root, 'scripts')).map((f) => path.relative(root, f)).sort();

  it('finds the scripts', () => {
    assert.ok(files.includes('scripts/host/domain.sh') && files.includes('scripts/vm/router-setup.sh'), files.join(' '));
  });

  for (const f of files) {
    it(f, () => {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      assert.ok(/^#!\/usr\/bin\/env bash|^#!\/bin\/bash/.test(text) || !text.startsWith('#!'), `${f}: bash shebang`);
      try {
        // Run from the repository root so `# shellcheck source=scripts/...` directives resolve.
        execFileSync('shellcheck', ['-x', '-S', 'style', f], { cwd: root, stdio: 'pipe' });
      } catch (e) {
        const err = e as { stdout?: Buffer; stderr?: Buffer };
        assert.fail(`${f}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
    });
  }

  // The lab's own infra scripts (host side and VM setup) run strict; lib.sh is sourced, not run.
  const strict = files.filter((f) => /^scripts\/host\/(?!lib\.sh)|^scripts\/vm\/(router|node|kubeadm|cilium|cloud-init)/.test(f));
  for (const f of strict) {
    it(`${f} runs with set -euo pipefail`, () => {
      assert.match(fs.readFileSync(path.join(root, f), 'utf8'), /^set -euo pipefail$/m);
    });
  }
});
