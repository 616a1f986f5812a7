#!/usr/bin/env bash
# Kubernetes node preparation, run as root after the node's first boot (components/cluster.ts, before
# node-kube-install.sh): kernel modules and sysctls kubeadm expects, swap off. Written to
# /etc/modules-load.d, /etc/sysctl.d and /etc/fstab, so a reboot keeps it. Idempotent. Installs nothing.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LAB_SCRIPT="node-setup($(hostname))"

cat >/etc/modules-load.d/90-lab-k8s.conf <<CONF
overlay
br_netfilter
CONF
for m in overlay br_netfilter; do
  modprobe "$m" 2>/dev/null || echo "$LAB_SCRIPT: module $m not available" >&2
done

cat >/etc/sysctl.d/90-lab-k8s.conf <<CONF
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
CONF
sysctl -q --system || true

swapoff -a
sed -ri '/\sswap\s/s/^([^#])/#\1/' /etc/fstab
echo "$LAB_SCRIPT: done" >&2
