#!/usr/bin/env bash
# Measures QEMU CPU models against each other under TCG (software emulation, the lab's `lab:domainType
# qemu`), to choose lab:cpuModel's default there. No libvirt and no disk image: QEMU boots a Debian kernel
# with a small initramfs (busybox, this machine's openssl with its libraries, the kernel's crypto
# modules) whose init runs the benchmarks, prints them on the serial console and powers off.
#
# Per model it measures what the lab's guests spend their time on:
#   - the kernel's rfc4106(gcm(aes)) and gcm(aes) (the IPsec transform the lab configures) with the
#     kernel's own tcrypt speed test (crypto/tcrypt.c, mode 211), 1420-byte blocks, encryption;
#   - openssl speed of AES-128-GCM and ChaCha20-Poly1305 (WireGuard's AEAD) on 1420-byte blocks, and
#     SHA-256 (TLS, image digests);
#   - a busybox shell loop (plain integer code, as in the shell and Go programs the guests run);
#   - the kernel's time from start to init.
# The models alternate round by round, so a change in the machine's load reaches every model alike.
#
# Env: MODELS (default "qemu64 max"), ROUNDS (default 2), SECONDS_PER_TEST (default 2),
#      CACHE_DIR (default <repo>/.cache/bench-tcg-cpu), QEMU (default qemu-system-x86_64),
#      TIMEOUT_SECONDS per boot (default 1200).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ensure-deps.sh
. "$root/scripts/lib/ensure-deps.sh"

models=${MODELS:-qemu64 max}
rounds=${ROUNDS:-2}
secs=${SECONDS_PER_TEST:-2}
cache=${CACHE_DIR:-$root/.cache/bench-tcg-cpu}
qemu=${QEMU:-qemu-system-x86_64}
timeout_s=${TIMEOUT_SECONDS:-1200}
log() { echo "bench-tcg-cpu: $*" >&2; }

ensure_commands qemu-system-x86_64:qemu-system-x86 cpio:cpio depmod:kmod modprobe:kmod openssl:openssl

# --- the guest: a Debian kernel and an initramfs --------------------------------------------------------
mkdir -p "$cache"
kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n "$kernel_pkg" ]] || {
  echo "bench-tcg-cpu: apt-cache names no kernel for linux-image-amd64 (run apt-get update)" >&2
  exit 2
}
kver=${kernel_pkg#linux-image-}
pkgdir="$cache/$kernel_pkg"
if [[ ! -f "$pkgdir/boot/vmlinuz-$kver" ]]; then
  log "downloading $kernel_pkg and busybox-static (Debian packages)"
  rm -rf "$pkgdir.tmp" && mkdir -p "$pkgdir.tmp/debs"
  (cd "$pkgdir.tmp/debs" && apt-get download -q "$kernel_pkg" busybox-static >&2)
  for deb in "$pkgdir.tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$pkgdir.tmp"; done
  rm -rf "$pkgdir" && mv "$pkgdir.tmp" "$pkgdir"
fi

initrd="$cache/initrd-$kver.cpio.gz"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
rootfs="$build/rootfs"
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp}
cp "$pkgdir/bin/busybox" "$rootfs/bin/busybox"
# openssl and the libraries it loads, at their own paths.
openssl_bin=$(command -v openssl)
for f in "$openssl_bin" $(ldd "$openssl_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$f")"
  cp -L "$f" "$rootfs$f"
done
# The crypto modules, with the order kmod would load them in; a module the CPU model cannot run
# (aesni-intel without AES-NI) fails to load and the generic code serves instead, as on a lab guest.
mods=(gcm ghash_generic ctr seqiv aesni_intel ghash_clmulni_intel chacha20poly1305 chacha_x86_64 poly1305_x86_64 tcrypt)
mkdir -p "$rootfs/lib/modules/$kver"
cp -r "$pkgdir/lib/modules/$kver/kernel" "$rootfs/lib/modules/$kver/"
cp "$pkgdir/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$rootfs/lib/modules/$kver/"
depmod -b "$rootfs" "$kver"
for m in "${mods[@]}"; do
  modprobe -d "$rootfs" -S "$kver" --show-depends "$m"
done | awk -v root="$rootfs" '$1 == "insmod" && !seen[$2]++ {print substr($2, length(root) + 1)}' >"$rootfs/modules.load"
# Only what the list names stays in the image (the whole tree is 60 MB).
find "$rootfs/lib/modules/$kver/kernel" -name '*.ko*' | while read -r m; do
  grep -qxF "${m#"$rootfs"}" "$rootfs/modules.load" || rm -f "$m"
