#!/usr/bin/env bash
# Piece "cilium": the binaries of the cilium agent and operator images at CILIUM_VERSION from the Go
# module proxy, laid out as the images' Dockerfiles install them (images/cilium/Dockerfile with the
# Makefile's install-container-binary and install-bpf; images/operator/Dockerfile):
#   OUT/agent/usr/bin/{cilium-agent,cilium-dbg,cilium (link),cilium-health,cilium-health-responder,
#                      cilium-bugtool,cilium-mount,cilium-sysctlfix}
#   OUT/agent/opt/cni/bin/cilium-cni, OUT/agent/etc/cni/net.d/05-cilium-cni.conf
#   OUT/agent/var/lib/cilium/bpf/...   (the datapath sources the agent compiles with clang at run time)
#   OUT/agent/{init-container.sh,install-plugin.sh,cni-uninstall.sh} (run by the chart's init containers)
#   OUT/operator/usr/bin/cilium-operator-generic
# Flags as Makefile.defs sets them: CGO_ENABLED=0, tag osusergo (+ ipam_provider_operator for the
# generic operator), pkg/version.ciliumVersion and pkg/envoy.requiredEnvoyVersionSHA stamped.
#
# The module is built from a writable copy: cilium v1.18 replaces k8s.io/apimachinery by a fork
# (github.com/cilium/apimachinery) that the proxy does not serve, so that replace is dropped and the
# required upstream apimachinery is used (the fork only adds omitzero support to the unstructured
# converter). When CILIUM_START_TIMEOUT is set (a Go duration expression such as "30 * time.Minute"),
# the agent's hive start limit in pkg/hive/hive.go (a constant, 5 minutes upstream) is replaced by it:
# a test-bed setting for hosts that emulate the guests' CPU, never a product default.
# Env: CILIUM_VERSION (1.18.4), CILIUM_START_TIMEOUT (optional), OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-cilium}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${CILIUM_VERSION:?}"

mod=github.com/cilium/cilium@v$CILIUM_VERSION
say "downloading $mod"
cached=$(module_dir "$mod")
[ -f "$cached/go.mod" ] || die "step 'download $mod': no module directory"
commit=$(module_commit "$mod")

src=$WORK/src
rm -rf "$src"
cp -r "$cached" "$src"
chmod -R u+w "$src"
cd "$src"
if grep -q '^replace k8s.io/apimachinery => github.com/cilium/apimachinery' go.mod; then
  go mod edit -dropreplace k8s.io/apimachinery
  say "dropped the k8s.io/apimachinery fork replace (not served by the proxy)"
fi
if [ -n "${CILIUM_START_TIMEOUT:-}" ]; then
  hive=pkg/hive/hive.go
  [[ "$CILIUM_START_TIMEOUT" =~ ^[0-9]+\ \*\ time\.(Second|Minute|Hour)$ ]] ||
    die "CILIUM_START_TIMEOUT: '$CILIUM_START_TIMEOUT' is not of the form 'N * time.Minute' (or Second, Hour)"
  grep -Eq '^[[:space:]]*StartTimeout:[[:space:]]+5 \* time\.Minute,' "$hive" ||
    die "step 'start timeout': no 'StartTimeout: 5 * time.Minute,' line in $hive of $mod to raise"
  sed -Ei "s/^([[:space:]]*StartTimeout:[[:space:]]+)5 \* time\.Minute,/\1$CILIUM_START_TIMEOUT,/" "$hive"
  grep -Fq -- "$CILIUM_START_TIMEOUT," "$hive" ||
    die "step 'start timeout': $hive was not changed"
  say "agent start limit raised to $CILIUM_START_TIMEOUT (test-bed build)"
fi

envoy_sha=$(sed -E -e 's/^ARG CILIUM_ENVOY_IMAGE=([^ ]*)/\1/p;d' images/cilium/Dockerfile | sed -E -e 's/[^/]*\/[^:]*:(.*-)?([^:@]*).*/\2/p;d')
ldflags="-s -w -X 'github.com/cilium/cilium/pkg/version.ciliumVersion=$CILIUM_VERSION ${commit:0:9}'"
[ -z "$envoy_sha" ] || ldflags+=" -X github.com/cilium/cilium/pkg/envoy.requiredEnvoyVersionSHA=$envoy_sha"

agent=$OUT/agent
operator=$OUT/operator
mkdir -p "$agent/usr/bin" "$agent/opt/cni/bin" "$agent/etc/cni/net.d" "$agent/var/lib/cilium" "$operator/usr/bin"
build() { # build TAGS PACKAGE DEST
  static_build "$3" "./$2" "$1" "$ldflags"
}
build osusergo daemon "$agent/usr/bin/cilium-agent"
build osusergo,ipam_provider_operator operator "$operator/usr/bin/cilium-operator-generic"
build osusergo cilium-dbg "$agent/usr/bin/cilium-dbg"
ln -sf cilium-dbg "$agent/usr/bin/cilium"
build osusergo cilium-health "$agent/usr/bin/cilium-health"
build osusergo cilium-health/responder "$agent/usr/bin/cilium-health-responder"
build osusergo bugtool "$agent/usr/bin/cilium-bugtool"
build osusergo tools/mount "$agent/usr/bin/cilium-mount"
build osusergo tools/sysctlfix "$agent/usr/bin/cilium-sysctlfix"
build osusergo plugins/cilium-cni "$agent/opt/cni/bin/cilium-cni"
install -m 0644 plugins/cilium-cni/05-cilium-cni.conf "$agent/etc/cni/net.d/"
install -m 0755 images/cilium/init-container.sh plugins/cilium-cni/install-plugin.sh plugins/cilium-cni/cni-uninstall.sh "$agent/"
# install-bpf: every file under bpf/ but the build leftovers Makefile.defs ignores.
(cd "$src" && find bpf -type f ! -name .gitignore ! -name '*.i' ! -name '*.s' ! -name .rebuild_all) |
  while read -r f; do install -D -m 0644 "$src/$f" "$agent/var/lib/cilium/$f"; done
[ -f "$agent/var/lib/cilium/bpf/bpf_lxc.c" ] || die "step 'install-bpf': bpf/bpf_lxc.c is missing from $mod"
# The images/runtime files the runtime image takes from the module (iptables' legacy/nft wrapper).
install -m 0755 images/runtime/iptables-wrapper-installer.sh "$OUT/"
"$agent/usr/bin/cilium-agent" --version >"$OUT/version" 2>&1 || die "step 'version': cilium-agent --version failed: $(head -n 3 "$OUT/version")"
say "cilium-agent says $(head -n 1 "$OUT/version")"
