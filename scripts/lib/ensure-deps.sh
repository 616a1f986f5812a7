#!/usr/bin/env bash
# Installs what a test run needs when it is missing, so `npm test` works on a fresh Debian machine.
# Sourced by scripts/test.sh and scripts/test-vm.sh; each passes the commands it needs.
set -euo pipefail
ensure_deps_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ensure_commands CMD:PACKAGE ... -- installs PACKAGE (Debian) for every CMD not on PATH.
ensure_commands() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  ensure_apt_get update -qq
  ensure_apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# ensure_apt_get ARGS...: apt-get through the VM scripts' apt_get (scripts/vm/lib.sh), which waits, bounded
# by LAB_APT_LOCK_TIMEOUT, for a dpkg or apt lists lock another process holds and names that process: a
# fresh Ubuntu runs apt-daily and unattended-upgrades right after boot. In a subshell, so the rest of
# lib.sh's helpers stay out of the calling script's namespace.
ensure_apt_get() {
  (
    # shellcheck source=scripts/vm/lib.sh
    . "$ensure_deps_dir/../vm/lib.sh"
    apt_get "$@"
  )
}

# ensure_python_module MODULE PACKAGE -- for the system python3 that Debian's packages install into.
ensure_python_module() {
  if ! /usr/bin/python3 -c "import $1" >/dev/null 2>&1; then
    ensure_commands "__none__:$2"
  fi
}

ensure_node_modules() {
  local root=$1
  if [ ! -d "$root/node_modules/@pulumi/pulumi" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    echo "installing npm packages (npm ci)" >&2
    (cd "$root" && npm ci --no-audit --no-fund >&2)
  fi
}
