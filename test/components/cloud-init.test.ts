import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';
import * as YAML from 'yaml';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { LAB_USER, ROUTER_NODE_KEY_PATH, metaData, networkConfig, seedFiles, userData } from '../../components/cloud-init';
import { rawLab } from './helpers';

const cfg = parseLabConfig(rawLab('unencrypted'), 'unencrypted');
const plan = planTopology(cfg);
const PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockMockMockMockMockMockMockMockMockMockMock lab';
const PRIV = '-----BEGIN OPENSSH PRIVATE KEY-----\nbW9jaw==\n-----END OPENSSH PRIVATE KEY-----\n';

/** Parse as cloud-init does (YAML 1.1, PyYAML semantics). */
function parse11(text: string): any {
  return YAML.parse(text, { version: '1.1' });
}

describe('cloud-init seeds', () => {
  it('router: lab user with the key, router setup (forwarding/NAT/tcpdump), the node key, no package installs', () => {
    const ud = userData(plan, plan.router, { sshPublicKey: PUB, routerPrivateKey: PRIV });
    assert.ok(ud.startsWith('#cloud-config\n'));
    const d = parse11(ud);
    assert.strictEqual(d.hostname, 'router');
    assert.strictEqual(d.users[0].name, LAB_USER);
    assert.deepStrictEqual(d.users[0].ssh_authorized_keys, [PUB]);
    assert.strictEqual(d.ssh_pwauth, false);
    assert.strictEqual(d.package_update, false);
    assert.strictEqual(d.packages, undefined, 'no cloud-init packages: (would need network even when installed)');
    const files = Object.fromEntries(d.write_files.map((f: any) => [f.path, f]));
    assert.strictEqual(files[ROUTER_NODE_KEY_PATH].content, PRIV);
    assert.strictEqual(files[ROUTER_NODE_KEY_PATH].permissions, '0600');
    assert.strictEqual(files[ROUTER_NODE_KEY_PATH].defer, true);
    assert.match(files['/etc/lab/router.env'].content, /API_DNAT_TO='192\.168\.211\.10:6443'/);
    const setup = files['/usr/local/sbin/lab-router-setup'].content;
    assert.match(setup, /ip_forward = 1/);
    assert.match(setup, /masquerade/);
    assert.match(setup, /dpkg -s "\$pkg"/, 'installs only what is missing');
    assert.match(setup, /tcpdump/);
    assert.ok(setup.startsWith(fs.readFileSync(path.join(REPO_ROOT, 'scripts/vm/lib.sh'), 'utf8')), 'lib.sh ships in front of the script');
    assert.deepStrictEqual(d.runcmd, [['/usr/local/sbin/lab-router-setup']]);
  });

  for (const vm of plan.nodes) {
    it(`${vm.name}: lab user, node setup, no private key, no Kubernetes install at boot`, () => {
      const ud = userData(plan, vm, { sshPublicKey: PUB });
      const d = parse11(ud);
      assert.strictEqual(d.hostname, vm.name);
      assert.ok(!ud.includes('PRIVATE KEY'));
      assert.ok(!/pkgs\.k8s\.io|apt-get/.test(ud), 'Kubernetes packages are installed later by node-kube-install.sh');
      assert.deepStrictEqual(d.runcmd, [['/usr/local/sbin/lab-node-setup']]);
    });
  }

  it('router needs the private key', () => {
    assert.throws(() => userData(plan, plan.router, { sshPublicKey: PUB }), /routerPrivateKey/);
  });

  it('network-config v2: match by MAC, deterministic names, static addresses, default route via the router', () => {
    const r = parse11(networkConfig(plan, plan.router));
    assert.strictEqual(r.version, 2);
    assert.deepStrictEqual(Object.keys(r.ethernets), ['uplink', 'seg1', 'seg2']);
    for (const i of plan.router.interfaces) {
      assert.strictEqual(r.ethernets[i.name].match.macaddress, i.mac, 'MAC stays a string under YAML 1.1');
      assert.strictEqual(r.ethernets[i.name]['set-name'], i.name);
    }
    assert.deepStrictEqual(r.ethernets.uplink.routes, [{ to: '0.0.0.0/0', via: '192.168.210.1' }]);
    assert.strictEqual(r.ethernets.seg1.routes, undefined);
    const w2 = parse11(networkConfig(plan, plan.workers[1]));
    assert.deepStrictEqual(w2.ethernets.lab0.addresses, ['192.168.44.128/24']);
    assert.deepStrictEqual(w2.ethernets.lab0.routes, [{ to: '0.0.0.0/0', via: '192.168.44.1' }]);
    assert.deepStrictEqual(w2.ethernets.lab0.nameservers, { addresses: ['192.168.210.1'] });
  });

  it('a MAC that reads as a YAML 1.1 sexagesimal number is quoted', () => {
    const vm = { ...plan.router, interfaces: [{ ...plan.router.interfaces[0], mac: '52:54:00:12:34:56' }] };
    assert.strictEqual(parse11(networkConfig(plan, vm)).ethernets.uplink.match.macaddress, '52:54:00:12:34:56');
  });

  it('meta-data: stable instance id per stack and VM', () => {
    assert.deepStrictEqual(parse11(metaData(plan.workers[0])), { 'instance-id': 'cil-unencrypted-worker1', 'local-hostname': 'worker1' });
  });

  it('seeds do not depend on lab:encryption', () => {
    const raw = rawLab('unencrypted');
    const p2 = planTopology(parseLabConfig({ ...raw, encryption: 'ipsec' }, 'unencrypted'));
    for (let i = 0; i < plan.vms.length; i++) {
      const o = { sshPublicKey: PUB, routerPrivateKey: PRIV };
      assert.deepStrictEqual(seedFiles(plan, plan.vms[i], o), seedFiles(p2, p2.vms[i], o));
    }
  });
});
