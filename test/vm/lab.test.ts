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
import { Lab, loadKeyPair, makeKeyPair, vmTestConfig, STACK, DELIBERATE_WARNING_KEY, type NamedCommand } from './helpers/lab';
import { mustRun, onRouter, run, runHostCommand, runOnRouter, waitFor, sshArgv, sleep, REPO_ROOT } from './helpers/run';
import { Timings } from './helpers/timing';
import { addEgressGuard, removeEgressGuard } from './helpers/guard';
import { scriptWithLib, shellQuote, type ScriptCommand } from '../../components/remote';
import { parseImageFetchOutput } from '../../components/libvirt/commands';
import { routerEnv } from '../../components/cloud-init';
import type { Report } from '../../components/verifier/report';
import { verifyCapture } from '../../components/verifier';
import { parseCaptureStop, parseTraffic, parseFacts, parseKeyValues, xfrmGrowth, type CaptureCounts, type NodeSnapshot, type TrafficResult } from '../../components/proof/parse';
import { expectationsFor, runVerification, type VerificationResult, type VerifyFn } from '../../components/proof/verification';
import { wireguardChecks, wireguardCorrelation, type WireguardExpectations } from '../../components/proof/judge-wireguard';
import { verifyRotation, type RotationResult } from '../../components/proof/judge-rotation';
import type { Encryption } from '../../components/config';
import { NONCE_LENGTH, NONCE_PATTERN, NONCE_PREFIX } from '../../components/proof/nonce';
import { routerCaptureFile, fetchEnvironment, CAPTURE_MAX_PACKETS, CAPTURE_MAX_SECONDS } from '../../components/proof/capture';

const FIXTURE = 'scripts/vm-test/cilium-wire-fixture.sh';
const POD_NS = 'labpod';
const HTTP_PORT = '8080';
const PING_COUNT = 10;
const HTTP_REQUESTS = 5;

/** Cilium-like addressing of the fixture (the manual method's cilium_host addresses). */
const FIXTURE_NODES = [
  { hostIp: '10.0.1.124', podIp: '10.0.1.50', podCidr: '10.0.1.0/24', index: 1 },
  { hostIp: '10.0.2.104', podIp: '10.0.2.50', podCidr: '10.0.2.0/24', index: 2 },
] as const;

type Layout = 'esp-in-vxlan' | 'vxlan-in-esp';

interface Capture {
  label: string;
  nonce: string;
  /** Absolute path of the fetched pcap, and the same relative to the repository (as the lab states it). */
  pcap: string;
  rel: string;
  tcpdump: CaptureCounts;
  traffic: TrafficResult;
}

/** Traffic shape of one capture: traffic.sh's counts, and steps run on the nodes while it flows. */
interface TrafficPlan {
  pingCount?: number;
  httpRequests?: number;
  during?: () => Promise<void>;
}

const timings = new Timings();
/** VM_TEST_REUSE=DIR: attach to the lab a VM_TEST_KEEP=1 run left up (DIR is the key directory it printed). */
const reuseDir = process.env.VM_TEST_REUSE && fs.existsSync(path.join(process.env.VM_TEST_REUSE, 'id_ed25519')) ? process.env.VM_TEST_REUSE : undefined;
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

