#!/usr/bin/env bash
# On the control-plane: wait (bounded) until the Cilium agents are rolled out and every expected node
# is Ready. Fails naming what was awaited and the last state seen.
# Env: EXPECTED_NODES ("control-plane worker1 worker2"), TIMEOUT_SECONDS (default 900).
set -euo pipefail
: "${EXPECTED_NODES:?}"
timeout_s=${TIMEOUT_SECONDS:-900}
export KUBECONFIG=/etc/kubernetes/admin.conf
deadline=$((SECONDS + timeout_s))
read -ra nodes <<<"$EXPECTED_NODES"

last="(nothing yet)"
while ((SECONDS < deadline)); do
  ds=$(kubectl -n kube-system get ds cilium -o jsonpath='{.status.numberReady}/{.status.desiredNumberScheduled}' 2>&1 || true)
  notready=()
  for n in "${nodes[@]}"; do
    st=$(kubectl get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [[ "$st" == True ]] || notready+=("$n=${st:-missing}")
  done
  last="cilium ds ready ${ds}; nodes not Ready: ${notready[*]:-none}"
  if ((${#notready[@]} == 0)) && [[ "$ds" =~ ^([0-9]+)/([0-9]+)$ ]] && ((BASH_REMATCH[1] == BASH_REMATCH[2] && BASH_REMATCH[2] > 0)); then
    kubectl get nodes -o wide
    echo "Cilium ready on ${ds} nodes; all nodes Ready"
    exit 0
  fi
  sleep 10
done
echo "timed out after ${timeout_s}s waiting for Cilium and Ready nodes; last: $last" >&2
kubectl -n kube-system get pods -o wide >&2 || true
exit 1
