#!/usr/bin/env bash
# Exit 0 when libvirt can run a KVM guest that boots a real kernel on this machine, 1 otherwise; the
# reason goes to stderr either way (the suite then uses software emulation, `qemu`).
#
# The probe runs a guest the way the suite runs its VMs: a transient libvirt domain of type kvm, so
# qemu runs as libvirt's qemu user (Debian: libvirt-qemu), not as root. Two failures seen in practice
# that a root-run qemu with firmware only cannot see:
#   - /dev/kvm root-only (crw------- without udev's kvm group rule): libvirt's qemu user cannot open it,
#     `Could not access KVM kernel module: Permission denied`; a lab host must put that user in the kvm
#     group with /dev/kvm 0660 root:kvm.
#   - nested KVM that starts a vCPU but never gets a stock kernel to print: the guest "runs" and shows
#     nothing on its serial console.
# So the probe boots the guest image's own kernel (direct kernel boot, console=ttyS0, no disk) and
# waits, bounded, until the kernel prints its banner on the serial console.
#
# Environment: PROBE_KERNEL (required: a vmlinuz), PROBE_INITRD (optional), PROBE_SECONDS (default 75),
# PROBE_NAME (default cil-vmtest-kvmprobe: the suite's prefix, so a leftover is caught by its checks),
# LIBVIRT_DEFAULT_URI (default qemu:///system).
set -euo pipefail

uri=${LIBVIRT_DEFAULT_URI:-qemu:///system}
name=${PROBE_NAME:-cil-vmtest-kvmprobe}
seconds=${PROBE_SECONDS:-75}
kernel=${PROBE_KERNEL:-}
initrd=${PROBE_INITRD:-}

say() { echo "kvm-probe: $*" >&2; }
no() { say "KVM not usable, software emulation instead: $*"; exit 1; }

say "/dev/kvm: $(ls -l /dev/kvm 2>&1)"
[ -e /dev/kvm ] || no "no /dev/kvm (no KVM module or not passed into this machine)"
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then no "PROBE_KERNEL '$kernel' is not a readable kernel image"; fi

# libvirt's qemu user (qemu.conf `user`, Debian's default libvirt-qemu) must open /dev/kvm. When it cannot,
# libvirt needs minutes to report "Could not access KVM kernel module: Permission denied" (measured here:
# about 3 min on a loaded 2-core machine), so say it at once.
qemu_user=$(sed -n 's/^[[:space:]]*user[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' /etc/libvirt/qemu.conf 2>/dev/null | tail -n 1)
qemu_user=${qemu_user:-libvirt-qemu}
if [ "$qemu_user" != root ] && id "$qemu_user" >/dev/null 2>&1 &&
  ! runuser -u "$qemu_user" -- sh -c 'test -r /dev/kvm && test -w /dev/kvm' 2>/dev/null; then
  no "libvirt runs guests as $qemu_user ($(id "$qemu_user")), who cannot open /dev/kvm: add $qemu_user to the group owning /dev/kvm and make it 0660 (udev's kvm rule: root:kvm 0660)"
fi

# The kernel, initrd and console log live in a directory libvirt's qemu user can read and write.
work=$(mktemp -d /var/lib/libvirt/images/kvm-probe.XXXXXX 2>/dev/null || mktemp -d /tmp/kvm-probe.XXXXXX)
chmod 0755 "$work"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  virsh -q -c "$uri" destroy "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cp "$kernel" "$work/vmlinuz"
initrd_xml=
if [ -n "$initrd" ]; then cp "$initrd" "$work/initrd.img"; initrd_xml="<initrd>$work/initrd.img</initrd>"; fi
chmod 0644 "$work"/*
console=$work/console.log
: >"$console"
chmod 0666 "$console"

virsh -q -c "$uri" destroy "$name" >/dev/null 2>&1 || true
cat >"$work/domain.xml" <<EOF
<domain type='kvm'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$work/vmlinuz</kernel>
    $initrd_xml
    <cmdline>console=ttyS0,115200n8 panic=-1 ignore_loglevel</cmdline>
  </os>
  <cpu mode='host-passthrough'/>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$console'/><target port='0'/></serial>
  </devices>
</domain>
EOF

start=$SECONDS
if ! out=$(timeout "$seconds" virsh -q -c "$uri" create "$work/domain.xml" 2>&1); then
  no "libvirt could not start a kvm domain: $(echo "$out" | tr '\n' ' ' | cut -c1-400)"
fi
while ((SECONDS - start < seconds)); do
  if grep -q 'Linux version' "$console" 2>/dev/null; then
    say "a KVM guest booted the kernel through libvirt ($(grep -m1 -o 'Linux version [^ ]*' "$console")) in $((SECONDS - start))s"
    exit 0
  fi
  state=$(virsh -q -c "$uri" domstate "$name" 2>/dev/null || echo gone)
  case $state in
    running | paused | blocked) ;;
    *) no "the kvm guest stopped ($state) before its kernel printed anything: $(tail -c 300 "$console" | tr '\n' ' ')" ;;
  esac
  sleep 1
done
no "the kvm guest ran ${seconds}s and its kernel printed nothing on the serial console"
