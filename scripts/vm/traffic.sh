#!/usr/bin/env bash
# Makes the lab's nonce-carrying traffic to TARGET_IP: ICMP echo requests whose payload pattern is the
# nonce (`ping -p`, iputils), then HTTP GETs with the nonce in the path (/echo?msg=NONCE) and in an
# X-Lab-Nonce header. Any HTTP status counts as an answer; an answer whose body is the nonce counts as
# an echo (the lab's server returns it, so the nonce crosses the capture point in both directions).
#
# One script for both places the traffic starts from, so both send exactly the same packets:
#   - this machine (no Kubernetes): the VM suite runs it inside a pod network namespace on a Debian VM;
#   - a pod, when CLIENT_POD is set: the Kubernetes lab runs it on the control-plane (kubectl with the
#     kubeadm admin kubeconfig), waits for both pods to be Ready, execs ping and curl in the client pod,
#     and counts the server's access-log lines that carry the nonce (the requests really arrived).
# Inputs (environment):
#   TARGET_IP        destination, the server (pod) IP (required)
#   NONCE            exactly 16 characters [A-Za-z0-9-] (16 bytes = the most `ping -p` accepts) (required)
#   PING_COUNT (10; 0 = none), PING_SIZE (64: 16-byte timestamp + two whole copies of the nonce),
#   HTTP_REQUESTS (5; 0 = none), HTTP_PORT (80)
#   In a pod: CLIENT_POD, SERVER_POD, NAMESPACE, SERVER_LOG_PREFIX (all four; the first word of the
#   server's access-log lines: `kubectl logs` merges stdout and stderr, and nginx's error log repeats a
#   failed request's line, so only lines with this prefix are counted), KUBECONFIG (default
#   /etc/kubernetes/admin.conf), WAIT_TIMEOUT (seconds for both pods to be Ready, default 180)
# Output (stdout): key=value lines: ping_transmitted, ping_received, http_total, http_answered,
# http_echoed, and in a pod server_log_hits.
# Fails when nothing reached the target: a capture of no traffic proves nothing.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target=${TARGET_IP:-}
nonce=${NONCE:-}
ping_count=${PING_COUNT:-10}
ping_size=${PING_SIZE:-64}
http_requests=${HTTP_REQUESTS:-5}
http_port=${HTTP_PORT:-80}
client=${CLIENT_POD:-}
server=${SERVER_POD:-}
ns=${NAMESPACE:-}
log_prefix=${SERVER_LOG_PREFIX:-}
wait_timeout=${WAIT_TIMEOUT:-180}
require_env TARGET_IP
[[ $nonce =~ ^[A-Za-z0-9-]{16}$ ]] || die "NONCE must be exactly 16 characters [A-Za-z0-9-], got '$nonce'"
require_uint PING_COUNT "$ping_count"
require_uint PING_SIZE "$ping_size"
require_uint HTTP_REQUESTS "$http_requests"
require_uint HTTP_PORT "$http_port"
require_uint WAIT_TIMEOUT "$wait_timeout"
pattern=$(printf '%s' "$nonce" | od -An -tx1 | tr -d ' \n')

if [ -n "$client" ]; then
  require_env -w "with CLIENT_POD" SERVER_POD NAMESPACE SERVER_LOG_PREFIX
  require_commands kubectl
  # Runs a command where the traffic starts: in the client pod.
  from() { kc "$ns" exec "$client" -- "$@"; }
  source_name="pod $client"
  pods() { kc "$ns" get pods -o wide 2>&1 | tr '\n' ';'; }
  kc "$ns" wait --for=condition=Ready "pod/$client" "pod/$server" --timeout="${wait_timeout}s" >/dev/null ||
    die "pods $client and $server in $ns were not Ready within ${wait_timeout}s: $(pods)"
else
  from() { "$@"; }
  source_name=$(hostname)
fi

transmitted=0 received=0
if [ "$ping_count" -gt 0 ]; then
  out=$(from ping -n -c "$ping_count" -i 0.2 -W 2 -s "$ping_size" -p "$pattern" "$target" 2>&1) || true
  transmitted=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' <<<"$out")
  received=$(sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$out")
  [ -n "$transmitted" ] || die "ping in $source_name did not run (is iputils ping there?): $out"
fi

ok=0 echoed=0
for i in $(seq 1 "$http_requests"); do
  url="http://$target:$http_port/echo?msg=$nonce&i=$i"
  body=''
  if [ -n "$client" ] || command -v curl >/dev/null 2>&1; then
    # The body, then the status on a line of its own (curl prints 000 when no server answered).
    resp=$(from curl -sS -m 5 -w '\n%{http_code}' -H "X-Lab-Nonce: $nonce" "$url" 2>/dev/null) || resp=$'\n000'
    code=${resp##*$'\n'}
    body=${resp%$'\n'*}
  else
    code=000
    body=$(wget -q -T 5 -O - --header "X-Lab-Nonce: $nonce" "$url" 2>/dev/null) && code=200
  fi
  [ "$code" = 000 ] || ok=$((ok + 1)) # any HTTP status: the request reached a server
  [ "${body%$'\n'}" != "$nonce" ] || echoed=$((echoed + 1))
done

echo "ping_transmitted=$transmitted"
echo "ping_received=${received:-0}"
echo "http_total=$http_requests"
echo "http_answered=$ok"
echo "http_echoed=$echoed"
if [ -n "$client" ]; then
  # A failed `kubectl logs` is an error, not "no request arrived".
  server_log=$(kc "$ns" logs "$server" 2>&1) || die "kubectl logs $server in $ns failed: $server_log"
  # Lines that start with the prefix and hold the nonce; index() compares plain text, not patterns.
  hits=$(awk -v p="$log_prefix " -v n="$nonce" 'index($0, p) == 1 && index($0, n) { c++ } END { print c + 0 }' <<<"$server_log")
  echo "server_log_hits=$hits"
fi
if [ "${received:-0}" -eq 0 ] && [ "$ok" -eq 0 ] && [ $((ping_count + http_requests)) -gt 0 ]; then
  die "no traffic from $source_name reached $target (no ping reply, no HTTP answer)${client:+; pods: $(pods)}"
fi
