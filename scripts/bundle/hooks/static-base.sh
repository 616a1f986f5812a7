#!/usr/bin/env bash
# The base layer of the images that hold one static Go binary, made like distroless/static from
# Debian's packages (extracted, not installed): users and groups from base-passwd's masters plus
# nonroot (65532), the CA bundle that update-ca-certificates would write, an empty /tmp.
# Usage: bash static-base.sh ROOTFS.
set -euo pipefail
root=${1:?rootfs directory}
install -d -m 1777 "$root/tmp"
cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >>"$root/etc/passwd"
echo 'nonroot:x:65532:' >>"$root/etc/group"
install -d -m 0700 -o 65532 -g 65532 "$root/home/nonroot"
install -d "$root/etc/ssl/certs"
find "$root/usr/share/ca-certificates/mozilla" -name '*.crt' | LC_ALL=C sort | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"
[ -s "$root/etc/ssl/certs/ca-certificates.crt" ] || {
  echo "static-base hook: no certificates under /usr/share/ca-certificates/mozilla" >&2
  exit 1
}
