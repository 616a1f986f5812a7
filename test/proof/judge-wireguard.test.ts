/**
 * The wireguard stack's lab checks and the agents' evidence, on reports shaped like the verifier's
 * WireGuard findings: each check fails on its own defect with the reason, and passes otherwise. Also the
 * ipsec key-id evidence read from ipsec-wait.sh's report.
 */
import * as assert from 'assert';
import { keyIdCheck, parseIpsecReadiness } from '../../components/proof/agents';
import { wireguardChecks, type WireguardExpectations } from '../../components/proof/judge-wireguard';
import { parseEncryptStatus } from '../../components/proof/parse';
import { judge, type Expectations } from '../../components/proof/verification';
import type { Report } from '../../components/verifier';

const A = '192.168.214.128';
const B = '192.168.47.128';
const CP = '192.168.214.10';
const WG_STATUS = (peers: number) => `Encryption: Wireguard\nInterface: cilium_wg0\n\tPublic key: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=\n\tNumber of peers: ${peers}\n`;

function report(over: Partial<{ invalid: number; flows: unknown[] }> = {}): Report {
  const flows = over.flows ?? [
    { src: A, dst: B, receiverIndex: 1, packets: 40, firstCounter: 0, lastCounter: 39, counterIncreasing: true },
    { src: B, dst: A, receiverIndex: 2, packets: 40, firstCounter: 0, lastCounter: 39, counterIncreasing: true },
  ];
  return {
    verdict: 'encrypted',
    meetsExpectation: true,
    expectationFailures: [],
    esp: { packets: 0, spis: [], flows: [] },
    cleartext: { podPackets: 0 },
    nonce: { hits: 0, decryptedHits: 0 },
    wireguard: { packets: 84, dataPackets: 80, handshakes: 4, invalid: over.invalid ?? 0, flows },
  } as unknown as Report;
}

const w: WireguardExpectations = {
  nodeIps: [CP, A, B],
  clientNodeIp: A,
  serverNodeIp: B,
  traffic: { pingTransmitted: 10, pingReceived: 10, httpTotal: 5, httpAnswered: 5 },
  expectedPeers: 2,
};
const x = (peers = [2, 2, 2]): Expectations =>
  ({
    encryption: 'wireguard',
    expect: 'encrypted',
    pods: [],
    endpoints: [CP, A, B],
    nonce: 'lab-n0nce',
    decrypt: false,
    xfrmErrorsGrown: {},
    agents: Object.fromEntries(['control-plane', 'worker1', 'worker2'].map((n, i) => [n, parseEncryptStatus(WG_STATUS(peers[i]))])),
  }) as Expectations;

describe('wireguard checks', () => {
  it('pass a capture where WireGuard carries at least the generated traffic both ways and every agent has 2 peers', () => {
    assert.deepStrictEqual(judge(report(), x(), wireguardChecks(w)), { pass: true, failures: [] });
  });

  it('fail on each defect, naming it', () => {
    const cases: [Report, Expectations, RegExp][] = [
      [report({ invalid: 3 }), x(), /^3 packets on the WireGuard port are not valid WireGuard messages/],
      [report({ flows: [{ src: A, dst: '10.0.2.5', receiverIndex: 4, packets: 40 }, { src: B, dst: A, receiverIndex: 2, packets: 40 }] }), x(), /^WireGuard flow 192\.168\.214\.128 -> 10\.0\.2\.5 \(receiver index 4, 40 packets\) is not between the node IPs/],
      [report({ flows: [{ src: A, dst: B, receiverIndex: 1, packets: 40, firstCounter: 9, lastCounter: 3, counterIncreasing: false }, { src: B, dst: A, receiverIndex: 2, packets: 40 }] }), x(), /receiver index 1\): the counter went backwards \(first 9, last 3\)/],
      [report({ flows: [{ src: A, dst: B, receiverIndex: 1, packets: 40 }, { src: B, dst: A, receiverIndex: 2, packets: 12 }] }), x(), /^192\.168\.47\.128 -> 192\.168\.214\.128: 12 WireGuard data packets, fewer than the 20 pod packets/],
      [report(), x([2, 1, 2]), /^node worker1: the Cilium agent reports 1 WireGuard peers, expected 2 \(one per other node\)$/],
      [report(), { ...x(), agents: { worker1: parseEncryptStatus('Encryption: IPsec\nKeys in use: 4\nErrors: 0\n') } }, /^node worker1: the Cilium agent reports encryption IPsec, expected WireGuard$/],
      [report(), { ...x(), agents: {} }, /^no Cilium agent was asked for its encryption status$/],
    ];
    for (const [r, ex, msg] of cases) {
      const j = judge(r, ex, wireguardChecks(w));
      assert.strictEqual(j.pass, false, String(msg));
      assert.ok(j.failures.some((f) => msg.test(f)), `${msg}: ${j.failures.join(' | ')}`);
    }
  });
});

describe('agents evidence (ipsec-wait.sh report)', () => {
  const out = 'node=worker1 agent=cilium-a mode=IPsec keys_in_use=4 errors=0 spis=3 peers_ok=2/2\nnode=worker2 agent=cilium-b mode=IPsec keys_in_use=4 errors=0 spis=2 peers_ok=2/2\n';
  it('reads every node line', () => {
    assert.deepStrictEqual(parseIpsecReadiness(out).worker1, { node: 'worker1', agent: 'cilium-a', mode: 'IPsec', keysInUse: 4, errors: 0, spis: [3], peersOk: '2/2' });
  });
  it('fails a node whose agent does not carry the configured key id, and an empty report', () => {
    assert.deepStrictEqual(keyIdCheck(parseIpsecReadiness(out), 3).failures(report(), x()), [
      'node worker2: the Cilium agent cilium-b had SPIs 2 installed, not the configured key id 3 (lab:ipsecKeyId)',
    ]);
    assert.strictEqual(keyIdCheck({}, 3).failures(report(), x()).length, 1);
  });
});
