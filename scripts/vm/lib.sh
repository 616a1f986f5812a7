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

# --- inputs ---------------------------------------------------------------------------------------
# Every script takes its inputs from the environment and checks them before it touches anything, with
# messages that name the variable, the value and what was expected.

# require_env [-w WHEN] NAME...: dies "NAME is required[ WHEN]" for the first NAME that is unset or
# empty; WHEN says under which condition (e.g. "with CLIENT_POD").
require_env() {
  local when='' v
  if [ "${1:-}" = -w ]; then
    when=" $2"
    shift 2
  fi
  for v in "$@"; do
    [ -n "${!v:-}" ] || die "$v is required$when"
  done
}

# require_uint NAME VALUE: dies unless VALUE (what the script took from NAME, or its default) is a
# non-negative decimal integer.
require_uint() {
  is_uint "$2" || die "$1 must be a non-negative integer, got '$2'"
}

# require_commands CMD...: dies naming the first CMD that is not installed on this machine.
require_commands() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "$c is not installed on $(hostname)"
  done
}

# run_logged LOG WHAT CMD...: runs CMD with stdout and stderr in LOG only (kubeadm prints the bootstrap
# token: its output stays on the VM, in a file the caller's umask makes private). When CMD fails: the
# last 40 lines of LOG with tokens redacted on stderr, then returns 1.
run_logged() {
  local log=$1 what=$2
  shift 2
  "$@" >"$log" 2>&1 && return 0
  echo "$LAB_SCRIPT: $what failed on $(hostname); last lines of $log (tokens redacted):" >&2
  tail -n 40 "$log" | redact_tokens >&2
  return 1
}

# cloud_init_check CMD...: one look at cloud-init's state, for wait_for. CMD prints
# `cloud-init status --format json` (run here, or on a node over ssh). Returns 0 when cloud-init is
# done, 1 while it still runs (or CMD could not ask yet: `last` says why), and exits the script with
# the error detail when the state cannot improve (an error, or cloud-init disabled).
# When done, `cloud_init_report` holds the extended status and, for a degraded boot, the recoverable
# errors: a user needs to read them, and nothing else shows them.
#
# What cloud-init reports (cloudinit/cmd/status.py; doc/rtd/explanation/return_codes.rst):
#   - since 23.4 the exit code is 0 for done or running without problems, 2 when recoverable errors were
#     logged (any WARNING: extended_status `degraded done` or `degraded running`; status stays `done`
#     or `running`), 1 on a critical error (status `error`, extended `error - done`/`error - running`).
#     So exit 2 alone does not mean done: `degraded running` must still be waited for.
#   - 22.4 (Debian bookworm) exits 0 or 1 and its JSON has no extended_status or recoverable_errors;
#     not started reads `not run` there, `not started` since 23.4.
# The JSON is read with python3: cloud-init is a Python program, so python3 is there wherever it runs.
# shellcheck disable=SC2034 # read by the scripts that source this file
cloud_init_report=""
cloud_init_check() {
  local out err rc verdict detail errfile
  errfile=$(mktemp)
  out=$("$@" 2>"$errfile") && rc=0 || rc=$?
  err=$(tail -n 3 "$errfile")
  rm -f "$errfile"
  IFS=$'\t' read -r verdict detail < <(printf '%s' "$out" | python3 -c '
import json, sys
rc = int(sys.argv[1])
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    d = None
if not isinstance(d, dict) or "status" not in d:
    print("unknown\t(exit %d) no status" % rc)
    sys.exit()
one = lambda s: " ".join(str(s).split())
status = d["status"]
ext = d.get("extended_status") or status
errors = [one(e) for e in d.get("errors") or []]
recoverable = ["%s: %s" % (level, one(m)) for level, ms in sorted((d.get("recoverable_errors") or {}).items()) for m in ms]
if rc == 1 or status == "error":
    print("failed\t%s; errors: %s" % (ext, " | ".join(errors) or "(none listed)"))
elif status == "disabled":
    print("failed\tcloud-init is disabled here (%s), it will never finish" % d.get("boot_status_code", "?"))
elif status == "done" and (rc == 2 or recoverable):
    print("done\t%s; recoverable errors: %s" % (ext, " | ".join(recoverable) or "(none listed)"))
elif status == "done":
    print("done\t%s" % ext)
else:
    print("wait\t%s" % ext)
' "$rc" 2>&1 || printf 'unknown\tpython3 could not read the status')
  case "$verdict" in
    done)
      # shellcheck disable=SC2034 # read by the scripts that source this file
      cloud_init_report=$detail
      return 0
      ;;
    failed) die "cloud-init failed: $detail" ;;
    wait) last=$detail ;;
    *) last="$detail${err:+: ${err//$'\n'/ }}" ;;
  esac
  return 1
}

