#!/usr/bin/env bash
# The test command: installs what the tests need when missing, type-checks, lints, then runs every test
# except the VM suite (scripts/test-vm.sh). Extra arguments go to mocha (e.g. --grep verifier).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"

ensure_commands tshark:tshark tcpdump:tcpdump shellcheck:shellcheck shfmt:shfmt ip:iproute2 ping:iputils-ping curl:curl \
  virsh:libvirt-clients virt-xml-validate:libvirt-clients xmllint:libxml2-utils qemu-img:qemu-utils \
  genisoimage:genisoimage isoinfo:genisoimage nft:nftables iptables:iptables ssh:openssh-client openssl:openssl python3:python3 nginx:nginx sysctl:procps \
  chromium:chromium apt-get:apt apt-cache:apt dpkg-scanpackages:dpkg-dev apt-ftparchive:apt-utils
ensure_python_module scapy python3-scapy
ensure_python_module cryptography python3-cryptography
ensure_node_modules "$root"

cd "$root"
echo "type check (tsc --noEmit)" >&2
npx tsc --noEmit -p .
echo "lint (eslint, eslint.config.mjs)" >&2
npx eslint --max-warnings 0 .
exec npx mocha "$@"
