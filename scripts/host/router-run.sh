#!/usr/bin/env bash
# Runs one lab script on the router from the machine running Pulumi, as remote.Command runs it: the
# command text and its stdin come from components/remote.ts scriptCommandText. For what must run on
# every preview and up instead of once as a resource (the machines' boot ids, components/machines.ts).
# While the router does not answer SSH (still booting after a host reboot), it retries for WAIT_SECONDS.
# Env: FETCH_* (the router; scripts/lib/router-ssh.sh), REMOTE_COMMAND, REMOTE_STDIN,
#      WAIT_SECONDS (default 300), LAB_DOMAINS and LIBVIRT_URI (named in the message when it gives up).
# Output: the script's stdout; its stderr and exit status.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=scripts/vm/lib.sh
. "$here/../vm/lib.sh"
# shellcheck source=scripts/lib/router-ssh.sh
. "$here/../lib/router-ssh.sh"
: "${REMOTE_COMMAND:?}" "${REMOTE_STDIN:?}"
wait_s=${WAIT_SECONDS:-300}
is_uint "$wait_s" || die "WAIT_SECONDS must be a non-negative integer, got '$wait_s'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
router_ssh_options "$tmp"

answers() { last=$(ssh -n "${ROUTER_SSH[@]}" "$ROUTER_SSH_DEST" true 2>&1); }
if ! wait_for "$wait_s" 5 "SSH to the lab router $ROUTER_SSH_DEST" answers; then
  domains=${LAB_DOMAINS:-"(the lab's domains)"}
  die "the lab's machines cannot be reached. After a host reboot libvirt starts them by itself (autostart) and they answer within a few minutes; if they are shut off, start them: for d in $domains; do virsh -c ${LIBVIRT_URI:-qemu:///system} start \$d; done"
fi
# shellcheck disable=SC2029 # the command text is built for the remote shell (scriptCommandLine)
ssh "${ROUTER_SSH[@]}" "$ROUTER_SSH_DEST" "$REMOTE_COMMAND" <<<"$REMOTE_STDIN"
