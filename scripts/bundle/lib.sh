#!/usr/bin/env bash
# Shared by the bundle's piece scripts (sourced). Each piece script gets its inputs from the
# environment and writes what it makes into OUT; WORK is its scratch directory. Progress goes to
# stderr as "bundle: PIECE: ..." lines; a failure names the piece and the step.
set -euo pipefail

: "${PIECE:?PIECE is not set}"
: "${OUT:?OUT is not set}"
: "${WORK:?WORK is not set}"
mkdir -p "$OUT" "$WORK"

say() { echo "bundle: $PIECE: $*" >&2; }
die() {
  echo "bundle: $PIECE: $*" >&2
  exit 1
}

# go_run STEP ARGS...: `go ARGS` with its output in WORK/STEP.log. On failure the message names the
# step and quotes Go's first error lines (its "go: downloading" chatter left out), so the one line a
# user reads says which module or package broke.
go_run() {
  local step=$1 rc=0
  shift
  local log=$WORK/$step.log
  go "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    {
      echo "bundle: $PIECE: step '$step' failed (go exit $rc): go $*"
      grep -v -e '^go: downloading ' -e '^go: finding ' -e '^go: extracting ' "$log" | head -n 12 | sed 's/^/  /'
      echo "  full log: $log"
    } >&2
    exit 1
  fi
}

# wrapper_module DIR MODULE@VERSION [REPLACE...]: a module of our own that requires MODULE at VERSION.
# A module whose go.mod replaces its dependencies by local paths (kubernetes' staging tree, etcd's
# siblings) cannot be built with `go install mod@version`; requiring it from a wrapper that maps each of
# those paths onto the published module does. Each REPLACE is old=new@version.
wrapper_module() {
  local dir=$1 req=$2 r
  shift 2
  mkdir -p "$dir"
  rm -f "$dir/go.mod" "$dir/go.sum"
  (cd "$dir" && go mod init "lab.bundle/$PIECE" >/dev/null 2>&1)
  for r in "$@"; do
    (cd "$dir" && go mod edit -replace "$r")
  done
  (cd "$dir" && go mod edit -require "$req")
}

# module_dir MODULE@VERSION: the module's extracted source in Go's module cache (downloads it).
module_dir() {
  local json
  json=$(go mod download -json "$1" 2>&1) || {
    echo "bundle: $PIECE: step 'download $1' failed: $(printf '%s' "$json" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | head -n 1)" >&2
    exit 1
  }
  printf '%s' "$json" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'
}

# module_commit MODULE@VERSION: the commit the proxy records for the version (its Origin.Hash), or
# nothing; release builds stamp it into the binary.
module_commit() {
  go mod download -json "$1" | sed -n 's/.*"Hash": "\(.*\)".*/\1/p' | head -n 1
}

# static_build OUT_FILE PACKAGE TAGS LDFLAGS: a static (CGO_ENABLED=0), trimmed build of PACKAGE into
# OUT_FILE from the module in the current directory (missing requirements resolved through the proxy),
# as step "build-<file name>", with a progress line and its time.
static_build() {
  local out=$1 pkg=$2 tags=$3 ldflags=$4 t name
  name=$(basename "$out")
  t=$(date +%s)
  mkdir -p "$(dirname "$out")"
  say "go build $pkg"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go_run "build-$name" build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out" "$pkg"
  say "built $name in $(($(date +%s) - t))s"
}
