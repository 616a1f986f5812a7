#!/usr/bin/env bash
# Runs on the ROUTER: prints the kernel boot id of the router and of every node (read over SSH with the
# lab key, as node-wait.sh reaches them). A machine that booted again has a new one, and with it new
# IPsec keys (Cilium derives its per-node-pair keys from the boot ids): the lab reads these on every
# preview and up, and a change redoes the capture (components/machines.ts).
# Waits (bounded, TIMEOUT_SECONDS for all nodes together) for nodes still booting after a host reboot.
# Env: ROUTER_NAME, NODES ("name=ip name=ip ..."), TIMEOUT_SECONDS (default 300), LAB_USER (default lab).
# Output (stdout): one `boot.<name>=<boot id>` line per machine, the router first.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_env ROUTER_NAME NODES
timeout_s=${TIMEOUT_SECONDS:-300}
require_uint TIMEOUT_SECONDS "$timeout_s"
user=${LAB_USER:-lab}
key=/home/$user/.ssh/id_ed25519
uuid='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

echo "boot.$ROUTER_NAME=$(cat /proc/sys/kernel/random/boot_id)"
started=$SECONDS
read_boot_id() {
  last=$(sudo -u "$user" ssh -n -i "$key" "${LAB_SSH_OPTIONS[@]}" "$user@$1" cat /proc/sys/kernel/random/boot_id 2>&1) || return 1
  [[ $last =~ $uuid ]]
}
for pair in $NODES; do
  name=${pair%%=*}
  ip=${pair#*=}
  # One budget for all nodes: each wait gets what the earlier ones left.
  left=$((timeout_s - (SECONDS - started)))
  ((left > 0)) || left=0
  wait_for "$left" 5 "SSH to node $name ($ip)" read_boot_id "$ip" || exit 1
  echo "boot.$name=$last"
done
