#!/usr/bin/env bash
# Wait (bounded) until cloud-init finished on THIS machine; fail naming the last status seen.
# Env: TIMEOUT_SECONDS (default 900).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout_s=${TIMEOUT_SECONDS:-900}
last="(no status yet)"
cloud_init_done() {
  if last=$(cloud-init status 2>&1); then
    case "$last" in
      *"status: done"*) return 0 ;;
    esac
  fi
  case "$last" in
    *"status: error"* | *"status: degraded"*)
      echo "cloud-init failed on $(hostname): ${last//$'\n'/ }" >&2
      cloud-init status --long >&2 || true
      exit 1
      ;;
  esac
  return 1
}
wait_for "$timeout_s" 5 "cloud-init on $(hostname)" cloud_init_done || exit 1
echo "cloud-init done on $(hostname)"
