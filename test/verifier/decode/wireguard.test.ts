/**
 * WireGuard decoder (whitepaper 5.4) on scapy-made frames (scapy.contrib.wireguard, from the fixture generator):
 * the layer stack, the fields read back, the lengths each type must have, the port table, and truncation at
 * every byte.
 *
 * Transport data, node 2 -> node 1 (frame 5 of wireguard-encrypted.pcap), 170 octets:
 *   0000  52 54 00 aa 00 01 52 54 00 11 00 01 08 00 45 00   Ethernet, IPv4 192.168.44.128 -> 192.168.211.128
 *   0020  .. .. ca 9f ca 9f 00 88 3f 6e                     UDP 51871 -> 51871, length 136
 *   002a  04 00 00 00 f1 9a 3b be 00 00 00 00 00 00 00 00   type 4, receiver 0xbe3b9af1 (LE), counter 0 (LE 64)
 *   003a  cc cb 91 41 ...                                   ChaCha20-Poly1305 ciphertext + 16-octet tag
 */
import * as assert from 'node:assert/strict';
import { PacketDecoder } from '../../../components/verifier/decode/decoder';
import { L, LayerStack } from '../../../components/verifier/decode/layers';
import {
  WG_COOKIE_REPLY, WG_INITIATION, WG_INVALID, WG_RESPONSE, WG_TRANSPORT, decodeWireguard, wgCounter, wgReceiverIndex, wgSenderIndex,
} from '../../../components/verifier/decode/wireguard';
import { COOKIE, INITIATION, KEEPALIVE, RESPONSE, TRANSPORT, WG_AT } from './wireguard-frames';


const decoder = new PacketDecoder({ vxlanPorts: [8472, 4789], genevePorts: [6081] });

function decode(buf: Buffer, d = decoder): LayerStack {
  const st = new LayerStack();
  d.decodeFrame(buf, 0, buf.length, 1, st);
  return st;
}

/** Runs the decoder on a bare UDP payload (as if the UDP layer had trimmed it to `msg`). */
function decodeMessage(msg: Buffer, truncated = false): { type: L; aux: number } | undefined {
  const st = new LayerStack();
  st.bufs[0] = msg;
  st.truncated = truncated;
  decodeWireguard(msg, 0, msg.length, st, decoder.ctx);
  return st.count === 0 ? undefined : { type: st.type[0], aux: st.aux[0] };
}

