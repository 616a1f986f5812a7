#!/usr/bin/env bash
# Looks at the libvirt host before the lab creates anything, for the one thing that breaks the lab
# silently: the host's firewall dropping frames bridged between the lab's VMs.
#
# The lab's segment bridges have no address in libvirt (the host takes no part in them), so libvirt
# adds no firewall rule for them. With br_netfilter loaded and net.bridge.bridge-nf-call-iptables=1,
# every IPv4 frame crossing a bridge passes the FORWARD hook (the bridge itself as both in- and
# out-interface) like a routed packet, and a FORWARD policy of DROP drops it: the nodes never reach the
# router, and the node wait times out after 25 minutes. Docker does both: it sets the policy to DROP
# when it turns IP forwarding on itself (moby libnetwork/drivers/bridge/setup_ip_forwarding.go), and
# loads br_netfilter for its own bridges (setup_bridgenetfiltering.go).
#
# Runs on the libvirt host: here for a local URI, over ssh (the user's agent, as virsh itself) for a
# qemu+ssh:// one. Reading the firewall needs root: as root, or through `sudo -n` where that works
# without a password; otherwise the script says what it could not check.
# Env: LIBVIRT_URI; LAB_BRIDGES (the lab's segment bridges, space separated).
# Output: nothing when the lab's frames pass; `warning: ...` lines for what it could not check (exit 0);
# exit 1 with what to do when the lab's frames would be dropped.
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need LIBVIRT_URI LAB_BRIDGES

# as_root_read CMD...: CMD as root without ever prompting; fails when that is not possible.
as_root_read() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  else
    sudo -n "$@"
  fi
}

# The firewall as iptables (nf_tables and legacy backends) and nft print it; "" for what could not be
# read. iptables-nft's tables appear in both; each view is judged for what only it shows.
read_rules() {
  local tool
  for tool in iptables-save iptables-legacy-save; do
    if command -v "$tool" >/dev/null 2>&1; then
      as_root_read "$tool" -t filter 2>/dev/null || echo "unreadable: $tool"
    fi
  done
  if command -v nft >/dev/null 2>&1; then
    echo "# nft list ruleset"
    as_root_read nft list ruleset 2>/dev/null || echo "unreadable: nft"
  fi
}

# blocked_by RULES: prints one line per place that drops the lab's bridged frames.
#  - an iptables FORWARD policy DROP without `-i B -o B -j ACCEPT` for every lab bridge in FORWARD or
#    DOCKER-USER (Docker jumps to DOCKER-USER first and keeps that chain across restarts);
#  - an nftables base chain on the forward hook (ip or inet) with policy drop, in a table iptables does
#    not manage, without a rule `iifname "B" oifname "B" ... accept` for every lab bridge.
blocked_by() {
  local rules=$1 b missing
  local -a bridges
  read -ra bridges <<<"$LAB_BRIDGES"
  if grep -q '^:FORWARD DROP' <<<"$rules"; then
    missing=()
    for b in "${bridges[@]}"; do
      grep -Eq -- "^-A (FORWARD|DOCKER-USER) -i $b -o $b -j ACCEPT\$" <<<"$rules" || missing+=("$b")
    done
    ((${#missing[@]} == 0)) || echo "iptables: the FORWARD chain's policy is DROP and nothing accepts ${missing[*]}"
  fi
  awk -v bridges="$LAB_BRIDGES" '
    /^# nft list ruleset/ { nft = 1; next }
    !nft { next }
    /^table / { family = $2; table = $3; iptables = (family == "ip" && table ~ /^(filter|nat|mangle|raw|security)$/); next }
    /^\tchain / { chain = $2; drop = 0; delete ok; next }
    /hook forward/ && /policy drop;/ && (family == "ip" || family == "inet") && !iptables { drop = 1; next }
    drop && /accept$/ {
      n = split(bridges, bs, " ")
      for (i = 1; i <= n; i++) if (index($0, "iifname \"" bs[i] "\"") && index($0, "oifname \"" bs[i] "\"")) ok[bs[i]] = 1
      next
    }
    drop && /^\t}/ {
      n = split(bridges, bs, " "); m = ""
      for (i = 1; i <= n; i++) if (!(bs[i] in ok)) m = m " " bs[i]
      if (m != "") print "nftables: chain " family " " table " " chain " drops forwarded packets (policy drop) and nothing accepts" m
      drop = 0
    }
  ' <<<"$rules"
}

check() {
  local nf=/proc/sys/net/bridge/bridge-nf-call-iptables rules found host
  host=$(hostname)
  # br_netfilter not loaded, or bridged frames not handed to iptables: the firewall never sees them.
  [[ -r $nf && "$(cat "$nf")" == 1 ]] || return 0
  rules=$(read_rules)
  found=$(blocked_by "$rules")
  if [[ -n $found ]]; then
    local fixes="" b
    for b in $LAB_BRIDGES; do
      fixes+="  sudo iptables -I FORWARD -i $b -o $b -j ACCEPT   (with Docker: -I DOCKER-USER instead of -I FORWARD)"$'\n'
    done
    cat >&2 <<MSG
preflight.sh: on the libvirt host $host, frames between the lab's VMs would be dropped: br_netfilter hands
bridged frames to the firewall (net.bridge.bridge-nf-call-iptables = 1), and
${found}
Without a fix the nodes cannot reach the router and the lab stops at the node wait. Either stop bridged
frames from reaching the firewall (for every bridge on the host; Docker's own bridges need it only for
--icc=false):
  sudo sysctl -w net.bridge.bridge-nf-call-iptables=0
or accept the lab's bridges:
${fixes%$'\n'}
(nftables: add \`iifname "BRIDGE" oifname "BRIDGE" accept\` to the chain named above), then run the lab again.
MSG
    return 1
  fi
  if grep -q '^unreadable: ' <<<"$rules" && ! grep -q '^:FORWARD ' <<<"$rules"; then
    echo "warning: on the libvirt host $host, net.bridge.bridge-nf-call-iptables = 1 (br_netfilter is loaded, e.g. by Docker) and its firewall could not be read (root or passwordless sudo is needed): if the FORWARD policy is DROP (Docker sets it when it turns IP forwarding on), frames between the lab's VMs on $LAB_BRIDGES are dropped and the lab stops at the node wait. See the README, \"Docker on the libvirt host\"."
  fi
}

case "$LIBVIRT_URI" in
  *+ssh://*)
    target=${LIBVIRT_URI#*+ssh://}
    target=${target%%/*}
    target=${target%%\?*}
    port=22
    if [[ $target == *:* ]]; then
      port=${target##*:}
      target=${target%:*}
    fi
    # The host's own key is checked as virsh checks it (the user's known_hosts): this is a real host,
    # not a lab VM. The functions travel as text on stdin (declare -f), so nothing is installed there.
    rc=0
    {
      printf 'set -euo pipefail\nLAB_BRIDGES=%q\n' "$LAB_BRIDGES"
      declare -f as_root_read read_rules blocked_by check
      echo check
    } | ssh -o BatchMode=yes -o ConnectTimeout=15 -p "$port" "$target" bash -s || rc=$?
    # ssh exits 255 for its own errors, else with the remote shell's status (1: frames would be dropped).
    ((rc != 255)) || die "cannot reach the libvirt host $target over ssh (port $port) to check its firewall"
    exit "$rc"
    ;;
  *) check ;;
esac
