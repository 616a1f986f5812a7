#!/usr/bin/env bash
# Piece "rootfs-*": a Debian root file system from DEBIAN_MIRROR, made with mmdebstrap (no container
# engine) and written as one deterministic tar (the image layer): sorted names, one mtime, numeric
# owners, file capabilities kept (ping's cap_net_raw). Documentation, man pages and locales are left
# out, as in Debian's own slim images. Output: OUT/rootfs.tar, OUT/packages (name version, one a line).
# Env: ROOTFS_SUITE (trixie), ROOTFS_VARIANT (mmdebstrap variant: apt, extract, ...), ROOTFS_PACKAGES
# (comma-separated), ROOTFS_HOOK (optional: a script, absolute or relative to the repository, run as
# `bash HOOK ROOTFS_DIR` before the tar),
# DEBIAN_MIRROR (default http://deb.debian.org/debian), OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-rootfs}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${ROOTFS_SUITE:?}" "${ROOTFS_VARIANT:?}" "${ROOTFS_PACKAGES:?}"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$WORK/root
rm -rf "$root"

say "mmdebstrap $ROOTFS_SUITE ($ROOTFS_VARIANT) with $ROOTFS_PACKAGES"
mmdebstrap --mode=root --variant="$ROOTFS_VARIANT" --include="$ROOTFS_PACKAGES" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  "$ROOTFS_SUITE" "$root" "$mirror" >"$WORK/mmdebstrap.log" 2>&1 || {
  tail -n 20 "$WORK/mmdebstrap.log" | sed 's/^/  /' >&2
  die "step 'mmdebstrap' failed; full log: $WORK/mmdebstrap.log"
}
if [ -x "$root/usr/bin/dpkg-query" ]; then
  # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
  chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$OUT/packages"
else
  : >"$OUT/packages" # the extract variant registers nothing with dpkg
fi
if [ -n "${ROOTFS_HOOK:-}" ]; then
  hook=$ROOTFS_HOOK
  [[ "$hook" == /* ]] || hook=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/$hook
  say "hook $(basename "$hook")"
  bash "$hook" "$root" || die "step 'hook $(basename "$hook")' failed"
fi
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/*
tar --sort=name --mtime=@0 --clamp-mtime --numeric-owner --xattrs --xattrs-include='security.capability' \
  -C "$root" -cf "$OUT/rootfs.tar" .
rm -rf "$root"
say "rootfs.tar $(du -h "$OUT/rootfs.tar" | cut -f1)"