describe('verifier decoder: WireGuard (whitepaper 5.4)', () => {
  const CASES: [string, Buffer, number, { sender?: number; receiver?: number; counter?: number }][] = [
    ['handshake initiation (148 octets)', INITIATION, WG_INITIATION, { sender: 0xbe3b9af1 }],
    ['handshake response (92 octets)', RESPONSE, WG_RESPONSE, { sender: 0x87903204, receiver: 0xbe3b9af1 }],
    ['cookie reply (64 octets)', COOKIE, WG_COOKIE_REPLY, { receiver: 0x0badcafe }],
    ['transport data', TRANSPORT, WG_TRANSPORT, { receiver: 0xbe3b9af1, counter: 0 }],
    ['keepalive (transport data, 32 octets)', KEEPALIVE, WG_TRANSPORT, { receiver: 0xbe3b9af1, counter: 4 }],
  ];
  for (const [name, frame, type, ids] of CASES) {
    it(`${name}: eth/ipv4/udp/wireguard, type and indexes read back little-endian`, () => {
      const st = decode(frame);
      assert.equal(st.path(), 'eth/ipv4/udp/wireguard');
      assert.equal(st.truncated || st.malformed, false);
      const i = st.find(L.WIREGUARD);
      assert.equal(st.off[i], WG_AT);
      assert.equal(st.len[i], frame.length - WG_AT);
      assert.equal(st.aux[i], type);
      const len = st.len[i];
      assert.equal(wgSenderIndex(frame, WG_AT, len, type), ids.sender ?? -1);
      assert.equal(wgReceiverIndex(frame, WG_AT, len, type), ids.receiver ?? -1);
      if (ids.counter !== undefined) assert.equal(wgCounter(frame, WG_AT, len), ids.counter);
    });
  }

  it('lengths are checked first: every type has its length, anything else on the port is invalid', () => {
    const msg = (type: number, len: number, reserved = 0) => {
      const b = Buffer.alloc(len, 0xab);
      b[0] = type;
      b[1] = reserved;
      b[2] = 0;
      b[3] = 0;
      return b;
    };
    const valid: [number, number][] = [[1, 148], [2, 92], [3, 64], [4, 32], [4, 33], [4, 1440]];
    for (const [t, n] of valid) assert.equal(decodeMessage(msg(t, n))?.aux, t, `type ${t}, ${n} octets`);
    const invalid: [number, number, number?][] = [[1, 147], [1, 149], [2, 91], [2, 93], [3, 63], [3, 65], [4, 31], [4, 16],
      [0, 148], [5, 148], [255, 64], [4, 64, 1], [1, 148, 0x80]];
    for (const [t, n, r] of invalid) {
      assert.deepEqual(decodeMessage(msg(t, n, r)), { type: L.WIREGUARD, aux: WG_INVALID }, `type ${t}, ${n} octets, reserved ${r ?? 0}`);
    }
    assert.deepEqual(decodeMessage(Buffer.from([4, 0])), { type: L.WIREGUARD, aux: WG_INVALID }, 'a 2-octet datagram');
    // cut by the snap length: the real length is unknown, the type stands; shorter than the type word: nothing
    assert.equal(decodeMessage(msg(1, 60), true)?.aux, WG_INITIATION);
    assert.equal(decodeMessage(msg(4, 20), true)?.aux, WG_TRANSPORT);
    assert.equal(decodeMessage(Buffer.from([4, 0]), true), undefined);
  });

  it('recognised on UDP 51871 by default, on the ports given instead when configured', () => {
    const other = new PacketDecoder({ vxlanPorts: [8472], genevePorts: [6081], wireguardPorts: [51820] });
    assert.equal(decode(TRANSPORT, other).path(), 'eth/ipv4/udp');
    const moved = Buffer.from(TRANSPORT);
    moved.writeUInt16BE(51820, 34);
    moved.writeUInt16BE(51820, 36);
    assert.equal(decode(moved, other).path(), 'eth/ipv4/udp/wireguard');
    assert.equal(decode(moved).path(), 'eth/ipv4/udp');
    assert.throws(() => new PacketDecoder({ vxlanPorts: [], genevePorts: [], wireguardPorts: [0] }), /UDP port 0/);
  });

  it('truncation at every byte: never throws, a cut message keeps its type, the fields are read only when present', () => {
    for (const frame of [INITIATION, RESPONSE, COOKIE, TRANSPORT, KEEPALIVE]) {
      const type = frame[WG_AT];
      for (let n = 0; n <= frame.length; n++) {
        const st = new LayerStack();
        decoder.decodeFrame(frame, 0, n, 1, st);
        const i = st.find(L.WIREGUARD);
        if (n < WG_AT + 4) {
          assert.equal(i, -1, `cut at ${n}: no WireGuard layer`);
          continue;
        }
        assert.ok(i >= 0, `cut at ${n}: ${st.path()}`);
        assert.equal(st.aux[i], type, `cut at ${n}`);
        assert.equal(st.truncated, n < frame.length, `cut at ${n}`);
        const len = st.len[i];
        const r = wgReceiverIndex(frame, WG_AT, len, type);
        if (type !== WG_INITIATION) assert.equal(r >= 0, len >= (type === WG_RESPONSE ? 12 : 8), `cut at ${n}`);
        if (type === WG_TRANSPORT) assert.equal(wgCounter(frame, WG_AT, len) >= 0, len >= 16);
      }
    }
  });
});
