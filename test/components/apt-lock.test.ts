/**
 * apt on a first boot: the VM scripts wait, bounded, for the dpkg and apt locks that Ubuntu's apt-daily
 * and unattended-upgrades hold right after cloud-final, and say what they waited for.
 *
 * Real apt (this machine's apt-get, 2.6) runs against a private root made here (APT_CONFIG: its own
 * dpkg status, lists and cache), so the locks the tests hold are that root's and never this machine's
 * real dpkg lock (other processes here may run apt). A process holds a lock the way apt and dpkg do,
 * with fcntl (POSIX record locks; flock(2) locks would not block apt).
 *
 * The test command's own installs (scripts/lib/ensure-deps.sh) go through the same apt_get: a fresh Ubuntu
 * holds the lock there too when `npm test` runs right after boot.
 *
 * node-kube-install.sh also edits containerd's config and must check that `SystemdCgroup = true` took:
 * containerd 2.1.x printed no such line (containerd/containerd#12101).
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from './helpers';
import { parseShellFile } from '../scripts/commands';
import { runCommandAsync } from '../helpers/stand-ins';

/** A private apt root: apt.conf pointing every state, cache and config directory into DIR. */
function aptRoot(dir: string): { env: Record<string, string>; frontendLock: string; listsLock: string } {
  for (const d of ['state/lists/partial', 'dpkg/updates', 'dpkg/info', 'cache/archives/partial', 'etc/apt.conf.d', 'etc/preferences.d', 'etc/sources.list.d', 'log']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.writeFileSync(path.join(dir, 'dpkg/status'), '');
  fs.writeFileSync(path.join(dir, 'etc/sources.list'), '');
  const conf = [
    `Dir::State "${dir}/state";`,
    `Dir::State::Lists "${dir}/state/lists";`,
    `Dir::State::status "${dir}/dpkg/status";`,
    `Dir::Cache "${dir}/cache";`,
    `Dir::Cache::Archives "${dir}/cache/archives";`,
    `Dir::Etc "${dir}/etc";`,
    `Dir::Etc::sourcelist "${dir}/etc/sources.list";`,
    `Dir::Etc::sourceparts "${dir}/etc/sources.list.d";`,
    'Dir::Etc::main "/dev/null";',
    `Dir::Etc::parts "${dir}/etc/apt.conf.d";`,
    `Dir::Log "${dir}/log";`,
    `DPkg::Options { "--admindir=${dir}/dpkg"; };`,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'apt.conf'), `${conf}\n`);
  return { env: { APT_CONFIG: path.join(dir, 'apt.conf') }, frontendLock: path.join(dir, 'dpkg/lock-frontend'), listsLock: path.join(dir, 'state/lists/lock') };
}

/** Holds an fcntl write lock on FILE for SECONDS; resolves once the lock is taken. */
function holdLock(file: string, seconds: number): Promise<ChildProcess> {
  const code = 'import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o640)\nfcntl.lockf(fd,fcntl.LOCK_EX)\nprint("locked",flush=True)\ntime.sleep(float(sys.argv[2]))';
  const p = spawn('/usr/bin/python3', ['-c', code, file, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    p.stdout?.on('data', (d) => String(d).includes('locked') && resolve(p));
    p.on('exit', (c) => reject(new Error(`lock holder exited ${c} before locking`)));
  });
}

/** CMD with only the system's directories on PATH after the stand-ins (`shimDir`), without blocking the lock holders. */
const run = (cmd: string[], env: Record<string, string>, shimDir?: string) => runCommandAsync(cmd, { env, bins: shimDir ? [shimDir] : [], path: 'system' });

const LIB = path.join(repoRoot, 'scripts/vm/lib.sh');
const withLib = (body: string) => ['bash', '-c', `set -euo pipefail; . ${JSON.stringify(LIB)}; ${body}`];

