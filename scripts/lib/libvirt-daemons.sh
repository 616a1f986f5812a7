#!/usr/bin/env bash
# libvirt's daemons on a machine without systemd, for the suites that run VMs (scripts/test-vm.sh,
# scripts/test-engine.sh; root). Sourced. `libvirt_daemons_start` starts virtlogd and libvirtd when they
# are not running, waits until libvirtd answers on qemu:///system and exports LIBVIRT_DEFAULT_URI and
# LIBVIRTD_STARTED_HERE (1 when libvirtd was started here). `libvirt_daemons_stop` (for an EXIT trap)
# stops only what was started here and no domain still runs on, and gives the host its IP forwarding
# setting back (libvirt turns it on for NAT networks).
set -euo pipefail

libvirt_started=()
libvirt_ip_forward_before=$(cat /proc/sys/net/ipv4/ip_forward)

# alive PID: the process exists and is not a zombie (a daemon whose parent never reaped it is dead).
alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# running DAEMON: its pid file names a live process, or one runs under that name.
running() {
  local pid
  pid=$(cat "/run/$1.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && alive "$pid"; then return 0; fi
  for pid in $(pgrep -x "$1" 2>/dev/null); do alive "$pid" && return 0; done
  return 1
}

# /dev/kvm that the QEMU user cannot open (a nested or PVM host, where QEMU could not use it anyway):
# libvirt probed QEMU with KVM but finds it unusable when it checks its cache, so it probes QEMU again on
# every call (libvirt 9.0 src/qemu/qemu_capabilities.c virQEMUCapsIsValid: "KVM was enabled when probing
# ..., but it is not available now"). Measured here under load: 40 s for `virsh create` of a tiny domain,
# 2 s with /dev/kvm open to that user, and about 3 minutes for each lab VM's define and start. The lab
# suite calls this before libvirt_daemons_start: /dev/kvm is opened to others while it runs, and its mode
# is given back at the end. Domains of type qemu still run under TCG. The VM suite does not: with its three
# domains starting at once instead of minutes apart, its warned worker missed its SSH wait in CI.
kvm_mode_before=
open_kvm_to_qemu_user() {
  [ -c /dev/kvm ] || return 0
  id libvirt-qemu >/dev/null 2>&1 || return 0
  runuser -u libvirt-qemu -- test -r /dev/kvm -a -w /dev/kvm 2>/dev/null && return 0
  kvm_mode_before=$(stat -c %a /dev/kvm)
  chmod o+rw /dev/kvm
  echo "opened /dev/kvm to the QEMU user while the suite runs (mode $kvm_mode_before -> $(stat -c %a /dev/kvm)): libvirt re-probes QEMU on every call otherwise" >&2
}

libvirt_daemons_start() {
  local d ok=
  export LIBVIRTD_STARTED_HERE=0
  for d in virtlogd libvirtd; do
    if ! running "$d"; then
      echo "starting $d" >&2
      "$d" -d
      libvirt_started+=("$d")
      [ "$d" = libvirtd ] && LIBVIRTD_STARTED_HERE=1
    fi
  done
  export LIBVIRT_DEFAULT_URI=qemu:///system
  for _ in $(seq 1 60); do
    if virsh -q uri >/dev/null 2>&1; then
      ok=1
      break
    fi
    sleep 0.5
  done
  [ -n "$ok" ] || {
    echo "libvirtd does not answer on qemu:///system" >&2
    return 1
  }
}

# shellcheck disable=SC2317 # called by the EXIT trap
libvirt_daemons_stop() {
  local d pid others kept=
  # libvirtd first: virtlogd stays while the libvirtd that uses it does.
  for d in libvirtd virtlogd; do
    [[ " ${libvirt_started[*]} " == *" $d "* ]] || continue
    # The pid file, not the pid at start: a suite may have restarted the daemon it started.
    pid=$(cat "/run/$d.pid" 2>/dev/null || true)
    if [ -z "$pid" ] || ! alive "$pid"; then continue; fi
    # Someone else's VMs may have come to use the daemon meanwhile: leave it to them.
    if [ "$d" = libvirtd ] && others=$(virsh -q -c qemu:///system list --name 2>/dev/null) && [ -n "$others" ]; then
      echo "leaving libvirtd (pid $pid) running: domains still run on it: $(echo "$others" | tr '\n' ' ')" >&2
      kept=1
      continue
    fi
    [ "$d" = virtlogd ] && [ -n "$kept" ] && continue
    echo "stopping $d (pid $pid, started by this suite)" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive "$pid" || break
      sleep 0.2
    done
  done
  echo "$libvirt_ip_forward_before" >/proc/sys/net/ipv4/ip_forward 2>/dev/null || true
  if [ -n "$kvm_mode_before" ]; then chmod "$kvm_mode_before" /dev/kvm 2>/dev/null || true; fi
}
