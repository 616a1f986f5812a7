#!/usr/bin/env bash
# TEST FIXTURE -- NOT CILIUM. Used only by the VM test suite (test/vm/), never by the Pulumi program.
#
# Reproduces, with the plain Linux kernel on one lab worker, the packets Cilium puts on the wire between
# two nodes in tunnel mode, so the router capture and the verifier can be proven on real kernel ESP and
# VXLAN without Kubernetes:
#   - a `cilium_host`-like dummy interface holding a /32 (Cilium's per-node router address),
#   - a "pod": a network namespace with a veth, addressed from the node's pod /24,
#   - VXLAN on UDP 8472 between the node IPs (`cilium_vxlan`), routing the remote pod /24 over it,
#   - optionally kernel xfrm ESP, rfc4106(gcm(aes)) with a 128-bit ICV and the lab's SPI, in one of
#     Cilium's two tunnel-mode layouts:
#       esp-in-vxlan  (Cilium <= 1.17): tunnel-mode ESP between the two cilium_host addresses, the ESP
#                     packets carried over VXLAN: node -> node / UDP 8472 / VXLAN / Ether /
#                     IP cilium_host -> cilium_host / ESP.
#       vxlan-in-esp  (Cilium >= 1.18): the VXLAN UDP 8472 packets between the node IPs are ESP-encrypted:
#                     node -> node / ESP; decrypted: IP node -> node / UDP 8472 / VXLAN / Ether / IP pod -> pod.
#   Cilium's real datapath (eBPF, per-node-pair derived keys, identities in the VNI, marks) is not
#   reproduced; only the wire formats the router sees are.
#
# Usage: cilium-wire-fixture.sh ACTION, or FIXTURE_ACTION=ACTION in the environment (the lab's remote
# command text runs scripts as `bash -c TEXT` without arguments). ACTION is one of:
#   up     create cilium_host, the pod namespace, cilium_vxlan and the routes (idempotent: recreates)
#   xfrm   install xfrm states and policies for XFRM_LAYOUT (replaces any earlier ones)
#   clear  remove every xfrm state and policy and the WireGuard device (cleartext VXLAN again)
#   down   remove everything `up`, `xfrm` and `wg-up` created (idempotent)
#   serve  start a small HTTP server in the pod namespace on POD_HTTP_PORT (idempotent)
#   status print interfaces, routes and `ip xfrm state` (keys included: run as root, for the test only)
# Key rotation, step by step as Cilium performs it (each step on one node; the test orders them):
#   sa-add      add the two SAs (out, in) of XFRM_SPI beside the existing ones; policies unchanged
#   out-switch  point the outbound policy at XFRM_SPI (`ip xfrm policy update`, atomic: no gap)
#   out-remove  delete the outbound policy (pod traffic to the peer then leaves in clear)
#   out-gap     out-remove, GAP_SECONDS (default 2) with no outbound policy, then out-switch: a rotation
#               done badly, timed on the node itself
#   sa-remove   delete the two SAs of XFRM_SPI (the old key, once the peer no longer sends with it)
# WireGuard (Cilium's cilium_wg0, UDP 51871 between the node IPs; pod traffic routed through it):
#   wg-up    WG_PRIVATE_KEY, WG_PEER_PUBLIC_KEY (base64); WG_PORT (default 51871)
#   wg-down  remove cilium_wg0 and route the peer's pods over cilium_vxlan again
# Environment (all required for up/xfrm unless a default is given):
#   NODE_IP, PEER_NODE_IP            this node's and the peer node's lab addresses (the VXLAN endpoints)
#   HOST_IP, PEER_HOST_IP            cilium_host /32 addresses, e.g. 10.0.1.124 and 10.0.2.104
#   POD_IP, POD_CIDR, PEER_POD_CIDR  this node's pod address and the two pod /24s
#   NODE_INDEX, PEER_NODE_INDEX      small integers (1, 2) giving deterministic MACs for the static neighbours
#   XFRM_LAYOUT                      esp-in-vxlan | vxlan-in-esp (for xfrm)
#   XFRM_SPI                         SPI (the lab's key id, 1..15)
#   XFRM_KEY_OUT, XFRM_KEY_IN        40 hex digits each (16-byte AES key + 4-byte salt) for this node's
#                                    outgoing and incoming direction; the peer uses them swapped
#   POD_HTTP_PORT                    default 8080
#   VXLAN_MTU_POD                    pod veth MTU (default 1300, leaves room for VXLAN + ESP on a 1500 link)
#
# How Cilium rotates (Cilium docs, "Transparent Encryption / IPsec", "Key Rotation"; cilium/cilium
# pkg/datapath/linux/ipsec): the agents add the SAs of the new key id next to the old ones, switch the
# outbound path to the new SPI, and keep the old SAs for encryption.ipsec.keyRotationDuration (5 min by
# default) so packets still in flight with the old SPI are accepted, then delete them. Nodes do this
# independently, so for a while one direction of a pair uses the new SPI and the other the old one.
# Cilium selects the outbound SA by an skb mark carrying the key id; here the outbound policy's
# template names the SPI instead (the kernel then picks only that SA). The inbound and forward
# policies name no SPI, so both generations are accepted while both exist, as with Cilium.
set -euo pipefail

