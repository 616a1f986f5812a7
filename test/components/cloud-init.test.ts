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

/** The parts of user-data the tests read. */
interface UserDataDoc {
  hostname: string;
  users: { name: string; ssh_authorized_keys: string[] }[];
  ssh_pwauth: boolean;
  package_update: boolean;
  packages?: unknown;
  write_files?: { path: string; content: string; permissions?: string; defer?: boolean }[];
  runcmd?: unknown;
}
/** The parts of network-config v2 the tests read. */
interface NetworkConfigDoc {
  version: number;
  ethernets: Record<string, {
    match: { macaddress: string };
    'set-name'?: string;
    addresses?: string[];
    routes?: { to: string; via: string }[];
    nameservers?: { addresses: string[] };
  }>;
}

/** Parse as cloud-init does (YAML 1.1, PyYAML semantics). */
function parse11<T = unknown>(text: string): T {
  return YAML.parse(text, { version: '1.1' }) as T;
}

/** No line of any scripts/vm file (lib.sh included) is in the user-data: editing one must not change a seed. */
function assertNoProjectScript(ud: string): void {
  const dir = path.join(REPO_ROOT, 'scripts/vm');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh'));
  assert.ok(scripts.includes('lib.sh') && scripts.includes('router-setup.sh') && scripts.includes('node-setup.sh'), scripts.join(' '));
  for (const f of scripts) {
    const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim().length >= 24);
    for (const l of lines) assert.ok(!ud.includes(l.trim()), `user-data carries ${f}: ${l.trim()}`);
  }
}

