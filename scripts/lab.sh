#!/usr/bin/env bash
# `npm run lab -- <verb> ...` on a fresh clone: installs the npm packages when missing, then runs the
# lab command (scripts/lab.ts). Everything else (the Pulumi CLI, the state backend) is its business.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"
ensure_node_modules "$root"
exec "$root/node_modules/.bin/ts-node" --transpile-only "$root/scripts/lab.ts" "$@"
