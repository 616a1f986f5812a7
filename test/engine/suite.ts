/**
 * The engine suite (`npm run test:engine`, root; scripts/test-engine.sh prepares the host): the VM half
 * of the lab (test/engine/program.ts) under the real Pulumi engine, on real libvirt VMs, through the lab
 * command's own Pulumi connection (components/labcli/pulumi.ts: the CLI it finds, the plugin check, the
 * inline program). Own stack `engine` (libvirt names `cil-engine-...`, own subnets), a file backend and
 * a project directory in a temporary directory, plugin downloads off.
 *
 * Checks, each printed PASS or FAIL with what it saw, then `N passed, N failed`, the phase timings and
 * the CLI and plugin versions:
 *   up creates everything, outputs as documented; preview --expect-no-changes passes; a second up
 *   changes nothing; no secret in plain text anywhere under the backend directory while `stack output
 *   --show-secrets` shows them; a bad config value and a refused key rotation fail before anything
 *   changes; a comment edited in scripts/vm/node-setup.sh leaves no result of an old VM under a new one;
 *   a host reboot (domains and networks destroyed behind Pulumi's back, libvirtd restarted): the
 *   domains come back by autostart and `up` afterwards keeps no result taken before; `down` finishes in
 *   bounded time and leaves nothing named cil-engine-.
 *
 * Exit: 0 every check passed, 1 a check failed, 2 the suite could not run, 3 plugins missing (each
 * named with its install command).
 * Environment: ENGINE_TEST_DOMAIN_TYPE (kvm|qemu; default: the VM suite's KVM probe),
 * ENGINE_TEST_LIBVIRTD_STARTED=1 (set by scripts/test-engine.sh when it started libvirtd: only then may
 * the reboot check restart it), LAB_PULUMI_CLI, PULUMI_HOME, CACHE_DIR (guest image cache).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import * as YAML from 'yaml';
import type { Stack } from '@pulumi/pulumi/automation';
import { REPO_ROOT } from '../../components/repo';
import { parseLabConfig } from '../../components/config';
import { ensurePulumiCli, labEnvironment, openStack, pluginStatuses, pulumiHomeOf, runCli, type LabIO } from '../../components/labcli/pulumi';
import { missingPluginLines, requiredPlugins } from '../../components/labcli/plugins';
import { failFast } from '../../components/labcli/fail-fast';
import { Lab, vmTestSettings } from '../vm/helpers/lab';
import { mustRun, run, sleep } from '../vm/helpers/run';
import { Timings } from '../vm/helpers/timing';
import { addEgressGuard, removeEgressGuard } from '../vm/helpers/guard';
import { vmHalfProgram } from './program';
import {
  describeChanges,
  ipsecProbe,
  noChanges,
  pemProbe,
  remoteResults,
  secretsInFiles,
  staleResults,
  stateChanges,
  stateResources,
  tokenProbe,
  type StateFile,
  type VmResult,
  type StateResource,
} from './checks';

const STACK = 'engine';
/** Subnets no other stack of the project uses (README "Stacks and config", the VM suite's defaults). */
const SUBNETS = { seg1Subnet: '192.168.216.0/24', seg2Subnet: '192.168.49.0/24', uplinkSubnet: '192.168.205.0/24' };
/** The resource plugins the program uses (no Kubernetes). */
const PLUGINS = ['command', 'random', 'tls'];
const EDITED_SCRIPT = 'scripts/vm/node-setup.sh';
const KEY_ID = 3;
const DOWN_BOUND_SECONDS = 600;
const AUTOSTART_BOUND_SECONDS = 180;

interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

const results: CheckResult[] = [];
const timings = new Timings('engine-suite');
const io: LabIO = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) };
const say = (s: string) => process.stdout.write(`${s}\n`);

/** Runs one check: PASS with what `fn` returns, FAIL with the first line of what it threw. */
async function check(name: string, fn: () => Promise<string>): Promise<boolean> {
  try {
    const detail = await fn();
    results.push({ name, ok: true, detail });
    say(`PASS  ${name}: ${detail}`);
    return true;
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim() !== '').slice(0, 6).join(' | ');
    results.push({ name, ok: false, detail });
    say(`FAIL  ${name}: ${detail}`);
    return false;
  }
}

