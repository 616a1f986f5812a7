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
# The status is read by lib.sh's encrypt_status_read, as components/verifier/status reads it.
# Output (stdout), once every node is ready: one line per node, node=NAME agent=POD mode=... peers=N
# On timeout: exit 1; the message names every node that is not ready and what it lacks.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_env EXPECTED_NODES
read -ra nodes <<<"$EXPECTED_NODES"
timeout_s=${TIMEOUT_SECONDS:-300}
poll_s=${POLL_SECONDS:-5}
((${#nodes[@]} >= 2)) || die "EXPECTED_NODES must name at least two nodes, got '$EXPECTED_NODES'"
require_uint TIMEOUT_SECONDS "$timeout_s"
require_uint POLL_SECONDS "$poll_s"
require_commands kubectl
want=$((${#nodes[@]} - 1))

declare -A report
all_ready() {
  local n pod st mode peers out=()
  for n in "${nodes[@]}"; do
    pod=$(cilium_agent_on "$n")
    if [ -z "$pod" ]; then
      out+=("$n: no Running Cilium agent pod")
      continue
    fi
    st=$(cilium_exec "$pod" cilium-dbg encrypt status 2>/dev/null | encrypt_status_read || true)
    mode=$(kv mode "$st")
    # "Number of peers: N" per WireGuard device (one device, cilium_wg0, unless IPv6 adds its own).
    peers=$(kv wireguard_peers "$st")
    peers=${peers:-0}
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