describe('cloud-init seeds', () => {
  it('router: lab user with the key, the node key, no script and no package install', () => {
    const ud = userData(plan, plan.router, { sshPublicKey: PUB, routerPrivateKey: PRIV });
    assert.ok(ud.startsWith('#cloud-config\n'));
    const d = parse11<UserDataDoc>(ud);
    assert.strictEqual(d.hostname, 'router');
    assert.strictEqual(d.users[0].name, LAB_USER);
    assert.deepStrictEqual(d.users[0].ssh_authorized_keys, [PUB]);
    assert.strictEqual(d.ssh_pwauth, false);
    assert.strictEqual(d.package_update, false);
    assert.strictEqual(d.packages, undefined, 'no cloud-init packages: (would need network even when installed)');
    const files = d.write_files ?? [];
    assert.deepStrictEqual(files.map((f) => f.path), [ROUTER_NODE_KEY_PATH]);
    const [key] = files;
    assert.strictEqual(key.content, PRIV);
    assert.strictEqual(key.permissions, '0600');
    assert.strictEqual(key.defer, true);
    // The router's setup runs as a command after boot (router.ts), so no script text is in the seed.
    assert.strictEqual(d.runcmd, undefined);
    assertNoProjectScript(ud);
  });

  for (const vm of plan.nodes) {
    it(`${vm.name}: lab user, no private key, no script, no package install at boot`, () => {
      const ud = userData(plan, vm, { sshPublicKey: PUB });
      const d = parse11<UserDataDoc>(ud);
      assert.strictEqual(d.hostname, vm.name);
      assert.deepStrictEqual(d.users[0].ssh_authorized_keys, [PUB]);
      assert.ok(!ud.includes('PRIVATE KEY'));
      assert.strictEqual(d.write_files, undefined);
      assert.strictEqual(d.runcmd, undefined);
      assert.ok(!/pkgs\.k8s\.io|apt-get|apt_get|packages:/.test(ud), 'installs nothing at boot');
      assertNoProjectScript(ud);
    });
  }

  describe('offline sources (lab:aptSources, lab:registryMirrors)', () => {
    const offline = parseLabConfig(
      {
        ...rawLab('unencrypted'),
        aptSources: JSON.stringify(['deb [trusted=yes] http://192.168.210.1:8080/debian trixie main', 'deb [trusted=yes] http://192.168.210.1:8080/k8s ./']),
        registryMirrors: JSON.stringify({ 'registry.k8s.io': 'http://192.168.210.1:5000', 'quay.io': 'http://192.168.210.1:5000' }),
      },
      'unencrypted',
    );
    const seeds = (vm: (typeof plan.vms)[number], sources?: typeof offline) =>
      parse11<UserDataDoc & { apt?: { preserve_sources_list: boolean; sources_list: string } }>(
        userData(plan, vm, { sshPublicKey: PUB, routerPrivateKey: PRIV, ...(sources ? { sources } : {}) }),
      );

    it('every VM: cloud-init\'s apt module replaces the distribution sources with the configured ones, as deb822', () => {
      for (const vm of plan.vms) {
        const d = seeds(vm, offline);
        assert.strictEqual(d.apt?.preserve_sources_list, false, vm.name);
        assert.strictEqual(
          d.apt?.sources_list,
          'Types: deb\nURIs: http://192.168.210.1:8080/debian\nSuites: trixie\nComponents: main\nTrusted: yes\n\nTypes: deb\nURIs: http://192.168.210.1:8080/k8s\nSuites: ./\nTrusted: yes\n',
        );
      }
    });

    it('nodes: one containerd hosts.toml per mirrored registry; the router runs no containerd and gets none', () => {
      for (const vm of plan.nodes) {
        const files = (seeds(vm, offline).write_files ?? []).filter((f) => f.path.startsWith('/etc/containerd/'));
        assert.deepStrictEqual(
          files.map((f) => [f.path, f.permissions, f.content.split('\n').filter((l) => !l.startsWith('#'))]),
          [
            ['/etc/containerd/certs.d/quay.io/hosts.toml', '0644', ['server = "http://192.168.210.1:5000"', '', '[host."http://192.168.210.1:5000"]', '  capabilities = ["pull", "resolve"]', '']],
            ['/etc/containerd/certs.d/registry.k8s.io/hosts.toml', '0644', ['server = "http://192.168.210.1:5000"', '', '[host."http://192.168.210.1:5000"]', '  capabilities = ["pull", "resolve"]', '']],
          ],
        );
      }
      assert.ok(!(seeds(plan.router, offline).write_files ?? []).some((f) => f.path.startsWith('/etc/containerd/')));
    });

    it('the internet defaults leave the seeds as they were: no apt key, no registry files', () => {
      const def = parseLabConfig(rawLab('unencrypted'), 'unencrypted');
      for (const vm of plan.vms) {
        assert.deepStrictEqual(seeds(vm, def), seeds(vm), vm.name);
        assert.strictEqual(seeds(vm, def).apt, undefined);
      }
    });
  });

  it('router needs the private key', () => {
    assert.throws(() => userData(plan, plan.router, { sshPublicKey: PUB }), /routerPrivateKey/);
  });

  it('network-config v2: match by MAC, deterministic names, static addresses, default route via the router', () => {
    const r = parse11<NetworkConfigDoc>(networkConfig(plan, plan.router));
    assert.strictEqual(r.version, 2);
    assert.deepStrictEqual(Object.keys(r.ethernets), ['uplink', 'seg1', 'seg2']);
    for (const i of plan.router.interfaces) {
      assert.strictEqual(r.ethernets[i.name].match.macaddress, i.mac, 'MAC stays a string under YAML 1.1');
      assert.strictEqual(r.ethernets[i.name]['set-name'], i.name);
    }
    assert.deepStrictEqual(r.ethernets.uplink.routes, [{ to: '0.0.0.0/0', via: '192.168.210.1' }]);
    assert.strictEqual(r.ethernets.seg1.routes, undefined);
    const w2 = parse11<NetworkConfigDoc>(networkConfig(plan, plan.workers[1]));
    assert.deepStrictEqual(w2.ethernets.lab0.addresses, ['192.168.44.128/24']);
    assert.deepStrictEqual(w2.ethernets.lab0.routes, [{ to: '0.0.0.0/0', via: '192.168.44.1' }]);
    assert.deepStrictEqual(w2.ethernets.lab0.nameservers, { addresses: ['192.168.210.1'] });
  });

  it('a MAC that reads as a YAML 1.1 sexagesimal number is quoted', () => {
    const vm = { ...plan.router, interfaces: [{ ...plan.router.interfaces[0], mac: '52:54:00:12:34:56' }] };
    assert.strictEqual(parse11<NetworkConfigDoc>(networkConfig(plan, vm)).ethernets.uplink.match.macaddress, '52:54:00:12:34:56');
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
