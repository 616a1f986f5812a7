#!/usr/bin/env bash
# Helpers shared by every script under scripts/vm/ (sourced, never run on its own).
#
# How a script gets this file and its environment:
#   - On a lab VM (components/remote.ts scriptCommandText): the command text is only
#     `sudo -n bash -s -- VERB NAME` (or that behind `ssh ... lab@NODE` from the router). Everything
#     else travels on the command's stdin: `export K='v'` lines for the environment, then this file
#     and the script, concatenated, run by `bash -c` with stdin from /dev/null. Secrets (CA key,
#     bootstrap token, kubeadm configs) therefore never appear in any argv: not in the auth log that
#     sudo writes, not in `ps`, not in the Pulumi command text.
#   - From cloud-init (router-setup.sh, node-setup.sh): cloud-init.ts writes this file and the script
#     concatenated into one executable.
#   - Run from a checkout (tests, capture-fetch.sh on the machine running Pulumi): the script sources
#     this file next to itself. LAB_VM_LIB is set once this file is loaded, so a script whose text was
#     shipped after it does not source it again:
#       # shellcheck source=scripts/vm/lib.sh
#       [ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Bash note for callers: a function called as `f || ...` or `if f` runs without errexit (bash
# disables set -e there), so the checks given to wait_for and retry test their commands explicitly.
set -euo pipefail
# shellcheck disable=SC2034 # read by the scripts that source this file
LAB_VM_LIB=1

# The script's own name in messages: "capture-start", whether run as a file or shipped as text.
LAB_SCRIPT=$(basename -- "$0" .sh)

# die MESSAGE: one line on stderr naming the script, then exit 1.
die() {
  echo "$LAB_SCRIPT: $*" >&2
  exit 1
}

# as_root CMD...: runs CMD as root (sudo -n: never prompt; a missing sudo right fails, it never hangs).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# The one set of SSH options for every hop the lab makes (router -> node, this machine -> router).
# Lab VMs are recreated with new host keys: no known_hosts, never prompt. The keep-alive bounds a
# stalled connection: ssh gives up after ServerAliveInterval x ServerAliveCountMax (60 s) of silence
# instead of hanging `pulumi up`. components/remote.ts reads this list from here (one line per option).
# shellcheck disable=SC2034 # used by the scripts that source this file
LAB_SSH_OPTIONS=(
  -o BatchMode=yes
  -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR
  -o ConnectTimeout=15
  -o ServerAliveInterval=15
  -o ServerAliveCountMax=4
)

# wait_for TIMEOUT INTERVAL WHAT CHECK [ARGS...]: runs CHECK every INTERVAL seconds until it succeeds
# (return 0) or TIMEOUT seconds have passed: then prints "timed out after TIMEOUTs waiting for WHAT;
# last: $last" on stderr and returns 1. CHECK may set the global `last` to what it saw (the message
# reports it) and may exit the script for a state that will not improve.
last="(nothing yet)"
wait_for() {
  local timeout=$1 interval=$2 what=$3 deadline
  shift 3
  deadline=$((SECONDS + timeout))
  while :; do
    if "$@"; then return 0; fi
    if ((SECONDS >= deadline)); then
      echo "$LAB_SCRIPT: timed out after ${timeout}s waiting for $what; last: ${last//$'\n'/ }" >&2
      return 1
    fi
    sleep "$interval"
  done
}

# retry ATTEMPTS DELAY CMD...: runs CMD up to ATTEMPTS times, DELAY seconds apart; returns CMD's last
# status. Each failure is reported on stderr.
retry() {
  local attempts=$1 delay=$2 i rc=0
  shift 2
  for ((i = 1; i <= attempts; i++)); do
    rc=0
    "$@" && return 0 || rc=$?
    echo "$LAB_SCRIPT: attempt $i/$attempts failed (exit $rc): $*" >&2
    ((i == attempts)) || sleep "$delay"
  done
  return "$rc"
}

# running PID: true while process PID exists.
running() {
  [ -n "$1" ] && [ -d "/proc/$1" ]
}

# stop_pid PID TIMEOUT: SIGINT (tcpdump then flushes its file and prints its counts), then polls until
# the process is gone; returns 1 when it still runs after TIMEOUT seconds (the caller decides).
stop_pid() {
  local pid=$1 timeout=$2 deadline
  running "$pid" || return 0
  as_root kill -INT "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while running "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# redact_tokens: stdin to stdout with kubeadm bootstrap tokens ([a-z0-9]{6}.[a-z0-9]{16}) replaced,
# so a failed kubeadm's log can be shown without the token.
redact_tokens() {
  sed -E 's/[a-z0-9]{6}\.[a-z0-9]{16}/<token>/g'
}

# is_uint VALUE: true for a non-negative decimal integer.
is_uint() {
  [[ $1 =~ ^[0-9]+$ ]]
}

# The Cilium agent pod of a node, as kubectl lists it: name, phase and deletion time, one pod a line.
# shellcheck disable=SC2034 # used by the scripts that source this file
CILIUM_AGENT_JSONPATH='{range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\n"}{end}'

# running_agent: reads CILIUM_AGENT_JSONPATH lines on stdin and prints the first pod that is Running and
# not being deleted (during a rollout the old agent may still be listed first).
running_agent() {
  awk '$2 == "Running" && $3 == "" { print $1; exit }'
}
