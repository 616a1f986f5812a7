#!/usr/bin/env bash
# Builds the pieces of the Pulumi engine that the Go module proxy serves, for machines that cannot
# download the official CLI: the CLI at the version of the Node SDK this project pins, and the
# kubernetes resource provider at the version @pulumi/kubernetes pins, which it installs into
# PULUMI_HOME. The Node.js language host and the command, random and tls providers are not served by
# the proxy and are not built here (the README says how a machine gets them).
#
# Inputs (environment):
#   PULUMI_HOME          where the provider is installed (default ~/.pulumi, the CLI's own default)
#   PULUMI_ENGINE_CACHE  cache root (default ~/.cache/cilium-ipsec-lab/engine); the binaries go to
#                        <root>/<recipe hash>/bin, outside the clone, so another clone reuses them
#   ENGINE_NICE          niceness of the Go commands (default 19: the builds take both cores for minutes)
#   ENGINE_PROGRESS_SECONDS  how often a long step says it is still running (default 60)
# Output: progress lines and a closing table on stderr; the CLI's path on stdout.
# Exit status: 0 built (or cached) and installed; 1 a step failed (named, with the first lines of its
# output) or a version differs from the npm pin.
#
# The recipe hash is the hash of this file: a change to any version or step here builds anew.
set -euo pipefail

PULUMI_VERSION=3.248.0
# pkg/v3's go.mod replaces sdk/v3 by a local path and atotto/clipboard by a fork, and
# `go install mod@version` refuses modules with replace directives. A wrapper module that requires
# pkg/v3 and sdk/v3 at the same version, with the fork's replace copied, builds cmd/pulumi. It is never
# tidied: it has no packages of its own, so `go mod tidy` would drop both requirements.
CLI_MODULES=(github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3)
CLIPBOARD_FORK=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e

K8S_VERSION=4.25.0
# The provider module has no tags of its own; the proxy serves it at the pseudo-version of the v4.25.0
# tag's commit (2026-01-15T03:34:56Z) and refuses later ones. Its go.mod replaces sdk/v4 by ../sdk,
# which the module zip does not hold, so a copy of the module requires sdk/v4 at the same release.
K8S_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
K8S_SDK=github.com/pulumi/pulumi-kubernetes/sdk/v4

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
recipe=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
cache=${PULUMI_ENGINE_CACHE:-$HOME/.cache/cilium-ipsec-lab/engine}/$recipe
export PULUMI_HOME=${PULUMI_HOME:-$HOME/.pulumi}
export PULUMI_SKIP_UPDATE_CHECK=true
export GOFLAGS="-mod=mod${GOFLAGS:+ $GOFLAGS}"
niceness=${ENGINE_NICE:-19}
progress_every=${ENGINE_PROGRESS_SECONDS:-60}
bin=$cache/bin
src=$cache/src
logs=$cache/logs

say() { echo "[engine] $*" >&2; }
die() {
  echo "engine: $*" >&2
  exit 1
}

# npm_pin PACKAGE FIELD: a field of node_modules/PACKAGE/package.json (the version npm installed).
npm_pin() {
  local file=$root/node_modules/$1/package.json
  [ -f "$file" ] || die "$file: not found; run npm ci in $root first (the versions to build are read from it)"
  node -e 'const v = String(process.argv[2]).split(".").reduce((o, k) => (o == null ? o : o[k]), require(process.argv[1])); if (typeof v !== "string") process.exit(1); process.stdout.write(v);' "$file" "$2" ||
    die "$file: no string at \"$2\""
}

# The versions this recipe builds must be the ones the program asks for: the engine loads a provider
# by the exact version the npm package names, and installing a binary under another version's name
# would make the engine run code other than the one it reports.
sdk_pin=$(npm_pin @pulumi/pulumi version)
[ "$sdk_pin" = "$PULUMI_VERSION" ] ||
  die "node_modules/@pulumi/pulumi/package.json: version is $sdk_pin, this script builds the CLI $PULUMI_VERSION; change PULUMI_VERSION here to a version the Go module proxy serves, or the pin"
k8s_pin=$(npm_pin @pulumi/kubernetes pulumi.version)
[ "$k8s_pin" = "$K8S_VERSION" ] ||
  die "node_modules/@pulumi/kubernetes/package.json: pulumi.version is $k8s_pin, this script builds the kubernetes provider $K8S_VERSION (the only release the Go module proxy serves); pin @pulumi/kubernetes to $K8S_VERSION"

command -v go >/dev/null || die "go: not found on PATH (the Go toolchain builds the engine)"
mkdir -p "$bin" "$src" "$logs"
# Two runs on one cache would build into the same directories.
exec 9>"$cache/lock"
flock -n 9 || {
  say "another build holds $cache/lock; waiting for it"
  flock 9
}

heartbeat=
stop_heartbeat() {
  if [ -n "$heartbeat" ]; then
    kill "$heartbeat" 2>/dev/null || true
    wait "$heartbeat" 2>/dev/null || true
    heartbeat=
  fi
}
trap stop_heartbeat EXIT

step_no=0
# step NAME COMMAND...: runs COMMAND with its output in a log; prints the step's time, and on failure
# names the step and shows the first lines of what Go said (its "downloading" progress lines dropped).
step() {
  local name=$1 log start rc=0
  shift
  step_no=$((step_no + 1))
  log=$logs/$step_no.log
  start=$(date +%s)
  say "$name"
  # A killed heartbeat leaves its sleep running for up to a period: the sleep holds neither the output
  # (a caller reading it would wait) nor the cache lock (the next run would wait).
  (while sleep "$progress_every" >/dev/null 2>&1; do say "  $name: still running ($(($(date +%s) - start))s)"; done) 9>&- &
  heartbeat=$!
  ("$@") >"$log" 2>&1 || rc=$?
  stop_heartbeat
  if [ "$rc" -ne 0 ]; then
    echo "engine: step \"$name\" failed (exit $rc) after $(($(date +%s) - start))s. First lines of its output (all of it in $log):" >&2
    grep -v '^go: downloading ' "$log" | head -n 20 | sed 's/^/  /' >&2
    exit 1
  fi
  say "  $name: done in $(($(date +%s) - start))s"
}

