#!/usr/bin/env bash
# Stops a capture started by capture-start.sh with SIGINT (tcpdump then flushes the file and prints its
# own counts) and reports those counts. Generic: no Kubernetes, no lab names.
# Inputs (environment):
#   CAPTURE_FILE   the pcap path given to capture-start.sh (required)
#   STOP_TIMEOUT   seconds to wait for tcpdump to exit after SIGINT (default 30)
#   STOP_SETTLE    seconds to wait before SIGINT so the kernel hands over the last packets (default 2;
#                  tcpdump's capture ring delivers within 1 s)
# Output (stdout), key=value lines:
#   file, bytes (size of the pcap), captured, received (by filter), dropped (by kernel),
#   dropped_by_interface (when tcpdump prints it), stopped_by (signal | bound: tcpdump had already
#   stopped at its packet or time bound before this script ran).
# The pcap is made world-readable so the fetch can copy it as an unprivileged user.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

file=${CAPTURE_FILE:-}
stop_timeout=${STOP_TIMEOUT:-30}
settle=${STOP_SETTLE:-2}
require_env CAPTURE_FILE
require_uint STOP_TIMEOUT "$stop_timeout"
require_uint STOP_SETTLE "$settle"
pidfile="$file.pid"
log="$file.log"
[ -f "$log" ] || die "no capture log $log: was capture-start.sh run with CAPTURE_FILE=$file?"

stopped_by=bound
pid=$(cat "$pidfile" 2>/dev/null || true)
if running "$pid"; then
  stopped_by=signal
  sleep "$settle"
  if ! stop_pid "$pid" "$stop_timeout"; then
    as_root kill -KILL "$pid" 2>/dev/null || true
    die "tcpdump (pid $pid) did not exit within ${stop_timeout}s of SIGINT; killed it"
  fi
fi
as_root rm -f "$pidfile"

count() { # count "packets captured" -> the number before it in tcpdump's summary, or empty
  sed -n "s/^\([0-9][0-9]*\) $1\$/\1/p" "$log" | tail -n 1
}
captured=$(count 'packets captured')
received=$(count 'packets received by filter')
dropped=$(count 'packets dropped by kernel')
dropped_if=$(count 'packets dropped by interface')
if [ -z "$captured" ] || [ -z "$received" ] || [ -z "$dropped" ]; then
  die "tcpdump did not print its packet counts; its log says: $(tail -n 5 "$log" | tr '\n' ' ')"
fi
[ -f "$file" ] || die "tcpdump reported $captured packets but $file does not exist"
as_root chmod 0644 "$file"

echo "file=$file"
echo "bytes=$(stat -c %s "$file")"
echo "captured=$captured"
echo "received=$received"
echo "dropped=$dropped"
[ -z "$dropped_if" ] || echo "dropped_by_interface=$dropped_if"
echo "stopped_by=$stopped_by"
