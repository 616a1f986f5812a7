#!/usr/bin/env bash
# On the control-plane: wait (bounded) until the Cilium agents are rolled out and every expected node
# is Ready. Fails naming what was awaited and the last state seen.
# Env: EXPECTED_NODES ("control-plane worker1 worker2"), TIMEOUT_SECONDS (default 900).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_env EXPECTED_NODES
timeout_s=${TIMEOUT_SECONDS:-900}
require_uint TIMEOUT_SECONDS "$timeout_s"
export KUBECONFIG=/etc/kubernetes/admin.conf
read -ra nodes <<<"$EXPECTED_NODES"

cilium_ready() {
  local ds st n notready
  ds=$(kubectl -n kube-system get ds cilium -o jsonpath='{.status.numberReady}/{.status.desiredNumberScheduled}' 2>&1 || true)
  notready=()
  for n in "${nodes[@]}"; do
    st=$(kubectl get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [[ "$st" == True ]] || notready+=("$n=${st:-missing}")
  done
  last="cilium ds ready ${ds}; nodes not Ready: ${notready[*]:-none}"
  ((${#notready[@]} == 0)) && [[ "$ds" =~ ^([0-9]+)/([0-9]+)$ ]] && ((BASH_REMATCH[1] == BASH_REMATCH[2] && BASH_REMATCH[2] > 0)) && ready_ds=$ds
}
if ! wait_for "$timeout_s" 10 "Cilium and Ready nodes" cilium_ready; then
  kubectl -n kube-system get pods -o wide >&2 || true
  exit 1
fi
kubectl get nodes -o wide
echo "Cilium ready on ${ready_ds} nodes; all nodes Ready"
