#!/usr/bin/env bash
# Install containerd and kubeadm/kubelet/kubectl KUBERNETES_VERSION, then configure containerd for
# kubeadm. The Kubernetes packages come from pkgs.k8s.io (added here; reached through the router's NAT)
# or, with KUBERNETES_APT_SOURCE=configured, from the apt sources cloud-init wrote (lab:aptSources),
# which then hold everything installed here.
# Idempotent: packages are installed only when the requested kubeadm version is missing; containerd's
# configuration is derived again on every run and containerd restarted only when it changed.
# Every apt call waits for the dpkg and apt locks, bounded (apt_get/apt_mark in lib.sh): on a first
# boot Ubuntu's apt-daily and unattended-upgrades hold them for minutes.
# Env: KUBERNETES_VERSION (e.g. 1.33.2), KUBERNETES_APT_SOURCE (pkgs.k8s.io, the default, or configured),
#      CONTAINERD_CERTS_D (the registry host configuration directory cloud-init wrote hosts.toml files to),
#      LAB_APT_LOCK_TIMEOUT (seconds, default 600), CONTAINERD_CONFIG (default /etc/containerd/config.toml),
#      CNI_BIN_DIR (default /opt/cni/bin), DISTRO_CNI_DIR (default /usr/lib/cni).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${KUBERNETES_VERSION:?}" "${CONTAINERD_CERTS_D:?}"
minor=${KUBERNETES_VERSION%.*}
apt_source=${KUBERNETES_APT_SOURCE:-pkgs.k8s.io}
export DEBIAN_FRONTEND=noninteractive
LAB_SCRIPT="node-kube-install($(hostname))"
log() { echo "$LAB_SCRIPT: $*" >&2; }
containerd_config=${CONTAINERD_CONFIG:-/etc/containerd/config.toml}
# Where Cilium's chart installs its CNI plugin (cni.binPath) and kubernetes-cni its plugins.
cni_bin_dir=${CNI_BIN_DIR:-/opt/cni/bin}
# Where Debian's and Ubuntu's containernetworking-plugins put theirs (the Debian containerd 1.7 default).
distro_cni_dir=${DISTRO_CNI_DIR:-/usr/lib/cni}
# Mirrors can be slow through the router's NAT: up to 5 attempts, 10 s apart.
fetch() { retry 5 10 "$@"; }

case "$apt_source" in
pkgs.k8s.io) base_packages=(containerd apt-transport-https ca-certificates curl gpg conntrack socat) ;;
configured) base_packages=(containerd conntrack socat) ;;
*) die "KUBERNETES_APT_SOURCE=$apt_source: expected pkgs.k8s.io or configured" ;;
esac

