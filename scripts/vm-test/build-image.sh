#!/usr/bin/env bash
# Builds the VM test's guest image: Debian trixie from Debian's mirror with debootstrap, every package
# the lab's cloud-init and scripts use already installed (the VMs have no internet), GRUB on an MBR disk
# (no loop device or mount needed), written as qcow2.
#
# Trixie rather than bookworm because it is the closest Debian to what lab users boot (Ubuntu 24.04):
# cloud-init 25.1 (24.04 ships 24.x/25.x: both have the return codes of 23.4+, where `cloud-init status`
# exits 2 for "done with recoverable errors"), kernel 6.12, systemd 257. Bookworm's cloud-init 22.4
# predates those codes, so the wait scripts could not meet them here.
#
# Cached under CACHE_DIR (default <repo>/.cache/vm-image) keyed by a hash of this file, so a second run
# with the same recipe skips the build. Prints the image path on stdout (the only stdout line). The
# image's kernel and initrd are kept beside it (vmlinuz, initrd.img): scripts/vm-test/kvm-probe.sh boots
# that kernel to decide whether KVM works here.
#
# Environment: CACHE_DIR, DEBIAN_MIRROR (default http://deb.debian.org/debian; not part of the key).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${CACHE_DIR:-$root/.cache/vm-image}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The recipe. Changing anything in this file changes the key and rebuilds the image.
suite=trixie
packages=(
  linux-image-amd64 systemd-sysv udev dbus kmod procps cloud-init cloud-guest-utils python3
  python3-cffi-backend iproute2 tcpdump nftables iptables openssh-server openssh-client iputils-ping
  curl netcat-openbsd sudo grub-pc-bin ca-certificates less fdisk wireguard-tools rsyslog
)
# wireguard-tools: the WireGuard fixture (`wg`; the module is in linux-image-amd64). rsyslog: Ubuntu's
# cloud image writes /var/log/auth.log through it (sudo logs each command there); the suite checks that
# no secret lands in it, so the guest must have it as users' nodes do.
fs_size=4G          # ext4 size (sparse: only used blocks take space in the qcow2)
fs_label=labroot

key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
image=$cache/$key/debian-$suite-lab.qcow2
if [ -s "$image" ] && [ -s "$image.sha256" ] && [ -s "$cache/$key/vmlinuz" ]; then
  echo "guest image: cache hit $image" >&2
  echo "$image"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "build-image: must run as root (debootstrap)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vm-image.XXXXXX")
cleanup() {
  # debootstrap mounts proc/sys inside the target; unmount whatever is left before removing it.
  awk -v w="$work" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
rootfs=$work/rootfs
start=$(date +%s)

echo "guest image: debootstrap $suite from $mirror (${#packages[@]} packages + dependencies)" >&2
include=$(IFS=,; echo "${packages[*]}")
debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
  echo "build-image: debootstrap failed" >&2
  exit 1
}
echo "guest image: debootstrap done in $(( $(date +%s) - start ))s" >&2

# --- configure the root file system -----------------------------------------------------------------
in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

echo "LABEL=$fs_label / ext4 defaults,errors=remount-ro 0 1" >"$rootfs/etc/fstab"
echo localhost >"$rootfs/etc/hostname"
# Each VM must get its own machine-id (DHCP client ids derive from it) and its own SSH host keys.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id" "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=/usr/bin/ssh-keygen -A\n' >"$rootfs/etc/systemd/system/ssh.service.d/10-hostkeys.conf"

