/**
 * The VM suite (`npm run test:vm`, root): the VM half of the lab, for real, on this machine.
 *
 *   guest image (debootstrap, cached) -> the lab's networks, pool, volumes, seeds and three domains
 *   (router, worker1, worker2) through components/libvirt/commands.ts + scripts/host/*.sh, with the
 *   program's cloud-init and an ed25519 key -> SSH to the router on the uplink, to the workers through
 *   it (components/remote.ts scriptCommandText) -> a kernel fixture on the workers that reproduces
 *   Cilium's wire formats (scripts/vm-test/cilium-wire-fixture.sh: NOT Cilium) -> the project's capture
 *   scripts on the router and traffic script in the client "pod", the pcap fetched as the program
 *   fetches it -> the verifier's verdict -> teardown through the program's delete commands, with no
 *   libvirt object of the lab's prefix left behind.
 *
 * Not covered here (no internet, no images): Kubernetes, Cilium itself, the Helm release, kubeadm.
 *
 * Phases run in order; a phase whose prerequisite failed is reported as pending with the reason.
 * Environment: VM_TEST_DOMAIN_TYPE (set by scripts/test-vm.sh), VM_TEST_KEEP=1 (no teardown).
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Lab, makeKeyPair, vmTestConfig, STACK, DELIBERATE_WARNING_KEY, type NamedCommand } from './helpers/lab';
import { mustRun, onRouter, parseKv, run, runHostCommand, waitFor, sshArgv, REPO_ROOT } from './helpers/run';
import { Timings } from './helpers/timing';
import { addEgressGuard, removeEgressGuard } from './helpers/guard';
import { shellQuote } from '../../components/remote';
import { parseImageFetchOutput } from '../../components/libvirt/commands';
import type { Report } from '../../components/verifier/report';

const FIXTURE = 'scripts/vm-test/cilium-wire-fixture.sh';
const POD_NS = 'labpod';
const HTTP_PORT = '8080';
const PING_COUNT = 10;
const HTTP_REQUESTS = 5;

/** Cilium-like addressing of the fixture (the guide's cilium_host addresses). */
const FIXTURE_NODES = [
  { hostIp: '10.0.1.124', podIp: '10.0.1.50', podCidr: '10.0.1.0/24', index: 1 },
  { hostIp: '10.0.2.104', podIp: '10.0.2.50', podCidr: '10.0.2.0/24', index: 2 },
] as const;

type Layout = 'esp-in-vxlan' | 'vxlan-in-esp';

interface Capture {
  label: string;
  nonce: string;
  pcap: string;
  stop: Record<string, string>;
  traffic: Record<string, string>;
}

const timings = new Timings();
const done = new Set<string>();
const failed = new Map<string, string>();
let lab: Lab | undefined;
let tmp = '';
let image: { path: string; sha256: string; cached: boolean } | undefined;
let created = false;
let guardBridge: string | undefined;
let captureRun = 0;
const summaries: string[] = [];

/** Runs a phase: skipped (pending) with the reason when a prerequisite did not succeed. */
function phase(title: string, id: string, needs: string[], timeoutMs: number, fn: () => Promise<void>): void {
  it(title, async function () {
    this.timeout(timeoutMs);
    const missing = needs.filter((n) => !done.has(n));
    if (missing.length > 0) {
      const why = missing.map((m) => `${m}${failed.has(m) ? ` failed: ${failed.get(m)}` : ' did not run'}`).join('; ');
      console.log(`      pending: needs ${why}`);
      timings.add(id, 0, 'skipped', `needs ${missing.join(', ')}`);
      this.skip();
    }
    try {
      await fn();
      done.add(id);
    } catch (e) {
      failed.set(id, (e as Error).message.split('\n')[0]);
      throw e;
    }
  });
}

function L(): Lab {
  if (!lab) throw new Error('the lab is not configured (image phase failed)');
  return lab;
}

