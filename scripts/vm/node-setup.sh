#!/usr/bin/env bash
# Kubernetes node preparation, run once by cloud-init (runcmd) as root: kernel modules and sysctls
# kubeadm expects, swap off. Installs nothing (Kubernetes packages come from node-kube-install.sh).
set -euo pipefail

cat >/etc/modules-load.d/90-lab-k8s.conf <<CONF
overlay
br_netfilter
CONF
for m in overlay br_netfilter; do
  modprobe "$m" 2>/dev/null || echo "lab-node-setup: module $m not available" >&2
done

cat >/etc/sysctl.d/90-lab-k8s.conf <<CONF
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
CONF
sysctl -q --system || true

swapoff -a
sed -ri '/\sswap\s/s/^([^#])/#\1/' /etc/fstab
echo "lab-node-setup: done" >&2
