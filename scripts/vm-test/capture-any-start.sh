#!/usr/bin/env bash
# VM suite fallback, used ONLY while scripts/vm/capture-start.sh refuses CAPTURE_INTERFACE=any (it checks
# /sys/class/net/any, which never exists, although lab:captureInterface allows `any`). Starts
# `tcpdump -i any` on the router with the same state layout as capture-start.sh (FILE, FILE.pid of the
# timeout wrapper, FILE.log), so the project's capture-stop.sh, capture-fetch.sh and capture-clean.sh
# handle it unchanged. Env: CAPTURE_FILE (absolute), CAPTURE_MAX_SECONDS (default 900). Runs as root.
set -euo pipefail
f=${CAPTURE_FILE:?CAPTURE_FILE is required}
max=${CAPTURE_MAX_SECONDS:-900}
mkdir -p "$(dirname "$f")"
rm -f "$f" "$f.log" "$f.pid"
# shellcheck disable=SC2016 # $1, $2 belong to the inner shell
setsid sh -c 'echo $$ >"$1.pid"; exec timeout -s INT "$2" tcpdump -i any -nn -U --immediate-mode -Z root -w "$1" </dev/null >"$1.log" 2>&1' \
  capture-any "$f" "$max" </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 150); do
  if grep -q 'listening on' "$f.log" 2>/dev/null; then
    cat "$f.log" >&2
    exit 0
  fi
  sleep 0.2
done
echo "capture-any-start: tcpdump -i any did not start: $(cat "$f.log" 2>/dev/null)" >&2
exit 1
