#!/usr/bin/env bash
# Shared helpers for the host-side libvirt scripts (sourced, never run directly).
# Every script talks to libvirt only through `virsh -c "$LIBVIRT_URI"`, so a remote qemu+ssh:// host
# works the same as the local one. Inputs come from the environment (see each script's header).

# die MESSAGE: one line on stderr naming the script, then exit 1.
die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# need VAR...: fail with a clear message when a required environment variable is empty.
need() {
  local v
  for v in "$@"; do
    [[ -n "${!v:-}" ]] || die "environment variable $v is required"
  done
}

# v ARGS...: virsh against $LIBVIRT_URI; on failure, repeat virsh's own error text and exit 1.
v() {
  local out rc=0
  out=$(virsh -q -c "$LIBVIRT_URI" "$@" 2>&1) || rc=$?
  if ((rc != 0)); then
    die "virsh $1 failed (exit $rc): ${out}"
  fi
  if [[ -n "$out" ]]; then
    printf '%s\n' "$out"
  fi
}

# vq ARGS...: virsh that may fail quietly (existence and state probes).
vq() {
  virsh -q -c "$LIBVIRT_URI" "$@" >/dev/null 2>&1
}

# info_field SUBCOMMAND NAME FIELD: one field of `virsh net-info|pool-info|dominfo NAME` ("" if missing).
# (Captured first, then matched: `virsh ... | grep -q` under pipefail fails when grep exits early.)
info_field() {
  local out
  out=$(virsh -q -c "$LIBVIRT_URI" "$1" "$2" 2>/dev/null) || return 0
  awk -F': *' -v f="$3" '$1 == f {print $2; exit}' <<<"$out"
}

# with_xml VARNAME: write the XML held in that environment variable to a temp file, print its path.
with_xml() {
  local f
  f=$(mktemp "${TMPDIR:-/tmp}/lab-XXXXXX.xml")
  printf '%s\n' "${!1}" >"$f"
  echo "$f"
}
