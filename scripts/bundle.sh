#!/usr/bin/env bash
# `npm run bundle -- <verb> ...`: installs what the bundle's builds and servers run when it is missing
# (Debian packages, as root; Go from Debian, which fetches the toolchain the modules ask for from the
# Go module proxy), then runs scripts/bundle.ts.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"
case " $* " in
*" -h "* | *" --help "* | *" help "*) ;;
*)
  ensure_commands go:golang-go gcc:gcc mmdebstrap:mmdebstrap debootstrap:debootstrap skopeo:skopeo \
    docker-registry:docker-registry dpkg-scanpackages:dpkg-dev apt-ftparchive:apt-utils qemu-img:qemu-utils \
    mkfs.ext4:e2fsprogs debugfs:e2fsprogs python3:python3 curl:curl
  ;;
esac
ensure_node_modules "$root"
exec "$root/node_modules/.bin/ts-node" --transpile-only "$root/scripts/bundle.ts" "$@"
