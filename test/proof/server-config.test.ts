/**
 * The server pod's nginx site config, run by a real nginx (Debian's, installed by scripts/test.sh) on
 * loopback: it answers /echo with the nonce, refuses other input, and writes exactly one prefixed
 * access-log line per request on stdout; then traffic.sh against it counts every answer as an echo.
 * The pod runs nginx 1.27 (lab:serverImage) and Debian bookworm has 1.22: the config uses only
 * directives both have (log_format, access_log, location =, if, return, default_type).
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  PROOF_NAMESPACE,
  podSpecs,
  SERVER_ACCESS_LOG_PREFIX,
  serverConfigMapName,
  serverConfigMapSpec,
  serverNginxConfig,
} from '../../components/proof/workloads';
import { parseTraffic } from '../../components/proof/parse';
import { runWithStandIns } from '../helpers/stand-ins';

const NONCE = 'lab-Zq3vK8pW1xYa';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function get(port: number, pathAndQuery: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, { headers: { 'X-Lab-Nonce': NONCE } });
  return { status: r.status, body: await r.text() };
}

describe('server pod nginx config (real nginx on loopback)', function () {
  this.timeout(60000);
  let dir = '';
  let port = 0;
  let nginx: ChildProcess | undefined;
  let stdoutFile = '';
  let stderr = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-nginx-'));
    port = await freePort();
    fs.mkdirSync(path.join(dir, 'conf.d'));
    fs.writeFileSync(path.join(dir, 'conf.d', 'default.conf'), serverNginxConfig(port));
    // The image's nginx.conf includes conf.d/*.conf inside http{}; this minimal one does the same, with
    // every path under the temporary prefix (no root-owned /var/lib/nginx, no daemon, no pid file).
    const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
    fs.writeFileSync(
      path.join(dir, 'nginx.conf'),
      `daemon off; master_process off; pid ${dir}/nginx.pid; error_log stderr notice;\n` +
        `events {}\nhttp { ${temps} include ${dir}/conf.d/*.conf; }\n`,
    );
    // stdout is a file, as a container's is a pipe: node's own stdio pipes are sockets, and nginx
    // cannot open /dev/stdout on a socket (ENXIO).
    stdoutFile = path.join(dir, 'stdout.log');
    const out = fs.openSync(stdoutFile, 'a');
    const check = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
    assert.strictEqual(check.status, 0, `nginx -t: ${check.stderr}`);
    nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', out, 'pipe'] });
    fs.closeSync(out);
    nginx.stderr?.on('data', (d) => (stderr += d));
    for (let i = 0; i < 100; i++) {
      try {
        await get(port, '/');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.fail(`nginx did not listen on ${port}: ${stderr}`);
  });

  after(() => {
    nginx?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const stdout = () => fs.readFileSync(stdoutFile, 'utf8');
  const accessLines = () => stdout().split('\n').filter((l) => l.startsWith(`${SERVER_ACCESS_LOG_PREFIX} `));

  it('answers /echo?msg=<nonce> with the nonce', async () => {
    const r = await get(port, `/echo?msg=${NONCE}&i=1`);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.body, `${NONCE}\n`);
  });

  it('refuses a msg that is not nonce-shaped instead of reflecting it, and 404s anything else', async () => {
    const bad = await get(port, '/echo?msg=%3Cscript%3E');
    assert.strictEqual(bad.status, 400);
    assert.doesNotMatch(bad.body, /script/);
    assert.strictEqual((await get(port, '/echo')).status, 400);
    assert.strictEqual((await get(port, '/index.html')).status, 404);
  });

  it('logs one prefixed access line per request, carrying the request line and the header nonce', async () => {
    const before = accessLines().length;
    await get(port, `/echo?msg=${NONCE}&i=7`);
    await new Promise((r) => setTimeout(r, 200)); // nginx writes the log line after the response
    const lines = accessLines();
    assert.strictEqual(lines.length, before + 1, stdout());
    assert.match(lines[lines.length - 1], new RegExp(`^lab-access 127\\.0\\.0\\.1 "GET /echo\\?msg=${NONCE}&i=7 HTTP/1\\.1" 200 17 "${NONCE}"$`));
  });

  it('traffic.sh counts every answer that echoed the nonce', () => {
    // No ICMP here: a stand-in ping answers like iputils (the ping path is tested in scripts.test.ts).
    const r = runWithStandIns(
      'scripts/vm/traffic.sh',
      { ping: 'echo "3 packets transmitted, 3 received, 0% packet loss"' },
      { TARGET_IP: '127.0.0.1', HTTP_PORT: String(port), NONCE, PING_COUNT: '3', HTTP_REQUESTS: '4' },
      { path: 'system' },
    );
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(parseTraffic(r.stdout), { pingTransmitted: 3, pingReceived: 3, httpTotal: 4, httpAnswered: 4, httpEchoed: 4 });
  });

  it('the server pod mounts the ConfigMap over the image\'s conf.d, named by a hash of its content', () => {
    const cm = serverConfigMapSpec(PROOF_NAMESPACE);
    const pod = podSpecs({ namespace: PROOF_NAMESPACE, serverImage: 'nginx', clientImage: 'c', serverNode: 'w2', clientNode: 'w1' }).server;
    const spec = pod.spec as { volumes: { name: string; configMap: { name: string } }[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] };
    const meta = cm.metadata as { name: string };
    assert.strictEqual(spec.volumes[0].configMap.name, meta.name);
    assert.deepStrictEqual(spec.containers[0].volumeMounts.map((m) => [m.name, m.mountPath]), [[spec.volumes[0].name, '/etc/nginx/conf.d']]);
    assert.strictEqual((cm.data as Record<string, string>)['default.conf'], serverNginxConfig());
    assert.notStrictEqual(serverConfigMapName('a'), serverConfigMapName('b'));
    assert.match(meta.name, /^server-nginx-[0-9a-f]{10}$/);
  });
});
