/**
 * --wireshark DIR: what the run knows about keys, as a Wireshark configuration directory that opens the capture
 * decrypted (`WIRESHARK_CONFIG_DIR=DIR wireshark CAPTURE`): every --key (for any address) and every RFC 4106 ESP
 * state of the --xfrm files.
 */
import { writeWiresharkConfig, type WiresharkSa } from '../../verifier/crypto/wireshark';
import type { XfrmState } from '../../verifier/crypto/xfrm';
import { DEFAULT_VXLAN_PORTS } from '../../verifier/decode/ports';

export function wiresharkSas(states: readonly XfrmState[], keys: readonly { spi: number; key: Buffer }[]): WiresharkSa[] {
  const sas: WiresharkSa[] = [];
  for (const s of states) {
    if (s.proto === 'esp' && s.aead && /^rfc4106\(gcm\(aes\)\)$/.test(s.aead.name) && s.aead.key.length > 0) {
      sas.push({ src: s.src, dst: s.dst, spi: s.spi, key: s.aead.key, icvBits: s.aead.bits ?? 128 });
    }
  }
  for (const k of keys) sas.push({ spi: k.spi, key: k.key });
  return sas;
}

export function writeWireshark(dir: string, states: readonly XfrmState[], keys: readonly { spi: number; key: Buffer }[],
  vxlanPorts: readonly number[] = DEFAULT_VXLAN_PORTS): void {
  writeWiresharkConfig(dir, wiresharkSas(states, keys), { vxlanPorts });
}
