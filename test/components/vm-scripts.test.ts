/**
 * The lab's VM-side scripts run here with shims for the commands they drive  (cloud-init, ssh, sudo,
 * kubectl): the waits are bounded and fail saying what was awaited and the last thing seen.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from './helpers';

function withShims(shims: Record<string, string>, script: string, env: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-vmscripts-'));
  try {
    for (const [name, body] of Object.entries(shims)) {
      fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    }
    const r = spawnSync('bash', [path.join(repoRoot, script)], {
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, SHIM_DIR: dir, ...env },
      encoding: 'utf8',
      timeout: 60000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('VM scripts share scripts/vm/lib.sh', () => {
  const dir = path.join(repoRoot, 'scripts/vm');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh') && f !== 'lib.sh');
  // The helpers lib.sh defines, and the fingerprints of the copies it replaced.
  const copies: [string, RegExp][] = [
    ['a die() of its own', /^\s*die\(\)/m],
    ['an as_root() of its own', /^\s*as_root\(\)/m],
    ['a retry loop of its own', /^\s*retry\(\)|for attempt in/m],
    ['a deadline loop of its own', /deadline=\$\(\(SECONDS/],
    ['its own token redaction', /\[a-z0-9\]\{6\}/],
    ['its own SSH options', /-o\s+BatchMode/],
    ['its own SIGINT-then-poll loop', /kill -INT[\s\S]{0,200}\/proc\//],
  ];
  for (const f of scripts) {
    it(`${f} sources lib.sh and copies none of its helpers`, () => {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      if (f !== 'node-setup.sh') assert.match(text, /^\[ -n "\$\{LAB_VM_LIB:-\}" \] \|\| \. "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/lib\.sh"$/m);
      for (const [what, re] of copies) assert.doesNotMatch(text, re, `${f} has ${what}`);
    });
  }
});

describe('VM scripts (with shims)', function () {
  this.timeout(60000);

  describe('cloud-init-wait.sh', () => {
    it('succeeds when cloud-init is done', () => {
      const r = withShims({ 'cloud-init': 'echo "status: done"', hostname: 'echo router' }, 'scripts/vm/cloud-init-wait.sh', { TIMEOUT_SECONDS: '5' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /cloud-init done on router/);
    });
    it('times out naming what it waited for and the last status', () => {
      const r = withShims({ 'cloud-init': 'echo "status: running"; exit 2', hostname: 'echo router', sleep: 'exit 0' }, 'scripts/vm/cloud-init-wait.sh', { TIMEOUT_SECONDS: '1' });
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /^cloud-init-wait: timed out after 1s waiting for cloud-init on router; last: status: running$/m);
    });
    it('fails at once on a cloud-init error', () => {
      const r = withShims({ 'cloud-init': 'echo "status: error"; exit 1', hostname: 'echo router' }, 'scripts/vm/cloud-init-wait.sh', { TIMEOUT_SECONDS: '30' });
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /cloud-init failed on router: status: error/);
    });
  });

  describe('node-wait.sh (on the router)', () => {
    const sudo = 'while [[ "$1" == -u ]]; do shift 2; done; exec "$@"';
    it('succeeds once the node answers and cloud-init is done there', () => {
      const r = withShims({ sudo, ssh: 'echo "$@" >"$SHIM_DIR/args"; echo "status: done"' }, 'scripts/vm/node-wait.sh', { NODE_IP: '192.168.44.128', TIMEOUT_SECONDS: '5' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /node 192\.168\.44\.128: cloud-init done/);
    });
    it('times out with the last SSH error seen', () => {
      const r = withShims(
        { sudo, ssh: 'echo "ssh: connect to host 192.168.44.128 port 22: No route to host" >&2; exit 255', sleep: 'exit 0' },
        'scripts/vm/node-wait.sh',
        { NODE_IP: '192.168.44.128', TIMEOUT_SECONDS: '1' },
      );
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /^node-wait: timed out after 1s waiting for SSH and cloud-init on node 192\.168\.44\.128; last: ssh: connect to host .* No route to host/);
    });
  });

  describe('cilium-wait.sh (on the control-plane)', () => {
    const kubectl = (ds: string, ready: string) =>
      `case "$*" in *"get ds cilium"*) echo -n "${ds}";; *"get node worker2"*) echo -n "${ready}";; *"get node"*) echo -n True;; *) echo "NAME STATUS";; esac`;
    it('succeeds when the agents are rolled out and every node is Ready', () => {
      const r = withShims({ kubectl: kubectl('3/3', 'True') }, 'scripts/vm/cilium-wait.sh', { EXPECTED_NODES: 'control-plane worker1 worker2', TIMEOUT_SECONDS: '5' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /Cilium ready on 3\/3 nodes; all nodes Ready/);
    });
    it('times out naming the agents and the nodes that are not Ready', () => {
      const r = withShims({ kubectl: kubectl('2/3', 'False'), sleep: 'exit 0' }, 'scripts/vm/cilium-wait.sh', { EXPECTED_NODES: 'control-plane worker1 worker2', TIMEOUT_SECONDS: '1' });
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /timed out after 1s waiting for Cilium and Ready nodes; last: cilium ds ready 2\/3; nodes not Ready: worker2=False/);
    });
  });
});
