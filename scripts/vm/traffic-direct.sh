#!/usr/bin/env bash
# Makes the lab's nonce-carrying traffic from THIS machine to TARGET_IP: ICMP echo requests whose payload
# pattern is the nonce (`ping -p`), and HTTP GETs carrying the nonce in the path and a header.
# Generic (no Kubernetes): the VM test suite runs it on a Debian VM; the Kubernetes lab runs the same
# traffic from inside the client pod with traffic-k8s.sh.
# Inputs (environment):
#   TARGET_IP        destination (required)
#   NONCE            exactly 16 characters [A-Za-z0-9-] (16 bytes = the most `ping -p` accepts) (required)
#   PING_COUNT       echo requests (default 10; 0 = none)
#   PING_SIZE        ICMP data bytes (default 64: 16-byte timestamp + at least two whole copies of the nonce)
#   HTTP_REQUESTS    requests (default 5; 0 = none)
#   HTTP_PORT        server port (default 80)
# Output (stdout): key=value lines: ping_transmitted, ping_received, http_total, http_answered.
# Fails when nothing reached the target (no ping reply and no HTTP answer).
set -euo pipefail

die() { echo "traffic-direct: $*" >&2; exit 1; }

target=${TARGET_IP:-}
nonce=${NONCE:-}
ping_count=${PING_COUNT:-10}
ping_size=${PING_SIZE:-64}
http_requests=${HTTP_REQUESTS:-5}
http_port=${HTTP_PORT:-80}
[ -n "$target" ] || die "TARGET_IP is required"
[[ $nonce =~ ^[A-Za-z0-9-]{16}$ ]] || die "NONCE must be exactly 16 characters [A-Za-z0-9-], got '$nonce'"
for v in ping_count ping_size http_requests http_port; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
pattern=$(printf '%s' "$nonce" | od -An -tx1 | tr -d ' \n')

transmitted=0 received=0
if [ "$ping_count" -gt 0 ]; then
  out=$(ping -n -c "$ping_count" -i 0.2 -W 2 -s "$ping_size" -p "$pattern" "$target" 2>&1) || true
  transmitted=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' <<<"$out")
  received=$(sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$out")
  [ -n "$transmitted" ] || die "ping did not run: $out"
fi

ok=0
for i in $(seq 1 "$http_requests"); do
  url="http://$target:$http_port/echo?msg=$nonce&i=$i"
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "X-Lab-Nonce: $nonce" "$url" 2>/dev/null) || code=000
  else
    code=000
    wget -q -T 5 -O /dev/null --header "X-Lab-Nonce: $nonce" "$url" 2>/dev/null && code=200
  fi
  [ "$code" = 000 ] || ok=$((ok + 1)) # any HTTP status: the request reached a server
done

echo "ping_transmitted=$transmitted"
echo "ping_received=${received:-0}"
echo "http_total=$http_requests"
echo "http_answered=$ok"
if [ "${received:-0}" -eq 0 ] && [ "$ok" -eq 0 ] && [ $((ping_count + http_requests)) -gt 0 ]; then
  die "no traffic reached $target (no ping reply, no HTTP answer)"
fi
