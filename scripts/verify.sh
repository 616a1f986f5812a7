#!/usr/bin/env bash
# `npm run verify -- CAPTURE ...`: the capture verifier's bin (bin/cilium-ipsec-verify.js), after installing the
# npm packages when they are missing (a fresh clone); npm ci's prepare step builds build/verify, and the bin
# rebuilds it when a source changed since.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"
ensure_node_modules "$root"
exec node "$root/bin/cilium-ipsec-verify.js" "$@"
