#!/usr/bin/env bash
# kubeadm init on the control-plane with the lab's pre-made cluster CA, then wait (bounded) for the API.
# Idempotent: an initialised control-plane (admin.conf present) is only checked for API health.
# Env: CA_CERT, CA_KEY (PEM), KUBEADM_CONFIG (YAML), TIMEOUT_SECONDS (default 600); on a slow host also
#      KUBEADM_PATCHES_DIR (the config's patches.directory) and per static pod KUBEADM_PATCH_<TARGET>
#      (ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER): the <target>+strategic.yaml patch.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${CA_CERT:?}" "${CA_KEY:?}" "${KUBEADM_CONFIG:?}"
timeout_s=${TIMEOUT_SECONDS:-600}
export KUBECONFIG=/etc/kubernetes/admin.conf

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  install -d -m 0755 /etc/kubernetes/pki
  umask 077
  printf '%s\n' "$CA_CERT" >/etc/kubernetes/pki/ca.crt
  printf '%s\n' "$CA_KEY" >/etc/kubernetes/pki/ca.key
  chmod 0644 /etc/kubernetes/pki/ca.crt
  printf '%s\n' "$KUBEADM_CONFIG" >/etc/kubernetes/lab-kubeadm.yaml
  if [[ -n "${KUBEADM_PATCHES_DIR:-}" ]]; then
    install -d -m 0700 "$KUBEADM_PATCHES_DIR"
    for target in etcd kube-apiserver kube-controller-manager kube-scheduler; do
      var=KUBEADM_PATCH_$(tr 'a-z-' 'A-Z_' <<<"$target")
      [[ -z "${!var:-}" ]] || printf '%s\n' "${!var}" >"$KUBEADM_PATCHES_DIR/$target+strategic.yaml"
    done
  fi
  # kubeadm prints the join command with the bootstrap token: keep its output on the VM.
  log=/var/log/lab-kubeadm-init.log
  run_logged "$log" "kubeadm init" kubeadm init --config /etc/kubernetes/lab-kubeadm.yaml || exit 1
  echo "kubeadm init done (log: $log)"
else
  echo "control-plane already initialised" >&2
fi

last="(no answer yet)"
api_ready() { last=$(kubectl get --raw /readyz 2>&1); }
wait_for "$timeout_s" 5 "the API server /readyz" api_ready || exit 1
echo "API server ready"
