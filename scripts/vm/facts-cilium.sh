#!/usr/bin/env bash
# Runs `cilium-dbg encrypt status` in the Cilium agent pod of one node. Runs on the control-plane node
# (kubectl with the kubeadm admin kubeconfig).
# Inputs (environment):
#   NODE_NAME          the Kubernetes node whose agent to ask (required)
#   CILIUM_NAMESPACE   default kube-system
#   KUBECONFIG         default /etc/kubernetes/admin.conf
# Output (stdout): agent=<pod name>, then the command's own text (e.g. "Encryption: IPsec",
# "Keys in use: 4", "Max Seq. Number: 0x12/0xffffffff", "Errors: 0").
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

node=${NODE_NAME:-}
ns=${CILIUM_NAMESPACE:-kube-system}
kubeconfig=${KUBECONFIG:-/etc/kubernetes/admin.conf}
[ -n "$node" ] || die "NODE_NAME is required"
command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed on $(hostname)"
kc() { as_root env KUBECONFIG="$kubeconfig" kubectl -n "$ns" "$@"; }

pod=$(kc get pods -l k8s-app=cilium --field-selector "spec.nodeName=$node" \
  -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
[ -n "$pod" ] || die "no Cilium agent pod (k8s-app=cilium) on node $node in $ns"
echo "agent=$pod"
kc exec "$pod" -c cilium-agent -- cilium-dbg encrypt status ||
  die "cilium-dbg encrypt status failed in $pod on node $node"
