#!/usr/bin/env bash
# Piece "apt": the nodes' apt repository, flat (OUT/repo, `deb [trusted=yes] URL ./`), holding
#  - kubeadm, kubelet and kubectl KUBERNETES_VERSION as .deb packages made with dpkg-deb from the
#    kubernetes piece's binaries, laid out as the upstream packages are
#    (kubernetes/release cmd/krel/templates/latest/{kubeadm,kubelet,kubectl}/*.spec): the kubelet unit,
#    /etc/default/kubelet, the kubeadm drop-in 10-kubeadm.conf (its /etc/sysconfig/kubelet rewritten to
#    /etc/default/kubelet, as the spec does for Debian builds), the kept directories;
#  - kubernetes-cni: upstream ships the CNI plugins in /opt/cni/bin; here it is made from Debian's
#    containernetworking-plugins (links in /opt/cni/bin to /usr/lib/cni), at Debian's version;
#  - the Debian packages of NODE_PACKAGES and everything they and the packages above depend on
#    (resolved against an empty system, so any trixie guest finds every dependency here).
# The unit, /etc/default/kubelet and the drop-in in scripts/bundle/packaging/ are the upstream texts
# (kubernetes/release f618b2a, cmd/krel/templates/latest/kubelet/{kubelet.service,kubelet.env},
# cmd/krel/templates/latest/kubeadm/10-kubeadm.conf); kubelet.postinst/postrm only reload systemd.
# Version strings: <kubernetes version>-1.1+bundle, so `apt-cache madison kubeadm` matches
# "^<version>-" as it does on pkgs.k8s.io.
# Env: KUBERNETES_VERSION, DEBIAN_SUITE, NODE_PACKAGES (space-separated), DEBIAN_MIRROR,
#      DEP_KUBERNETES (the kubernetes piece's output), OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-apt}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${KUBERNETES_VERSION:?}" "${DEBIAN_SUITE:?}" "${NODE_PACKAGES:?}" "${DEP_KUBERNETES:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
bin=$DEP_KUBERNETES/bin
repo=$OUT/repo
mkdir -p "$repo"
debver="$KUBERNETES_VERSION-1.1+bundle"

# --- Debian's index, in an apt root of our own (the host's apt state is not touched) ---------------
aptroot=$WORK/aptroot
rm -rf "$aptroot"
mkdir -p "$aptroot/etc/apt/apt.conf.d" "$aptroot/etc/apt/preferences.d" "$aptroot/etc/apt/sources.list.d" \
  "$aptroot/var/lib/apt/lists/partial" "$aptroot/var/cache/apt/archives/partial" "$aptroot/var/lib/dpkg"
: >"$aptroot/var/lib/dpkg/status"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "step 'apt sources': $keyring is missing (package debian-archive-keyring)"
echo "deb [signed-by=$keyring] $mirror $DEBIAN_SUITE main" >"$aptroot/etc/apt/sources.list"
apt_opts=(-o "Dir=$aptroot" -o "Dir::State::status=$aptroot/var/lib/dpkg/status" -o APT::Architecture=amd64
  -o Debug::NoLocking=true -o APT::Install-Recommends=false -o Acquire::Retries=3)
