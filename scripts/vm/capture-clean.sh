#!/usr/bin/env bash
# Removes a capture made by capture-start.sh from this machine: stops tcpdump if it still runs, deletes
# the pcap, its log and pid file. Idempotent: deleting what is already gone succeeds.
# Inputs (environment): CAPTURE_FILE (required).
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

file=${CAPTURE_FILE:-}
require_env CAPTURE_FILE
pid=$(cat "$file.pid" 2>/dev/null || true)
stop_pid "$pid" 10 || as_root kill -KILL "$pid" 2>/dev/null || true
as_root rm -f "$file" "$file.log" "$file.pid"
echo "removed=$file"
