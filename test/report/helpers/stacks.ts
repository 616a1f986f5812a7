/**
 * Recorded outputs of three lab stacks, made the way a lab makes them: a capture of the lab's traffic built in
 * the test (test/proof/helpers/pcap.ts), the REAL verifier on it, and for unencrypted and ipsec the lab's own
 * runVerification/judge, wrapped in the outputs a stack exports. WireGuard: the router sees UDP 51871 between the
 * node IPs carrying transport-data messages (type 4, WireGuard whitepaper section 5.4.6) with opaque payloads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERIFICATION_SCHEMA_VERSION } from '../../../components/labcli/verification';
import { expectationsFor, runVerification } from '../../../components/proof/verification';
import { verifyCapture } from '../../../components/verifier';
import { ethernet, ipv4, udp, wireguardTransport, writePcap } from '../../helpers/packets';
import { cleartextCapture, DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from '../../proof/helpers/pcap';

export type StackName = 'unencrypted' | 'ipsec' | 'wireguard';

export function wireguardCapture(file: string): void {
  const frames: Buffer[] = [];
  for (let i = 0; i < 12; i++) {
    const fromClient = i % 2 === 0;
    const [src, dst] = fromClient ? [T.node1, T.node2] : [T.node2, T.node1];
    frames.push(ethernet(ipv4(src, dst, 17, udp(51871, 51871, wireguardTransport(fromClient ? 0x1111 : 0x2222, i >> 1, 96 + (i % 4) * 48)))));
  }
  writePcap(file, frames);
}

export async function recordStack(dir: string, stack: StackName): Promise<Record<string, unknown>> {
  const rel = path.join('captures', stack, '1.pcap');
  fs.mkdirSync(path.join(dir, 'captures', stack), { recursive: true });
  const abs = path.join(dir, rel);
  if (stack === 'wireguard') {
    wireguardCapture(abs);
    // The lab's WireGuard judgement lives with the lab; here the page needs pass and failures, from the verdict.
    const report = await verifyCapture(abs, { podCidrs: ['10.0.0.0/8'], nonce: T.nonce });
    const pass = report.verdict === 'encrypted';
    return { encryption: 'wireguard', capturePath: rel,
      verification: JSON.parse(JSON.stringify({ schemaVersion: VERIFICATION_SCHEMA_VERSION, ...report, pass, failures: pass ? [] : [`verdict is ${report.verdict}, expected encrypted`], capturePath: rel })) };
  }
  const encryption = stack === 'ipsec' ? 'ipsec' : 'none';
  (encryption === 'ipsec' ? encryptedCapture : cleartextCapture)(abs);
  const verification = await runVerification(
    {
      capturePath: rel, root: dir, podCidr: '10.0.0.0/8',
      expectations: expectationsFor({
        encryption, spi: 3, pods: [T.clientPod, T.serverPod], nodeIps: ['192.168.211.10', T.node1, T.node2],
        ciliumHosts: ['10.0.0.77', '10.0.1.124', '10.0.2.104'], nonce: T.nonce, decrypt: encryption === 'ipsec', xfrmErrorsGrown: {},
      }),
      xfrmTexts: encryption === 'ipsec' ? [xfrmStateText(T, 1), xfrmStateText(T, 2)] : [],
    },
    async (p, o) => verifyCapture(p, o),
  );
  return { encryption, capturePath: rel, verification: JSON.parse(JSON.stringify(verification)) };
}

export { T as TRAFFIC };
