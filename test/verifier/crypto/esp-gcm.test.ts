/**
 * RFC 4106 decryption against ESP made by scapy's SecurityAssociation (an independent implementation): tunnel
 * and transport mode, ESN, wrong keys, and every cut of the packet.
 */
import * as assert from 'node:assert/strict';
import { GcmKey, decryptEspGcm } from '../../../components/verifier/crypto/esp-gcm';
import { PacketDecoder } from '../../../components/verifier/decode/decoder';
import { L, LayerStack } from '../../../components/verifier/decode/layers';
import * as F from '../decode/frames';

const decoder = new PacketDecoder();

/** Where the ESP layer of a frame is: [offset, end). */
function espOf(f: F.TestFrame): { buf: Buffer; off: number; end: number } {
  const buf = F.bytes(f);
  const st = new LayerStack();
  decoder.decodeFrame(buf, 0, buf.length, f.linkType, st);
  const i = st.find(L.ESP);
  assert.ok(i >= 0, `no ESP in ${st.path()}`);
  return { buf, off: st.off[i], end: st.off[i] + st.len[i] };
}

describe('verifier ESP AES-GCM decryption (RFC 4106, scapy-made ESP)', () => {
  it('tunnel mode: the manual method frame decrypts to the pod ICMP echo with the nonce (next header 4)', () => {
    const { buf, off, end } = espOf(F.espInVxlan);
    const r = decryptEspGcm(buf, off, end, new GcmKey(F.K1), -1);
    assert.ok(r);
    assert.equal(r.nextHeader, 4);
    assert.equal(r.payload[0] >> 4, 4);
    assert.equal(r.payload.readUInt16BE(2), r.payload.length, 'padding and trailer removed: IPv4 total length = payload');
    assert.deepEqual([...r.payload.subarray(12, 20)], [10, 0, 1, 50, 10, 0, 2, 60]);
    assert.ok(r.payload.includes(F.NONCE));
  });
  it('the reverse SA has its own key: K2 decrypts it, K1 does not', () => {
    const { buf, off, end } = espOf(F.espInVxlanReply);
    assert.ok(decryptEspGcm(buf, off, end, new GcmKey(F.K2), -1));
    assert.equal(decryptEspGcm(buf, off, end, new GcmKey(F.K1), -1), null);
  });
  it('Cilium >= 1.18 layout: the decrypted payload is node IP / UDP 8472 / VXLAN', () => {
    const { buf, off, end } = espOf(F.vxlanInEsp);
    const r = decryptEspGcm(buf, off, end, new GcmKey(F.K1), -1)!;
    const st = new LayerStack();
    st.reset();
    decoder.decodeFrom(L.IPV4, r.payload, 0, r.payload.length, st);
    assert.equal(st.path(), 'ipv4/udp/vxlan/eth/ipv4/icmp');
  });
  it('transport mode: next header 17, the payload is the UDP datagram', () => {
    const { buf, off, end } = espOf(F.espTransport);
    const r = decryptEspGcm(buf, off, end, new GcmKey(F.K1), -1)!;
    assert.equal(r.nextHeader, 17);
    assert.equal(r.payload.readUInt16BE(0), 1111);
    assert.equal(r.payload.readUInt16BE(2), 2222);
    assert.ok(r.payload.includes(F.NONCE));
  });
  it('ESP-in-UDP 4500 decrypts like ESP', () => {
    const { buf, off, end } = espOf(F.espInUdp);
    assert.equal(decryptEspGcm(buf, off, end, new GcmKey(F.K1), -1)?.nextHeader, 4);
  });
  it('ESN: the AAD carries the high sequence half; without it (or with the wrong one) the ICV fails', () => {
    const { buf, off, end } = espOf(F.espEsn);
    const k = new GcmKey(F.K1);
    assert.equal(buf.readUInt32BE(off + 4), 7, 'only the low half is on the wire');
    assert.ok(decryptEspGcm(buf, off, end, k, 1));
    assert.equal(decryptEspGcm(buf, off, end, k, -1), null);
    assert.equal(decryptEspGcm(buf, off, end, k, 0), null);
    assert.equal(decryptEspGcm(buf, off, end, k, 2), null);
  });
  it('a wrong key, a flipped ciphertext bit, a flipped ICV bit or a changed sequence number fail the ICV', () => {
    const { buf, off, end } = espOf(F.espInVxlan);
    const wrong = Buffer.from(F.K1);
    wrong[0] ^= 1;
    assert.equal(decryptEspGcm(buf, off, end, new GcmKey(wrong), -1), null);
    const salt = Buffer.from(F.K1);
    salt[19] ^= 1;
    assert.equal(decryptEspGcm(buf, off, end, new GcmKey(salt), -1), null, 'the salt is part of the nonce');
    for (const at of [off + 20, end - 1, off + 7]) {
      const b = Buffer.from(buf);
      b[at] ^= 0x80;
      assert.equal(decryptEspGcm(b, off, end, new GcmKey(F.K1), -1), null, `flip at ${at - off}`);
    }
  });
  it('every cut of the ESP packet fails cleanly (no throw)', () => {
    const { buf, off, end } = espOf(F.espInVxlan);
    const k = new GcmKey(F.K1);
    for (let e = off; e < end; e++) assert.equal(decryptEspGcm(buf, off, e, k, -1), null, `end ${e - off}`);
  });
  it('key material must be 20/28/36 bytes and the ICV 64/96/128 bits', () => {
    assert.throws(() => new GcmKey(Buffer.alloc(16)), /20, 28 or 36/);
    assert.throws(() => new GcmKey(Buffer.alloc(20), 100), /64, 96 or 128/);
    assert.equal(new GcmKey(Buffer.alloc(36)).cipher, 'aes-256-gcm');
    assert.equal(new GcmKey(Buffer.alloc(20), 96).icvLen, 12);
  });
});