# The VM suite ships it like the lab's own VM scripts (components/remote.ts: lib.sh in front of it).
# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"
[ "$(id -u)" -eq 0 ] || die "must run as root (xfrm, netns)"

ns=labpod
vxlan=cilium_vxlan
host=cilium_host
wg=cilium_wg0
wg_port=${WG_PORT:-51871}
veth=lxc_labpod
port=${POD_HTTP_PORT:-8080}
pod_mtu=${VXLAN_MTU_POD:-1300}

mac() { printf '02:00:00:00:%02x:%02x' "$1" "$2"; } # mac ROLE NODE_INDEX (role 1: vxlan)

node_dev() { # the interface that reaches the peer node
  ip -o route get "$PEER_NODE_IP" | sed -n 's/.* dev \([^ ]*\).*/\1/p'
}

down() {
  ip xfrm policy flush
  ip xfrm state flush
  ip link del "$wg" 2>/dev/null || true
  [ ! -e "/run/netns/$ns" ] || ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$veth" 2>/dev/null || true
  ip link del "$vxlan" 2>/dev/null || true
  ip link del "$host" 2>/dev/null || true
}

up() {
  require_env NODE_IP PEER_NODE_IP HOST_IP PEER_HOST_IP POD_IP POD_CIDR PEER_POD_CIDR NODE_INDEX PEER_NODE_INDEX
  down
  local dev
  dev=$(node_dev)
  [ -n "$dev" ] || die "no route to the peer node $PEER_NODE_IP"
  sysctl -qw net.ipv4.ip_forward=1
  sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  modprobe -q vxlan 2>/dev/null || true

  # cilium_host: a dummy with the node's router address (/32), as Cilium's cilium_host carries.
  ip link add "$host" type dummy
  ip addr add "$HOST_IP/32" dev "$host"
  ip link set "$host" up

  # The pod: a namespace with a veth; default route through the node's cilium_host address.
  ip netns add "$ns"
  ip link add "$veth" mtu "$pod_mtu" type veth peer name eth0 netns "$ns" mtu "$pod_mtu"
  ip link set "$veth" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$POD_IP/${POD_CIDR#*/}" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add "$HOST_IP/32" dev eth0 scope link
  ip -n "$ns" route add default via "$HOST_IP" dev eth0 onlink
  ip route add "$POD_IP/32" dev "$veth"
  sysctl -qw "net.ipv4.conf.$veth.proxy_arp=1" "net.ipv4.conf.$veth.rp_filter=0"

  # VXLAN on UDP 8472 between the node IPs, static MACs and neighbours (no ARP over the tunnel).
  ip link add "$vxlan" address "$(mac 1 "$NODE_INDEX")" type vxlan id 2 local "$NODE_IP" \
    remote "$PEER_NODE_IP" dstport 8472 dev "$dev"
  ip link set "$vxlan" up
  sysctl -qw "net.ipv4.conf.$vxlan.rp_filter=0"
  ip route add "$PEER_HOST_IP/32" dev "$vxlan" scope link
  ip neigh replace "$PEER_HOST_IP" lladdr "$(mac 1 "$PEER_NODE_INDEX")" dev "$vxlan" nud permanent
  ip route add "$PEER_POD_CIDR" via "$PEER_HOST_IP" dev "$vxlan" onlink
  echo "up: $host=$HOST_IP/32 pod=$POD_IP ($ns) $vxlan=$NODE_IP->$PEER_NODE_IP:8472 via $dev"
}

# Sets src/dst (the SA endpoints) and sel_out/sel_in (policy selectors) for XFRM_LAYOUT.
layout() {
  case $XFRM_LAYOUT in
    esp-in-vxlan) # tunnel-mode ESP between the cilium_host addresses, pod /24 -> pod /24
      src=$HOST_IP dst=$PEER_HOST_IP
      sel_out=(src "$POD_CIDR" dst "$PEER_POD_CIDR")
      sel_in=(src "$PEER_POD_CIDR" dst "$POD_CIDR")
      ;;
    vxlan-in-esp) # tunnel-mode ESP between the node IPs around the VXLAN UDP 8472 packets
      src=$NODE_IP dst=$PEER_NODE_IP
      sel_out=(src "$NODE_IP/32" dst "$PEER_NODE_IP/32" proto udp dport 8472)
      sel_in=(src "$PEER_NODE_IP/32" dst "$NODE_IP/32" proto udp dport 8472)
      ;;
    *) die "XFRM_LAYOUT must be esp-in-vxlan or vxlan-in-esp, got '$XFRM_LAYOUT'" ;;
  esac
}