function fail(msg: string): never {
  throw new Error(msg);
}

/** The error text of a failed Automation API call: the CLI's "error:" lines, not its whole output. */
function errorLines(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const errs = msg.split('\n').map((l) => /\berror:\s*(.+)$/i.exec(l.trim())?.[1]).filter((l): l is string => !!l && !/^update failed$/i.test(l));
  return errs.length > 0 ? errs.join(' | ') : msg.split('\n')[0];
}

/** The first line of a failed call's text that matches `re` (trimmed), if any. */
function lineWith(e: unknown, re: RegExp): string | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').map((l) => l.trim()).find((l) => re.test(l));
}

interface Ctx {
  stack: Stack;
  lab: Lab;
  cli: string;
  vars: Record<string, string>;
  workDir: string;
  stateDir: string;
}

async function exportState(c: Ctx): Promise<StateResource[]> {
  return stateResources(await c.stack.exportStack());
}

/** Each VM's start (seconds since the epoch), from its qemu process on this host; absent when not running. */
async function vmStarts(lab: Lab): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const vm of lab.vms) {
    const pidFile = `/run/libvirt/qemu/${vm.domain}.pid`;
    if (!fs.existsSync(pidFile)) continue;
    const pid = fs.readFileSync(pidFile, 'utf8').trim();
    const r = await run(['ps', '-o', 'etimes=', '-p', pid]);
    if (r.code === 0 && /^\s*\d+\s*$/.test(r.stdout)) out.set(vm.ip, Math.floor(Date.now() / 1000) - Number(r.stdout.trim()));
  }
  return out;
}

/**
 * No remote result in the state older than the VM it was taken on; with `only`, among the results it
 * keeps (the others are counted apart).
 */
async function assertNoStaleResults(c: Ctx, only?: (r: VmResult) => boolean): Promise<string> {
  const state = await exportState(c);
  const all = remoteResults(state, c.lab.router.ip);
  const taken = only ? all.filter(only) : all;
  if (taken.length === 0) fail('the state holds no remote command result: nothing to judge');
  const starts = await vmStarts(c.lab);
  const stale = staleResults(taken, (ip) => starts.get(ip));
  if (stale.length > 0) fail(`${stale.length} of ${taken.length} results stand on a VM that started after they were taken: ${stale.join('; ')}`);
  const apart = all.length - taken.length;
  return `${taken.length} results on ${starts.size} VMs, each taken after its VM started${apart > 0 ? ` (${apart} machine setup steps not judged)` : ''}`;
}

/**
 * What a verdict stands on: the proof's results (here the facts taken for the nonce). The machines' own
 * steps (cloud-init waits, router-setup.sh, node-setup.sh) write persistent settings (/etc/sysctl.d,
 * /etc/modules-load.d, nftables.service, fstab) that a boot keeps, so a reboot does not run them again;
 * everything the program renews after a boot has the machines' token in its inputs (machines.ts).
 */
const standsForVerdict = (r: VmResult) => r.name.startsWith('proof-');

/** Every file under `dir`, its path relative to `base` (the directory the search started in). */
function readTree(dir: string, base = dir): StateFile[] {
  const files: StateFile[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...readTree(p, base));
    else if (e.isFile()) files.push({ path: path.relative(base, p), content: fs.readFileSync(p) });
  }
  return files;
}

