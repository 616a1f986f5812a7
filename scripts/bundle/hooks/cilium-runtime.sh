#!/usr/bin/env bash
# The cilium runtime image's own steps (images/runtime/Dockerfile of the cilium module): iptables
# behind iptables-wrapper (the module's images/runtime/iptables-wrapper-installer.sh, which picks the
# legacy or nft backend the host uses), the CNI loopback plugin at /cni/loopback (install-plugin.sh
# copies it to the host), and clang/llc without a version suffix (the agent runs `clang`).
# Usage: bash cilium-runtime.sh ROOTFS; env CILIUM_VERSION.
set -euo pipefail
root=${1:?rootfs directory}
: "${CILIUM_VERSION:?}"
src=$(go mod download -json "github.com/cilium/cilium@v$CILIUM_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -f "$src/images/runtime/iptables-wrapper-installer.sh" ] || {
  echo "cilium-runtime hook: no images/runtime/iptables-wrapper-installer.sh in $src" >&2
  exit 1
}
install -m 0755 "$src/images/runtime/iptables-wrapper-installer.sh" "$root/tmp/iptables-wrapper-installer.sh"
chroot "$root" /bin/sh /tmp/iptables-wrapper-installer.sh --no-sanity-check
rm -f "$root/tmp/iptables-wrapper-installer.sh"
install -d "$root/cni"
install -m 0755 "$root/usr/lib/cni/loopback" "$root/cni/loopback"
for tool in clang llc; do
  [ -x "$root/usr/bin/$tool" ] || {
    echo "cilium-runtime hook: /usr/bin/$tool is missing" >&2
    exit 1
  }
done
install -d "$root/home/cilium"
