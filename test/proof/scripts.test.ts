/**
 * The proof's shell scripts, run for real on this machine (loopback only): tcpdump start/stop/clean on
 * `lo`, the fetch through a stand-in `ssh` on PATH (runs the remote command locally), the direct traffic
 * with a stand-in `ping` (no ping binary here) against an HTTP server on 127.0.0.1, and facts.sh.
 * The same files run on the lab router / nodes (through remote.ts) and in the VM suite.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';
import { parseCaptureStop, parseEncryptStatus, parseFacts, parseKeyValues, parseTraffic } from '../../components/proof/parse';
import { verifyCapture } from '../../components/verifier';
import { labSshOptions } from '../../components/remote';
import { bashScript, kubectlStandIn, runCommand, runCommandAsync, StandIns } from '../helpers/stand-ins';

const REPO = REPO_ROOT;
const VM = path.join(REPO, 'scripts', 'vm');
const MINE = fs.readdirSync(VM).filter((f) => /^(capture|traffic|facts)[\w-]*\.sh$/.test(f));
const NONCE = 'lab-t3stn0nce5x9';

/** A script of scripts/vm/ with `bin` (stand-ins) first on PATH. */
const run = (script: string, env: Record<string, string>, bin?: string) => runCommand(bashScript(`scripts/vm/${script}`), { env, bins: bin ? [bin] : [] });
/** Like run, without blocking the event loop (the HTTP server under test lives in this process). */
const runAsync = (script: string, env: Record<string, string>, bin?: string) => runCommandAsync(bashScript(`scripts/vm/${script}`), { env, bins: bin ? [bin] : [] });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `n` TCP connections carrying the nonce over loopback. */
async function loopbackTraffic(n: number): Promise<void> {
  const server = net.createServer((s) => s.on('data', () => s.end('ok')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.write(`GET /echo?msg=${NONCE} HTTP/1.1\r\n\r\n`));
      c.on('data', () => c.end());
      c.on('close', () => resolve());
      c.on('error', reject);
    });
  }
  await new Promise<void>((r) => server.close(() => r()));
}

