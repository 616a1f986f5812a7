/**
 * The bundle's shell pieces without the network: a Go build that fails says which piece and step, with
 * Go's own first error lines; the apt repository's layout is what apt reads (a tiny .deb through
 * dpkg-scanpackages and apt-ftparchive, then apt-get itself over file://).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';
import { runPieces } from '../../components/bundle/runner';
import { BundleError } from '../../components/bundle/runner';

/**
 * A stand-in for the go command, as cmd/go behaves (golang/go, src/cmd/go):
 * - `go mod download -json MOD@VER` prints one moduleJSON object (internal/modcmd/download.go: Path,
 *   Version, Info, GoMod, Zip, Dir, Sum, GoModSum, Origin{VCS,URL,Hash,Ref}), tab-indented by
 *   json.MarshalIndent, and exits 0;
 * - `go mod init` / `go mod edit` write or change go.mod and print nothing on success;
 * - `go build` that fails prints its "go: downloading M V" progress, then for the failing package
 *   "# <import path>" and the compiler's "file:line:col: message" lines (internal/work/exec.go
 *   showOutput), and exits 1.
 */
const FAKE_GO = `#!/usr/bin/env bash
set -euo pipefail
case "$1 \${2:-}" in
  "mod download")
    mod=\${@: -1}
    dir="$FAKE_MODCACHE/\${mod%@*}@\${mod#*@}"
    mkdir -p "$dir"
    printf '{\\n\\t"Path": "%s",\\n\\t"Version": "%s",\\n\\t"Dir": "%s",\\n\\t"Origin": {\\n\\t\\t"VCS": "git",\\n\\t\\t"Hash": "51e11f166ef6c247a78e9e15468647c593b79b9f"\\n\\t}\\n}\\n' "\${mod%@*}" "\${mod#*@}" "$dir"
    ;;
  "mod init") echo "module $3" >go.mod ;;
  "mod edit") echo "$3" >>go.mod ;;
  build*)
    echo "go: downloading github.com/miekg/dns v1.1.62" >&2
    echo "go: downloading golang.org/x/net v0.31.0" >&2
    echo "# github.com/coredns/coredns/plugin/forward" >&2
    echo "/root/go/pkg/mod/github.com/coredns/coredns@v1.12.0/plugin/forward/forward.go:42:9: undefined: proxyPool" >&2
    echo "/root/go/pkg/mod/github.com/coredns/coredns@v1.12.0/plugin/forward/setup.go:17:2: too many errors" >&2
    exit 1
    ;;
  *) echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`;

