#!/usr/bin/env bash
# Runs on the ROUTER: wait (bounded) until NODE_IP answers SSH with the lab key and cloud-init finished
# there: done cleanly, or done with recoverable errors (reported). A critical error or a disabled
# cloud-init on the node fails at once with the detail; a timeout names the last thing seen (an SSH
# error or cloud-init's status). See cloud_init_check in lib.sh.
# Env: NODE_IP, TIMEOUT_SECONDS (default 1200), LAB_USER (default lab).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_env NODE_IP
timeout_s=${TIMEOUT_SECONDS:-1200}
require_uint TIMEOUT_SECONDS "$timeout_s"
user=${LAB_USER:-lab}
key=/home/$user/.ssh/id_ed25519
LAB_SCRIPT="node-wait for $NODE_IP"
ssh_node() {
  sudo -u "$user" ssh -n -i "$key" "${LAB_SSH_OPTIONS[@]}" "$user@$NODE_IP" "$@"
}
wait_for "$timeout_s" 5 "SSH and cloud-init on node $NODE_IP" cloud_init_check ssh_node cloud-init status --format json || exit 1
echo "node $NODE_IP: cloud-init done: $cloud_init_report"
