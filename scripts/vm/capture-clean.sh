#!/usr/bin/env bash
# Removes a capture made by capture-start.sh from this machine: stops tcpdump if it still runs, deletes
# the pcap, its log and pid file. Idempotent: deleting what is already gone succeeds.
# Inputs (environment): CAPTURE_FILE (required).
set -euo pipefail

die() { echo "capture-clean: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

file=${CAPTURE_FILE:-}
[ -n "$file" ] || die "CAPTURE_FILE is required"
pid=$(cat "$file.pid" 2>/dev/null || true)
if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
  as_root kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
  [ ! -d "/proc/$pid" ] || as_root kill -KILL "$pid" 2>/dev/null || true
fi
as_root rm -f "$file" "$file.log" "$file.pid"
echo "removed=$file"
