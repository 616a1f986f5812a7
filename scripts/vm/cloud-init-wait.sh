#!/usr/bin/env bash
# Wait (bounded) until cloud-init finished on THIS machine; fail naming the last status seen.
# Env: TIMEOUT_SECONDS (default 900).
set -euo pipefail
timeout_s=${TIMEOUT_SECONDS:-900}
deadline=$((SECONDS + timeout_s))
last="(no status yet)"
while ((SECONDS < deadline)); do
  if last=$(cloud-init status 2>&1); then
    case "$last" in
      *"status: done"*) echo "cloud-init done on $(hostname)"; exit 0 ;;
    esac
  fi
  case "$last" in
    *"status: error"* | *"status: degraded"*)
      echo "cloud-init failed on $(hostname): ${last//$'\n'/ }" >&2
      cloud-init status --long >&2 || true
      exit 1
      ;;
  esac
  sleep 5
done
echo "timed out after ${timeout_s}s waiting for cloud-init on $(hostname); last status: ${last//$'\n'/ }" >&2
exit 1