function newNonce(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(12);
  return 'lab-' + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

async function runGroup(group: NamedCommand[], verb: 'create' | 'delete'): Promise<void> {
  await Promise.all(group.map((c) => runHostCommand(c.what, c.cmd, verb)));
}

/** Runs a repository script on a worker (through the router), as the program's remote commands do. */
function onNode(what: string, node: string, script: string, env: Record<string, string>, timeoutMs = 300_000) {
  return onRouter(what, L().routerSsh(), L().scriptText(script, env, node), timeoutMs);
}

function fixtureEnv(i: 0 | 1): Record<string, string> {
  const me = FIXTURE_NODES[i];
  const peer = FIXTURE_NODES[1 - i];
  return {
    NODE_IP: L().workers[i].ip,
    PEER_NODE_IP: L().workers[1 - i].ip,
    HOST_IP: me.hostIp,
    PEER_HOST_IP: peer.hostIp,
    POD_IP: me.podIp,
    POD_CIDR: me.podCidr,
    PEER_POD_CIDR: peer.podCidr,
    NODE_INDEX: String(me.index),
    PEER_NODE_INDEX: String(peer.index),
    POD_HTTP_PORT: HTTP_PORT,
  };
}

async function fixture(action: string, extra: [Record<string, string>, Record<string, string>] = [{}, {}]): Promise<string[]> {
  const lab = L();
  const results = await Promise.all(
    lab.workers.map((w, i) =>
      onNode(`fixture ${action} on ${w.name}`, w.ip, FIXTURE, { ...fixtureEnv(i as 0 | 1), ...extra[i], FIXTURE_ACTION: action }),
    ),
  );
  return results.map((r) => r.stdout.trim());
}

/** The project's traffic.sh, unchanged, run inside the client pod's namespace on worker1. */
function trafficText(nonce: string): string {
  const traffic = fs.readFileSync(path.join(REPO_ROOT, 'scripts/vm/traffic.sh'), 'utf8');
  const wrapper = `exec ip netns exec ${POD_NS} bash -c ${shellQuote(traffic)} traffic.sh`;
  return L().inlineText(
    wrapper,
    {
      TARGET_IP: FIXTURE_NODES[1].podIp,
      NONCE: nonce,
      PING_COUNT: String(PING_COUNT),
      HTTP_REQUESTS: String(HTTP_REQUESTS),
      HTTP_PORT,
    },
    L().workers[0].ip,
  );
}

/** start -> traffic -> stop -> fetch, with D's scripts and the program's file naming and fetch environment. */
async function capture(label: string, iface: string): Promise<Capture> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const proof = require('../../components/proof/capture') as typeof import('../../components/proof/capture');
  const lab = L();
  const ssh = lab.routerSsh();
  const nonce = newNonce();
  captureRun += 1;
  const file = proof.routerCaptureFile(STACK, captureRun, nonce);
  const startEnv = {
    CAPTURE_INTERFACE: iface,
    CAPTURE_FILE: file,
    CAPTURE_MAX_PACKETS: String(proof.CAPTURE_MAX_PACKETS),
    CAPTURE_MAX_SECONDS: String(proof.CAPTURE_MAX_SECONDS),
  };
  await onRouter(`capture-start (${label})`, ssh, lab.scriptText('scripts/vm/capture-start.sh', startEnv));
  const stopText = lab.scriptText('scripts/vm/capture-stop.sh', { CAPTURE_FILE: file });
  let traffic: Record<string, string>;
  try {
    traffic = parseKv((await onRouter(`traffic (${label})`, ssh, trafficText(nonce))).stdout);
  } catch (e) {
    await run(sshArgv(ssh, stopText)); // never leave tcpdump running on a failed traffic step
    throw e;
  }
  const stopped = await onRouter(`capture-stop (${label})`, ssh, stopText);
  const local = path.join(REPO_ROOT, 'captures', STACK, `${label}.pcap`);
  const env = proof.fetchEnvironment(
    { host: ssh.host, port: ssh.port, user: ssh.user, privateKey: lab.keys.privateKey },
    file,
    local,
  );
  const fetchCmd = `bash ${JSON.stringify(path.join(REPO_ROOT, 'scripts/vm/capture-fetch.sh'))}`;
  const fetched = parseKv((await mustRun(`capture-fetch (${label})`, ['/bin/sh', '-c', fetchCmd], { env, cwd: REPO_ROOT })).stdout);
  assert.equal(fetched.local, local);
  await onRouter(`capture-clean (${label})`, ssh, lab.scriptText('scripts/vm/capture-clean.sh', { CAPTURE_FILE: file }));
  return { label, nonce, pcap: local, stop: parseKv(stopped.stdout), traffic };
}

