/**
 * The encryption-mode and key-id records run for real, the way @pulumi/command runs them: create with no
 * PULUMI_COMMAND_STDOUT, update with the previous run's stdout in it. Every mode transition and the key-id
 * rules (next id, 15 wraps to 1, same length) are checked, and parseKeyRecord reads what the script prints.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { IPSEC_KEY_BYTES, parseKeyRecord } from '../../components/encryption-records';

import { REPO_ROOT as REPO } from '../../components/repo';

function run(script: string, env: Record<string, string>, previous?: string) {
  const r = spawnSync('bash', [path.join(REPO, 'scripts', 'host', script)], {
    cwd: REPO,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env, ...(previous === undefined ? {} : { PULUMI_COMMAND_STDOUT: previous }) },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('encryption records (scripts/host/encryption-mode.sh, ipsec-key-record.sh)', () => {
  describe('encryption mode', () => {
    const modes = ['none', 'ipsec', 'wireguard'];
    for (const from of modes) {
      for (const to of modes) {
        const refused = (from === 'ipsec' && to === 'wireguard') || (from === 'wireguard' && to === 'ipsec');
        it(`${from} -> ${to}: ${refused ? 'refused, naming the way through none' : 'recorded'}`, () => {
          const first = run('encryption-mode.sh', { LAB_ENCRYPTION: from });
          assert.strictEqual(first.code, 0, first.stderr);
          assert.strictEqual(first.stdout, `previous=\nencryption=${from}\n`);
          const r = run('encryption-mode.sh', { LAB_ENCRYPTION: to }, first.stdout);
          if (refused) {
            assert.strictEqual(r.code, 1);
            assert.strictEqual(r.stdout, '');
            assert.match(r.stderr, new RegExp(`^encryption-mode\\.sh: lab:encryption ${from} -> ${to}: Cilium documents no in-place switch between IPsec and WireGuard .*nothing was changed\\. Switch to none first: pulumi config set lab:encryption none`));
          } else {
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, `previous=${from}\nencryption=${to}\n`);
          }
        });
      }
    }
    it('names a bad mode', () => {
      const r = run('encryption-mode.sh', { LAB_ENCRYPTION: 'macsec' });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /LAB_ENCRYPTION must be none, ipsec or wireguard, got 'macsec'/);
    });
  });

  describe('IPsec key id', () => {
    const env = (id: number, bytes = IPSEC_KEY_BYTES) => ({ KEY_ID: String(id), KEY_BYTES: String(bytes) });

    it('a first up (no record) is not a rotation', () => {
      const r = run('ipsec-key-record.sh', env(3));
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, 'key_id=3\nkey_bytes=20\nrotation=none\n');
      assert.deepStrictEqual(parseKeyRecord(r.stdout), { keyId: 3 });
    });

    it('the next key id is a rotation, and 15 wraps to 1', () => {
      for (const [from, to] of [[3, 4], [14, 15], [15, 1]]) {
        const prev = run('ipsec-key-record.sh', env(from)).stdout;
        const r = run('ipsec-key-record.sh', env(to), prev);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(parseKeyRecord(r.stdout), { keyId: to, rotation: { from, to } });
      }
    });

    it('an update without a key change (same id) is not a rotation', () => {
      const prev = run('ipsec-key-record.sh', env(4)).stdout;
      assert.deepStrictEqual(parseKeyRecord(run('ipsec-key-record.sh', env(4), prev).stdout), { keyId: 4 });
    });

    it('refuses a skipped, a lowered or a wrapped-wrong key id, and a key length change, naming the expected id', () => {
      const cases: [number, number, number, RegExp][] = [
        [3, 5, 20, /lab:ipsecKeyId 3 -> 5: a Cilium key rotation takes the next key id, 4 \(15 wraps to 1; Cilium's IPsec documentation, Key Rotation\); nothing was changed\. Set lab:ipsecKeyId 4$/m],
        [4, 3, 20, /lab:ipsecKeyId 4 -> 3: .*next key id, 5 /],
        [15, 2, 20, /lab:ipsecKeyId 15 -> 2: .*next key id, 1 /],
        [3, 4, 36, /lab:ipsecKeyId 3 -> 4: the key length changes from 20 to 36 bytes/],
      ];
      for (const [from, to, bytes, msg] of cases) {
        const prev = run('ipsec-key-record.sh', env(from)).stdout;
        const r = run('ipsec-key-record.sh', env(to, bytes), prev);
        assert.strictEqual(r.code, 1, `${from} -> ${to}`);
        assert.strictEqual(r.stdout, '');
        assert.match(r.stderr, msg);
      }
    });

    it('names bad inputs', () => {
      assert.match(run('ipsec-key-record.sh', env(16)).stderr, /KEY_ID must be 1\.\.15, got '16'/);
      assert.match(run('ipsec-key-record.sh', { KEY_ID: '3' }).stderr, /environment variable KEY_BYTES is required/);
    });
  });
});
