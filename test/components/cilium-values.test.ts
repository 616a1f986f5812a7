import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { VALUES_NOT_IN_1_16_3, ciliumValues, ipsecKeysValue } from '../../components/cilium-values';
import { STACKS, rawLab, repoRoot } from './helpers';

// CI has shared/ beside the clone (../shared/cilium); chart 1.16.3.
const sharedCilium = path.resolve(repoRoot, '../shared/cilium');
const schema = JSON.parse(fs.readFileSync(path.join(sharedCilium, 'values.schema.json'), 'utf8'));
const defaultsText = fs.readFileSync(path.join(sharedCilium, 'values.yaml'), 'utf8');
const defaults = YAML.parse(defaultsText);

function leafPaths(v: unknown, prefix = ''): string[] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.entries(v).flatMap(([k, x]) => leafPaths(x, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}
function has(obj: any, p: string): boolean {
  return p.split('.').every((k) => {
    if (obj && typeof obj === 'object' && k in obj) {
      obj = obj[k];
      return true;
    }
    return false;
  });
}

describe('Cilium Helm values', () => {
  const values = Object.fromEntries(STACKS.map((s) => [s, ciliumValues(parseLabConfig(rawLab(s), s), planTopology(parseLabConfig(rawLab(s), s)))]));

  for (const s of STACKS) {
    it(`${s}: validate against the chart's values.schema.json (ajv)`, () => {
      const ajv = new Ajv({ strict: false, allErrors: true });
      const validate = ajv.compile(schema);
      assert.ok(validate(values[s]), JSON.stringify(validate.errors, null, 1));
    });
    it(`${s}: every key path exists in chart 1.16.3 values.yaml or is listed with its version`, () => {
      for (const p of leafPaths(values[s])) {
        if (has(defaults, p)) continue;
        const listed = VALUES_NOT_IN_1_16_3.find((x) => x.path === p);
        assert.ok(listed, `${p} is not in values.yaml 1.16.3 and not listed in VALUES_NOT_IN_1_16_3`);
        assert.match(listed.since, /^\d+\.\d+/);
      }
    });
  }

  const wgCases: [string, Record<string, string>][] = [
    ['wireguard strict egress, chart 1.18', { encryption: 'wireguard', wireguardStrictMode: 'egress', wireguardNodeEncryption: 'true' }],
    ['wireguard strict egress+ingress, chart 1.19', { encryption: 'wireguard', wireguardStrictMode: 'egress+ingress', ciliumVersion: '1.19.2' }],
    ['wireguard strict egress, chart 1.16', { encryption: 'wireguard', wireguardStrictMode: 'egress', ciliumVersion: '1.16.3' }],
  ];
  for (const [what, raw] of wgCases) {
    it(`${what}: validates against the schema; every path is in 1.16.3 or listed with a version the config allows`, () => {
      const cfg = parseLabConfig(raw, 'wg');
      const v = ciliumValues(cfg, planTopology(cfg));
      const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
      assert.ok(validate(v), JSON.stringify(validate.errors, null, 1));
      const [maj, min] = cfg.ciliumVersion.split('.').map(Number);
      for (const p of leafPaths(v)) {
        if (has(defaults, p)) continue;
        const listed = VALUES_NOT_IN_1_16_3.find((x) => x.path === p);
        assert.ok(listed, `${p} is not in values.yaml 1.16.3 and not listed`);
        const [sMaj, sMin] = listed.since.split('.').map(Number);
        assert.ok(maj > sMaj || (maj === sMaj && min >= sMin), `${p} (since ${listed.since}) used with chart ${cfg.ciliumVersion}`);
      }
    });
  }

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
    assert.ok(has(defaults, 'encryption.strictMode.allowRemoteNodeIdentities') && has(defaults, 'encryption.nodeEncryption'));
  });

  it('listed exceptions are real: kubeProxyReplacement appears in 1.16.3 only as a comment', () => {
    for (const x of VALUES_NOT_IN_1_16_3) assert.ok(!has(defaults, x.path), `${x.path} exists after all: drop it from the list`);
    assert.match(defaultsText, /^#kubeProxyReplacement:/m);
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
