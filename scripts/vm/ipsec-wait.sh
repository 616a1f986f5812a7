#!/usr/bin/env bash
# On the control-plane: wait (bounded) until Cilium IPsec is really in place on every node, so a capture
# never starts while some node pair still talks in clear. Cilium's documentation says keys reach the
# agents through the mounted Secret over up to about a minute, and before strict mode encryption is best
# effort (encryption-ipsec.rst); "agents rolled out" (cilium-wait.sh) is therefore not enough.
#
# A first reading of every node is the baseline; each round after POLL_SECONDS compares with the round
# before. Per node, from its Running Cilium agent (kubectl exec; the agent runs in the host network
# namespace):
#   - `cilium-dbg encrypt status` (read by lib.sh's encrypt_status_read): mode IPsec, "Keys in use" >=
#     2 x (nodes - 1) x IP_FAMILIES (one key per direction per remote node and family), and no XFRM error
#     counter grew since the round before, except as TOLERATED_XFRM_COUNTERS allows. The counters are
#     /proc/net/xfrm_stat's, which count since boot and never reset ("Errors" is their sum: cilium-dbg
#     getXfrmStats), so only growth means anything: a drop an hour ago holds no wait, a counter that
#     grows while the keys are still being deployed (XfrmInNoStates, XfrmOutNoStates: Cilium's IPsec
#     guide) keeps it waiting, and one that keeps growing makes it time out naming the counter.
#   - `ip xfrm state`: for every other node an SA with SPI KEY_ID out to it and one in from it (addresses
#     matched against every non-loopback IPv4 address of the two nodes: node IP or cilium_host, per the
#     Cilium version's layout; an inbound SA may have source 0.0.0.0). Key material never leaves awk.
# With SAS_ONLY=1 only the SAs are checked (the key rotation's wait for the new SPI: keys in use double and
# error counters are judged from /proc/net/xfrm_stat by the rotation's verdict instead).
#
# After a key rotation (PREVIOUS_KEY_ID): also until the traffic between TRAFFIC_NODES left the old SPI.
# Cilium's datapath encrypts towards a peer with the lower of its own key id and the peer's (bpf/lib/
# encrypt.h get_min_encrypt_key at v1.18.4, bpf/lib/ipsec.h at v1.19.0; the peer's id is the one its
# CiliumNode publishes, which the agent writes to the node map: pkg/datapath/linux/node_ids.go), so a node
# goes on sending with the old SPI after the new SAs exist everywhere, until both ends run the new key.
# For each ordered pair of TRAFFIC_NODES, the node's out SA to the peer with the new SPI must have sent
# packets during the last interval (its output sequence number, `oseq` in `ip xfrm state`, moved) and
# the one with the old SPI none (or be gone). The traffic must run while this waits.
#
# Inputs (environment):
#   EXPECTED_NODES   Kubernetes node names, space separated (required)
#   KEY_ID           the configured key id = SPI, 1..15 (required)
#   TOLERATED_XFRM_COUNTERS  "NAME:MAX ..." counters that may grow by up to MAX per interval
#                    (components/proof/xfrm-counters.ts hands the lab's one list; default: none)
#   PREVIOUS_KEY_ID  the key id before a rotation (1..15, not KEY_ID); with TRAFFIC_NODES (two or more of
#                    EXPECTED_NODES whose traffic the lab drives)
#   TIMEOUT_SECONDS  bound of the wait (default 300); POLL_SECONDS between rounds (default 5)
#   IP_FAMILIES      1 (IPv4, the lab) or 2 (default 1); SAS_ONLY (default 0)
#   CILIUM_NAMESPACE (default kube-system), KUBECONFIG (default /etc/kubernetes/admin.conf)
# Output (stdout), once every node is ready: one line per node,
#   node=NAME agent=POD mode=IPsec keys_in_use=N errors=N xfrm=XfrmInNoStates:3,... spis=3,4 peers_ok=K/K
# (xfrm: the counters cilium-dbg listed in the last round, `none` when it listed none.)
# On timeout: exit 1; the message names every node that is not ready and what it lacks.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env EXPECTED_NODES KEY_ID
read -ra nodes <<<"$EXPECTED_NODES"
key_id=${KEY_ID:-}
previous_id=${PREVIOUS_KEY_ID:-}
read -ra traffic_nodes <<<"${TRAFFIC_NODES:-}"
read -ra tolerated <<<"${TOLERATED_XFRM_COUNTERS:-}"
timeout_s=${TIMEOUT_SECONDS:-300}
poll_s=${POLL_SECONDS:-5}
families=${IP_FAMILIES:-1}
sas_only=${SAS_ONLY:-0}
((${#nodes[@]} >= 2)) || die "EXPECTED_NODES must name at least two nodes, got '$EXPECTED_NODES'"
[[ $key_id =~ ^([1-9]|1[0-5])$ ]] || die "KEY_ID must be 1..15, got '$key_id'"
require_uint TIMEOUT_SECONDS "$timeout_s"
require_uint POLL_SECONDS "$poll_s"
require_uint IP_FAMILIES "$families"
declare -A tolerated_max
for t in "${tolerated[@]}"; do
  [[ $t =~ ^(Xfrm[A-Za-z]+):([0-9]+)$ ]] || die "TOLERATED_XFRM_COUNTERS must be NAME:MAX words (e.g. XfrmInError:9), got '$t'"
  tolerated_max[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done
if [ -n "$previous_id" ]; then
  if ! [[ $previous_id =~ ^([1-9]|1[0-5])$ ]] || [ "$previous_id" = "$key_id" ]; then
    die "PREVIOUS_KEY_ID must be 1..15 and not KEY_ID ($key_id), got '$previous_id'"
  fi
  require_env -w "with PREVIOUS_KEY_ID" TRAFFIC_NODES
  ((${#traffic_nodes[@]} >= 2)) || die "TRAFFIC_NODES must name at least two nodes, got '$TRAFFIC_NODES'"
  for t in "${traffic_nodes[@]}"; do
    [[ " ${nodes[*]} " == *" $t "* ]] || die "TRAFFIC_NODES names '$t', which is not in EXPECTED_NODES ($EXPECTED_NODES)"
  done
fi
require_commands kubectl
spi_hex=$(printf '0x%08x' "$key_id")
old_hex=$([ -z "$previous_id" ] || printf '0x%08x' "$previous_id")
min_keys=$((2 * (${#nodes[@]} - 1) * families))

declare -A agent addrs sas status
collect() {
  local n=$1 pod
  pod=$(cilium_agent_on "$n")
  agent[$n]=$pod
  addrs[$n]='' sas[$n]='' status[$n]=''
  [ -n "$pod" ] || return 0
  # Every IPv4 address but loopback: cilium_host's address is where SAs end in the <= 1.17 layout,
  # whatever scope the interface gives it.
  addrs[$n]=$(cilium_exec "$pod" ip -4 -o addr show 2>/dev/null | awk '$4 !~ /^127\./ { sub(/\/.*/, "", $4); print $4 }' | tr '\n' ' ' || true)
  # One "src dst spi oseq" line per ESP state, oseq as printed ("hi:lo" for ESN states, which Cilium
  # installs: pkg/datapath/linux/ipsec ipSecNewState ESN); the aead/key lines are never printed.
  sas[$n]=$(cilium_exec "$pod" ip xfrm state 2>/dev/null | awk '
    function flush() { if (spi != "") print s, d, spi, (hi == "" ? "" : hi ":") oseq; spi = ""; hi = ""; oseq = "0x0" }
    /^src / { flush(); s = $2; d = $4; next }
    /proto esp/ { for (i = 1; i < NF; i++) if ($i == "spi") spi = tolower($(i + 1)) }
    /oseq/ { for (i = 1; i < NF; i++) { if ($i == "oseq-hi") hi = $(i + 1); if ($i == "oseq") oseq = $(i + 1) }; sub(/,$/, "", hi); sub(/,$/, "", oseq) }
    END { flush() }' || true)
  status[$n]=$(cilium_exec "$pod" cilium-dbg encrypt status 2>/dev/null | encrypt_status_read || true)
}

in_set() { [[ " $2 " == *" $1 "* ]]; }
# out_sas NODE SPI SRC_SET DST_SET: the "src dst oseq" of NODE's SAs with SPI from one set to the other.
out_sas() {
  local src_set=$3 dst_set=$4 s d spi o
  while read -r s d spi o; do
    [ "$spi" = "$2" ] && in_set "$s" "$src_set" && in_set "$d" "$dst_set" && echo "$s $d $o"
  done <<<"${sas[$1]}"
  return 0
}
# counters NODE: "NAME N" per XFRM error counter the agent listed.
counters() { sed -n 's/^xfrm\.\([A-Za-z]*\)=\([0-9]*\)$/\1 \2/p' <<<"${status[$1]}"; }

declare -A prev_counters prev_new prev_old missing report
# grown NODE: "NAME from B to A" for each counter that grew since the round before beyond what is tolerated.
grown() {
  local name a b max
  while read -r name a; do
    [ -n "$name" ] || continue
    b=$(awk -v n="$name" '$1 == n { print $2 }' <<<"${prev_counters[$1]:-}")
    b=${b:-0}
    max=${tolerated_max[$name]:--1}
    if ((a > b && a - b > max)); then echo "$name from $b to $a"; fi
  done < <(counters "$1")
}

# switched A B: sets `not_switched` to why the traffic from A to B did not leave the old SPI during the
# last interval (see the header), empty when it did. Keeps this round's counters for the next (so it is
# called directly, never in a subshell).
not_switched=''
switched() {
  local a=$1 b=$2 key="$1>$2" new old
  new=$(out_sas "$a" "$spi_hex" "${addrs[$a]}" "${addrs[$b]}")
  old=$(out_sas "$a" "$old_hex" "${addrs[$a]}" "${addrs[$b]}")
  local was_new=${prev_new[$key]-unset} was_old=${prev_old[$key]-unset}
  prev_new[$key]=$new
  prev_old[$key]=$old
  not_switched=''
  if [ "$was_new" = unset ]; then
    not_switched="first reading of the SA output counters from $a to $b"
  elif [ -n "$old" ] && [ "$old" != "$was_old" ]; then
    not_switched="traffic from $a to $b still leaves with the old SPI $previous_id (its out SA's oseq moved: ${was_old//$'\n'/, } -> ${old//$'\n'/, })"
  elif [ -z "$new" ] || [ "$new" = "$was_new" ]; then
    not_switched="no traffic from $a to $b on SPI $key_id during the last ${poll_s}s (its out SA's oseq: ${new:-no SA})"
  fi
}

check() {
  local n=$1 m=() mode keys errors peers=0 ok=0 p spis xfrm g
  if [ -z "${agent[$n]}" ]; then
    missing[$n]="no Running Cilium agent pod on $n"
    return
  fi
  [ -n "${addrs[$n]// /}" ] || m+=("no IPv4 address read from the agent")
  mode=$(kv mode "${status[$n]}")
  keys=$(kv keys_in_use "${status[$n]}")
  errors=$(kv errors "${status[$n]}")
  if [ "$sas_only" != 1 ]; then
    [ "${mode,,}" = ipsec ] || m+=("encrypt status mode '${mode:-none}', expected IPsec")
    [[ $keys =~ ^[0-9]+$ ]] && ((keys >= min_keys)) || m+=("keys in use '${keys:-?}', expected at least $min_keys")
    while read -r g; do
      [ -z "$g" ] || m+=("XFRM error counter $g in the last ${poll_s}s, still growing")
    done < <(grown "$n")
  fi
  prev_counters[$n]=$(counters "$n")
  for p in "${nodes[@]}"; do
    [ "$p" != "$n" ] || continue
    peers=$((peers + 1))
    local out=1 in=1
    [ -n "$(out_sas "$n" "$spi_hex" "${addrs[$n]}" "${addrs[$p]}")" ] || out=0
    [ -n "$(out_sas "$n" "$spi_hex" "${addrs[$p]} 0.0.0.0" "${addrs[$n]}")" ] || in=0
    ((out)) || m+=("no SA with SPI $key_id from $n to $p")
    ((in)) || m+=("no SA with SPI $key_id from $p to $n")
    ((out && in)) && ok=$((ok + 1))
    if [ -n "$previous_id" ] && in_set "$n" "${traffic_nodes[*]}" && in_set "$p" "${traffic_nodes[*]}"; then
      switched "$n" "$p"
      [ -z "$not_switched" ] || m+=("$not_switched")
    fi
  done
  spis=$(awk '{ print $3 }' <<<"${sas[$n]}" | sort -u | while read -r h; do [ -n "$h" ] && printf '%d\n' "$h"; done | paste -sd, -)
  xfrm=$(counters "$n" | tr ' ' ':' | paste -sd, -)
  report[$n]="node=$n agent=${agent[$n]} mode=${mode:-none} keys_in_use=${keys:-?} errors=${errors:-?} xfrm=${xfrm:-none} spis=${spis:-none} peers_ok=$ok/$peers"
  if ((${#m[@]} > 0)); then
    local joined
    joined=$(printf '%s; ' "${m[@]}")
    missing[$n]=${joined%; }
  fi
}

# One round: every node's state, judged against the round before; `last` names each node that is not
# ready and what it lacks.
all_ready() {
  local n out=()
  missing=()
  for n in "${nodes[@]}"; do collect "$n"; done
  for n in "${nodes[@]}"; do check "$n"; done
  for n in "${nodes[@]}"; do [ -z "${missing[$n]:-}" ] || out+=("$n: ${missing[$n]}"); done
  last=$(printf '%s | ' "${out[@]}")
  last=${last% | }
  ((${#missing[@]} == 0))
}

# The baseline round: what it finds is only compared against.
all_ready || true
sleep "$poll_s"
wait_for "$timeout_s" "$poll_s" "IPsec with key id $key_id on every node" all_ready || exit 1
for n in "${nodes[@]}"; do echo "${report[$n]}"; done
