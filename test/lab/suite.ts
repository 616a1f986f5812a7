/**
 * The lab suite (`npm run test:lab`, root; scripts/test-lab.sh prepares the host): the whole lab, offline,
 * from nothing to verified outputs, through `npm run lab` on the real engine, as a user runs it.
 *
 * Stages (each printed PASS/FAIL per check, then `N passed, N failed`, the stage timings and the slowest
 * Pulumi steps of every up):
 *   bundle       `npm run bundle -- build` (warm: seconds) and `serve`
 *   unencrypted  the unencrypted stack up: verified cleartext, the nonce seen
 *   ipsec        switched in place (`lab:encryption ipsec`, one up): ESP decrypted with the nodes' keys,
 *                the nonce inside, the capture before the switch kept
 *   rotation     `lab:ipsecKeyId` + 1, one up: rotation met, the key Secret patched in place
 *   wireguard    `down` of that stack (nothing left), the wireguard stack up, verified
 *   compare      `compare` and `report` over the three recorded outputs
 *   down         the wireguard stack down; nothing named cil-unencrypted- or cil-wireguard- left
 *
 * The stacks run in a copy of the project (the repository's tracked and untracked files; it installs its
 * own node_modules) with their own file backend: Pulumi.<stack>.yaml there is the repository's stack file, the
 * bundle's printed config and the test bed's settings (TEST_BED). Outputs, logs, captures and the report
 * are kept in the output directory. A failed stage stops the run and leaves its stack up for a look; the
 * run can go on from a stage with `--from STAGE --work DIR` (the directory the failed run printed), with
 * the repository's code as it is then copied over the copy's (its stack files, state and captures stay).
 *
 * Exit: 0 every check passed, 1 a check failed, 2 the suite could not run.
 * Environment: LAB_PULUMI_CLI, PULUMI_HOME (the CLI and the command, random, tls and kubernetes plugins),
 * LAB_BUNDLE_CACHE (the bundle's cache).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as YAML from 'yaml';
import { REPO_ROOT } from '../../components/repo';
import { IPSEC_SECRET_NAME } from '../../components/cilium-values';
import { Timings } from '../vm/helpers/timing';
import {
  leftovers,
  resourceTimings,
  secretIdentity,
  secretPatchedCheck,
  stageChecks,
  stateResourcesOfType,
  switchChecks,
  type Check,
  type ResourceTiming,
  type Stage,
} from './checks';

export const STAGES = ['bundle', 'unencrypted', 'ipsec', 'rotation', 'wireguard', 'compare', 'down'] as const;
type SuiteStage = (typeof STAGES)[number];

/**
 * What only this test bed sets (README "The lab suite": differences from a real lab): software
 * emulation on 2 cores, one vCPU per VM (two per VM made the emulated control plane collapse), and disks
 * that ignore flushes (etcd's fsync took over a second on a qcow2 overlay under emulation).
 */
export const TEST_BED: Record<string, string> = {
  'lab:domainType': 'qemu',
  'lab:diskCache': 'unsafe',
  'lab:routerVcpus': '1',
  'lab:controlPlaneVcpus': '1',
  'lab:workerVcpus': '1',
};
const FIRST = 'unencrypted';
const SECOND = 'wireguard';

const results: Check[] = [];
const timings = new Timings('lab-suite');
const slowSteps: { up: string; step: ResourceTiming }[] = [];
const say = (s: string) => process.stdout.write(`${s}\n`);

function record(c: Check): void {
  results.push(c);
  say(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
}

interface Ran {
  code: number;
  /** stdout and stderr as they came. */
  output: string;
  stdout: string;
}

/** Runs a command, its output streamed to ours and kept in `log`; resolves with the exit code and the output. */
function runLogged(argv: string[], cwd: string, env: Record<string, string>, log: string, echo = true): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = fs.createWriteStream(log, { flags: 'a' });
    out.write(`\n$ ${argv.join(' ')}\n`);
    let output = '';
    let stdout = '';
    const take = (to: NodeJS.WriteStream) => (d: Buffer) => {
      output += d.toString();
      if (to === process.stdout) stdout += d.toString();
      out.write(d);
      if (echo) to.write(d);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('error', reject);
    child.on('close', (code) => out.end(() => resolve({ code: code ?? 1, output, stdout })));
  });
}

class Suite {
  constructor(
    readonly work: string,
    readonly out: string,
    readonly env: Record<string, string>,
  ) {}