async function verify(c: Capture, opts: Record<string, unknown>): Promise<Report> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const verifier = require('../../components/verifier') as typeof import('../../components/verifier');
  const report = await verifier.verifyCapture(c.pcap, {
    nonce: c.nonce,
    pods: [FIXTURE_NODES[0].podIp, FIXTURE_NODES[1].podIp],
    ...opts,
  });
  const line =
    `${c.label}${opts.xfrmFiles ? ' +keys' : ''}: verdict ${report.verdict}, frames ${report.frames}, ` +
    `link types ${report.capture.linkTypes.join('/')}, ESP ${report.esp.packets} SPIs [${report.esp.spis}], ` +
    `cleartext pod packets ${report.cleartext.podPackets}, nonce hits ${report.nonce?.hits ?? '-'}` +
    (report.decryption ? `, decrypted ok ${report.decryption.ok} failed ${report.decryption.failed}, nonce inside ${report.nonce?.decryptedHits ?? '-'}` : '') +
    `; tcpdump captured ${c.stop.captured ?? '?'} dropped ${c.stop.dropped ?? '?'}; ping ${c.traffic.ping_received ?? '?'}/${c.traffic.ping_transmitted ?? '?'}, http ${c.traffic.http_answered ?? '?'}/${c.traffic.http_total ?? '?'}`;
  summaries.push(line);
  console.log(`      ${line}`);
  return report;
}

function assertTrafficFlowed(c: Capture): void {
  assert.ok(Number(c.traffic.ping_received) > 0, `no ping reply in ${c.label}: ${JSON.stringify(c.traffic)}`);
  assert.ok(Number(c.traffic.http_answered) > 0, `no HTTP answer in ${c.label}: ${JSON.stringify(c.traffic)}`);
  assert.equal(c.stop.dropped, '0', `tcpdump dropped packets in ${c.label}: ${JSON.stringify(c.stop)}`);
}

/** `rest` is the layer path after the link layer, e.g. "ipv4/esp"; `any` = Linux cooked capture. */
function assertEncrypted(r: Report, spi: number, endpoints: string[], rest: string, any: boolean): void {
  const paths = any ? [`sll2/${rest}`, `sll/${rest}`] : [`eth/${rest}`];
  const why = `reasons: ${r.reasons.join(' | ')}; failures: ${r.expectationFailures.join(' | ')}`;
  assert.equal(r.verdict, 'encrypted', why);
  assert.ok(r.meetsExpectation, why);
  assert.deepEqual(r.esp.spis, [spi]);
  assert.ok(r.esp.packets >= 2 * PING_COUNT, `only ${r.esp.packets} ESP packets`);
  for (const f of r.esp.flows) {
    assert.ok(endpoints.includes(f.src) && endpoints.includes(f.dst), `ESP flow ${f.src} -> ${f.dst} outside ${endpoints}`);
    assert.ok(f.paths.some((p) => paths.includes(p)), `ESP flow ${f.src} -> ${f.dst} paths ${f.paths} lack ${paths}`);
  }
  assert.equal(r.cleartext.podPackets, 0);
  assert.equal(r.nonce?.hits, 0);
}

function assertDecrypted(r: Report): void {
  assert.ok(r.decryption, 'no decryption section with keys');
  assert.ok(r.decryption.ok > 0, `nothing decrypted: ${JSON.stringify(r.decryption)}`);
  assert.equal(r.decryption.failed, 0, `decryption failures: ${JSON.stringify(r.decryption)}`);
  assert.equal(r.decryption.noKey, 0, `ESP without a key: ${JSON.stringify(r.decryption)}`);
  assert.ok((r.nonce?.decryptedHits ?? 0) > 0, `the nonce was not found inside the decrypted ESP: ${JSON.stringify(r.nonce)}`);
  assert.ok(r.decryption.inner.podPackets > 0, 'no pod packet inside the decrypted ESP');
}

/** Reads both workers' root `ip xfrm state` with D's facts-xfrm.sh into files for --xfrm. */
async function readXfrm(label: string): Promise<string[]> {
  const lab = L();
  return Promise.all(
    lab.workers.map(async (w) => {
      const r = await onNode(`facts-xfrm on ${w.name}`, w.ip, 'scripts/vm/facts-xfrm.sh', {});
      const file = path.join(tmp, `${label}-${w.name}.xfrm`);
      fs.writeFileSync(file, r.stdout, { mode: 0o600 });
      return file;
    }),
  );
}