/** A nonce of the program's form (components/proof/nonce.ts: prefix, length, alphabet). */
function newNonce(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(NONCE_LENGTH - NONCE_PREFIX.length);
  const nonce = NONCE_PREFIX + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  assert.match(nonce, NONCE_PATTERN);
  return nonce;
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
function trafficText(nonce: string, pingCount = PING_COUNT, httpRequests = HTTP_REQUESTS): ScriptCommand {
  const traffic = scriptWithLib(fs.readFileSync(path.join(REPO_ROOT, 'scripts/vm/traffic.sh'), 'utf8'));
  const wrapper = `exec ip netns exec ${POD_NS} bash -c ${shellQuote(traffic)} traffic.sh`;
  return L().inlineText(
    wrapper,
    {
      TARGET_IP: FIXTURE_NODES[1].podIp,
      NONCE: nonce,
      PING_COUNT: String(pingCount),
      HTTP_REQUESTS: String(httpRequests),
      HTTP_PORT,
    },
    L().workers[0].ip,
  );
}

/** start -> traffic -> stop -> fetch, with the project's scripts and the program's file naming and fetch environment. */
async function capture(label: string, iface: string, plan: TrafficPlan = {}): Promise<Capture> {
  const lab = L();
  const ssh = lab.routerSsh();
  const nonce = newNonce();
  captureRun += 1;
  const file = routerCaptureFile(STACK, captureRun, nonce);
  const startEnv = {
    CAPTURE_INTERFACE: iface,
    CAPTURE_FILE: file,
    CAPTURE_MAX_PACKETS: String(CAPTURE_MAX_PACKETS),
    CAPTURE_MAX_SECONDS: String(CAPTURE_MAX_SECONDS),
  };
  await onRouter(`capture-start (${label})`, ssh, lab.scriptText('scripts/vm/capture-start.sh', startEnv));
  const stopText = lab.scriptText('scripts/vm/capture-stop.sh', { CAPTURE_FILE: file });
  let traffic: TrafficResult;
  try {
    const sent = onRouter(`traffic (${label})`, ssh, trafficText(nonce, plan.pingCount, plan.httpRequests));
    const steps = plan.during ? plan.during() : Promise.resolve();
    const [out] = await Promise.all([sent, steps]);
    traffic = parseTraffic(out.stdout);
  } catch (e) {
    await runOnRouter(ssh, stopText); // never leave tcpdump running on a failed traffic step
    throw e;
  }
  const stopped = await onRouter(`capture-stop (${label})`, ssh, stopText);
  const rel = path.join('captures', STACK, `${label}.pcap`);
  const local = path.join(REPO_ROOT, rel);
  const env = fetchEnvironment({ host: ssh.host, port: ssh.port, user: ssh.user, privateKey: lab.keys.privateKey }, file, local);
  const fetchCmd = `bash ${JSON.stringify(path.join(REPO_ROOT, 'scripts/vm/capture-fetch.sh'))}`;
  const fetched = parseKeyValues((await mustRun(`capture-fetch (${label})`, ['/bin/sh', '-c', fetchCmd], { env, cwd: REPO_ROOT })).stdout);
  assert.equal(fetched.local, local);
  await onRouter(`capture-clean (${label})`, ssh, lab.scriptText('scripts/vm/capture-clean.sh', { CAPTURE_FILE: file }));
  return { label, nonce, pcap: local, rel, tcpdump: parseCaptureStop(stopped.stdout), traffic };
}

/** The verifier library, as the program's proof component calls it. */
const verifyFn: VerifyFn = (pcap, opts) => verifyCapture(pcap, opts);

function summarize(c: Capture, r: Partial<Report> | VerificationResult, extra = ''): void {
  const rep = r as Report;
  const line =
    `${c.label}: verdict ${rep.verdict}, frames ${rep.frames}, link types ${rep.capture?.linkTypes?.join('/')}, ` +
    `ESP ${rep.esp?.packets} SPIs [${rep.esp?.spis}], cleartext pod packets ${rep.cleartext?.podPackets}, nonce hits ${rep.nonce?.hits ?? '-'}` +
    (rep.decryption ? `, decrypted ok ${rep.decryption.ok} failed ${rep.decryption.failed}, nonce inside ${rep.nonce?.decryptedHits ?? '-'}` : '') +
    `; tcpdump captured ${c.tcpdump.captured} dropped ${c.tcpdump.dropped}; ping ${c.traffic.pingReceived}/${c.traffic.pingTransmitted}, ` +
    `http ${c.traffic.httpAnswered}/${c.traffic.httpTotal}${extra}`;
  summaries.push(line);
  console.log(`      ${line}`);
}

/** Both workers' facts (scripts/vm/facts.sh, parsed by the program's parseFacts). */
async function snapshots(phaseName: string): Promise<NodeSnapshot[]> {
  return Promise.all(L().workers.map(async (w) => parseFacts((await onNode(`facts on ${w.name}`, w.ip, 'scripts/vm/facts.sh', { PHASE: phaseName })).stdout)));
}

/** XFRM error counters that grew between two snapshots, per node (the program's xfrmGrowth). */
function grownCounters(before: NodeSnapshot[], after: NodeSnapshot[]): Record<string, Record<string, [number, number]>> {
  const out: Record<string, Record<string, [number, number]>> = {};
  L().workers.forEach((w, i) => {
    const g = xfrmGrowth(before[i].xfrmStat, after[i].xfrmStat);
    if (Object.keys(g).length > 0) out[w.name] = g;
  });
  return out;
}

/** Both workers' root `ip xfrm state` texts (scripts/vm/facts-xfrm.sh): SECRET, kept in memory only. */
async function xfrmTexts(): Promise<string[]> {
  return Promise.all(L().workers.map(async (w) => (await onNode(`facts-xfrm on ${w.name}`, w.ip, 'scripts/vm/facts-xfrm.sh', {})).stdout));
}

/** The program's expectations for this capture: the lab's pods, nodes and cilium_host addresses. */
function expectations(c: Capture, encryption: 'ipsec' | 'none', grown: Record<string, Record<string, [number, number]>>, decrypt: boolean) {
  return expectationsFor(expectationArgs(c, encryption, grown, decrypt));
}

function expectationArgs(c: Capture, encryption: Encryption, grown: Record<string, Record<string, [number, number]>>, decrypt: boolean): Parameters<typeof expectationsFor>[0] {
  return {
    encryption,
    spi: L().cfg.ipsecKeyId,
    pods: [FIXTURE_NODES[0].podIp, FIXTURE_NODES[1].podIp],
    nodeIps: L().workers.map((w) => w.ip),
    ciliumHosts: FIXTURE_NODES.map((n) => n.hostIp),
    nonce: c.nonce,
    decrypt,
    xfrmErrorsGrown: grown,
    tcpdump: c.tcpdump,
  };
}

/** The program's verification of a capture (runVerification: verifier library + judge), as the stack output states it. */
async function programVerdict(c: Capture, encryption: 'ipsec' | 'none', texts: string[], grown: Record<string, Record<string, [number, number]>>): Promise<VerificationResult> {
  return runVerification(
    { capturePath: c.rel, root: REPO_ROOT, podCidr: L().cfg.podCidr, expectations: expectations(c, encryption, grown, texts.length > 0), xfrmTexts: texts, traffic: c.traffic },
    verifyFn,
  );
}

function assertTrafficFlowed(c: Capture): void {
  assert.ok(c.traffic.pingReceived > 0, `no ping reply in ${c.label}: ${JSON.stringify(c.traffic)}`);
  assert.ok(c.traffic.httpAnswered > 0, `no HTTP answer in ${c.label}: ${JSON.stringify(c.traffic)}`);
}

/** The fixture's wire format (not a rule of the lab's judge): the layout's ESP path and link type. */
function assertLayout(r: VerificationResult, rest: string, any: boolean): void {
  const paths = any ? [`sll2/${rest}`, `sll/${rest}`] : [`eth/${rest}`];
  for (const f of r.esp?.flows ?? []) {
    const fp = (f.paths ?? []) as string[];
    assert.ok(fp.some((x) => paths.includes(x)), `ESP flow ${f.src} -> ${f.dst} paths ${fp} lack ${paths}`);
  }
  const linkTypes = (r.capture as { linkTypes: number[] }).linkTypes;
  if (any) assert.ok(linkTypes.some((t) => t === 276 || t === 113), `link types ${linkTypes}`);
  else assert.deepEqual(linkTypes, [1]);
}

function randomKeys(): { k12: string; k21: string } {
  return { k12: crypto.randomBytes(20).toString('hex'), k21: crypto.randomBytes(20).toString('hex') };
}

/** Fixture env for one SPI generation: worker1 sends with k12, worker2 with k21. */
function xfrmEnv(layout: Layout, spi: number, k: { k12: string; k21: string }): [Record<string, string>, Record<string, string>] {
  return [
    { XFRM_LAYOUT: layout, XFRM_SPI: String(spi), XFRM_KEY_OUT: k.k12, XFRM_KEY_IN: k.k21 },
    { XFRM_LAYOUT: layout, XFRM_SPI: String(spi), XFRM_KEY_OUT: k.k21, XFRM_KEY_IN: k.k12 },
  ];
}

async function layoutPhase(layout: Layout, iface: string, label: string): Promise<void> {
  const lab = L();
  const spi = lab.cfg.ipsecKeyId;
  const keys = randomKeys();
  await fixture('xfrm', xfrmEnv(layout, spi, keys));
  const before = await snapshots('before');
  const c = await capture(label, iface);
  const after = await snapshots('after');
  assertTrafficFlowed(c);
  const texts = await xfrmTexts();
  assert.ok(texts.join('\n').includes(keys.k12) && texts.join('\n').includes(keys.k21), "the workers' xfrm state does not hold the fixture keys");
  const r = await programVerdict(c, 'ipsec', texts, grownCounters(before, after));
  summarize(c, r, `; judge ${r.pass ? 'pass' : 'FAIL'}`);
  assert.ok(r.pass, `the lab's judge failed ${label}: ${r.failures.join(' | ')}`);
  const rest = layout === 'esp-in-vxlan' ? 'ipv4/udp/vxlan/eth/ipv4/esp' : 'ipv4/esp';
  assertLayout(r, rest, iface === 'any');
  // The ESP endpoints are the layout's own: cilium_host addresses for ESP in VXLAN, node IPs around it.
  const endpoints = layout === 'esp-in-vxlan' ? FIXTURE_NODES.map((n) => n.hostIp as string) : lab.workers.map((w) => w.ip);
  for (const f of r.esp?.flows ?? []) assert.ok(endpoints.includes(f.src) && endpoints.includes(f.dst), `ESP flow ${f.src} -> ${f.dst} outside ${endpoints}`);
  // Without the keys the same judge must fail: it cannot show the ESP carried our traffic.
  const blind = await programVerdict(c, 'ipsec', [], {});
  assert.ok(!blind.pass && blind.failures.some((f) => /xfrm states/.test(f)), `judge without keys: ${blind.failures.join(' | ')}`);
}

/** The verifier's rotation findings (report.rotation with a rotation expectation). */
type RotationReport = NonNullable<Report['rotation']>;

/** A WireGuard key pair (Curve25519, base64 as `wg genkey | wg pubkey` prints them). */
function wireguardKeyPair(): { privateKey: string; publicKey: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519');
  const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64url').toString('base64');
  return { privateKey: b64(privateKey.export({ format: 'jwk' }).d), publicKey: b64(publicKey.export({ format: 'jwk' }).x) };
}

type RotationMode = 'cilium' | 'gap' | 'one-node';

interface RotationRun {
  from: number;
  to: number;
  capture: Capture;
  report: Report;
  /** The program's rotation verdict (verification.rotation). */
  verdict: RotationResult;
  grown: Record<string, Record<string, [number, number]>>;
  steps: { name: string; at: number }[];
}

const ROTATION_PINGS = 1000; // 0.2 s apart, at most 200 s; ended once the rotation steps are done

/**
 * A rotation during continuous traffic, step by step on the nodes as Cilium's agents do it (see the
 * fixture's header): new SAs on both nodes, outbound switched on worker1 then worker2, old SAs kept a
 * while, then removed. `gap`: worker1's outbound policy is removed 2 s before the new one is in place.
 * `one-node`: only worker1 gets the new SAs and switches; worker2 never does.
 */
async function rotationCapture(label: string, layout: Layout, mode: RotationMode): Promise<RotationRun> {
  const lab = L();
  const from = lab.cfg.ipsecKeyId;
  const to = (from % 15) + 1; // Cilium's next key id: 15 wraps to 1
  const oldKeys = randomKeys();
  const newKeys = randomKeys();
  const envOld = xfrmEnv(layout, from, oldKeys);
  const envNew = xfrmEnv(layout, to, newKeys);
  await fixture('xfrm', envOld);
  const steps: { name: string; at: number }[] = [];
  const step = async (i: 0 | 1, action: string, env: Record<string, string>) => {
    const w = lab.workers[i];
    await onNode(`fixture ${action} on ${w.name}`, w.ip, FIXTURE, { ...fixtureEnv(i), ...env, FIXTURE_ACTION: action });
    steps.push({ name: `${action} ${w.name}`, at: Date.now() / 1000 });
  };
  // The pings run until the steps are done (traffic.sh with a large count, ended by SIGINT: ping then
  // prints its counts and traffic.sh goes on with the HTTP requests), so the traffic covers the whole
  // rotation however long the steps take on a loaded machine.
  const stopPings = () =>
    onRouter('stop the pings on worker1', lab.routerSsh(), lab.inlineText(`ip netns exec ${POD_NS} pkill -INT -x ping || true`, {}, lab.workers[0].ip));
  const during = async () => {
    await sleep(2000);
    await Promise.all(mode === 'one-node' ? [step(0, 'sa-add', envNew[0])] : [step(0, 'sa-add', envNew[0]), step(1, 'sa-add', envNew[1])]);
    await sleep(1000);
    // The 2 s gap is timed on the node (out-gap), not across two SSH round trips.
    await step(0, mode === 'gap' ? 'out-gap' : 'out-switch', envNew[0]);
    await sleep(1000);
    if (mode !== 'one-node') {
      await step(1, 'out-switch', envNew[1]);
      await sleep(2000); // old inbound SAs kept while packets sent with them may still arrive
      await Promise.all([step(0, 'sa-remove', envOld[0]), step(1, 'sa-remove', envOld[1])]);
    }
    await sleep(4000); // traffic on the new key only
    await stopPings();
  };
  const before = await snapshots('before rotation');
  const textsBefore = await xfrmTexts(); // the old generation
  const c = await capture(label, lab.cfg.captureInterface, { pingCount: ROTATION_PINGS, httpRequests: HTTP_REQUESTS, during });
  const after = await snapshots('after rotation');
  const textsAfter = await xfrmTexts(); // the new generation (and, on one node only, both)
  const texts = [...textsBefore, ...textsAfter];
  const grown = grownCounters(before, after);
  // The program's rotation verdict (the verifier's rotation expectation, then the lab's rotation checks),
  // through the same runner; the verifier's report is kept for the phases' own assertions.
  const nodeAddrs = (i: 0 | 1) => [lab.workers[i].ip, FIXTURE_NODES[i].hostIp as string];
  let seen: Report | undefined;
  const verdict = await verifyRotation(
    {
      capturePath: c.rel,
      root: REPO_ROOT,
      podCidr: lab.cfg.podCidr,
      expectations: {
        from,
        to,
        nonce: c.nonce,
        endpoints: [...nodeAddrs(0), ...nodeAddrs(1)],
        clientNode: nodeAddrs(0),
        serverNode: nodeAddrs(1),
        traffic: { ...c.traffic, pingLost: c.traffic.pingTransmitted - c.traffic.pingReceived },
        xfrmErrorsGrown: grown,
        tcpdump: c.tcpdump,
      },
      xfrmTexts: texts,
    },
    async (pcap, opts) => (seen = await verifyFn(pcap, opts)),
  );
  if (!seen) throw new Error(`the verifier did not run on ${c.rel}: ${verdict.failures.join(' | ')}`);
  const report: Report = seen;
  const rot = rotationOf(report, from, to);
  const t0 = steps[0]?.at ?? 0;
  const switches = (rot?.directions ?? [])
    .map((d) => `${d.src}->${d.dst} lastOld ${fmtT(d.lastOld)} firstNew ${fmtT(d.firstNew)} gap ${d.lastOld != null && d.firstNew != null ? `${((d.firstNew - d.lastOld) * 1000).toFixed(0)} ms` : '-'} oldAfterSwitch ${d.oldAfterSwitch}`)
    .join('; ');
  const windows = (rot?.cleartextWindows ?? []).map((w) => `${fmtT(w.start)}..${fmtT(w.end)} (${w.packets} pkts)`).join(', ');
  summarize(
    c,
    report,
    `; rotation ${from}->${to} ${mode} (${rot.source}): met ${rot.met}; ${switches}; cleartext windows [${windows}]; ` +
      `pings lost ${c.traffic.pingTransmitted - c.traffic.pingReceived}; XFRM grown ${JSON.stringify(grown)}; ` +
      `steps ${steps.map((x) => `${x.name}@+${(x.at - t0).toFixed(1)}s`).join(', ')}; failures: ${rot.failures.join(' | ')}; ` +
      `lab verdict ${verdict.pass ? 'pass' : 'FAIL'}: ${verdict.failures.join(' | ')}`,
  );
  return { from, to, capture: c, report, verdict, grown, steps };
}

/** The verifier's rotation findings and verdict (the `rotation` expectation: report.rotation). */
interface RotationView extends RotationReport {
  source: 'verifier';
}

function rotationOf(r: Report, from: number, to: number): RotationView {
  const own = r.rotation;
  if (!own) throw new Error(`the verifier report has no rotation section for ${from} -> ${to}`);
  return { ...own, source: 'verifier', met: own.met && r.meetsExpectation, failures: own.failures };
}

function fmtT(t: number | null | undefined): string {
  return t == null ? '-' : new Date(t * 1000).toISOString().slice(11, 23);
}

describe('VM suite: the lab\'s VM half on real libvirt VMs (router, worker1, worker2)', function () {
  before(function () {
    tmp = reuseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vm-suite-'));
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
    const keys = reuseDir ? loadKeyPair(reuseDir) : await makeKeyPair(tmp);
    lab = new Lab(vmTestConfig(image, domainType, path.join(tmp, 'images')), keys);
    console.log(`      image ${p} (${image.cached ? 'cache hit' : 'built'}), domain type ${domainType}, prefix ${lab.plan.prefix}`);
  });

  phase('creates networks, pool, base volume, overlays, seeds and domains through the lab\'s host commands', 'define', ['image'], 900_000, async () => {
    const l = L();
    await timings.time('define+boot', async () => {
      // A previous run that was killed may have left objects: the program's deletes clear them.
      const stale = await l.leftovers();
      if (reuseDir) {
        // VM_TEST_REUSE: the lab a VM_TEST_KEEP=1 run left up, with its key; its domains must be running.
        const states = await Promise.all(l.vms.map(async (vm) => (await run(['virsh', '-q', '-c', l.uri, 'domstate', vm.domain])).stdout.trim()));
        assert.deepEqual(states, ['running', 'running', 'running'], `VM_TEST_REUSE=${reuseDir}: the kept lab is not running`);
        const fetched = parseImageFetchOutput((await runHostCommand('image fetch', l.imageFetch().cmd, 'create')).stdout);
        l.base = { file: fetched.path, format: fetched.format };
        created = true;
        guardBridge = l.plan.networks.uplink.bridge;
        await addEgressGuard(guardBridge);
        console.log(`      reusing the running lab (${stale.length} objects) and the key in ${reuseDir}`);
        return;
      }
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
      // As the program's router component does: the router's setup runs as a command after boot.
      await onRouter('router-setup on the router', ssh, l.scriptText('scripts/vm/router-setup.sh', routerEnv(l.plan)), 660_000);
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
      const r = await runOnRouter(ssh, l.inlineText('true', {}, warned.ip), { timeoutMs: 60_000 });
      return r.code === 0 || `exit ${r.code}`;
    });
    // As the program's cluster component does once a node answers: node-setup.sh on it.
    await Promise.all(l.workers.map((w) => onRouter(`node-setup on ${w.name}`, ssh, l.scriptText('scripts/vm/node-setup.sh', {}, w.ip))));
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
      [l.workers[0], warned].map(async (w) => (await runOnRouter(ssh, statusText(w.ip), { timeoutMs: 600_000 })).stdout),
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
    const r = await runOnRouter(ssh, l.scriptText('scripts/vm/node-wait.sh', { NODE_IP: warned.ip, TIMEOUT_SECONDS: '60' }), { timeoutMs: 120_000 });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    timings.add('node-wait on the warned worker', Date.now() - t0, r.code === 0 ? 'ok' : 'failed', `exit ${r.code}`);
    const said = `${r.stdout}\n${r.stderr}`;
    console.log(`      node-wait.sh on ${warned.name}: exit ${r.code} after ${secs}s: ${said.trim().replace(/\n/g, ' | ').slice(0, 400)}`);
    assert.equal(r.code, 0, `node-wait.sh did not accept cloud-init's "done with recoverable errors" on ${warned.name} (${secs}s): ${said}`);
    assert.ok(warnings.some((w) => said.includes(w.slice(0, 40))), `node-wait.sh did not report the recoverable errors: ${said}`);
  });

  phase('a secret passed to a remote script (router, worker) is in no process list, journal or auth log, during the run or after', 'secrets', ['workers'], 600_000, async () => {
    const l = L();
    const ssh = l.routerSsh();
    await timings.time('secret not in ps/journal/auth.log', async () => {
      const secret = `s3cr3t-${crypto.randomBytes(16).toString('hex')}`;
      // The script uses the secret (a digest of it) and runs long enough to be seen in `ps`.
      const script = 'set -euo pipefail; printf %s "$LAB_SECRET_PROBE" | sha256sum | cut -c1-16; sleep 20';
      const digest = crypto.createHash('sha256').update(secret).digest('hex').slice(0, 16);
      const targets = [
        { name: l.router.name, node: undefined as string | undefined },
        { name: l.warnedWorker.name, node: l.warnedWorker.ip },
      ];
      // What each machine shows: every process's argv, the journal and the auth log, read as root and
      // searched here (a grep for the secret on the machine would put it in grep's own argv).
      const reveal = (node?: string) =>
        // The section markers are computed ($((...))), so the text that prints them (in ps) does not hold them.
        l.inlineText('ps -eo args; echo "@@journal$((6*7))@@"; journalctl --no-pager 2>/dev/null || true; echo "@@auth$((6*7))@@"; cat /var/log/auth.log 2>/dev/null || true', {}, node);
      const leaks = async (when: string) => {
        const found: string[] = [];
        for (const t of targets) {
          const out = (await onRouter(`ps/journal/auth.log on ${t.name}`, ssh, reveal(t.node), 120_000)).stdout;
          const [ps, rest = ''] = out.split('@@journal42@@');
          const [journal, auth = ''] = rest.split('@@auth42@@');
          if (ps.includes(secret)) found.push(`${t.name} ps (${when})`);
          if (when !== 'after' && !ps.includes('sleep 20')) found.push(`${t.name}: the probe script was not running when ps was read: the check saw nothing`);
          if (journal.includes(secret)) found.push(`${t.name} journal (${when})`);
          if (auth.includes(secret)) found.push(`${t.name} /var/log/auth.log (${when})`);
          if (when === 'after' && !/sudo/.test(auth + journal)) found.push(`${t.name}: neither the journal nor auth.log records sudo: the check would see nothing`);
        }
        return found;
      };
      const running = targets.map((t) => onRouter(`secret probe on ${t.name}`, ssh, l.inlineText(script, { LAB_SECRET_PROBE: secret }, t.node), 120_000));
      await sleep(3000);
      const during = await leaks('during the run');
      const outs = await Promise.all(running);
      for (const o of outs) assert.equal(o.stdout.trim(), digest, 'the remote script did not receive the secret');
      const after = await leaks('after');
      assert.deepEqual([...during, ...after], [], `the secret was visible: ${[...during, ...after].join('; ')}`);
    });
  });

  phase('fixture (NOT Cilium): cilium_host /32, pod namespaces and VXLAN 8472 between the workers', 'fixture', ['workers'], 300_000, async () => {
    await timings.time('fixture', async () => {
      await fixture('up');
      await onNode('fixture serve on worker2', L().workers[1].ip, FIXTURE, { ...fixtureEnv(1), FIXTURE_ACTION: 'serve' });
    });
    const l = L();
    const facts = parseFacts((await onNode('facts on worker1', l.workers[0].ip, 'scripts/vm/facts.sh', { PHASE: 'fixture' })).stdout);
    assert.equal(facts.ciliumHost, FIXTURE_NODES[0].hostIp);
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

  for (const layout of ['esp-in-vxlan', 'vxlan-in-esp'] as const) {
    phase(`key rotation as Cilium does it (${layout}): both SPIs, each direction switched, no cleartext, both generations decrypt`, `rotate-${layout}`, ['fixture'], 600_000, async () => {
      await timings.time(`rotation ${layout}`, async () => {
        const run = await rotationCapture(`rotation-${layout}`, layout, 'cilium');
        const rot = rotationOf(run.report, run.from, run.to);
        assert.ok(rot.met, `rotation not met (${rot.source}): ${rot.failures.join(' | ')}`);
        assert.ok(run.verdict.pass, `the lab's rotation verdict failed: ${run.verdict.failures.join(' | ')}`);
        assert.equal(run.report.verdict, 'encrypted', run.report.reasons.join(' | '));
        assert.deepEqual([...run.report.esp.spis].sort((a, b) => a - b), [run.from, run.to].sort((a, b) => a - b));
        assert.equal(rot.directions.length, 2, JSON.stringify(rot));
        for (const d of rot.directions) assert.ok(d.lastOld != null && d.firstNew != null, `direction ${d.src} -> ${d.dst} did not switch: ${JSON.stringify(d)}`);
        assert.deepEqual(rot.cleartextWindows, []);
        assert.equal(run.report.cleartext.podPackets, 0);
        assert.equal(run.report.nonce?.hits, 0);
        assert.ok(run.report.decryption && run.report.decryption.failed === 0 && run.report.decryption.noKey === 0, JSON.stringify(run.report.decryption));
        assert.ok((run.report.nonce?.decryptedHits ?? 0) > 0, 'the nonce was not found inside either generation');
        // No failure and no packet without a key, with both SPIs on the wire: both generations decrypted.
        assert.equal(run.report.decryption.ok, run.report.esp.packets, `not every ESP packet decrypted: ${JSON.stringify(run.report.decryption)}`);
        assert.deepEqual(run.grown, {}, `XFRM error counters grew during a correct rotation: ${JSON.stringify(run.grown)}`);
        assert.equal(run.capture.tcpdump.dropped, 0);
      });
    });
  }

  phase('a rotation with the outbound policy removed 2 s before the new one fails: a cleartext window, with its time range', 'rotate-gap', ['fixture'], 600_000, async () => {
    await timings.time('rotation with a policy gap', async () => {
      const run = await rotationCapture('rotation-gap', 'vxlan-in-esp', 'gap');
      const rot = rotationOf(run.report, run.from, run.to);
      assert.equal(rot.met, false, 'a rotation with a cleartext window must not pass');
      assert.equal(run.verdict.pass, false, "the lab's rotation verdict passed a cleartext window");
      assert.ok(rot.cleartextWindows.length > 0, `no cleartext window reported: ${JSON.stringify(rot)}`);
      const w = rot.cleartextWindows[0];
      assert.ok(w.end >= w.start && w.packets > 0, JSON.stringify(w));
      // The window lies between the policy's removal and the new policy (2 s apart on the node).
      const removed = run.steps.find((x) => x.name === 'out-gap worker1');
      assert.ok(removed, JSON.stringify(run.steps));
      assert.ok(w.end - w.start <= 4, `window ${w.start}..${w.end} is longer than the 2 s gap (+ slack)`);
      assert.ok(rot.failures.some((f) => /clear/i.test(f)), rot.failures.join(' | '));
    });
  });

  phase('a rotation with the new SA on one node only fails: one direction never switches, drops, XfrmInNoStates grows', 'rotate-one-node', ['fixture'], 600_000, async () => {
    await timings.time('rotation on one node only', async () => {
      const run = await rotationCapture('rotation-one-node', 'vxlan-in-esp', 'one-node');
      const rot = rotationOf(run.report, run.from, run.to);
      assert.equal(rot.met, false, 'a rotation that one node never did must not pass');
      assert.equal(run.verdict.pass, false, "the lab's rotation verdict passed a rotation one node never did");
      const w2 = L().workers[1].name;
      assert.ok(run.grown[w2]?.XfrmInNoStates, `XfrmInNoStates did not grow on ${w2}: ${JSON.stringify(run.grown)}`);
      assert.ok(run.capture.traffic.pingReceived < run.capture.traffic.pingTransmitted, `no ping lost: ${JSON.stringify(run.capture.traffic)}`);
      const unswitched = rot.directions.filter((d) => d.firstNew === undefined || d.firstNew === null);
      assert.ok(unswitched.length > 0 || rot.directions.length < 2, `every direction switched: ${JSON.stringify(rot.directions)}`);
    });
  });

  phase('WireGuard (cilium_wg0, UDP 51871 between the node IPs): encrypted, WireGuard data in both directions at least the pod packets sent', 'wireguard', ['fixture'], 300_000, async () => {
    await timings.time('capture+verify wireguard', async () => {
      const l = L();
      await fixture('clear');
      const [k1, k2] = [wireguardKeyPair(), wireguardKeyPair()];
      await fixture('wg-up', [
        { WG_PRIVATE_KEY: k1.privateKey, WG_PEER_PUBLIC_KEY: k2.publicKey },
        { WG_PRIVATE_KEY: k2.privateKey, WG_PEER_PUBLIC_KEY: k1.publicKey },
      ]);
      const c = await capture('wireguard', l.cfg.captureInterface);
      assertTrafficFlowed(c);
      const nodeIps = l.workers.map((w) => w.ip);
      // The program's WireGuard judge: the verifier's expectations (encrypted, no cleartext pod packet, the
      // nonce never in clear) and the lab's WireGuard checks (data on the wire, flows between the node
      // IPs, counters growing, data packets per direction accounting for the pod packets sent). The
      // kernel fixture runs no Cilium agent, so the agents' encrypt-status check is the one left out.
      const w: WireguardExpectations = { nodeIps, clientNodeIp: nodeIps[0], serverNodeIp: nodeIps[1], traffic: c.traffic, expectedPeers: 1 };
      const checks = wireguardChecks(w).filter((k) => !/Cilium agent/.test(k.name));
      assert.equal(checks.length, wireguardChecks(w).length - 1, 'the agents check is the only one left out');
      const x = expectationsFor(expectationArgs(c, 'wireguard', {}, false));
      const r = await runVerification({ capturePath: c.rel, root: REPO_ROOT, podCidr: l.cfg.podCidr, expectations: x, xfrmTexts: [], traffic: c.traffic, checks }, verifyFn);
      const wg = r.wireguard;
      summarize(c, r, `; WireGuard packets ${wg?.packets} data ${wg?.dataPackets} handshakes ${wg?.handshakes} flows ${wg?.flows?.length}; judge ${r.pass ? 'pass' : 'FAIL'}`);
      assert.ok(r.pass, `the lab's WireGuard judge failed: ${r.failures.join(' | ')}`);
      assert.equal(r.verdict, 'encrypted', (r.reasons ?? []).join(' | '));
      assert.equal(r.esp?.packets, 0);
      assert.ok(wg && wg.handshakes > 0, `no WireGuard handshake: ${JSON.stringify(wg)}`);
      const c2s = wireguardCorrelation(r as Report, w);
      assert.ok(c2s?.holds, `correlation: ${JSON.stringify(c2s)}`);
    });
  });

  phase('WireGuard down, no xfrm: the router capture is cleartext and the nonce is seen (sanity); the IPsec judge fails it', 'cleartext', ['fixture'], 300_000, async () => {
    await timings.time('capture+verify cleartext', async () => {
      await fixture('clear');
      const c = await capture('cleartext', L().cfg.captureInterface);
      assertTrafficFlowed(c);
      const r = await programVerdict(c, 'none', [], {});
      summarize(c, r, `; judge ${r.pass ? 'pass' : 'FAIL'}`);
      assert.ok(r.pass, `the lab's judge failed the cleartext sanity capture: ${r.failures.join(' | ')}`);
      assert.ok((r.cleartext?.podPackets ?? 0) >= 2 * PING_COUNT, `only ${r.cleartext?.podPackets} cleartext pod packets`);
      const flows = r.cleartext?.flows ?? [];
      assert.ok(flows.some((f) => f.paths.includes('eth/ipv4/udp/vxlan/eth/ipv4')), 'pod packets not inside VXLAN');
      // The same capture judged as IPsec must fail, naming the cleartext.
      const asIpsec = await programVerdict(c, 'ipsec', [], {});
      assert.ok(!asIpsec.pass && asIpsec.failures.some((f) => /got "cleartext"/.test(f)), asIpsec.failures.join(' | '));
    });
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
      if (tmp && process.env.VM_TEST_KEEP === '1') console.log(`      VM_TEST_KEEP=1: SSH key kept in ${tmp} (ssh -i ${tmp}/id_ed25519 lab@${lab?.router.ip})`);
      else if (tmp && !reuseDir) fs.rmSync(tmp, { recursive: true, force: true });
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
