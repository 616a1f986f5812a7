#!/usr/bin/env bash
# `npm run verify -- CAPTURE ...`: the capture verifier, compiled (incrementally) and run with plain node.
# Compiled because ts-node alone costs ~140 MB of RSS, more than the verifier's whole 128 MB budget.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"
ensure_node_modules "$root"
"$root/node_modules/.bin/tsc" -p "$root/tsconfig.verify.json"
exec node "$root/bin/verify/scripts/verify.js" "$@"
