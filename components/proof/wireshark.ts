/**
 * The Wireshark config next to an IPsec capture (esp_sa with the nodes' per-node-pair keys, preferences,
 * decode_as_entries), written from the SECRET `ip xfrm state` texts; the files are mode 0600.
 */
export async function writeWiresharkForXfrm(dir: string, xfrmTexts: string[]): Promise<void> {
  // Loaded lazily: the verifier is only needed during `pulumi up`.
  const v = await import('../verifier');
  const sas = xfrmTexts
    .flatMap((t) => v.parseXfrmState(t))
    .filter((s) => s.proto === 'esp' && s.aead && /rfc4106/.test(s.aead.name))
    .map((s) => ({ src: s.src, dst: s.dst, spi: s.spi, key: (s.aead as { key: Buffer }).key, icvBits: s.aead?.bits }));
  v.writeWiresharkConfig(dir, sas);
}
