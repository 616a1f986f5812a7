#!/usr/bin/env bash
# Piece "chart": the Cilium Helm chart of github.com/cilium/cilium at CILIUM_VERSION
# (install/kubernetes/cilium in the module), packaged as `helm package` lays a chart archive out: a
# gzipped tar whose single top directory is the chart's name. Helm's loader reads that archive as it
# reads a chart from a repository. The module's values.yaml names the images without digests
# (image.useDigest false), so the chart pulls the bundle's images by tag. Output:
# OUT/cilium-<version>.tgz and OUT/values.yaml (the chart's default values, for the image names).
# Env: CILIUM_VERSION, OUT, WORK.
set -euo pipefail
PIECE=${PIECE:-chart}
# shellcheck source=scripts/bundle/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${CILIUM_VERSION:?}"

mod=github.com/cilium/cilium@v$CILIUM_VERSION
src=$(module_dir "$mod")
chart=$src/install/kubernetes/cilium
[ -f "$chart/Chart.yaml" ] || die "step 'chart': $mod has no install/kubernetes/cilium/Chart.yaml"
name=$(sed -n 's/^name: *//p' "$chart/Chart.yaml" | head -n 1)
version=$(sed -n 's/^version: *//p' "$chart/Chart.yaml" | head -n 1)
[ "$version" = "$CILIUM_VERSION" ] || die "step 'chart': Chart.yaml of $mod says version '$version', expected $CILIUM_VERSION"
rm -rf "$WORK/chart"
mkdir -p "$WORK/chart"
cp -r "$chart" "$WORK/chart/$name"
chmod -R u+w,go-w "$WORK/chart/$name"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$WORK/chart" -cf - "$name" | gzip -n -9 >"$OUT/$name-$version.tgz"
cp "$chart/values.yaml" "$OUT/values.yaml"
say "$name-$version.tgz ($(du -h "$OUT/$name-$version.tgz" | cut -f1))"
