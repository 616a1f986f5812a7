#!/usr/bin/env bash
# kubeadm join on a worker (bootstrap token discovery pinned to the CA hash). Idempotent: a node that
# already has /etc/kubernetes/kubelet.conf is left alone.
# Env: KUBEADM_CONFIG (JoinConfiguration YAML).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${KUBEADM_CONFIG:?}"
if [[ -f /etc/kubernetes/kubelet.conf ]]; then
  echo "$(hostname) already joined" >&2
  exit 0
fi
install -d -m 0755 /etc/kubernetes
umask 077
printf '%s\n' "$KUBEADM_CONFIG" >/etc/kubernetes/lab-join.yaml
log=/var/log/lab-kubeadm-join.log
run_logged "$log" "kubeadm join" kubeadm join --config /etc/kubernetes/lab-join.yaml || exit 1
echo "$(hostname) joined"
