/**
 * scripts/vm/ipsec-wait.sh run for real against a stand-in kubectl that answers like a three-node cluster
 * would: agent pods (a terminating one listed first), `ip -4 addr`, `ip xfrm state` (with keys) and
 * `cilium-dbg encrypt status` per node, from files the test writes. Checked: a ready cluster passes with one
 * line per node and no key material; every kind of "not ready" fails after the bound, naming the node and
 * what was missing; the rotation form (SAS_ONLY) waits for the new SPI only.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { REPO_ROOT as REPO } from '../../components/repo';
const SCRIPT = path.join(REPO, 'scripts', 'vm', 'ipsec-wait.sh');
const KEY = 'aa'.repeat(20);

const NODES: Record<string, string[]> = {
  'control-plane': ['192.168.211.10', '10.0.0.77'],
  worker1: ['192.168.211.128', '10.0.1.124'],
  worker2: ['192.168.44.128', '10.0.2.104'],
};

function state(src: string, dst: string, spi: number): string {
  return [
    `src ${src} dst ${dst}`,
    `\tproto esp spi 0x${spi.toString(16).padStart(8, '0')} reqid 1 mode tunnel`,
    '\treplay-window 0 ',
    '\tmark 0x3e00/0xff00 output-mark 0xe00/0xf00',
    `\taead rfc4106(gcm(aes)) 0x${KEY} 128`,
    '\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000',
    '\tsel src 0.0.0.0/0 dst 0.0.0.0/0 ',
  ].join('\n');
}

/** The SAs Cilium would install on `node` for the given SPIs: out to and in from every other node. */
function xfrmFor(node: string, spis: number[], opts: { skip?: [string, string]; inboundAny?: boolean; ciliumHost?: boolean } = {}): string {
  const out: string[] = [];
  const at = (n: string) => NODES[n][opts.ciliumHost ? 1 : 0];
  for (const spi of spis) {
    for (const peer of Object.keys(NODES)) {
      if (peer === node) continue;
      if (!(opts.skip && opts.skip[0] === node && opts.skip[1] === peer)) out.push(state(at(node), at(peer), spi));
      if (!(opts.skip && opts.skip[0] === peer && opts.skip[1] === node)) out.push(state(opts.inboundAny ? '0.0.0.0' : at(peer), at(node), spi));
    }
  }
  return out.join('\n') + '\n';
}

function status(mode: string, keys: number, errors: number): string {
  const lines = [`Encryption: ${mode}`, 'Decryption interface(s): eth0', `Keys in use: ${keys}`, 'Max Seq. Number: 0x1d/0xffffffff', `Errors: ${errors}`];
  if (errors > 0) lines.push(`\tXfrmInNoStates: ${errors}`);
  return lines.join('\n') + '\n';
}