  lab(args: string[], log = 'lab.log'): Promise<Ran> {
    return runLogged(['bash', path.join(this.work, 'scripts/lab.sh'), ...args], this.work, this.env, path.join(this.out, log));
  }

  bundle(args: string[]): Promise<Ran> {
    return runLogged(['bash', path.join(this.work, 'scripts/bundle.sh'), ...args], this.work, this.env, path.join(this.out, 'bundle.log'));
  }

  /** stdout of a lab command that must succeed. */
  async mustLab(args: string[], what: string): Promise<string> {
    const r = await this.lab(args);
    if (r.code !== 0) throw new Error(`${what}: lab ${args.join(' ')} exited ${r.code}`);
    return r.stdout;
  }

  /** `lab up`, timed, its slow steps kept; a check on the exit code (0: verified). */
  async up(stack: string, label: string): Promise<ResourceTiming[]> {
    const r = await timings.time(`${label}: up`, () => this.lab(['up', '--stack', stack], `${label}.log`));
    const steps = resourceTimings(r.output);
    for (const s of steps) if (s.seconds >= 20) slowSteps.push({ up: label, step: s });
    record({ name: `${label}: lab up exits 0`, ok: r.code === 0, detail: `exit ${r.code}, ${steps.length} steps` });
    if (r.code !== 0) throw new StageFailed(label);
    return steps;
  }

  async outputs(stack: string, file: string): Promise<Record<string, unknown>> {
    const text = await this.mustLab(['outputs', '--stack', stack, '--json'], 'outputs');
    const json = text.slice(text.indexOf('{'));
    fs.writeFileSync(path.join(this.out, file), json);
    return JSON.parse(json) as Record<string, unknown>;
  }

  async exportState(stack: string, showSecrets = false): Promise<unknown> {
    // Kept out of the logs: the export holds the state's secrets (encrypted, or in clear with showSecrets).
    const args = ['pulumi', 'stack', 'export', '--stack', stack, ...(showSecrets ? ['--show-secrets'] : [])];
    const r = await runLogged(['bash', path.join(this.work, 'scripts/lab.sh'), ...args], this.work, this.env, '/dev/null', false);
    if (r.code !== 0) throw new Error(`pulumi stack export --stack ${stack} exited ${r.code}`);
    return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  }

