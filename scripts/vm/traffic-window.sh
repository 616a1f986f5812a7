#!/usr/bin/env bash
# Continuous nonce-carrying traffic from the client pod to the server pod for a window whose length is not
# known in advance (a key rotation: from before the Secret changes until the agents run on the new key
# for a while). `start` leaves two loops running INSIDE the client pod, writing to files there: ping at a
# steady rate with the nonce as its pattern (bounded by MAX_SECONDS, so it never runs away), and one HTTP
# GET with the nonce per HTTP_INTERVAL. `stop` first waits SETTLE_SECONDS (traffic goes on), then ends
# both loops at a marker file and reports the counts.
# Runs on the control-plane (kubectl with the kubeadm admin kubeconfig).
# Inputs (environment):
#   ACTION           start | stop (required)
#   NAMESPACE, CLIENT_POD, SERVER_POD (required), NONCE (16 characters [A-Za-z0-9-], required for start)
#   TAG              names the files in the pod (default window); PING_INTERVAL (0.2), HTTP_INTERVAL (1),
#   HTTP_PORT (80), MAX_SECONDS (900), SETTLE_SECONDS (stop; default 0), KUBECONFIG (admin.conf),
#   WINDOW_DIR (directory in the pod for the loops' files, default /tmp)
# Output (stdout): start: target=IP, started=EPOCH; stop: ping_transmitted, ping_received, ping_lost,
#   http_total, http_answered, stopped=EPOCH.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action=${ACTION:-}
ns=${NAMESPACE:-}
client=${CLIENT_POD:-}
server=${SERVER_POD:-}
nonce=${NONCE:-}
tag=${TAG:-window}
ping_interval=${PING_INTERVAL:-0.2}
http_interval=${HTTP_INTERVAL:-1}
http_port=${HTTP_PORT:-80}
max_seconds=${MAX_SECONDS:-900}
settle=${SETTLE_SECONDS:-0}
case "$action" in start | stop) ;; *) die "ACTION must be start or stop, got '$action'" ;; esac
require_env NAMESPACE CLIENT_POD SERVER_POD
[[ $tag =~ ^[A-Za-z0-9_-]+$ ]] || die "TAG must be letters, digits, - or _, got '$tag'"
require_uint HTTP_PORT "$http_port"
require_uint MAX_SECONDS "$max_seconds"
require_uint SETTLE_SECONDS "$settle"
require_uint HTTP_INTERVAL "$http_interval"
[[ $ping_interval =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "PING_INTERVAL must be a number of seconds, got '$ping_interval'"
require_commands kubectl
window_dir=${WINDOW_DIR:-/tmp}
base="$window_dir/lab-$tag"

if [ "$action" = start ]; then
  [[ $nonce =~ ^[A-Za-z0-9-]{16}$ ]] || die "NONCE must be exactly 16 characters [A-Za-z0-9-], got '$nonce'"
  pattern=$(printf '%s' "$nonce" | od -An -tx1 | tr -d ' \n')
  target=$(kc "$ns" get pod "$server" -o jsonpath='{.status.podIP}' 2>/dev/null || true)
  [ -n "$target" ] || die "pod $server in $ns has no IP (is it running?)"
  # The loops run in the pod, detached from this exec: the window outlives this command. Ping runs in
  # short counted segments, each printing its own statistics, so stopping needs no signal (a background
  # job of a non-interactive shell starts with SIGINT ignored) and no count is lost; the gap between two
  # segments is one reply wait. Both loops end at the stop marker or after MAX_SECONDS.
  # shellcheck disable=SC2016 # expanded by the pod's shell
  ping_loop='end=$(($(date +%s) + W)); while [ ! -e "$B.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
      ping -n -c 5 -i "$I" -W 1 -s 64 -p "$P" "$T"; done >"$B.ping.log" 2>&1; touch "$B.ping.done"'
  # shellcheck disable=SC2016 # expanded by the pod's shell
  http_loop='end=$(($(date +%s) + W)); i=0; while [ ! -e "$B.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
      i=$((i + 1))
      c=$(curl -sS -m 2 -o /dev/null -w "%{http_code}" -H "X-Lab-Nonce: $N" "http://$T:$H/echo?msg=$N&i=$i" 2>/dev/null) || c=000
      echo "$c" >>"$B.http.log"; sleep "$S"; done; touch "$B.http.done"'
  # shellcheck disable=SC2016 # expanded by the pod's shell
  kc "$ns" exec "$client" -- env B="$base" T="$target" P="$pattern" I="$ping_interval" W="$max_seconds" N="$nonce" \
    H="$http_port" S="$http_interval" PING_LOOP="$ping_loop" HTTP_LOOP="$http_loop" sh -c '
    rm -f "$B".stop "$B".*.log "$B".*.done
    nohup sh -c "$PING_LOOP" >/dev/null 2>&1 &
    nohup sh -c "$HTTP_LOOP" >/dev/null 2>&1 &' >/dev/null ||
    die "could not start the traffic loops in pod $client"
  echo "target=$target"
  echo "started=$(date +%s)"
  exit 0
fi

sleep "$settle"
# shellcheck disable=SC2016 # expanded by the pod's shell
out=$(kc "$ns" exec "$client" -- env B="$base" sh -c '
  [ -e "$B".ping.log ] || { echo "no window"; exit 0; }
  touch "$B".stop
  i=0; while [ $i -lt 100 ] && ! { [ -e "$B".ping.done ] && [ -e "$B".http.done ]; }; do sleep 0.2; i=$((i + 1)); done
  echo "== ping"; cat "$B".ping.log
  echo "== http"; cat "$B".http.log 2>/dev/null
  true') || die "could not stop the traffic in pod $client"
ping_part=$(sed -n '/^== ping$/,/^== http$/p' <<<"$out")
http_part=$(sed -n '/^== http$/,$p' <<<"$out" | tail -n +2)
# One statistics line per segment: "N packets transmitted, M received, ..." (iputils).
read -r transmitted received < <(awk '/packets transmitted/ { t += $1; for (i = 1; i < NF; i++) if ($(i + 1) ~ /^received/) r += $i; n++ }
  END { if (n) print t, r + 0; else print "", "" }' <<<"$ping_part")
[ -n "$transmitted" ] || die "ping in pod $client left no statistics (was the window started?): $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
http_total=$(grep -c '^[0-9][0-9][0-9]$' <<<"$http_part" || true)
http_ok=$(grep -c '^[1-9][0-9][0-9]$' <<<"$http_part" || true) # 000: curl got no answer
echo "ping_transmitted=$transmitted"
echo "ping_received=$received"
echo "ping_lost=$((transmitted - received))"
echo "http_total=$http_total"
echo "http_answered=$http_ok"
echo "stopped=$(date +%s)"