require_keys() {
  require_env NODE_IP PEER_NODE_IP HOST_IP PEER_HOST_IP POD_CIDR PEER_POD_CIDR XFRM_LAYOUT XFRM_SPI XFRM_KEY_OUT XFRM_KEY_IN
  [[ $XFRM_SPI =~ ^[0-9]+$ ]] || die "XFRM_SPI must be a number, got '$XFRM_SPI'"
  [[ $XFRM_KEY_OUT =~ ^[0-9a-fA-F]{40}$ ]] || die "XFRM_KEY_OUT must be 40 hex digits"
  [[ $XFRM_KEY_IN =~ ^[0-9a-fA-F]{40}$ ]] || die "XFRM_KEY_IN must be 40 hex digits"
}

# The two SAs of XFRM_SPI: this node -> peer with XFRM_KEY_OUT, peer -> this node with XFRM_KEY_IN.
sa_add() {
  local aead=(aead 'rfc4106(gcm(aes))')
  ip xfrm state add src "$src" dst "$dst" proto esp spi "$XFRM_SPI" reqid 1 mode tunnel \
    "${aead[@]}" "0x$XFRM_KEY_OUT" 128
  ip xfrm state add src "$dst" dst "$src" proto esp spi "$XFRM_SPI" reqid 1 mode tunnel \
    "${aead[@]}" "0x$XFRM_KEY_IN" 128
}

out_policy() { # VERB (add|update): the outbound policy, its template bound to XFRM_SPI
  ip xfrm policy "$1" "${sel_out[@]}" dir out tmpl src "$src" dst "$dst" proto esp spi "$XFRM_SPI" reqid 1 mode tunnel
}

xfrm() {
  require_keys
  ip xfrm policy flush
  ip xfrm state flush
  local src dst sel_out sel_in
  layout
  sa_add
  out_policy add
  ip xfrm policy add "${sel_in[@]}" dir in tmpl src "$dst" dst "$src" proto esp reqid 1 mode tunnel
  ip xfrm policy add "${sel_in[@]}" dir fwd tmpl src "$dst" dst "$src" proto esp reqid 1 mode tunnel
  echo "xfrm: $XFRM_LAYOUT spi=$XFRM_SPI $src<->$dst"
}

rotate_step() {
  local src dst sel_out sel_in
  case $1 in
    sa-add)
      require_keys
      layout
      sa_add
      ;;
    out-switch)
      require_env NODE_IP PEER_NODE_IP HOST_IP PEER_HOST_IP POD_CIDR PEER_POD_CIDR XFRM_LAYOUT XFRM_SPI
      layout
      out_policy update
      ;;
    out-remove)
      require_env NODE_IP PEER_NODE_IP HOST_IP PEER_HOST_IP POD_CIDR PEER_POD_CIDR XFRM_LAYOUT
      layout
      ip xfrm policy delete "${sel_out[@]}" dir out
      ;;
    out-gap)
      require_env NODE_IP PEER_NODE_IP HOST_IP PEER_HOST_IP POD_CIDR PEER_POD_CIDR XFRM_LAYOUT XFRM_SPI
      layout
      ip xfrm policy delete "${sel_out[@]}" dir out
      echo "out-remove at $(date +%s.%N)"
      sleep "${GAP_SECONDS:-2}"
      out_policy update
      ;;
    sa-remove)
      require_env NODE_IP PEER_NODE_IP HOST_IP PEER_HOST_IP XFRM_LAYOUT XFRM_SPI
      layout
      ip xfrm state delete src "$src" dst "$dst" proto esp spi "$XFRM_SPI"
      ip xfrm state delete src "$dst" dst "$src" proto esp spi "$XFRM_SPI"
      ;;
  esac
  echo "$1: $XFRM_LAYOUT spi=${XFRM_SPI:-} at $(date +%s.%N)"
}

