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
# shellcheck source=scripts/lib/router-ssh.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/router-ssh.sh"

remote=${REMOTE_FILE:-}
local_file=${LOCAL_FILE:-}
require_env REMOTE_FILE LOCAL_FILE

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
router_ssh_options "$tmp"

quoted=$(printf '%q' "$remote")
# shellcheck disable=SC2029 # $quoted is expanded here on purpose (already quoted for the remote shell)
size=$(ssh "${ROUTER_SSH[@]}" "$ROUTER_SSH_DEST" "stat -c %s -- $quoted") ||
  die "cannot stat $remote on $ROUTER_SSH_DEST:${FETCH_PORT:-22} (is the capture stopped and the router reachable?)"
mkdir -p "$(dirname "$local_file")"
part="$local_file.part"
# shellcheck disable=SC2029
ssh "${ROUTER_SSH[@]}" "$ROUTER_SSH_DEST" "cat -- $quoted" >"$part" || die "copying $remote from $ROUTER_SSH_DEST failed"
got=$(stat -c %s "$part")
if [ "$got" != "$size" ]; then
  rm -f "$part"
  die "copied $got bytes of $remote but it has $size bytes"
fi
mv -f "$part" "$local_file"

echo "local=$local_file"
echo "bytes=$got"
echo "sha256=$(sha256sum "$local_file" | cut -d' ' -f1)"