# Each function below is one step, run in a subshell (its cd stays there); they chain with && because
# `set -e` does not apply inside a function called as part of `... || rc=$?`.
cli_module() {
  mkdir -p "$src/cli" && cd "$src/cli" &&
    { [ -f go.mod ] || go mod init lab-engine; } &&
    go get "${CLI_MODULES[@]/%/@v$PULUMI_VERSION}" &&
    go mod edit -replace "$CLIPBOARD_FORK"
}
cli_build() {
  cd "$src/cli" &&
    nice -n "$niceness" go build -o "$bin/pulumi.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi &&
    mv "$bin/pulumi.tmp" "$bin/pulumi"
}
k8s_module() {
  local json dir
  json=$(cd "$src" && go mod download -json "$K8S_MODULE@$K8S_PSEUDO") || {
    printf '%s\n' "$json"
    return 1
  }
  dir=$(printf '%s' "$json" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir || "")') || dir=
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "go mod download -json $K8S_MODULE@$K8S_PSEUDO gave no module directory: $json"
    return 1
  fi
  rm -rf "$src/kubernetes" && cp -R "$dir" "$src/kubernetes" && chmod -R u+w "$src/kubernetes" &&
    cd "$src/kubernetes" &&
    go mod edit -dropreplace "$K8S_SDK" -require "$K8S_SDK@v$K8S_VERSION"
}
# As the provider's Makefile does (target k8sprovider): the schema embedded in the binary carries the
# version, and the version package gets it through -ldflags.
k8s_generate() {
  cd "$src/kubernetes/cmd/pulumi-resource-kubernetes" && VERSION=$K8S_VERSION nice -n "$niceness" go generate
}
k8s_build() {
  cd "$src/kubernetes" &&
    CGO_ENABLED=0 nice -n "$niceness" go build -o "$bin/pulumi-resource-kubernetes.tmp" \
      -ldflags "-X $K8S_MODULE/pkg/version.Version=$K8S_VERSION" ./cmd/pulumi-resource-kubernetes &&
    mv "$bin/pulumi-resource-kubernetes.tmp" "$bin/pulumi-resource-kubernetes"
}
k8s_install() {
  "$bin/pulumi" plugin install resource kubernetes "$K8S_VERSION" --file "$bin/pulumi-resource-kubernetes" --reinstall
}

rows=()
# piece NAME VERSION SOURCE BINARY STEP...: builds the piece unless its binary is in the cache.
piece() {
  local name=$1 version=$2 source=$3 binary=$4 start state=cached
  shift 4
  start=$(date +%s)
  if [ -x "$binary" ]; then
    say "$name $version: cached ($binary)"
  else
    state=built
    while [ $# -gt 0 ]; do
      step "$name $version: $2" "$1"
      shift 2
    done
  fi
  rows+=("$name|$version|$source|$(($(date +%s) - start))|$state")
}

started=$(date +%s)
say "recipe $recipe, cache $cache, PULUMI_HOME $PULUMI_HOME"
piece "pulumi CLI" "$PULUMI_VERSION" "Go module proxy: github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "$bin/pulumi" \
  cli_module "wrapper module (go get pkg/v3, sdk/v3)" \
  cli_build "build (about 20 minutes cold on 2 cores)"
piece "kubernetes provider" "$K8S_VERSION" "Go module proxy: $K8S_MODULE@$K8S_PSEUDO" "$bin/pulumi-resource-kubernetes" \
  k8s_module "module copy (go mod download)" \
  k8s_generate "go generate (versioned schema)" \
  k8s_build "build (about 21 minutes cold on 2 cores, 4.5 GB)"
step "kubernetes provider $K8S_VERSION: install into $PULUMI_HOME" k8s_install

cli_says=$("$bin/pulumi" version)
[ "$cli_says" = "v$PULUMI_VERSION" ] || die "$bin/pulumi: reports version $cli_says, expected v$PULUMI_VERSION"
# What the engine will find: `pulumi plugin ls --json` lists {name, kind, version} per installed plugin
# (pkg/cmd/pulumi/plugin/plugin_list.go, pulumi v3.248.0).
installed=$("$bin/pulumi" plugin ls --json | node -e '
  const list = JSON.parse(require("fs").readFileSync(0, "utf8")) || [];
  process.stdout.write(list.filter((p) => p.kind === "resource" && p.name === "kubernetes").map((p) => p.version).join(" "));')
case " $installed " in
*" $k8s_pin "*) ;;
*) die "$PULUMI_HOME: the kubernetes resource plugin $k8s_pin (node_modules/@pulumi/kubernetes/package.json pulumi.version) is not installed after the install step; installed kubernetes versions: ${installed:-none}" ;;
esac

{
  printf '%-20s %-8s %-90s %7s  %s\n' piece version source seconds state
  for r in "${rows[@]}"; do
    IFS='|' read -r name version source secs state <<<"$r"
    printf '%-20s %-8s %-90s %7s  %s\n' "$name" "$version" "$source" "$secs" "$state"
  done
  echo "kubernetes $k8s_pin installed in $PULUMI_HOME (the version @pulumi/kubernetes asks for); CLI $cli_says at $bin/pulumi; total $(($(date +%s) - started))s"
} >&2
echo "$bin/pulumi"
