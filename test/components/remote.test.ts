import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scriptCommandText, shellQuote } from '../../components/remote';

/** Runs a command text with `sudo` and `ssh` replaced by shims (no root hop, no network). */
function run(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-remote-'));
  fs.writeFileSync(path.join(dir, 'sudo'), '#!/bin/bash\nexec "$@"\n', { mode: 0o755 });
  // ssh shim: the last argument is the remote command text; run it like sshd would (through a shell).
  fs.writeFileSync(path.join(dir, 'ssh'), '#!/bin/bash\necho "host=${@: -2:1}" >&2\nexec bash -c "${@: -1}"\n', { mode: 0o755 });
  try {
    return execFileSync('bash', ['-c', text], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }).toString();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('remote script command text', () => {
  const tricky = `it's "quoted" $HOME \`x\` \\ and\nnewline`;
  const script = 'echo "A=[$A]"; echo "B=[$B]"; echo "0=[$0]"';

  it('runs the script with its environment on the router, quoting preserved', () => {
    const out = run(scriptCommandText(script, { A: tricky, B: '' }, undefined, { inline: true }));
    assert.strictEqual(out, `A=[${tricky}]\nB=[]\n0=[lab-inline]\n`);
  });

  it('runs it on a node through ssh from the router, quoted twice', () => {
    const text = scriptCommandText(script, { A: tricky }, '192.168.44.128', { inline: true });
    assert.match(text, /^ssh .*-o BatchMode=yes .* lab@192\.168\.44\.128 '/);
    assert.strictEqual(run(text), `A=[${tricky}]\nB=[]\n0=[lab-inline]\n`);
  });

  it('reads repository scripts by path (the text travels with the command)', () => {
    const text = scriptCommandText('scripts/vm/node-setup.sh', {});
    assert.ok(text.includes('lab-node-setup'));
    assert.ok(text.endsWith(' node-setup.sh'));
  });

  it('refuses invalid environment names', () => {
    assert.throws(() => scriptCommandText('x', { 'A-B': '1' }, undefined, { inline: true }), /invalid environment variable name/);
  });

  it('shellQuote round-trips', () => {
    assert.strictEqual(execFileSync('bash', ['-c', `printf %s ${shellQuote(tricky)}`]).toString(), tricky);
  });
});
