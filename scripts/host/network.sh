#!/usr/bin/env bash
# Create or delete one libvirt network. Idempotent: creating an existing network (re)defines and starts
# it; deleting a missing one succeeds.
# Usage: network.sh create|delete
# Env: LIBVIRT_URI, NET_NAME, NET_XML (create only).
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need LIBVIRT_URI NET_NAME

case "${1:-}" in
  create)
    need NET_XML
    xml=$(with_xml NET_XML)
    trap 'rm -f "$xml"' EXIT
    v net-define "$xml" >/dev/null
    if ! virsh -q -c "$LIBVIRT_URI" net-info "$NET_NAME" 2>/dev/null | grep -Eq '^Active:[[:space:]]+yes'; then
      v net-start "$NET_NAME" >/dev/null
    fi
    v net-autostart "$NET_NAME" >/dev/null
    echo "network $NET_NAME active"
    ;;
  delete)
    if ! vq net-info "$NET_NAME"; then
      echo "network $NET_NAME already gone"
      exit 0
    fi
    if virsh -q -c "$LIBVIRT_URI" net-info "$NET_NAME" 2>/dev/null | grep -Eq '^Active:[[:space:]]+yes'; then
      v net-destroy "$NET_NAME" >/dev/null
    fi
    v net-undefine "$NET_NAME" >/dev/null
    echo "network $NET_NAME deleted"
    ;;
  *) die "usage: network.sh create|delete" ;;
esac