async function stackOutputs(c: Ctx, showSecrets: boolean): Promise<Record<string, unknown>> {
  const args = ['stack', 'output', '--json', '--stack', STACK, ...(showSecrets ? ['--show-secrets'] : [])];
  const r = await runCli(c.cli, args, c.vars, c.workDir);
  if (r.code !== 0) fail(`pulumi ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0]}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function summary(changes: Record<string, number> | undefined): string {
  return Object.entries(changes ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** Pulumi's output, streamed with a prefix on each line so the checks stay readable. */
let atLineStart = true;
function pulumiOut(s: string): void {
  let out = '';
  for (const ch of s) {
    if (atLineStart && ch !== '\n') out += '  | ';
    out += ch;
    atLineStart = ch === '\n';
  }
  process.stdout.write(out);
}

async function main(): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-suite-'));
  const workDir = path.join(tmp, 'project');
  const stateDir = path.join(tmp, 'state');
  const imagesDir = path.join(tmp, 'images');
  fs.mkdirSync(workDir);
  fs.mkdirSync(stateDir);
  const scriptFile = path.join(REPO_ROOT, EDITED_SCRIPT);
  const scriptText = fs.readFileSync(scriptFile, 'utf8');
  const restoreScript = () => {
    if (fs.readFileSync(scriptFile, 'utf8') !== scriptText) fs.writeFileSync(scriptFile, scriptText);
  };
  let ctx: Ctx | undefined;
  let lab: Lab | undefined;
  let guardBridge: string | undefined;
  let created = false;
  const onSignal = (sig: NodeJS.Signals) => {
    restoreScript();
    say(`engine suite: ${sig}: ${EDITED_SCRIPT} restored; libvirt objects named cil-${STACK}- may remain (scripts/test-engine.sh clears them on the next run)`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // --- the engine: CLI and plugins --------------------------------------------------------------
    const env = { ...process.env, PULUMI_BACKEND_URL: `file://${stateDir}`, PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString('hex') };
    const le = labEnvironment(env, REPO_ROOT, { noPluginDownload: true });
    const cli = await ensurePulumiCli(io, REPO_ROOT, undefined, env);
    const required = requiredPlugins(REPO_ROOT, PLUGINS);
    const statuses = await pluginStatuses(cli.command, le.vars, workDir, required);
    const missing = missingPluginLines(statuses);
    if (missing.length > 0) {
      say(`engine suite: ${missing.length} of the plugins it needs ${missing.length === 1 ? 'is' : 'are'} not installed in ${pulumiHomeOf(le.vars)} (the suite never downloads plugins):`);
      for (const l of missing) say(`  ${l}`);
      return 3;
    }
    const versions = [
      `pulumi CLI ${cli.command}: ${cli.version?.format() ?? '?'}`,
      ...statuses.map((s) => `plugin ${s.spec.name} ${s.found === 'path' ? `from PATH ${s.path}` : `${s.found === 'cache' ? s.version : '?'} in ${pulumiHomeOf(le.vars)}`} (the program asks for ${s.spec.version})`),
    ];
    for (const v of versions) say(`engine suite: ${v}`);

    // --- the guest image and the stack's project ----------------------------------------------------
    const built = await timings.time('image', () => mustRun('build-image.sh', ['bash', 'scripts/vm-test/build-image.sh'], { streamStderr: true, timeoutMs: 1_800_000 }), (r) => (/cache hit/.test(r.stderr) ? 'cache hit' : 'built'));
    const imagePath = built.stdout.trim().split('\n').pop() as string;
    const image = { path: imagePath, sha256: fs.readFileSync(`${imagePath}.sha256`, 'utf8').split(/\s+/)[0] };
    let domainType = process.env.ENGINE_TEST_DOMAIN_TYPE as 'kvm' | 'qemu' | undefined;
    if (domainType !== 'kvm' && domainType !== 'qemu') {
      const dir = path.dirname(imagePath);
      const probe = await timings.time('kvm probe', () => run(['bash', 'scripts/vm-test/kvm-probe.sh'], { env: { PROBE_KERNEL: path.join(dir, 'vmlinuz'), PROBE_INITRD: path.join(dir, 'initrd.img'), PROBE_NAME: `cil-${STACK}-kvmprobe` }, timeoutMs: 180_000 }));
      domainType = probe.code === 0 ? 'kvm' : 'qemu';
    }
    const settings = { ...vmTestSettings(image, domainType, imagesDir), ...SUBNETS, ipsecKeyId: String(KEY_ID) };
    // The project directory: the repository's own Pulumi.yaml, this stack's file, and what the program's
    // host commands run (`bash scripts/host/...` from the project directory) and the CLI checks (main).
    fs.copyFileSync(path.join(REPO_ROOT, 'Pulumi.yaml'), path.join(workDir, 'Pulumi.yaml'));
    fs.symlinkSync(path.join(REPO_ROOT, 'scripts'), path.join(workDir, 'scripts'));
    fs.symlinkSync(path.join(REPO_ROOT, 'index.ts'), path.join(workDir, 'index.ts'));
    fs.writeFileSync(path.join(workDir, `Pulumi.${STACK}.yaml`), YAML.stringify({ config: Object.fromEntries(Object.entries(settings).map(([k, v]) => [`lab:${k}`, v])) }));
    lab = new Lab(parseLabConfig(settings, STACK), { privateKey: 'unused', publicKey: 'unused', keyFile: '' });
    const stale = await lab.leftovers();
    if (stale.length > 0) {
      say(`engine suite: clearing leftovers of an earlier run: ${stale.join(', ')}`);
      await lab.deleteAll();
    }
    say(`engine suite: stack ${STACK}, project ${workDir}, state ${stateDir}, image ${imagePath}, domain type ${domainType}, prefix ${lab.plan.prefix}`);

    const stack = await openStack(STACK, io, 'create', { plugins: true, noPluginDownload: true, required, source: { workDir, program: async () => vmHalfProgram() } }, env, REPO_ROOT);
    const c: Ctx = { stack, lab, cli: cli.command, vars: le.vars, workDir, stateDir };
    ctx = c;
    const L = lab;

    // --- up, outputs, preview, a second up ------------------------------------------------------------
    created = true;
    const uplink = L.plan.networks.uplink.bridge;
    let upDone = false;
    const guard = (async () => {
      // The guests need no internet (their image is complete): keep the NAT uplink from forwarding.
      while (!upDone && !fs.existsSync(`/sys/class/net/${uplink}`)) await sleep(1000);
      if (fs.existsSync(`/sys/class/net/${uplink}`)) {
        await addEgressGuard(uplink);
        guardBridge = uplink;
      }
    })();
    let first: Awaited<ReturnType<Stack['up']>> | undefined;
    const upOk = await check('up creates everything', async () => {
      let retried = '';
      try {
        first = await timings.time('up (create)', () => failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })));
      } catch (e) {
        // Under emulation on a loaded host a VM may boot past the lab's bounded SSH dial; a user runs
        // `up` again, and so does the suite, once, saying why.
        const why = errorLines(e);
        if (!/failed attempts: dial|timed out|timeout/i.test(why)) throw e;
        say(`      the first up failed on a bounded wait (${why}); running up again`);
        retried = ` after one retry (first up: ${why})`;
        first = await timings.time('up (create, retry)', () => failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })));
      }
      upDone = true;
      const rc = first.summary.resourceChanges ?? {};
      const state = await exportState(c);
      // The engine's summary counts the stack and every resource, not the default providers.
      const live = state.filter((r) => !r.delete && !r.type.startsWith('pulumi:providers:'));
      if (first.summary.result !== 'succeeded') fail(`result ${first.summary.result}`);
      if (!retried && (Object.keys(rc).some((k) => k !== 'create') || (rc.create ?? 0) !== live.length)) fail(`changes ${summary(rc)} for ${live.length} resources in the state (the stack included)`);
      return `${summary(rc)} (the stack and ${live.length - 1} resources)${retried}`;
    });
    upDone = true;
    await guard;

    if (upOk && first) {
      const o = first.outputs;
      await check('outputs as documented (router, libvirt, nodes, kubeconfig secret) and libvirt holds what they name', async () => {
        const v = (k: string) => o[k]?.value as Record<string, unknown>;
        const want = {
          router: { domain: L.router.domain, uplinkIp: L.router.ip, captureInterface: 'seg2' },
          libvirt: { uri: L.uri, pool: L.plan.pool.name, networks: Object.values(L.plan.networks).map((n) => n.name), domains: L.vms.map((x) => x.domain) },
        };
        const r = v('router');
        if (r.domain !== want.router.domain || r.uplinkIp !== want.router.uplinkIp || r.captureInterface !== want.router.captureInterface) fail(`router ${JSON.stringify(r)}`);
        const ifs = (r.interfaces as { name: string; network: string }[]).map((i) => `${i.name}:${i.network}`);
        const wantIfs = L.router.interfaces.map((i) => `${i.name}:${L.plan.networks[i.network].name}`);
        if (JSON.stringify(ifs) !== JSON.stringify(wantIfs)) fail(`router interfaces ${ifs} (expected ${wantIfs})`);
        // The state keeps an output object's keys sorted: compare values, not key order.
        if (!isDeepStrictEqual(v('libvirt'), want.libvirt)) fail(`libvirt ${JSON.stringify(v('libvirt'))} (expected ${JSON.stringify(want.libvirt)})`);
        if (!o.kubeconfig?.secret || !o.secretValues?.secret) fail('kubeconfig or secretValues is not a secret output');
        const nodes = o.nodes?.value as { name: string; ip: string; hostname: string; addrs: string[] }[];
        for (const w of L.workers) {
          const n = nodes.find((x) => x.name === w.hostname);
          if (!n || n.hostname !== w.hostname || !n.addrs.some((a) => a.startsWith(`${w.ip}/`))) fail(`nodes output for ${w.hostname}: ${JSON.stringify(n)} (facts taken on the VM: hostname ${w.hostname}, address ${w.ip})`);
        }
        const states = await Promise.all(L.vms.map(async (x) => (await run(['virsh', '-q', '-c', L.uri, 'domstate', x.domain])).stdout.trim()));
        if (states.some((s) => s !== 'running')) fail(`domain states ${states}`);
        for (const n of Object.values(L.plan.networks)) {
          if (!fs.existsSync(`/sys/class/net/${n.bridge}`)) fail(`bridge ${n.bridge} of network ${n.name} is missing`);
        }
        const vols = (await mustRun('vol-list', ['virsh', '-q', '-c', L.uri, 'vol-list', '--pool', L.plan.pool.name])).stdout;
        for (const name of [L.plan.baseVolume, ...L.vms.flatMap((x) => [x.diskVolume, x.seedVolume])]) if (!vols.includes(name)) fail(`volume ${name} missing from pool ${L.plan.pool.name}`);
        return `${L.vms.length} domains running, ${Object.keys(L.plan.networks).length} networks with their bridges, pool with ${1 + 2 * L.vms.length} volumes; facts from ${L.workers.map((w) => w.hostname).join(', ')}`;
      });

      await check('preview --expect-no-changes right after up passes', async () => {
        const p = await timings.time('preview (no changes)', () => stack.preview({ expectNoChanges: true, onOutput: pulumiOut, color: 'never' }));
        const ops = Object.keys(p.changeSummary).filter((k) => k !== 'same');
        if (ops.length > 0) fail(`preview plans ${summary(p.changeSummary)}`);
        return summary(p.changeSummary);
      });

      await check('a second up changes nothing', async () => {
        const before = await exportState(c);
        const r = await timings.time('up (no changes)', () => failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })));
        const ch = stateChanges(before, await exportState(c));
        const ops = Object.keys(r.summary.resourceChanges ?? {}).filter((k) => k !== 'same');
        if (ops.length > 0 || !noChanges(ch)) fail(`${summary(r.summary.resourceChanges)}; state: ${describeChanges(ch)}`);
        return summary(r.summary.resourceChanges);
      });

      // --- secrets ----------------------------------------------------------------------------------
      let shown: Record<string, unknown> | undefined;
      await check('stack output hides the secret outputs; --show-secrets shows them', async () => {
        const hidden = await stackOutputs(c, false);
        for (const k of ['kubeconfig', 'secretValues']) if (hidden[k] !== '[secret]') fail(`stack output --json shows ${k}: ${JSON.stringify(hidden[k]).slice(0, 40)}...`);
        shown = await stackOutputs(c, true);
        const s = shown.secretValues as Record<string, string>;
        if (!/^-----BEGIN OPENSSH PRIVATE KEY-----\n/.test(s.sshPrivateKey ?? '')) fail('--show-secrets: no OpenSSH private key in secretValues.sshPrivateKey');
        for (const k of ['caKeyPem', 'adminKeyPem']) if (!/^-----BEGIN (RSA )?PRIVATE KEY-----\n/.test(s[k] ?? '')) fail(`--show-secrets: secretValues.${k} is not a PEM private key`);
        if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(s.bootstrapToken ?? '')) fail('--show-secrets: secretValues.bootstrapToken is not a bootstrap token');
        if (!new RegExp(`^${KEY_ID}\\+ rfc4106\\(gcm\\(aes\\)\\) [0-9a-f]{40} 128$`).test(s.ipsecKey ?? '')) fail('--show-secrets: secretValues.ipsecKey is not a Cilium key value');
        if (!/^apiVersion: v1\n/.test(String(shown.kubeconfig)) || !/client-key-data: /.test(String(shown.kubeconfig))) fail('--show-secrets: kubeconfig is not an admin kubeconfig');
        return 'kubeconfig and secretValues are [secret]; with --show-secrets: SSH key, CA key, admin key, bootstrap token, IPsec key, kubeconfig';
      });

      await check('no secret in plain text in any file of the state backend', async () => {
        if (!shown) fail('no secret values to look for (stack output --show-secrets failed)');
        const s = shown.secretValues as Record<string, string>;
        const probes = [
          pemProbe('SSH private key', s.sshPrivateKey),
          pemProbe('CA key', s.caKeyPem),
          pemProbe('admin key', s.adminKeyPem),
          tokenProbe('bootstrap token', s.bootstrapToken),
          ipsecProbe('IPsec key', s.ipsecKey),
        ];
        const files = readTree(stateDir);
        const stateFile = files.find((f) => /stacks\/.*engine\.json(\.gz)?$/.test(f.path));
        if (!stateFile) fail(`no state file for stack ${STACK} under ${stateDir}: ${files.map((f) => f.path).join(', ')}`);
        // The probes work: each finds its secret in a file that holds it in plain text.
        const control = secretsInFiles([{ path: 'control', content: Buffer.from(JSON.stringify(s)) }], probes);
        if (control.length !== probes.length) fail(`a probe does not find its own secret: ${control.join('; ')}`);
        const hits = secretsInFiles(files, probes);
        if (hits.length > 0) fail(`in plain text: ${hits.join('; ')}`);
        return `${probes.length} secrets, none in ${files.length} files (${files.map((f) => f.path).join(', ')})`;
      });

      // --- refused changes ----------------------------------------------------------------------------
      await check('a bad config value fails preview and up before anything changes', async () => {
        const before = await exportState(c);
        await stack.setConfig('lab:ipsecKeyId', { value: '16' });
        try {
          const said = (e: unknown) => lineWith(e, /lab:ipsecKeyId = "16"/) ?? `not the config error: ${errorLines(e)}`;
          const p = await stack.preview({ color: 'never' }).then(() => undefined, said);
          if (p === undefined || !/lab:ipsecKeyId = "16"/.test(p)) fail(`preview: ${p ?? 'passed'} (expected the config error naming lab:ipsecKeyId and 16)`);
          const u = await stack.up({ color: 'never' }).then(() => undefined, said);
          if (u === undefined || !/lab:ipsecKeyId = "16"/.test(u)) fail(`up: ${u ?? 'passed with lab:ipsecKeyId 16'}`);
          const ch = stateChanges(before, await exportState(c));
          if (!noChanges(ch)) fail(`the failed up changed the state: ${describeChanges(ch)}`);
          return `preview and up refused: ${u}`;
        } finally {
          await stack.setConfig('lab:ipsecKeyId', { value: String(KEY_ID) });
        }
      });

      await check(`a refused key rotation (${KEY_ID} -> ${KEY_ID + 2}) fails up before anything is replaced, as preview shows`, async () => {
        const before = await exportState(c);
        await stack.setConfig('lab:ipsecKeyId', { value: String(KEY_ID + 2) });
        let planned: string;
        let u: string | undefined;
        try {
          const p = await timings.time('preview (refused rotation)', () => stack.preview({ color: 'never' }));
          planned = summary(p.changeSummary);
          u = await timings.time('up (refused rotation)', () =>
            failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })).then(() => undefined, (e: unknown) => lineWith(e, /takes the next key id/) ?? errorLines(e)),
          );
        } finally {
          await stack.setConfig('lab:ipsecKeyId', { value: String(KEY_ID) });
        }
        if (u === undefined) fail(`up passed a rotation ${KEY_ID} -> ${KEY_ID + 2}`);
        if (!new RegExp(`takes the next key id, ${KEY_ID + 1}`).test(u)) fail(`up failed, but not with the key record's refusal: ${u}`);
        u = u.replace(/^.*?(lab:ipsecKeyId)/, '$1');
        const ch = stateChanges(before, await exportState(c));
        if (!noChanges(ch)) fail(`preview planned ${planned}; the refused up changed: ${describeChanges(ch)}`);
        return `preview planned ${planned}; up refused (${u}); nothing changed`;
      });
      await check(`after the refusals, up with lab:ipsecKeyId ${KEY_ID} again converges and preview then expects no changes`, async () => {
        const r = await timings.time('up (restore)', () => failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })));
        await stack.preview({ expectNoChanges: true, color: 'never' });
        return summary(r.summary.resourceChanges);
      });

      // --- a comment edited in a VM script ----------------------------------------------------------
      await check(`a comment edited in ${EDITED_SCRIPT}: preview says what it costs, and after up no result of an old VM stands under a new one`, async () => {
        const lines = scriptText.split('\n');
        lines.splice(1, 0, `# engine suite: a comment edit (${new Date().toISOString()})`);
        fs.writeFileSync(scriptFile, lines.join('\n'));
        const p = await timings.time('preview (comment edit)', () => stack.preview({ color: 'never', diff: true }));
        const plan = summary(p.changeSummary);
        say(`      preview after the comment edit: ${plan}`);
        const r = await timings.time('up (comment edit)', () => failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })));
        return `preview ${plan}; up ${summary(r.summary.resourceChanges)}; ${await assertNoStaleResults(c)}`;
      });

      // --- a host reboot ----------------------------------------------------------------------------------
      const rebooted = await check('a host reboot (domains, networks and pool stopped behind Pulumi\'s back, libvirtd restarted): libvirt autostart brings the domains back', async () => {
        if (process.env.ENGINE_TEST_LIBVIRTD_STARTED !== '1') fail('libvirtd was not started by this suite (scripts/test-engine.sh): restarting it would end a process another user started');
        await timings.time('reboot (simulated)', () => simulateReboot(L));
        const t0 = Date.now();
        let states: string[] = [];
        while (Date.now() - t0 < AUTOSTART_BOUND_SECONDS * 1000) {
          states = await Promise.all(L.vms.map(async (x) => (await run(['virsh', '-q', '-c', L.uri, 'domstate', x.domain])).stdout.trim()));
          if (states.every((s) => s === 'running')) break;
          await sleep(3000);
        }
        if (!states.every((s) => s === 'running')) fail(`after ${AUTOSTART_BOUND_SECONDS}s: ${L.vms.map((x, i) => `${x.domain} ${states[i] || 'unknown'}`).join(', ')}`);
        const nets = await Promise.all(Object.values(L.plan.networks).map(async (n) => (await run(['virsh', '-q', '-c', L.uri, 'net-info', n.name])).stdout));
        if (nets.some((t) => !/^Active:\s+yes$/m.test(t))) fail('a network did not come back');
        return `all ${L.vms.length} domains running ${((Date.now() - t0) / 1000).toFixed(0)}s after libvirtd started`;
      });
      await check("up after the reboot re-exports no result taken before it (the proof's results; the machines' setup persists)", async () => {
        if (!rebooted) say('      (the domains did not come back by themselves)');
        const r = await timings.time('up (after reboot)', () => failFast((signal) => stack.up({ onOutput: pulumiOut, color: 'never', signal })).then((x) => x, (e: unknown) => fail(`up failed: ${errorLines(e)}`)));
        return `up ${summary(r.summary.resourceChanges)}; ${await assertNoStaleResults(c, standsForVerdict)}`;
      });
    }

    // --- down -------------------------------------------------------------------------------------------
    await check(`down finishes within ${DOWN_BOUND_SECONDS}s`, async () => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), DOWN_BOUND_SECONDS * 1000);
      const t0 = Date.now();
      try {
        const r = await timings.time('down', () => stack.destroy({ onOutput: pulumiOut, color: 'never', signal: abort.signal }));
        created = false;
        return `${summary(r.summary.resourceChanges)} in ${((Date.now() - t0) / 1000).toFixed(0)}s`;
      } catch (e) {
        fail(abort.signal.aborted ? `still running after ${DOWN_BOUND_SECONDS}s (interrupted)` : `down failed: ${errorLines(e)}`);
      } finally {
        clearTimeout(timer);
      }
    });
    await check(`down leaves nothing named ${L.plan.prefix} (domain, network, pool, volume, bridge, pool directory)`, async () => {
      const left = await L.leftovers();
      if (left.length > 0) fail(left.join(', '));
      return 'nothing left';
    });

    const passed = results.filter((r) => r.ok).length;
    const failedN = results.length - passed;
    say(`\nengine suite: ${passed} passed, ${failedN} failed`);
    say(`\nengine suite phase timings:\n${timings.table()}`);
    say(`\nengine suite versions:\n${versions.map((v) => `  ${v}`).join('\n')}`);
    return failedN === 0 ? 0 : 1;
  } catch (e) {
    say(`engine suite: cannot run: ${e instanceof Error ? e.message : String(e)}`);
    if (results.length > 0) say(`engine suite: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed before that`);
    return 2;
  } finally {
    restoreScript();
    if (created && lab) {
      // A phase failed before `down` ran, or `down` failed: the program's delete commands clear libvirt.
      say('engine suite: clearing what the stack created (the program\'s delete commands)');
      try {
        if (ctx) await ctx.stack.destroy({ color: 'never' }).catch(() => lab?.deleteAll());
        else await lab.deleteAll();
      } catch (e) {
        say(`engine suite: cleanup failed: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (guardBridge) await removeEgressGuard(guardBridge);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * What a host reboot does to the lab, short of rebooting this machine: every domain, network and the
 * pool stop (virsh destroy), libvirtd stops and starts again, and its "autostarted" markers are gone
 * (libvirt src/libvirt.c virDriverShouldAutostart: a driver autostarts only when
 * <run dir>/<driver>/autostarted does not exist; /run does not survive a reboot).
 */
async function simulateReboot(lab: Lab): Promise<void> {
  const v = (...a: string[]) => run(['virsh', '-q', '-c', lab.uri, ...a]);
  for (const vm of lab.vms) await v('destroy', vm.domain);
  for (const n of Object.values(lab.plan.networks)) await v('net-destroy', n.name);
  await v('pool-destroy', lab.plan.pool.name);
  const pid = Number(fs.readFileSync('/run/libvirtd.pid', 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await sleep(200);
  if (fs.existsSync(`/proc/${pid}`)) throw new Error(`libvirtd (pid ${pid}) did not stop within 20s`);
  for (const d of ['qemu', 'network', 'storage']) fs.rmSync(`/run/libvirt/${d}/autostarted`, { force: true });
  await mustRun('libvirtd -d', ['libvirtd', '-d']);
  for (let i = 0; i < 120; i++) {
    if ((await run(['virsh', '-q', '-c', lab.uri, 'uri'])).code === 0) return;
    await sleep(500);
  }
  throw new Error('libvirtd does not answer after the restart');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`engine suite: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  },
);