describe('ipsec-wait.sh (stand-in kubectl, three nodes)', function () {
  this.timeout(60000);
  let dir: string;
  let bin: string;
  const log = () => path.join(dir, 'kubectl.log');

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipsec-wait-'));
    bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'kubectl'),
      [
        '#!/usr/bin/env bash',
        'printf "%s\\n" "$*" >>"$KUBECTL_LOG"',
        'args="$*"',
        'case "$args" in',
        '  *"get pods -l k8s-app=cilium --field-selector spec.nodeName="*)',
        '    n=${args#*spec.nodeName=}; n=${n%% *}',
        '    [ -e "$FAKE/$n.addr" ] || exit 0',
        '    printf "cilium-gone-%s Running 2026-01-01T00:00:00Z\\ncilium-%s Running \\n" "$n" "$n" ;;',
        '  *"exec cilium-gone-"*) echo "exec into a terminating pod" >&2; exit 7 ;;',
        '  *"exec cilium-"*" -- ip -4 -o addr show"*) p=${args#*exec cilium-}; cat "$FAKE/${p%% *}.addr" ;;',
        '  *"exec cilium-"*" -- ip xfrm state"*) p=${args#*exec cilium-}; cat "$FAKE/${p%% *}.xfrm" ;;',
        '  *"exec cilium-"*" -- cilium-dbg encrypt status"*) p=${args#*exec cilium-}; cat "$FAKE/${p%% *}.status" ;;',
        '  *) echo "unexpected kubectl $args" >&2; exit 9 ;;',
        'esac',
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function cluster(per: (node: string) => { xfrm: string; status: string }, fake = path.join(dir, `c${Math.random().toString(36).slice(2)}`)): string {
    fs.mkdirSync(fake);
    for (const [n, addrs] of Object.entries(NODES)) {
      const ifs = ['eth0', 'cilium_host'];
      const lines = addrs.map((a, i) => `${i + 2}: ${ifs[i]}    inet ${a}/${i ? 32 : 24} scope ${i ? 'link' : 'global'} ${ifs[i]}\\       valid_lft forever`);
      fs.writeFileSync(path.join(fake, `${n}.addr`), ['1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever', ...lines].join('\n') + '\n');
      const p = per(n);
      fs.writeFileSync(path.join(fake, `${n}.xfrm`), p.xfrm);
      fs.writeFileSync(path.join(fake, `${n}.status`), p.status);
    }
    return fake;
  }

  function run(env: Record<string, string>) {
    fs.rmSync(log(), { force: true });
    const r = spawnSync('bash', [SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        KUBECTL_LOG: log(),
        EXPECTED_NODES: Object.keys(NODES).join(' '),
        KEY_ID: '3',
        TIMEOUT_SECONDS: '0',
        POLL_SECONDS: '0',
        ...env,
      },
      timeout: 30000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('passes when every agent is in IPsec mode with 2 x (nodes - 1) keys, no errors and SAs both ways for every pair', () => {
    const fake = cluster((n) => ({ xfrm: xfrmFor(n, [3]), status: status('IPsec', 4, 0) }));
    const r = run({ FAKE: fake });
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepStrictEqual(lines, Object.keys(NODES).map((n) => `node=${n} agent=cilium-${n} mode=IPsec keys_in_use=4 errors=0 spis=3 peers_ok=2/2`));
    assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY), 'no key material in the output');
    const calls = fs.readFileSync(log(), 'utf8');
    assert.ok(!/exec cilium-gone-/.test(calls), 'never asks a terminating agent');
    assert.match(calls, /-n kube-system get pods -l k8s-app=cilium --field-selector spec\.nodeName=worker1 -o jsonpath=/);
  });

  it('accepts SAs between the cilium_host addresses (the <= 1.17 layout, ESP inside VXLAN), whatever their scope', () => {
    const fake = cluster((n) => ({ xfrm: xfrmFor(n, [3], { ciliumHost: true }), status: status('IPsec', 4, 0) }));
    const r = run({ FAKE: fake });
    assert.strictEqual(r.code, 0, r.stderr);
  });

  it('accepts inbound SAs with source 0.0.0.0 (the older Cilium form)', () => {
    const fake = cluster((n) => ({ xfrm: xfrmFor(n, [3], { inboundAny: true }), status: status('IPsec', 4, 0) }));
    assert.strictEqual(run({ FAKE: fake }).code, 0);
  });

  it('fails after the bound naming each node and what it lacks: mode, keys, errors, a missing SA, a missing agent', () => {
    const fake = cluster((n) => {
      if (n === 'control-plane') return { xfrm: xfrmFor(n, [3]), status: status('Disabled', 0, 0) };
      if (n === 'worker1') return { xfrm: xfrmFor(n, [3]), status: status('IPsec', 4, 2) };
      return { xfrm: xfrmFor(n, [3], { skip: ['worker1', 'worker2'] }), status: status('IPsec', 2, 0) };
    });
    const r = run({ FAKE: fake });
    assert.strictEqual(r.code, 1);
    assert.strictEqual(
      r.stderr,
      "ipsec-wait: timed out after 0s waiting for IPsec with key id 3 on every node; last: control-plane: encrypt status mode 'Disabled', expected IPsec; keys in use '0', expected at least 4 | worker1: encrypt status errors '2', expected 0 | worker2: keys in use '2', expected at least 4; no SA with SPI 3 from worker1 to worker2\n",
    );
    assert.strictEqual(r.stdout, '');
    fs.rmSync(path.join(fake, 'worker2.addr'));
    const gone = run({ FAKE: fake });
    assert.strictEqual(gone.code, 1);
    assert.match(gone.stderr, /\| worker2: no Running Cilium agent pod on worker2$/m);
  });

  it('a wrong key id is not ready: the agents carry SPI 3, the config says 4', () => {
    const fake = cluster((n) => ({ xfrm: xfrmFor(n, [3]), status: status('IPsec', 4, 0) }));
    const r = run({ FAKE: fake, KEY_ID: '4' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /worker1: no SA with SPI 4 from worker1 to control-plane; no SA with SPI 4 from control-plane to worker1; /);
  });

  it('SAS_ONLY (the rotation wait): the new SPI in both directions for every pair is enough, keys doubled and errors aside', () => {
    const fake = cluster((n) => ({ xfrm: xfrmFor(n, [3, 4]), status: status('IPsec', 8, 3) }));
    const r = run({ FAKE: fake, KEY_ID: '4', SAS_ONLY: '1' });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node=control-plane agent=cilium-control-plane mode=IPsec keys_in_use=8 errors=3 spis=3,4 peers_ok=2\/2$/m);
    const half = cluster((n) => ({ xfrm: n === 'worker2' ? xfrmFor(n, [3]) : xfrmFor(n, [3, 4]), status: status('IPsec', 8, 0) }));
    const h = run({ FAKE: half, KEY_ID: '4', SAS_ONLY: '1' });
    assert.strictEqual(h.code, 1);
    assert.match(h.stderr, /worker2: no SA with SPI 4 from worker2 to control-plane/);
    assert.ok(!/worker1:/.test(h.stderr), h.stderr);
  });

  it('refuses bad inputs before asking the cluster', () => {
    for (const [env, msg] of [
      [{ KEY_ID: '16' }, /KEY_ID must be 1\.\.15, got '16'/],
      [{ EXPECTED_NODES: 'worker1' }, /EXPECTED_NODES must name at least two nodes/],
      [{ TIMEOUT_SECONDS: 'soon' }, /timeout_s must be a non-negative integer/],
    ] as [Record<string, string>, RegExp][]) {
      const r = run({ FAKE: dir, ...env });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, msg);
      assert.ok(!fs.existsSync(log()));
    }
  });
});
