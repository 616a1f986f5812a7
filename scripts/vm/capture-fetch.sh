#!/usr/bin/env bash
# Copies a pcap from the lab router to the machine running Pulumi (this script runs LOCALLY, not on a VM),
# over SSH, optionally through a jump host (a remote libvirt host). @pulumi/command 1.2.1 has no
# remote.CopyToLocal, so the copy is `ssh cat` into a temporary file, checked against the remote size and
# renamed into place: a half-copied pcap never sits at the final path.
# Inputs (environment):
#   FETCH_HOST, FETCH_PORT (22), FETCH_USER       the router as Pulumi reaches it (required: host, user)
#   FETCH_PRIVATE_KEY                             its private key text (optional: else ssh-agent/defaults)
#   FETCH_PROXY_HOST, FETCH_PROXY_PORT (22), FETCH_PROXY_USER, FETCH_PROXY_PRIVATE_KEY   optional jump host
#   REMOTE_FILE                                   the pcap on the router (required)
#   LOCAL_FILE                                    where to put it here (required; directories are created)
# Output (stdout): key=value lines: local, bytes, sha256.
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

host=${FETCH_HOST:-}
port=${FETCH_PORT:-22}
user=${FETCH_USER:-}
remote=${REMOTE_FILE:-}
local_file=${LOCAL_FILE:-}
require_env FETCH_HOST FETCH_USER REMOTE_FILE LOCAL_FILE
command -v ssh >/dev/null 2>&1 || die "ssh (openssh-client) is not installed on this machine"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# lib.sh's one set of options: no known_hosts (VMs are recreated), no prompts, and a keep-alive so a
# stalled copy fails instead of hanging `pulumi up`.
common=("${LAB_SSH_OPTIONS[@]}")
opts=("${common[@]}" -p "$port")
if [ -n "${FETCH_PRIVATE_KEY:-}" ]; then
  (umask 077 && printf '%s\n' "$FETCH_PRIVATE_KEY" >"$tmp/key")
  opts+=(-i "$tmp/key" -o IdentitiesOnly=yes)
fi
if [ -n "${FETCH_PROXY_HOST:-}" ]; then
  proxy=(ssh "${common[@]}" -p "${FETCH_PROXY_PORT:-22}")
  if [ -n "${FETCH_PROXY_PRIVATE_KEY:-}" ]; then
    (umask 077 && printf '%s\n' "$FETCH_PROXY_PRIVATE_KEY" >"$tmp/proxy-key")
    proxy+=(-i "$tmp/proxy-key" -o IdentitiesOnly=yes)
  fi
  proxy+=(-W '%h:%p' "${FETCH_PROXY_USER:+$FETCH_PROXY_USER@}$FETCH_PROXY_HOST")
  opts+=(-o "ProxyCommand=${proxy[*]}")
fi

quoted=$(printf '%q' "$remote")
# shellcheck disable=SC2029 # $quoted is expanded here on purpose (already quoted for the remote shell)
size=$(ssh "${opts[@]}" "$user@$host" "stat -c %s -- $quoted") ||
  die "cannot stat $remote on $user@$host:$port (is the capture stopped and the router reachable?)"
mkdir -p "$(dirname "$local_file")"
part="$local_file.part"
# shellcheck disable=SC2029
ssh "${opts[@]}" "$user@$host" "cat -- $quoted" >"$part" || die "copying $remote from $user@$host failed"
got=$(stat -c %s "$part")
if [ "$got" != "$size" ]; then
  rm -f "$part"
  die "copied $got bytes of $remote but it has $size bytes"
fi
mv -f "$part" "$local_file"

echo "local=$local_file"
echo "bytes=$got"
echo "sha256=$(sha256sum "$local_file" | cut -d' ' -f1)"