describe('apt lock waits (real apt on a private root)', function () {
  this.timeout(90000);
  let dir = '';
  let apt: ReturnType<typeof aptRoot>;
  const holders: ChildProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-apt-'));
    apt = aptRoot(dir);
  });
  afterEach(() => {
    for (const h of holders.splice(0)) h.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the private root works: apt-get runs there without waiting when nothing holds a lock', async () => {
    const r = await run(withLib('apt_get install -y'), apt.env);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 upgraded, 0 newly installed/);
    assert.doesNotMatch(r.stderr, /waiting/);
    assert.ok(fs.existsSync(apt.frontendLock), 'apt took the private root\'s frontend lock');
  });

  it('apt_get waits for a held dpkg frontend lock, naming it and its holder, then proceeds', async () => {
    const h = await holdLock(apt.frontendLock, 3);
    holders.push(h);
    const r = await run(withLib('apt_get install -y'), apt.env);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.ok(r.seconds >= 2, `returned after ${r.seconds}s while the lock was held for 3s`);
    assert.match(r.stderr, new RegExp(`waiting up to 600s for the dpkg lock ${apt.frontendLock}, held by python3 \\(pid ${h.pid}\\)`));
    assert.match(r.stderr, /apt-get install ran after waiting [2-9]s for the dpkg lock$/m);
  });

  it('the wait is bounded: apt fails after LAB_APT_LOCK_TIMEOUT with its own message', async () => {
    holders.push(await holdLock(apt.frontendLock, 30));
    const r = await run(withLib('apt_get install -y'), { ...apt.env, LAB_APT_LOCK_TIMEOUT: '1' });
    assert.notStrictEqual(r.code, 0);
    assert.ok(r.seconds < 15, `took ${r.seconds}s`);
    assert.match(r.stderr, /Unable to acquire the dpkg frontend lock \(.*lock-frontend\)/);
    assert.match(r.stderr, /apt-get install failed \(exit 100\) after waiting [1-9]s for the dpkg lock/);
  });

  it('apt_get update waits for the lists lock, which DPkg::Lock::Timeout does not cover', async () => {
    // Without the wait, apt 2.6 fails at once on the lists lock: the reason this wait exists.
    const h = await holdLock(apt.listsLock, 3);
    holders.push(h);
    const bare = await run(['apt-get', '-o', 'DPkg::Lock::Timeout=60', 'update'], apt.env);
    assert.notStrictEqual(bare.code, 0, 'apt-get update no longer fails at once on a held lists lock: the wait may be unneeded');
    assert.match(bare.stderr, /Could not get lock .*lists\/lock/);
    const r = await run(withLib('apt_get update'), apt.env);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.ok(r.seconds >= 1.5, `returned after ${r.seconds}s`);
    assert.match(r.stderr, new RegExp(`waiting up to 600s for the apt lists lock ${apt.listsLock}, held by python3 \\(pid ${h.pid}\\)`));
    assert.match(r.stderr, /apt lists lock free after \d+s/);
  });

  describe('scripts/lib/ensure-deps.sh (the test commands\' installs)', () => {
    const ENSURE = path.join(repoRoot, 'scripts/lib/ensure-deps.sh');
    // A command no system has, whose package the private root does not know: apt runs, then fails to find it.
    const ensure = ['bash', '-c', `. ${JSON.stringify(ENSURE)}; ensure_commands lab-no-such-command:lab-no-such-package`, 'test'];
    before(function () {
      if (process.getuid?.() !== 0) this.skip(); // ensure_commands installs only as root
    });

    it('waits for a held apt lists lock, naming it and its holder, then runs apt', async () => {
      const h = await holdLock(apt.listsLock, 3);
      holders.push(h);
      const r = await run(ensure, apt.env);
      assert.ok(r.seconds >= 2, `returned after ${r.seconds}s while the lock was held for 3s`);
      assert.match(r.stderr, new RegExp(`^test: waiting up to 600s for the apt lists lock ${apt.listsLock}, held by python3 \\(pid ${h.pid}\\)$`, 'm'));
      // It went on: update ran, then install looked for the package (and found none on the private root).
      assert.match(r.stderr, /Unable to locate package lab-no-such-package/);
      assert.strictEqual(r.code, 100);
    });

    it('waits for a held dpkg lock before installing', async () => {
      const h = await holdLock(apt.frontendLock, 3);
      holders.push(h);
      const r = await run(ensure, apt.env);
      assert.ok(r.seconds >= 2, `returned after ${r.seconds}s while the lock was held for 3s`);
      assert.match(r.stderr, new RegExp(`test: waiting up to 600s for the dpkg lock ${apt.frontendLock}, held by python3 \\(pid ${h.pid}\\)`));
      assert.match(r.stderr, /Unable to locate package lab-no-such-package/);
    });

    it('the wait is bounded by LAB_APT_LOCK_TIMEOUT', async () => {
      holders.push(await holdLock(apt.listsLock, 30));
      const r = await run(ensure, { ...apt.env, LAB_APT_LOCK_TIMEOUT: '1' });
      assert.notStrictEqual(r.code, 0);
      assert.ok(r.seconds < 15, `took ${r.seconds}s`);
      assert.match(r.stderr, /test: timed out after 1s waiting for the apt lists lock .*lists\/lock; last: held by python3/);
    });
  });

  describe('node-kube-install.sh', () => {
    const CONTAINERD_DATA = path.join(repoRoot, 'test/components/data/containerd');
    const realDefault = (f: string) => fs.readFileSync(path.join(CONTAINERD_DATA, f), 'utf8');
    const DEBIAN_17 = 'config-default-1.7.24-debian13.toml';
    const DEBIAN_21 = 'config-default-2.1.9-debian-sid.toml';
    const PAUSE = 'registry.k8s.io/pause:3.10';

    /**
     * Stand-ins for what the script runs besides apt-get's locks (its apt-get runs the real apt-get on the
     * private root with the script's own options, installing nothing: no network):
     * - dpkg -s: nothing installed;
     * - containerd `config default`: the real output of a Debian package (test/components/data/containerd),
     *   `--version` its version line;
     * - kubeadm: `version -o short` an older version (so the packages are installed); `config images list
     *   --kubernetes-version v1.33.2` one image per line as kubeadm v1.33 prints them (cmd/kubeadm/app/cmd/
     *   config.go images list; images/images.go GetControlPlaneImages; constants.PauseVersion 3.10);
     * - apt-cache madison: apt's "name | version | source" lines (apt cmdline/apt-cache.cc Madison);
     * - apt-mark: records; systemctl: records, and `is-active` answers as SYSTEMCTL_ACTIVE says.
     */
    function shims(containerdConfig: string, version = 'containerd github.com/containerd/containerd 1.7.24~ds1'): string {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      const put = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
      put('dpkg', 'exit 1');
      put('hostname', 'echo worker1');
      put(
        'apt-get',
        [
          'opts=(); sub=; args=()',
          'while [ $# -gt 0 ]; do case "$1" in -o) opts+=("$1" "$2"); shift 2 ;; -*) opts+=("$1"); shift ;; *) if [ -z "$sub" ]; then sub=$1; else args+=("$1"); fi; shift ;; esac; done',
          'echo "$sub ${opts[*]} ${args[*]}" >>"$SHIM_LOG/apt"',
          'if [ "$sub" = update ]; then exec /usr/bin/apt-get "${opts[@]}" update; fi',
          'exec /usr/bin/apt-get "${opts[@]}" install -y',
        ].join('\n'),
      );
      put('apt-mark', 'echo "$*" >>"$SHIM_LOG/apt-mark"');
      put('apt-cache', 'case "$1 $2" in "madison kubeadm") echo "   kubeadm | 1.33.2-1.1 | http://192.168.210.1:8080/k8s ./ Packages" ;; esac');
      fs.writeFileSync(path.join(dir, 'containerd-default.toml'), containerdConfig);
      put('containerd', `case "$1" in config) cat ${JSON.stringify(path.join(dir, 'containerd-default.toml'))} ;; --version) echo ${JSON.stringify(version)} ;; esac`);
      put(
        'kubeadm',
        [
          'case "$1" in',
          '  version) echo v1.33.1 ;;',
          '  config) [ "$2 $3 $4 $5" = "images list --kubernetes-version v1.33.2" ] || exit 1',
          '    printf "%s\\n" registry.k8s.io/kube-apiserver:v1.33.2 registry.k8s.io/kube-controller-manager:v1.33.2 registry.k8s.io/kube-scheduler:v1.33.2 registry.k8s.io/kube-proxy:v1.33.2 registry.k8s.io/coredns/coredns:v1.12.0 registry.k8s.io/pause:3.10 registry.k8s.io/etcd:3.5.21-0 ;;',
          'esac',
        ].join('\n'),
      );
      put('systemctl', 'echo "$*" >>"$SHIM_LOG/systemctl"; if [ "$1" = is-active ]; then [ "${SYSTEMCTL_ACTIVE:-no}" = yes ]; fi');
      return bin;
    }

    /** The script with the lab's environment on a private apt root; the CNI directories are under DIR. */
    function runInstall(bin: string, extra: Record<string, string> = {}) {
      const env = {
        ...apt.env,
        KUBERNETES_VERSION: '1.33.2',
        KUBERNETES_APT_SOURCE: 'configured',
        CONTAINERD_CERTS_D: '/etc/containerd/certs.d',
        SHIM_LOG: dir,
        CONTAINERD_CONFIG: path.join(dir, 'containerd', 'config.toml'),
        CNI_BIN_DIR: path.join(dir, 'opt-cni-bin'),
        DISTRO_CNI_DIR: path.join(dir, 'usr-lib-cni'),
        ...extra,
      };
      return run(['bash', path.join(repoRoot, 'scripts/vm/node-kube-install.sh')], env, bin);
    }
    const loopbackIn = (d: string) => {
      fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.writeFileSync(path.join(dir, d, 'loopback'), '#!/bin/sh\n', { mode: 0o755 });
    };
    const logOf = (name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : '');

    it('waits for the dpkg lock held by another apt run, then installs from the configured sources and configures containerd', async () => {
      const bin = shims(realDefault(DEBIAN_17));
      loopbackIn('opt-cni-bin');
      const h = await holdLock(apt.frontendLock, 3);
      holders.push(h);
      const r = await runInstall(bin);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.ok(r.seconds >= 2, `returned after ${r.seconds}s while the lock was held for 3s`);
      assert.match(r.stderr, new RegExp(`node-kube-install\\(worker1\\): waiting up to 600s for the dpkg lock ${apt.frontendLock}, held by python3 \\(pid ${h.pid}\\)`));
      const aptCalls = logOf('apt').trim().split('\n');
      // Configured sources: one update, the distribution packages, then the Kubernetes ones at the version.
      assert.deepStrictEqual(aptCalls.map((c) => c.split(' ')[0]), ['update', 'install', 'install']);
      assert.match(aptCalls[1], / containerd conntrack socat$/);
      assert.match(aptCalls[2], / kubelet=1\.33\.2-1\.1 kubeadm=1\.33\.2-1\.1 kubectl=1\.33\.2-1\.1$/);
      assert.ok(aptCalls.every((c) => c.includes('-o DPkg::Lock::Timeout=600')), aptCalls.join('\n'));
      assert.match(logOf('apt-mark'), /^-o DPkg::Lock::Timeout=600 hold kubelet kubeadm kubectl$/m);
      assert.match(logOf('systemctl'), /^restart containerd$/m);
      assert.match(logOf('systemctl'), /^enable kubelet$/m);
      assert.match(fs.readFileSync(path.join(dir, 'containerd', 'config.toml'), 'utf8'), /^ {12}SystemdCgroup = true$/m);
    });

    it('containerd 1.7.24 (Debian 13): systemd cgroups, registry hosts, kubeadm\'s pause image, CNI in /opt/cni/bin; nothing else', () => {
      const bin = shims(realDefault(DEBIAN_17));
      const before = realDefault(DEBIAN_17).split('\n');
      const edited = execEdit(bin, '/opt/cni/bin');
      const changed = edited.split('\n').map((l, i) => [before[i], l]).filter(([a, b]) => a !== b);
      assert.deepStrictEqual(changed, [
        [`    sandbox_image = "registry.k8s.io/pause:3.8"`, `    sandbox_image = "${PAUSE}"`],
        [`      bin_dir = "/usr/lib/cni"`, `      bin_dir = "/opt/cni/bin"`],
        ['            SystemdCgroup = false', '            SystemdCgroup = true'],
        ['      config_path = ""', '      config_path = "/etc/containerd/certs.d"'],
        ['    config_path = ""', '    config_path = "/etc/containerd/certs.d"'],
      ]);
    });

    it('containerd 2.1.9 (Debian sid): the same settings in the version 3 layout; bin_dirs already has /opt/cni/bin', () => {
      const bin = shims(realDefault(DEBIAN_21), 'containerd github.com/containerd/containerd/v2 2.1.9~ds1');
      const before = realDefault(DEBIAN_21).split('\n');
      const edited = execEdit(bin, '/opt/cni/bin');
      const changed = edited.split('\n').map((l, i) => [before[i], l]).filter(([a, b]) => a !== b);
      assert.deepStrictEqual(changed, [
        [`      sandbox = '${PAUSE}'`, `      sandbox = "${PAUSE}"`],
        ["      config_path = ''", '      config_path = "/etc/containerd/certs.d"'],
        ['            SystemdCgroup = false', '            SystemdCgroup = true'],
        ["    config_path = ''", '    config_path = "/etc/containerd/certs.d"'],
      ]);
      // The image verifier's bin_dir is not the CNI one; a bin_dirs list without the directory gains it.
      assert.match(edited, /^ {4}bin_dir = '\/opt\/containerd\/image-verifier\/bin'$/m);
      assert.match(execEdit(bin, '/srv/cni'), /^ {6}bin_dirs = \["\/srv\/cni", '\/usr\/lib\/cni', '\/opt\/cni\/bin'\]$/m);
    });

    /** The script's own edit of containerd's default configuration (its function, run on the stand-in's output). */
    function execEdit(bin: string, cni: string): string {
      const text = fs.readFileSync(path.join(repoRoot, 'scripts/vm/node-kube-install.sh'), 'utf8');
      const fn = /^edit_containerd_config\(\) \{\n[\s\S]*?\n\}$/m.exec(text);
      assert.ok(fn, 'node-kube-install.sh defines edit_containerd_config');
      const r = spawnSync('bash', ['-c', `set -euo pipefail; CONTAINERD_CERTS_D=/etc/containerd/certs.d pause_image=${PAUSE} cni_bin_dir=${cni}\n${fn[0]}\ncontainerd config default | edit_containerd_config`], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin` },
      });
      assert.strictEqual(r.status, 0, r.stderr);
      return r.stdout;
    }

    it('a second run with the same configuration and containerd running restarts nothing', async () => {
      const bin = shims(realDefault(DEBIAN_17));
      loopbackIn('opt-cni-bin');
      assert.strictEqual((await runInstall(bin)).code, 0);
      fs.rmSync(path.join(dir, 'systemctl'));
      const r = await runInstall(bin, { SYSTEMCTL_ACTIVE: 'yes' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /containerd configuration unchanged/);
      assert.doesNotMatch(logOf('systemctl'), /restart/);
    });

    it('links the distribution\'s CNI loopback plugin into the CNI bin directory; fails clearly when there is none', async () => {
      const bin = shims(realDefault(DEBIAN_17));
      loopbackIn('usr-lib-cni');
      const r = await runInstall(bin);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(fs.readlinkSync(path.join(dir, 'opt-cni-bin', 'loopback')), path.join(dir, 'usr-lib-cni', 'loopback'));
      fs.rmSync(path.join(dir, 'usr-lib-cni'), { recursive: true });
      fs.rmSync(path.join(dir, 'opt-cni-bin'), { recursive: true });
      const none = await runInstall(bin);
      assert.strictEqual(none.code, 1);
      assert.match(logOf('apt'), /^install .* containernetworking-plugins$/m);
      assert.match(none.stderr, /node-kube-install\(worker1\): no CNI loopback plugin in .*opt-cni-bin or .*usr-lib-cni: install kubernetes-cni or containernetworking-plugins/);
    });

    it('fails clearly when containerd\'s default config has no SystemdCgroup line to edit (containerd 2.1.x), before (re)starting containerd', async () => {
      // containerd 2.1.x before #12244 printed no SystemdCgroup line (containerd/containerd#12101): the real
      // 2.1.9 output without that line.
      const bin = shims(realDefault(DEBIAN_21).replace(/^ *SystemdCgroup = false\n/m, ''), 'containerd containerd.io 2.1.3');
      loopbackIn('opt-cni-bin');
      const cfg = path.join(dir, 'containerd', 'config.toml');
      const r = await runInstall(bin);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`node-kube-install\\(worker1\\): SystemdCgroup = true is not set in ${cfg}: .*containerd containerd\\.io 2\\.1\\.3.*containerd/containerd#12101`));
      assert.doesNotMatch(logOf('systemctl'), /containerd/, 'containerd must not be (re)started with the wrong cgroup driver');
      assert.ok(!fs.existsSync(cfg));
    });

    it('fails clearly when kubeadm\'s version is not in the configured sources', async () => {
      const bin = shims(realDefault(DEBIAN_17));
      const r = await runInstall(bin, { KUBERNETES_VERSION: '1.32.4' });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /node-kube-install\(worker1\): kubeadm 1\.32\.4 is not in the configured apt sources \(lab:aptSources\): apt-cache madison kubeadm lists 1\.33\.2-1\.1/);
    });
  });
});

