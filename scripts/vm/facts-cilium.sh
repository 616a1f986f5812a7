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

require_env NODE_NAME
node=$NODE_NAME
require_commands kubectl

pod=$(cilium_agent_on "$node")
[ -n "$pod" ] || die "no Running Cilium agent pod (k8s-app=cilium) on node $node in $LAB_CILIUM_NS"
echo "agent=$pod"
cilium_exec "$pod" cilium-dbg encrypt status ||
  die "cilium-dbg encrypt status failed in $pod on node $node"
