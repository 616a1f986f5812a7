#!/usr/bin/env bash
# Piece "coredns": CoreDNS at COREDNS_VERSION from github.com/coredns/coredns, built as its Makefile
# does (CGO_ENABLED=0, coremain.GitCommit stamped). Output: OUT/bin/coredns.
# Env: COREDNS_VERSION (1.12.0), OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-coredns}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${COREDNS_VERSION:?}"

mod=github.com/coredns/coredns@v$COREDNS_VERSION
say "downloading $mod"
module_dir "$mod" >/dev/null
wrapper_module "$WORK/mod" "$mod"
commit=$(module_commit "$mod")

cd "$WORK/mod"
static_build "$OUT/bin/coredns" github.com/coredns/coredns "" "-s -w -X github.com/coredns/coredns/coremain.GitCommit=${commit:0:7}"
"$OUT/bin/coredns" -version >"$OUT/version" 2>&1 || die "step 'version': coredns -version failed: $(head -n 3 "$OUT/version")"
say "$(head -n 1 "$OUT/version")"
