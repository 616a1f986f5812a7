#!/usr/bin/env bash
# kubeadm init on the control-plane with the lab's pre-made cluster CA, then wait (bounded) for the API.
# Idempotent: a control-plane whose kubeadm init finished (the marker this script writes after it) is
# only checked for API health. An init that did not finish is reset and run again: kubeadm writes
# admin.conf and the static pods early, in phases before the ones that can time out (control-plane
# check, bootstrap token, CoreDNS), so their presence says nothing about the rest (found by the lab
# suite: an init cut off by its control-plane check would otherwise count as done).
# Env: CA_CERT, CA_KEY (PEM), KUBEADM_CONFIG (YAML), TIMEOUT_SECONDS (default 600); on a slow host also
#      KUBEADM_PATCHES_DIR (the config's patches.directory) and per static pod KUBEADM_PATCH_<TARGET>
#      (ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER): the <target>+strategic.yaml patch;
#      K8S_DIR (default /etc/kubernetes), KUBEADM_INIT_LOG (default /var/log/lab-kubeadm-init.log),
#      LEGACY_CHECK_SECONDS (default 300: how long an unmarked control plane's API is waited for).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${CA_CERT:?}" "${CA_KEY:?}" "${KUBEADM_CONFIG:?}"
timeout_s=${TIMEOUT_SECONDS:-600}
k8s_dir=${K8S_DIR:-/etc/kubernetes}
export KUBECONFIG=$k8s_dir/admin.conf
done_marker=$k8s_dir/lab-kubeadm-init.done
last="(no answer yet)"
api_ready() { last=$(kubectl get --raw /readyz 2>&1); }
# kubeadm's last phase here is addon/coredns (the lab skips addon/kube-proxy).
init_finished() { kubectl -n kube-system get deployment coredns >/dev/null 2>&1; }

# A control plane without the marker: made before the marker existed (then its API answers and CoreDNS
# is there, and it is kept), or an init that did not finish (reset below).
if [[ ! -f "$done_marker" && -f "$k8s_dir/admin.conf" ]] &&
  wait_for "${LEGACY_CHECK_SECONDS:-300}" 5 "the API server of an earlier init" api_ready && init_finished; then
  touch "$done_marker"
fi

if [[ ! -f "$done_marker" ]]; then
  if [[ -f "$k8s_dir/admin.conf" ]] || compgen -G "$k8s_dir/manifests/*.yaml" >/dev/null; then
    echo "an earlier kubeadm init did not finish: kubeadm reset, then init again" >&2
    kubeadm reset -f >&2 || die "kubeadm reset failed"
  fi
  install -d -m 0755 "$k8s_dir/pki"
  umask 077
  printf '%s\n' "$CA_CERT" >"$k8s_dir/pki/ca.crt"
  printf '%s\n' "$CA_KEY" >"$k8s_dir/pki/ca.key"
  chmod 0644 "$k8s_dir/pki/ca.crt"
  printf '%s\n' "$KUBEADM_CONFIG" >"$k8s_dir/lab-kubeadm.yaml"
  if [[ -n "${KUBEADM_PATCHES_DIR:-}" ]]; then
    install -d -m 0700 "$KUBEADM_PATCHES_DIR"
    for target in etcd kube-apiserver kube-controller-manager kube-scheduler; do
      var=KUBEADM_PATCH_$(tr 'a-z-' 'A-Z_' <<<"$target")
      [[ -z "${!var:-}" ]] || printf '%s\n' "${!var}" >"$KUBEADM_PATCHES_DIR/$target+strategic.yaml"
    done
  fi
  # kubeadm prints the join command with the bootstrap token: keep its output on the VM.
  log=${KUBEADM_INIT_LOG:-/var/log/lab-kubeadm-init.log}
  run_logged "$log" "kubeadm init" kubeadm init --config "$k8s_dir/lab-kubeadm.yaml" || exit 1
  touch "$done_marker"
  echo "kubeadm init done (log: $log)"
else
  echo "control-plane already initialised" >&2
fi

wait_for "$timeout_s" 5 "the API server /readyz" api_ready || exit 1
echo "API server ready"
