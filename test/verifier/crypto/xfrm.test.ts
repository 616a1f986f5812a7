/**
 * parseXfrmState on realistic `ip xfrm state` / `ip -s xfrm state` text (layouts of iproute2's xfrm_state_print:
 * Cilium's per-direction states with the 0.0.0.0 inbound source, an ESN state with its replay context, the -s
 * layout with "(160 bits)", "spi 0x..(N)", lifetime and stats blocks, a NULL-encryption and a CBC state).
 */
import * as assert from 'node:assert/strict';
import { XfrmParseError, parseXfrmState } from '../../../components/verifier/crypto/xfrm';
import { SaTable } from '../../../components/verifier/crypto/sa';

// `ip xfrm state` on a Cilium 1.16 node (three nodes: states for both peers, plus the 0.0.0.0 inbound state)
const CILIUM = `src 10.84.1.32 dst 10.84.0.30
	proto esp spi 0x00000003 reqid 1 mode tunnel
	replay-window 0
	mark 0x3cb23e00/0xffffff00 output-mark 0xe00/0xf00
	aead rfc4106(gcm(aes)) 0x64ad37a9d8a8f20fb2e74ef6000f9d580898719f 128
	anti-replay context: seq 0x0, oseq 0xc3, bitmap 0x00000000
	sel src 0.0.0.0/0 dst 0.0.0.0/0
src 0.0.0.0 dst 10.84.1.32
	proto esp spi 0x00000003 reqid 1 mode tunnel
	replay-window 0
	mark 0xd00/0xf00 output-mark 0xd00/0xf00
	aead rfc4106(gcm(aes)) 0x1aa4ac06e925dc94315ece4d18cd0ef36023fd3e 128
	anti-replay context: seq 0x0, oseq 0x1410, bitmap 0x00000000
	sel src 0.0.0.0/0 dst 0.0.0.0/0
src 10.84.1.32 dst 10.84.2.145
	proto esp spi 0x00000004 reqid 1 mode tunnel
	replay-window 0
	mark 0x7e63e00/0xffffff00 output-mark 0xe00/0xf00
	aead rfc4106(gcm(aes)) 0x6254fced5f7a5ea9401b9015ecf10d65eac51a69 128
	anti-replay context: seq 0x0, oseq 0x13e0, bitmap 0x00000000
	sel src 0.0.0.0/0 dst 0.0.0.0/0
`;

// An ESN state (strongSwan-style flags) with the multi-line ESN replay context, and IPv6 addresses.
const ESN = `src 2001:db8:1:2::45 dst 2001:db8:1:2::23
	proto esp spi 0xc5b34ddd reqid 16393 mode tunnel
	replay-window 0 flag af-unspec esn
	aead rfc4106(gcm(aes)) 0x9029a5ad6da74a19086946836152a6a5d1abbdd8 128
	lastused 2024-08-29 09:30:00
	anti-replay esn context:
	 seq-hi 0x1, seq 0xa, oseq-hi 0x0, oseq 0x0
	 replay_window 128, bitmap-length 4
	 00000000 00000000 00000000 000003ff
	dir in
`;

// \`ip -s xfrm state\`: numbers repeated in parentheses, key length in bits, lifetime and stats blocks.
const STATS = `src 192.168.211.128 dst 192.168.44.128
	proto esp spi 0x00000003(3) reqid 1(0x00000001) mode tunnel
	replay-window 0 seq 0x00000000 flag  (0x00000000)
	mark 0x3e00/0xff00 output-mark 0xe00/0xf00
	aead rfc4106(gcm(aes)) 0x24da9d683295ddd16ba47b4f9dc8c3ce5838e0bb (160 bits) 128
	anti-replay context: seq 0x0, oseq 0x14, bitmap 0x00000000
	sel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
	lifetime config:
	  limit: soft (INF)(bytes), hard (INF)(bytes)
	  limit: soft (INF)(packets), hard (INF)(packets)
	  expire add: soft 0(sec), hard 0(sec)
	  expire use: soft 0(sec), hard 0(sec)
	lifetime current:
	  2360(bytes), 20(packets)
	  add 2026-11-26 04:02:11 use 2026-11-26 04:02:13
	stats:
	  replay-window 7 replay 0 failed 0
src 10.0.0.1 dst 10.0.0.2
	proto esp spi 0x0000beef(48879) reqid 2(0x00000002) mode transport
	replay-window 32 seq 0x00000000 flag esn (0x00000080)
	auth-trunc hmac(sha256) 0xa65e95de83369bd9f3be3afafc5c363ea5e5e3e12c3017837a7b9dd40fe1901f (256 bits) 128
	enc cbc(aes) 0x61cd9e16bb8c1d9757852ce1ff46791f (128 bits)
	anti-replay esn context:
	 seq-hi 0x0, seq 0x0, oseq-hi 0x2, oseq 0x1
	 replay_window 32, bitmap-length 1
	 00000000
	sel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
	stats:
	  replay-window 0 replay 0 failed 0
`;

const NULLENC = `src 10.0.1.124 dst 10.0.2.104
	proto esp spi 0x00001000 reqid 1 mode tunnel
	replay-window 0
	auth-trunc hmac(sha1) 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b 96
	enc ecb(cipher_null) 0x
	anti-replay context: seq 0x0, oseq 0x3, bitmap 0x00000000
	sel src 0.0.0.0/0 dst 0.0.0.0/0
src 10.0.1.124 dst 10.0.2.104
	proto esp spi 0x00001001 reqid 1 mode tunnel
	replay-window 0
	aead rfc4543(gcm(aes)) 0x64ad37a9d8a8f20fb2e74ef6000f9d580898719f 128
	sel src 0.0.0.0/0 dst 0.0.0.0/0
`;