  /**
   * The evidence of a stage, for fixtures: what the lab read on the nodes for this verdict (`ip xfrm
   * state` with the keys, `cilium-dbg encrypt status`), from the state's remote commands, one file each,
   * beside the stage's outputs. A throwaway lab's keys: they decrypt its captures.
   */
  async keepEvidence(stack: string, label: string): Promise<string[]> {
    const dir = path.join(this.out, 'evidence', label);
    fs.mkdirSync(dir, { recursive: true });
    const kept: string[] = [];
    for (const r of stateResourcesOfType(await this.exportState(stack, true), 'command:remote:Command')) {
      const name = String(r.urn ?? '').split('::').pop() ?? '';
      const stdout = (r.outputs as { stdout?: unknown } | undefined)?.stdout;
      if (!/(xfrm-(state|before|after)|encrypt-status)-/.test(name) || typeof stdout !== 'string') continue;
      fs.writeFileSync(path.join(dir, `${name}.txt`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
      kept.push(name);
    }
    return kept;
  }

  configSet(stack: string, key: string, value: string): Promise<string> {
    return this.mustLab(['pulumi', 'config', 'set', key, value, '--stack', stack], `config set ${key}`);
  }

  judge(stage: Stage, outputs: Record<string, unknown>): boolean {
    const cs = stageChecks(stage, outputs);
    cs.forEach(record);
    return cs.every((c) => c.ok);
  }
}

class StageFailed extends Error {
  constructor(readonly stage: string) {
    super(`stage ${stage} failed`);
  }
}

/** Names of libvirt domains, networks and pools (all, any state). */
async function libvirtNames(): Promise<string[]> {
  const names: string[] = [];
  for (const args of [['list', '--all', '--name'], ['net-list', '--all', '--name'], ['pool-list', '--all', '--name']]) {
    const r = await runLogged(['virsh', '-c', 'qemu:///system', ...args], '/', {}, '/dev/null', false);
    if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} exited ${r.code}`);
    names.push(...r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  return names;
}

/**
 * A copy of the project: tracked and untracked files (not ignored ones), as a fresh clone has them. Its
 * scripts install its own node_modules (npm ci) on their first run: a link to ours would let that npm ci
 * empty ours.
 */
async function copyProject(work: string, keep: string[] = []): Promise<void> {
  const r = await runLogged(['git', '-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT, {}, '/dev/null', false);
  if (r.code !== 0) throw new Error('git ls-files failed: the suite copies the project from a git checkout');
  for (const f of r.stdout.split('\0').filter((x) => x !== '')) {
    const from = path.join(REPO_ROOT, f);
    if (!fs.existsSync(from) || keep.includes(f)) continue;
    fs.mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
    fs.copyFileSync(from, path.join(work, f));
    const st = fs.statSync(from);
    fs.chmodSync(path.join(work, f), st.mode);
    // The original times: a copied package-lock.json newer than the copy's install would set off npm ci.
    fs.utimesSync(path.join(work, f), st.atime, st.mtime);
  }
}

/** Pulumi.<stack>.yaml of the copy: the repository's file, the bundle's config, the test bed. */
function writeStackFile(work: string, stack: string, bundleConfigYaml: string): void {
  const own = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { config: Record<string, unknown> };
  const bundle = YAML.parse(bundleConfigYaml.slice(bundleConfigYaml.indexOf('config:'))) as { config: Record<string, unknown> };
  const config = { ...own.config, ...bundle.config, ...TEST_BED };
  fs.writeFileSync(path.join(work, `Pulumi.${stack}.yaml`), `# Written by test/lab/suite.ts: Pulumi.${stack}.yaml of the repository, the bundle's config, the test bed.\n${YAML.stringify({ config })}`);
}

async function nothingLeft(prefixes: string[], what: string): Promise<void> {
  const left = leftovers(await libvirtNames(), prefixes);
  record({ name: `${what}: nothing named ${prefixes.join(' or ')} left`, ok: left.length === 0, detail: left.length === 0 ? 'none' : left.join(', ') });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, work: { type: 'string' }, out: { type: 'string' } } });
  const from = (values.from ?? 'bundle') as SuiteStage;
  if (!STAGES.includes(from)) {
    process.stderr.write(`lab-suite: --from ${from}: expected one of ${STAGES.join(', ')}\n`);
    return 2;
  }
  if (from !== 'bundle' && !values.work) {
    process.stderr.write(`lab-suite: --from ${from} needs --work DIR, the project copy of the run to go on with\n`);
    return 2;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const work = values.work ?? path.join('/var/tmp', `lab-suite-${stamp}`);
  const out = values.out ?? path.join(work, 'results');
  fs.mkdirSync(out, { recursive: true });
  const env: Record<string, string> = { PULUMI_BACKEND_URL: `file://${path.join(work, '.lab', 'state')}`, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true' };
  fs.mkdirSync(path.join(work, '.lab', 'state'), { recursive: true });
  const s = new Suite(work, out, env);
  say(`lab-suite: project copy ${work}, results ${out}`);

  if (from !== 'bundle') {
    // Going on after a failure runs the repository's code as it is now (a fix made since), on the copy's
    // own stack files, state and captures.
    await copyProject(work, [FIRST, SECOND].map((st) => `Pulumi.${st}.yaml`));
  }
  const at = STAGES.indexOf(from);
  const runs = (st: SuiteStage) => STAGES.indexOf(st) >= at;
  try {
    if (runs('bundle')) {
      const before = leftovers(await libvirtNames(), [`cil-${FIRST}-`, `cil-${SECOND}-`]);
      if (before.length > 0) {
        process.stderr.write(`lab-suite: libvirt already has ${before.join(', ')}: tear those labs down first (npm run lab -- down --stack S)\n`);
        return 2;
      }
      await copyProject(work);
      await timings.time('bundle: build', async () => {
        const r = await s.bundle(['build']);
        if (r.code !== 0) throw new Error(`bundle build exited ${r.code}`);
      });
      await timings.time('bundle: serve', async () => {
        const r = await s.bundle(['serve', '--stack', FIRST, '--slow-host']);
        if (r.code !== 0) throw new Error(`bundle serve exited ${r.code}`);
      });
      for (const stack of [FIRST, SECOND]) {
        const r = await s.bundle(['config', '--stack', stack, '--slow-host']);
        if (r.code !== 0) throw new Error(`bundle config --stack ${stack} exited ${r.code}`);
        writeStackFile(work, stack, r.stdout);
      }
    }
    if (runs('unencrypted')) {
      await s.up(FIRST, 'unencrypted');
      const ok = s.judge('unencrypted', await s.outputs(FIRST, 'unencrypted.json'));
      await s.keepEvidence(FIRST, 'unencrypted');
      if (!ok) throw new StageFailed('unencrypted');
    }
    if (runs('ipsec')) {
      await s.configSet(FIRST, 'lab:encryption', 'ipsec');
      await s.up(FIRST, 'ipsec');
      const ipsecOutputs = await s.outputs(FIRST, 'ipsec.json');
      const captures = fs.readdirSync(path.join(work, 'captures', FIRST));
      const cs = switchChecks(ipsecOutputs, captures);
      cs.forEach(record);
      await s.keepEvidence(FIRST, 'ipsec');
      if (!s.judge('ipsec', ipsecOutputs) || !cs.every((c) => c.ok)) throw new StageFailed('ipsec');
    }
    if (runs('rotation')) {
      const before = secretIdentity(await s.exportState(FIRST), IPSEC_SECRET_NAME);
      const keyId = Number(YAML.parse(fs.readFileSync(path.join(work, `Pulumi.${FIRST}.yaml`), 'utf8')).config['lab:ipsecKeyId'] ?? 3);
      await s.configSet(FIRST, 'lab:ipsecKeyId', String(keyId + 1));
      const steps = await s.up(FIRST, 'rotation');
      const after = secretIdentity(await s.exportState(FIRST), IPSEC_SECRET_NAME);
      const patched = secretPatchedCheck(before, after, steps);
      record(patched);
      const ok = s.judge('rotation', await s.outputs(FIRST, 'rotation.json'));
      await s.keepEvidence(FIRST, 'rotation');
      if (!ok || !patched.ok) throw new StageFailed('rotation');
    }
    if (runs('wireguard')) {
      await timings.time(`${FIRST}: down`, () => s.mustLab(['down', '--stack', FIRST], 'down'));
      await nothingLeft([`cil-${FIRST}-`], `${FIRST} down`);
      await s.up(SECOND, 'wireguard');
      const ok = s.judge('wireguard', await s.outputs(SECOND, 'wireguard.json'));
      await s.keepEvidence(SECOND, 'wireguard');
      if (!ok) throw new StageFailed('wireguard');
    }
    if (runs('compare')) {
      const files = ['unencrypted.json', 'rotation.json', 'wireguard.json'].map((f) => path.join(out, f));
      const c = await s.lab(['compare', ...files.flatMap((f) => ['--from', f])]);
      record({ name: 'compare: every stack passes', ok: c.code === 0, detail: `exit ${c.code}` });
      const page = path.join(out, 'report.html');
      const r = await s.lab(['report', ...files.flatMap((f) => ['--from', f]), '--out', page]);
      const size = fs.existsSync(page) ? fs.statSync(page).size : 0;
      record({ name: 'report: written, every stack passes', ok: r.code === 0 && size > 0, detail: `exit ${r.code}, ${size} bytes` });
    }
    if (runs('down')) {
      await timings.time(`${SECOND}: down`, () => s.mustLab(['down', '--stack', SECOND], 'down'));
      await nothingLeft([`cil-${FIRST}-`, `cil-${SECOND}-`], 'after both downs');
      const stop = await s.bundle(['stop']);
      record({ name: 'bundle: servers stopped', ok: stop.code === 0, detail: `exit ${stop.code}` });
    }
  } catch (e) {
    if (e instanceof StageFailed) say(`lab-suite: stage ${e.stage} failed; its stack is left up. Go on later with: npm run test:lab -- --from ${e.stage} --work ${work}`);
    else {
      record({ name: 'the suite ran to its end', ok: false, detail: (e as Error).message.split('\n')[0] });
      say(`lab-suite: go on later with: npm run test:lab -- --from STAGE --work ${work}`);
    }
  } finally {
    const caps = path.join(work, 'captures');
    if (fs.existsSync(caps)) fs.cpSync(caps, path.join(out, 'captures'), { recursive: true });
  }

  const failed = results.filter((r) => !r.ok).length;
  say(`\n${results.length - failed} passed, ${failed} failed`);
  say(`\nstage timings:\n${timings.table()}`);
  if (slowSteps.length > 0) {
    say('\nPulumi steps of 20 s or more (in the order they ended):');
    for (const { up, step } of slowSteps) say(`  ${up.padEnd(12)} ${step.op.padEnd(8)} ${String(step.seconds).padStart(8)} s  ${step.name}`);
  }
  say(`\nresults: ${out}`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`lab-suite: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
