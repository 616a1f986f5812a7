/**
 * Where the lab's software comes from (components/sources.ts): apt sources in one-line form, rendered as
 * the deb822 stanzas cloud-init writes; containerd's hosts.toml per registry; the Cilium chart's source.
 * The renderings are read back by the real readers where this machine has them: apt-get (the stanzas
 * must name the same files as the one-line form), Python's tomllib (hosts.toml), tar (a packaged chart).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  aptSourcesDeb822,
  checkLocalChart,
  containerdHostsFiles,
  containerdHostsToml,
  parseAptSourceLine,
  parseAptSources,
  parseChartSource,
  parseRegistryMirrors,
} from '../../components/sources';

/** `apt-get update --print-uris` on a private root holding only SOURCES_FILE: the index files apt would fetch. */
function aptUris(dir: string, name: string, text: string): string[] {
  for (const d of ['state/lists/partial', 'cache/archives/partial', 'etc/sources.list.d', 'etc/apt.conf.d', 'etc/preferences.d']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'status'), '');
  fs.writeFileSync(path.join(dir, 'etc/sources.list'), '');
  fs.writeFileSync(path.join(dir, 'etc/sources.list.d', name), text);
  const conf = [`Dir::State "${dir}/state";`, `Dir::State::status "${dir}/status";`, `Dir::Cache "${dir}/cache";`, `Dir::Etc "${dir}/etc";`, 'Dir::Etc::main "/dev/null";', 'APT::Architecture "amd64";'];
  fs.writeFileSync(path.join(dir, 'apt.conf'), conf.join('\n') + '\n');
  const r = spawnSync('apt-get', ['update', '--print-uris'], { encoding: 'utf8', env: { ...process.env, APT_CONFIG: path.join(dir, 'apt.conf') } });
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.startsWith("'")).map((l) => l.split(' ')[0]).sort();
}

