import * as assert from 'assert';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { VALUES_NOT_IN_1_16_3, ciliumValues, ipsecKeysValue } from '../../components/cilium-values';
import { STACKS, rawLab } from './helpers';
import { chartValueProblems, loadChartFacts } from './chart-facts';

// The chart's value paths and types, derived from chart 1.16.3 into the project (scripts/derive-chart-facts.ts).
const chart = loadChartFacts('1.16.3');

describe('Cilium Helm values', () => {
  const values = Object.fromEntries(STACKS.map((s) => [s, ciliumValues(parseLabConfig(rawLab(s), s), planTopology(parseLabConfig(rawLab(s), s)))]));

  for (const s of STACKS) {
    it(`${s}: every value has a path and a type chart ${chart.version} knows, or is listed with its version`, () => {
      assert.deepStrictEqual(chartValueProblems(values[s], chart, VALUES_NOT_IN_1_16_3), []);
      for (const x of VALUES_NOT_IN_1_16_3) assert.match(x.since, /^\d+\.\d+/);
    });
  }

  it('a listed later path is refused for a chart older than the version that introduced it', () => {
    const v = { kubeProxyReplacement: true };
    assert.deepStrictEqual(chartValueProblems(v, chart, VALUES_NOT_IN_1_16_3, '1.18.12'), []);
    assert.deepStrictEqual(chartValueProblems(v, chart, [{ path: 'kubeProxyReplacement', since: '1.19' }], '1.18.12'), ['kubeProxyReplacement: since chart 1.19, used with 1.18.12']);
  });

  it('the check fails on an unknown path and on a wrong type', () => {
    const bad = { ...values.ipsec, routingMode: 7, encryption: { enabled: true, type: 'ipsec', ipsek: { secretName: 'x' } } };
    assert.deepStrictEqual(chartValueProblems(bad, chart, VALUES_NOT_IN_1_16_3), [
      'routingMode: integer, chart 1.16.3 takes string',
      'encryption.ipsek.secretName: not a value of chart 1.16.3',
    ]);
  });

  it('listed exceptions are real: kubeProxyReplacement appears in 1.16.3 only as a comment', () => {
    for (const x of VALUES_NOT_IN_1_16_3) {
      assert.ok(!(x.path in chart.paths), `${x.path} exists after all: drop it from the list`);
    }
    assert.ok(chart.commentedOut.includes('kubeProxyReplacement'));
  });

  it('tunnel VXLAN, kube-proxy replacement, API server = control-plane, rollOutCiliumPods, cluster-pool = podSubnet', () => {
    const cfg = parseLabConfig(rawLab('unencrypted'), 'unencrypted');
    const v = values.unencrypted;
    assert.strictEqual(v.routingMode, 'tunnel');
    assert.strictEqual(v.tunnelProtocol, 'vxlan');
    assert.strictEqual(v.kubeProxyReplacement, true);
    assert.strictEqual(v.k8sServiceHost, '192.168.211.10');
    assert.strictEqual(v.k8sServicePort, 6443);
    assert.strictEqual(v.rollOutCiliumPods, true);
    assert.deepStrictEqual(v.ipam, { mode: 'cluster-pool', operator: { clusterPoolIPv4PodCIDRList: [cfg.podCidr], clusterPoolIPv4MaskSize: 24 } });
    assert.deepStrictEqual(v.encryption, { enabled: false });
  });

  it('ipsec: encryption.enabled + type ipsec + the Secret name', () => {
    assert.deepStrictEqual(values.ipsec.encryption, { enabled: true, type: 'ipsec', ipsec: { secretName: 'cilium-ipsec-keys', keyFile: 'keys' } });
  });

  it('the stacks differ only where encryption does (same stack, flipping lab:encryption)', () => {
    const raw = rawLab('ipsec');
    const a = parseLabConfig({ ...raw, encryption: 'none' }, 'ipsec');
    const b = parseLabConfig({ ...raw, encryption: 'ipsec' }, 'ipsec');
    const va = { ...ciliumValues(a, planTopology(a)), encryption: null };
    const vb = { ...ciliumValues(b, planTopology(b)), encryption: null };
    assert.deepStrictEqual(va, vb);
    // And across stack files, only the addresses derived from the subnets differ besides encryption.
    const u = { ...values.unencrypted, encryption: null, k8sServiceHost: null };
    const i = { ...values.ipsec, encryption: null, k8sServiceHost: null };
    assert.deepStrictEqual(u, i);
  });

  it('IPsec key value format', () => {
    const hex = 'a1'.repeat(20);
    assert.strictEqual(ipsecKeysValue(3, hex), `3+ rfc4106(gcm(aes)) ${hex} 128`);
    assert.throws(() => ipsecKeysValue(16, hex), /1\.\.15/);
    assert.throws(() => ipsecKeysValue(3, 'abc'), /40 lowercase hex/);
  });
});