# --- apt on a first boot --------------------------------------------------------------------------
# Ubuntu starts apt-daily and unattended-upgrades right after cloud-final, exactly when the lab's
# installs start, and with an older image they hold the dpkg lock for minutes (canonical/cloud-init#2908).
# Every apt call of the lab goes through apt_get / apt_mark: bounded waits for the locks, saying which
# lock and which process it waited for.
# - dpkg's frontend lock: apt waits itself with `-o DPkg::Lock::Timeout=N` (apt >= 1.9.11).
# - the lists lock (`apt-get update`): that option does not cover it; apt 2.6 (bookworm) fails at once
#   with "Could not get lock .../lists/lock. It is held by process N", so apt_get waits for it here.
LAB_APT_LOCK_TIMEOUT=${LAB_APT_LOCK_TIMEOUT:-600}

# lock_holder FILE: "NAME (pid N)" of the process holding a POSIX (fcntl) lock on FILE, the kind apt
# and dpkg take, read from /proc/locks (no fuser/lsof needed); empty when FILE is not locked.
lock_holder() {
  local file=$1 dev ino id pid
  [ -e "$file" ] || return 0
  read -r dev ino < <(stat -L -c '%d %i' "$file")
  # /proc/locks names the file "MAJOR:MINOR:INODE", the device numbers in hex.
  id=$(printf '%02x:%02x:%s' $(((dev >> 8) & 0xfff)) $(((dev & 0xff) | ((dev >> 12) & 0xfff00))) "$ino")
  # Waiting requests are listed too, as "N: -> POSIX ..."; only holders count.
  pid=$(awk -v id="$id" '$2 != "->" && $2 == "POSIX" && $6 == id { print $5; exit }' /proc/locks)
  [ -n "$pid" ] || return 0
  echo "$(cat "/proc/$pid/comm" 2>/dev/null || echo '?') (pid $pid)"
}

# apt_lock_paths: sets apt_frontend_lock and apt_lists_lock from apt's own configuration (so an
# APT_CONFIG with another root is honoured the same way apt honours it).
apt_lock_paths() {
  local status lists
  eval "$(apt-config shell status Dir::State::status/f lists Dir::State::Lists/d)"
  apt_frontend_lock="$(dirname "${status:-/var/lib/dpkg/status}")/lock-frontend"
  apt_lists_lock="${lists:-/var/lib/apt/lists/}lock"
}

lists_lock_free() {
  local holder
  holder=$(lock_holder "$apt_lists_lock")
  [ -z "$holder" ] && return 0
  last="held by $holder"
  return 1
}

# apt_run TOOL SUBCOMMAND ARGS...: TOOL (apt-get or apt-mark) with the lock timeout; reports a held
# lock before waiting and how long the wait took.
apt_run() {
  local tool=$1 sub=$2 holder start rc=0
  shift 2
  apt_lock_paths
  start=$SECONDS
  if [ "$sub" = update ]; then
    holder=$(lock_holder "$apt_lists_lock")
    if [ -n "$holder" ]; then
      echo "$LAB_SCRIPT: waiting up to ${LAB_APT_LOCK_TIMEOUT}s for the apt lists lock $apt_lists_lock, held by $holder" >&2
      wait_for "$LAB_APT_LOCK_TIMEOUT" 2 "the apt lists lock $apt_lists_lock" lists_lock_free || return 1
      echo "$LAB_SCRIPT: apt lists lock free after $((SECONDS - start))s" >&2
    fi
  fi
  holder=$(lock_holder "$apt_frontend_lock")
  [ -z "$holder" ] || echo "$LAB_SCRIPT: waiting up to ${LAB_APT_LOCK_TIMEOUT}s for the dpkg lock $apt_frontend_lock, held by $holder" >&2
  "$tool" -o "DPkg::Lock::Timeout=$LAB_APT_LOCK_TIMEOUT" "$sub" "$@" || rc=$?
  if [ -n "$holder" ]; then
    if [ "$rc" -eq 0 ]; then
      echo "$LAB_SCRIPT: $tool $sub ran after waiting $((SECONDS - start))s for the dpkg lock" >&2
    else
      echo "$LAB_SCRIPT: $tool $sub failed (exit $rc) after waiting $((SECONDS - start))s for the dpkg lock" >&2
    fi
  fi
  return "$rc"
}

