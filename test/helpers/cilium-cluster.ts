/**
 * A stand-in Cilium cluster for the scripts that ask it from the control-plane through kubectl
 * (scripts/vm/ipsec-wait.sh, wireguard-wait.sh, facts-cilium.sh): kubectl answers from files the test
 * writes per node under a directory handed to the stand-ins as $FAKE, and `cilium-dbg encrypt status`
 * in an agent is a stand-in that prints what cilium-dbg prints.
 *
 * Per node N, in $FAKE:
 *   N.addr        `ip -4 -o addr show` in N's agent; its presence means N has a Running agent pod
 *   N.xfrm.K      `ip xfrm state` at the K-th reading (1: the wait's baseline); N.xfrm answers the rest
 *   N.mode        the agent's encryption mode (IPsec, Wireguard, Disabled; default IPsec)
 *   N.xfrm_stat   /proc/net/xfrm_stat of N (counters since boot: nothing here ever lowers them)
 *   N.drops.K     "COUNTER STEP" lines: the kernel dropping packets, the K-th reading of the status first
 *                 raises COUNTER by STEP in N.xfrm_stat; N.drops (when present) at every other reading
 *   N.wg          "IFACE PUBLIC_KEY PEERS" lines, the agent's WireGuard devices
 *   N.status      a recorded `cilium-dbg encrypt status` text, served as it is (another release's form)
 */
import * as fs from 'fs';
import * as path from 'path';
import { kubectlStandIn, type StandIns } from './stand-ins';

/**
 * The counters cilium-dbg adds up: the fields of procfs's XfrmStat (github.com/prometheus/procfs v0.17.0
 * net_xfrm.go, the version cilium v1.18.4's go.mod pins), in /proc/net/xfrm_stat's order. Newer kernels
 * list more (XfrmOutStateDirError, ...), which cilium-dbg does not see.
 */
export const XFRM_STAT_COUNTERS = [
  'XfrmInError', 'XfrmInBufferError', 'XfrmInHdrError', 'XfrmInNoStates', 'XfrmInStateProtoError', 'XfrmInStateModeError',
  'XfrmInStateSeqError', 'XfrmInStateExpired', 'XfrmInStateMismatch', 'XfrmInStateInvalid', 'XfrmInTmplMismatch', 'XfrmInNoPols',
  'XfrmInPolBlock', 'XfrmInPolError', 'XfrmOutError', 'XfrmOutBundleGenError', 'XfrmOutBundleCheckError', 'XfrmOutNoStates',
  'XfrmOutStateProtoError', 'XfrmOutStateModeError', 'XfrmOutStateSeqError', 'XfrmOutStateExpired', 'XfrmOutPolBlock',
  'XfrmOutPolDead', 'XfrmOutPolError', 'XfrmFwdHdrError', 'XfrmOutStateInvalid', 'XfrmAcquireError',
] as const;

/** /proc/net/xfrm_stat as the kernel writes it (net/xfrm/xfrm_proc.c: "%-24s\t%lu\n" per counter). */
export function xfrmStatText(counters: Record<string, number> = {}): string {
  return XFRM_STAT_COUNTERS.map((c) => `${c.padEnd(24)}\t${counters[c] ?? 0}\n`).join('');
}

/** /proc/net/xfrm_stat read back. */
export function readXfrmStat(text: string): Record<string, number> {
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split(/\s+/)).map(([k, v]) => [k, Number(v)]));
}

/**
 * `cilium-dbg encrypt status` as cilium/cilium v1.18.4 cilium-dbg/cmd/encrypt_status.go prints it:
 * getEncryptionStatus asks the agent for its mode; for IPsec, dumpIPsecStatus counts the distinct keys of
 * the node's xfrm states (pkg/common/ipsec CountUniqueIPsecKeys: one per AEAD key), takes the highest
 * `oseq` of `ip xfrm state list reqid 1` ("N/A" when 0, else 0x%x/0xffffffffffffffff) and adds up
 * /proc/net/xfrm_stat (getXfrmStats); printEncryptionStatus then prints "Encryption: %-26s",
 * "Decryption interface(s): %s", "Keys in use: %-26d", "Max Seq. Number: %s", "Errors: %-26d" and
 * "\t%s: %-26d" per counter that is not 0; for WireGuard "Interface: %s", "\tPublic key: %s",
 * "\tNumber of peers: %d" per device the agent reports; for Disabled only the first line.
 */
