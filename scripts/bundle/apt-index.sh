#!/usr/bin/env bash
# Indexes a flat apt repository (Debian's "flat repository format": packages and indexes in one
# directory, used as `deb [trusted=yes] URL ./`): Packages and Packages.gz from dpkg-scanpackages
# (every version kept), and a Release with the indexes' checksums from apt-ftparchive. The repository
# is not signed; apt needs `[trusted=yes]` on its source line.
# Usage: bash apt-index.sh DIR
set -euo pipefail
dir=${1:?usage: apt-index.sh DIR}
[ -d "$dir" ] || {
  echo "apt-index: $dir is not a directory" >&2
  exit 1
}
cd "$dir"
compgen -G '*.deb' >/dev/null || {
  echo "apt-index: no .deb in $dir" >&2
  exit 1
}
rm -f Packages Packages.gz Release
dpkg-scanpackages --multiversion . /dev/null >Packages 2>scanpackages.log || {
  cat scanpackages.log >&2
  echo "apt-index: dpkg-scanpackages failed in $dir" >&2
  exit 1
}
rm -f scanpackages.log
gzip -9nk Packages
apt-ftparchive -o APT::FTPArchive::Release::Origin=cilium-ipsec-lab-bundle \
  -o APT::FTPArchive::Release::Label=cilium-ipsec-lab-bundle release . >Release.tmp
mv Release.tmp Release
echo "apt-index: $(grep -c '^Package:' Packages) packages in $dir" >&2
