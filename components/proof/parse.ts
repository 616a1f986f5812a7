/**
 * Pure parsers for the key=value output of the scripts under scripts/vm/ (capture-stop.sh,
 * traffic-*.sh, facts.sh); `cilium-dbg encrypt status` is parsed by components/verifier/status/encrypt-status.ts.
 */

/** `a=1\nb=x y\n` -> { a: '1', b: 'x y' }. Lines without `=` are ignored; the last value of a key wins. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) continue;
    out[key] = line.slice(i + 1).trim();
  }
  return out;
}

function int(kv: Record<string, string>, key: string, what: string): number {
  const v = kv[key];
  if (v === undefined || !/^\d+$/.test(v)) {
    throw new Error(`${what}: expected an integer ${key}=N in the script output, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return Number(v);
}

/** tcpdump's own counts, as capture-stop.sh reports them. */
export interface CaptureCounts {
  /** Path of the pcap on the router. */
  file: string;
  /** Size of the pcap in bytes. */
  bytes: number;
  /** "packets captured": written to the file. */
  captured: number;
  /** "packets received by filter". */
  received: number;
  /** "packets dropped by kernel" (buffer overruns: the capture missed packets when > 0). */
  dropped: number;
  /** "packets dropped by interface", when tcpdump prints it. */
  droppedByInterface?: number;
  /** `signal`: stopped by capture-stop.sh; `bound`: tcpdump had already stopped at its packet/time bound. */
  stoppedBy: 'signal' | 'bound';
}

export function parseCaptureStop(stdout: string): CaptureCounts {
  const kv = parseKeyValues(stdout);
  const what = 'capture-stop.sh';
  const stoppedBy = kv.stopped_by === 'bound' ? 'bound' : 'signal';
  const counts: CaptureCounts = {
    file: kv.file ?? '',
    bytes: int(kv, 'bytes', what),
    captured: int(kv, 'captured', what),
    received: int(kv, 'received', what),
    dropped: int(kv, 'dropped', what),
    stoppedBy,
  };
  if (kv.dropped_by_interface !== undefined) counts.droppedByInterface = int(kv, 'dropped_by_interface', what);
  return counts;
}

/** What the client managed to send (traffic.sh). */
export interface TrafficResult {
  pingTransmitted: number;
  pingReceived: number;
  httpTotal: number;
  httpAnswered: number;
  /** Answers whose body was the nonce (the lab's server echoes it back). */
  httpEchoed?: number;
  /** Access-log lines of the server carrying the nonce: one per request that arrived (in a pod only). */
  serverLogHits?: number;
}

export function parseTraffic(stdout: string): TrafficResult {
  const kv = parseKeyValues(stdout);
  const what = 'traffic script';
  const r: TrafficResult = {
    pingTransmitted: int(kv, 'ping_transmitted', what),
    pingReceived: int(kv, 'ping_received', what),
    httpTotal: int(kv, 'http_total', what),
    httpAnswered: int(kv, 'http_answered', what),
  };
  if (kv.http_echoed !== undefined) r.httpEchoed = int(kv, 'http_echoed', what);
  if (kv.server_log_hits !== undefined) r.serverLogHits = int(kv, 'server_log_hits', what);
  return r;
}

/** One node's facts at one moment (facts.sh). No key material. */
export interface NodeSnapshot {
  hostname: string;
  /** Global IPv4 addresses with prefix length (e.g. 192.168.211.128/24). */
  addrs: string[];
  /** The cilium_host interface's IPv4 address, or undefined when the interface has none. */
  ciliumHost?: string;
  xfrmStates: number;
  xfrmPolicies: number;
  /** /proc/net/xfrm_stat counters (all error counters), or undefined when the kernel has no statistics. */
  xfrmStat?: Record<string, number>;
}

export function parseFacts(stdout: string): NodeSnapshot {
  const kv = parseKeyValues(stdout);
  const what = 'facts.sh';
  const snap: NodeSnapshot = {
    hostname: kv.hostname ?? '',
    addrs: (kv.addrs ?? '').split(/\s+/).filter((a) => a !== ''),
    xfrmStates: int(kv, 'xfrm_states', what),
    xfrmPolicies: int(kv, 'xfrm_policies', what),
  };
  if (kv.cilium_host) snap.ciliumHost = kv.cilium_host;
  if (kv.xfrm_stat === 'available') {
    const stat: Record<string, number> = {};
    for (const [k, v] of Object.entries(kv)) {
      if (k.startsWith('xfrm_stat.') && /^\d+$/.test(v)) stat[k.slice('xfrm_stat.'.length)] = Number(v);
    }
    snap.xfrmStat = stat;
  }
  return snap;
}

/** Counters that grew between two /proc/net/xfrm_stat readings: { name: [before, after] }. */
export function xfrmGrowth(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
): Record<string, [number, number]> {
  const grown: Record<string, [number, number]> = {};
  if (!before || !after) return grown;
  for (const [k, a] of Object.entries(after)) {
    const b = before[k] ?? 0;
    if (a > b) grown[k] = [b, a];
  }
  return grown;
}

// The `cilium-dbg encrypt status` parser lives with the verifier (pure, no Pulumi); re-exported here for the lab.
export { parseEncryptStatus } from '../verifier/status/encrypt-status';
export type { EncryptStatus, EncryptionKind, WireguardInterfaceStatus } from '../verifier/status/encrypt-status';
