/**
 * parseEncryptStatus on `cilium-dbg encrypt status` / `cilium encrypt status` texts of the released forms, each
 * from a public source named above it, and the re-export the lab imports (components/proof/parse.ts).
 */
import { strict as assert } from 'node:assert';
import { parseEncryptStatus } from '../../../components/verifier/status/encrypt-status';
import { parseEncryptStatus as fromProof } from '../../../components/proof/parse';

// cilium/cilium#28640 (the pull request that added the decryption interfaces, 1.15), its description.
const V115 = `Encryption: IPsec
Decryption interface(s): eth0, eth1, eth2
Keys in use: 1
Max Seq. Number: 0x6e/0xffffffff
Errors: 0
`;

// cilium/cilium#30294 (Cilium 1.14.5 in kind): the prompt, the padding after the values, an empty interface list
// and "N/A" before any packet, as pasted.
const V114 = `root@kind-worker2:/home/cilium# cilium encrypt status
Encryption: IPsec                     
Decryption interface(s): 
Keys in use: 1                         
Max Seq. Number: N/A
Errors: 0   
`;

// cilium/cilium#17274 (2021, the first release of the command): indented, lower-case mode, NodeEncryption,
// "Max. sequence number" and a per-reason error line without a colon.
const V111 = `cilium encrypt status
  Encryption: ipsec
  NodeEncryption: disabled
  Keys in use: 2
  Max. sequence number: 0xffffbd4f/0xffffffff
  Errors: 12
    XfrmInStateProtoError 12
`;

// printEncryptionStatus in cilium/cilium cilium-dbg/cmd/encrypt_status.go prints errors as "\t%s: %-26d\n" and
// each WireGuard device as "Interface: %s", "\tPublic key: %s", "\tNumber of peers: %d"; the key and the peer
// count here are the ones cilium/cilium#15833 shows for cilium_wg0.
const ERRORS = `Encryption: IPsec                     \nDecryption interface(s): enp1s0\nKeys in use: 4                         \n`
  + `Max Seq. Number: 0x1d/0xffffffffffffffff\nErrors: 5                         \n`
  + `\tXfrmInNoStates: 3                         \n\tXfrmInStateProtoError: 2                         \n`;
const WIREGUARD = `Encryption: Wireguard                 \nInterface: cilium_wg0\n`
  + `\tPublic key: GsIGt1Juo6p8gR93driyMD5FwFu2uOBBYGVsZtfQxho=\n\tNumber of peers: 1\n`;

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
    const st = parseEncryptStatus(`agent=cilium-7xk2p\n${WIREGUARD}`);
    assert.deepEqual([st.agent, st.mode, st.encryption], ['cilium-7xk2p', 'Wireguard', 'wireguard']);
    assert.deepEqual(st.wireguard, [{ name: 'cilium_wg0', publicKey: 'GsIGt1Juo6p8gR93driyMD5FwFu2uOBBYGVsZtfQxho=', peers: 1 }]);
    assert.deepEqual([st.keysInUse, st.errors, st.maxSeqNumber], [undefined, undefined, undefined]);
    assert.deepEqual(st.unknownLines, []);
    const two = parseEncryptStatus(`${WIREGUARD}Interface: cilium_wg1\n\tPublic key: 6gdyrnQ9ahwDNv0Q7gj2UI2h9MUITh+O7xb2wdacKQA=\n\tNumber of peers: 3\n`);
    assert.deepEqual(two.wireguard?.map((w) => [w.name, w.peers]), [['cilium_wg0', 1], ['cilium_wg1', 3]]);
  });

  it('Disabled; kubectl notes and unknown fields are kept, not dropped', () => {
    const st = parseEncryptStatus('Defaulted container "cilium-agent" out of: cilium-agent, config (init), mount-cgroup (init)\n'
      + 'Encryption: Disabled                  \nStrict mode: enabled\n');
    assert.deepEqual([st.mode, st.encryption], ['Disabled', 'disabled']);
    assert.deepEqual(st.unknownLines, ['Defaulted container "cilium-agent" out of: cilium-agent, config (init), mount-cgroup (init)',
      'Strict mode: enabled']);
  });

  it('the lab imports the same parser from components/proof/parse', () => {
    assert.equal(fromProof, parseEncryptStatus);
  });
});
