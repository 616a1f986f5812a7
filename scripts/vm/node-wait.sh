#!/usr/bin/env bash
# Runs on the ROUTER: wait (bounded) until NODE_IP answers SSH with the lab key and cloud-init finished
# there. Fails naming what was awaited and the last thing seen.
# Env: NODE_IP, TIMEOUT_SECONDS (default 1200), LAB_USER (default lab).
set -euo pipefail
: "${NODE_IP:?}"
timeout_s=${TIMEOUT_SECONDS:-1200}
user=${LAB_USER:-lab}
key=/home/$user/.ssh/id_ed25519
deadline=$((SECONDS + timeout_s))
last="(nothing yet)"
ssh_node() {
  sudo -u "$user" ssh -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o ConnectTimeout=10 "$user@$NODE_IP" "$@"
}
while ((SECONDS < deadline)); do
  if out=$(ssh_node cloud-init status 2>&1); then
    case "$out" in
      *"status: done"*) echo "node $NODE_IP: cloud-init done"; exit 0 ;;
      *"status: error"* | *"status: degraded"*)
        echo "node $NODE_IP: cloud-init failed: ${out//$'\n'/ }" >&2
        exit 1
        ;;
    esac
  fi
  last=${out//$'\n'/ }
  sleep 5
done
echo "timed out after ${timeout_s}s waiting for SSH and cloud-init on node $NODE_IP; last seen: $last" >&2
exit 1
