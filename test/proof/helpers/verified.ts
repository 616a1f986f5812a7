/**
 * A verification made the way a lab makes one: a capture built here (./pcap.ts), judged by the real
 * verifier through runVerification with the expectations of its mode. For the tests that read stack
 * outputs (lab compare, the lab suite's checks): no number in them is written by hand.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expectationsFor, runVerification, type VerificationResult } from '../../../components/proof/verification';
import { verifyCapture } from '../../../components/verifier';
import { cleartextCapture, DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from './pcap';

/** Writes the capture at `rel` under `root` (cleartext for none, ESP for ipsec) and returns its verification. */
export async function verifiedCapture(root: string, rel: string, encryption: 'none' | 'ipsec'): Promise<VerificationResult> {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  (encryption === 'ipsec' ? encryptedCapture : cleartextCapture)(path.join(root, rel));
  const tcpdump = { file: `/var/tmp/cilium-lab/run1-${T.nonce}.pcap`, bytes: fs.statSync(path.join(root, rel)).size, captured: 12, received: 12, dropped: 0, stoppedBy: 'signal' as const };
  return runVerification(
    {
      capturePath: rel,
      root,
      podCidr: '10.0.0.0/8',
      expectations: expectationsFor({
        encryption,
        spi: 3,
        pods: [T.clientPod, T.serverPod],
        nodeIps: ['192.168.211.10', T.node1, T.node2],
        ciliumHosts: ['10.0.0.77', '10.0.1.124', '10.0.2.104'],
        nonce: T.nonce,
        decrypt: encryption === 'ipsec',
        xfrmErrorsGrown: {},
        tcpdump,
      }),
      xfrmTexts: encryption === 'ipsec' ? [xfrmStateText(T, 1), xfrmStateText(T, 2)] : [],
      traffic: { pingTransmitted: 4, pingReceived: 4, httpTotal: 2, httpAnswered: 2, serverLogHits: 2 },
    },
    verifyCapture,
  );
}
