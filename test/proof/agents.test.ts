/**
 * The agents check (components/proof/agents.ts): every agent asked after the traffic reports IPsec, and
 * the XFRM error counters it lists are judged by their growth since the readiness wait's last reading,
 * with the one list of tolerated counters (components/proof/xfrm-counters.ts), never by their value.
 * The end-to-end case runs ipsec-wait.sh and facts-cilium.sh against the stand-in cluster whose
 * cilium-dbg keeps the counters since boot, and judges what they printed.
 */
import * as assert from 'assert';
import { agentEvidence, agentsCheck, parseIpsecReadiness } from '../../components/proof/agents';
import { parseEncryptStatus, type EncryptStatus } from '../../components/proof/parse';
import { expectationsFor, type Expectations } from '../../components/proof/verification';
import { judgeXfrmGrowth, TOLERATED_XFRM_COUNTERS, TOLERATED_XFRM_GROWTH, xfrmToleranceEnv } from '../../components/proof/xfrm-counters';
import type { Report } from '../../components/verifier';
import { addCiliumStandIns, dropPackets, writeCluster } from '../helpers/cilium-cluster';
import { StandIns } from '../helpers/stand-ins';
import { xfrmStatesText } from '../helpers/xfrm';

const REPORT = {} as Report;
function x(agents: Record<string, EncryptStatus>): Expectations {
  return expectationsFor({ encryption: 'ipsec', spi: 3, pods: [], nodeIps: [], ciliumHosts: [], nonce: 'lab-0123456789ab', decrypt: true, xfrmErrorsGrown: {}, agents });
}
const status = (errors: Record<string, number>, mode = 'IPsec') =>
  parseEncryptStatus([`Encryption: ${mode}`, 'Keys in use: 4', `Errors: ${Object.values(errors).reduce((a, b) => a + b, 0)}`, ...Object.entries(errors).map(([k, v]) => `\t${k}: ${v}`)].join('\n'));
const line = (node: string, xfrm: string) => `node=${node} agent=cilium-${node} mode=IPsec keys_in_use=4 errors=0 xfrm=${xfrm} spis=3 peers_ok=2/2`;

describe('xfrm-counters: the one rule for tolerated XFRM error growth', () => {
  it('tolerates what Cilium documents and cilium-cli expects, up to its bound; nothing else', () => {
    assert.deepStrictEqual([...TOLERATED_XFRM_COUNTERS], ['XfrmInError', 'XfrmFwdHdrError', 'XfrmInStateInvalid']);
    const j = judgeXfrmGrowth({ XfrmInError: [0, TOLERATED_XFRM_GROWTH], XfrmFwdHdrError: [3, 3 + TOLERATED_XFRM_GROWTH + 1], XfrmInNoStates: [0, 1] });
    assert.deepStrictEqual(Object.keys(j.tolerated), ['XfrmInError']);
    assert.deepStrictEqual(Object.keys(j.failing).sort(), ['XfrmFwdHdrError', 'XfrmInNoStates']);
    assert.deepStrictEqual(xfrmToleranceEnv(), { TOLERATED_XFRM_COUNTERS: 'XfrmInError:9 XfrmFwdHdrError:9 XfrmInStateInvalid:9' });
  });
});

