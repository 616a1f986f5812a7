#!/usr/bin/env bash
# Runs on the ROUTER: wait (bounded) until NODE_IP answers SSH with the lab key and cloud-init finished
# there. Fails naming what was awaited and the last thing seen.
# Env: NODE_IP, TIMEOUT_SECONDS (default 1200), LAB_USER (default lab).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${NODE_IP:?}"
timeout_s=${TIMEOUT_SECONDS:-1200}
user=${LAB_USER:-lab}
key=/home/$user/.ssh/id_ed25519
ssh_node() {
  sudo -u "$user" ssh -n -i "$key" "${LAB_SSH_OPTIONS[@]}" "$user@$NODE_IP" "$@"
}
node_done() {
  local out
  if out=$(ssh_node cloud-init status 2>&1); then
    case "$out" in
      *"status: done"*) return 0 ;;
      *"status: error"* | *"status: degraded"*)
        echo "node $NODE_IP: cloud-init failed: ${out//$'\n'/ }" >&2
        exit 1
        ;;
    esac
  fi
  last=$out
  return 1
}
wait_for "$timeout_s" 5 "SSH and cloud-init on node $NODE_IP" node_done || exit 1
echo "node $NODE_IP: cloud-init done"