done
# Debian compresses modules (.ko.xz); busybox insmod loads them through the kernel's own decompressor.
cat >"$rootfs/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "BENCH boot_seconds \$(cut -d' ' -f1 /proc/uptime)"
grep -q ' aes ' /proc/cpuinfo && echo "BENCH cpu_aes yes" || echo "BENCH cpu_aes no"
grep -q ' avx2 ' /proc/cpuinfo && echo "BENCH cpu_avx2 yes" || echo "BENCH cpu_avx2 no"
while read -r m; do insmod "\$m" 2>/dev/null || true; done </modules.load
dmesg -c >/dev/null
insmod /lib/modules/$kver/kernel/crypto/tcrypt.ko* mode=211 sec=$secs 2>/dev/null || true
dmesg | awk '
  /testing speed of / { s = \$0; sub(/.*testing speed of /, "", s); split(s, w, " "); alg = w[1]; drv = w[2]; dir = w[3] }
  /byte blocks\): [0-9]+ operations in/ && dir == "encryption" && (alg == "rfc4106(gcm(aes))" || alg == "gcm(aes)") {
    b = \$0; sub(/.*key, /, "", b); sub(/ byte blocks.*/, "", b)
    n = \$0; sub(/.*seconds \\(/, "", n); sub(/ bytes.*/, "", n)
    if (b == 1420 && alg == "rfc4106(gcm(aes))" && /\\(160 bit key,/) print "BENCH kernel_rfc4106_1420B_MBps", n / $secs / 1e6, drv
  }
'
# openssl's table ends in "TYPE  N.NNk" (1000s of bytes per second); its other lines go to the log as RAW.
for alg in "-evp aes-128-gcm" "-evp chacha20-poly1305" sha256; do
  openssl speed -elapsed -seconds $secs -bytes 1420 \$alg 2>&1 | awk -v a="\${alg#-evp }" '
    NF == 2 && \$2 ~ /^[0-9.]+k\$/ { sub(/k\$/, "", \$2); print "BENCH openssl_" a "_MBps", \$2 / 1000; next }
    { print "RAW " a ": " \$0 }'
done
t0=\$(cut -d' ' -f1 /proc/uptime)
i=0; while [ \$i -lt 100000 ]; do i=\$((i + 1)); done
t1=\$(cut -d' ' -f1 /proc/uptime)
echo "BENCH shell_loop_seconds \$(echo "\$t0 \$t1" | awk '{print \$2 - \$1}')"
echo "BENCH done"
poweroff -f
INIT
chmod 0755 "$rootfs/init"
(cd "$rootfs" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"
log "kernel $kver, initramfs $(du -h "$initrd" | cut -f1), modules: $(wc -l <"$rootfs/modules.load")"

# --- the runs -------------------------------------------------------------------------------------------
results="$cache/results-$(date +%Y%m%d-%H%M%S).txt"
for ((r = 1; r <= rounds; r++)); do
  for model in $models; do
    log "round $r/$rounds: -cpu $model"
    start=$SECONDS
    out=$(timeout "$timeout_s" "$qemu" -accel tcg -cpu "$model" -m 512 -smp 1 -nographic -no-reboot \
      -kernel "$pkgdir/boot/vmlinuz-$kver" -initrd "$initrd" -append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 || true)
    wall=$((SECONDS - start))
    printf '%s\n' "$out" >"$cache/serial-$model-$r.log"
    grep -q '^BENCH done' <<<"${out//$'\r'/}" || {
      echo "bench-tcg-cpu: -cpu $model did not finish within ${timeout_s}s; last output:" >&2
      tail -n 20 <<<"$out" >&2
      exit 1
    }
    {
      echo "$model $r wall_seconds $wall"
      grep '^BENCH ' <<<"${out//$'\r'/}" | sed "s/^BENCH /$model $r /"
    } >>"$results"
  done
done

# One row per measure, the median of the rounds per model (higher is faster, except *_seconds).
awk -v models="$models" '
  $3 != "done" && $3 !~ /^cpu_/ { key = $1 SUBSEP $3; n[key]++; v[key, n[key]] = $4; seen[$3] = 1; if ($5 != "") note[key] = $5 }
  $3 ~ /^cpu_/ { flag[$1] = flag[$1] " " $3 "=" $4 }
  function median(key,    c, i, j, t, a) {
    c = n[key]; for (i = 1; i <= c; i++) a[i] = v[key, i] + 0
    for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
  }
  END {
    m = split(models, ms, " ")
    printf "%-34s", "measure (median of rounds)"; for (i = 1; i <= m; i++) printf " %26s", ms[i]; print ""
    for (k in seen) {
      printf "%-34s", k
      for (i = 1; i <= m; i++) { key = ms[i] SUBSEP k; printf " %26s", (key in n) ? sprintf("%.4g%s", median(key), (key in note) ? " " note[key] : "") : "-" }
      print ""
    }
    for (i = 1; i <= m; i++) print "cpu " ms[i] ":" flag[ms[i]]
  }' "$results"
log "raw results: $results"
