#!/usr/bin/env bash
# Piece "guest": the Debian trixie guest image, made by the VM suite's own builder
# (scripts/vm-test/build-image.sh: debootstrap, cloud-init, GRUB on an MBR disk, qcow2) with its cache
# in WORK. That image is made for a suite whose guests must never reach a network, so it points apt at a
# closed local proxy (/etc/apt/apt.conf.d/99lab-offline); a lab guest installs from the bundle's apt
# repository instead (lab:aptSources), so that one file is removed from the image's file system
# (debugfs on the partition; build-image.sh puts it at 1 MiB). Output: OUT/guest.qcow2 and
# OUT/guest.qcow2.sha256 (sha256sum format).
# Env: DEBIAN_MIRROR, OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-guest}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

image=$(CACHE_DIR="$WORK/cache" bash "$repo/scripts/vm-test/build-image.sh") || die "step 'build-image.sh' failed"
[ -s "$image" ] || die "step 'build-image.sh': it printed '$image', which is not an image"
raw=$WORK/guest.raw
qemu-img convert -f qcow2 -O raw "$image" "$raw"
fs="$raw?offset=$((1024 * 1024))"
lock=/etc/apt/apt.conf.d/99lab-offline
if debugfs -R "stat $lock" "$fs" 2>/dev/null | grep -q '^Inode:'; then
  debugfs -w -R "rm $lock" "$fs" >/dev/null 2>&1 || die "step 'apt lock': debugfs could not remove $lock"
  say "removed $lock (the VM suite's offline apt lock)"
else
  say "no $lock in the image (nothing to remove)"
fi
qemu-img convert -f raw -O qcow2 "$raw" "$OUT/guest.qcow2"
rm -f "$raw"
(cd "$OUT" && sha256sum guest.qcow2 >guest.qcow2.sha256)
say "guest.qcow2 $(du -h "$OUT/guest.qcow2" | cut -f1), $(cut -c1-16 "$OUT/guest.qcow2.sha256")..."
