#!/usr/bin/env bash
# Builds the Pulumi engine from the Go module proxy for tests on machines that cannot download the
# official CLI: the CLI at the version of the Node SDK this project pins, the Node.js language host and
# the resource providers the VM half of the lab uses. Users download the official CLI; this is for tests.
#
# Output: $PULUMI_ENGINE_CACHE/<recipe hash>/bin (default ~/.cache/cilium-ipsec-lab/engine), outside the
# clone so that a fresh clone on the same machine reuses it. Each step prints its time.
#
# Why a wrapper module: pkg/v3's go.mod replaces sdk/v3 by a local path and atotto/clipboard by a fork,
# and `go install mod@version` refuses modules with replace directives. A module of our own that
# requires pkg/v3 and sdk/v3 at the same version, with the fork's replace copied, builds cmd/pulumi.
#
# The language host (sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the provider modules have no tags of
# their own, so they are asked for by the pseudo-versions of their release commits below. Exit status:
# 0 when everything was built, 3 when a piece is missing (each is printed with the proxy's answer), else 1.
set -euo pipefail

PULUMI_VERSION=3.248.0
# Commit of the v3.248.0 tag (2026-06-24T12:07:34Z) and of pulumi-command v1.2.1 (2026-03-03T23:59:22Z).
LANGUAGE_NODEJS=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.0.0-20260624120734-a88168d865b7
PROVIDER_COMMAND=github.com/pulumi/pulumi-command/provider@v0.0.0-20260303235922-7f3eb6f3b77c
CLIPBOARD_FORK=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e

recipe_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
cache=${PULUMI_ENGINE_CACHE:-$HOME/.cache/cilium-ipsec-lab/engine}/$recipe_hash
mkdir -p "$cache/bin" "$cache/src"
step_start=0
step() { step_start=$(date +%s); echo "[engine] $*" >&2; }
done_step() { echo "[engine]   done in $(( $(date +%s) - step_start ))s" >&2; }

command -v go >/dev/null || { echo "engine: go is not installed" >&2; exit 1; }
export GOFLAGS=-mod=mod PULUMI_SKIP_UPDATE_CHECK=true

missing=()
# fetch MODULE@VERSION: downloads one module; a proxy refusal is recorded, not fatal, so the rest still builds.
fetch() {
  local out
  if out=$(cd "$cache/src" && go mod download -json "$1" 2>&1); then return 0; fi
  missing+=("$1: refused by the Go module proxy: $(printf '%s' "$out" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | head -n 1)")
  return 1
}

if [ -x "$cache/bin/pulumi" ]; then
  echo "[engine] CLI cached: $cache/bin/pulumi" >&2
else
  step "CLI v$PULUMI_VERSION: wrapper module and downloads"
  cd "$cache/src"
  [ -f go.mod ] || go mod init lab-engine >/dev/null 2>&1
  go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
  go mod edit -replace "$CLIPBOARD_FORK"
  done_step
  step "CLI v$PULUMI_VERSION: build (about 20 minutes of CPU on 2 cores)"
  go build -o "$cache/bin/pulumi" -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  done_step
fi

step "Node.js language host: $LANGUAGE_NODEJS"
fetch "$LANGUAGE_NODEJS" && missing+=("$LANGUAGE_NODEJS: downloaded, but its build step is not written yet")
done_step
step "command provider: $PROVIDER_COMMAND"
fetch "$PROVIDER_COMMAND" && missing+=("$PROVIDER_COMMAND: downloaded, but its build step is not written yet")
done_step

"$cache/bin/pulumi" version
if [ ${#missing[@]} -gt 0 ]; then
  printf 'engine: not built:\n' >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 3
fi
