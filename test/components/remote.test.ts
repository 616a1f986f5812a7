/**
 * How a script reaches a VM (components/remote.ts): the command text names only the verb and the
 * script; the environment, lib.sh and the script travel on stdin. Run here with `sudo` and `ssh`
 * replaced by shims (no root hop, no network) that pass stdin on as sudo and ssh do.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labSshOptions, scriptCommandLine, scriptCommandText, scriptStdin, shellQuote, VM_LIB, type ScriptCommand } from '../../components/remote';
import { REPO_ROOT } from '../../components/repo';

/** Runs a command as remote.Command would (the text through a shell, stdin attached), with shims. */
function run(c: ScriptCommand): { stdout: string; stderr: string; code: number | null; argvLog: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-remote-'));
  const log = path.join(dir, 'argv.log');
  // Each shim records its argv (what sudo would log and `ps` would show), then does the hop.
  fs.writeFileSync(path.join(dir, 'sudo'), `#!/bin/bash\nprintf '%s\\n' "sudo $*" >>${shellQuote(log)}\n[ "$1" != -n ] || shift\nexec "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'ssh'), `#!/bin/bash\nprintf '%s\\n' "ssh $*" >>${shellQuote(log)}\nexec bash -c "\${@: -1}"\n`, { mode: 0o755 });
  try {
    const r = spawnSync('bash', ['-c', c.command], { input: c.stdin, encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status, argvLog: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('remote script commands', () => {
  const tricky = `it's "quoted" $HOME \`x\` \\ and\nnewline`;
  const script = { name: 'probe.sh', text: 'echo "A=[$A]"; echo "B=[$B]"; echo "0=[$0]"; echo "lib=[${LAB_VM_LIB:-}]"; echo "stdin=[$(cat)]"' };
  const expected = `A=[${tricky}]\nB=[]\n0=[probe.sh]\nlib=[1]\nstdin=[]\n`;

  it('runs the script with lib.sh and its environment on the router, quoting preserved, stdin detached', () => {
    const r = run(scriptCommandText(script, { A: tricky, B: '' }));
    assert.strictEqual(r.stderr, '');
    assert.strictEqual(r.stdout, expected);
  });

  it('runs it on a node through ssh from the router with lib.sh\'s SSH options', () => {
    const c = scriptCommandText(script, { A: tricky, B: '' }, '192.168.44.128');
    assert.strictEqual(c.command, `ssh ${labSshOptions().join(' ')} lab@192.168.44.128 'sudo -n bash -s -- create probe.sh'`);
    assert.strictEqual(run(c).stdout, expected);
  });

  it('keeps every environment value out of every argv (sudo, ssh) and out of the command text', () => {
    const secret = 'CAKEY-0123456789abcdef0123456789abcdef';
    for (const node of [undefined, '192.168.44.128']) {
      const c = scriptCommandText({ name: 'k.sh', text: 'printf %s "$K" | wc -c' }, { K: secret }, node);
      const r = run(c);
      assert.strictEqual(r.stdout.trim(), String(secret.length), r.stderr);
      assert.ok(!c.command.includes(secret));
      assert.ok(r.argvLog.length > 0 && !r.argvLog.includes(secret), r.argvLog);
    }
  });

  it('picks the delete script from the same stdin (remote.Command sends one stdin to create and delete)', () => {
    const stdin = scriptStdin({ create: { name: 'up.sh', text: 'echo up "$X"' }, delete: { name: 'down.sh', text: 'echo down "$X"' } }, { X: '1' });
    assert.strictEqual(run({ command: scriptCommandLine('create', 'up.sh'), stdin }).stdout, 'up 1\n');
    assert.strictEqual(run({ command: scriptCommandLine('delete', 'down.sh'), stdin }).stdout, 'down 1\n');
    const none = run({ command: scriptCommandLine('delete', 'x.sh'), stdin: scriptStdin({ create: script }) });
    assert.strictEqual(none.code, 2);
    assert.match(none.stderr, /no script for verb 'delete'/);
  });

  it('ships repository scripts by path with lib.sh in front', () => {
    const c = scriptCommandText('scripts/vm/node-setup.sh');
    assert.strictEqual(c.command, 'sudo -n bash -s -- create node-setup.sh');
    assert.ok(c.stdin.includes('/etc/modules-load.d/90-lab-k8s.conf') && c.stdin.includes('LAB_SSH_OPTIONS=('));
  });

  it('a script shipped that way does not look for lib.sh on the VM, and dies with its own name', () => {
    const r = run(scriptCommandText({ name: 'capture-clean.sh', text: fs.readFileSync(path.join(REPO_ROOT, 'scripts/vm/capture-clean.sh'), 'utf8') }));
    assert.strictEqual(r.code, 1);
    assert.strictEqual(r.stderr, 'capture-clean: CAPTURE_FILE is required\n');
  });

  it('reads the SSH options from lib.sh exactly as bash does', () => {
    const fromBash = execFileSync('bash', ['-c', `. ${shellQuote(VM_LIB)}; printf '%s\\n' "\${LAB_SSH_OPTIONS[@]}"`], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.deepStrictEqual(labSshOptions(), fromBash.trim().split('\n'));
    assert.ok(labSshOptions().includes('ServerAliveInterval=15'));
  });

  it('refuses invalid environment names and script names', () => {
    assert.throws(() => scriptCommandText(script, { 'A-B': '1' }), /invalid environment variable name/);
    assert.throws(() => scriptCommandLine('create', 'a b.sh'), /invalid script name/);
  });

  it('shellQuote round-trips', () => {
    assert.strictEqual(execFileSync('bash', ['-c', `printf %s ${shellQuote(tricky)}`]).toString(), tricky);
  });
});