# apt_get SUBCOMMAND ARGS... / apt_mark SUBCOMMAND ARGS...: apt-get / apt-mark through apt_run.
apt_get() { apt_run apt-get "$@"; }
apt_mark() { apt_run apt-mark "$@"; }

# --- Kubernetes and Cilium, from the control-plane ---------------------------------------------------

# kc NAMESPACE ARGS...: kubectl as root in NAMESPACE with the kubeadm admin kubeconfig (KUBECONFIG, when
# set, names another).
kc() {
  local ns=$1
  shift
  as_root env KUBECONFIG="${KUBECONFIG:-/etc/kubernetes/admin.conf}" kubectl -n "$ns" "$@"
}

# The namespace of Cilium's agents (the chart's default).
LAB_CILIUM_NS=${CILIUM_NAMESPACE:-kube-system}

# cilium_agent_on NODE: prints the Cilium agent pod on NODE that is Running and not being deleted
# (during a rollout the old agent may still be listed first), or nothing when there is none.
cilium_agent_on() {
  { kc "$LAB_CILIUM_NS" get pods -l k8s-app=cilium --field-selector "spec.nodeName=$1" \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\n"}{end}' 2>/dev/null || true; } |
    awk '$2 == "Running" && $3 == "" { print $1; exit }'
}

# cilium_exec POD CMD...: runs CMD in the agent container of POD (host network namespace: `ip xfrm`
# there is the node's).
cilium_exec() {
  kc "$LAB_CILIUM_NS" exec "$1" -c cilium-agent -- "${@:2}"
}

# encrypt_status_read: `cilium-dbg encrypt status` text (`cilium encrypt status` before 1.15) on stdin,
# key=value lines on stdout:
#   mode=AS_PRINTED  keys_in_use=N  errors=N  xfrm.COUNTER=N (one per reason listed under Errors)
#   wireguard_interfaces=N  wireguard_peers=N (summed over the devices)  message=... (1.19's Msg line)
# The same reading as components/verifier/status/encrypt-status.ts (which documents the forms, from
# 1.11 to 1.19): the tests feed both the same texts and require the same result.
encrypt_status_read() {
  awk '
    function trim(s) { sub(/^[ \t\r]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
    function uint(s) { return s ~ /^[0-9]+$/ }
    /^agent=/ { next }
    {
      line = trim($0)
      if (line == "") next
      # A per-reason error line: "XfrmInStateProtoError: 12", early releases "XfrmInStateProtoError 12".
      if (line ~ /^Xfrm[A-Za-z]+[ \t]*:?[ \t]+[0-9]+$/ || (section == "errors" && line ~ /^[A-Za-z][A-Za-z0-9]*[ \t]*:?[ \t]+[0-9]+$/)) {
        name = line; sub(/[ \t:].*$/, "", name)
        count = line; sub(/^.*[ \t]/, "", count)
        xfrm[name] = count
        if (!(name in seen)) { seen[name] = 1; order[++reasons] = name }
        next
      }
      i = index(line, ":")
      if (i == 0) next
      key = tolower(trim(substr(line, 1, i - 1)))
      value = trim(substr(line, i + 1))
      if (key == "encryption") { mode = value; has_mode = 1; section = "top" }
      else if (key == "msg") message = value
      else if (key == "keys in use" && uint(value)) keys = value
      else if (key == "errors" && uint(value)) { errors = value; section = "errors" }
      else if (key == "interface") { wg++; section = "wireguard" }
      else if (section == "wireguard" && key == "number of peers" && uint(value)) peers += value
    }
    END {
      if (has_mode) print "mode=" mode
      if (keys != "") print "keys_in_use=" keys
      if (errors != "") print "errors=" errors
      for (r = 1; r <= reasons; r++) print "xfrm." order[r] "=" xfrm[order[r]]
      if (wg) { print "wireguard_interfaces=" wg; print "wireguard_peers=" peers + 0 }
      if (message != "") print "message=" message
    }'
}

# kv KEY TEXT: the value of the first KEY=... line of TEXT (encrypt_status_read, facts), or nothing.
kv() {
  awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' <<<"$2"
}
