#!/usr/bin/env bash
# Create or delete the stack's directory storage pool on the libvirt host (pool-build makes the
# directory there, so this works over qemu+ssh). Idempotent both ways.
# Usage: pool.sh create|delete
# Env: LIBVIRT_URI, POOL_NAME, POOL_XML (create only).
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need LIBVIRT_URI POOL_NAME

active() {
  [[ "$(info_field pool-info "$POOL_NAME" State)" == running ]]
}

case "${1:-}" in
  create)
    need POOL_XML
    if [[ "$(info_field pool-info "$POOL_NAME" Persistent)" != yes ]]; then
      xml=$(with_xml POOL_XML)
      trap 'rm -f "$xml"' EXIT
      v pool-define "$xml" >/dev/null
    fi
    if ! active; then
      v pool-build "$POOL_NAME" >/dev/null
      v pool-start "$POOL_NAME" >/dev/null
    fi
    v pool-autostart "$POOL_NAME" >/dev/null
    echo "pool $POOL_NAME running"
    ;;
  delete)
    if ! vq pool-info "$POOL_NAME"; then
      echo "pool $POOL_NAME already gone"
      exit 0
    fi
    if active; then
      v pool-refresh "$POOL_NAME" >/dev/null
      left=$(virsh -q -c "$LIBVIRT_URI" vol-list "$POOL_NAME" 2>/dev/null | awk 'NF {print $1}' | tr '\n' ' ')
      [[ -z "$left" ]] || die "pool $POOL_NAME still holds volumes: ${left}(delete them first)"
      v pool-destroy "$POOL_NAME" >/dev/null
    fi
    # Removes the (empty) directory. One failure is fine: the directory is already gone. libvirt's dir
    # backend rmdir()s the target and reports errno: "failed to remove pool '<path>': No such file or
    # directory" (src/storage/storage_util.c, virStorageBackendDeleteLocal). Anything else (not empty,
    # permission denied) fails the delete with virsh's words.
    if ! out=$(virsh -q -c "$LIBVIRT_URI" pool-delete "$POOL_NAME" 2>&1); then
      [[ $out == *"No such file or directory"* ]] || die "virsh pool-delete failed: ${out}"
    fi
    if [[ "$(info_field pool-info "$POOL_NAME" Persistent)" == yes ]]; then
      v pool-undefine "$POOL_NAME" >/dev/null
    fi
    echo "pool $POOL_NAME deleted"
    ;;
  *) die "usage: pool.sh create|delete" ;;
esac
