#!/usr/bin/env bash
# The VM suite (`npm run test:vm`, root): real libvirt VMs built by the lab's own builders and host
# commands, a kernel fixture that reproduces Cilium's IPsec wire formats on two workers, the project's
# capture scripts on the router and the verifier on the fetched pcaps. See test/vm/lab.test.ts.
#
# This script prepares the host, then runs mocha on test/vm/ (extra arguments go to mocha):
#   - installs what is missing from Debian (qemu, libvirt, dnsmasq-base for NAT networks, debootstrap, genisoimage,
#     e2fsprogs, tcpdump, openssh-client, iptables),
#   - starts virtlogd and libvirtd when they are not running (no systemd here) and stops what it started,
#   - the libvirt domain type is chosen by the suite once the guest image exists: kvm when a libvirt
#     KVM guest boots the image's kernel (scripts/vm-test/kvm-probe.sh), else qemu (software emulation).
# Environment: VM_TEST_DOMAIN_TYPE (kvm|qemu, skip the probe), VM_TEST_KEEP=1 (leave the lab up for
# debugging; the suite then does not tear down), CACHE_DIR (guest image cache).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"

suite_start=$(date +%s)
phase() { echo "[vm-suite] $*" >&2; }
[ "$(id -u)" -eq 0 ] || { echo "test-vm: must run as root (libvirt system URI, debootstrap, xfrm in guests)" >&2; exit 1; }

t0=$(date +%s)
ensure_commands qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils virsh:libvirt-clients \
  libvirtd:libvirt-daemon-system virtlogd:libvirt-daemon-system debootstrap:debootstrap \
  genisoimage:genisoimage mkfs.ext4:e2fsprogs tcpdump:tcpdump \
  ssh:openssh-client ssh-keygen:openssh-client ip:iproute2 iptables:iptables dnsmasq:dnsmasq-base curl:curl pgrep:procps
ensure_node_modules "$root"
export VM_TEST_INSTALL_SECONDS=$(( $(date +%s) - t0 ))
phase "phase install: ${VM_TEST_INSTALL_SECONDS}s"

# --- libvirt daemons (no systemd): start what is not running, stop only what we started -------------
# shellcheck source=scripts/lib/libvirt-daemons.sh
. "$root/scripts/lib/libvirt-daemons.sh"
trap libvirt_daemons_stop EXIT
libvirt_daemons_start || { echo "test-vm: libvirt is not usable" >&2; exit 1; }

# --- domain type --------------------------------------------------------------------------------
# Probed by the suite after the image build (the probe boots the image's kernel through libvirt);
# VM_TEST_DOMAIN_TYPE=kvm|qemu skips the probe.
case ${VM_TEST_DOMAIN_TYPE:-} in
  '' | kvm | qemu) ;;
  *) echo "test-vm: VM_TEST_DOMAIN_TYPE must be kvm or qemu, got '$VM_TEST_DOMAIN_TYPE'" >&2; exit 2 ;;
esac

cd "$root"
set +e
npx mocha --config test/vm/.mocharc.json "$@"
rc=$?
set -e
phase "total: $(( $(date +%s) - suite_start ))s (mocha exit $rc)"
exit "$rc"
