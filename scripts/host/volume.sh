#!/usr/bin/env bash
# Create or delete one volume in the stack's pool. Creating replaces a stale volume of the same name
# (a new VM must never inherit an old disk); deleting a missing volume succeeds.
# Usage: volume.sh upload   (Env: SOURCE_FILE on THIS machine, VOL_FORMAT qcow2|raw) - vol-create-as + vol-upload
#        volume.sh create   (Env: VOL_XML)                                       - vol-create (e.g. an overlay)
#        volume.sh delete
# Env always: LIBVIRT_URI, POOL_NAME, VOL_NAME.
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need LIBVIRT_URI POOL_NAME VOL_NAME

exists() {
  vq vol-info --pool "$POOL_NAME" "$VOL_NAME"
}

# libvirt refuses pool-refresh while another volume of the pool is being uploaded ("has asynchronous
# jobs running"), and Pulumi creates the VMs' seeds and overlays in parallel: wait for the uploads, bounded.
refresh_pool() {
  local rc tries=${REFRESH_TRIES:-300}
  while :; do
    rc=0
    refresh_error=$(virsh -q -c "$LIBVIRT_URI" pool-refresh "$POOL_NAME" 2>&1) || rc=$?
    ((rc != 0)) || return 0
    if [[ $refresh_error != *"asynchronous jobs"* ]] || ((--tries <= 0)); then
      refresh_error="virsh pool-refresh failed (exit $rc): $refresh_error"
      return 1
    fi
    sleep "${REFRESH_WAIT:-1}"
  done
}

remove_stale() {
  refresh_pool || die "$refresh_error"
  if exists; then
    echo "replacing existing volume $VOL_NAME" >&2
    v vol-delete --pool "$POOL_NAME" "$VOL_NAME" >/dev/null
  fi
}

case "${1:-}" in
  upload)
    need SOURCE_FILE VOL_FORMAT
    [[ -r "$SOURCE_FILE" ]] || die "cannot read $SOURCE_FILE"
    size=$(stat -c %s "$SOURCE_FILE")
    remove_stale
    v vol-create-as "$POOL_NAME" "$VOL_NAME" "${size}B" --format "$VOL_FORMAT" >/dev/null
    if ! out=$(virsh -q -c "$LIBVIRT_URI" vol-upload --pool "$POOL_NAME" "$VOL_NAME" "$SOURCE_FILE" 2>&1); then
      vq vol-delete --pool "$POOL_NAME" "$VOL_NAME" || true
      die "virsh vol-upload failed: $out"
    fi
    echo "volume $VOL_NAME uploaded ($size bytes)"
    ;;
  create)
    need VOL_XML
    remove_stale
    xml=$(with_xml VOL_XML)
    trap 'rm -f "$xml"' EXIT
    v vol-create "$POOL_NAME" "$xml" >/dev/null
    echo "volume $VOL_NAME created"
    ;;
  delete)
    if ! vq pool-info "$POOL_NAME"; then
      echo "volume $VOL_NAME already gone (no pool $POOL_NAME)"
      exit 0
    fi
    # A failed refresh only means the pool's view may be stale; vol-info below still decides.
    refresh_pool || echo "warning: $refresh_error" >&2
    if ! exists; then
      echo "volume $VOL_NAME already gone"
      exit 0
    fi
    v vol-delete --pool "$POOL_NAME" "$VOL_NAME" >/dev/null
    echo "volume $VOL_NAME deleted"
    ;;
  *) die "usage: volume.sh upload|create|delete" ;;
esac
