#!/usr/bin/env bash
# Runs on the machine running Pulumi, as the create AND update command of the stack's encryption-mode
# record (a @pulumi/command local.Command, components/encryption-records.ts). On update @pulumi/command
# puts the previous run's stdout in PULUMI_COMMAND_STDOUT, which is how the program learns the mode the
# running cluster was set up with; the Cilium Release depends on this record, so a refused switch stops
# `pulumi up` before the Release or the IPsec Secret change.
#
# What Cilium's documentation supports (encryption-ipsec.rst and encryption-wireguard.rst: enable with
# encryption.enabled/encryption.type on install or upgrade, disable with encryption.enabled=false; the
# chart's rollOutCiliumPods restarts the agents when their configuration changes, which the lab sets):
#   none <-> ipsec, none <-> wireguard: in place, a Helm upgrade.
#   ipsec <-> wireguard: no documented in-place path, and cilium/cilium#44691 (open) reports nodes
#   flapping after exactly this upgrade: refused; go through none (two `up`s).
# Env: LAB_ENCRYPTION (none | ipsec | wireguard); PULUMI_COMMAND_STDOUT (set by @pulumi/command on update).
# Output: previous=<mode or "">, encryption=<mode>.
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need LAB_ENCRYPTION
new=$LAB_ENCRYPTION
case "$new" in none | ipsec | wireguard) ;; *) die "LAB_ENCRYPTION must be none, ipsec or wireguard, got '$new'" ;; esac
prev=$(sed -n 's/^encryption=//p' <<<"${PULUMI_COMMAND_STDOUT:-}" | tail -n1)

case "$prev:$new" in
  ipsec:wireguard | wireguard:ipsec)
    die "lab:encryption $prev -> $new: Cilium documents no in-place switch between IPsec and WireGuard (cilium/cilium#44691 reports nodes flapping after it); nothing was changed. Switch to none first: pulumi config set lab:encryption none, npm run lab -- up, then set lab:encryption $new and up again"
    ;;
esac
echo "previous=$prev"
echo "encryption=$new"
