#!/usr/bin/env bash
# Exit 0 when KVM can run a guest on this machine, 1 otherwise. /dev/kvm may exist and open yet fail on
# the first vCPU run (nested virtualisation without some MSRs: "failed to set MSR ... Assertion");
# so run an empty machine (firmware only, no disk) under KVM for a few seconds: still running = usable.
set -uo pipefail
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo "kvm-probe: /dev/kvm is not usable" >&2; exit 1; fi
out=$(timeout 6 qemu-system-x86_64 -accel kvm -cpu host -m 64 -nodefaults -display none -no-reboot 2>&1)
rc=$?
if [ "$rc" -eq 124 ]; then
  echo "kvm-probe: a KVM guest runs" >&2
  exit 0
fi
echo "kvm-probe: KVM cannot run guests here (qemu exit $rc: $(echo "$out" | head -n 2 | tr '\n' ' '))" >&2
exit 1