describe('offline sources', () => {
  let tmp = '';
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-sources-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('apt sources', () => {
    const LINES = [
      'deb [trusted=yes] http://192.168.210.1:8080/debian trixie main contrib',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg arch=amd64,i386 check-valid-until=no] https://mirror.example/debian-security trixie-security main',
      'deb [trusted=yes] http://192.168.210.1:8080/k8s ./',
      'deb-src file:/srv/repo bookworm main',
    ];

    it('parses the one-line form with its options in deb822 spelling', () => {
      assert.deepStrictEqual(parseAptSourceLine(LINES[1]), {
        type: 'deb',
        options: [
          ['Signed-By', '/usr/share/keyrings/debian-archive-keyring.gpg'],
          ['Architectures', 'amd64 i386'],
          ['Check-Valid-Until', 'no'],
        ],
        uri: 'https://mirror.example/debian-security',
        suite: 'trixie-security',
        components: ['main'],
      });
      assert.deepStrictEqual(parseAptSourceLine(LINES[2]).components, []);
    });

    it('the deb822 stanzas make apt fetch exactly what the one-line sources make it fetch', () => {
      const sources = parseAptSources(JSON.stringify(LINES));
      const deb822 = aptSourcesDeb822(sources);
      const fromLines = aptUris(path.join(tmp, 'a'), 'lab.list', LINES.join('\n') + '\n');
      const fromDeb822 = aptUris(path.join(tmp, 'b'), 'lab.sources', deb822);
      assert.ok(fromLines.length >= 8, fromLines.join('\n'));
      assert.deepStrictEqual(fromDeb822, fromLines);
      assert.ok(fromLines.some((u) => u.includes('192.168.210.1:8080/k8s/./Packages') || u.includes('192.168.210.1:8080/k8s/Packages')), fromLines.join('\n'));
    });

    it('cloud-init takes the stanzas as deb822 (so it replaces the distribution\'s sources file)', () => {
      // cloud-init 24.1 .. 25.1 cc_apt_configure.is_deb822_sources_format: no line starting "deb " or
      // "deb-src ", and a Types:/Suites:/Components:/URIs: key.
      const text = aptSourcesDeb822(parseAptSources(JSON.stringify(LINES)));
      assert.ok(!/^(deb |deb-src )/m.test(text));
      assert.ok(/^(Types: |Suites: |Components: |URIs: )/m.test(text));
      assert.strictEqual(text.split('\n\n').length, LINES.length);
    });

    const bad: [string, string, RegExp][] = [
      ['not JSON', 'deb http://x trixie main', /a list of apt source lines/],
      ['not a list of strings', '[1]', /a list of apt source lines/],
      ['a $ cloud-init would substitute', '["deb http://x/$RELEASE trixie main"]', /without "\$"/],
      ['no suite', '["deb http://x"]', /one-line form/],
      ['an ftp URI', '["deb ftp://x/debian trixie main"]', /an http:\/\/, https:\/\/ or file:\/ URI/],
      ['no component', '["deb http://x/debian trixie"]', /at least one component after the suite trixie/],
      ['components after an exact path', '["deb http://x/repo ./ main"]', /no components after the exact path/],
      ['an unknown option', '["deb [foo=bar] http://x/debian trixie main"]', /options of the form name=value .* got "foo=bar"/],
      ['an option without value', '["deb [trusted] http://x/debian trixie main"]', /got "trusted"/],
    ];
    for (const [what, text, message] of bad) {
      it(`refuses ${what}`, () => assert.throws(() => parseAptSources(text), message));
    }
  });

  describe('registry mirrors', () => {
    it('parses registry host -> mirror, and renders one hosts.toml per registry with the mirror as the server', () => {
      const m = parseRegistryMirrors('{"registry.k8s.io":"http://192.168.210.1:5000/","quay.io":"https://mirror.example:5443/quay","_default":"http://10.0.0.1:5000","localhost:5001":"http://10.0.0.1:5000"}');
      assert.deepStrictEqual(m, {
        'registry.k8s.io': 'http://192.168.210.1:5000',
        'quay.io': 'https://mirror.example:5443/quay',
        _default: 'http://10.0.0.1:5000',
        'localhost:5001': 'http://10.0.0.1:5000',
      });
      const files = containerdHostsFiles(m);
      assert.deepStrictEqual(Object.keys(files), [
        '/etc/containerd/certs.d/_default/hosts.toml',
        '/etc/containerd/certs.d/localhost:5001/hosts.toml',
        '/etc/containerd/certs.d/quay.io/hosts.toml',
        '/etc/containerd/certs.d/registry.k8s.io/hosts.toml',
      ]);
      // Read back by a TOML parser: the mirror as `server` (no fallback to the registry) and as the one
      // `host` entry, for pulls and resolves (containerd 1.7 refuses a file without a `host` table).
      const toml = containerdHostsToml('quay.io', m['quay.io']);
      const r = spawnSync('python3', ['-c', 'import json,sys,tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))'], { input: toml, encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout), {
        server: 'https://mirror.example:5443/quay',
        host: { 'https://mirror.example:5443/quay': { capabilities: ['pull', 'resolve'] } },
      });
      assert.deepStrictEqual(parseRegistryMirrors('{}'), {});
    });

    const bad: [string, string, RegExp][] = [
      ['not an object', '["docker.io"]', /an object of registry host -> mirror URL/],
      ['a host with a scheme', '{"https://docker.io":"http://m:5000"}', /"https:\/\/docker\.io" is not a registry host\[:port\] or _default/],
      ['a mirror without scheme', '{"docker.io":"192.168.210.1:5000"}', /the mirror of docker\.io must be an http:\/\/ or https:\/\/ URL/],
      ['a mirror with a query', '{"docker.io":"http://m:5000/?ns=x"}', /must be an http:\/\/ or https:\/\/ URL without query/],
      ['a quote in the mirror', '{"docker.io":"http://m\\"x"}', /must be an http/],
    ];
    for (const [what, text, message] of bad) {
      it(`refuses ${what}`, () => assert.throws(() => parseRegistryMirrors(text), message));
    }
  });

  describe('the Cilium chart', () => {
    it('a repository, a chart archive URL named for the version, or a local chart', () => {
      assert.deepStrictEqual(parseChartSource('https://helm.cilium.io', '1.18.4'), { kind: 'repository', repo: 'https://helm.cilium.io' });
      assert.deepStrictEqual(parseChartSource('http://h:8080/cilium-1.18.4.tgz', '1.18.4'), { kind: 'archive-url', url: 'http://h:8080/cilium-1.18.4.tgz' });
      assert.deepStrictEqual(parseChartSource('file:///srv/cilium', '1.18.4'), { kind: 'local', path: '/srv/cilium' });
      assert.deepStrictEqual(parseChartSource('../bundle/cilium-1.18.4.tgz', '1.18.4'), { kind: 'local', path: '../bundle/cilium-1.18.4.tgz' });
      assert.throws(() => parseChartSource('http://h:8080/cilium-1.19.0.tgz', '1.18.4'), /must end in cilium-1\.18\.4\.tgz to match lab:ciliumVersion 1\.18\.4/);
      assert.throws(() => parseChartSource('oci://quay.io/cilium/charts/cilium', '1.18.4'), /a chart repository URL/);
      assert.throws(() => parseChartSource('cilium', '1.18.4'), /a local chart \.tgz or directory/);
    });

    it('a local chart directory or .tgz (read with its tar headers) must be cilium at the configured version', () => {
      const chartDir = path.join(tmp, 'cilium');
      fs.mkdirSync(path.join(chartDir, 'templates'), { recursive: true });
      fs.writeFileSync(path.join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: cilium\nversion: 1.18.4\nappVersion: 1.18.4\n');
      fs.writeFileSync(path.join(chartDir, 'values.yaml'), 'x: 1\n'.repeat(300));
      const tgz = path.join(tmp, 'cilium-1.18.4.tgz');
      // As `helm package` lays it out: <name>/Chart.yaml among the chart's files.
      const t = spawnSync('tar', ['-czf', tgz, '-C', tmp, 'cilium/values.yaml', 'cilium/templates', 'cilium/Chart.yaml'], { encoding: 'utf8' });
      assert.strictEqual(t.status, 0, t.stderr);
      assert.strictEqual(checkLocalChart(chartDir, '1.18.4'), undefined);
      assert.strictEqual(checkLocalChart(tgz, '1.18.4'), undefined);
      assert.match(checkLocalChart(tgz, '1.19.0') ?? '', /the cilium chart at lab:ciliumVersion 1\.19\.0; .*cilium-1\.18\.4\.tgz holds cilium 1\.18\.4/);
      assert.match(checkLocalChart(path.join(tmp, 'missing'), '1.18.4') ?? '', /a readable chart directory or \.tgz at .*missing/);
      fs.writeFileSync(path.join(chartDir, 'Chart.yaml'), 'name: tetragon\nversion: 1.18.4\n');
      assert.match(checkLocalChart(chartDir, '1.18.4') ?? '', /holds tetragon 1\.18\.4/);
    });
  });
});
