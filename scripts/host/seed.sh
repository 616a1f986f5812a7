#!/usr/bin/env bash
# Build a cloud-init NoCloud seed ISO (volume label "cidata") on the machine running Pulumi, then
# upload it as a raw volume to the stack's pool (volume.sh upload). With SEED_OUTPUT set, only build
# the ISO at that path (used by tests).
# Usage: seed.sh create|delete
# Env: USER_DATA, META_DATA, NETWORK_CONFIG (file contents); LIBVIRT_URI, POOL_NAME, VOL_NAME;
#      optional SEED_OUTPUT.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=scripts/host/lib.sh
. "$here/lib.sh"

case "${1:-}" in
  create)
    need USER_DATA META_DATA NETWORK_CONFIG
    work=$(mktemp -d "${TMPDIR:-/tmp}/lab-seed-XXXXXX")
    trap 'rm -rf "$work"' EXIT
    printf '%s\n' "$USER_DATA" >"$work/user-data"
    printf '%s\n' "$META_DATA" >"$work/meta-data"
    printf '%s\n' "$NETWORK_CONFIG" >"$work/network-config"
    iso=${SEED_OUTPUT:-$work/seed.iso}
    if command -v genisoimage >/dev/null 2>&1; then
      out=$(genisoimage -quiet -output "$iso" -volid cidata -joliet -rock \
        "$work/user-data" "$work/meta-data" "$work/network-config" 2>&1) || die "genisoimage failed: $out"
    elif command -v cloud-localds >/dev/null 2>&1; then
      out=$(cloud-localds -N "$work/network-config" "$iso" "$work/user-data" "$work/meta-data" 2>&1) ||
        die "cloud-localds failed: $out"
    else
      die "neither genisoimage nor cloud-localds is installed on this machine"
    fi
    if [[ -n "${SEED_OUTPUT:-}" ]]; then
      echo "seed written to $SEED_OUTPUT"
      exit 0
    fi
    SOURCE_FILE=$iso VOL_FORMAT=raw bash "$here/volume.sh" upload
    ;;
  delete)
    bash "$here/volume.sh" delete
    ;;
  *) die "usage: seed.sh create|delete" ;;
esac
