/**
 * The engine suite's judgements (test/engine/checks.ts) on states shaped as `pulumi stack export`
 * prints them (apitype.DeploymentV3 / ResourceV3, github.com/pulumi/pulumi sdk/v3 v3.248.0
 * go/common/apitype/core.go), so that each can fail: a stale result, a replacement, a leaked secret.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as zlib from 'zlib';
import { scriptCommandLine } from '../../components/remote';
import {
  describeChanges,
  ipsecProbe,
  noChanges,
  pemProbe,
  remoteResults,
  secretsInFiles,
  staleResults,
  stateChanges,
  stateResources,
  tokenProbe,
  type StateResource,
} from './checks';

const URN = (type: string, name: string) => `urn:pulumi:engine::cilium-ipsec-lab::${type}::${name}`;
const ROUTER = '192.168.205.2';
const W1 = '192.168.216.128';

function remote(name: string, create: string, modified: string, extra: Partial<StateResource> = {}): StateResource {
  return {
    urn: URN('command:remote:Command', name),
    type: 'command:remote:Command',
    id: `${name}-id`,
    inputs: { create, stdin: { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', ciphertext: 'v1:abc' } },
    outputs: {},
    created: '2026-12-07T06:00:00.000Z',
    modified,
    ...extra,
  };
}

describe('engine suite: judging the state', () => {
  it('reads `pulumi stack export` and refuses anything else', () => {
    const rs = stateResources({ version: 3, deployment: { manifest: {}, resources: [{ urn: URN('pulumi:pulumi:Stack', 'x'), type: 'pulumi:pulumi:Stack' }] } });
    assert.strictEqual(rs.length, 1);
    assert.throws(() => stateResources({ version: 3 }), /no deployment\.resources array/);
    assert.throws(() => stateResources({ deployment: { resources: [{ id: 'x' }] } }), /resources\[0\] has no urn or type/);
  });

  it('places each remote result on its VM by the command text the lab sends (router, or ssh lab@NODE from it)', () => {
    const rs = [
      remote('router-cloud-init', scriptCommandLine('create', 'cloud-init-wait.sh'), '2026-12-07T06:10:00.000Z'),
      remote('proof-facts-before-worker1', scriptCommandLine('create', 'facts.sh', W1), '2026-12-07T06:20:00.000Z'),
      remote('old', scriptCommandLine('create', 'facts.sh', W1), '2026-12-07T06:00:00.000Z', { delete: true }),
      { urn: URN('command:local:Command', 'net-seg1'), type: 'command:local:Command', inputs: { create: 'bash scripts/host/network.sh create' } },
    ];
    assert.deepStrictEqual(remoteResults(rs, ROUTER), [
      { name: 'router-cloud-init', ip: ROUTER, taken: Date.parse('2026-12-07T06:10:00.000Z') / 1000 },
      { name: 'proof-facts-before-worker1', ip: W1, taken: Date.parse('2026-12-07T06:20:00.000Z') / 1000 },
    ]);
    assert.throws(() => remoteResults([remote('x', 'c', 'not a time')], ROUTER), /x: no created\/modified time/);
  });

  it('a result older than its VM, or on a VM that is not running, is stale', () => {
    const t = (iso: string) => Date.parse(iso) / 1000;
    const results = [
      { name: 'router-cloud-init', ip: ROUTER, taken: t('2026-12-07T06:10:00Z') },
      { name: 'proof-facts-before-worker1', ip: W1, taken: t('2026-12-07T06:20:00Z') },
    ];
    assert.deepStrictEqual(staleResults(results, (ip) => (ip === ROUTER ? t('2026-12-07T06:05:00Z') : t('2026-12-07T06:15:00Z'))), []);
    assert.deepStrictEqual(staleResults(results, (ip) => (ip === ROUTER ? t('2026-12-07T06:05:00Z') : t('2026-12-07T06:30:00Z'))), [
      'proof-facts-before-worker1: taken at 2026-12-07T06:20:00Z, before 192.168.216.128 started at 2026-12-07T06:30:00Z',
    ]);
    assert.deepStrictEqual(staleResults(results, (ip) => (ip === ROUTER ? t('2026-12-07T06:05:00Z') : undefined)), [
      'proof-facts-before-worker1: taken at 2026-12-07T06:20:00Z on 192.168.216.128, which is not running',
    ]);
  });

  it('tells created, deleted, replaced, updated and left-for-deletion resources apart', () => {
    const r = (name: string, id: string, modified: string, extra: Partial<StateResource> = {}): StateResource => ({ urn: URN('random:index/randomId:RandomId', name), type: 'random:index/randomId:RandomId', id, modified, ...extra });
    const before = [r('a', '1', 'm1'), r('b', '2', 'm1'), r('c', '3', 'm1'), r('d', '4', 'm1')];
    assert.ok(noChanges(stateChanges(before, before)));
    const after = [r('a', '1', 'm1'), r('b', '9', 'm2'), r('b', '2', 'm1', { delete: true }), r('c', '3', 'm2'), r('e', '5', 'm2')];
    const ch = stateChanges(before, after);
    assert.deepStrictEqual(ch, { created: ['e'], deleted: ['d'], replaced: ['b'], updated: ['c'], pendingDelete: ['b'] });
    assert.strictEqual(describeChanges(ch), 'created: e; deleted: d; replaced: b; updated: c; pendingDelete: b');
    assert.strictEqual(describeChanges(stateChanges(before, before)), 'nothing');
  });
});

describe('engine suite: secrets in the backend files', () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const token = 'abcdef.0123456789abcdef';
  const hex = crypto.randomBytes(20).toString('hex');
  const ipsec = `3+ rfc4106(gcm(aes)) ${hex} 128`;
  const probes = [pemProbe('CA key', pem), tokenProbe('bootstrap token', token), ipsecProbe('IPsec key', ipsec)];

  it('finds each secret however a state file holds it in plain text: JSON-escaped, one PEM line, base64, the random bytes alone', () => {
    const file = (path: string, text: string) => ({ path, content: Buffer.from(text) });
    const line = pem.split('\n')[3];
    const files = [
      file('stacks/a.json', JSON.stringify({ outputs: { privateKeyPem: pem } })),
      file('stacks/b.json', `{"x": "${line}"}`),
      file('stacks/c.json', JSON.stringify({ result: '0123456789abcdef' })),
      file('stacks/d.json', JSON.stringify({ hex })),
      file('stacks/e.json', JSON.stringify({ b64Url: Buffer.from(hex, 'hex').toString('base64url') })),
      { path: 'stacks/f.json.gz', content: zlib.gzipSync(Buffer.from(JSON.stringify({ id: token }))) },
      file('stacks/clean.json', JSON.stringify({ ciphertext: 'v1:AAAA', '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270' })),
    ];
    assert.deepStrictEqual(secretsInFiles(files, probes), [
      'CA key in stacks/a.json (probe 1 of ' + probes[0].needles.length + ')',
      `CA key in stacks/b.json (probe ${probes[0].needles.indexOf(line) + 1} of ${probes[0].needles.length})`,
      'bootstrap token in stacks/c.json (probe 2 of 2)',
      'IPsec key in stacks/d.json (probe 2 of 4)',
      'IPsec key in stacks/e.json (probe 4 of 4)',
      'bootstrap token in stacks/f.json.gz (probe 1 of 2)',
    ]);
  });

  it('refuses a value that is not what the probe expects (a probe that finds nothing would pass everything)', () => {
    assert.throws(() => pemProbe('k', 'not a key'), /k: not a PEM or OpenSSH key/);
    assert.throws(() => tokenProbe('t', 'abc'), /t: not a bootstrap token/);
    assert.throws(() => ipsecProbe('i', '3+ rfc4106(gcm(aes)) zz 128'), /i: not a Cilium IPsec key value/);
  });
});
