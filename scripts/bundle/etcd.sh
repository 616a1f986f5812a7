#!/usr/bin/env bash
# Piece "etcd": the etcd server at ETCD_VERSION from go.etcd.io/etcd/server/v3 (its main.go wraps
# etcdmain, the same entry point as the release binary). The server module replaces its sibling
# modules (api, client/pkg, client/v2, client/v3, pkg, raft) by relative paths; the wrapper maps each
# onto the published module at the version the server's go.mod requires. etcdctl and etcdutl are not
# built: kubeadm's static pod runs only `etcd`, and its probes are HTTP. Static, stamped with the
# module's commit (api/v3/version.GitSHA, as the release build does). Output: OUT/bin/etcd.
# Env: ETCD_VERSION (3.5.24), OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-etcd}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${ETCD_VERSION:?}"

mod=go.etcd.io/etcd/server/v3@v$ETCD_VERSION
say "downloading $mod"
src=$(module_dir "$mod")
[ -f "$src/go.mod" ] || die "step 'download $mod': no module directory"
replaces=()
while read -r m; do
  v=$(awk -v m="$m" '$1 == m && $2 ~ /^v/ {print $2; exit}' "$src/go.mod")
  [ -n "$v" ] || die "step 'read replaces': $m is replaced in $src/go.mod but not required there"
  replaces+=("$m=$m@$v")
done < <(sed -n 's#^[[:space:]]*\(go\.etcd\.io/etcd/[a-z0-9/]*\) => \.\./.*$#\1#p' "$src/go.mod")
[ ${#replaces[@]} -gt 0 ] || die "step 'read replaces': no relative replaces in $src/go.mod"
wrapper_module "$WORK/mod" "$mod" "${replaces[@]}"
commit=$(module_commit "$mod")

cd "$WORK/mod"
static_build "$OUT/bin/etcd" go.etcd.io/etcd/server/v3 "" "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:9}"
"$OUT/bin/etcd" --version >"$OUT/version" 2>&1 || die "step 'version': etcd --version failed: $(head -n 3 "$OUT/version")"
say "$(head -n 1 "$OUT/version")"