describe('verifier parseXfrmState (ip xfrm state text)', () => {
  it('Cilium node: three states, SPI, mode, reqid, key, ICV bits; the inbound state keeps src 0.0.0.0', () => {
    const s = parseXfrmState(CILIUM);
    assert.equal(s.length, 3);
    assert.deepEqual(s.map((x) => [x.src, x.dst, x.spi, x.proto, x.mode, x.reqid, x.line]), [
      ['10.84.1.32', '10.84.0.30', 3, 'esp', 'tunnel', 1, 1],
      ['0.0.0.0', '10.84.1.32', 3, 'esp', 'tunnel', 1, 8],
      ['10.84.1.32', '10.84.2.145', 4, 'esp', 'tunnel', 1, 15],
    ]);
    assert.equal(s[0].aead?.name, 'rfc4106(gcm(aes))');
    assert.equal(s[0].aead?.key.toString('hex'), '64ad37a9d8a8f20fb2e74ef6000f9d580898719f');
    assert.equal(s[0].aead?.bits, 128);
    assert.equal(s[0].esn, false);
    assert.equal(s[0].oseq, 0xc3);
    assert.equal(s[0].replayWindow, 0);
    assert.equal(s[0].nullEncryption, false);
  });
  it('ESN: flag and the multi-line context give esn and the high halves (IPv6 addresses)', () => {
    const [s] = parseXfrmState(ESN);
    assert.equal(s.src, '2001:db8:1:2::45');
    assert.equal(s.spi, 0xc5b34ddd);
    assert.equal(s.esn, true);
    assert.equal(s.seqHi, 1);
    assert.equal(s.seq, 0xa);
    assert.equal(s.oseqHi, 0);
    assert.deepEqual(s.flags, ['af-unspec', 'esn']);
  });
  it('ip -s layout: "spi 0x..(N)", "(160 bits)", the setting not the stats counter for replay-window', () => {
    const s = parseXfrmState(STATS);
    assert.equal(s.length, 2);
    assert.equal(s[0].spi, 3);
    assert.equal(s[0].reqid, 1);
    assert.equal(s[0].aead?.bits, 128);
    assert.equal(s[0].aead?.key.length, 20);
    assert.equal(s[0].replayWindow, 0);
    assert.equal(s[1].spi, 0xbeef);
    assert.equal(s[1].mode, 'transport');
    assert.equal(s[1].esn, true);
    assert.equal(s[1].oseqHi, 2);
    assert.equal(s[1].enc?.name, 'cbc(aes)');
    assert.equal(s[1].auth?.bits, 128);
    assert.equal(s[1].replayWindow, 32);
  });
  it('NULL encryption and GMAC (rfc4543) are integrity only', () => {
    const s = parseXfrmState(NULLENC);
    assert.deepEqual(s.map((x) => x.nullEncryption), [true, true]);
    assert.equal(s[0].enc?.key.length, 0);
  });
  it('CRLF line ends, prompts and policies around the states are ignored', () => {
    const text = `root@worker1:~# ip xfrm state\r\n${CILIUM.replace(/\n/g, '\r\n')}root@worker1:~# ip xfrm policy\r\nsrc 0.0.0.0/0 dst 10.0.1.0/24\r\n\tdir out priority 0\r\n\ttmpl src 10.84.1.32 dst 10.84.0.30\r\n\t\tproto esp spi 0x00000003 reqid 1 mode tunnel\r\n`;
    assert.equal(parseXfrmState(text).length, 3);
  });
  it('a key that is not hex (nokeys output, a paste error) is an error naming the line', () => {
    const bad = CILIUM.replace('0x1aa4ac06e925dc94315ece4d18cd0ef36023fd3e', '0xZZZZ');
    assert.throws(() => parseXfrmState(bad), (e: unknown) => e instanceof XfrmParseError && e.line === 12 && /line 12: aead key/.test(e.message));
  });
  it('text without states parses to nothing', () => {
    assert.deepEqual(parseXfrmState(''), []);
    assert.deepEqual(parseXfrmState('hello\nworld\n'), []);
  });
  it('SaTable: exact (src, dst, SPI), then Cilium\'s any-source inbound state, then --key for every SA with that SPI', () => {
    const t = new SaTable([{ spi: 3, key: Buffer.alloc(20, 7) }], parseXfrmState(CILIUM + NULLENC + STATS));
    const out = t.lookup('10.84.1.32', '10.84.0.30', 3);
    assert.deepEqual(out.map((s) => s.origin), ['xfrm line 1', '--key 3']);
    const inbound = t.lookup('10.84.0.30', '10.84.1.32', 3);
    assert.deepEqual(inbound.map((s) => s.origin), ['xfrm line 8', '--key 3']);
    assert.deepEqual(t.lookup('1.2.3.4', '5.6.7.8', 4).map((s) => s.origin), []);
    const cbc = t.lookup('10.0.0.1', '10.0.0.2', 0xbeef);
    assert.equal(cbc[0].key, undefined);
    assert.equal(cbc[0].unsupported, 'cbc(aes)');
    const nul = t.lookup('10.0.1.124', '10.0.2.104', 0x1000);
    assert.equal(nul[0].nullEncryption, true);
  });
  it('SaTable: the same state listed twice (from both nodes) counts once', () => {
    const t = new SaTable([], parseXfrmState(CILIUM + CILIUM));
    assert.equal(t.size, 3);
  });
});
