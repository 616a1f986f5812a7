/**
 * scripts/vm/traffic-window.sh run for real: a stand-in kubectl runs the `exec POD -- CMD` part on this
 * machine (as if this machine were the client pod), with stand-ins for ping (prints a reply per interval,
 * its statistics on SIGINT, like iputils) and curl (answers 200, or fails while a marker file exists).
 * Checked: start returns while both loops keep running, stop after SETTLE_SECONDS ends them and counts
 * what was sent and answered (pings lost included); bad inputs are named before kubectl runs.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { kubectlStandIn, StandIns } from '../helpers/stand-ins';

const SCRIPT = 'scripts/vm/traffic-window.sh';
const NONCE = 'lab-w1nd0wn0nce7';

describe('traffic-window.sh (stand-in kubectl, ping and curl)', function () {
  this.timeout(60000);
  const s = new StandIns('traffic-window-');
  const dir = s.dir;
  const log = () => s.file('calls.log');

  before(() => {
    s.add('kubectl', [
      'printf "kubectl %s\\n" "$*" >>"$CALLS"',
      ...kubectlStandIn([
        '*"get pod server -o jsonpath={.status.podIP}"*) echo 10.0.2.187 ;;',
        '*" exec client -- "*) while [ "$1" != -- ]; do shift; done; shift; exec "$@" ;;',
      ]),
    ]);
    // iputils-like for `-c N -i S`: N requests S apart (every third unanswered while LOSS is set), then the statistics.
    s.add('ping', [
      'printf "ping %s\\n" "$*" >>"$CALLS"',
      'count=1; while [ $# -gt 0 ]; do [ "$1" = -c ] && count=$2; shift; done',
      'rx=0; for s in $(seq 1 "$count"); do seq=$((${PING_SEQ:-0} + s)); if [ -n "${LOSS:-}" ] && [ $(( ($RANDOM + s) % 3)) = 0 ]; then :; else rx=$((rx + 1)); echo "64 bytes from 10.0.2.187: icmp_seq=$s"; fi; sleep 0.1; done',
      'echo; echo "--- 10.0.2.187 ping statistics ---"; echo "$count packets transmitted, $rx received, 0% packet loss, time 1ms"',
    ]);
    s.add('curl', ['printf "curl %s\\n" "$*" >>"$CALLS"', '[ -e "$CURL_DOWN" ] && { echo 000; exit 7; }', 'echo 200']);
  });
  after(() => s.remove());

  const base = { NAMESPACE: 'lab-proof', CLIENT_POD: 'client', SERVER_POD: 'server' };
  const run = (env: Record<string, string>) => s.run(SCRIPT, { CALLS: log(), CURL_DOWN: path.join(dir, 'curl-down'), WINDOW_DIR: dir, ...base, ...env });

  it('keeps ping and HTTP going between start and stop, then reports sent, answered and lost', () => {
    const tag = 'rot1';
    const start = run({ ACTION: 'start', NONCE, TAG: tag, PING_INTERVAL: '0.1', HTTP_INTERVAL: '0', LOSS: '1' });
    assert.strictEqual(start.code, 0, start.stderr);
    assert.match(start.stdout, /^target=10\.0\.2\.187\nstarted=\d+\n$/);
    // The window runs on after start returned: an outage in the middle is counted, not hidden.
    spawnSync('sleep', ['0.6']);
    fs.writeFileSync(path.join(dir, 'curl-down'), '');
    spawnSync('sleep', ['0.4']);
    fs.rmSync(path.join(dir, 'curl-down'));
    const stop = run({ ACTION: 'stop', TAG: tag, SETTLE_SECONDS: '1' });
    assert.strictEqual(stop.code, 0, stop.stderr);
    const kv = Object.fromEntries(stop.stdout.trim().split('\n').map((l) => l.split('=')));
    const n = (k: string) => Number(kv[k]);
    assert.ok(n('ping_transmitted') >= 10, stop.stdout);
    assert.strictEqual(n('ping_lost'), n('ping_transmitted') - n('ping_received'));
    assert.ok(n('ping_lost') >= 1 && n('ping_received') >= 1, `some pings are lost: ${stop.stdout}`);
    assert.ok(n('http_total') > n('http_answered') && n('http_answered') > 0, stop.stdout);
    const calls = fs.readFileSync(log(), 'utf8');
    assert.match(calls, new RegExp(`ping -n -c 5 -i 0\\.1 -W 1 -s 64 -p ${Buffer.from(NONCE).toString('hex')} 10\\.0\\.2\\.187`));
    assert.match(calls, new RegExp(`curl -sS -m 2 -o /dev/null -w %\\{http_code\\} -H X-Lab-Nonce: ${NONCE} http://10\\.0\\.2\\.187:80/echo\\?msg=${NONCE}&i=1`));
    // Both loops are gone after stop: nothing more is sent.
    const before = calls.split('\n').length;
    spawnSync('sleep', ['0.5']);
    assert.strictEqual(fs.readFileSync(log(), 'utf8').split('\n').length, before, 'no traffic after stop');
  });

  it('stop without a started window fails clearly', () => {
    const r = run({ ACTION: 'stop', TAG: 'never' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /^traffic-window: ping in pod client left no statistics \(was the window started\?\)/);
  });

  it('names bad inputs before calling kubectl', () => {
    fs.rmSync(log(), { force: true });
    for (const [env, msg] of [
      [{ ACTION: 'go' }, /ACTION must be start or stop, got 'go'/],
      [{ ACTION: 'start', NONCE: 'short' }, /NONCE must be exactly 16 characters/],
      [{ ACTION: 'start', NONCE, CLIENT_POD: '' }, /CLIENT_POD is required/],
      [{ ACTION: 'stop', SETTLE_SECONDS: 'a while' }, /SETTLE_SECONDS must be a non-negative integer, got 'a while'/],
    ] as [Record<string, string>, RegExp][]) {
      const r = run(env);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, msg);
    }
    assert.ok(!fs.existsSync(log()), 'kubectl never ran');
  });
});
