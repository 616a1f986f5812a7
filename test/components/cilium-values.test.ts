import * as assert from 'assert';
import { parseLabConfig, type LabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { CHART_GAPS, CHART_PASS_THROUGH, SLOW_HOST_AGENT_PROBES, SLOW_HOST_OPERATOR_AFFINITY, ciliumChartArgs, ciliumValues, ipsecKeysValue } from '../../components/cilium-values';
import { STACKS, rawLab } from './helpers';
import { CHART_VERSIONS, chartForVersion, chartValueProblems, loadChartFacts, schemaProblems, sharedChart } from './chart-facts';

const valuesOf = (cfg: LabConfig) => ciliumValues(cfg, planTopology(cfg));
const gapsOf = (chart: string) => CHART_GAPS.filter((g) => g.chart === chart).map((g) => g.path);

/**
 * Every mode and option combination the config accepts for a chart version: each encryption mode; on
 * wireguard node encryption off/on and each strict mode the version has; each with and without
 * lab:slowHost and lab:ciliumEnvoy.
 */
function combinations(version: string): [string, Record<string, string>][] {
  const out: [string, Record<string, string>][] = [];
  const strict = version.startsWith('1.16.') || version.startsWith('1.18.') ? ['off', 'egress'] : ['off', 'egress', 'egress+ingress'];
  const modes: Record<string, string>[] = [{ encryption: 'none' }, { encryption: 'ipsec' }];
  for (const n of ['false', 'true']) for (const m of strict) modes.push({ encryption: 'wireguard', wireguardNodeEncryption: n, wireguardStrictMode: m });
  for (const mode of modes) {
    for (const slowHost of ['false', 'true']) {
      for (const ciliumEnvoy of ['true', 'false']) {
        const raw = { ...mode, slowHost, ciliumEnvoy, ciliumVersion: version };
        out.push([Object.entries(raw).map(([k, v]) => `${k}=${v}`).join(' '), raw]);
      }
    }
  }
  return out;
}

describe('Cilium Helm values', () => {
  const values = Object.fromEntries(STACKS.map((s) => [s, valuesOf(parseLabConfig(rawLab(s), s))]));

  for (const version of CHART_VERSIONS) {
    const chart = loadChartFacts(version);
    const combos = combinations(version);
    it(`chart ${version}: every value path of all ${combos.length} mode and option combinations is the chart's, of a type it takes`, () => {
      assert.ok(combos.length >= 12, `${combos.length} combinations`);
      const problems = combos.flatMap(([what, raw]) => chartValueProblems(valuesOf(parseLabConfig(raw, 'c')), chart, gapsOf(version), CHART_PASS_THROUGH).map((p) => `${what}: ${p}`));
      assert.deepStrictEqual(problems, []);
    });
    it(`chart ${version}: the same values, over the chart's defaults, validate against its values.schema.json (ajv)`, function () {
      const shared = sharedChart(version);
      if (!shared) {
        // The schema is the chart's own file beside the clone (../shared/cilium); the committed facts above
        // carry its paths and types.
        this.skip();
      }
      const problems = combos.flatMap(([what, raw]) => schemaProblems(valuesOf(parseLabConfig(raw, 'c')), shared).map((p) => `${what}: ${p}`));
      assert.deepStrictEqual(problems, []);
      // The validation can fail: a type the schema refuses.
      assert.ok(schemaProblems({ ...values.ipsec, operator: { replicas: 'one' } }, shared).length > 0);
    });
  }

  for (const s of STACKS) {
    it(`${s}: the stack's values fit the chart of the same minor version as its lab:ciliumVersion`, () => {
      const cfg = parseLabConfig(rawLab(s), s);
      const version = chartForVersion(cfg.ciliumVersion);
      assert.ok(version, `no chart facts for Cilium ${cfg.ciliumVersion}`);
      assert.deepStrictEqual(chartValueProblems(values[s], loadChartFacts(version), gapsOf(version)), []);
    });
  }

  it('the pass-through values are objects every chart declares, and nothing but them is exempt', () => {
    for (const v of CHART_VERSIONS) {
      const facts = loadChartFacts(v);
      for (const t of CHART_PASS_THROUGH) assert.ok(Object.keys(facts.paths).some((p) => p.startsWith(`${t}.`)), `${t} in chart ${v}`);
      const other = { operator: { replicas: 1, affinityX: { a: 1 } } };
      assert.deepStrictEqual(chartValueProblems(other, facts, [], CHART_PASS_THROUGH), [`operator.affinityX.a: not a value of chart ${v}`]);
    }
  });

  it('the gaps are real: each listed path is missing from its chart and declared by a later one', () => {
    assert.ok(CHART_GAPS.length > 0);
    for (const g of CHART_GAPS) {
      const chart = loadChartFacts(g.chart);
      assert.ok(!(g.path in chart.paths), `${g.path} is in chart ${g.chart} after all: drop it from CHART_GAPS`);
      assert.ok(CHART_VERSIONS.some((v) => v.localeCompare(g.chart, undefined, { numeric: true }) > 0 && g.path in loadChartFacts(v).paths), `${g.path}: no later chart declares it`);
    }
    assert.ok(loadChartFacts('1.16.3').commentedOut.includes('kubeProxyReplacement'));
  });

  it('the 1.19 strict mode keys are not values of the 1.18 chart (the builder picks the flat ones there)', () => {
    const c19 = parseLabConfig({ encryption: 'wireguard', wireguardStrictMode: 'egress+ingress', ciliumVersion: '1.19.0' }, 'wg');
    const problems = chartValueProblems(valuesOf(c19), loadChartFacts('1.18.4'));
    assert.deepStrictEqual(problems, [
      'encryption.strictMode.egress.enabled: not a value of chart 1.18.4',
      'encryption.strictMode.egress.cidr: not a value of chart 1.18.4',
      'encryption.strictMode.egress.allowRemoteNodeIdentities: not a value of chart 1.18.4',
      'encryption.strictMode.ingress.enabled: not a value of chart 1.18.4',
    ]);
  });

  it('wireguard: type wireguard, nodeEncryption from config, strict mode on the pod CIDR in the shape of the chart version', () => {
    assert.deepStrictEqual(values.wireguard.encryption, { enabled: true, type: 'wireguard', nodeEncryption: false });
    const v18 = valuesOf(parseLabConfig({ encryption: 'wireguard', wireguardStrictMode: 'egress', wireguardNodeEncryption: 'true' }, 'wg'));
    assert.deepStrictEqual(v18.encryption, {
      enabled: true,
      type: 'wireguard',
      nodeEncryption: true,
      strictMode: { enabled: true, cidr: '10.0.0.0/8', allowRemoteNodeIdentities: true },
    });
    const c19 = parseLabConfig({ encryption: 'wireguard', wireguardStrictMode: 'egress+ingress', ciliumVersion: '1.19.2' }, 'wg');
    assert.deepStrictEqual(valuesOf(c19).encryption, {
      enabled: true,
      type: 'wireguard',
      nodeEncryption: false,
      strictMode: { egress: { enabled: true, cidr: '10.0.0.0/8', allowRemoteNodeIdentities: true }, ingress: { enabled: true } },
    });
  });

  it('the check fails on an unknown path and on a wrong type', () => {
    const bad = { ...values.ipsec, routingMode: 7, encryption: { enabled: true, type: 'ipsec', ipsek: { secretName: 'x' } } };
    assert.deepStrictEqual(chartValueProblems(bad, loadChartFacts('1.18.4')), [
      'routingMode: integer, chart 1.18.4 takes string',
      'encryption.ipsek.secretName: not a value of chart 1.18.4',
    ]);
  });

  it('slow host: the agent probes raised (thresholds and periods, the values every chart has), the operator off the control plane; nothing else changes', () => {
    const raw = rawLab('ipsec');
    const slow = valuesOf(parseLabConfig({ ...raw, slowHost: 'true' }, 'ipsec'));
    const normal = valuesOf(parseLabConfig(raw, 'ipsec'));
    assert.deepStrictEqual(slow.startupProbe, { failureThreshold: 120, periodSeconds: 10 });
    assert.deepStrictEqual(slow.livenessProbe, { failureThreshold: 20, periodSeconds: 30 });
    assert.strictEqual(normal.startupProbe, undefined);
    assert.deepStrictEqual(slow.operator, { replicas: 1, affinity: SLOW_HOST_OPERATOR_AFFINITY });
    assert.deepStrictEqual(normal.operator, { replicas: 1 });
    const rest = (v: typeof slow) => ({ ...v, startupProbe: undefined, livenessProbe: undefined, operator: undefined });
    assert.deepStrictEqual(rest(slow), rest(normal));
    // Longer than each chart's own startup allowance (1.16: 105 x 2 s, 1.18/1.19: 300 x 2 s).
    const s = SLOW_HOST_AGENT_PROBES.startupProbe;
    assert.ok(s.failureThreshold * s.periodSeconds > 300 * 2);
  });

  it('lab:ciliumEnvoy false: Envoy and the L7 proxy off, nothing else changes; true (the default) sets neither', () => {
    const raw = rawLab('ipsec');
    const without = valuesOf(parseLabConfig({ ...raw, ciliumEnvoy: 'false' }, 'ipsec'));
    const normal = valuesOf(parseLabConfig(raw, 'ipsec'));
    assert.deepStrictEqual(without.envoy, { enabled: false });
    assert.strictEqual(without.l7Proxy, false);
    assert.ok(!('envoy' in normal) && !('l7Proxy' in normal));
    assert.deepStrictEqual({ ...without, envoy: undefined, l7Proxy: undefined }, { ...normal, envoy: undefined, l7Proxy: undefined });
    assert.throws(() => parseLabConfig({ ...raw, ciliumEnvoy: 'no' }, 'ipsec'), /lab:ciliumEnvoy = "no": expected true or false/);
  });

  it('chart source: the repository at the version by default; a chart URL or a local chart as is', () => {
    const def = parseLabConfig({}, 'c');
    assert.deepStrictEqual(ciliumChartArgs(def), { chart: 'cilium', version: def.ciliumVersion, repositoryOpts: { repo: 'https://helm.cilium.io' } });
    const repo = parseLabConfig({ ciliumChart: 'http://192.168.210.1:8080/charts/', ciliumVersion: '1.18.4' }, 'c');
    assert.deepStrictEqual(ciliumChartArgs(repo), { chart: 'cilium', version: '1.18.4', repositoryOpts: { repo: 'http://192.168.210.1:8080/charts' } });
    const url = parseLabConfig({ ciliumChart: 'http://192.168.210.1:8080/cilium-1.18.4.tgz', ciliumVersion: '1.18.4' }, 'c');
    assert.deepStrictEqual(ciliumChartArgs(url), { chart: 'http://192.168.210.1:8080/cilium-1.18.4.tgz' });
    const local = parseLabConfig({ ciliumChart: './bundle/cilium', ciliumVersion: '1.18.4' }, 'c');
    assert.deepStrictEqual(ciliumChartArgs(local, '/srv/lab'), { chart: '/srv/lab/bundle/cilium' });
    const abs = parseLabConfig({ ciliumChart: 'file:///var/cache/cilium-1.18.4.tgz', ciliumVersion: '1.18.4' }, 'c');
    assert.deepStrictEqual(ciliumChartArgs(abs, '/srv/lab'), { chart: '/var/cache/cilium-1.18.4.tgz' });
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
