#!/usr/bin/env bash
# Starts tcpdump in the background on this machine (the lab router) and returns once tcpdump is really
# capturing ("listening on IFACE" in its log), as cilium-cli's sniffer does: a capture that never started
# must fail here, not read later as "no cleartext seen".
#
# Generic: no Kubernetes, no lab names. Used by the Pulumi program (components/proof/capture.ts) and by
# the VM test suite. Inputs (environment):
#   CAPTURE_INTERFACE    interface to capture on (required), e.g. seg1, or any (Linux cooked capture)
#   CAPTURE_FILE         absolute path of the pcap to write (required; should end in .pcap for AppArmor)
#   CAPTURE_FILTER       optional BPF filter expression (default: none, everything on the interface)
#   CAPTURE_MAX_PACKETS  bound: tcpdump stops after this many packets (default 200000)
#   CAPTURE_MAX_SECONDS  bound: tcpdump is interrupted after this many seconds (default 900)
#   CAPTURE_SNAPLEN      bytes kept per packet, 0 = whole packet (default 0)
#   START_TIMEOUT        seconds to wait for "listening on" (default 30)
#   CAPTURE_BUFFER_KIB   kernel capture buffer, KiB (default 32768)
# State next to the capture: FILE.pid (pid of the timeout wrapper, which forwards SIGINT to tcpdump) and
# FILE.log (tcpdump's stderr: "listening on", and the packet counts when it stops).
# Output (stdout): key=value lines: interface, file, pid, started.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

iface=${CAPTURE_INTERFACE:-}
file=${CAPTURE_FILE:-}
filter=${CAPTURE_FILTER:-}
max_packets=${CAPTURE_MAX_PACKETS:-200000}
max_seconds=${CAPTURE_MAX_SECONDS:-900}
snaplen=${CAPTURE_SNAPLEN:-0}
start_timeout=${START_TIMEOUT:-30}
buffer_kib=${CAPTURE_BUFFER_KIB:-32768}

require_env CAPTURE_INTERFACE CAPTURE_FILE
[[ $file == /* ]] || die "CAPTURE_FILE must be an absolute path, got '$file'"
require_uint CAPTURE_MAX_PACKETS "$max_packets"
require_uint CAPTURE_MAX_SECONDS "$max_seconds"
require_uint CAPTURE_SNAPLEN "$snaplen"
require_uint START_TIMEOUT "$start_timeout"
require_uint CAPTURE_BUFFER_KIB "$buffer_kib"
[ "$max_packets" -gt 0 ] || die "CAPTURE_MAX_PACKETS must be > 0"
[ "$max_seconds" -gt 0 ] || die "CAPTURE_MAX_SECONDS must be > 0"
command -v tcpdump >/dev/null 2>&1 || die "tcpdump is not installed on $(hostname)"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is not installed on $(hostname)"
# "any" is tcpdump's pseudo-device (Linux cooked capture of every interface), not a /sys entry.
if [ "$iface" != any ] && [ ! -e "/sys/class/net/$iface" ]; then
  die "no interface '$iface' on $(hostname) (interfaces: $(cd /sys/class/net && echo *))"
fi

pidfile="$file.pid"
log="$file.log"
as_root mkdir -p "$(dirname "$file")"

# A capture still running for this file (a retried create): stop it; its file is replaced.
old=$(cat "$pidfile" 2>/dev/null || true)
stop_pid "$old" 10 || true
as_root rm -f "$file" "$log" "$pidfile"

# -Z root: Debian's tcpdump drops to user "tcpdump" before opening the -w file otherwise.
# -U: write each packet to the file as soon as tcpdump gets it. -B: a 32 MiB kernel buffer, so bursts are not
# dropped (no --immediate-mode: its ring has one snaplen-sized slot per packet, about 8 slots at the default
# size; the default block ring hands packets over within 1 s, which capture-stop.sh waits out before SIGINT).
args=(-i "$iface" -nn -U -B "$buffer_kib" -Z root -s "$snaplen" -c "$max_packets" -w "$file")
[ -z "$filter" ] || args+=("$filter")
# shellcheck disable=SC2016 # $1.. are expanded by the inner root shell
as_root setsid sh -c 'pidfile=$1 log=$2; shift 2; echo $$ >"$pidfile"; exec "$@" </dev/null >"$log" 2>&1' \
  capture-start "$pidfile" "$log" timeout -s INT "$max_seconds" tcpdump "${args[@]}" \
  </dev/null >/dev/null 2>&1 &

pid=
listening() {
  [ -n "$pid" ] || pid=$(cat "$pidfile" 2>/dev/null || true)
  grep -q 'listening on' "$log" 2>/dev/null && return 0
  last=$(tail -n 5 "$log" 2>/dev/null | tr '\n' ' ')
  if [ -n "$pid" ] && ! running "$pid"; then
    die "tcpdump exited before it was listening on $iface: $last"
  fi
  return 1
}
if ! wait_for "$start_timeout" 0.2 "tcpdump to report 'listening on $iface'" listening; then
  [ -z "$pid" ] || as_root kill -INT "$pid" 2>/dev/null || true
  exit 1
fi
# Anything unexpected on stderr besides the banner (cilium-cli fails on it too) is worth seeing.
grep -v -e 'listening on' -e 'verbose output suppressed' "$log" >&2 || true

echo "interface=$iface"
echo "file=$file"
echo "pid=$pid"
echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
