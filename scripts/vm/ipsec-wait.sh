#!/usr/bin/env bash
# On the control-plane: wait (bounded) until Cilium IPsec is really in place on every node, so a capture
# never starts while some node pair still talks in clear. Cilium's documentation says keys reach the
# agents through the mounted Secret over up to about a minute, and before strict mode encryption is best
# effort (encryption-ipsec.rst); "agents rolled out" (cilium-wait.sh) is therefore not enough.
#
# Per node, from its Running Cilium agent (kubectl exec; the agent runs in the host network namespace):
#   - `cilium-dbg encrypt status`: mode IPsec, "Keys in use" >= 2 x (nodes - 1) x IP_FAMILIES (one key per
#     direction per remote node and family), "Errors: 0";
#   - `ip xfrm state`: for every other node an SA with SPI KEY_ID out to it and one in from it (addresses
#     matched against every non-loopback IPv4 address of the two nodes: node IP or cilium_host, per the
#     Cilium version's layout; an inbound SA may have source 0.0.0.0). Key material never leaves awk.
# With SAS_ONLY=1 only the SAs are checked (the key rotation's wait for the new SPI: keys in use double and
# error counters are judged from /proc/net/xfrm_stat instead).
#
# Inputs (environment):
#   EXPECTED_NODES   Kubernetes node names, space separated (required)
#   KEY_ID           the configured key id = SPI, 1..15 (required)
#   TIMEOUT_SECONDS  bound of the wait (default 300); POLL_SECONDS between rounds (default 5)
#   IP_FAMILIES      1 (IPv4, the lab) or 2 (default 1); SAS_ONLY (default 0)
#   CILIUM_NAMESPACE (default kube-system), KUBECONFIG (default /etc/kubernetes/admin.conf)
# Output (stdout), once every node is ready: one line per node,
#   node=NAME agent=POD mode=IPsec keys_in_use=N errors=N spis=3,4 peers_ok=K/K
# On timeout: exit 1; the message names every node that is not ready and what it lacks.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -ra nodes <<<"${EXPECTED_NODES:-}"
key_id=${KEY_ID:-}
timeout_s=${TIMEOUT_SECONDS:-300}
poll_s=${POLL_SECONDS:-5}
families=${IP_FAMILIES:-1}
sas_only=${SAS_ONLY:-0}
ns=${CILIUM_NAMESPACE:-kube-system}
kubeconfig=${KUBECONFIG:-/etc/kubernetes/admin.conf}
((${#nodes[@]} >= 2)) || die "EXPECTED_NODES must name at least two nodes, got '${EXPECTED_NODES:-}'"
[[ $key_id =~ ^([1-9]|1[0-5])$ ]] || die "KEY_ID must be 1..15, got '$key_id'"
for v in timeout_s poll_s families; do is_uint "${!v}" || die "$v must be a non-negative integer, got '${!v}'"; done
command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed on $(hostname)"
kc() { as_root env KUBECONFIG="$kubeconfig" kubectl -n "$ns" "$@"; }
spi_hex=$(printf '0x%08x' "$key_id")
min_keys=$((2 * (${#nodes[@]} - 1) * families))

agent_on() { kc get pods -l k8s-app=cilium --field-selector "spec.nodeName=$1" -o jsonpath="$CILIUM_AGENT_JSONPATH" 2>/dev/null | running_agent; }
in_agent() { kc exec "$1" -c cilium-agent -- "${@:2}"; }

declare -A agent addrs sas status
collect() {
  local n=$1 pod
  pod=$(agent_on "$n" || true)
  agent[$n]=$pod
  addrs[$n]='' sas[$n]='' status[$n]=''
  [ -n "$pod" ] || return 0
  # Every IPv4 address but loopback: cilium_host's address is where SAs end in the <= 1.17 layout,
  # whatever scope the interface gives it.
  addrs[$n]=$(in_agent "$pod" ip -4 -o addr show 2>/dev/null | awk '$4 !~ /^127\./ { sub(/\/.*/, "", $4); print $4 }' | tr '\n' ' ' || true)
  # One "src dst spi" line per ESP state; the aead/key lines are never printed.
  sas[$n]=$(in_agent "$pod" ip xfrm state 2>/dev/null |
    awk '/^src /{ s = $2; d = $4 } /proto esp/{ for (i = 1; i < NF; i++) if ($i == "spi") print s, d, tolower($(i + 1)) }' || true)
  status[$n]=$(in_agent "$pod" cilium-dbg encrypt status 2>/dev/null || true)
}

field() { sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" <<<"$2" | head -n1 | sed 's/[[:space:]]*$//'; }
has_sa() { # has_sa NODE SRC_SET DST_SET: an SA with the SPI from one set to the other, on NODE
  local src_set=" $2 " dst_set=" $3 " s d spi
  while read -r s d spi; do
    [ "$spi" = "$spi_hex" ] || continue
    [[ $src_set == *" $s "* && $dst_set == *" $d "* ]] && return 0
  done <<<"${sas[$1]}"
  return 1
}

declare -A missing report
check() {
  local n=$1 m=() st mode keys errors peers=0 ok=0 p spis
  if [ -z "${agent[$n]}" ]; then missing[$n]="no Running Cilium agent pod on $n"; return; fi
  [ -n "${addrs[$n]// /}" ] || m+=("no IPv4 address read from the agent")
  st=${status[$n]}
  mode=$(field Encryption "$st")
  keys=$(field 'Keys in use' "$st")
  errors=$(field Errors "$st")
  if [ "$sas_only" != 1 ]; then
    [ "$mode" = IPsec ] || m+=("encrypt status mode '${mode:-none}', expected IPsec")
    [[ $keys =~ ^[0-9]+$ ]] && ((keys >= min_keys)) || m+=("keys in use '${keys:-?}', expected at least $min_keys")
    [ "$errors" = 0 ] || m+=("encrypt status errors '${errors:-?}', expected 0")
  fi
  for p in "${nodes[@]}"; do
    [ "$p" != "$n" ] || continue
    peers=$((peers + 1))
    local out=1 in=1
    has_sa "$n" "${addrs[$n]}" "${addrs[$p]}" || out=0
    has_sa "$n" "${addrs[$p]} 0.0.0.0" "${addrs[$n]}" || in=0
    ((out)) || m+=("no SA with SPI $key_id from $n to $p")
    ((in)) || m+=("no SA with SPI $key_id from $p to $n")
    ((out && in)) && ok=$((ok + 1))
  done
  spis=$(awk '{ print $3 }' <<<"${sas[$n]}" | sort -u | while read -r h; do [ -n "$h" ] && printf '%d\n' "$h"; done | paste -sd, -)
  report[$n]="node=$n agent=${agent[$n]} mode=${mode:-none} keys_in_use=${keys:-?} errors=${errors:-?} spis=${spis:-none} peers_ok=$ok/$peers"
  if ((${#m[@]} > 0)); then
    local joined
    joined=$(printf '%s; ' "${m[@]}")
    missing[$n]=${joined%; }
  fi
}

# One round: every node's state; `last` names each node that is not ready and what it lacks.
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

wait_for "$timeout_s" "$poll_s" "IPsec with key id $key_id on every node" all_ready || exit 1
for n in "${nodes[@]}"; do echo "${report[$n]}"; done