describe('bundle Go pieces: a failing build', function () {
  this.timeout(30000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-go-'));
    fs.mkdirSync(path.join(tmp, 'bin'));
    fs.writeFileSync(path.join(tmp, 'bin', 'go'), FAKE_GO, { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const env = () => ({ ...process.env, PATH: `${path.join(tmp, 'bin')}:${process.env.PATH}`, FAKE_MODCACHE: path.join(tmp, 'modcache') });

  it('coredns.sh names the piece and the step and quotes Go\'s first error lines, not its download chatter', () => {
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/bundle/coredns.sh')], {
      env: { ...env(), OUT: path.join(tmp, 'out'), WORK: path.join(tmp, 'work'), COREDNS_VERSION: '1.12.0' },
      encoding: 'utf8',
    });
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, /bundle: coredns: step 'build-coredns' failed \(go exit 1\): go build .*github\.com\/coredns\/coredns/);
    assert.match(r.stderr, /# github\.com\/coredns\/coredns\/plugin\/forward/);
    assert.match(r.stderr, /forward\.go:42:9: undefined: proxyPool/);
    assert.doesNotMatch(r.stderr, /go: downloading/);
    assert.match(r.stderr, /full log: .*build-coredns\.log/);
    assert.ok(!fs.existsSync(path.join(tmp, 'out', 'bin', 'coredns')));
  });

  it('through the runner: the error names the piece, the step and Go\'s error, and nothing is cached', async () => {
    const piece = {
      name: 'coredns',
      version: 'v1.12.0',
      source: 'Go module proxy',
      deps: [],
      inputs: { COREDNS_VERSION: '1.12.0' },
      files: [],
      lane: 'go' as const,
      script: 'scripts/bundle/coredns.sh',
    };
    const cache = path.join(tmp, 'cache');
    await assert.rejects(runPieces([piece], { cacheDir: cache, keys: { coredns: 'k' }, log: () => undefined, env: env() }), (e: unknown) => {
      assert.ok(e instanceof BundleError, String(e));
      assert.match(e.message, /^bundle: piece coredns failed \(exit 1\):/);
      assert.match(e.message, /step 'build-coredns' failed/);
      assert.match(e.message, /undefined: proxyPool/);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(cache, 'pieces', 'coredns', 'k')));
  });
});

describe('bundle apt repository layout', function () {
  this.timeout(60000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-apt-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function tinyDeb(repo: string, name: string, version: string): void {
    const root = path.join(tmp, 'pkg', name);
    fs.mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr', 'bin', name), '#!/bin/sh\necho tiny\n', { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'DEBIAN', 'control'), `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: t <t@invalid>\nDescription: tiny\n`);
    const r = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, path.join(repo, `${name}_${version}_amd64.deb`)], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
  }

  it('apt-index.sh writes Packages, Packages.gz and a Release with their checksums, and apt reads it', () => {
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    tinyDeb(repo, 'kubeadm', '1.33.13-1.1+bundle');
    tinyDeb(repo, 'kubeadm', '1.33.12-1.1+bundle');
    const idx = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/bundle/apt-index.sh'), repo], { encoding: 'utf8' });
    assert.strictEqual(idx.status, 0, idx.stderr);
    const packages = fs.readFileSync(path.join(repo, 'Packages'), 'utf8');
    assert.strictEqual((packages.match(/^Package: kubeadm$/gm) ?? []).length, 2, 'both versions kept');
    assert.match(packages, /^Filename: \.\/kubeadm_1\.33\.13-1\.1\+bundle_amd64\.deb$/m);
    assert.match(packages, /^SHA256: [0-9a-f]{64}$/m);
    const release = fs.readFileSync(path.join(repo, 'Release'), 'utf8');
    const sha = spawnSync('sha256sum', [path.join(repo, 'Packages')], { encoding: 'utf8' }).stdout.split(' ')[0];
    assert.match(release, new RegExp(`^ ${sha}\\s+\\d+ Packages$`, 'm'));
    assert.match(release, /^ [0-9a-f]{64}\s+\d+ Packages\.gz$/m);

    // apt itself, in a root of its own, over file:// (the source line the bundle prints, with file: for http:).
    const root = path.join(tmp, 'aptroot');
    for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg']) {
      fs.mkdirSync(path.join(root, d), { recursive: true });
    }
    fs.writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
    fs.writeFileSync(path.join(root, 'etc/apt/sources.list'), `deb [trusted=yes] file:${repo}/ ./\n`);
    const opts = ['-o', `Dir=${root}`, '-o', `Dir::State::status=${root}/var/lib/dpkg/status`, '-o', 'Debug::NoLocking=true', '-o', 'APT::Architecture=amd64'];
    const upd = spawnSync('apt-get', [...opts, 'update'], { encoding: 'utf8' });
    assert.strictEqual(upd.status, 0, upd.stderr + upd.stdout);
    const madison = spawnSync('apt-cache', [...opts, 'madison', 'kubeadm'], { encoding: 'utf8' });
    assert.strictEqual(madison.status, 0, madison.stderr);
    // node-kube-install.sh picks the version whose string starts with "<version>-".
    assert.match(madison.stdout, /kubeadm \| 1\.33\.13-1\.1\+bundle \|/);
    assert.match(madison.stdout, /kubeadm \| 1\.33\.12-1\.1\+bundle \|/);
  });

  it('apt-index.sh refuses a directory without packages', () => {
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/bundle/apt-index.sh'), tmp], { encoding: 'utf8' });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /no \.deb in/);
  });
});
