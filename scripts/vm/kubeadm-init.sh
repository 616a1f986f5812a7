#!/usr/bin/env bash
# kubeadm init on the control-plane with the lab's pre-made cluster CA, then wait (bounded) for the API.
# Idempotent: an initialised control-plane (admin.conf present) is only checked for API health.
# Env: CA_CERT, CA_KEY (PEM), KUBEADM_CONFIG (YAML), TIMEOUT_SECONDS (default 600).
set -euo pipefail
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
  # kubeadm prints the join command with the bootstrap token: keep its output on the VM.
  log=/var/log/lab-kubeadm-init.log
  if ! kubeadm init --config /etc/kubernetes/lab-kubeadm.yaml >"$log" 2>&1; then
    echo "kubeadm init failed; last lines of $log (tokens redacted):" >&2
    tail -n 40 "$log" | sed -E 's/[a-z0-9]{6}\.[a-z0-9]{16}/<token>/g' >&2
    exit 1
  fi
  echo "kubeadm init done (log: $log)"
else
  echo "control-plane already initialised" >&2
fi

deadline=$((SECONDS + timeout_s))
last="(no answer yet)"
while ((SECONDS < deadline)); do
  if last=$(kubectl get --raw /readyz 2>&1); then
    echo "API server ready"
    exit 0
  fi
  sleep 5
done
echo "timed out after ${timeout_s}s waiting for the API server /readyz; last: ${last//$'\n'/ }" >&2
exit 1
