/**
 * The bundle's images (OCI layouts, names asked of kubeadm and the chart) and its serving side (the
 * printed stack config, the address, the daemons' pid files).
 */
import { parseLabConfig } from '../../components/config';
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { BUNDLE_REGISTRY_HOST, chartImages, debianTag, imagePlan, kubeadmImages, type ImageNames } from '../../components/bundle/images';
import { MEDIA, refTag, tarDirectory, writeImage } from '../../components/bundle/oci';
import { DEFAULT_VERSIONS } from '../../components/bundle/recipe';
import { guestAddress, parseBundleArgs } from '../../components/bundle/cli';
import {
  freePort,
  httpDaemon,
  registryConfig,
  runningPid,
  splitRef,
  stackConfig,
  stackConfigYaml,
  startDaemon,
  stopDaemon,
  type BundleManifest,
} from '../../components/bundle/serve';

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

// `kubeadm config images list --kubernetes-version v1.33.13` as kubeadm v1.33.13 prints it
// (cmd/kubeadm/app/cmd/config.go: one reference a line, from images.GetControlPlaneImages and the
// etcd, pause and CoreDNS constants of cmd/kubeadm/app/constants/constants.go).
const KUBEADM_LIST = `registry.k8s.io/kube-apiserver:v1.33.13
registry.k8s.io/kube-controller-manager:v1.33.13
registry.k8s.io/kube-scheduler:v1.33.13
registry.k8s.io/kube-proxy:v1.33.13
registry.k8s.io/coredns/coredns:v1.12.0
registry.k8s.io/pause:3.10
registry.k8s.io/etcd:3.5.24-0
`;