# Cloud-init: only NoCloud (the lab's seed); no probing of cloud metadata services.
# No `locales` package in this minimal image: cloud-init's locale module would fail on update-locale
# (Ubuntu's cloud image has it), so leave the locale alone (C.UTF-8 works without it).
cat >"$rootfs/etc/cloud/cloud.cfg.d/90-lab-vm-test.cfg" <<'EOF'
datasource_list: [ NoCloud, None ]
locale: false
EOF
# Offline guest: apt must never reach the internet through the lab's NAT uplink. Sources are removed
# and any fetch goes to a closed local port, so `apt-get install` of a baked package is a no-op and
# `apt-get update` fails fast instead of leaving the lab.
rm -f "$rootfs/etc/apt/sources.list" "$rootfs"/etc/apt/sources.list.d/*
printf 'Acquire::http::Proxy "http://127.0.0.1:9/";\nAcquire::https::Proxy "http://127.0.0.1:9/";\nAcquire::Retries "0";\n' \
  >"$rootfs/etc/apt/apt.conf.d/99lab-offline"

in_root systemctl enable systemd-networkd.service >/dev/null 2>&1
in_root systemctl enable ssh.service >/dev/null 2>&1 || true
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
  in_root systemctl disable "$unit" >/dev/null 2>&1 || true
done
echo 'ttyS0' >>"$rootfs/etc/securetty" 2>/dev/null || true

# Kernel and initrd names, for GRUB.
kernel=$(find "$rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n 1)
initrd=initrd.img-${kernel#vmlinuz-}
[ -f "$rootfs/boot/$initrd" ] || { echo "build-image: no initrd for $kernel" >&2; exit 1; }
cp "$rootfs/boot/$kernel" "$work/vmlinuz"
cp "$rootfs/boot/$initrd" "$work/initrd.img"

# GRUB (i386-pc): modules on the disk, core.img in the MBR gap, boot.img in the MBR.
mkdir -p "$rootfs/boot/grub"
cp -r "$rootfs/usr/lib/grub/i386-pc" "$rootfs/boot/grub/"
cat >"$rootfs/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry 'Debian $suite (cilium-ipsec-lab VM test)' {
  linux /boot/$kernel root=LABEL=$fs_label ro console=tty0 console=ttyS0,115200n8 net.ifnames=1
  initrd /boot/$initrd
}
EOF
in_root grub-mkimage -O i386-pc -o /tmp/core.img -p '(hd0,msdos1)/boot/grub' \
  biosdisk part_msdos ext2 normal linux boot configfile serial terminal
mv "$rootfs/tmp/core.img" "$work/core.img"
cp "$rootfs/usr/lib/grub/i386-pc/boot.img" "$work/boot.img"

# Trim what a test guest never reads.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log "$rootfs/debootstrap"

# --- assemble the disk ---------------------------------------------------------------------------
core_size=$(stat -c %s "$work/core.img")
[ "$core_size" -lt $(( 2047 * 512 )) ] || { echo "build-image: core.img too large ($core_size)" >&2; exit 1; }
# stdout is the image path alone: mke2fs prints "Creating regular file ..." there even with -q.
mkfs.ext4 -q -F -L "$fs_label" -O ^metadata_csum_seed,^orphan_file -d "$rootfs" "$work/root.ext4" "$fs_size" >&2
fs_bytes=$(stat -c %s "$work/root.ext4")
disk=$work/disk.raw
truncate -s $(( 1024 * 1024 + fs_bytes )) "$disk"
# MBR partition table by hand (no fdisk needed): one bootable Linux partition from sector 2048.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# shellcheck disable=SC2059 # the format is built from escapes on purpose
printf "\\x80\\xfe\\xff\\xff\\x83\\xfe\\xff\\xff$(le32 2048)$(le32 $(( fs_bytes / 512 )))" |
  dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
dd if="$work/root.ext4" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
# boot.img's drive check (offset 0x66) is for buggy floppy BIOSes; grub-setup replaces it with NOPs on disks.
printf '\x90\x90' | dd of="$disk" bs=1 seek=$((0x66)) conv=notrunc status=none
dd if="$work/core.img" of="$disk" bs=512 seek=1 conv=notrunc status=none

mkdir -p "$cache/$key"
cp "$work/vmlinuz" "$work/initrd.img" "$cache/$key/"
qemu-img convert -f raw -O qcow2 "$disk" "$image.tmp"
(cd "$cache/$key" && sha256sum "$(basename "$image.tmp")" | sed 's/\.tmp$//' >"$image.sha256")
mv "$image.tmp" "$image"
echo "guest image: built $image ($(du -h "$image" | cut -f1)) in $(( $(date +%s) - start ))s" >&2
echo "$image"