/** XFRM error counters (D's facts.sh) on both workers. */
async function xfrmCounters(): Promise<Record<string, string>[]> {
  const lab = L();
  return Promise.all(
    lab.workers.map(async (w) => {
      const kv = parseKv((await onNode(`facts on ${w.name}`, w.ip, 'scripts/vm/facts.sh', { PHASE: 'vm-suite' })).stdout);
      return Object.fromEntries(Object.entries(kv).filter(([k]) => k.startsWith('xfrm_stat.')));
    }),
  );
}

async function layoutPhase(layout: Layout, iface: string, label: string): Promise<void> {
  const lab = L();
  const spi = lab.cfg.ipsecKeyId;
  const k12 = crypto.randomBytes(20).toString('hex');
  const k21 = crypto.randomBytes(20).toString('hex');
  await fixture('xfrm', [
    { XFRM_LAYOUT: layout, XFRM_SPI: String(spi), XFRM_KEY_OUT: k12, XFRM_KEY_IN: k21 },
    { XFRM_LAYOUT: layout, XFRM_SPI: String(spi), XFRM_KEY_OUT: k21, XFRM_KEY_IN: k12 },
  ]);
  const before = await xfrmCounters();
  const c = await capture(label, iface);
  const after = await xfrmCounters();
  assertTrafficFlowed(c);
  const endpoints =
    layout === 'esp-in-vxlan' ? FIXTURE_NODES.map((n) => n.hostIp as string) : lab.workers.map((w) => w.ip);
  const rest = layout === 'esp-in-vxlan' ? 'ipv4/udp/vxlan/eth/ipv4/esp' : 'ipv4/esp';
  const any = iface === 'any';

  const r = await verify(c, { spi, endpoints, expect: 'encrypted' });
  assertEncrypted(r, spi, endpoints, rest, any);

  const xfrmFiles = await readXfrm(label);
  const text = xfrmFiles.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  assert.ok(text.includes(k12) && text.includes(k21), 'the workers\' xfrm state does not hold the fixture keys');
  const rk = await verify(c, { spi, endpoints, expect: 'encrypted', xfrmFiles });
  assertEncrypted(rk, spi, endpoints, rest, any);
  assertDecrypted(rk);
  for (let i = 0; i < 2; i++) {
    for (const [k, v] of Object.entries(after[i])) {
      assert.equal(v, before[i][k], `${lab.workers[i].name}: ${k} grew from ${before[i][k]} to ${v} during the traffic`);
    }
  }
  if (any) {
    // Linux cooked capture: SLL (113) or SLL2 (276), each forwarded packet seen twice (in and out).
    assert.ok(r.capture.linkTypes.some((t) => t === 276 || t === 113), `link types ${r.capture.linkTypes}`);
  } else {
    assert.deepEqual(r.capture.linkTypes, [1]);
  }
}