# Kernel WireGuard between the node IPs, as Cilium's cilium_wg0: the peer's pod /24 and cilium_host
# address are its allowed IPs and are routed through the device, so pod packets leave as UDP 51871.
wg_up() {
  require_env NODE_IP PEER_NODE_IP PEER_HOST_IP PEER_POD_CIDR WG_PRIVATE_KEY WG_PEER_PUBLIC_KEY
  [[ $WG_PEER_PUBLIC_KEY =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "WG_PEER_PUBLIC_KEY must be a base64 WireGuard key"
  ip link del "$wg" 2>/dev/null || true
  modprobe -q wireguard 2>/dev/null || true
  ip link add "$wg" type wireguard
  local keyfile
  keyfile=$(mktemp)
  chmod 0600 "$keyfile"
  printf '%s\n' "$WG_PRIVATE_KEY" >"$keyfile"
  wg set "$wg" listen-port "$wg_port" private-key "$keyfile" \
    peer "$WG_PEER_PUBLIC_KEY" endpoint "$PEER_NODE_IP:$wg_port" allowed-ips "$PEER_POD_CIDR,$PEER_HOST_IP/32"
  rm -f "$keyfile"
  ip link set "$wg" mtu 1420 up
  sysctl -qw "net.ipv4.conf.$wg.rp_filter=0"
  ip route replace "$PEER_POD_CIDR" dev "$wg"
  echo "wg-up: $wg port $wg_port -> $PEER_NODE_IP:$wg_port allowed $PEER_POD_CIDR"
}

wg_down() {
  require_env PEER_HOST_IP PEER_POD_CIDR
  ip link del "$wg" 2>/dev/null || true
  if ip link show "$vxlan" >/dev/null 2>&1; then
    ip route replace "$PEER_POD_CIDR" via "$PEER_HOST_IP" dev "$vxlan" onlink
  fi
  echo "wg-down: $PEER_POD_CIDR over $vxlan"
}

clear_xfrm() {
  ip xfrm policy flush
  ip xfrm state flush
  wg_down >/dev/null
  echo "xfrm: cleared"
}

serve() {
  [ -e "/run/netns/$ns" ] || die "no pod namespace: run 'up' first"
  if ! ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    # An HTTP server in the pod that answers any path (the nonce travels in the request path).
    ip netns exec "$ns" setsid python3 -m http.server "$port" --bind 0.0.0.0 --directory /tmp \
      </dev/null >/tmp/labpod-http.log 2>&1 &
    for _ in $(seq 1 50); do
      ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && break
      sleep 0.2
    done
  fi
  echo "serve: http on $port in $ns"
}

status() {
  ip -br addr
  ip route
  ip -n "$ns" -br addr 2>/dev/null || true
  ip -s xfrm state
  ip xfrm policy
  cat /proc/net/xfrm_stat 2>/dev/null || true
  wg show "$wg" 2>/dev/null || true
}

case ${1:-${FIXTURE_ACTION:-}} in
  up) up ;;
  xfrm) xfrm ;;
  clear) clear_xfrm ;;
  down)
    down
    echo "down: removed"
    ;;
  serve) serve ;;
  status) status ;;
  sa-add | out-switch | out-remove | out-gap | sa-remove) rotate_step "${1:-$FIXTURE_ACTION}" ;;
  wg-up) wg_up ;;
  wg-down) wg_down ;;
  *) die "usage: $0 up|xfrm|clear|down|serve|status|sa-add|out-switch|out-remove|out-gap|sa-remove|wg-up|wg-down" ;;
esac
