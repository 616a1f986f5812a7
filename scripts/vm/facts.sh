#!/usr/bin/env bash
# Facts about this node for the lab's verdict, WITHOUT key material (the output is a plain stack output).
# Inputs (environment): PHASE (a label echoed back, e.g. before | after).
# Output (stdout), key=value lines:
#   phase, hostname, addrs (global IPv4 addresses, CIDR, space separated), cilium_host (its IPv4 or empty),
#   xfrm_states, xfrm_policies (counts from `ip xfrm`), xfrm_stat (available | unavailable) and one
#   `xfrm_stat.<Counter>=<n>` line per /proc/net/xfrm_stat counter (all of them are error counters).
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v ip >/dev/null 2>&1 || die "ip (iproute2) is not installed on $(hostname)"

echo "phase=${PHASE:-}"
echo "hostname=$(hostname)"
echo "addrs=$(ip -4 -o addr show scope global | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
echo "cilium_host=$(ip -4 -o addr show dev cilium_host 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')"
echo "xfrm_states=$(as_root ip xfrm state | grep -c '^src ' || true)"
echo "xfrm_policies=$(as_root ip xfrm policy | grep -c '^src ' || true)"
if [ -r /proc/net/xfrm_stat ]; then
  echo "xfrm_stat=available"
  awk 'NF == 2 { print "xfrm_stat." $1 "=" $2 }' /proc/net/xfrm_stat
else
  echo "xfrm_stat=unavailable"
fi
