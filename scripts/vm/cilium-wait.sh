#!/usr/bin/env bash
# On the control-plane: wait (bounded) until the Cilium agents are rolled out and every expected node
# is Ready. Fails naming what was awaited and the last state seen.
# "Rolled out" is `kubectl rollout status`'s rule for a DaemonSet (kubectl pkg/polymorphichelpers/
# rollout_status.go, DaemonSetStatusViewer): the controller has observed the current generation, and
# every scheduled pod is updated and available. Ready pods alone are not enough: right after a Helm
# upgrade (an encryption switch) every old agent is still Ready while the new ones have not started.
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
  local gen observed desired updated available
  ds=$(kubectl -n kube-system get ds cilium -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.desiredNumberScheduled} {.status.updatedNumberScheduled} {.status.numberAvailable}' 2>&1 || true)
  read -r gen observed desired updated available <<<"$ds" || true
  notready=()
  for n in "${nodes[@]}"; do
    st=$(kubectl get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [[ "$st" == True ]] || notready+=("$n=${st:-missing}")
  done
  last="cilium ds generation ${gen:-?} observed ${observed:-?}, updated ${updated:-?}/${desired:-?}, available ${available:-?}/${desired:-?}; nodes not Ready: ${notready[*]:-none}"
  [[ "$gen $observed $desired $updated $available" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] || return 1
  ((${#notready[@]} == 0 && gen <= observed && desired > 0 && updated == desired && available == desired)) && ready_ds="$available/$desired"
}
if ! wait_for "$timeout_s" 10 "Cilium and Ready nodes" cilium_ready; then
  kubectl -n kube-system get pods -o wide >&2 || true
  exit 1
fi
kubectl get nodes -o wide
echo "Cilium ready on ${ready_ds} nodes; all nodes Ready"
