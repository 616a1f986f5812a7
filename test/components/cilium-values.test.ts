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

  const wgCases: [string, Record<string, string>][] = [
    ['wireguard strict egress, chart 1.18', { encryption: 'wireguard', wireguardStrictMode: 'egress', wireguardNodeEncryption: 'true' }],
    ['wireguard strict egress+ingress, chart 1.19', { encryption: 'wireguard', wireguardStrictMode: 'egress+ingress', ciliumVersion: '1.19.2' }],
    ['wireguard strict egress, chart 1.16', { encryption: 'wireguard', wireguardStrictMode: 'egress', ciliumVersion: '1.16.3' }],
  ];
  for (const [what, raw] of wgCases) {
    it(`${what}: every path and type is chart ${chart.version}'s, or listed with a version the chart in use has`, () => {
      const cfg = parseLabConfig(raw, 'wg');
      assert.deepStrictEqual(chartValueProblems(ciliumValues(cfg, planTopology(cfg)), chart, VALUES_NOT_IN_1_16_3, cfg.ciliumVersion), []);
    });
  }

  it('wireguard: the 1.19 strict mode keys would be refused for a 1.18 chart (the builder picks the flat ones there)', () => {
    const c19 = parseLabConfig(wgCases[1][1], 'wg');
    const problems = chartValueProblems(ciliumValues(c19, planTopology(c19)), chart, VALUES_NOT_IN_1_16_3, '1.18.12');
    assert.ok(problems.length > 0 && problems.every((p) => /^encryption\.strictMode\.(egress|ingress)\..*since chart 1\.19, used with 1\.18\.12$/.test(p)), problems.join('\n'));
  });

  it('wireguard: type wireguard, nodeEncryption from config, strict mode on the pod CIDR in the shape of the chart version', () => {
    assert.deepStrictEqual(values.wireguard.encryption, { enabled: true, type: 'wireguard', nodeEncryption: false });
    const v18 = ciliumValues(parseLabConfig(wgCases[0][1], 'wg'), planTopology(parseLabConfig(wgCases[0][1], 'wg')));
    assert.deepStrictEqual(v18.encryption, {
      enabled: true,
      type: 'wireguard',
      nodeEncryption: true,
      strictMode: { enabled: true, cidr: '10.0.0.0/8', allowRemoteNodeIdentities: true },
    });
    const c19 = parseLabConfig(wgCases[1][1], 'wg');
    assert.deepStrictEqual(ciliumValues(c19, planTopology(c19)).encryption, {
      enabled: true,
      type: 'wireguard',
      nodeEncryption: false,
      strictMode: { egress: { enabled: true, cidr: '10.0.0.0/8', allowRemoteNodeIdentities: true }, ingress: { enabled: true } },
    });
    // The 1.16.3 chart has the flat strict mode keys this lab uses before 1.19.
    for (const k of ['encryption.strictMode.allowRemoteNodeIdentities', 'encryption.strictMode.cidr', 'encryption.nodeEncryption']) assert.ok(chart.paths[k], k);
  });

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
