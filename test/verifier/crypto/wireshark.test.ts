/**
 * writeWiresharkConfig: the files, and tshark 4.0 itself opening a scapy-made capture decrypted with nothing but
 * WIRESHARK_CONFIG_DIR (no -o, no -d).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { espSaLines, writeWiresharkConfig } from '../../../components/verifier/crypto/wireshark';
import * as F from '../decode/frames';
import { pcapFile } from '../../helpers/pcap-writer';

function pcap(frames: F.TestFrame[]): Buffer {
  return pcapFile({ le: true, snaplen: 65535, records: frames.map((f, i) => ({ sec: 1700000000 + i, sub: 0, data: F.bytes(f) })) });
}

describe('verifier writeWiresharkConfig', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'a2-ws-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('esp_sa lines: 8 quoted fields, wildcard for 0.0.0.0, SPI as 0x%08x, ICV length in the algorithm name', () => {
    assert.deepEqual(espSaLines([
      { src: '10.0.1.124', dst: '10.0.2.104', spi: 3, key: F.K1 },
      { src: '0.0.0.0', dst: '10.0.2.104', spi: 3, key: F.K2, icvBits: 96 },
      { spi: 0xc5b34ddd, key: F.K1, src: 'fd00::1', dst: 'fd00::2' },
      { src: '10.0.1.124', dst: '10.0.2.104', spi: 3, key: F.K1 },
    ]), [
      `"IPv4","10.0.1.124","10.0.2.104","0x00000003","AES-GCM with 16 octet ICV [RFC4106]","0x${F.K1.toString('hex')}","NULL",""`,
      `"IPv4","*","10.0.2.104","0x00000003","AES-GCM with 12 octet ICV [RFC4106]","0x${F.K2.toString('hex')}","NULL",""`,
      `"IPv6","fd00::1","fd00::2","0xc5b34ddd","AES-GCM with 16 octet ICV [RFC4106]","0x${F.K1.toString('hex')}","NULL",""`,
    ]);
  });

  it('tshark opens the capture decrypted from the directory alone (8472 as VXLAN, ICV checked)', function () {
    const cfg = path.join(dir, 'ws');
    const files = writeWiresharkConfig(cfg, [
      { src: '10.0.1.124', dst: '10.0.2.104', spi: 3, key: F.K1 },
      { src: '10.0.2.104', dst: '10.0.1.124', spi: 3, key: F.K2 },
    ], { vxlanPorts: [8472, 4789] });
    assert.deepEqual(files.map((f) => path.basename(f)).sort(), ['decode_as_entries', 'esp_sa', 'preferences']);
    assert.equal(fs.statSync(path.join(cfg, 'esp_sa')).mode & 0o077, 0, 'key file not readable by others');
    const cap = path.join(dir, 'c.pcap');
    fs.writeFileSync(cap, pcap([F.espInVxlan, F.espInVxlanReply, F.espInVxlanHttp]));
    const r = spawnSync('tshark', ['-r', cap, '-T', 'fields', '-e', 'frame.protocols', '-e', 'esp.icv_good', '-e', 'ip.src'],
      { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: cfg } });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(lines.map((l) => l[0]), [
      'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:esp:ip:icmp:data',
      'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:esp:ip:icmp:data',
      'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:esp:ip:tcp:http',
    ]);
    assert.deepEqual(lines.map((l) => l[1]), ['1', '1', '1']);
    assert.equal(lines[0][2], '192.168.211.128,10.0.1.124,10.0.1.50');
  });

  it('with a wrong key tshark reports a bad ICV instead of silently showing ciphertext', function () {
    const cfg = path.join(dir, 'ws-wrong');
    writeWiresharkConfig(cfg, [{ src: '10.0.1.124', dst: '10.0.2.104', spi: 3, key: F.K2 }]);
    const cap = path.join(dir, 'c1.pcap');
    fs.writeFileSync(cap, pcap([F.espInVxlan]));
    const r = spawnSync('tshark', ['-r', cap, '-T', 'fields', '-e', 'esp.icv_good', '-e', 'esp.icv_bad'],
      { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: cfg } });
    assert.equal(r.stdout.trim(), '0\t1');
  });
});
