#!/usr/bin/env bash
# Runs on the machine running Pulumi (never on the libvirt host): fetch the base image once into the
# cache, verify its SHA-256, and print one line "PATH<TAB>FORMAT<TAB>BYTES<TAB>SHA256" (PATH relative
# to the working directory when lab:imageCacheDir is relative: run it from the project directory).
# A local path or file:// URL is used in place (not copied).
# Env: IMAGE_URL, IMAGE_CHECKSUM (sha256:<hex> | URL of a SHA256SUMS file | empty for a local image),
#      CACHE_DIR (download cache, created when missing).
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need IMAGE_URL CACHE_DIR
IMAGE_CHECKSUM=${IMAGE_CHECKSUM:-}

fetch() { # fetch URL DEST
  case "$1" in
    file://*) cp -- "${1#file://}" "$2" ;;
    *) curl -fsSL --retry 3 --connect-timeout 20 -o "$2" -- "$1" || die "download of $1 failed" ;;
  esac
}

case "$IMAGE_URL" in
  file://*) file=${IMAGE_URL#file://} ;;
  /* | ./* | ../*) file=$IMAGE_URL ;;
  *)
    mkdir -p -- "$CACHE_DIR"
    file="$CACHE_DIR/$(basename -- "${IMAGE_URL%%\?*}")"
    ;;
esac
name=$(basename -- "${IMAGE_URL%%\?*}")

expected=""
case "$IMAGE_CHECKSUM" in
  sha256:*) expected=${IMAGE_CHECKSUM#sha256:} ;;
  "") ;;
  *)
    sums=$(mktemp)
    trap 'rm -f "$sums"' EXIT
    fetch "$IMAGE_CHECKSUM" "$sums"
    # SHA256SUMS lines: "<hex> *name" or "<hex>  name".
    expected=$(awk -v n="$name" '{f=$2; sub(/^\*/, "", f); if (f == n) {print $1; exit}}' "$sums")
    [[ -n "$expected" ]] || die "$name is not listed in $IMAGE_CHECKSUM"
    ;;
esac

verify() {
  local got
  got=$(sha256sum -- "$file" | awk '{print $1}')
  if [[ -n "$expected" && "$got" != "$expected" ]]; then
    return 1
  fi
  echo "$got"
}

if [[ -f "$file" ]] && sum=$(verify); then
  echo "using cached $file" >&2
elif [[ "$file" == "$CACHE_DIR"/* ]]; then
  echo "downloading $IMAGE_URL" >&2
  fetch "$IMAGE_URL" "$file.part"
  mv -f -- "$file.part" "$file"
  sum=$(verify) || die "checksum mismatch for $file: expected $expected, got $(sha256sum -- "$file" | awk '{print $1}')"
else
  [[ -f "$file" ]] || die "image $file does not exist"
  die "checksum mismatch for $file: expected $expected, got $(sha256sum -- "$file" | awk '{print $1}')"
fi

# qcow2 files start with "QFI" 0xfb; anything else is uploaded as raw.
if [[ "$(head -c 4 -- "$file" | od -An -tx1 | tr -d ' \n')" == "514649fb" ]]; then
  format=qcow2
else
  format=raw
fi
# The path as configured (a relative cache path stays relative: stable across checkouts).
printf '%s\t%s\t%s\t%s\n' "$file" "$format" "$(stat -c %s -- "$file")" "$sum"