describe('bundle images', function () {
  this.timeout(30000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-oci-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes an OCI layout whose blobs match their digests, diff ids and sizes', async () => {
    const dir = path.join(tmp, 'files');
    fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'usr', 'bin', 'hello'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const tar = path.join(tmp, 'layer.tar');
    await tarDirectory(dir, tar);
    const layout = path.join(tmp, 'layout');
    const img = await writeImage(layout, { ref: 'registry.k8s.io/pause:3.10', layers: [tar], config: { Entrypoint: ['/pause'] }, history: ['test'] });

    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    assert.strictEqual(index.manifests.length, 1);
    assert.strictEqual(index.manifests[0].annotations['org.opencontainers.image.ref.name'], '3.10');
    assert.strictEqual(index.manifests[0].digest, img.manifest.digest);
    const blob = (d: string) => fs.readFileSync(path.join(layout, 'blobs', ...d.split(':')));
    const manifestBytes = blob(img.manifest.digest);
    assert.strictEqual(sha(manifestBytes), img.manifest.digest);
    const manifest = JSON.parse(manifestBytes.toString());
    assert.strictEqual(manifest.mediaType, MEDIA.manifest);
    assert.strictEqual(manifest.config.mediaType, MEDIA.config);
    const configBytes = blob(manifest.config.digest);
    assert.strictEqual(sha(configBytes), manifest.config.digest);
    assert.strictEqual(configBytes.length, manifest.config.size);
    const config = JSON.parse(configBytes.toString());
    assert.deepStrictEqual(config.config.Entrypoint, ['/pause']);
    const layerBytes = blob(manifest.layers[0].digest);
    assert.strictEqual(sha(layerBytes), manifest.layers[0].digest);
    assert.strictEqual(layerBytes.length, manifest.layers[0].size);
    assert.strictEqual(manifest.layers[0].mediaType, MEDIA.layerGzip);
    // diff id: the uncompressed tar's digest; the layer unpacks to the staged file.
    assert.deepStrictEqual(config.rootfs.diff_ids, [sha(fs.readFileSync(tar))]);
    const listing = execFileSync('tar', ['-tzv', '-f', path.join(layout, 'blobs', ...manifest.layers[0].digest.split(':'))], { encoding: 'utf8' });
    assert.match(listing, /-rwxr-xr-x 0\/0 .* \.\/usr\/bin\/hello/);
  });

  it('the same files give the same digests (reproducible layouts)', async () => {
    const dir = path.join(tmp, 'files');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a'), 'a');
    const digests: string[] = [];
    for (const n of [1, 2]) {
      const tar = path.join(tmp, `l${n}.tar`);
      await tarDirectory(dir, tar);
      fs.utimesSync(path.join(dir, 'a'), new Date(), new Date(Date.now() + n * 1000));
      digests.push((await writeImage(path.join(tmp, `o${n}`), { ref: 'x.io/a:1', layers: [tar], config: {}, history: ['t'] })).manifest.digest);
    }
    assert.strictEqual(digests[0], digests[1]);
  });

  it('refuses an image without layers or with a history that does not match them', async () => {
    await assert.rejects(writeImage(path.join(tmp, 'x'), { ref: 'x.io/a:1', layers: [], config: {}, history: [] }), /no layers/);
    await assert.rejects(writeImage(path.join(tmp, 'x'), { ref: 'x.io/a:1', layers: ['/nonexistent'], config: {}, history: [] }), /1 layers but 0 history/);
    assert.throws(() => refTag('x.io/a'), /has no tag/);
  });

  it('takes the control-plane names from kubeadm and leaves kube-proxy out', () => {
    const n = kubeadmImages(KUBEADM_LIST, DEFAULT_VERSIONS);
    assert.deepStrictEqual(n, {
      kubeApiserver: 'registry.k8s.io/kube-apiserver:v1.33.13',
      kubeControllerManager: 'registry.k8s.io/kube-controller-manager:v1.33.13',
      kubeScheduler: 'registry.k8s.io/kube-scheduler:v1.33.13',
      etcd: 'registry.k8s.io/etcd:3.5.24-0',
      coredns: 'registry.k8s.io/coredns/coredns:v1.12.0',
      pause: 'registry.k8s.io/pause:3.10',
    });
  });

  it('refuses a kubeadm that asks for another etcd or CoreDNS than the recipe builds, naming both', () => {
    assert.throws(() => kubeadmImages(KUBEADM_LIST.replace('etcd:3.5.24-0', 'etcd:3.5.21-0'), DEFAULT_VERSIONS), /kubeadm asks for registry\.k8s\.io\/etcd:3\.5\.21-0, but the bundle's recipe builds tag 3\.5\.24-0/);
    assert.throws(() => kubeadmImages(KUBEADM_LIST.replace(/.*coredns.*\n/, ''), DEFAULT_VERSIONS), /expected one coredns image, got 0/);
    assert.throws(() => kubeadmImages('', DEFAULT_VERSIONS), /\(nothing\)/);
  });

  it('takes the agent and generic operator names from the chart values (templates/cilium-operator/_helpers.tpl)', () => {
    const values = 'image:\n  repository: "quay.io/cilium/cilium"\n  tag: "v1.18.4"\noperator:\n  image:\n    repository: "quay.io/cilium/operator"\n    tag: "v1.18.4"\n    suffix: ""\n';
    assert.deepStrictEqual(chartImages(values), { ciliumAgent: 'quay.io/cilium/cilium:v1.18.4', ciliumOperator: 'quay.io/cilium/operator-generic:v1.18.4' });
    assert.throws(() => chartImages('image: {}\n'), /image\.repository and image\.tag/);
  });

  it('tags a Debian-built image with its main package version', () => {
    assert.strictEqual(debianTag('curl 8.14.1-2\nnginx 1.26.3-3+deb13u1\n', 'nginx', 'trixie'), '1.26.3-3_deb13u1-trixie');
    assert.strictEqual(debianTag('tzdata 1:2025b-4\n', 'tzdata', 'trixie'), '2025b-4-trixie');
    assert.throws(() => debianTag('curl 8\n', 'nginx', 'trixie'), /package nginx is not in/);
  });

  it('plans every image the lab pulls, each with layers from the pieces that make it', () => {
    const names: ImageNames = {
      ...kubeadmImages(KUBEADM_LIST, DEFAULT_VERSIONS),
      ciliumAgent: 'quay.io/cilium/cilium:v1.18.4',
      ciliumOperator: 'quay.io/cilium/operator-generic:v1.18.4',
      server: `${BUNDLE_REGISTRY_HOST}/lab/server:nginx-1`,
      client: `${BUNDLE_REGISTRY_HOST}/lab/client:curl-1`,
    };
    const plan = imagePlan(names);
    assert.deepStrictEqual(plan.map((p) => p.ref).sort(), Object.values(names).sort());
    const byName = Object.fromEntries(plan.map((p) => [p.name, p]));
    assert.deepStrictEqual(byName.pause.layers, [{ files: [{ piece: 'kubernetes', from: 'bin/pause', to: 'pause' }] }], 'pause is FROM scratch');
    assert.deepStrictEqual(byName.coredns.config.Entrypoint, ['/coredns']);
    assert.deepStrictEqual(byName.cilium.layers, [{ rootfs: 'rootfs-cilium' }, { tree: { piece: 'cilium', from: 'agent' } }]);
    assert.deepStrictEqual(byName.server.config.Cmd, ['nginx', '-g', 'daemon off;']);
  });
});

