import * as assert from 'assert';
import { execSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import * as YAML from 'yaml';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { caCertHash, kubeadmApiVersion, kubeadmInitConfig, kubeadmJoinConfig, kubeconfigYaml } from '../../components/kubeadm';
import { rawLab } from './helpers';

const cfg = parseLabConfig(rawLab('ipsec'), 'ipsec');
const plan = planTopology(cfg);
const TOKEN = 'abcdef.0123456789abcdef';

describe('kubeadm builders', () => {
  it('CA hash = sha256 of the DER SubjectPublicKeyInfo (same as the openssl recipe in the kubeadm docs)', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const viaOpenssl = execSync('openssl pkey -pubin -outform der | sha256sum', { input: pem }).toString().split(' ')[0];
    assert.strictEqual(caCertHash(pem), `sha256:${viaOpenssl}`);
  });

  it('init: no kube-proxy, podSubnet = Cilium cluster pool, token, advertise address, SANs for the router DNAT', () => {
    const docs = YAML.parseAllDocuments(kubeadmInitConfig(cfg, plan, TOKEN)).map((d) => d.toJS());
    const [init, cluster, kubelet] = docs;
    assert.strictEqual(init.apiVersion, kubeadmApiVersion(cfg.kubernetesVersion));
    assert.strictEqual(init.kind, 'InitConfiguration');
    assert.deepStrictEqual(init.skipPhases, ['addon/kube-proxy']);
    assert.strictEqual(init.bootstrapTokens[0].token, TOKEN);
    assert.strictEqual(init.localAPIEndpoint.advertiseAddress, plan.controlPlane.ip);
    assert.strictEqual(init.nodeRegistration.name, 'control-plane');
    assert.strictEqual(cluster.kind, 'ClusterConfiguration');
    assert.strictEqual(cluster.networking.podSubnet, cfg.podCidr);
    assert.strictEqual(cluster.kubernetesVersion, `v${cfg.kubernetesVersion}`);
    assert.ok(cluster.apiServer.certSANs.includes(plan.router.ip));
    assert.strictEqual(kubelet.cgroupDriver, 'systemd');
    assert.throws(() => kubeadmInitConfig(cfg, plan, 'bad'), /bootstrap token/);
  });

  it('join: token discovery pinned to the CA hash, node name and IP', () => {
    const hash = 'sha256:' + 'ab'.repeat(32);
    const j = YAML.parse(kubeadmJoinConfig(cfg, plan, plan.workers[1], TOKEN, hash));
    assert.strictEqual(j.kind, 'JoinConfiguration');
    assert.deepStrictEqual(j.discovery.bootstrapToken, { apiServerEndpoint: `${plan.controlPlane.ip}:6443`, token: TOKEN, caCertHashes: [hash] });
    assert.strictEqual(j.nodeRegistration.name, 'worker2');
    assert.deepStrictEqual(j.nodeRegistration.kubeletExtraArgs, [{ name: 'node-ip', value: plan.workers[1].ip }]);
  });

  it('v1beta3 before Kubernetes 1.31 (kubeletExtraArgs as a map)', () => {
    const old = parseLabConfig({ ...rawLab('ipsec'), kubernetesVersion: '1.30.5' }, 'ipsec');
    const j = YAML.parse(kubeadmJoinConfig(old, plan, plan.workers[0], TOKEN, 'sha256:' + '0'.repeat(64)));
    assert.strictEqual(j.apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.deepStrictEqual(j.nodeRegistration.kubeletExtraArgs, { 'node-ip': plan.workers[0].ip });
  });

  it('kubeconfig embeds the CA and the client certificate, server = external endpoint', () => {
    const k = YAML.parse(kubeconfigYaml({ clusterName: 'c', server: 'https://192.168.209.2:6443', caCertPem: 'CA', clientCertPem: 'CERT', clientKeyPem: 'KEY' }));
    assert.strictEqual(k.clusters[0].cluster.server, 'https://192.168.209.2:6443');
    assert.strictEqual(Buffer.from(k.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), 'CA');
    assert.strictEqual(Buffer.from(k.users[0].user['client-key-data'], 'base64').toString(), 'KEY');
    assert.strictEqual(k['current-context'], k.contexts[0].name);
  });
});
