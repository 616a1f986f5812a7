#!/usr/bin/env bash
# The lab suite (`npm run test:lab`, root): the whole lab offline, from the bundle to verified outputs of
# the unencrypted, ipsec (switched in place, then rotated) and wireguard stacks, through `npm run lab` on
# the real Pulumi engine (test/lab/suite.ts says what it checks). Not part of `npm test` or .ci/run: it
# needs the Pulumi CLI and the command, random, tls and kubernetes plugins at the versions package.json
# pins, installed in PULUMI_HOME, and hours of software emulation on a small host.
#
# This script prepares the host as the VM suite does (Debian packages, virtlogd and libvirtd started when
# not running and stopped at the end if started here and no domain runs), then runs the suite. Arguments
# go to the suite: --from STAGE --work DIR go on with an earlier run; --out DIR keeps the results there.
# Environment: LAB_PULUMI_CLI (the pulumi binary), PULUMI_HOME, LAB_BUNDLE_CACHE.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"
[ "$(id -u)" -eq 0 ] || {
  echo "test-lab: must run as root (libvirt system URI, the bundle's mmdebstrap)" >&2
  exit 2
}

start=$(date +%s)
ensure_commands qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils virsh:libvirt-clients \
  libvirtd:libvirt-daemon-system virtlogd:libvirt-daemon-system genisoimage:genisoimage \
  ssh:openssh-client ip:iproute2 iptables:iptables dnsmasq:dnsmasq-base curl:curl pgrep:procps \
  ssh-keygen:openssh-client tshark:tshark git:git
ensure_node_modules "$root"

# shellcheck source=scripts/lib/libvirt-daemons.sh
. "$root/scripts/lib/libvirt-daemons.sh"
trap libvirt_daemons_stop EXIT
open_kvm_to_qemu_user
libvirt_daemons_start || {
  echo "test-lab: libvirt is not usable" >&2
  exit 2
}

cd "$root"
set +e
npx ts-node --transpile-only test/lab/suite.ts "$@"
rc=$?
set -e
echo "test-lab: total $(($(date +%s) - start))s (exit $rc)" >&2
exit "$rc"
