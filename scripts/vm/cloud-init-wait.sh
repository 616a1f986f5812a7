#!/usr/bin/env bash
# Wait (bounded) until cloud-init finished on THIS machine: done cleanly, or done with recoverable
# errors (reported: they are what a user needs to read). A critical error or a disabled cloud-init
# fails at once with the detail; a timeout names the last status seen. See cloud_init_check in lib.sh.
# Env: TIMEOUT_SECONDS (default 900).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout_s=${TIMEOUT_SECONDS:-900}
require_uint TIMEOUT_SECONDS "$timeout_s"
host=$(hostname)
# Errors name the machine: the Pulumi log interleaves several.
LAB_SCRIPT="cloud-init-wait on $host"
last="(no status yet)"
wait_for "$timeout_s" 5 "cloud-init on $host" cloud_init_check cloud-init status --format json || exit 1
echo "cloud-init done on $host: $cloud_init_report"
