#!/usr/bin/env bash
# On the control-plane: wait (bounded) until Cilium WireGuard is in place on every node before a capture
# starts: each node's Running agent reports `cilium-dbg encrypt status` mode WireGuard with one peer per
# other node (Cilium's agents exchange their public keys through the CiliumNode annotation
# network.cilium.io/wg-pub-key, encryption-wireguard.rst; until a peer is configured, traffic to that
# node is not encrypted, and a correct cluster would read as partial).
# Inputs (environment):
#   EXPECTED_NODES   Kubernetes node names, space separated (required, at least two)
#   TIMEOUT_SECONDS  bound of the wait (default 300); POLL_SECONDS between rounds (default 5)
#   CILIUM_NAMESPACE (default kube-system), KUBECONFIG (default /etc/kubernetes/admin.conf)
# Output (stdout), once every node is ready: one line per node, node=NAME agent=POD mode=... peers=N
# On timeout: exit 1; the message names every node that is not ready and what it lacks.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -ra nodes <<<"${EXPECTED_NODES:-}"
timeout_s=${TIMEOUT_SECONDS:-300}
poll_s=${POLL_SECONDS:-5}
ns=${CILIUM_NAMESPACE:-kube-system}
kubeconfig=${KUBECONFIG:-/etc/kubernetes/admin.conf}
((${#nodes[@]} >= 2)) || die "EXPECTED_NODES must name at least two nodes, got '${EXPECTED_NODES:-}'"
for v in timeout_s poll_s; do is_uint "${!v}" || die "$v must be a non-negative integer, got '${!v}'"; done
command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed on $(hostname)"
kc() { as_root env KUBECONFIG="$kubeconfig" kubectl -n "$ns" "$@"; }
want=$((${#nodes[@]} - 1))

declare -A report
all_ready() {
  local n pod st mode peers out=()
  for n in "${nodes[@]}"; do
    pod=$(kc get pods -l k8s-app=cilium --field-selector "spec.nodeName=$n" -o jsonpath="$CILIUM_AGENT_JSONPATH" 2>/dev/null | running_agent || true)
    if [ -z "$pod" ]; then out+=("$n: no Running Cilium agent pod"); continue; fi
    st=$(kc exec "$pod" -c cilium-agent -- cilium-dbg encrypt status 2>/dev/null || true)
    mode=$(sed -n 's/^[[:space:]]*Encryption:[[:space:]]*//p' <<<"$st" | head -n1 | sed 's/[[:space:]]*$//')
    # "Number of peers: N" per WireGuard device (one device, cilium_wg0, unless IPv6 adds its own).
    peers=$(awk -F: 'tolower($1) ~ /number of peers/ { gsub(/[[:space:]]/, "", $2); p += $2 } END { print p + 0 }' <<<"$st")
    report[$n]="node=$n agent=$pod mode=${mode:-none} peers=$peers"
    if [[ ${mode,,} != wireguard ]]; then
      out+=("$n: encrypt status mode '${mode:-none}', expected WireGuard")
    elif ((peers != want)); then
      out+=("$n: $peers WireGuard peers, expected $want (one per other node)")
    fi
  done
  last=$(printf '%s | ' "${out[@]}")
  last=${last% | }
  ((${#out[@]} == 0))
}

wait_for "$timeout_s" "$poll_s" "WireGuard with a peer per other node on every node" all_ready || exit 1
for n in "${nodes[@]}"; do echo "${report[$n]}"; done
