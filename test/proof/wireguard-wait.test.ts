/**
 * scripts/vm/wireguard-wait.sh run for real against a stand-in kubectl answering like a three-node cluster:
 * agent pods (a terminating one listed first) and `cilium-dbg encrypt status` per node from files the test
 * writes. A cluster passes once every agent is in WireGuard mode with a peer per other node; otherwise the
 * wait fails after its bound, naming each node and what it lacks.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { REPO_ROOT as REPO } from '../../components/repo';
const NODES = ['control-plane', 'worker1', 'worker2'];
const wg = (peers: number) => `Encryption: Wireguard\nInterface: cilium_wg0\n\tPublic key: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=\n\tNumber of peers: ${peers}\n`;

describe('wireguard-wait.sh (stand-in kubectl, three nodes)', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wg-wait-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(
      path.join(dir, 'bin', 'kubectl'),
      [
        '#!/usr/bin/env bash',
        'args="$*"',
        'case "$args" in',
        '  *"get pods -l k8s-app=cilium --field-selector spec.nodeName="*) n=${args#*spec.nodeName=}; n=${n%% *}',
        '    [ -e "$FAKE/$n" ] && printf "cilium-old-%s Running 2026-01-01T00:00:00Z\\ncilium-%s Running \\n" "$n" "$n" ;;',
        '  *"exec cilium-old-"*) exit 7 ;;',
        '  *"exec cilium-"*" -- cilium-dbg encrypt status"*) p=${args#*exec cilium-}; cat "$FAKE/${p%% *}" ;;',
        '  *) echo "unexpected kubectl $args" >&2; exit 9 ;;',
        'esac',
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(status: Record<string, string | undefined>) {
    const fake = fs.mkdtempSync(path.join(dir, 'c'));
    for (const [n, st] of Object.entries(status)) if (st !== undefined) fs.writeFileSync(path.join(fake, n), st);
    const r = spawnSync('bash', [path.join(REPO, 'scripts', 'vm', 'wireguard-wait.sh')], {
      encoding: 'utf8',
      env: { PATH: `${dir}/bin:${process.env.PATH}`, FAKE: fake, EXPECTED_NODES: NODES.join(' '), TIMEOUT_SECONDS: '0', POLL_SECONDS: '0' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('passes when every agent reports WireGuard with 2 peers', () => {
    const r = run(Object.fromEntries(NODES.map((n) => [n, wg(2)])));
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout.trim().split('\n'), NODES.map((n) => `node=${n} agent=cilium-${n} mode=Wireguard peers=2`));
  });

  it('fails naming the node without its peers, in another mode, or without an agent', () => {
    const r = run({ 'control-plane': wg(2), worker1: wg(1), worker2: 'Encryption: Disabled\n' });
    assert.strictEqual(r.code, 1);
    assert.strictEqual(
      r.stderr,
      "wireguard-wait: timed out after 0s waiting for WireGuard with a peer per other node on every node; last: worker1: 1 WireGuard peers, expected 2 (one per other node) | worker2: encrypt status mode 'Disabled', expected WireGuard\n",
    );
    const gone = run({ 'control-plane': wg(2), worker1: wg(2) });
    assert.match(gone.stderr, /last: worker2: no Running Cilium agent pod$/m);
  });
});
