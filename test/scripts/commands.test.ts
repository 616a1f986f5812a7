/**
 * Each test command installs every external command its suite runs on this machine, so both work on a
 * fresh Debian machine (a tool that happened to be installed on the developer's machine hides the gap).
 *
 * Nothing here is a second list: every input is read from the code.
 * - What a test command installs: the `ensure_commands CMD:PACKAGE` and `ensure_python_module` calls
 *   in its script (package.json "test" -> scripts/test.sh, "test:vm" -> scripts/test-vm.sh, "test:engine"
 *   -> scripts/test-engine.sh).
 * - What a suite runs on this machine: the commands of its entry script and the scripts it sources, of
 *   the libvirt host scripts (scripts/host/, run by both suites), of every script its TypeScript runs
 *   with `bash scripts/...`, and the commands its TypeScript spawns. Scripts under scripts/vm/ and
 *   scripts/vm-test/ that are not run that way are shipped to the guests, whose image provides them;
 *   when the unit tests run them here they put stand-ins for the guest's commands on PATH.
 * - What needs no install: commands of a package every Debian system has, `Essential: yes` or
 *   `Priority: required`, and apt (exactly what `debootstrap --variant=minbase` installs), asked of dpkg
 *   at test time; and node/npm/npx, the runtime the README's prerequisites name and that runs mocha.
 * Names built at run time (`"$d" -d`, process.execPath) cannot be read statically and are not checked.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { bashBuiltins, parseShell, parseShellFile, tsCommands, type CommandUse, type ParsedScript } from './commands';

import { REPO_ROOT as root } from '../../components/repo';
const rel = (f: string) => path.relative(root, f);
/** The README's prerequisites: Node.js and npm run the tests themselves. */
const RUNTIME = new Set(['node', 'npm', 'npx']);

function files(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(p, ext);
    return e.name.endsWith(ext) ? [p] : [];
  });
}

/** Scripts a file sources (`. "$root/scripts/x.sh"` or `source ...`), from the literal tail of the path. */
function sourced(script: string): string[] {
  const text = fs.readFileSync(script, 'utf8');
  return [...text.matchAll(/^\s*(?:\.|source)\s+"?\$[{]?\w+[}]?\/([\w/.-]+\.sh)"?/gm)].map((m) => {
    const fromRoot = path.join(root, m[1]);
    return fs.existsSync(fromRoot) ? fromRoot : path.join(path.dirname(script), m[1]);
  });
}

