/**
 * The encryption-mode and key-id records run for real, the way @pulumi/command runs them: create with no
 * PULUMI_COMMAND_STDOUT, update with the previous run's stdout in it (pulumi-command v1.2.1: an input
 * change runs update with the previous stdout; a trigger change replaces, running create). Every mode
 * transition and the key-id rules (next id, 15 wraps to 1, same length) are checked, and parseKeyRecord
 * reads what the script prints. A rotation window the record starts is noted in PENDING_FILE; RETRY naming
 * that attempt (what the program reads back from the note) starts the window again.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clearPendingRotation, IPSEC_KEY_BYTES, parseKeyRecord, pendingRotationAttempt, rotationPendingFile } from '../../components/encryption-records';

import { REPO_ROOT as REPO } from '../../components/repo';

/** The program's root for the pending note (a temp dir: never the repository's captures/). */
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'));
const STACK = 'rec';
const PENDING = path.join(ROOT, rotationPendingFile(STACK));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

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
    const env = (id: number, bytes = IPSEC_KEY_BYTES, retry?: number | string) => ({
      KEY_ID: String(id),
      KEY_BYTES: String(bytes),
      PENDING_FILE: PENDING,
      ...(retry !== undefined ? { RETRY: String(retry) } : {}),
    });
    beforeEach(() => fs.rmSync(PENDING, { force: true }));

    it('a first up (no record) is not a rotation and notes no window', () => {
      const r = run('ipsec-key-record.sh', env(3));
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, 'key_id=3\nkey_bytes=20\nrotation=none\n');
      assert.deepStrictEqual(parseKeyRecord(r.stdout), { keyId: 3 });
      assert.ok(!fs.existsSync(PENDING));
    });

    it('the next key id is a rotation, and 15 wraps to 1; its window is noted until the program clears it', () => {
      for (const [from, to] of [[3, 4], [14, 15], [15, 1]]) {
        const prev = run('ipsec-key-record.sh', env(from)).stdout;
        const r = run('ipsec-key-record.sh', env(to), prev);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(parseKeyRecord(r.stdout), { keyId: to, rotation: { from, to, attempt: 1 } });
        assert.strictEqual(pendingRotationAttempt(ROOT, STACK, to), 1);
        assert.strictEqual(pendingRotationAttempt(ROOT, STACK, from), undefined, 'the note is about the rotation to the new id');
        clearPendingRotation(ROOT, STACK, { from, to, attempt: 2 });
        assert.ok(fs.existsSync(PENDING), 'another attempt does not clear it');
        clearPendingRotation(ROOT, STACK, { from, to, attempt: 1 });
        assert.ok(!fs.existsSync(PENDING));
      }
    });

    it('an update without a key change keeps the last rotation (its steps stay), or none', () => {
      const first = run('ipsec-key-record.sh', env(4)).stdout;
      assert.deepStrictEqual(parseKeyRecord(run('ipsec-key-record.sh', env(4), first).stdout), { keyId: 4 });
      const rotated = run('ipsec-key-record.sh', env(4), run('ipsec-key-record.sh', env(3)).stdout).stdout;
      fs.rmSync(PENDING, { force: true });
      const again = run('ipsec-key-record.sh', env(4), rotated);
      assert.strictEqual(again.stdout, rotated, 'the same stdout: nothing keyed on it changes');
      assert.ok(!fs.existsSync(PENDING), 'no window started');
    });

    it("an unfinished window is started again: RETRY naming the record's attempt counts the next one, once", () => {
      const rotated = run('ipsec-key-record.sh', env(4), run('ipsec-key-record.sh', env(3)).stdout).stdout;
      const retried = run('ipsec-key-record.sh', env(4, IPSEC_KEY_BYTES, pendingRotationAttempt(ROOT, STACK, 4)), rotated);
      assert.strictEqual(retried.code, 0, retried.stderr);
      assert.deepStrictEqual(parseKeyRecord(retried.stdout), { keyId: 4, rotation: { from: 3, to: 4, attempt: 2 } });
      assert.strictEqual(pendingRotationAttempt(ROOT, STACK, 4), 2, 'the new window is noted');
      // A stale RETRY (an attempt already started again) starts nothing.
      const stale = run('ipsec-key-record.sh', env(4, IPSEC_KEY_BYTES, 1), retried.stdout);
      assert.strictEqual(stale.stdout, retried.stdout);
      // Once the window finished the program drops RETRY: the record keeps the attempt.
      clearPendingRotation(ROOT, STACK, { from: 3, to: 4, attempt: 2 });
      const done = run('ipsec-key-record.sh', env(4), retried.stdout);
      assert.strictEqual(done.stdout, retried.stdout);
      assert.strictEqual(pendingRotationAttempt(ROOT, STACK, 4), undefined);
      assert.match(run('ipsec-key-record.sh', env(4, IPSEC_KEY_BYTES, 'x'), rotated).stderr, /RETRY must be an attempt number, got 'x'/);
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
        assert.ok(!fs.existsSync(PENDING), 'a refused key id starts no window');
      }
    });

    it('names bad inputs', () => {
      assert.match(run('ipsec-key-record.sh', env(16)).stderr, /KEY_ID must be 1\.\.15, got '16'/);
      assert.match(run('ipsec-key-record.sh', { KEY_ID: '3' }).stderr, /environment variable KEY_BYTES is required/);
      assert.match(run('ipsec-key-record.sh', { KEY_ID: '3', KEY_BYTES: '20' }).stderr, /environment variable PENDING_FILE is required/);
    });
  });
});