describe('proof scripts (real runs, loopback only)', function () {
  this.timeout(60000);
  let dir: string;
  const cleanups: (() => void)[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proof-scripts-'));
  });
  after(() => {
    for (const c of cleanups.splice(0)) c();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are shellcheck-clean and strict (set -euo pipefail)', () => {
    assert.ok(MINE.length >= 8, MINE.join(' '));
    // -x from the repository root: the scripts source scripts/vm/lib.sh.
    const r = spawnSync('shellcheck', ['-x', ...MINE.map((f) => path.join('scripts/vm', f))], { encoding: 'utf8', cwd: REPO });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    for (const f of MINE) assert.match(fs.readFileSync(path.join(VM, f), 'utf8'), /^set -euo pipefail$/m, f);
  });

  describe('capture-start / capture-stop / capture-clean', () => {
    it('captures on lo from "listening" to SIGINT and reports tcpdump\'s own counts', async () => {
      const file = path.join(dir, 'run1.pcap');
      const start = run('capture-start.sh', { CAPTURE_INTERFACE: 'lo', CAPTURE_FILE: file, CAPTURE_FILTER: 'tcp', CAPTURE_MAX_SECONDS: '120' });
      assert.strictEqual(start.code, 0, start.stderr);
      const kv = parseKeyValues(start.stdout);
      assert.strictEqual(kv.interface, 'lo');
      assert.match(kv.pid, /^\d+$/);
      assert.ok(fs.existsSync(`/proc/${kv.pid}`), 'tcpdump runs after the script returned');
      await loopbackTraffic(3);
      const stop = run('capture-stop.sh', { CAPTURE_FILE: file });
      assert.strictEqual(stop.code, 0, stop.stderr);
      const counts = parseCaptureStop(stop.stdout);
      assert.strictEqual(counts.stoppedBy, 'signal');
      assert.strictEqual(counts.file, file);
      assert.ok(counts.captured >= 3 * 6, `captured ${counts.captured}`); // 3 connections: handshake, data, close
      assert.strictEqual(counts.dropped, 0);
      assert.strictEqual(counts.bytes, fs.statSync(file).size);
      assert.ok(!fs.existsSync(`/proc/${kv.pid}`), 'tcpdump is gone');
      const report = await verifyCapture(file, { nonce: NONCE, pods: ['127.0.0.1'] });
      assert.strictEqual(report.frames, counts.captured, 'every packet tcpdump counted is in the file');
      assert.strictEqual(report.nonce?.hits, 3);

      const clean = run('capture-clean.sh', { CAPTURE_FILE: file });
      assert.strictEqual(clean.code, 0, clean.stderr);
      assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.startsWith('run1')), []);
      assert.strictEqual(run('capture-clean.sh', { CAPTURE_FILE: file }).code, 0, 'clean is idempotent');
    });

    it('reports stopped_by=bound when tcpdump already stopped at its packet bound', async () => {
      const file = path.join(dir, 'bound.pcap');
      const start = run('capture-start.sh', { CAPTURE_INTERFACE: 'lo', CAPTURE_FILE: file, CAPTURE_FILTER: 'tcp', CAPTURE_MAX_PACKETS: '2' });
      assert.strictEqual(start.code, 0, start.stderr);
      const pid = parseKeyValues(start.stdout).pid;
      await loopbackTraffic(1);
      for (let i = 0; i < 50 && fs.existsSync(`/proc/${pid}`); i++) await sleep(100);
      const counts = parseCaptureStop(run('capture-stop.sh', { CAPTURE_FILE: file }).stdout);
      assert.strictEqual(counts.stoppedBy, 'bound');
      assert.strictEqual(counts.captured, 2);
      run('capture-clean.sh', { CAPTURE_FILE: file });
    });

    // lab:captureInterface accepts `any`; tcpdump's pseudo-device has no /sys/class/net entry.
    it('captures on "any" (Linux cooked capture, SLL2) through the same start/stop', async () => {
      const file = path.join(dir, 'any.pcap');
      const start = run('capture-start.sh', { CAPTURE_INTERFACE: 'any', CAPTURE_FILE: file, CAPTURE_FILTER: 'tcp and host 127.0.0.1', CAPTURE_MAX_SECONDS: '120' });
      assert.strictEqual(start.code, 0, start.stderr);
      assert.strictEqual(parseKeyValues(start.stdout).interface, 'any');
      await loopbackTraffic(2);
      const stop = run('capture-stop.sh', { CAPTURE_FILE: file });
      assert.strictEqual(stop.code, 0, stop.stderr);
      const report = await verifyCapture(file, { nonce: NONCE, pods: ['127.0.0.1'] });
      assert.deepStrictEqual(report.capture.linkTypes, [276], 'tcpdump -i any writes LINKTYPE_LINUX_SLL2');
      assert.strictEqual(report.nonce?.hits, 2);
      run('capture-clean.sh', { CAPTURE_FILE: file });
    });

    it('clean stops a tcpdump that still runs and removes its files', () => {
      const file = path.join(dir, 'kill.pcap');
      const start = run('capture-start.sh', { CAPTURE_INTERFACE: 'lo', CAPTURE_FILE: file });
      assert.strictEqual(start.code, 0, start.stderr);
      const pid = parseKeyValues(start.stdout).pid;
      assert.strictEqual(run('capture-clean.sh', { CAPTURE_FILE: file }).code, 0);
      assert.ok(!fs.existsSync(`/proc/${pid}`));
      assert.ok(!fs.existsSync(file));
    });

    const startErrors: [string, Record<string, string>, RegExp][] = [
      ['no interface given', { CAPTURE_FILE: '/tmp/x.pcap' }, /^capture-start: CAPTURE_INTERFACE is required/],
      ['no file given', { CAPTURE_INTERFACE: 'lo' }, /^capture-start: CAPTURE_FILE is required/],
      ['a relative file', { CAPTURE_INTERFACE: 'lo', CAPTURE_FILE: 'x.pcap' }, /must be an absolute path, got 'x\.pcap'/],
      ['a bad bound', { CAPTURE_INTERFACE: 'lo', CAPTURE_FILE: '/tmp/x.pcap', CAPTURE_MAX_PACKETS: '10k' }, /CAPTURE_MAX_PACKETS must be a non-negative integer, got '10k'/],
      ['an unknown interface', { CAPTURE_INTERFACE: 'seg9', CAPTURE_FILE: '/tmp/x.pcap' }, /no interface 'seg9' on .* \(interfaces: .*\blo\b.*\)/],
    ];
    for (const [what, env, msg] of startErrors) {
      it(`start fails on ${what}`, () => {
        const r = run('capture-start.sh', env);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, msg);
      });
    }

    it('start fails when tcpdump quits before listening (bad filter), with tcpdump\'s message', () => {
      const file = path.join(dir, 'bad.pcap');
      const r = run('capture-start.sh', { CAPTURE_INTERFACE: 'lo', CAPTURE_FILE: file, CAPTURE_FILTER: 'port (' });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^capture-start: tcpdump exited before it was listening on lo: .*syntax error/);
      run('capture-clean.sh', { CAPTURE_FILE: file });
    });

    it('stop fails clearly when no capture was started for the file', () => {
      const r = run('capture-stop.sh', { CAPTURE_FILE: path.join(dir, 'never.pcap') });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^capture-stop: no capture log .*never\.pcap\.log: was capture-start\.sh run/);
    });
  });

  describe('capture-fetch (through a stand-in ssh)', () => {
    let bin: string;
    before(() => {
      // Logs its arguments, then runs the remote command (the last argument) locally; FAKE_SHORT cuts `cat`.
      const ssh = new StandIns('proof-ssh-').add('ssh', [
        'printf "%s\\n" "$*" >>"$SSH_LOG"',
        'args=("$@")',
        'cmd=${args[-1]}',
        'if [ -n "${FAKE_SHORT:-}" ] && [[ $cmd == cat* ]]; then bash -c "$cmd" | head -c 10; else bash -c "$cmd"; fi',
      ]);
      bin = ssh.bin;
      cleanups.push(() => ssh.remove());
    });

    it('copies the remote file into place, with the key in a private temp file and the jump host', () => {
      const remote = path.join(dir, 'remote file.pcap');
      fs.writeFileSync(remote, Buffer.alloc(5000, 7));
      const local = path.join(dir, 'captures', 'ipsec', '1.pcap');
      const log = path.join(dir, 'ssh.log');
      const r = run(
        'capture-fetch.sh',
        { FETCH_HOST: '192.168.210.2', FETCH_USER: 'lab', FETCH_PRIVATE_KEY: 'KEY', FETCH_PROXY_HOST: 'libvirt-host', FETCH_PROXY_USER: 'me', FETCH_PROXY_PORT: '2222', REMOTE_FILE: remote, LOCAL_FILE: local, SSH_LOG: log },
        bin,
      );
      assert.strictEqual(r.code, 0, r.stderr);
      const kv = parseKeyValues(r.stdout);
      assert.strictEqual(kv.local, local);
      assert.strictEqual(kv.bytes, '5000');
      assert.match(kv.sha256, /^[0-9a-f]{64}$/);
      assert.deepStrictEqual(fs.readFileSync(local), Buffer.alloc(5000, 7));
      const calls = fs.readFileSync(log, 'utf8');
      assert.match(calls, /-p 22 -i \S+\/key -o IdentitiesOnly=yes -o ProxyCommand=ssh .* -p 2222 -W %h:%p me@libvirt-host lab@192\.168\.210\.2 /);
      assert.ok(!calls.includes('KEY '), 'the key is never on a command line');
    });

    it("uses lib.sh's SSH options on both hops, keep-alive included, so a stalled copy fails instead of hanging", () => {
      const remote = path.join(dir, 'ka.pcap');
      fs.writeFileSync(remote, Buffer.alloc(10, 1));
      const log = path.join(dir, 'ssh-ka.log');
      const r = run('capture-fetch.sh', { FETCH_HOST: 'h', FETCH_USER: 'u', FETCH_PROXY_HOST: 'jump', REMOTE_FILE: remote, LOCAL_FILE: path.join(dir, 'ka', '1.pcap'), SSH_LOG: log }, bin);
      assert.strictEqual(r.code, 0, r.stderr);
      const opts = labSshOptions().join(' ');
      assert.match(opts, /-o ServerAliveInterval=15 -o ServerAliveCountMax=4/);
      const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
      assert.strictEqual(calls.length, 2, 'stat, then cat');
      for (const c of calls) {
        assert.ok(c.startsWith(`${opts} -p 22 `), c);
        assert.ok(c.includes(`-o ProxyCommand=ssh ${opts} -p 22 -W %h:%p jump`), c);
      }
    });

    it('refuses a short copy and leaves nothing at the final path', () => {
      const remote = path.join(dir, 'r2.pcap');
      fs.writeFileSync(remote, Buffer.alloc(100, 1));
      const local = path.join(dir, 'short', '1.pcap');
      const r = run('capture-fetch.sh', { FETCH_HOST: 'h', FETCH_USER: 'u', REMOTE_FILE: remote, LOCAL_FILE: local, SSH_LOG: '/dev/null', FAKE_SHORT: '1' }, bin);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^capture-fetch: copied 10 bytes of .*r2\.pcap but it has 100 bytes/);
      assert.ok(!fs.existsSync(local) && !fs.existsSync(local + '.part'));
    });

    it('names the missing input', () => {
      const r = run('capture-fetch.sh', { FETCH_USER: 'u', REMOTE_FILE: '/x', LOCAL_FILE: '/y' }, bin);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^capture-fetch: FETCH_HOST is required/);
    });
  });

  describe('traffic.sh from this machine', () => {
    let bin: string;
    let server: http.Server;
    let port: number;
    const seen: { url?: string; nonce?: string | string[] }[] = [];
    before(async () => {
      // Stand-in for iputils ping: logs its arguments, prints iputils' summary line.
      const ping = new StandIns('proof-ping-').add('ping', [
        'printf "%s\\n" "$*" >"$PING_LOG"',
        'echo "--- statistics ---"',
        'echo "10 packets transmitted, 9 received, 10% packet loss, time 1802ms"',
      ]);
      bin = ping.bin;
      cleanups.push(() => ping.remove());
      server = http.createServer((req, res) => {
        seen.push({ url: req.url, nonce: req.headers['x-lab-nonce'] });
        res.statusCode = 404;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as net.AddressInfo).port;
    });
    after(() => server.close());

    it('pings with the nonce as the 16-byte pattern and sends HTTP requests carrying it', async () => {
      const log = path.join(dir, 'ping.log');
      const r = await runAsync('traffic.sh', { TARGET_IP: '127.0.0.1', NONCE, HTTP_PORT: String(port), HTTP_REQUESTS: '3', PING_LOG: log }, bin);
      assert.strictEqual(r.code, 0, r.stderr);
      // The stand-in server answers 404 without the nonce: answered, not echoed.
      assert.deepStrictEqual(parseTraffic(r.stdout), { pingTransmitted: 10, pingReceived: 9, httpTotal: 3, httpAnswered: 3, httpEchoed: 0 });
      const args = fs.readFileSync(log, 'utf8').trim();
      assert.match(args, new RegExp(`-p ${Buffer.from(NONCE).toString('hex')} 127\\.0\\.0\\.1$`));
      assert.match(args, /-c 10 .*-s 64/);
      assert.deepStrictEqual(seen.map((s) => s.nonce), [NONCE, NONCE, NONCE]);
      assert.deepStrictEqual(seen.map((s) => s.url), [1, 2, 3].map((i) => `/echo?msg=${NONCE}&i=${i}`));
    });

    it('refuses a nonce that does not fit the ping pattern', () => {
      const r = run('traffic.sh', { TARGET_IP: '127.0.0.1', NONCE: 'lab-seventeen-chr' }, bin);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /NONCE must be exactly 16 characters/);
    });
  });

  describe('traffic.sh in a pod, and facts-cilium (through a stand-in kubectl)', () => {
    let bin: string;
    const log = () => path.join(dir, 'kubectl.log');
    before(() => {
      // Stand-in for kubectl: answers like a cluster with the lab's pods would.
      const kube = new StandIns('proof-kubectl-').add('kubectl', [
        ...kubectlStandIn([
          '*" wait "*) exit "${FAKE_WAIT_RC:-0}" ;;',
          '*"get pods -o wide"*) echo "NAME READY STATUS"; echo "client 0/1 Pending" ;;',
          // Like the jsonpath facts-cilium.sh asks for: a terminating agent listed first, then the Running one.
          '*"get pods -l k8s-app=cilium"*) [ -z "${FAKE_AGENT:-}" ] || printf "cilium-old Running 2026-01-01T00:00:00Z\\ncilium-new Pending \\n%s Running \\n" "$FAKE_AGENT" ;;',
          '*" -- ping "*) echo "--- statistics ---"; echo "10 packets transmitted, 10 received, 0% packet loss, time 1800ms"; exit 0 ;;',
          // curl -w '\n%{http_code}': the body, then the status on its own line.
          '*" -- curl "*) printf "%s\\n%s" "${FAKE_BODY:-}" "${FAKE_HTTP:-404}"; [ "${FAKE_HTTP:-404}" != 000 ] ;;',
          // The server's merged stdout+stderr: two prefixed access lines with the nonce, nginx's error
          // log repeating a request line, a prefixed line without the nonce, a stock-format line.
          '*" logs "*)',
          '  [ -z "${FAKE_LOGS_FAIL:-}" ] || { echo "Error from server: the server could not find the requested resource" >&2; exit 1; }',
          '  echo "lab-access 10.0.1.23 \\"GET /echo?msg=$NONCE&i=1 HTTP/1.1\\" 200 17 \\"$NONCE\\""',
          '  echo "2026/01/01 00:00:00 [error] 29#29: *1 open() failed, client: 10.0.1.23, request: \\"GET /echo?msg=$NONCE&i=1 HTTP/1.1\\""',
          '  echo "lab-access 10.0.1.23 \\"GET /echo?msg=$NONCE&i=2 HTTP/1.1\\" 200 17 \\"$NONCE\\""',
          '  echo "lab-access 10.0.1.99 \\"GET / HTTP/1.1\\" 404 153 \\"-\\""',
          '  echo "10.0.1.23 - - \\"GET /echo?msg=$NONCE&i=2 HTTP/1.1\\" 404" ;;',
          '*"cilium-dbg encrypt status"*) printf "Encryption: IPsec\\nDecryption interface(s): eth0\\nKeys in use: 4\\nMax Seq. Number: 0x1d/0xffffffff\\nErrors: 0\\n" ;;',
        ]),
      ]);
      bin = kube.bin;
      cleanups.push(() => kube.remove());
    });
    beforeEach(() => fs.rmSync(log(), { force: true }));
    const env = {
      NAMESPACE: 'lab-proof',
      CLIENT_POD: 'client',
      SERVER_POD: 'server',
      SERVER_LOG_PREFIX: 'lab-access',
      TARGET_IP: '10.0.2.187',
      NONCE,
      HTTP_REQUESTS: '2',
      FAKE_HTTP: '200',
      FAKE_BODY: NONCE,
    };

    it('traffic in a pod: waits for both pods, pings with the nonce pattern and curls with it from inside the client pod', () => {
      const r = run('traffic.sh', { ...env, KUBECTL_LOG: log() }, bin);
      assert.strictEqual(r.code, 0, r.stderr);
      // Two requests: two echoes, and two access lines (not the error log's copy, not the stock line).
      assert.deepStrictEqual(parseTraffic(r.stdout), { pingTransmitted: 10, pingReceived: 10, httpTotal: 2, httpAnswered: 2, httpEchoed: 2, serverLogHits: 2 });
      const calls = fs.readFileSync(log(), 'utf8').trim().split('\n');
      assert.ok(calls.every((c) => c.startsWith('KUBECONFIG=/etc/kubernetes/admin.conf -n lab-proof ')), calls.join('\n'));
      assert.match(calls[0], /wait --for=condition=Ready pod\/client pod\/server --timeout=180s$/);
      assert.match(calls[1], new RegExp(`exec client -- ping -n -c 10 -i 0\\.2 -W 2 -s 64 -p ${Buffer.from(NONCE).toString('hex')} 10\\.0\\.2\\.187$`));
      assert.match(calls[2], new RegExp(`exec client -- curl .* -H X-Lab-Nonce: ${NONCE} http://10\\.0\\.2\\.187:80/echo\\?msg=${NONCE}&i=1$`));
      assert.match(calls[4], /logs server$/);
    });

    it('traffic in a pod: fails naming the pods when they are not Ready, and when nothing reached the server', () => {
      const notReady = run('traffic.sh', { ...env, KUBECTL_LOG: log(), FAKE_WAIT_RC: '1' }, bin);
      assert.strictEqual(notReady.code, 1);
      assert.match(notReady.stderr, /^traffic: pods client and server in lab-proof were not Ready within 180s: NAME READY STATUS;client 0\/1 Pending;/);
      const dead = run('traffic.sh', { ...env, KUBECTL_LOG: log(), FAKE_HTTP: '000', PING_COUNT: '0' }, bin);
      assert.strictEqual(dead.code, 1);
      assert.match(dead.stderr, /no traffic from pod client reached 10\.0\.2\.187 \(no ping reply, no HTTP answer\); pods: NAME READY STATUS;/);
    });

    it('traffic in a pod: a failed `kubectl logs` is an error, not zero server hits', () => {
      const r = run('traffic.sh', { ...env, KUBECTL_LOG: log(), FAKE_LOGS_FAIL: '1' }, bin);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^traffic: kubectl logs server in lab-proof failed: Error from server: the server could not find the requested resource$/m);
      assert.doesNotMatch(r.stdout, /server_log_hits/);
    });

    it('traffic in a pod: names a missing input', () => {
      const r = run('traffic.sh', { ...env, TARGET_IP: '', KUBECTL_LOG: log() }, bin);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^traffic: TARGET_IP is required/);
      const half = run('traffic.sh', { ...env, SERVER_POD: '', KUBECTL_LOG: log() }, bin);
      assert.strictEqual(half.code, 1);
      assert.match(half.stderr, /^traffic: SERVER_POD is required with CLIENT_POD/);
      const noPrefix = run('traffic.sh', { ...env, SERVER_LOG_PREFIX: '', KUBECTL_LOG: log() }, bin);
      assert.strictEqual(noPrefix.code, 1);
      assert.match(noPrefix.stderr, /^traffic: SERVER_LOG_PREFIX is required with CLIENT_POD/);
      assert.ok(!fs.existsSync(log()), 'no kubectl call before the inputs are complete');
    });

    it("facts-cilium: asks the Running agent on the node (not a terminating one) for its encryption status", () => {
      const r = run('facts-cilium.sh', { NODE_NAME: 'worker1', KUBECTL_LOG: log(), FAKE_AGENT: 'cilium-7xk2p' }, bin);
      assert.strictEqual(r.code, 0, r.stderr);
      const st = parseEncryptStatus(r.stdout);
      assert.deepStrictEqual([st.agent, st.mode, st.keysInUse, st.errors, st.maxSeqNumber], ['cilium-7xk2p', 'IPsec', 4, 0, '0x1d/0xffffffff']);
      const calls = fs.readFileSync(log(), 'utf8');
      assert.match(calls, /-n kube-system get pods -l k8s-app=cilium --field-selector spec\.nodeName=worker1 /);
      assert.match(calls, /-n kube-system exec cilium-7xk2p -c cilium-agent -- cilium-dbg encrypt status/);
      const none = run('facts-cilium.sh', { NODE_NAME: 'worker9', KUBECTL_LOG: log() }, bin);
      assert.strictEqual(none.code, 1);
      assert.match(none.stderr, /no Running Cilium agent pod \(k8s-app=cilium\) on node worker9 in kube-system/);
    });
  });

  it('facts.sh reports this host without key material, in the form parseFacts reads', () => {
    const r = run('facts.sh', { PHASE: 'before' });
    assert.strictEqual(r.code, 0, r.stderr);
    const f = parseFacts(r.stdout);
    assert.strictEqual(f.hostname, os.hostname());
    assert.ok(Number.isInteger(f.xfrmStates));
    if (fs.existsSync('/proc/net/xfrm_stat')) assert.ok(f.xfrmStat && 'XfrmInNoStates' in f.xfrmStat);
    assert.ok(!/aead|0x[0-9a-f]{40}/.test(r.stdout));
  });

  it('facts.sh fails when reading the xfrm state fails (a refused sudo is not "0 states")', () => {
    const nosudo = new StandIns('proof-nosudo-').add('id', 'echo 1000').add('sudo', ['echo "sudo: a password is required" >&2', 'exit 1']);
    cleanups.push(() => nosudo.remove());
    const bin = nosudo.bin;
    const refused = run('facts.sh', { PHASE: 'after' }, bin);
    assert.strictEqual(refused.code, 1);
    assert.match(refused.stderr, /^facts: ip xfrm state failed on \S+: sudo: a password is required$/m);
    assert.doesNotMatch(refused.stdout, /xfrm_states=/);
    // Root, but the kernel refuses: the same.
    const noxfrm = new StandIns('proof-noxfrm-').add('ip', [
      'if [ "$1" = xfrm ]; then echo "RTNETLINK answers: Operation not supported" >&2; exit 2; fi',
      `exec ${execFileSync('sh', ['-c', 'command -v ip']).toString().trim()} "$@"`,
    ]);
    cleanups.push(() => noxfrm.remove());
    const ipBin = noxfrm.bin;
    const unsupported = run('facts.sh', { PHASE: 'after' }, ipBin);
    assert.strictEqual(unsupported.code, 1);
    assert.match(unsupported.stderr, /^facts: ip xfrm state failed on \S+: RTNETLINK answers: Operation not supported$/m);
  });
});
