/**
 * The lab command on a real engine: which CLI it runs (LAB_PULUMI_CLI, PATH, .lab/pulumi), the plugin
 * check before anything runs, and the `pulumi` pass-through. The CLI is test/helpers/fake-pulumi.js,
 * which answers `version` and `plugin ls --json` as Pulumi v3.248.0 does (see its header) and records
 * every other call.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';
import { execute } from '../../components/labcli';
import {
  cliProcessEnv,
  cliRootOf,
  ensurePlugins,
  ensurePulumiCli,
  labEnvironment,
  pluginStatuses,
  projectName,
  LAB_PULUMI_CLI,
} from '../../components/labcli/pulumi';
import { ambientPlugin, checkPlugins, missingPluginLines, parsePluginList, pluginInstallCommand, pulumiTruthy, requiredPlugins, type PluginSpec } from '../../components/labcli/plugins';

const FAKE = path.join(REPO_ROOT, 'test/helpers/fake-pulumi.js');

/** A CLI installation root (<root>/bin/pulumi runs the fake) and an empty PULUMI_HOME. */
function fakeInstall(): { root: string; cli: string; home: string; log: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-fake-pulumi-'));
  fs.mkdirSync(path.join(root, 'bin'));
  const cli = path.join(root, 'bin', 'pulumi');
  fs.writeFileSync(cli, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE)} "$@"\n`, { mode: 0o755 });
  const home = path.join(root, 'home');
  fs.mkdirSync(path.join(home, 'plugins'), { recursive: true });
  return { root, cli, home, log: path.join(root, 'calls.jsonl') };
}

/** Installs a plugin into the fake's cache the way `pulumi plugin install` lays it out. */
function installPlugin(home: string, name: string, version: string, opts: { partial?: boolean } = {}): void {
  const dir = path.join(home, 'plugins', `resource-${name}-v${version}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `pulumi-resource-${name}`), '#!/bin/sh\n', { mode: 0o755 });
  if (opts.partial) fs.writeFileSync(`${dir}.partial`, '');
}