describe('every apt call of the VM scripts goes through the lock-waiting wrappers', () => {
  const dir = path.join(repoRoot, 'scripts/vm');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh') && f !== 'lib.sh');
  it('finds the scripts that install packages', () => {
    // As a command or as the command a wrapper runs (`retry 5 10 apt_get update`).
    const users = scripts.filter((f) => /^[^#]*\bapt_get (update|install)\b/m.test(fs.readFileSync(path.join(dir, f), 'utf8')));
    assert.deepStrictEqual(users.sort(), ['node-kube-install.sh', 'router-setup.sh']);
  });
  for (const f of scripts) {
    it(`${f}: no direct apt-get, apt, apt-mark or dpkg -i`, () => {
      const direct = parseShellFile(path.join(dir, f), f).calls.filter((c) => ['apt-get', 'apt', 'apt-mark', 'aptitude'].includes(c.name));
      assert.deepStrictEqual(direct.map((c) => `${c.file}:${c.line} ${c.name}`), []);
    });
  }
  it('lib.sh passes DPkg::Lock::Timeout on every apt call it makes', () => {
    const text = fs.readFileSync(LIB, 'utf8');
    assert.match(text, /"\$tool" -o "DPkg::Lock::Timeout=\$LAB_APT_LOCK_TIMEOUT" "\$sub"/);
    const r = spawnSync('bash', ['-c', `. ${JSON.stringify(LIB)}; echo "$LAB_APT_LOCK_TIMEOUT"`], { encoding: 'utf8' });
    assert.ok(Number(r.stdout.trim()) >= 300, `default lock timeout ${r.stdout.trim()}s is not several minutes`);
  });
});
