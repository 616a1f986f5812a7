#!/usr/bin/env bash
# Piece "kubernetes": kubeadm, kubelet, kubectl and the control-plane binaries at KUBERNETES_VERSION
# from the Go module proxy, and the pause binary from the same module's build/pause/linux/pause.c.
# Static (CGO_ENABLED=0), with the tags and version stamps of the upstream build (hack/lib/golang.sh
# builds with `selinux notest`; hack/lib/version.sh stamps component-base/version and client-go's
# pkg/version). Output: OUT/bin/<binary>.
# Env: KUBERNETES_VERSION (1.33.13), KUBERNETES_BINARIES (space-separated), PAUSE_VERSION (3.10), OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-kubernetes}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${KUBERNETES_VERSION:?}" "${KUBERNETES_BINARIES:?}" "${PAUSE_VERSION:?}"

version=v$KUBERNETES_VERSION
minor_patch=${KUBERNETES_VERSION#*.}
say "downloading k8s.io/kubernetes@$version"
src=$(module_dir "k8s.io/kubernetes@$version")
[ -f "$src/go.mod" ] || die "step 'download k8s.io/kubernetes@$version': no module directory"

# kubernetes' go.mod maps every k8s.io/<staging> module to ./staging/src/k8s.io/<staging>; the published
# k8s.io/<staging> v0.<minor>.<patch> modules are the same code.
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/\1$#\1#p' "$src/go.mod")
[ ${#staging[@]} -gt 0 ] || die "step 'read staging replaces': none found in $src/go.mod"
replaces=()
for m in "${staging[@]}"; do replaces+=("$m=$m@v0.$minor_patch"); done
wrapper_module "$WORK/mod" "k8s.io/kubernetes@$version" "${replaces[@]}"

commit=$(module_commit "k8s.io/kubernetes@$version")
major=${KUBERNETES_VERSION%%.*}
minor=${minor_patch%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  stamp+=" -X $pkg.gitCommit=${commit:-unknown} -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

cd "$WORK/mod"
for b in $KUBERNETES_BINARIES; do
  static_build "$OUT/bin/$b" "k8s.io/kubernetes/cmd/$b" selinux,notest "-s -w$stamp"
done

say "gcc pause $PAUSE_VERSION"
pause_c=$src/build/pause/linux/pause.c
[ -f "$pause_c" ] || die "step 'pause': $pause_c is missing"
gcc -Os -static -Wall -Werror -DVERSION="v$PAUSE_VERSION-bundle" -o "$OUT/bin/pause" "$pause_c" 2>"$WORK/pause.log" ||
  die "step 'pause' failed: $(head -n 5 "$WORK/pause.log")"
"$OUT/bin/kubeadm" version -o short >"$OUT/version"
say "kubeadm says $(cat "$OUT/version")"
