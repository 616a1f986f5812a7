#!/usr/bin/env bash
# Prints this node's `ip xfrm state` as root: the SAs Cilium installed, WITH their AEAD keys (the per
# node-pair keys Cilium derives). SECRET: the caller must keep stdout out of logs and plain outputs
# (@pulumi/command logging + additionalSecretOutputs). The verifier decrypts the capture with it (--xfrm).
# Inputs: none. Output: the text of `ip xfrm state` (may be empty when no SA exists).
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
command -v ip >/dev/null 2>&1 || { echo "facts-xfrm: ip (iproute2) is not installed on $(hostname)" >&2; exit 1; }
as_root ip xfrm state
