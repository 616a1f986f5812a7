#!/usr/bin/env bash
# Prints this node's `ip xfrm state` as root: the SAs Cilium installed, WITH their AEAD keys (the per
# node-pair keys Cilium derives). SECRET: the caller must keep stdout out of logs and plain outputs
# (@pulumi/command logging + additionalSecretOutputs). The verifier decrypts the capture with it (--xfrm).
# Inputs: none. Output: the text of `ip xfrm state` (may be empty when no SA exists).
set -euo pipefail

# shellcheck source=scripts/vm/lib.sh
[ -n "${LAB_VM_LIB:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v ip >/dev/null 2>&1 || die "ip (iproute2) is not installed on $(hostname)"
as_root ip xfrm state
