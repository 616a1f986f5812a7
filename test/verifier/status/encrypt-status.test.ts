/**
 * parseEncryptStatus on `cilium-dbg encrypt status` / `cilium encrypt status` texts of the released forms
 * (./forms.ts, each from a public source), the re-export the lab imports (components/proof/parse.ts), and
 * the waits' reader on the nodes (scripts/vm/lib.sh encrypt_status_read) held to the same reading of every
 * form, so the readiness gate and the judge cannot read one agent differently.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { parseEncryptStatus, type EncryptStatus } from '../../../components/verifier/status/encrypt-status';
import { parseEncryptStatus as fromProof } from '../../../components/proof/parse';
import { REPO_ROOT } from '../../../components/repo';
import { runCommand } from '../../helpers/stand-ins';
import { DISABLED_NOTES, ERRORS, FORMS, V111, V114, V115, V119_IPSEC_NO_KEYS, V119_WIREGUARD_MISMATCH, WIREGUARD_TWO, WITH_AGENT } from './forms';

describe('verifier parseEncryptStatus (cilium-dbg encrypt status)', () => {
  it('1.15+ IPsec: mode, decryption interfaces, keys, max sequence number, errors', () => {
    const st = parseEncryptStatus(V115);
    assert.deepEqual([st.mode, st.encryption, st.decryptionInterfaces, st.keysInUse, st.maxSeqNumber, st.maxSeqUsed, st.maxSeqBits, st.errors],
      ['IPsec', 'ipsec', ['eth0', 'eth1', 'eth2'], 1, '0x6e/0xffffffff', 0x6e, 32, 0]);
    assert.deepEqual(st.errorsByReason, {});
    assert.deepEqual(st.unknownLines, []);
    assert.equal(st.fields['Keys in use'], '1');
  });

  it('1.14 as pasted: padding trimmed, empty interface list, N/A, the prompt kept as an unknown line', () => {
    const st = parseEncryptStatus(V114);
    assert.deepEqual([st.mode, st.decryptionInterfaces, st.keysInUse, st.maxSeqNumber, st.maxSeqUsed, st.errors],
      ['IPsec', [], 1, 'N/A', undefined, 0]);
    assert.deepEqual(st.unknownLines, ['root@kind-worker2:/home/cilium# cilium encrypt status']);
  });

  it('the early form: "Max. sequence number", NodeEncryption, per-reason lines without a colon', () => {
    const st = parseEncryptStatus(V111);
    assert.deepEqual([st.mode, st.encryption, st.nodeEncryption, st.keysInUse, st.maxSeqNumber, st.maxSeqUsed, st.errors],
      ['ipsec', 'ipsec', 'disabled', 2, '0xffffbd4f/0xffffffff', 0xffffbd4f, 12]);
    assert.deepEqual(st.errorsByReason, { XfrmInStateProtoError: 12 });
    assert.deepEqual(st.unknownLines, ['cilium encrypt status']);
  });

  it('per-reason error lines with a colon; a 64-bit sequence limit', () => {
    const st = parseEncryptStatus(ERRORS);
    assert.equal(st.errors, 5);
    assert.deepEqual(st.errorsByReason, { XfrmInNoStates: 3, XfrmInStateProtoError: 2 });
    assert.deepEqual([st.maxSeqUsed, st.maxSeqBits, st.keysInUse], [0x1d, 64, 4]);
    assert.equal(st.fields.XfrmInNoStates, '3', 'as before: every "Name: value" line in fields');
  });

  it('WireGuard: the interface, its public key and number of peers; no IPsec fields', () => {
    const st = parseEncryptStatus(WITH_AGENT);
    assert.deepEqual([st.agent, st.mode, st.encryption], ['cilium-7xk2p', 'Wireguard', 'wireguard']);
    assert.deepEqual(st.wireguard, [{ name: 'cilium_wg0', publicKey: 'GsIGt1Juo6p8gR93driyMD5FwFu2uOBBYGVsZtfQxho=', peers: 1 }]);
    assert.deepEqual([st.keysInUse, st.errors, st.maxSeqNumber], [undefined, undefined, undefined]);
    assert.deepEqual(st.unknownLines, []);
    const two = parseEncryptStatus(WIREGUARD_TWO);
    assert.deepEqual(two.wireguard?.map((w) => [w.name, w.peers]), [['cilium_wg0', 1], ['cilium_wg1', 3]]);
  });

  it('Disabled; kubectl notes and unknown fields are kept, not dropped', () => {
    const st = parseEncryptStatus(DISABLED_NOTES);
    assert.deepEqual([st.mode, st.encryption], ['Disabled', 'disabled']);
    assert.deepEqual(st.unknownLines, ['Defaulted container "cilium-agent" out of: cilium-agent, config (init), mount-cgroup (init)',
      'Strict mode: enabled']);
  });

  it('1.19: the Msg line as `message`; the IPsec mode alone before any key is installed', () => {
    const wg = parseEncryptStatus(V119_WIREGUARD_MISMATCH);
    assert.equal(wg.message, 'interface "cilium_wg0": peer count mismatch (agent=2, kernel=1)');
    assert.deepEqual([wg.encryption, wg.wireguard?.[0].peers], ['wireguard', 1]);
    assert.deepEqual(wg.unknownLines, []);
    const bare = parseEncryptStatus(V119_IPSEC_NO_KEYS);
    assert.deepEqual([bare.encryption, bare.keysInUse, bare.errors], ['ipsec', undefined, undefined]);
  });

  it('the lab imports the same parser from components/proof/parse', () => {
    assert.equal(fromProof, parseEncryptStatus);
  });
});

/** What the waits read from a status, as parseEncryptStatus reads it. */
function waitView(st: EncryptStatus): Record<string, string> {
  const out: Record<string, string> = {};
  if (st.mode !== undefined) out.mode = st.mode;
  if (st.keysInUse !== undefined) out.keys_in_use = String(st.keysInUse);
  if (st.errors !== undefined) out.errors = String(st.errors);
  for (const [k, v] of Object.entries(st.errorsByReason)) out[`xfrm.${k}`] = String(v);
  if (st.wireguard) {
    out.wireguard_interfaces = String(st.wireguard.length);
    out.wireguard_peers = String(st.wireguard.reduce((n, w) => n + (w.peers ?? 0), 0));
  }
  if (st.message !== undefined) out.message = st.message;
  return out;
}

describe('scripts/vm/lib.sh encrypt_status_read (the waits on the nodes) reads every form as parseEncryptStatus does', () => {
  const lib = path.join(REPO_ROOT, 'scripts', 'vm', 'lib.sh');
  for (const [name, text] of Object.entries(FORMS)) {
    it(name, () => {
      const r = runCommand(['bash', '-c', `. ${JSON.stringify(lib)}; encrypt_status_read`], { input: text });
      assert.equal(r.code, 0, r.stderr);
      const shell = Object.fromEntries(r.stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const ts = waitView(parseEncryptStatus(text));
      assert.ok(Object.keys(ts).length > 0, 'the parser read something');
      assert.deepEqual(shell, ts);
    });
  }
});
