/**
 * The lab suite's judgements (test/lab/checks.ts) on outputs made the way a lab makes them: captures built
 * in the test, the real verifier and runVerification on them, wrapped as `lab outputs --json` prints them;
 * and on Pulumi's own step lines as the engine suite's real runs printed them.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { verifiedCapture } from '../proof/helpers/verified';
import { leftovers, resourceTimings, secretIdentity, secretPatchedCheck, stageChecks, switchChecks } from './checks';

async function outputsOf(dir: string, encryption: 'none' | 'ipsec'): Promise<Record<string, unknown>> {
  const verification = await verifiedCapture(dir, path.join('captures', `1-${encryption}.pcap`), encryption);
  return { encryption, kubeconfig: '[secret]', verification: JSON.parse(JSON.stringify(verification)) };
}

const failing = (cs: { name: string; ok: boolean }[]) => cs.filter((c) => !c.ok).map((c) => c.name);

describe('lab suite checks', () => {
  let dir: string;
  let clear: Record<string, unknown>;
  let ipsec: Record<string, unknown>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-suite-checks-'));
    clear = await outputsOf(path.join(dir, 'a'), 'none');
    ipsec = await outputsOf(path.join(dir, 'b'), 'ipsec');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a verified cleartext run passes the unencrypted stage, and fails the ipsec stage', () => {
    assert.deepStrictEqual(failing(stageChecks('unencrypted', clear)), []);
    const asIpsec = failing(stageChecks('ipsec', clear));
    assert.ok(asIpsec.includes('ipsec: expected encrypted (ipsec)') && asIpsec.includes("ipsec: ESP decrypted with the nodes' keys"), asIpsec.join(', '));
  });

  it('a verified IPsec run passes the ipsec stage: ESP decrypted, the nonce only inside', () => {
    const cs = stageChecks('ipsec', ipsec);
    assert.deepStrictEqual(failing(cs), []);
    assert.match(cs.find((c) => c.name === 'ipsec: the nonce inside the ESP only')!.detail, /cleartext 0, decrypted [1-9]/);
    assert.ok(failing(stageChecks('unencrypted', ipsec)).length > 0);
  });

  it('the rotation stage fails without a rotation in the verification', () => {
    assert.deepStrictEqual(failing(stageChecks('rotation', ipsec)), ['rotation: rotation judged']);
  });

  it('nothing to judge fails: no verification, or one without a capture', () => {
    assert.deepStrictEqual(failing(stageChecks('wireguard', {})), ['wireguard: verification readable']);
    const v = JSON.parse(JSON.stringify(clear)) as { verification: Record<string, unknown> };
    delete v.verification.frames;
    delete v.verification.nonce;
    assert.deepStrictEqual(failing(stageChecks('unencrypted', v)), ['unencrypted: a capture was judged', 'unencrypted: the nonce seen in cleartext']);
    const bad = JSON.parse(JSON.stringify(ipsec)) as { verification: { nonce: Record<string, unknown> } };
    bad.verification.nonce.decryptedHits = 'many';
    assert.deepStrictEqual(failing(stageChecks('ipsec', bad)), ['ipsec: verification readable'], 'read by the lab command\'s one reader');
  });

  it('after the switch: verification.before in mode none and both captures on disk', () => {
    const switched = JSON.parse(JSON.stringify(ipsec)) as { verification: Record<string, unknown> };
    switched.verification.before = (clear as { verification: unknown }).verification;
    assert.deepStrictEqual(failing(switchChecks(switched, ['1-none.pcap', '1-none.json', '2-ipsec.pcap'])), []);
    assert.deepStrictEqual(failing(switchChecks(ipsec, ['2-ipsec.pcap'])), [
      'ipsec: the run before the switch is kept in verification.before',
      'ipsec: both captures kept (none and ipsec)',
    ]);
  });

  it("Pulumi's step lines: type, name, operation and seconds, in the order they ended", () => {
    // Lines as the real CLI printed them (engine suite run 2) and a replace and an update in its format.
    const out = [
      '    +  command:local:Command cluster-worker1-domain created (161s) domain cil-engine-worker1 running (autostart)',
      '    +  random:index:RandomString keys-token-secret created (0.01s)',
      '    ~  kubernetes:core/v1:Secret cilium-ipsec-secret updated (1.2s) [diff: ~stringData]',
      '    +-  command:remote:Command proof-nonce replaced (0.31s) [diff: ~triggers]',
      ' ++ command:local:Command cluster-worker2-seed created replacement (0.23s) [diff: ~environment]; volume uploaded',
      ' -- command:local:Command cluster-worker2-seed deleted original (1.5s) [diff: ~environment]',
      '    +  command:remote:Command cluster-init creating (12s) ',
      'Resources:',
    ].join('\n');
    assert.deepStrictEqual(resourceTimings(out), [
      { type: 'command:local:Command', name: 'cluster-worker1-domain', op: 'created', seconds: 161 },
      { type: 'random:index:RandomString', name: 'keys-token-secret', op: 'created', seconds: 0.01 },
      { type: 'kubernetes:core/v1:Secret', name: 'cilium-ipsec-secret', op: 'updated', seconds: 1.2 },
      { type: 'command:remote:Command', name: 'proof-nonce', op: 'replaced', seconds: 0.31 },
      { type: 'command:local:Command', name: 'cluster-worker2-seed', op: 'created', seconds: 0.23 },
      { type: 'command:local:Command', name: 'cluster-worker2-seed', op: 'deleted', seconds: 1.5 },
    ]);
  });

  it('the key Secret patched in place: same uid, new resourceVersion, only updated steps', () => {
    const state = (uid: string, rv: string) => ({
      deployment: { resources: [{ type: 'kubernetes:core/v1:Secret', outputs: { metadata: { name: 'cilium-ipsec-keys', uid, resourceVersion: rv } } }] },
    });
    const a = secretIdentity(state('u1', '100'), 'cilium-ipsec-keys');
    assert.deepStrictEqual(a, { uid: 'u1', resourceVersion: '100' });
    const upd = [{ type: 'kubernetes:core/v1:Secret', name: 's', op: 'updated', seconds: 1 }];
    assert.ok(secretPatchedCheck(a, secretIdentity(state('u1', '205'), 'cilium-ipsec-keys'), upd).ok);
    assert.ok(!secretPatchedCheck(a, secretIdentity(state('u2', '205'), 'cilium-ipsec-keys'), upd).ok, 'a new object is not a patch');
    assert.ok(!secretPatchedCheck(a, secretIdentity(state('u1', '100'), 'cilium-ipsec-keys'), upd).ok, 'an untouched Secret is not a rotation');
    assert.ok(!secretPatchedCheck(a, secretIdentity(state('u1', '205'), 'cilium-ipsec-keys'), [{ ...upd[0], op: 'replaced' }]).ok);
    assert.ok(!secretPatchedCheck(a, secretIdentity(state('u1', '205'), 'cilium-ipsec-keys'), []).ok, 'no step: nothing to judge');
    assert.strictEqual(secretIdentity(state('u1', '1'), 'other'), undefined);
    assert.ok(!secretPatchedCheck(undefined, undefined, upd).ok);
  });

  it('leftovers: only names under the prefixes', () => {
    assert.deepStrictEqual(leftovers(['cil-unencrypted-router', 'default', 'cil-ipsec-router', 'cil-wireguard-seg1'], ['cil-unencrypted-', 'cil-wireguard-']), [
      'cil-unencrypted-router',
      'cil-wireguard-seg1',
    ]);
  });
});