const spec = (name: string, version: string): PluginSpec => ({ name, version, package: `@pulumi/${name}` });

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const old: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    old[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return fn().finally(() => {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

const collect = () => {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
};

describe('lab command: the plugins the program needs', () => {
  it('are the resource plugins of the @pulumi/* dependencies, at the versions package.json pins', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const got = requiredPlugins(REPO_ROOT);
    assert.deepStrictEqual(got.map((p) => p.name), ['command', 'kubernetes', 'random', 'tls']);
    // @pulumi/pulumi is the SDK (no resource plugin); each provider package's version is its plugin's.
    for (const p of got) assert.strictEqual(p.version, pkg.dependencies[p.package], `${p.package}: plugin ${p.version}, package.json pins ${pkg.dependencies[p.package]}`);
    assert.deepStrictEqual(requiredPlugins(REPO_ROOT, ['tls', 'command']).map((p) => p.name), ['command', 'tls']);
    assert.throws(() => requiredPlugins(REPO_ROOT, ['aws']), /no @pulumi\/\* dependency provides the resource plugin "aws"/);
  });

  it('reads `pulumi plugin ls --json` and refuses anything else', () => {
    const list = parsePluginList('[\n  {\n    "name": "command",\n    "kind": "resource",\n    "version": "1.2.1",\n    "size": 10\n  }\n]\n');
    assert.deepStrictEqual(list, [{ name: 'command', kind: 'resource', version: '1.2.1' }]);
    assert.deepStrictEqual(parsePluginList('[]\n'), []);
    assert.throws(() => parsePluginList('NAME KIND VERSION'), /not JSON/);
    assert.throws(() => parsePluginList('{"name":"x"}'), /expected a JSON array/);
    assert.throws(() => parsePluginList('[{"name":"x"}]'), /entry 0 .* lacks name, kind or version/);
  });

  it('judges each plugin as the engine looks it up: PATH first, then the exact version in the cache', () => {
    const required = [spec('command', '1.2.1'), spec('kubernetes', '4.25.0'), spec('random', '4.18.4'), spec('tls', '5.2.2')];
    const installed = [
      { name: 'command', kind: 'resource', version: '1.2.1' },
      { name: 'kubernetes', kind: 'resource', version: '4.24.0' },
      { name: 'kubernetes', kind: 'resource', version: '4.26.0' },
      { name: 'random', kind: 'language', version: '4.18.4' },
    ];
    const st = checkPlugins(required, installed, (n) => (n === 'tls' ? '/opt/bin/pulumi-resource-tls' : undefined));
    assert.deepStrictEqual(st.map((s) => s.found), ['cache', false, false, 'path']);
    const lines = missingPluginLines(st);
    assert.deepStrictEqual(lines, [
      'kubernetes 4.25.0 (@pulumi/kubernetes): installed only at 4.24.0, 4.26.0, the engine takes exactly 4.25.0; install it: npm run lab -- pulumi plugin install resource kubernetes 4.25.0',
      'random 4.18.4 (@pulumi/random): not installed; install it: npm run lab -- pulumi plugin install resource random 4.18.4',
    ]);
    // A cached plugin without a version is what SelectCompatiblePlugin falls back to.
    assert.strictEqual(checkPlugins([spec('tls', '5.2.2')], [{ name: 'tls', kind: 'resource', version: '' }], () => undefined)[0].found, 'cache');
    assert.strictEqual(pluginInstallCommand(spec('tls', '5.2.2')), 'pulumi plugin install resource tls 5.2.2');
  });

  it('finds an ambient plugin as exec.LookPath does: the first executable on PATH', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-ambient-'));
    try {
      fs.mkdirSync(path.join(dir, 'a'));
      fs.mkdirSync(path.join(dir, 'b'));
      fs.writeFileSync(path.join(dir, 'a', 'pulumi-resource-tls'), 'not executable', { mode: 0o644 });
      fs.writeFileSync(path.join(dir, 'b', 'pulumi-resource-tls'), '#!/bin/sh\n', { mode: 0o755 });
      const p = [path.join(dir, 'a'), path.join(dir, 'b')].join(path.delimiter);
      assert.strictEqual(ambientPlugin('tls', p), path.join(dir, 'b', 'pulumi-resource-tls'));
      assert.strictEqual(ambientPlugin('random', p), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads Pulumi booleans as Pulumi does ("1" or "true", any case)', () => {
    assert.deepStrictEqual(['1', 'true', 'TRUE', 'yes', '0', '', undefined].map(pulumiTruthy), [true, true, true, false, false, false, false]);
  });
});

describe('lab command: the CLI and the plugin check, with a stand-in CLI', function () {
  this.timeout(30000);
  let f: ReturnType<typeof fakeInstall>;
  beforeEach(() => (f = fakeInstall()));
  afterEach(() => fs.rmSync(f.root, { recursive: true, force: true }));

  it('runs the binary LAB_PULUMI_CLI names, and says what is wrong with a bad value', async () => {
    const { io } = collect();
    const cli = await ensurePulumiCli(io, '/repo', undefined, { [LAB_PULUMI_CLI]: f.cli, PATH: '/nonexistent' });
    assert.strictEqual(cli.command, f.cli);
    assert.strictEqual(cli.version?.version, '3.248.0');
    assert.strictEqual(cliRootOf('/opt/pulumi/bin/pulumi'), '/opt/pulumi');
    assert.throws(() => cliRootOf('pulumi'), /^Error: LAB_PULUMI_CLI=pulumi: expected the absolute path of a pulumi binary in a bin\/ directory/);
    assert.throws(() => cliRootOf('/opt/pulumi/pulumi'), /expected the absolute path of a pulumi binary in a bin\/ directory/);
    await assert.rejects(ensurePulumiCli(io, '/repo', undefined, { [LAB_PULUMI_CLI]: '/nonexistent/bin/pulumi' }), {
      message: 'LAB_PULUMI_CLI=/nonexistent/bin/pulumi: no such executable',
    });
  });

  it('lists the plugins under the PULUMI_HOME in use, skipping half-installed ones', async () => {
    installPlugin(f.home, 'command', '1.2.1');
    installPlugin(f.home, 'kubernetes', '4.24.0');
    installPlugin(f.home, 'tls', '5.2.2', { partial: true });
    const vars = { PULUMI_HOME: f.home, PATH: '/usr/bin:/bin' };
    const st = await pluginStatuses(f.cli, vars, f.root);
    assert.deepStrictEqual(
      st.map((s) => [s.spec.name, s.found]),
      [['command', 'cache'], ['kubernetes', false], ['random', false], ['tls', false]],
    );
  });

  it('with downloads off, refuses before running anything, one line per missing plugin with its install command', async () => {
    installPlugin(f.home, 'command', '1.2.1');
    installPlugin(f.home, 'kubernetes', '4.24.0');
    installPlugin(f.home, 'random', '4.18.4');
    const h = collect();
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-state-'));
    try {
      const code = await withEnv(
        { [LAB_PULUMI_CLI]: f.cli, PULUMI_HOME: f.home, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: 'x', FAKE_PULUMI_LOG: f.log, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: undefined },
        () => execute(['up', '--stack', 'ipsec', '--no-plugin-download'], h.io),
      );
      assert.strictEqual(code, 2, h.out.stderr);
      assert.strictEqual(
        h.out.stderr,
        `lab: up: 2 resource plugins the program needs are not installed in ${f.home} and automatic plugin download is off (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true or --no-plugin-download):\n` +
          '  kubernetes 4.25.0 (@pulumi/kubernetes): installed only at 4.24.0, the engine takes exactly 4.25.0; install it: npm run lab -- pulumi plugin install resource kubernetes 4.25.0\n' +
          '  tls 5.2.2 (@pulumi/tls): not installed; install it: npm run lab -- pulumi plugin install resource tls 5.2.2\n',
      );
      assert.ok(!fs.existsSync(f.log), `the CLI ran something besides version and plugin ls: ${fs.existsSync(f.log) ? fs.readFileSync(f.log, 'utf8') : ''}`);
      // Pulumi's own variable does the same as the option.
      const v = collect();
      const viaVar = await withEnv(
        { [LAB_PULUMI_CLI]: f.cli, PULUMI_HOME: f.home, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: 'x', PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'TRUE' },
        () => execute(['down', '--stack', 'ipsec'], v.io),
      );
      assert.strictEqual(viaVar, 2);
      assert.match(v.out.stderr, /^lab: down: 2 resource plugins the program needs are not installed/);
    } finally {
      fs.rmSync(backend, { recursive: true, force: true });
    }
  });

  it('a plugin on the PATH the CLI gets counts (the engine takes it first); PULUMI_IGNORE_AMBIENT_PLUGINS turns that off', async () => {
    for (const [n, v] of [['command', '1.2.1'], ['kubernetes', '4.25.0'], ['random', '4.18.4']]) installPlugin(f.home, n, v);
    // Next to the CLI: the Automation API puts the CLI's directory first on PATH.
    fs.writeFileSync(path.join(f.root, 'bin', 'pulumi-resource-tls'), '#!/bin/sh\n', { mode: 0o755 });
    const le = labEnvironment({ PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true' }, f.root);
    le.vars.PULUMI_HOME = f.home;
    const h = collect();
    const st = await ensurePlugins(h.io, f.cli, le, f.root);
    assert.deepStrictEqual(st.find((s) => s.spec.name === 'tls'), { spec: spec('tls', '5.2.2'), found: 'path', path: path.join(f.root, 'bin', 'pulumi-resource-tls') });
    assert.strictEqual(h.out.stderr, '');
    le.vars.PULUMI_IGNORE_AMBIENT_PLUGINS = 'true';
    await assert.rejects(ensurePlugins(h.io, f.cli, le, f.root), /tls 5\.2\.2 \(@pulumi\/tls\): not installed/);
  });

  it('with downloads on, names what Pulumi will download and goes on', async () => {
    installPlugin(f.home, 'command', '1.2.1');
    const le = labEnvironment({}, f.root);
    le.vars.PULUMI_HOME = f.home;
    const h = collect();
    const st = await ensurePlugins(h.io, f.cli, le, f.root);
    assert.strictEqual(st.filter((s) => s.found === false).length, 3);
    assert.strictEqual(h.out.stderr, 'lab: Pulumi will download these plugins on first use: kubernetes 4.25.0, random 4.18.4, tls 5.2.2\n');
  });

  it('gives the CLI the environment the Automation API gives it: workspace variables over the process, its own directory first on PATH', () => {
    const env = cliProcessEnv('/opt/p/bin/pulumi', { PULUMI_BACKEND_URL: 'file:///s' }, { PATH: '/usr/bin', PULUMI_BACKEND_URL: 'https://api.pulumi.com', HOME: '/h' });
    assert.strictEqual(env.PATH, '/opt/p/bin:/usr/bin');
    assert.strictEqual(env.PULUMI_BACKEND_URL, 'file:///s');
    assert.strictEqual(env.HOME, '/h');
    assert.strictEqual(env.PULUMI_AUTOMATION_API, 'true');
    assert.strictEqual(cliProcessEnv('pulumi', {}, { PATH: '/usr/bin' }).PATH, '/usr/bin');
  });

  it('`npm run lab -- pulumi ...` runs that CLI in the repository with the lab\'s backend and passphrase, and exits with its code', () => {
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-state-'));
    try {
      // spawnSync's cwd is not the repository: the lab moves the CLI there.
      const r = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', path.join(REPO_ROOT, 'scripts/lab.ts'), 'pulumi', 'config', 'set', 'lab:ipsecKeyId', '4', '--stack', 'ipsec'], {
        cwd: os.tmpdir(),
        encoding: 'utf8',
        env: { ...process.env, [LAB_PULUMI_CLI]: f.cli, PULUMI_BACKEND_URL: `file://${backend}`, FAKE_PULUMI_LOG: f.log, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined },
      });
      assert.strictEqual(r.status, 0, r.stderr);
      const calls = fs.readFileSync(f.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.strictEqual(calls.length, 1);
      assert.deepStrictEqual(calls[0].argv, ['config', 'set', 'lab:ipsecKeyId', '4', '--stack', 'ipsec']);
      assert.strictEqual(calls[0].cwd, REPO_ROOT);
      assert.strictEqual(calls[0].env.PULUMI_BACKEND_URL, `file://${backend}`);
      assert.strictEqual(calls[0].env.PULUMI_CONFIG_PASSPHRASE, 'cilium-ipsec-lab', 'the lab default passphrase, as for up');
      assert.match(r.stderr, /PULUMI_CONFIG_PASSPHRASE is not set: using the lab default passphrase/);
      assert.strictEqual(r.stdout, '', 'the lab adds nothing to the CLI\'s stdout (it may feed $(...))');
      const failing = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', path.join(REPO_ROOT, 'scripts/lab.ts'), 'pulumi', 'stack', '--show-urns'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, [LAB_PULUMI_CLI]: f.cli, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: 'x', FAKE_PULUMI_EXIT: '7', FAKE_PULUMI_STDOUT: 'urn:pulumi:a::b::c::d\n' },
      });
      assert.strictEqual(failing.status, 7);
      assert.strictEqual(failing.stdout, 'urn:pulumi:a::b::c::d\n');
    } finally {
      fs.rmSync(backend, { recursive: true, force: true });
    }
  });

  it('names the project of Pulumi.yaml (the inline program runs as that project)', () => {
    assert.strictEqual(projectName(REPO_ROOT), 'cilium-ipsec-lab');
    assert.throws(() => projectName(os.tmpdir()), /Pulumi\.yaml/);
  });
});
