#!/usr/bin/env bash
# Install containerd and kubeadm/kubelet/kubectl KUBERNETES_VERSION from pkgs.k8s.io (through the
# router's NAT). Idempotent: does nothing when the requested kubeadm version is already installed.
# Env: KUBERNETES_VERSION (e.g. 1.33.2).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${KUBERNETES_VERSION:?}"
minor=${KUBERNETES_VERSION%.*}
export DEBIAN_FRONTEND=noninteractive
log() { echo "node-kube-install($(hostname)): $*" >&2; }
# Mirrors can be slow through the router's NAT: up to 5 attempts, 10 s apart.
fetch() { retry 5 10 "$@"; }

if command -v kubeadm >/dev/null 2>&1 && [[ "$(kubeadm version -o short 2>/dev/null)" == "v${KUBERNETES_VERSION}" ]]; then
  log "kubeadm v${KUBERNETES_VERSION} already installed"
  exit 0
fi

missing=()
for pkg in containerd apt-transport-https ca-certificates curl gpg conntrack socat; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  fetch apt-get update -q
  fetch apt-get install -y -q "${missing[@]}"
fi

mkdir -p /etc/containerd
containerd config default >/etc/containerd/config.toml
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
systemctl enable containerd >/dev/null 2>&1
systemctl restart containerd

install -d -m 0755 /etc/apt/keyrings
fetch curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${minor}/deb/Release.key" -o /tmp/k8s-release.key
gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg /tmp/k8s-release.key
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /" \
  >/etc/apt/sources.list.d/kubernetes.list
fetch apt-get update -q
pkgver=$(apt-cache madison kubeadm | awk -v v="$KUBERNETES_VERSION" '$3 ~ "^"v"-" {print $3; exit}')
[[ -n "$pkgver" ]] || { log "kubeadm $KUBERNETES_VERSION is not in pkgs.k8s.io v${minor}"; exit 1; }
apt-mark unhold kubelet kubeadm kubectl >/dev/null 2>&1 || true
fetch apt-get install -y -q --allow-downgrades "kubelet=$pkgver" "kubeadm=$pkgver" "kubectl=$pkgver"
apt-mark hold kubelet kubeadm kubectl >/dev/null
systemctl enable kubelet >/dev/null 2>&1
log "installed kubeadm $pkgver"