say "apt-get update ($mirror $DEBIAN_SUITE)"
apt-get "${apt_opts[@]}" update >"$WORK/apt-update.log" 2>&1 || {
  tail -n 10 "$WORK/apt-update.log" | sed 's/^/  /' >&2
  die "step 'apt-get update' failed"
}
cni_version=$(apt-cache "${apt_opts[@]}" show containernetworking-plugins 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$cni_version" ] || die "step 'kubernetes-cni': containernetworking-plugins is not in $DEBIAN_SUITE"
cni_upstream=${cni_version#*:}
cni_upstream=${cni_upstream%%[+-]*}

# --- the Kubernetes packages -----------------------------------------------------------------------
# deb NAME VERSION DEPENDS DESCRIPTION: builds $WORK/pkg/NAME (already filled) into the repository.
deb() {
  local name=$1 version=$2 depends=$3 desc=$4 dir=$WORK/pkg/$1
  mkdir -p "$dir/DEBIAN"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: amd64"
    echo "Maintainer: cilium-ipsec-lab bundle <noreply@invalid>"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$dir" | cut -f1)"
    [ -z "$depends" ] || echo "Depends: $depends"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: https://kubernetes.io"
    echo "Description: $desc"
    echo " Built from the Go module proxy by the cilium-ipsec-lab bundle."
  } >"$dir/DEBIAN/control"
  (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -path './etc/*' -printf '/%P\n') | sed 's#^//#/#' >"$dir/DEBIAN/conffiles"
  [ -s "$dir/DEBIAN/conffiles" ] || rm -f "$dir/DEBIAN/conffiles"
  dpkg-deb --root-owner-group -Zxz --build "$dir" "$repo/${name}_${version}_amd64.deb" >/dev/null 2>"$WORK/dpkg-deb-$name.log" ||
    die "step 'dpkg-deb $name' failed: $(head -n 3 "$WORK/dpkg-deb-$name.log")"
  say "built ${name}_${version}_amd64.deb"
}
rm -rf "$WORK/pkg"
for b in kubeadm kubelet kubectl; do
  [ -x "$bin/$b" ] || die "step 'packages': $bin/$b is missing (kubernetes piece)"
  install -D -m 0755 "$bin/$b" "$WORK/pkg/$b/usr/bin/$b"
done
unit=$WORK/pkg/kubelet/usr/lib/systemd/system
install -d "$unit" "$WORK/pkg/kubelet/etc/default" "$WORK/pkg/kubelet/var/lib/kubelet" "$WORK/pkg/kubelet/etc/kubernetes/manifests"
install -m 0644 "$here/packaging/kubelet.service" "$unit/kubelet.service"
install -m 0644 "$here/packaging/kubelet.env" "$WORK/pkg/kubelet/etc/default/kubelet"
: >"$WORK/pkg/kubelet/var/lib/kubelet/.kubelet-keep"
: >"$WORK/pkg/kubelet/etc/kubernetes/manifests/.kubelet-keep"
install -d "$WORK/pkg/kubeadm/usr/lib/systemd/system/kubelet.service.d"
sed 's;/etc/sysconfig/kubelet;/etc/default/kubelet;g' "$here/packaging/10-kubeadm.conf" \
  >"$WORK/pkg/kubeadm/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
for s in postinst postrm; do
  install -D -m 0755 "$here/packaging/kubelet.$s" "$WORK/pkg/kubelet/DEBIAN/$s"
done
# kubernetes-cni's links: one per plugin in Debian's package, read from the package itself.
(cd "$WORK" && rm -f containernetworking-plugins_*.deb && apt-get "${apt_opts[@]}" download containernetworking-plugins >"$WORK/apt-download.log" 2>&1) ||
  die "step 'kubernetes-cni': apt-get download containernetworking-plugins failed: $(tail -n 3 "$WORK/apt-download.log")"
mkdir -p "$WORK/pkg/kubernetes-cni/opt/cni/bin"
n=0
while read -r plugin; do
  ln -s "/usr/lib/cni/$plugin" "$WORK/pkg/kubernetes-cni/opt/cni/bin/$plugin"
  n=$((n + 1))
done < <(dpkg-deb --fsys-tarfile "$WORK"/containernetworking-plugins_*.deb | tar -t | sed -n 's#^\./usr/lib/cni/\([^/][^/]*\)$#\1#p')
[ "$n" -gt 0 ] || die "step 'kubernetes-cni': no plugins under /usr/lib/cni in containernetworking-plugins $cni_version"
deb kubernetes-cni "$cni_upstream-0bundle1" "containernetworking-plugins (>= $cni_upstream)" \
  "Container networking plugins at /opt/cni/bin ($n links to Debian's /usr/lib/cni)"
deb kubectl "$debver" "" "Command-line utility for interacting with a Kubernetes cluster"
deb kubelet "$debver" "iptables (>= 1.4.21), kubernetes-cni (>= $cni_upstream), mount, util-linux" "Node agent for Kubernetes clusters"
deb kubeadm "$debver" "" "Command-line utility for administering a Kubernetes cluster"

# --- the Debian closure --------------------------------------------------------------------------
# Resolved with the packages above, so their dependencies are in it too.
say "downloading the Debian closure of: $NODE_PACKAGES and the Kubernetes packages"
archives=$WORK/archives
rm -rf "$archives"
mkdir -p "$archives/partial"
read -ra node_packages <<<"$NODE_PACKAGES"
apt-get "${apt_opts[@]}" -o "Dir::Cache::archives=$archives" install --download-only -y -q \
  "$repo"/*.deb "${node_packages[@]}" >"$WORK/apt-closure.log" 2>&1 || {
  grep -E '^(E:|W:| )' "$WORK/apt-closure.log" | head -n 12 | sed 's/^/  /' >&2
  die "step 'apt closure' failed; full log: $WORK/apt-closure.log"
}
cp "$archives"/*.deb "$repo/"
bash "$here/apt-index.sh" "$repo"
for p in kubeadm kubelet kubectl kubernetes-cni "${node_packages[@]}"; do
  grep -qx "Package: $p" "$repo/Packages" || die "step 'check': $p is not in $repo/Packages"
done
say "repository: $(grep -c '^Package:' "$repo/Packages") packages, $(du -sh "$repo" | cut -f1)"
