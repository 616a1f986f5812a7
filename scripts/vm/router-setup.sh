#!/usr/bin/env bash
# Router VM setup, run as root after the router's first boot (components/router.ts): IPv4 forwarding
# between the segments, masquerading NAT to the uplink, DNAT of the API port to the control-plane,
# tcpdump for captures. Written to /etc/sysctl.d and /etc/nftables.conf (nftables.service enabled), so a
# reboot keeps it. Idempotent. Packages are installed only when missing, so an image that has them needs
# no network.
# Inputs (environment): UPLINK_IF, SEGMENT_IFS ("seg1 seg2"), SEGMENT_SUBNETS, API_DNAT_TO (ip:port), API_PORT.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${UPLINK_IF:?}" "${SEGMENT_IFS:?}" "${SEGMENT_SUBNETS:?}" "${API_DNAT_TO:?}" "${API_PORT:?}"

log() { echo "lab-router-setup: $*" >&2; }

# The ruleset, on stdout (LAB_ROUTER_RENDER_ONLY=1 prints it and exits: the tests check it with nft -c).
render_rules() {
  local segments_set segment_ifs seg_ifs
  segments_set=$(echo "$SEGMENT_SUBNETS" | tr ' ' ',')
  read -ra seg_ifs <<<"$SEGMENT_IFS"
  segment_ifs=$(printf '"%s", ' "${seg_ifs[@]}")
  cat <<CONF
#!/usr/sbin/nft -f
# Written by lab-router-setup (cilium-ipsec-lab). Segments are routed, not NATed, between each other.
flush ruleset

table inet lab_filter {
  chain forward {
    type filter hook forward priority filter; policy accept;
  }
}

table ip lab_nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "${UPLINK_IF}" tcp dport ${API_PORT} dnat to ${API_DNAT_TO}
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${UPLINK_IF}" ip saddr { ${segments_set} } masquerade
    # API clients on the uplink reach the control-plane through the DNAT above; masquerade them on the
    # segments so replies come back through the router whatever the node's routes say.
    iifname "${UPLINK_IF}" oifname { ${segment_ifs%, } } tcp dport ${API_DNAT_TO##*:} masquerade
  }
}
CONF
}

if [[ "${LAB_ROUTER_RENDER_ONLY:-}" == 1 ]]; then
  render_rules
  exit 0
fi

cat >/etc/sysctl.d/90-lab-router.conf <<CONF
net.ipv4.ip_forward = 1
net.ipv4.conf.all.rp_filter = 0
net.ipv4.conf.default.rp_filter = 0
CONF
sysctl -q -p /etc/sysctl.d/90-lab-router.conf

missing=()
for pkg in nftables tcpdump openssh-client; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  install_missing() { apt_get update -q && apt_get install -y -q "${missing[@]}"; }
  retry 5 10 install_missing || die "could not install ${missing[*]}"
fi

render_rules >/etc/nftables.conf
nft -f /etc/nftables.conf
systemctl enable nftables.service >/dev/null 2>&1 || log "nftables.service not enabled (rules are loaded for this boot)"
log "forwarding on; NAT via ${UPLINK_IF}; ${UPLINK_IF}:${API_PORT} -> ${API_DNAT_TO}; tcpdump $(command -v tcpdump)"