export const CILIUM_DBG_STAND_IN = [
  '[ "$*" = "encrypt status" ] || { echo "unexpected cilium-dbg $*" >&2; exit 9; }',
  'f=$FAKE/$NODE',
  'if [ -e "$f.status" ]; then cat "$f.status"; exit 0; fi',
  'mode=$(cat "$f.mode" 2>/dev/null || echo IPsec)',
  'printf "Encryption: %-26s\\n" "$mode"',
  'case $mode in',
  '  IPsec)',
  '    k=$(($(cat "$f.status.n" 2>/dev/null || echo 0) + 1)); echo "$k" >"$f.status.n"',
  '    d=$f.drops.$k; [ -e "$d" ] || d=$f.drops',
  '    if [ -e "$d" ]; then',
  '      awk \'NR == FNR { step[$1] = $2; next } { if ($1 in step) $2 += step[$1]; printf "%-24s\\t%d\\n", $1, $2 }\' "$d" "$f.xfrm_stat" >"$f.xfrm_stat.new"',
  '      mv "$f.xfrm_stat.new" "$f.xfrm_stat"',
  '    fi',
  '    states=$f.xfrm.last; [ -e "$states" ] || states=$f.xfrm',
  '    keys=$(awk \'$1 == "aead" { print $3 }\' "$states" 2>/dev/null | sort -u | wc -l)',
  '    max=0',
  '    for o in $(grep -o "oseq 0x[0-9a-fA-F]*" "$states" 2>/dev/null | cut -d" " -f2); do [ $((o)) -le "$max" ] || max=$((o)); done',
  '    if [ "$max" -eq 0 ]; then seqmax=N/A; else seqmax=$(printf "0x%x/0xffffffffffffffff" "$max"); fi',
  '    printf "Decryption interface(s): %s\\n" eth0',
  '    printf "Keys in use: %-26d\\n" "$keys"',
  '    printf "Max Seq. Number: %s\\n" "$seqmax"',
  `    known=" ${XFRM_STAT_COUNTERS.join(' ')} "`,
  '    sum=0; lines=""',
  '    while read -r c v; do',
  '      [[ $known == *" $c "* ]] && [ "$v" -gt 0 ] || continue',
  '      sum=$((sum + v)); lines+=$(printf "\\t%s: %-26d" "$c" "$v")$\'\\n\'',
  '    done <"$f.xfrm_stat"',
  '    printf "Errors: %-26d\\n" "$sum"',
  '    printf "%s" "$lines" ;;',
  '  Wireguard)',
  '    while read -r i k p; do printf "Interface: %s\\n\\tPublic key: %s\\n\\tNumber of peers: %d\\n" "$i" "$k" "$p"; done <"$f.wg" ;;',
  'esac',
];

/**
 * kubectl for the agent pods: each node with an agent lists a terminating one first (a rollout), then
 * the Running one (a script must never ask the terminating one: exec into it fails). `ip` and
 * `cilium-dbg` in the agent answer from the node's files.
 */
export const CILIUM_KUBECTL_CASES = [
  '*"get pods -l k8s-app=cilium --field-selector spec.nodeName="*)',
  '    n=${args#*spec.nodeName=}; n=${n%% *}',
  '    [ -e "$FAKE/$n.addr" ] || exit 0',
  '    printf "cilium-gone-%s Running 2026-01-01T00:00:00Z\\ncilium-%s Running \\n" "$n" "$n" ;;',
  '*"exec cilium-gone-"*) echo "stand-in: exec into a terminating pod" >&2; exit 7 ;;',
  '*"exec cilium-"*" -c cilium-agent -- ip -4 -o addr show"*) p=${args#*exec cilium-}; cat "$FAKE/${p%% *}.addr" ;;',
  '*"exec cilium-"*" -c cilium-agent -- ip xfrm state"*)',
  '    p=${args#*exec cilium-}; f=$FAKE/${p%% *}',
  '    k=$(($(cat "$f.xfrm.n" 2>/dev/null || echo 0) + 1)); echo "$k" >"$f.xfrm.n"',
  '    if [ -e "$f.xfrm.$k" ]; then cp "$f.xfrm.$k" "$f.xfrm.last"; else cp "$f.xfrm" "$f.xfrm.last"; fi',
  '    cat "$f.xfrm.last" ;;',
  '*"exec cilium-"*" -c cilium-agent -- cilium-dbg "*) p=${args#*exec cilium-}; NODE=${p%% *} cilium-dbg "${@: -2}" ;;',
];