/** Scripts TypeScript runs on this machine: bash with a scripts/ path, as an argv or as command text. */
function scriptsRunBy(tsFiles: string[]): string[] {
  const out = new Set<string>();
  for (const f of tsFiles) {
    // A line asserting what a command text is runs nothing.
    const text = fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => !/\bassert\./.test(l))
      .join('\n');
    for (const m of text.matchAll(/'bash',\s*'(scripts\/[\w/.-]+\.sh)'|\bbash \$\{JSON\.stringify\(path\.join\(\w+,\s*'(scripts\/[\w/.-]+\.sh)'\)\)\}|[`'"]bash (scripts\/[\w/.-]+\.sh)/g)) {
      out.add(path.join(root, m[1] ?? m[2] ?? m[3]));
    }
  }
  return [...out];
}

interface Suite {
  name: string;
  entry: string;
  scripts: string[];
  tsFiles: string[];
}

function suites(): Suite[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const entry = (name: string) => {
    const m = /^bash (scripts\/[\w/.-]+\.sh)$/.exec(pkg.scripts[name] ?? '');
    assert.ok(m, `package.json scripts.${name} should be "bash scripts/<file>.sh", got ${JSON.stringify(pkg.scripts[name])}`);
    return path.join(root, m[1]);
  };
  const host = files(path.join(root, 'scripts', 'host'), '.sh');
  // This file and its scanner hold sample code, not commands to run.
  const allTs = files(path.join(root, 'test'), '.ts').filter((f) => path.dirname(f) !== __dirname || !/^commands\./.test(path.basename(f)));
  const vmTs = allTs.filter((f) => rel(f).startsWith('test/vm/'));
  // The engine suite's runner and program (not its unit tests, which npm test runs), and the VM suite's
  // helpers it drives libvirt with.
  const engineTs = allTs.filter((f) => (rel(f).startsWith('test/engine/') && !f.endsWith('.test.ts')) || rel(f).startsWith('test/vm/helpers/'));
  const unitTs = allTs.filter((f) => !rel(f).startsWith('test/vm/') && !engineTs.includes(f));
  const make = (name: string, script: string, tsFiles: string[]): Suite => {
    const scripts = new Set<string>([script, ...host, ...scriptsRunBy(tsFiles)]);
    // What a sourced script sources runs too (ensure-deps.sh runs apt through scripts/vm/lib.sh).
    for (const s of scripts) for (const t of sourced(s)) scripts.add(t);
    return { name, entry: script, scripts: [...scripts].sort(), tsFiles };
  };
  return [make('npm test', entry('test'), unitTs), make('npm run test:vm', entry('test:vm'), vmTs), make('npm run test:engine', entry('test:engine'), engineTs)];
}

/** The Debian package that owns PATH, trying both sides of the merged /usr. */
const ownerCache = new Map<string, string | undefined>();
function owner(file: string): string | undefined {
  if (!ownerCache.has(file)) ownerCache.set(file, findOwner(file));
  return ownerCache.get(file);
}
function findOwner(file: string): string | undefined {
  for (const p of [file, file.replace(/^\/usr\//, '/'), `/usr${file}`]) {
    const r = spawnSync('dpkg', ['-S', p], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.split(':')[0].split(',')[0].trim();
  }
  return undefined;
}

const baseCache = new Map<string, boolean>();
/**
 * The packages `debootstrap --variant=minbase` installs: Essential or Priority required, plus apt, which
 * minbase adds by name (debootstrap's scripts/debian-common: `elif doing_variant minbase; then base="apt"`)
 * although its Priority is `important` (bookworm).
 */
function inBase(pkg: string): boolean {
  if (!baseCache.has(pkg)) {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Essential} ${Priority}', pkg], { encoding: 'utf8' });
    baseCache.set(pkg, pkg === 'apt' || (r.status === 0 && /^yes |required$/.test(r.stdout.trim())));
  }
  return baseCache.get(pkg) as boolean;
}

function which(cmd: string): string | undefined {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? fs.realpathSync(cmd) : undefined;
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = path.join(d, cmd);
    if (fs.existsSync(p)) return fs.realpathSync(p);
  }
  return undefined;
}

/** Why CMD needs no install, or undefined when it does. */
function provided(cmd: string): string | undefined {
  if (RUNTIME.has(path.basename(cmd))) return 'the Node.js runtime';
  const p = which(cmd);
  if (!p) return undefined;
  const pkg = owner(p);
  return pkg && inBase(pkg) ? `base package ${pkg}` : undefined;
}

describe('every command the test suites run is installed by their test command', function () {
  this.timeout(120000);
  const builtins = bashBuiltins();
  const all = suites();
  const parsed = new Map<string, ParsedScript>();
  const parse = (f: string) => {
    if (!parsed.has(f)) parsed.set(f, parseShellFile(f, rel(f)));
    return parsed.get(f) as ParsedScript;
  };
  // Functions from any script of the tree (a sourced library defines them for its callers).
  const functions = () => new Set(files(path.join(root, 'scripts'), '.sh').flatMap((f) => parse(f).functions));

  it('reads commands in pipelines, substitutions, conditions, wrappers and alternatives', () => {
    const p = parseShell(
      [
        'f() { local y; y=$(alpha 2>&1 | beta); }',
        'if ! command -v gamma >/dev/null; then sudo -u nobody timeout 5 delta "$@"; fi',
        'exec env A=1 epsilon --flag',
        'while read -r l; do echo "$l"; done < <(zeta)',
        'if command -v eta >/dev/null 2>&1; then eta x; elif command -v theta >/dev/null; then theta y; fi',
        '"$dynamic" -d',
        'ensure_commands iota:iota-pkg kappa:kappa-tools',
      ].join('\n'),
      'sample.sh',
    );
    const names = p.calls.map((c) => c.name).filter((n) => !builtins.has(n));
    assert.deepStrictEqual(names.sort(), ['alpha', 'beta', 'delta', 'ensure_commands', 'epsilon', 'zeta']);
    assert.deepStrictEqual(p.functions, ['f']);
    assert.deepStrictEqual(p.calls.filter((c) => c.inFunction === 'f').map((c) => c.name), ['alpha', 'beta']);
    assert.deepStrictEqual(p.alternatives.map((a) => a.names), [['eta', 'theta']]);
    assert.deepStrictEqual(p.ensured.map((e) => `${e.command}:${e.pkg}`), ['iota:iota-pkg', 'kappa:kappa-tools']);
  });

  it('reads the commands TypeScript spawns', () => {
    const uses = tsCommands(
      [
        "spawnSync('tshark', ['-v']);",
        "execFileSync('nft', ['-f', x]);",
        "await mustRun('what', ['virsh', '-q']);",
        "await run(['iptables', '-C']);",
        "runCommand(['stat', '-c', '%s', f]);",
        "await runCommandAsync(['apt-get', 'update'], {});",
        "execSync('openssl pkey | sha256sum', {});",
        'spawn(process.execPath, []);',
        "spawn('ip', ['netns', 'exec', NS.a, 'tcpdump', '-i', x]);",
        "inNs(ns.r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');",
        'inNs(ns.host, `ip link set ${tag}a up\n  nft -f ${rules}`);',
      ].join('\n'),
      'sample.ts',
    );
    assert.deepStrictEqual(uses.map((u) => u.name).sort(), ['apt-get', 'ip', 'ip', 'iptables', 'nft', 'nft', 'openssl', 'sha256sum', 'stat', 'sysctl', 'tcpdump', 'tshark', 'virsh']);
    assert.deepStrictEqual(uses.filter((u) => u.name === 'nft').map((u) => u.line), [2, 12]);
  });

  for (const s of all) {
    describe(s.name, () => {
      it(`${rel(s.entry)} installs something, and the host scripts are in scope`, () => {
        assert.ok(parse(s.entry).ensured.length > 0, `${rel(s.entry)} has no ensure_commands call`);
        assert.ok(s.scripts.some((f) => rel(f) === 'scripts/host/seed.sh'), s.scripts.map(rel).join(' '));
        assert.ok(s.scripts.some((f) => rel(f) === 'scripts/lib/ensure-deps.sh'), 'the sourced ensure-deps.sh is in scope');
        assert.ok(s.scripts.some((f) => rel(f) === 'scripts/vm/lib.sh'), 'lib.sh, which ensure-deps.sh sources, is in scope');
      });

      it('runs no external command that is neither installed by it nor in every Debian base system', () => {
        const fns = functions();
        const installed = new Map<string, string>();
        for (const e of parse(s.entry).ensured) installed.set(e.command, e.pkg);
        // A function's commands run only if the suite calls it (ensure-deps.sh defines more than one
        // test command uses).
        const calls = s.scripts.flatMap((f) => parse(f).calls);
        const reached = new Set<string>();
        for (let grew = true; grew; ) {
          grew = false;
          for (const c of calls) {
            if (fns.has(c.name) && !reached.has(c.name) && (!c.inFunction || reached.has(c.inFunction))) {
              reached.add(c.name);
              grew = true;
            }
          }
        }
        const uses: CommandUse[] = [
          ...calls.filter((c) => !c.inFunction || reached.has(c.inFunction)),
          ...s.tsFiles.flatMap((f) => tsCommands(fs.readFileSync(f, 'utf8'), rel(f))),
        ].filter((u) => !builtins.has(u.name) && !fns.has(u.name));
        const missing = new Map<string, string[]>();
        for (const u of uses) {
          if (installed.has(u.name) || installed.has(path.basename(u.name)) || provided(u.name)) continue;
          missing.set(u.name, [...(missing.get(u.name) ?? []), `${u.file}:${u.line}`]);
        }
        for (const a of s.scripts.flatMap((f) => parse(f).alternatives)) {
          if (!a.names.some((n) => installed.has(n) || provided(n))) missing.set(a.names.join(' or '), [`${a.file}:${a.line}`]);
        }
        assert.ok(uses.length > 20, `only ${uses.length} command uses found: the scan is broken`);
        assert.deepStrictEqual(
          [...missing].map(([cmd, where]) => `${cmd} (${where.slice(0, 3).join(', ')})`),
          [],
          `add CMD:PACKAGE to ensure_commands in ${rel(s.entry)}`,
        );
      });
    });
  }

  it('after scripts/test.sh ran, every command it ensures is installed (the pairs name the right packages)', () => {
    const unit = all[0];
    const wrong = parse(unit.entry)
      .ensured.filter((e) => !e.command.startsWith('python3 -c'))
      .filter((e) => {
        const p = which(e.command);
        const st = spawnSync('dpkg-query', ['-W', '-f=${Status}', e.pkg], { encoding: 'utf8' });
        return !p || !/install ok installed/.test(st.stdout);
      })
      .map((e) => `${e.command}:${e.pkg}`);
    assert.deepStrictEqual(wrong, []);
  });
});