describe('agents check (ipsec)', () => {
  const readiness = parseIpsecReadiness([line('worker1', 'XfrmInStateProtoError:7,XfrmInError:1'), line('worker2', 'none')].join('\n'));

  it('reads the counters of the readiness report', () => {
    assert.deepStrictEqual(readiness.worker1.xfrmErrors, { XfrmInStateProtoError: 7, XfrmInError: 1 });
    assert.deepStrictEqual(readiness.worker2.xfrmErrors, {});
    assert.strictEqual(parseIpsecReadiness(line('w', 'bad')).w.xfrmErrors, undefined);
  });

  it('old errors are no failure: only growth since the wait is', () => {
    const c = agentsCheck(readiness, true);
    assert.deepStrictEqual(c.failures(REPORT, x({ worker1: status({ XfrmInStateProtoError: 7, XfrmInError: 1 }), worker2: status({}) })), []);
    assert.deepStrictEqual(c.failures(REPORT, x({ worker1: status({ XfrmInStateProtoError: 9, XfrmInError: 4 }), worker2: status({ XfrmOutPolBlock: 2 }) })), [
      'node worker1: XFRM error counter XfrmInStateProtoError grew from 7 to 9 between the IPsec readiness wait and the end of the traffic (packets dropped)',
      'node worker2: XFRM error counter XfrmOutPolBlock grew from 0 to 2 between the IPsec readiness wait and the end of the traffic (packets dropped)',
    ]);
  });

  it('the mode, in every release\'s spelling; a node without a baseline; no agent asked at all', () => {
    const c = agentsCheck(readiness, true);
    assert.deepStrictEqual(c.failures(REPORT, x({ worker1: parseEncryptStatus('  Encryption: ipsec\n  Errors: 8\n    XfrmInStateProtoError 7\n    XfrmInError 1\n'), worker2: status({}, 'Disabled') })), [
      'node worker2: the Cilium agent reports encryption Disabled, expected IPsec',
    ]);
    assert.deepStrictEqual(c.failures(REPORT, x({ worker3: status({}) })), [
      'node worker3: the IPsec readiness wait reported no XFRM error counters for this node: cannot judge their growth',
    ]);
    assert.deepStrictEqual(agentsCheck({}, false).failures(REPORT, x({ worker3: status({ XfrmInNoStates: 5 }) })), [], 'without a wait, the mode only');
    assert.strictEqual(c.failures(REPORT, x({})).length, 1);
    assert.deepStrictEqual(c.failures(REPORT, { ...x({}), encryption: 'wireguard' }), []);
  });

  it('reports the growth, tolerated or not, with each agent', () => {
    const e = agentEvidence({ worker1: status({ XfrmInStateProtoError: 7, XfrmInError: 3 }) }, readiness);
    assert.deepStrictEqual(e[0].xfrmErrorsGrown, { XfrmInError: [1, 3] });
  });

  it('end to end: ipsec-wait.sh, drops during the traffic, facts-cilium.sh, judged by growth', function () {
    this.timeout(60000);
    const s = new StandIns('agents-check-');
    addCiliumStandIns(s);
    try {
      const nodes = { worker1: ['192.168.211.128'], worker2: ['192.168.44.128'] };
      const sa = (src: string, dst: string) => ({ src, dst, spi: 3, esn: true });
      const fake = writeCluster(s.file('c'), {
        // A drop from long ago: every later reading shows it.
        worker1: { addrs: nodes.worker1, xfrm: [xfrmStatesText([sa(nodes.worker1[0], nodes.worker2[0]), sa(nodes.worker2[0], nodes.worker1[0])])], counters: { XfrmInNoStates: 40 } },
        worker2: { addrs: nodes.worker2, xfrm: [xfrmStatesText([sa(nodes.worker2[0], nodes.worker1[0]), sa(nodes.worker1[0], nodes.worker2[0])])] },
      });
      const wait = s.run('scripts/vm/ipsec-wait.sh', { FAKE: fake, EXPECTED_NODES: 'worker1 worker2', KEY_ID: '3', TIMEOUT_SECONDS: '0', POLL_SECONDS: '0', ...xfrmToleranceEnv() });
      assert.strictEqual(wait.code, 0, wait.stderr);
      const ready = parseIpsecReadiness(wait.stdout);
      assert.deepStrictEqual(ready.worker1.xfrmErrors, { XfrmInNoStates: 40 });
      // During the traffic: a pod deleted with packets in flight on worker2, a real drop on worker1.
      dropPackets(fake, 'worker2', { XfrmInError: 2 });
      dropPackets(fake, 'worker1', { XfrmInStateProtoError: 1 });
      const after = Object.fromEntries(['worker1', 'worker2'].map((n) => {
        const r = s.run('scripts/vm/facts-cilium.sh', { FAKE: fake, NODE_NAME: n });
        assert.strictEqual(r.code, 0, r.stderr);
        return [n, parseEncryptStatus(r.stdout)];
      }));
      assert.deepStrictEqual(agentsCheck(ready, true).failures(REPORT, x(after)), [
        'node worker1: XFRM error counter XfrmInStateProtoError grew from 0 to 1 between the IPsec readiness wait and the end of the traffic (packets dropped)',
      ]);
    } finally {
      s.remove();
    }
  });
});