function manifest(): BundleManifest {
  const img = (name: string, ref: string) => ({ name, ref, layout: `layouts/${name}`, manifest: { mediaType: MEDIA.manifest, digest: 'sha256:00', size: 1 }, layers: [], size: 1 });
  return {
    versions: DEFAULT_VERSIONS,
    pieces: { apt: '/c/apt', chart: '/c/chart', guest: '/c/guest', registry: '/c/registry' },
    images: [
      img('pause', 'registry.k8s.io/pause:3.10'),
      img('cilium', 'quay.io/cilium/cilium:v1.18.4'),
      img('server', `${BUNDLE_REGISTRY_HOST}/lab/server:nginx-1.26.3-3-trixie`),
      img('client', `${BUNDLE_REGISTRY_HOST}/lab/client:curl-8.14.1-2-trixie`),
    ],
    chart: 'cilium-1.18.4.tgz',
    guest: { file: 'debian-13-trixie-lab-abcdef012345.qcow2', sha256: 'ab'.repeat(32) },
  };
}

describe('bundle serving', function () {
  this.timeout(30000);

  it('prints the stack config that points a lab at the served bundle', () => {
    const cfg = stackConfig(manifest(), { address: '192.168.209.1', registryPort: 5000, httpPort: 8090 }, true);
    assert.deepStrictEqual(cfg, {
      'lab:registryMirrors': {
        [BUNDLE_REGISTRY_HOST]: 'http://192.168.209.1:5000',
        'quay.io': 'http://192.168.209.1:5000',
        'registry.k8s.io': 'http://192.168.209.1:5000',
      },
      'lab:aptSources': ['deb [trusted=yes] http://192.168.209.1:8090/apt/ ./'],
      'lab:ciliumChart': 'http://192.168.209.1:8090/charts/cilium-1.18.4.tgz',
      'lab:guestOs': 'debian-13',
      'lab:imageUrl': 'http://192.168.209.1:8090/guest/debian-13-trixie-lab-abcdef012345.qcow2',
      'lab:imageChecksum': `sha256:${'ab'.repeat(32)}`,
      'lab:kubernetesVersion': '1.33.13',
      'lab:ciliumVersion': '1.18.4',
      'lab:slowHost': true,
      'lab:ciliumEnvoy': false,
      'lab:serverImage': `${BUNDLE_REGISTRY_HOST}/lab/server:nginx-1.26.3-3-trixie`,
      'lab:clientImage': `${BUNDLE_REGISTRY_HOST}/lab/client:curl-8.14.1-2-trixie`,
    });
    const yaml = parseYaml(stackConfigYaml(cfg)) as { config: Record<string, unknown> };
    assert.deepStrictEqual(yaml.config, cfg, 'the YAML reads back as the same config');
    assert.strictEqual(stackConfig(manifest(), { address: '10.0.0.1', registryPort: 1, httpPort: 2 }, false)['lab:slowHost'], false);
    // What the lab reads: Pulumi hands structured values over as JSON text (config.ts fromParser).
    const asPulumi = Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k.replace(/^lab:/, ''), typeof v === 'string' ? v : JSON.stringify(v)]));
    const lab = parseLabConfig({ ...asPulumi, domainType: 'qemu' }, 'ipsec');
    assert.strictEqual(lab.ciliumEnvoy, false);
    assert.strictEqual(lab.guestOs, 'debian-13');
    assert.strictEqual(lab.slowHost, true);
  });

  it('refuses a manifest without the server or client image', () => {
    const m = manifest();
    m.images = m.images.filter((i) => i.name !== 'client');
    assert.throws(() => stackConfig(m, { address: '10.0.0.1', registryPort: 1, httpPort: 2 }, false), /server and client images are missing/);
  });

  it('splits references into registry host, repository and tag', () => {
    assert.deepStrictEqual(splitRef('registry.k8s.io/coredns/coredns:v1.12.0'), { host: 'registry.k8s.io', repo: 'coredns/coredns', tag: 'v1.12.0' });
    assert.deepStrictEqual(splitRef('192.168.210.1:5000/lab/server:1'), { host: '192.168.210.1:5000', repo: 'lab/server', tag: '1' });
    assert.throws(() => splitRef('nginx:1'), /expected a registry host/);
    assert.throws(() => splitRef('quay.io/cilium/cilium'), /has no tag/);
  });

  it('configures the registry with file storage and the listen address', () => {
    const c = parseYaml(registryConfig('/c/registry/storage', '0.0.0.0:5000')) as { storage: { filesystem: { rootdirectory: string } }; http: { addr: string } };
    assert.strictEqual(c.storage.filesystem.rootdirectory, '/c/registry/storage');
    assert.strictEqual(c.http.addr, '0.0.0.0:5000');
  });

  it('takes the guests\' address from --address, the stack file\'s lab:uplinkSubnet, or the default uplink', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-stack-'));
    try {
      fs.writeFileSync(path.join(root, 'Pulumi.ipsec.yaml'), 'config:\n  lab:encryption: ipsec\n  lab:uplinkSubnet: 192.168.209.0/24\n');
      fs.writeFileSync(path.join(root, 'Pulumi.dev.yaml'), 'config:\n  lab:encryption: none\n');
      assert.strictEqual(guestAddress({ stack: 'ipsec' }, root), '192.168.209.1');
      assert.strictEqual(guestAddress({ stack: 'dev' }, root), '192.168.210.1');
      assert.strictEqual(guestAddress({}, root), '192.168.210.1');
      assert.strictEqual(guestAddress({ address: '10.1.2.3' }, root), '10.1.2.3');
      assert.throws(() => guestAddress({ stack: 'nope' }, root), /Pulumi\.nope\.yaml does not exist/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('parses its arguments strictly', () => {
    assert.strictEqual(parseBundleArgs([], { LAB_BUNDLE_CACHE: '/c' }).verb, 'build');
    assert.strictEqual(parseBundleArgs(['serve', '--http-port', '9000'], {}).httpPort, 9000);
    assert.throws(() => parseBundleArgs(['serve', '--http-port', '99999'], {}), /--http-port "99999": expected a TCP port/);
    assert.throws(() => parseBundleArgs(['fly'], {}), /unknown verb "fly"/);
    assert.throws(() => parseBundleArgs(['serve', '--stak', 'x'], {}), /Unknown option '--stak'/);
    assert.throws(() => parseBundleArgs(['config', '--stack', 'a', '--address', 'b'], {}), /give one/);
  });

  it('starts a daemon once (a second start finds it running), stops only what its pid file names', async () => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-run-'));
    const root = path.join(run, 'www');
    fs.mkdirSync(path.join(root, 'apt'), { recursive: true });
    fs.writeFileSync(path.join(root, 'apt', 'Packages'), 'Package: x\n');
    const port = await freePort();
    const d = httpDaemon(run, root, '127.0.0.1', port, `http://127.0.0.1:${port}/apt/Packages`);
    try {
      assert.strictEqual(await startDaemon(d), 'started');
      const pid = runningPid(d);
      assert.ok(pid !== undefined);
      assert.strictEqual(await startDaemon(d), 'running');
      assert.strictEqual(runningPid(d), pid, 'no second server');
      // A pid file naming another program (a reused pid) is not ours to stop.
      fs.writeFileSync(d.pidFile, `${process.pid}\n`);
      assert.strictEqual(runningPid(d), undefined);
      fs.writeFileSync(d.pidFile, `${pid}\n`);
      assert.strictEqual(stopDaemon(d), 'stopped');
      assert.strictEqual(stopDaemon(d), 'not running');
      assert.ok(!fs.existsSync(d.pidFile));
    } finally {
      const pid = runningPid(d);
      if (pid !== undefined) process.kill(pid);
      fs.rmSync(run, { recursive: true, force: true });
    }
  });

  it('a daemon that never answers is stopped and its log quoted', async () => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-run-'));
    try {
      const d = { name: 'broken', argv: ['python3', '-c', 'import sys; print("cannot bind", file=sys.stderr); sys.exit(3)'], pidFile: path.join(run, 'b.pid'), logFile: path.join(run, 'b.log'), healthUrl: `http://127.0.0.1:${await freePort()}/` };
      await assert.rejects(startDaemon(d, 3000), /broken did not answer .* within 3s; its log .* ends:\n {2}cannot bind/);
      assert.ok(!fs.existsSync(d.pidFile));
    } finally {
      fs.rmSync(run, { recursive: true, force: true });
    }
  });
});
