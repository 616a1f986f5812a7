#!/usr/bin/env bash
# How the machine running Pulumi reaches the lab router over SSH, for the local scripts that do
# (scripts/vm/capture-fetch.sh, scripts/host/router-run.sh). Sourced after scripts/vm/lib.sh (its
# LAB_SSH_OPTIONS and die).
#
# router_ssh_options KEYDIR: sets the array ROUTER_SSH to the ssh options and ROUTER_SSH_DEST to
# user@host, from the environment fetchEnvironment (components/proof/capture.ts) gives:
#   FETCH_HOST, FETCH_PORT (22), FETCH_USER       the router (required: host, user)
#   FETCH_PRIVATE_KEY                             its private key text (optional: else ssh-agent/defaults)
#   FETCH_PROXY_HOST, FETCH_PROXY_PORT (22), FETCH_PROXY_USER, FETCH_PROXY_PRIVATE_KEY   optional jump host
# Key texts are written to files in KEYDIR (mode 0600), which the caller removes.
router_ssh_options() {
  local keydir=$1
  local -a proxy
  require_env FETCH_HOST FETCH_USER
  command -v ssh >/dev/null 2>&1 || die "ssh (openssh-client) is not installed on this machine"
  # lib.sh's one set of options: no known_hosts (VMs are recreated), no prompts, and a keep-alive so a
  # stalled connection fails instead of hanging `pulumi up`.
  ROUTER_SSH=("${LAB_SSH_OPTIONS[@]}" -p "${FETCH_PORT:-22}")
  # shellcheck disable=SC2034 # read by the scripts that source this file
  ROUTER_SSH_DEST="$FETCH_USER@$FETCH_HOST"
  if [ -n "${FETCH_PRIVATE_KEY:-}" ]; then
    (umask 077 && printf '%s\n' "$FETCH_PRIVATE_KEY" >"$keydir/key")
    ROUTER_SSH+=(-i "$keydir/key" -o IdentitiesOnly=yes)
  fi
  if [ -n "${FETCH_PROXY_HOST:-}" ]; then
    proxy=(ssh "${LAB_SSH_OPTIONS[@]}" -p "${FETCH_PROXY_PORT:-22}")
    if [ -n "${FETCH_PROXY_PRIVATE_KEY:-}" ]; then
      (umask 077 && printf '%s\n' "$FETCH_PROXY_PRIVATE_KEY" >"$keydir/proxy-key")
      proxy+=(-i "$keydir/proxy-key" -o IdentitiesOnly=yes)
    fi
    proxy+=(-W '%h:%p' "${FETCH_PROXY_USER:+$FETCH_PROXY_USER@}$FETCH_PROXY_HOST")
    ROUTER_SSH+=(-o "ProxyCommand=${proxy[*]}")
  fi
}
