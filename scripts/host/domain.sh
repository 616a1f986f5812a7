#!/usr/bin/env bash
# Create (define + start + autostart) or delete (destroy + undefine) one VM. Idempotent: creating an
# existing domain keeps its definition (libvirt refuses a redefinition under a new UUID; a changed
# definition is a replacement, delete then create, in the Pulumi program) and starts it if it is not
# running; deleting a missing domain succeeds. Autostart (virsh: "Configure a domain to be automatically
# started at boot"): libvirt starts the domain when its daemon starts, so after a host reboot the lab's
# VMs come back like its networks and pool; a domain libvirt-guests saved at shutdown resumes from that
# saved state instead (virsh start: "either from the last managedsave state, or via a fresh boot").
# Usage: domain.sh create|delete
# Env: LIBVIRT_URI, DOMAIN_NAME, DOMAIN_XML (create only).
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need LIBVIRT_URI DOMAIN_NAME

state() {
  virsh -q -c "$LIBVIRT_URI" domstate "$DOMAIN_NAME" 2>/dev/null || true
}

case "${1:-}" in
  create)
    need DOMAIN_XML
    if [[ "$(info_field dominfo "$DOMAIN_NAME" Persistent)" != yes ]]; then
      xml=$(with_xml DOMAIN_XML)
      trap 'rm -f "$xml"' EXIT
      v define "$xml" >/dev/null
    fi
    if [[ "$(state)" != running ]]; then
      v start "$DOMAIN_NAME" >/dev/null
    fi
    v autostart "$DOMAIN_NAME" >/dev/null
    echo "domain $DOMAIN_NAME running (autostart)"
    ;;
  delete)
    if ! vq dominfo "$DOMAIN_NAME"; then
      echo "domain $DOMAIN_NAME already gone"
      exit 0
    fi
    if [[ "$(state)" != "shut off" ]]; then
      # A domain that stopped on its own between the probe and here is fine.
      vq destroy "$DOMAIN_NAME" || [[ "$(state)" == "shut off" || -z "$(state)" ]] || v destroy "$DOMAIN_NAME"
    fi
    if vq dominfo "$DOMAIN_NAME"; then
      v undefine "$DOMAIN_NAME" >/dev/null
    fi
    echo "domain $DOMAIN_NAME deleted"
    ;;
  *) die "usage: domain.sh create|delete" ;;
esac