/** Adds the stand-in kubectl (these cases first, then the agent's) and cilium-dbg to `s`. */
export function addCiliumStandIns(s: StandIns, extraCases: string[] = []): void {
  s.add('kubectl', kubectlStandIn([...extraCases, ...CILIUM_KUBECTL_CASES]));
  s.add('cilium-dbg', CILIUM_DBG_STAND_IN);
}

export interface FakeNode {
  /** IPv4 addresses as the agent's `ip -4 -o addr show` lists them (eth0, then cilium_host); absent: no agent pod. */
  addrs?: string[];
  /** `ip xfrm state` at each reading in turn; the last answers every later reading. */
  xfrm?: string[];
  mode?: 'IPsec' | 'Wireguard' | 'Disabled';
  /** /proc/net/xfrm_stat counters that are not 0. */
  counters?: Record<string, number>;
  /** Counters the kernel raises: STEP added at every reading of the encrypt status. */
  drops?: Record<string, number>;
  /** The same for the K-th reading only (index 0: the first), instead of `drops`. */
  dropsAt?: Record<string, number>[];
  wireguard?: { iface: string; publicKey: string; peers: number }[];
  /** A recorded encrypt status text, served as it is. */
  status?: string;
}

/** Writes a cluster's files into `dir` (created), one set per node. */
export function writeCluster(dir: string, nodes: Record<string, FakeNode>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [n, node] of Object.entries(nodes)) {
    const f = (ext: string) => path.join(dir, `${n}.${ext}`);
    if (node.addrs) {
      const ifs = ['eth0', 'cilium_host'];
      const lines = node.addrs.map((a, i) => `${i + 2}: ${ifs[i] ?? `eth${i}`}    inet ${a}/${i ? 32 : 24} scope ${i ? 'link' : 'global'} ${ifs[i] ?? `eth${i}`}\\       valid_lft forever preferred_lft forever`);
      fs.writeFileSync(f('addr'), ['1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever', ...lines].join('\n') + '\n');
    }
    const readings = node.xfrm ?? [''];
    readings.forEach((t, i) => fs.writeFileSync(f(`xfrm.${i + 1}`), t));
    fs.writeFileSync(f('xfrm'), readings[readings.length - 1]);
    fs.writeFileSync(f('mode'), `${node.mode ?? 'IPsec'}\n`);
    fs.writeFileSync(f('xfrm_stat'), xfrmStatText(node.counters));
    const steps = (d: Record<string, number>) => Object.entries(d).map(([c, s]) => `${c} ${s}\n`).join('');
    if (node.drops) fs.writeFileSync(f('drops'), steps(node.drops));
    (node.dropsAt ?? []).forEach((d, i) => fs.writeFileSync(f(`drops.${i + 1}`), steps(d)));
    if (node.wireguard) fs.writeFileSync(f('wg'), node.wireguard.map((w) => `${w.iface} ${w.publicKey} ${w.peers}\n`).join(''));
    if (node.status !== undefined) fs.writeFileSync(f('status'), node.status);
  }
  return dir;
}

/** Raises a node's counters by `by` (packets the kernel dropped between two runs; they stay counted). */
export function dropPackets(dir: string, node: string, by: Record<string, number>): void {
  const file = path.join(dir, `${node}.xfrm_stat`);
  const now = readXfrmStat(fs.readFileSync(file, 'utf8'));
  for (const [c, n] of Object.entries(by)) now[c] = (now[c] ?? 0) + n;
  fs.writeFileSync(file, xfrmStatText(now));
}
