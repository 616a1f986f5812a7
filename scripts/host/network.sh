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
    # An existing network is kept (libvirt refuses to redefine it under a new UUID); a changed
    # definition is a replacement (delete, then create) in the Pulumi program.
    if [[ "$(info_field net-info "$NET_NAME" Persistent)" != yes ]]; then
      xml=$(with_xml NET_XML)
      trap 'rm -f "$xml"' EXIT
      if [[ "$(info_field net-info "$NET_NAME" Active)" == yes ]]; then
        v net-destroy "$NET_NAME" >/dev/null # a transient leftover
      fi
      v net-define "$xml" >/dev/null
    fi
    if [[ "$(info_field net-info "$NET_NAME" Active)" != yes ]]; then
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
    persistent=$(info_field net-info "$NET_NAME" Persistent)
    if [[ "$(info_field net-info "$NET_NAME" Active)" == yes ]]; then
      v net-destroy "$NET_NAME" >/dev/null
    fi
    if [[ "$persistent" == yes ]]; then
      v net-undefine "$NET_NAME" >/dev/null
    fi
    echo "network $NET_NAME deleted"
    ;;
  *) die "usage: network.sh create|delete" ;;
esac