install_packages() {
  local missing=() pkg pkgver
  for pkg in "${base_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [[ "$apt_source" == pkgs.k8s.io || ${#missing[@]} -gt 0 ]]; then
    fetch apt_get update -q
  fi
  if ((${#missing[@]} > 0)); then
    fetch apt_get install -y -q "${missing[@]}"
  fi
  if [[ "$apt_source" == pkgs.k8s.io ]]; then
    install -d -m 0755 /etc/apt/keyrings
    fetch curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${minor}/deb/Release.key" -o /tmp/k8s-release.key
    gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg /tmp/k8s-release.key
    echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /" \
      >/etc/apt/sources.list.d/kubernetes.list
    fetch apt_get update -q
  fi
  pkgver=$(apt-cache madison kubeadm | awk -v v="$KUBERNETES_VERSION" '$3 ~ "^"v"-" {print $3; exit}')
  if [[ -z "$pkgver" ]]; then
    [[ "$apt_source" == pkgs.k8s.io ]] && die "kubeadm $KUBERNETES_VERSION is not in pkgs.k8s.io v${minor}"
    die "kubeadm $KUBERNETES_VERSION is not in the configured apt sources (lab:aptSources): apt-cache madison kubeadm lists $(apt-cache madison kubeadm | awk '{print $3}' | paste -sd, - || true)"
  fi
  apt_mark unhold kubelet kubeadm kubectl >/dev/null || true
  fetch apt_get install -y -q --allow-downgrades "kubelet=$pkgver" "kubeadm=$pkgver" "kubectl=$pkgver"
  apt_mark hold kubelet kubeadm kubectl >/dev/null
  log "installed kubeadm $pkgver"
}

if command -v kubeadm >/dev/null 2>&1 && [[ "$(kubeadm version -o short 2>/dev/null)" == "v${KUBERNETES_VERSION}" ]]; then
  log "kubeadm v${KUBERNETES_VERSION} already installed"
else
  install_packages
fi

# containerd's CRI runs the `loopback` CNI plugin for every pod sandbox, from its CNI bin directory.
# pkgs.k8s.io's kubelet brings it there (it depends on kubernetes-cni); elsewhere the distribution's
# containernetworking-plugins has it in its own directory.
if [[ ! -x "$cni_bin_dir/loopback" ]]; then
  if [[ ! -x "$distro_cni_dir/loopback" ]]; then
    fetch apt_get install -y -q containernetworking-plugins
  fi
  [[ -x "$distro_cni_dir/loopback" ]] ||
    die "no CNI loopback plugin in $cni_bin_dir or $distro_cni_dir: install kubernetes-cni or containernetworking-plugins from the apt sources"
  install -d -m 0755 "$cni_bin_dir"
  ln -sf "$distro_cni_dir/loopback" "$cni_bin_dir/loopback"
  log "linked $distro_cni_dir/loopback into $cni_bin_dir"
fi

# The pod sandbox image kubeadm expects for this version (containerd 1.7 defaults to pause:3.8, and a
# registry mirror holds only what kubeadm asks for).
pause_image=$(kubeadm config images list --kubernetes-version "v${KUBERNETES_VERSION}" | grep -m1 '/pause:' || true)
[[ -n "$pause_image" ]] || die "kubeadm config images list --kubernetes-version v${KUBERNETES_VERSION} named no pause image"

# containerd's own default configuration with the lab's edits, in the 1.7 layout (version 2) and the 2.x
# layout (version 3) alike; each edit is checked after, because a pattern that matches nothing succeeds
# silently:
#   - SystemdCgroup = true: kubeadm configures the kubelet for the systemd cgroup driver; containerd's
#     runc must match (containerd 2.1.x left the line out of `containerd config default`,
#     containerd/containerd#12101, fixed by #12244);
#   - config_path: where the registry host configuration (hosts.toml per registry, lab:registryMirrors)
#     is read; empty by default in both;
#   - the sandbox image (1.7 sandbox_image, 2.x pinned_images.sandbox): kubeadm's pause image;
#   - the CNI bin directory: Debian's containerd 1.7 defaults bin_dir to /usr/lib/cni, where Cilium does
#     not install its plugin; 2.x has a list (bin_dirs) and only gains the directory if missing.
edit_containerd_config() {
  awk -v certs="$CONTAINERD_CERTS_D" -v pause="$pause_image" -v cni="$cni_bin_dir" '
    /^[[:space:]]*\[/ { section = $0 }
    /^[[:space:]]*SystemdCgroup = false[[:space:]]*$/ { sub(/false/, "true") }
    /^[[:space:]]*config_path = (""|\047\047)[[:space:]]*$/ { sub(/(""|\047\047)/, "\"" certs "\"") }
    /^[[:space:]]*sandbox_image = / || (/^[[:space:]]*sandbox = / && section ~ /pinned_images\]/) {
      sub(/=.*/, "= \"" pause "\"")
    }
    section ~ /\.cni\][[:space:]]*$/ && /^[[:space:]]*bin_dir = / && !/= (""|\047\047)[[:space:]]*$/ {
      sub(/=.*/, "= \"" cni "\"")
    }
    section ~ /\.cni\][[:space:]]*$/ && /^[[:space:]]*bin_dirs = \[/ && index($0, cni) == 0 {
      sub(/\[/, "[\"" cni "\", ")
    }
    { print }
  '
}

# check_containerd_config FILE: the edits took in FILE (the configuration derived for $containerd_config).
check_containerd_config() {
  local file=$1 version
  version=$(containerd --version 2>/dev/null || echo 'containerd, version unknown')
  grep -Eq '^[[:space:]]*SystemdCgroup = true' "$file" ||
    die "SystemdCgroup = true is not set in $containerd_config: \`containerd config default\` ($version) printed no SystemdCgroup line to edit (containerd/containerd#12101); the kubelet would run with the systemd cgroup driver and containerd with cgroupfs"
  grep -Eq "^[[:space:]]*config_path = \"$CONTAINERD_CERTS_D\"" "$file" ||
    die "config_path is not $CONTAINERD_CERTS_D in $containerd_config: \`containerd config default\` ($version) printed no empty config_path to set; registry mirrors would be ignored"
  grep -Eq "^[[:space:]]*(sandbox_image|sandbox) = \"$pause_image\"" "$file" ||
    die "the sandbox image is not $pause_image in $containerd_config: \`containerd config default\` ($version) printed no sandbox_image or pinned sandbox line"
  grep -Eq "^[[:space:]]*bin_dirs? = .*[\"']${cni_bin_dir}[\"']" "$file" ||
    die "the CNI bin directory $cni_bin_dir is not in $containerd_config: \`containerd config default\` ($version) printed no bin_dir or bin_dirs in a cni section"
}

mkdir -p "$(dirname "$containerd_config")"
new_config=$(mktemp)
trap 'rm -f "$new_config"' EXIT
containerd config default | edit_containerd_config >"$new_config"
check_containerd_config "$new_config"
if cmp -s "$new_config" "$containerd_config" && systemctl is-active --quiet containerd; then
  log "containerd configuration unchanged"
else
  install -m 0644 "$new_config" "$containerd_config"
  systemctl enable containerd >/dev/null 2>&1
  systemctl restart containerd
  log "containerd configured: systemd cgroups, registry hosts $CONTAINERD_CERTS_D, sandbox $pause_image, CNI $cni_bin_dir"
fi
systemctl enable kubelet >/dev/null 2>&1