describe('VM suite: the lab\'s VM half on real libvirt VMs (router, worker1, worker2)', function () {
  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vm-suite-'));
    const install = process.env.VM_TEST_INSTALL_SECONDS;
    if (install !== undefined) timings.add('install (scripts/test-vm.sh)', Number(install) * 1000, 'ok');
  });

  phase('builds the Debian guest image with debootstrap, or reuses the cached one', 'image', [], 1_200_000, async () => {
    const out = await timings.time(
      'image',
      () => mustRun('build-image.sh', ['bash', 'scripts/vm-test/build-image.sh'], { streamStderr: true, timeoutMs: 1_200_000 }),
      (r) => (/cache hit/.test(r.stderr) ? 'cache hit' : 'built'),
    );
    const p = out.stdout.trim().split('\n').pop() as string;
    const sha = fs.readFileSync(`${p}.sha256`, 'utf8').split(/\s+/)[0];
    image = { path: p, sha256: sha, cached: /cache hit/.test(out.stderr) };
    // Older recipes' images are dead weight (about 0.7 GB each): keep only the current key.
    const cacheRoot = path.dirname(path.dirname(p));
    for (const key of fs.readdirSync(cacheRoot)) {
      if (key !== path.basename(path.dirname(p)) && /^[0-9a-f]{16}$/.test(key)) fs.rmSync(path.join(cacheRoot, key), { recursive: true, force: true });
    }
    let domainType = process.env.VM_TEST_DOMAIN_TYPE as 'kvm' | 'qemu' | undefined;
    if (domainType !== 'kvm' && domainType !== 'qemu') {
      // Boots the image's own kernel in a libvirt kvm domain, as the lab's domains will run.
      const dir = path.dirname(p);
      const probe = await timings.time(
        'kvm probe',
        () => run(['bash', 'scripts/vm-test/kvm-probe.sh'], { env: { PROBE_KERNEL: path.join(dir, 'vmlinuz'), PROBE_INITRD: path.join(dir, 'initrd.img') }, timeoutMs: 180_000 }),
        (r) => (r.code === 0 ? 'kvm' : 'qemu'),
      );
      for (const line of probe.stderr.trim().split('\n')) console.log(`      ${line}`);
      domainType = probe.code === 0 ? 'kvm' : 'qemu';
    }
    const keys = await makeKeyPair(tmp);
    lab = new Lab(vmTestConfig(image, domainType, path.join(tmp, 'images')), keys);
    console.log(`      image ${p} (${image.cached ? 'cache hit' : 'built'}), domain type ${domainType}, prefix ${lab.plan.prefix}`);
  });

  phase('creates networks, pool, base volume, overlays, seeds and domains through the lab\'s host commands', 'define', ['image'], 900_000, async () => {
    const l = L();
    await timings.time('define+boot', async () => {
      // A previous run that was killed may have left objects: the program's deletes clear them.
      const stale = await l.leftovers();
      if (stale.length > 0) {
        console.log(`      clearing leftovers of an earlier run: ${stale.join(', ')}`);
        await l.deleteAll();
      }
      created = true;
      await runGroup([l.pool()], 'create');
      await runGroup(l.networks(), 'create');
      guardBridge = l.plan.networks.uplink.bridge;
      await addEgressGuard(guardBridge);
      const fetched = parseImageFetchOutput((await runHostCommand('image fetch', l.imageFetch().cmd, 'create')).stdout);
      assert.equal(fetched.sha256, image?.sha256);
      l.base = { file: fetched.path, format: fetched.format };
      await runGroup([l.baseVolume(fetched.path, fetched.format)], 'create');
      // All at once, as the Pulumi engine creates them: volume.sh must wait out libvirt's refusal to
      // refresh a pool while another upload into it runs ("pool has asynchronous jobs running").
      await runGroup(l.vms.flatMap((vm) => [l.overlay(vm, fetched.format), l.seed(vm)]), 'create');
      await runGroup(l.vms.map((vm) => l.domain(vm)), 'create');
    });
    const states = await Promise.all(l.vms.map(async (vm) => (await mustRun('domstate', ['virsh', '-q', '-c', l.uri, 'domstate', vm.domain])).stdout.trim()));
    assert.deepEqual(states, ['running', 'running', 'running']);
    const xml = (await mustRun('dumpxml', ['virsh', '-q', '-c', l.uri, 'dumpxml', l.router.domain])).stdout;
    assert.match(xml, new RegExp(`<domain type='${l.cfg.domainType}'`));
  });

  phase('reaches the router over SSH on the uplink and cloud-init finishes there', 'router', ['define'], 900_000, async () => {
    const l = L();
    const ssh = l.routerSsh();
    await timings.time('ssh router', async () => {
      await waitFor(`SSH on the router ${ssh.host}`, 600_000, 5_000, async () => {
        const r = await run(sshArgv(ssh, 'true'), { timeoutMs: 30_000 });
        return r.code === 0 || r.stderr.trim().split('\n').pop() || `exit ${r.code}`;
      });
      await onRouter('cloud-init-wait on the router', ssh, l.scriptText('scripts/vm/cloud-init-wait.sh', { TIMEOUT_SECONDS: '600' }), 660_000);
    });
    const links = (await onRouter('ip link on the router', ssh, 'ip -br link')).stdout;
    for (const ifname of ['uplink', 'seg1', 'seg2']) assert.match(links, new RegExp(`^${ifname}\\s+UP`, 'm'), links);
    const fwd = (await onRouter('ip_forward on the router', ssh, 'cat /proc/sys/net/ipv4/ip_forward')).stdout.trim();
    assert.equal(fwd, '1', 'router-setup did not turn forwarding on');
  });

  phase('reaches worker1 and worker2 through the router (the program\'s remote command text)', 'workers', ['router'], 900_000, async () => {
    const l = L();
    const ssh = l.routerSsh();
    const warned = l.warnedWorker;
    const plain = l.workers.filter((w) => w.name !== warned.name);
    await timings.time('ssh workers', async () => {
      // As the program's cluster component does: scripts/vm/node-wait.sh on the router, per node.
      await Promise.all(
        plain.map((w) =>
          onRouter(`node-wait for ${w.name}`, ssh, l.scriptText('scripts/vm/node-wait.sh', { NODE_IP: w.ip, TIMEOUT_SECONDS: '600' }), 660_000),
        ),
      );
    });
    // Routed between the segments by the router (worker1 on seg1, worker2 on seg2).
    await waitFor(`SSH from the router to ${warned.name}`, 600_000, 5_000, async () => {
      const r = await run(sshArgv(ssh, l.inlineText('true', {}, warned.ip)), { timeoutMs: 60_000 });
      return r.code === 0 || `exit ${r.code}`;
    });
    const ping = await onRouter('worker1 -> worker2 ping', ssh, l.inlineText(`ping -n -c 2 -W 3 ${l.workers[1].ip}`, {}, l.workers[0].ip));
    assert.match(ping.stdout, / 0% packet loss/);
  });

  phase(`a worker whose cloud-init finished with a recoverable warning (${DELIBERATE_WARNING_KEY}) counts as done, the warning reported`, 'warned', ['workers'], 900_000, async () => {
    const l = L();
    const ssh = l.routerSsh();
    const warned = l.warnedWorker;
    const statusText = (node: string) =>
      l.inlineText('rc=0; cloud-init status --wait --format json >/tmp/ci-status.json 2>&1 || rc=$?; cat /tmp/ci-status.json; echo; echo "exit=$rc"', {}, node);
    // cloud-init's own answer on both workers: the control (no warning) exits 0, the warned one 2.
    const [control, mine] = await Promise.all(
      [l.workers[0], warned].map(async (w) => (await run(sshArgv(ssh, statusText(w.ip)), { timeoutMs: 600_000 })).stdout),
    );
    const exitOf = (out: string) => /exit=(\d+)/.exec(out)?.[1];
    const jsonOf = (out: string) => JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as { status: string; recoverable_errors?: Record<string, string[]> };
    assert.equal(exitOf(control), '0', `cloud-init status on ${l.workers[0].name}: ${control}`);
    assert.equal(exitOf(mine), '2', `cloud-init status on ${warned.name} should exit 2 (done, recoverable errors): ${mine}`);
    const st = jsonOf(mine);
    assert.equal(st.status, 'done');
    const warnings = Object.values(st.recoverable_errors ?? {}).flat();
    assert.ok(warnings.length > 0, `no recoverable_errors in ${mine}`);
    console.log(`      ${warned.name}: cloud-init status exit 2, status done, recoverable errors: ${warnings.map((w) => JSON.stringify(w.slice(0, 160))).join('; ')}`);
    // The project's wait on that node: done at once (cloud-init finished above), and says what it saw.
    const t0 = Date.now();
    const r = await run(sshArgv(ssh, l.scriptText('scripts/vm/node-wait.sh', { NODE_IP: warned.ip, TIMEOUT_SECONDS: '60' })), { timeoutMs: 120_000 });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    timings.add('node-wait on the warned worker', Date.now() - t0, r.code === 0 ? 'ok' : 'failed', `exit ${r.code}`);
    const said = `${r.stdout}\n${r.stderr}`;
    console.log(`      node-wait.sh on ${warned.name}: exit ${r.code} after ${secs}s: ${said.trim().replace(/\n/g, ' | ').slice(0, 400)}`);
    assert.equal(r.code, 0, `node-wait.sh did not accept cloud-init's "done with recoverable errors" on ${warned.name} (${secs}s): ${said}`);
    assert.ok(warnings.some((w) => said.includes(w.slice(0, 40))), `node-wait.sh did not report the recoverable errors: ${said}`);
  });

  phase('fixture (NOT Cilium): cilium_host /32, pod namespaces and VXLAN 8472 between the workers', 'fixture', ['workers'], 300_000, async () => {
    await timings.time('fixture', async () => {
      await fixture('up');
      await onNode('fixture serve on worker2', L().workers[1].ip, FIXTURE, { ...fixtureEnv(1), FIXTURE_ACTION: 'serve' });
    });
    const l = L();
    const facts = parseKv((await onNode('facts on worker1', l.workers[0].ip, 'scripts/vm/facts.sh', { PHASE: 'fixture' })).stdout);
    assert.equal(facts.cilium_host, FIXTURE_NODES[0].hostIp);
  });

  phase('without xfrm: the router capture is cleartext and the nonce is seen (sanity)', 'cleartext', ['fixture'], 300_000, async () => {
    await timings.time('capture+verify cleartext', async () => {
      await fixture('clear');
      const c = await capture('cleartext', L().cfg.captureInterface);
      assertTrafficFlowed(c);
      const r = await verify(c, { expect: 'cleartext' });
      assert.equal(r.verdict, 'cleartext', r.reasons.join(' | '));
      assert.ok(r.meetsExpectation, r.expectationFailures.join(' | '));
      assert.ok((r.nonce?.hits ?? 0) > 0, 'the nonce was not seen in cleartext');
      assert.ok(r.cleartext.podPackets >= 2 * PING_COUNT, `only ${r.cleartext.podPackets} cleartext pod packets`);
      assert.equal(r.esp.packets, 0);
      assert.ok(r.cleartext.flows.some((f) => f.paths.includes('eth/ipv4/udp/vxlan/eth/ipv4')), 'pod packets not inside VXLAN');
    });
  });

  phase('ESP inside VXLAN (Cilium <= 1.17 layout): encrypted, lab SPI, cilium_host endpoints; keys decrypt it', 'esp-in-vxlan', ['fixture'], 300_000, async () => {
    await timings.time('capture+verify esp-in-vxlan', () => layoutPhase('esp-in-vxlan', L().cfg.captureInterface, 'esp-in-vxlan'));
  });

  phase('VXLAN inside ESP (Cilium >= 1.18 layout): encrypted, lab SPI, node endpoints; keys decrypt it', 'vxlan-in-esp', ['fixture'], 300_000, async () => {
    await timings.time('capture+verify vxlan-in-esp', () => layoutPhase('vxlan-in-esp', L().cfg.captureInterface, 'vxlan-in-esp'));
  });

  phase('tcpdump -i any on the router (Linux cooked capture) is handled by the verifier', 'any', ['fixture'], 300_000, async () => {
    await timings.time('capture+verify any', () => layoutPhase('vxlan-in-esp', 'any', 'any-vxlan-in-esp'));
  });

  phase('tears the lab down through the program\'s delete commands, twice (idempotent)', 'teardown', ['define'], 600_000, async () => {
    if (process.env.VM_TEST_KEEP === '1') {
      console.log('      VM_TEST_KEEP=1: lab left running');
      return;
    }
    const l = L();
    await timings.time('teardown', async () => {
      await l.deleteAll();
      const second = await l.deleteAll();
      assert.ok(second.every((s) => /already gone/.test(s)), `second delete did work: ${second.join('; ')}`);
    });
    created = false;
    assert.deepEqual(await l.leftovers(), []);
  });

  after(async function () {
    this.timeout(600_000);
    try {
      if (lab && created && process.env.VM_TEST_KEEP !== '1') {
        // A step failed before the teardown phase: delete anyway, then check nothing is left.
        const t0 = Date.now();
        try {
          await lab.deleteAll();
        } catch (e) {
          console.log(`      teardown after failure: ${(e as Error).message}`);
        }
        timings.add('teardown (after failure)', Date.now() - t0, 'ok');
      }
      if (guardBridge) await removeEgressGuard(guardBridge);
      if (tmp && process.env.VM_TEST_KEEP === '1') console.log(`      VM_TEST_KEEP=1: SSH key and xfrm files kept in ${tmp} (ssh -i ${tmp}/id_ed25519 lab@${lab?.router.ip})`);
      else if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    } finally {
      console.log('\nVM suite verdicts:\n' + summaries.map((s) => `  ${s}`).join('\n'));
      console.log('\nVM suite phase timings:\n' + timings.table() + '\n');
    }
    if (lab && process.env.VM_TEST_KEEP !== '1') {
      const left = await lab.leftovers();
      assert.deepEqual(left, [], `libvirt objects with the prefix ${lab.plan.prefix} remain: ${left.join(', ')}`);
    }
  });
});
