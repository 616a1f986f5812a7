/**
 * The lab's VM-side scripts run here with shims for the commands they drive  (cloud-init, ssh, sudo,
 * kubectl): the waits are bounded and fail saying what was awaited and the last thing seen.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from './helpers';
import { runCommand, runWithStandIns } from '../helpers/stand-ins';

/** A VM script with stand-ins for the guest's commands, and nothing else from this machine but /usr and /bin. */
const withShims = (shims: Record<string, string>, script: string, env: Record<string, string>) => runWithStandIns(script, shims, env, { path: 'system' });

describe('VM scripts share scripts/vm/lib.sh', () => {
  const dir = path.join(repoRoot, 'scripts/vm');
  // The VM suite's wire fixture is shipped the same way (remote.ts puts lib.sh in front of it).
  const scripts = [
    ...fs.readdirSync(dir).filter((f) => f.endsWith('.sh') && f !== 'lib.sh').map((f) => `scripts/vm/${f}`),
    'scripts/vm-test/cilium-wire-fixture.sh',
  ];
  // The helpers lib.sh defines, and the fingerprints of the copies it replaced.
  const copies: [string, RegExp][] = [
    ['a die() of its own', /^\s*die\(\)/m],
    ['an as_root() of its own', /^\s*as_root\(\)/m],
    ['a retry loop of its own', /^\s*retry\(\)|for attempt in/m],
    ['a deadline loop of its own', /deadline=\$\(\(SECONDS/],
    ['its own token redaction', /\[a-z0-9\]\{6\}/],
    ['its own SSH options', /-o\s+BatchMode/],
    ['its own SIGINT-then-poll loop', /kill -INT[\s\S]{0,200}\/proc\//],
    ['its own kubectl wrapper (lib.sh kc)', /kubectl -n "\$|^\s*kc\(\)/m],
    ['its own Cilium agent lookup (lib.sh cilium_agent_on)', /k8s-app=cilium --field-selector/],
    ['its own required-variable check (lib.sh require_env)', /\|\| die "[^"]*\bis required|^\s*need\(\)/m],
    ['its own integer check (lib.sh require_uint)', /is_uint [^|]*\|\| die/],
    ['its own log tail on failure (lib.sh run_logged)', /tail -n \d+ "\$log" \| redact_tokens/],
    ['its own reading of cilium-dbg encrypt status (lib.sh encrypt_status_read)', /Encryption:\[\[:space:\]\]|number of peers\//i],
  ];
  for (const f of scripts) {
    it(`${f} sources lib.sh and copies none of its helpers`, () => {
      const text = fs.readFileSync(path.join(repoRoot, f), 'utf8');
      const lib = path.relative(path.dirname(f), 'scripts/vm/lib.sh');
      const source = `[ -n "\${LAB_VM_LIB:-}" ] || . "$(dirname "\${BASH_SOURCE[0]}")/${lib}"`;
      if (f !== 'scripts/vm/node-setup.sh') assert.ok(text.split('\n').includes(source), `${f} lacks: ${source}`);
      for (const [what, re] of copies) assert.doesNotMatch(text, re, `${f} has ${what}`);
    });
  }
  it('kubeadm init and join keep their output on the VM through run_logged', () => {
    for (const f of ['kubeadm-init.sh', 'kubeadm-join.sh']) assert.match(fs.readFileSync(path.join(dir, f), 'utf8'), /^\s*run_logged "\$log" "kubeadm (init|join)" kubeadm (init|join) --config \S+ \|\| exit 1$/m, f);
  });
});

describe('lib.sh helpers', () => {
  const lib = path.join(repoRoot, 'scripts/vm/lib.sh');
  const inLib = (body: string, env: Record<string, string> = {}) => runCommand(['bash', '-c', `. ${JSON.stringify(lib)}; ${body}`, 'lab-test'], { env });

  it('run_logged: output only in the log; on failure its tail with tokens redacted, and status 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-run-logged-'));
    try {
      const log = path.join(dir, 'kubeadm.log');
      const token = 'abcdef.0123456789abcdef';
      const ok = inLib(`run_logged ${log} "kubeadm join" sh -c 'echo joining with ${token}'; echo "rc=$?"`);
      assert.strictEqual(ok.stdout, 'rc=0\n');
      assert.strictEqual(ok.stderr, '');
      assert.strictEqual(fs.readFileSync(log, 'utf8'), `joining with ${token}\n`);
      const lines = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n');
      const bad = inLib(`run_logged ${log} "kubeadm join" sh -c 'printf "%s\\n" "${lines}"; echo "kubeadm join --token ${token} failed" >&2; exit 3' || echo "rc=$?"`);
      assert.strictEqual(bad.stdout, 'rc=1\n');
      const err = bad.stderr.split('\n');
      assert.match(err[0], new RegExp(`^lab-test: kubeadm join failed on \\S+; last lines of ${log} \\(tokens redacted\\):$`));
      assert.deepStrictEqual([err[1], err[40]], ['line 12', 'kubeadm join --token <token> failed'], 'the last 40 lines');
      assert.ok(!bad.stderr.includes(token));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('require_env, require_uint, require_commands: name the variable or command, the value, what was expected', () => {
    assert.strictEqual(inLib('require_env A B', { A: 'x' }).stderr, 'lab-test: B is required\n');
    assert.strictEqual(inLib('require_env -w "with CLIENT_POD" NAMESPACE').stderr, 'lab-test: NAMESPACE is required with CLIENT_POD\n');
    assert.strictEqual(inLib('require_env A; echo ok', { A: 'x' }).stdout, 'ok\n');
    assert.strictEqual(inLib('require_uint TIMEOUT_SECONDS 5m').stderr, "lab-test: TIMEOUT_SECONDS must be a non-negative integer, got '5m'\n");
    assert.match(inLib('require_commands bash lab-no-such-command').stderr, /^lab-test: lab-no-such-command is not installed on \S+\n$/);
  });
});

describe('VM scripts (with shims)', function () {
  this.timeout(60000);

  /**
   * Stand-ins for `cloud-init status --format json`, in the shapes cloud-init prints them
   * (cloudinit/cmd/status.py print_status: sorted, indented JSON; exit codes from handle_status_args,
   * doc/rtd/explanation/return_codes.rst): 23.4 and later (Ubuntu 24.04's 24.x, trixie's 25.1) add
   * extended_status and recoverable_errors and exit 2 when degraded; 22.4 (bookworm) has neither.
   */
  function statusJson(status: string, extended: string | undefined, errors: string[] = [], recoverable: Record<string, string[]> = {}): string {
    const d: Record<string, unknown> = {
      boot_status_code: 'enabled-by-generator',
      datasource: 'nocloud',
      detail: status === 'running' ? 'Running in stage: modules-final' : 'DataSourceNoCloud [seed=/dev/vdb]',
      errors,
      last_update: 'Tue, 01 Dec 2026 08:00:00 +0000',
      status,
    };
    if (extended !== undefined) {
      d.extended_status = extended;
      d.recoverable_errors = recoverable;
    }
    return JSON.stringify(Object.fromEntries(Object.entries(d).sort(([a], [b]) => a.localeCompare(b))), null, 2);
  }
  const WARNING = 'Invalid cloud-config provided: Please run \'sudo cloud-init schema --system\' to see the schema errors.';
  const ERROR = "('scripts_user', RuntimeError('Runparts: 1 failures (00_kube) in 1 attempted commands'))";
  const cases: { name: string; json: string; rc: number; outcome: 'done' | 'fails' | 'waits'; expect: RegExp }[] = [
    { name: '25.1 done (exit 0)', json: statusJson('done', 'done'), rc: 0, outcome: 'done', expect: /: done$/m },
    {
      name: '25.1 degraded done (exit 2): done, with the recoverable errors reported',
      json: statusJson('done', 'degraded done', [], { WARNING: [WARNING, 'Skipping module named foo, no schema'], DEPRECATED: ['Key "chpasswd.list" is deprecated'] }),
      rc: 2,
      outcome: 'done',
      expect: /degraded done; recoverable errors: DEPRECATED: Key "chpasswd.list" is deprecated \| WARNING: Invalid cloud-config provided: .* \| WARNING: Skipping module named foo, no schema$/m,
    },
    { name: '25.1 error - done (exit 1): fails at once with the errors', json: statusJson('error', 'error - done', [ERROR]), rc: 1, outcome: 'fails', expect: /cloud-init failed: error - done; errors: \('scripts_user', RuntimeError\('Runparts: 1 failures/ },
    { name: '25.1 error - running (exit 1): fails at once, no need to wait for the end', json: statusJson('error', 'error - running', [ERROR]), rc: 1, outcome: 'fails', expect: /cloud-init failed: error - running; errors: / },
    { name: '25.1 running (exit 0): waits', json: statusJson('running', 'running'), rc: 0, outcome: 'waits', expect: /last: running$/m },
    { name: '25.1 degraded running (exit 2): still waits, exit 2 alone is not done', json: statusJson('running', 'degraded running', [], { WARNING: [WARNING] }), rc: 2, outcome: 'waits', expect: /last: degraded running$/m },
    { name: '25.1 not started (exit 0): waits', json: statusJson('not started', 'not started'), rc: 0, outcome: 'waits', expect: /last: not started$/m },
    { name: 'disabled: fails at once (it would never finish)', json: statusJson('disabled', 'disabled'), rc: 0, outcome: 'fails', expect: /cloud-init is disabled here \(enabled-by-generator\)/ },
    { name: '22.4 done (exit 0, no extended_status)', json: statusJson('done', undefined), rc: 0, outcome: 'done', expect: /: done$/m },
    { name: '22.4 not run (exit 0): waits', json: statusJson('not run', undefined), rc: 0, outcome: 'waits', expect: /last: not run$/m },
    { name: '22.4 error (exit 1): fails at once', json: statusJson('error', undefined, [ERROR]), rc: 1, outcome: 'fails', expect: /cloud-init failed: error; errors: / },
    { name: 'no JSON (cloud-init not installed yet, exit 127): waits, naming what it saw', json: '', rc: 127, outcome: 'waits', expect: /last: \(exit 127\) no status: .*cloud-init: command not found/ },
  ];
  // The stand-in prints the JSON and exits with the code; a deprecation notice on stderr must not
  // spoil the JSON (cloud-init logs to stderr).
  const cloudInit = (json: string, rc: number) =>
    rc === 127
      ? 'echo "bash: line 1: cloud-init: command not found" >&2; exit 127'
      : `[ "$*" = "status --format json" ] || { echo "unexpected: $*" >&2; exit 9; }\necho "DeprecationWarning: something" >&2\ncat <<'JSON'\n${json}\nJSON\nexit ${rc}`;

  describe('cloud-init-wait.sh: every documented exit code and status', () => {
    for (const c of cases) {
      it(c.name, () => {
        const started = Date.now();
        const r = withShims({ 'cloud-init': cloudInit(c.json, c.rc), hostname: 'echo router', sleep: 'exit 0' }, 'scripts/vm/cloud-init-wait.sh', {
          TIMEOUT_SECONDS: c.outcome === 'waits' ? '1' : '600',
        });
        if (c.outcome === 'done') {
          assert.strictEqual(r.code, 0, r.stderr);
          assert.match(r.stdout, /^cloud-init done on router: /m);
          assert.match(r.stdout, c.expect);
        } else if (c.outcome === 'fails') {
          assert.strictEqual(r.code, 1, r.stdout);
          assert.match(r.stderr, /^cloud-init-wait on router: /m);
          assert.match(r.stderr, c.expect);
          assert.ok(Date.now() - started < 10000, 'failed at once, not after the timeout');
        } else {
          assert.strictEqual(r.code, 1, r.stdout);
          assert.match(r.stderr, /timed out after 1s waiting for cloud-init on router; /);
          assert.match(r.stderr, c.expect);
        }
      });
    }

    it('waits through running and degraded running, then reports the degraded done', () => {
      const seq = [
        [statusJson('not started', 'not started'), 0],
        [statusJson('running', 'running'), 0],
        [statusJson('running', 'degraded running', [], { WARNING: [WARNING] }), 2],
        [statusJson('done', 'degraded done', [], { WARNING: [WARNING] }), 2],
      ] as const;
      const shim = [
        'n=$(cat "$SHIM_DIR/n" 2>/dev/null || echo 0); echo $((n + 1)) >"$SHIM_DIR/n"',
        ...seq.map(([json, rc], i) => `if [ "$n" -eq ${i} ]; then cat <<'JSON'\n${json}\nJSON\nexit ${rc}; fi`),
        'exit 9',
      ].join('\n');
      const r = withShims({ 'cloud-init': shim, hostname: 'echo router', sleep: 'echo "$1" >>"$SHIM_DIR/slept"' }, 'scripts/vm/cloud-init-wait.sh', { TIMEOUT_SECONDS: '600' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^cloud-init done on router: degraded done; recoverable errors: WARNING: Invalid cloud-config provided/m);
    });
  });

  describe('node-wait.sh (on the router): cloud-init on the node over SSH', () => {
    const sudo = 'while [[ "$1" == -u ]]; do shift 2; done; exec "$@"';
    // Stand-in ssh: records its arguments, then runs the remote command here (with the cloud-init stand-in).
    const ssh = 'printf "%s\\n" "$*" >"$SHIM_DIR/args"; while [ $# -gt 0 ] && [[ "$1" != lab@* ]]; do shift; done; shift; exec "$@"';
    for (const c of cases.filter((x) => x.rc !== 127)) {
      it(c.name, () => {
        const r = withShims({ sudo, ssh, 'cloud-init': cloudInit(c.json, c.rc), sleep: 'exit 0' }, 'scripts/vm/node-wait.sh', {
          NODE_IP: '192.168.44.128',
          TIMEOUT_SECONDS: c.outcome === 'waits' ? '1' : '600',
        });
        if (c.outcome === 'done') {
          assert.strictEqual(r.code, 0, r.stderr);
          assert.match(r.stdout, /^node 192\.168\.44\.128: cloud-init done: /m);
          assert.match(r.stdout, c.expect);
        } else if (c.outcome === 'fails') {
          assert.strictEqual(r.code, 1, r.stdout);
          assert.match(r.stderr, /^node-wait for 192\.168\.44\.128: /m);
          assert.match(r.stderr, c.expect);
        } else {
          assert.strictEqual(r.code, 1, r.stdout);
          assert.match(r.stderr, /timed out after 1s waiting for SSH and cloud-init on node 192\.168\.44\.128; /);
          assert.match(r.stderr, c.expect);
        }
      });
    }
    it('asks the node with the lab key and the shared SSH options', () => {
      const argsFile = path.join(os.tmpdir(), `lab-node-wait-args-${process.pid}`);
      try {
        const r = withShims({ sudo, ssh: ssh.replace('"$SHIM_DIR/args"', '"$ARGS_FILE"'), 'cloud-init': cloudInit(statusJson('done', 'done'), 0) }, 'scripts/vm/node-wait.sh', {
          NODE_IP: '192.168.44.128',
          TIMEOUT_SECONDS: '5',
          ARGS_FILE: argsFile,
        });
        assert.strictEqual(r.code, 0, r.stderr);
        const args = fs.readFileSync(argsFile, 'utf8').trim();
        assert.match(args, /^-n -i \/home\/lab\/\.ssh\/id_ed25519 -o BatchMode=yes .*-o ConnectTimeout=15 .* lab@192\.168\.44\.128 cloud-init status --format json$/);
      } finally {
        fs.rmSync(argsFile, { force: true });
      }
    });
    it('times out with the last SSH error seen', () => {
      const r = withShims(
        { sudo, ssh: 'echo "ssh: connect to host 192.168.44.128 port 22: No route to host" >&2; exit 255', sleep: 'exit 0' },
        'scripts/vm/node-wait.sh',
        { NODE_IP: '192.168.44.128', TIMEOUT_SECONDS: '1' },
      );
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /timed out after 1s waiting for SSH and cloud-init on node 192\.168\.44\.128; last: \(exit 255\) no status: ssh: connect to host .* No route to host/);
    });
  });

  describe('cilium-wait.sh (on the control-plane)', () => {
    // The DaemonSet as `kubectl get ds cilium -o jsonpath` prints it: generation, observedGeneration,
    // desiredNumberScheduled, updatedNumberScheduled, numberAvailable.
    const kubectl = (ds: string, ready: string) =>
      `case "$*" in *"get ds cilium"*) echo -n "${ds}";; *"get node worker2"*) echo -n "${ready}";; *"get node"*) echo -n True;; *) echo "NAME STATUS";; esac`;
    const wait = (ds: string, ready = 'True') =>
      withShims({ kubectl: kubectl(ds, ready), sleep: 'exit 0' }, 'scripts/vm/cilium-wait.sh', { EXPECTED_NODES: 'control-plane worker1 worker2', TIMEOUT_SECONDS: '1' });
    it('succeeds when the agents are rolled out and every node is Ready', () => {
      const r = wait('4 4 3 3 3');
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /Cilium ready on 3\/3 nodes; all nodes Ready/);
    });
    it('times out naming the agents and the nodes that are not Ready', () => {
      const r = wait('2 2 3 3 2', 'False');
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /timed out after 1s waiting for Cilium and Ready nodes; last: cilium ds generation 2 observed 2, updated 3\/3, available 2\/3; nodes not Ready: worker2=False/);
    });
    it('right after an upgrade: every old agent available but not updated, or the new generation not observed yet, is not rolled out', () => {
      assert.notStrictEqual(wait('5 5 3 1 3').code, 0, 'one agent of three updated');
      assert.notStrictEqual(wait('5 4 3 3 3').code, 0, 'generation 5 not observed');
      assert.notStrictEqual(wait('5 5 0 0 0').code, 0, 'nothing scheduled');
      assert.notStrictEqual(wait('Error from server (NotFound): daemonsets.apps "cilium" not found').code, 0);
    });
  });

  describe('kubeadm-init.sh (on the control-plane)', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-kubeadm-init-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    // kubeadm: logs its subcommand; init writes admin.conf and a static pod as the real one does early on.
    const kubeadm = [
      'echo "kubeadm $1" >>"$K8S_DIR/calls"',
      'case "$1" in',
      '  init) mkdir -p "$K8S_DIR/manifests"; : >"$K8S_DIR/admin.conf"; : >"$K8S_DIR/manifests/etcd.yaml"; [ -z "${INIT_FAILS:-}" ] || exit 1 ;;',
      '  reset) rm -rf "$K8S_DIR/admin.conf" "$K8S_DIR/manifests" "$K8S_DIR/pki" ;;',
      'esac',
    ].join('\n');
    const kubectl = (coredns: boolean) =>
      `case "$*" in *readyz*) echo ok;; *"get deployment coredns"*) ${coredns ? 'exit 0' : 'echo "not found" >&2; exit 1'};; *) exit 9;; esac`;
    const run = (coredns: boolean, extra: Record<string, string> = {}) =>
      withShims({ kubeadm, kubectl: kubectl(coredns), sleep: 'exit 0' }, 'scripts/vm/kubeadm-init.sh', {
        CA_CERT: 'CA',
        CA_KEY: 'KEY',
        KUBEADM_CONFIG: 'kind: InitConfiguration',
        K8S_DIR: dir,
        KUBEADM_INIT_LOG: path.join(dir, 'init.log'),
        TIMEOUT_SECONDS: '1',
        LEGACY_CHECK_SECONDS: '1',
        ...extra,
      });
    const calls = () => (fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : []);

    it('a fresh node: init with the lab CA, then the marker; a second run only checks the API', () => {
      const r = run(true);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(calls(), ['kubeadm init']);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'pki/ca.crt'), 'utf8'), 'CA\n');
      assert.ok(fs.existsSync(path.join(dir, 'lab-kubeadm-init.done')));
      const again = run(true);
      assert.strictEqual(again.code, 0, again.stderr);
      assert.deepStrictEqual(calls(), ['kubeadm init'], 'no second init');
      assert.match(again.stderr, /control-plane already initialised/);
    });

    it('an init cut off after writing admin.conf: no marker, so reset and init again', () => {
      const failed = run(false, { INIT_FAILS: '1' });
      assert.notStrictEqual(failed.code, 0);
      assert.ok(fs.existsSync(path.join(dir, 'admin.conf')) && !fs.existsSync(path.join(dir, 'lab-kubeadm-init.done')));
      const r = run(false);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(calls(), ['kubeadm init', 'kubeadm reset', 'kubeadm init']);
      assert.match(r.stderr, /an earlier kubeadm init did not finish/);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'pki/ca.key'), 'utf8'), 'KEY\n', 'the lab CA written again after the reset');
    });

    it('a control plane from before the marker (API answers, CoreDNS there) is kept, not reset', () => {
      fs.writeFileSync(path.join(dir, 'admin.conf'), '');
      const r = run(true);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(calls(), []);
      assert.ok(fs.existsSync(path.join(dir, 'lab-kubeadm-init.done')));
    });
  });
});
