import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import * as pulumi from '@pulumi/pulumi';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, DEFAULT_IMAGE_CHECKSUM, LabConfigError, TCG_CPU_MODEL, checkChartSource, cidrsOverlap, parseLabConfig, proxyFromUri } from '../../components/config';
import { planTopology } from '../../components/topology';
import { STACKS, configText, rawLab, repoRoot } from './helpers';

describe('lab config', () => {
  it('Pulumi.yaml documents every key with the code default (and nothing else)', () => {
    const project = YAML.parse(fs.readFileSync(path.join(repoRoot, 'Pulumi.yaml'), 'utf8'));
    assert.strictEqual(project.name, 'cilium-ipsec-lab');
    const keys = Object.keys(project.config).filter((k) => k.startsWith('lab:')).map((k) => k.slice(4));
    assert.deepStrictEqual(keys.sort(), [...CONFIG_KEY_NAMES].sort());
    for (const k of CONFIG_KEY_NAMES) {
      const entry = project.config[`lab:${k}`];
      assert.strictEqual(configText(entry.value), CONFIG_KEYS[k].default, `lab:${k} value in Pulumi.yaml`);
      assert.ok(typeof entry.description === 'string' && entry.description.length > 10, `lab:${k} has a description`);
      // Pulumi rejects type/default on keys outside the project namespace.
      assert.ok(!('default' in entry) && !('type' in entry), `lab:${k} must use value, not default/type`);
    }
  });

  it('defaults parse into the documented lab', () => {
    const c = parseLabConfig({}, 'dev');
    assert.strictEqual(c.encryption, 'none');
    assert.strictEqual(c.libvirtUri, 'qemu:///system');
    assert.strictEqual(c.sshProxy, undefined);
    assert.strictEqual(c.seg1Subnet, '192.168.211.0/24');
    assert.strictEqual(c.seg2Subnet, '192.168.44.0/24');
    assert.strictEqual(c.podCidr, '10.0.0.0/8');
    assert.strictEqual(c.ipsecKeyId, 3);
    assert.strictEqual(c.domainType, 'kvm');
    assert.match(c.ciliumVersion, /^1\.18\.\d+$/);
    // The default image is a dated Ubuntu LTS release pinned by its sha256, not a moving "current" link.
    assert.match(c.imageUrl, /^https:\/\/cloud-images(-archive)?\.ubuntu\.com\/releases\/noble\/release-\d{8}\/ubuntu-24\.04-server-cloudimg-amd64\.img$/);
    assert.strictEqual(c.imageChecksum, DEFAULT_IMAGE_CHECKSUM, 'an empty lab:imageChecksum stands for the default image digest');
    assert.match(c.imageChecksum, /^sha256:[0-9a-f]{64}$/);
    assert.strictEqual(c.prefix, 'cil-dev-');
    assert.deepStrictEqual(c.sizes['control-plane'], { vcpus: 2, memoryMiB: 3072, diskGiB: 20 });
    assert.strictEqual(c.captureRun, 1);
    assert.strictEqual(c.pingCount, 10);
    assert.strictEqual(c.httpRequests, 5);
  });

  it('each stack file parses; unencrypted/ipsec/dev subnets never collide, so they run side by side', () => {
    const cfgs = STACKS.map((s) => parseLabConfig(rawLab(s), s));
    assert.strictEqual(cfgs[1].encryption, 'none');
    assert.strictEqual(cfgs[2].encryption, 'ipsec');
    assert.strictEqual(cfgs[1].seg1Subnet, '192.168.211.0/24', 'unencrypted keeps the manual method subnets');
    for (let i = 0; i < cfgs.length; i++) {
      for (let j = i + 1; j < cfgs.length; j++) {
        for (const a of [cfgs[i].seg1Subnet, cfgs[i].seg2Subnet, cfgs[i].uplinkSubnet]) {
          for (const b of [cfgs[j].seg1Subnet, cfgs[j].seg2Subnet, cfgs[j].uplinkSubnet]) {
            assert.ok(!cidrsOverlap(a, b), `${STACKS[i]} ${a} overlaps ${STACKS[j]} ${b}`);
          }
        }
      }
    }
  });

  it('wireguard: the stack file parses with WireGuard defaults; the options parse where they apply', () => {
    const wg = parseLabConfig(rawLab('wireguard'), 'wireguard');
    assert.strictEqual(wg.encryption, 'wireguard');
    assert.deepStrictEqual(wg.wireguard, { nodeEncryption: false, strictMode: 'off' });
    const strict = parseLabConfig({ encryption: 'wireguard', wireguardNodeEncryption: 'true', wireguardStrictMode: 'egress' }, 's');
    assert.deepStrictEqual(strict.wireguard, { nodeEncryption: true, strictMode: 'egress' });
    const both = parseLabConfig({ encryption: 'wireguard', wireguardStrictMode: 'egress+ingress', ciliumVersion: '1.19.0' }, 's');
    assert.strictEqual(both.wireguard.strictMode, 'egress+ingress');
    // Off is always accepted, so a stack can leave the keys at their defaults on every mode.
    assert.deepStrictEqual(parseLabConfig({ encryption: 'ipsec', wireguardNodeEncryption: 'false', wireguardStrictMode: 'off' }, 's').wireguard, { nodeEncryption: false, strictMode: 'off' });
  });

  it('all four stacks have distinct libvirt names, bridges and MACs (they run side by side)', () => {
    const seen = new Map<string, string>();
    for (const s of STACKS) {
      const plan = planTopology(parseLabConfig(rawLab(s), s));
      const names = [
        plan.pool.name,
        ...Object.values(plan.networks).flatMap((n) => [n.name, n.bridge]),
        ...plan.vms.flatMap((v) => [v.domain, ...v.interfaces.map((n) => n.mac)]),
      ];
      for (const n of names) {
        assert.ok(!seen.has(n), `${s}: ${n} is also used by ${seen.get(n)}`);
        seen.set(n, s);
      }
    }
    assert.ok(seen.size > 4 * 10);
  });

  it('derives the SSH jump host from a qemu+ssh URI, and sshProxy overrides it', () => {
    assert.strictEqual(proxyFromUri('qemu+ssh://me@lab.example:2222/system'), 'me@lab.example:2222');
    assert.strictEqual(parseLabConfig({ libvirtUri: 'qemu+ssh://me@host/system' }, 's').sshProxy, 'me@host');
    assert.strictEqual(parseLabConfig({ libvirtUri: 'qemu+ssh://me@host/system', sshProxy: 'jump@other' }, 's').sshProxy, 'jump@other');
  });

  it('accepts a local image without checksum, and sha256:<hex> or a SUMS URL', () => {
    assert.strictEqual(parseLabConfig({ imageUrl: '/var/cache/img.qcow2', imageChecksum: '' }, 's').imageChecksum, '');
    assert.strictEqual(parseLabConfig({ imageUrl: 'file:///x/img.qcow2', imageChecksum: '' }, 's').imageUrl, 'file:///x/img.qcow2');
    parseLabConfig({ imageUrl: 'https://e.example/a.img', imageChecksum: 'sha256:' + 'a'.repeat(64) }, 's');
  });

  it('offline sources, guest OS, slow host and CPU: the defaults are the internet and the host\'s own', () => {
    const c = parseLabConfig({}, 'dev');
    assert.deepStrictEqual(c.aptSources, []);
    assert.deepStrictEqual(c.registryMirrors, {});
    assert.deepStrictEqual(c.ciliumChart, { kind: 'repository', repo: 'https://helm.cilium.io' });
    assert.strictEqual(c.guestOs, 'ubuntu-24.04');
    assert.strictEqual(c.slowHost, false);
    assert.strictEqual(c.cpuModel, 'host-passthrough');
    assert.strictEqual(parseLabConfig({ domainType: 'qemu' }, 'dev').cpuModel, TCG_CPU_MODEL);
  });

  it('offline sources as a bundle prints them (structured values arrive as JSON text) parse into the config', () => {
    const c = parseLabConfig(
      {
        guestOs: 'debian-13',
        imageUrl: '/var/lib/lab-bundle/trixie.qcow2',
        imageChecksum: '',
        aptSources: JSON.stringify(['deb [trusted=yes] http://192.168.210.1:8080/debian trixie main', 'deb [trusted=yes] http://192.168.210.1:8080/k8s ./']),
        registryMirrors: JSON.stringify({ 'registry.k8s.io': 'http://192.168.210.1:5000', 'docker.io': 'http://192.168.210.1:5000', 'quay.io': 'http://192.168.210.1:5000' }),
        ciliumChart: '/var/lib/lab-bundle/cilium-1.18.4.tgz',
        ciliumVersion: '1.18.4',
        domainType: 'qemu',
        cpuModel: 'maximum',
        slowHost: 'true',
      },
      'offline',
    );
    assert.strictEqual(c.guestOs, 'debian-13');
    assert.deepStrictEqual(c.aptSources.map((a) => [a.uri, a.suite, a.components, a.options]), [
      ['http://192.168.210.1:8080/debian', 'trixie', ['main'], [['Trusted', 'yes']]],
      ['http://192.168.210.1:8080/k8s', './', [], [['Trusted', 'yes']]],
    ]);
    assert.deepStrictEqual(Object.keys(c.registryMirrors).sort(), ['docker.io', 'quay.io', 'registry.k8s.io']);
    assert.deepStrictEqual(c.ciliumChart, { kind: 'local', path: '/var/lib/lab-bundle/cilium-1.18.4.tgz' });
    assert.strictEqual(c.cpuModel, 'maximum');
    assert.strictEqual(c.slowHost, true);
  });

  it('a local chart is checked on disk before anything is created: it must be cilium at lab:ciliumVersion', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-chart-'));
    try {
      fs.mkdirSync(path.join(dir, 'cilium'));
      fs.writeFileSync(path.join(dir, 'cilium', 'Chart.yaml'), 'name: cilium\nversion: 1.18.4\n');
      checkChartSource(parseLabConfig({ ciliumChart: './cilium', ciliumVersion: '1.18.4' }, 's'), dir);
      // A repository or a URL is not on this disk: nothing to check before the Release downloads it.
      checkChartSource(parseLabConfig({}, 's'), '/nonexistent');
      assert.throws(() => checkChartSource(parseLabConfig({ ciliumChart: './nowhere' }, 's'), dir), /lab:ciliumChart = "\.\/nowhere": expected a readable chart directory or \.tgz at .*nowhere/);
      assert.throws(
        () => checkChartSource(parseLabConfig({ ciliumChart: './cilium', ciliumVersion: '1.19.0' }, 's'), dir),
        (e: unknown) => e instanceof LabConfigError && /^lab:ciliumChart = "\.\/cilium": expected the cilium chart at lab:ciliumVersion 1\.19\.0; .*holds cilium 1\.18\.4$/.test(e.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    ['unknown encryption mode', { encryption: 'macsec' }, /lab:encryption = "macsec": expected one of none, ipsec, wireguard/],
    ['WireGuard node encryption on ipsec', { encryption: 'ipsec', wireguardNodeEncryption: 'true' }, /lab:wireguardNodeEncryption = "true": expected false \(or unset\) with lab:encryption ipsec: it applies to wireguard only/],
    ['WireGuard strict mode without WireGuard', { wireguardStrictMode: 'egress' }, /lab:wireguardStrictMode = "egress": expected off \(or unset\) with lab:encryption none/],
    ['WireGuard node encryption not a boolean', { encryption: 'wireguard', wireguardNodeEncryption: 'yes' }, /lab:wireguardNodeEncryption = "yes": expected true or false/],
    ['unknown strict mode', { encryption: 'wireguard', wireguardStrictMode: 'ingress' }, /lab:wireguardStrictMode = "ingress": expected one of off, egress, egress\+ingress/],
    ['ingress strict mode on a chart without it', { encryption: 'wireguard', wireguardStrictMode: 'egress+ingress', ciliumVersion: '1.18.12' }, /lab:wireguardStrictMode = "egress\+ingress": expected off or egress with Cilium 1\.18: ingress strict mode needs chart 1\.19 or newer \(lab:ciliumVersion\)/],
    ['SPI 0', { ipsecKeyId: '0' }, /lab:ipsecKeyId = "0": expected an integer from 1 to 15/],
    ['SPI 16', { ipsecKeyId: '16' }, /lab:ipsecKeyId = "16": expected an integer from 1 to 15/],
    ['SPI not a number', { ipsecKeyId: 'three' }, /lab:ipsecKeyId = "three": expected an integer/],
    ['malformed subnet', { seg1Subnet: '192.168.1.0/33' }, /lab:seg1Subnet = "192.168.1.0\/33": expected an IPv4 network in CIDR form/],
    ['host bits set', { seg2Subnet: '192.168.44.7/24' }, /lab:seg2Subnet = "192.168.44.7\/24": expected an IPv4 network/],
    ['not an address', { seg1Subnet: 'banana' }, /lab:seg1Subnet = "banana"/],
    ['an inet_aton shorthand (the one CIDR parser refuses it)', { podCidr: '10.1/16' }, /lab:podCidr = "10\.1\/16": expected an IPv4 network in CIDR form/],
    ['an IPv6 network', { serviceCidr: 'fd00::/108' }, /lab:serviceCidr = "fd00::\/108": expected an IPv4 network in CIDR form/],
    ['segments overlap', { seg2Subnet: '192.168.211.0/24' }, /lab:seg2Subnet = "192.168.211.0\/24": expected a network that does not overlap lab:seg1Subnet 192.168.211.0\/24/],
    ['uplink overlaps a segment', { uplinkSubnet: '192.168.0.0/16' }, /lab:uplinkSubnet = "192.168.0.0\/16": expected a network that does not overlap lab:seg1Subnet/],
    ['pod CIDR overlaps node subnets', { podCidr: '192.168.0.0/16' }, /lab:podCidr = "192.168.0.0\/16": expected a network that does not overlap lab:seg1Subnet/],
    ['service CIDR inside the pod CIDR', { serviceCidr: '10.96.0.0/12' }, /lab:serviceCidr = "10.96.0.0\/12": expected a network that does not overlap lab:podCidr 10.0.0.0\/8/],
    ['domain type', { domainType: 'xen' }, /lab:domainType = "xen": expected one of kvm, qemu/],
    ['capture interface', { captureInterface: 'ens38' }, /lab:captureInterface = "ens38": expected one of seg1, seg2, uplink, any/],
    ['unpinned image', { clientImage: 'docker.io/nicolaka/netshoot:latest' }, /lab:clientImage .*pinned/],
    ['untagged image', { serverImage: 'nginx' }, /lab:serverImage = "nginx"/],
    ['checksum garbage', { imageChecksum: 'md5:abc' }, /lab:imageChecksum = "md5:abc": expected sha256:<64 lowercase hex>/],
    ['custom URL without checksum', { imageUrl: 'https://e.example/a.img' }, /lab:imageChecksum = \(unset\): expected a checksum for lab:imageUrl "https:\/\/e\.example\/a\.img" .*the default checksum belongs to the default image only/],
    ['remote image with an empty checksum', { imageUrl: 'https://e.example/a.img', imageChecksum: '' }, /lab:imageChecksum = "": expected a checksum for lab:imageUrl "https:\/\/e\.example\/a\.img"/],
    ['kubernetes version', { kubernetesVersion: '1.33' }, /lab:kubernetesVersion = "1.33": expected a Kubernetes release as MAJOR.MINOR.PATCH/],
    ['cilium too old', { ciliumVersion: '1.15.6' }, /lab:ciliumVersion = "1.15.6": expected Cilium 1.16 or newer/],
    ['control-plane 0 vCPUs', { controlPlaneVcpus: '0' }, /lab:controlPlaneVcpus = "0": expected an integer from 1 to 64/],
    ['memory not a number', { workerMemoryMiB: '2G' }, /lab:workerMemoryMiB = "2G": expected an integer/],
    ['libvirt URI', { libvirtUri: 'localhost' }, /lab:libvirtUri = "localhost": expected a libvirt URI/],
    ['ssh proxy', { sshProxy: 'host-without-user' }, /lab:sshProxy = "host-without-user": expected user@host/],
    ['relative pool dir', { storagePoolDir: 'images' }, /lab:storagePoolDir = "images": expected an absolute directory path/],
    ['unknown key', { encrpytion: 'ipsec' }, /lab:encrpytion = "ipsec": expected a known key/],
    ['capture run 0', { captureRun: '0' }, /lab:captureRun = "0": expected an integer from 1/],
    ['api endpoint', { apiEndpoint: 'https://x' }, /lab:apiEndpoint = "https:\/\/x": expected host:port/],
    ['apt sources not a list', { aptSources: 'deb http://x trixie main' }, /lab:aptSources = "deb http:\/\/x trixie main": expected a list of apt source lines/],
    ['an apt source without component', { aptSources: '["deb http://x/debian trixie"]' }, /lab:aptSources = .*: expected at least one component after the suite trixie/],
    ['registry mirrors not an object', { registryMirrors: 'http://m:5000' }, /lab:registryMirrors = "http:\/\/m:5000": expected an object of registry host -> mirror URL/],
    ['a registry mirror without scheme', { registryMirrors: '{"docker.io":"m:5000"}' }, /lab:registryMirrors = .*: expected .*the mirror of docker\.io must be an http:\/\/ or https:\/\/ URL/],
    ['a chart archive of another version', { ciliumChart: 'http://h/cilium-1.19.0.tgz' }, /lab:ciliumChart = "http:\/\/h\/cilium-1\.19\.0\.tgz": expected .*must end in cilium-1\.18\.12\.tgz to match lab:ciliumVersion 1\.18\.12/],
    ['a chart by bare name', { ciliumChart: 'cilium' }, /lab:ciliumChart = "cilium": expected a chart repository URL/],
    ['host-passthrough under emulation', { domainType: 'qemu', cpuModel: 'host-passthrough' }, /lab:cpuModel = "host-passthrough": expected maximum or a QEMU CPU model name with lab:domainType qemu: host-passthrough needs KVM/],
    ['a CPU model with spaces', { cpuModel: 'qemu64 -cpu' }, /lab:cpuModel = "qemu64 -cpu": expected host-passthrough, host-model, maximum, a QEMU CPU model name/],
    ['slowHost not a boolean', { slowHost: 'yes' }, /lab:slowHost = "yes": expected true or false/],
    ['an unknown guest OS', { guestOs: 'fedora-41' }, /lab:guestOs = "fedora-41": expected one of ubuntu-24\.04, debian-13/],
    ['debian-13 on the default Ubuntu image', { guestOs: 'debian-13' }, /lab:imageUrl = \(unset\): expected a debian-13 image .* with lab:guestOs debian-13: the default image is Ubuntu 24\.04/],
  ];
  for (const [what, raw, message] of cases) {
    it(`refuses ${what} before anything is created, naming key, value and expectation`, () => {
      assert.throws(
        () => parseLabConfig(raw, 'dev'),
        (e: unknown) => {
          assert.ok(e instanceof LabConfigError, `expected LabConfigError, got ${String(e)}`);
          assert.match(e.message, message);
          assert.ok(pulumi.RunError.isInstance(e), 'Pulumi shows it without a stack trace');
          return true;
        },
      );
    });
  }
});
