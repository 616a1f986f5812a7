#!/usr/bin/env bash
# The engine suite (`npm run test:engine`, root): the VM half of the lab under the real Pulumi engine on
# real libvirt VMs (test/engine/suite.ts says what it checks). Not part of `npm test` or .ci/run: it needs
# the Pulumi CLI and the command, random and tls plugins at the versions package.json pins, installed in
# PULUMI_HOME (the suite never downloads plugins; without them it exits 3 naming each with its install
# command).
#
# This script prepares the host as the VM suite does (Debian packages, virtlogd and libvirtd started when
# not running and stopped at the end if started here), then runs the suite. The suite may restart
# libvirtd for its reboot check only when this script started it (ENGINE_TEST_LIBVIRTD_STARTED=1).
# Environment: LAB_PULUMI_CLI (the pulumi binary, <root>/bin/pulumi; default PATH, then .lab/pulumi),
# PULUMI_HOME, ENGINE_TEST_DOMAIN_TYPE (kvm|qemu: skip the KVM probe), CACHE_DIR (guest image cache).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"
[ "$(id -u)" -eq 0 ] || {
  echo "test-engine: must run as root (libvirt system URI, debootstrap)" >&2
  exit 2
}
case ${ENGINE_TEST_DOMAIN_TYPE:-} in
  '' | kvm | qemu) ;;
  *)
    echo "test-engine: ENGINE_TEST_DOMAIN_TYPE must be kvm or qemu, got '$ENGINE_TEST_DOMAIN_TYPE'" >&2
    exit 2
    ;;
esac

start=$(date +%s)
ensure_commands qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils virsh:libvirt-clients \
  libvirtd:libvirt-daemon-system virtlogd:libvirt-daemon-system debootstrap:debootstrap \
  genisoimage:genisoimage mkfs.ext4:e2fsprogs ssh:openssh-client ip:iproute2 iptables:iptables \
  dnsmasq:dnsmasq-base curl:curl pgrep:procps ps:procps ssh-keygen:openssh-client
ensure_node_modules "$root"

# shellcheck source=scripts/lib/libvirt-daemons.sh
. "$root/scripts/lib/libvirt-daemons.sh"
trap libvirt_daemons_stop EXIT
libvirt_daemons_start || {
  echo "test-engine: libvirt is not usable" >&2
  exit 2
}
export ENGINE_TEST_LIBVIRTD_STARTED=$LIBVIRTD_STARTED_HERE

cd "$root"
set +e
npx ts-node --transpile-only test/engine/suite.ts
rc=$?
set -e
echo "test-engine: total $(($(date +%s) - start))s (exit $rc)" >&2
exit "$rc"
