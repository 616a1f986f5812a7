#!/usr/bin/env bash
# Makes the lab's nonce-carrying pod-to-pod traffic. Runs on the control-plane node (kubectl with the
# kubeadm admin kubeconfig) and execs into the client pod: ICMP echo requests to the server pod whose
# payload pattern is the nonce (`ping -p`, iputils), then HTTP GETs with the nonce in the path
# (/echo?msg=NONCE: the server's access log records the request line; any HTTP status counts as an
# answer) and in an X-Lab-Nonce header.
# Inputs (environment):
#   NAMESPACE, CLIENT_POD, SERVER_POD   the workloads (required)
#   SERVER_IP                           the server pod's IP (required)
#   NONCE                               exactly 16 characters [A-Za-z0-9-] (required)
#   PING_COUNT (10), PING_SIZE (64), HTTP_REQUESTS (5), HTTP_PORT (80)
#   KUBECONFIG                          default /etc/kubernetes/admin.conf
#   WAIT_TIMEOUT                        seconds to wait for both pods to be Ready (default 180)
# Output (stdout): key=value lines: ping_transmitted, ping_received, http_total, http_answered,
# server_log_hits (lines of the server's log carrying the nonce: the requests really arrived).
# Fails when nothing reached the server: a capture of no traffic proves nothing.
set -euo pipefail

die() { echo "traffic-k8s: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

ns=${NAMESPACE:-}
client=${CLIENT_POD:-}
server=${SERVER_POD:-}
server_ip=${SERVER_IP:-}
nonce=${NONCE:-}
ping_count=${PING_COUNT:-10}
ping_size=${PING_SIZE:-64}
http_requests=${HTTP_REQUESTS:-5}
http_port=${HTTP_PORT:-80}
wait_timeout=${WAIT_TIMEOUT:-180}
kubeconfig=${KUBECONFIG:-/etc/kubernetes/admin.conf}
for v in ns client server server_ip; do [ -n "${!v}" ] || die "$v is required (see the header of this script)"; done
[[ $nonce =~ ^[A-Za-z0-9-]{16}$ ]] || die "NONCE must be exactly 16 characters [A-Za-z0-9-], got '$nonce'"
for v in ping_count ping_size http_requests http_port wait_timeout; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed on $(hostname)"
kc() { as_root env KUBECONFIG="$kubeconfig" kubectl -n "$ns" "$@"; }
pattern=$(printf '%s' "$nonce" | od -An -tx1 | tr -d ' \n')

kc wait --for=condition=Ready "pod/$client" "pod/$server" --timeout="${wait_timeout}s" >/dev/null ||
  die "pods $client and $server in $ns were not Ready within ${wait_timeout}s: $(kc get pods -o wide 2>&1 | tr '\n' ';')"

transmitted=0 received=0
if [ "$ping_count" -gt 0 ]; then
  out=$(kc exec "$client" -- ping -n -c "$ping_count" -i 0.2 -W 2 -s "$ping_size" -p "$pattern" "$server_ip" 2>&1) || true
  transmitted=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' <<<"$out")
  received=$(sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$out")
  [ -n "$transmitted" ] || die "ping in pod $client did not run (does the image have iputils ping?): $out"
fi

ok=0
for i in $(seq 1 "$http_requests"); do
  url="http://$server_ip:$http_port/echo?msg=$nonce&i=$i"
  code=$(kc exec "$client" -- curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "X-Lab-Nonce: $nonce" "$url" 2>/dev/null) ||
    code=000
  [ "$code" = 000 ] || ok=$((ok + 1)) # any HTTP status: the request reached a server
done
hits=$(kc logs "$server" 2>/dev/null | grep -c -- "$nonce" || true)

echo "ping_transmitted=$transmitted"
echo "ping_received=${received:-0}"
echo "http_total=$http_requests"
echo "http_answered=$ok"
echo "server_log_hits=${hits:-0}"
if [ "${received:-0}" -eq 0 ] && [ "$ok" -eq 0 ] && [ $((ping_count + http_requests)) -gt 0 ]; then
  die "no traffic from $client reached $server_ip (no ping reply, no HTTP answer); pods: $(kc get pods -o wide 2>&1 | tr '\n' ';')"
fi
