#!/usr/bin/env bash
# The server image's own steps, as the official nginx image does them: logs to the container's
# stdout/stderr, and no default site (Debian's sites-enabled/default would answer port 80 before the
# site the lab mounts in /etc/nginx/conf.d).
# Usage: bash nginx.sh ROOTFS.
set -euo pipefail
root=${1:?rootfs directory}
rm -f "$root/etc/nginx/sites-enabled/default"
ln -sf /dev/stdout "$root/var/log/nginx/access.log"
ln -sf /dev/stderr "$root/var/log/nginx/error.log"
grep -q 'include /etc/nginx/conf.d/\*.conf;' "$root/etc/nginx/nginx.conf" || {
  echo "nginx hook: /etc/nginx/nginx.conf does not include /etc/nginx/conf.d/*.conf" >&2
  exit 1
}
