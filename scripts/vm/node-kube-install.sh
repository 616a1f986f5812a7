#!/usr/bin/env bash
# Install containerd and kubeadm/kubelet/kubectl KUBERNETES_VERSION from pkgs.k8s.io (through the
# router's NAT). Idempotent: does nothing when the requested kubeadm version is already installed.
# Every apt call waits for the dpkg and apt locks, bounded (apt_get/apt_mark in lib.sh): on a first
# boot Ubuntu's apt-daily and unattended-upgrades hold them for minutes.
# Env: KUBERNETES_VERSION (e.g. 1.33.2), LAB_APT_LOCK_TIMEOUT (seconds, default 600),
#      CONTAINERD_CONFIG (default /etc/containerd/config.toml).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${KUBERNETES_VERSION:?}"
minor=${KUBERNETES_VERSION%.*}
export DEBIAN_FRONTEND=noninteractive
LAB_SCRIPT="node-kube-install($(hostname))"
log() { echo "$LAB_SCRIPT: $*" >&2; }
containerd_config=${CONTAINERD_CONFIG:-/etc/containerd/config.toml}
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
  fetch apt_get update -q
  fetch apt_get install -y -q "${missing[@]}"
fi

# kubeadm configures the kubelet for the systemd cgroup driver; containerd's runc must match. The
# line is edited, then checked: containerd 2.1.x left SystemdCgroup out of `containerd config default`
# (containerd/containerd#12101, fixed by #12244), and a sed that matches nothing succeeds silently.
mkdir -p "$(dirname "$containerd_config")"
containerd config default >"$containerd_config"
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$containerd_config"
grep -Eq '^[[:space:]]*SystemdCgroup = true' "$containerd_config" ||
  die "SystemdCgroup = true is not set in $containerd_config: \`containerd config default\` ($(containerd --version 2>/dev/null || echo 'containerd, version unknown')) printed no SystemdCgroup line to edit (containerd/containerd#12101); the kubelet would run with the systemd cgroup driver and containerd with cgroupfs"
systemctl enable containerd >/dev/null 2>&1
systemctl restart containerd

install -d -m 0755 /etc/apt/keyrings
fetch curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${minor}/deb/Release.key" -o /tmp/k8s-release.key
gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg /tmp/k8s-release.key
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /" \
  >/etc/apt/sources.list.d/kubernetes.list
fetch apt_get update -q
pkgver=$(apt-cache madison kubeadm | awk -v v="$KUBERNETES_VERSION" '$3 ~ "^"v"-" {print $3; exit}')
[[ -n "$pkgver" ]] || { log "kubeadm $KUBERNETES_VERSION is not in pkgs.k8s.io v${minor}"; exit 1; }
apt_mark unhold kubelet kubeadm kubectl >/dev/null || true
fetch apt_get install -y -q --allow-downgrades "kubelet=$pkgver" "kubeadm=$pkgver" "kubectl=$pkgver"
apt_mark hold kubelet kubeadm kubectl >/dev/null
systemctl enable kubelet >/dev/null 2>&1
log "installed kubeadm $pkgver"
