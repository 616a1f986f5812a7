#!/usr/bin/env bash
# Runs on the machine running Pulumi, as the create AND update command of the ipsec stack's key-id
# record (components/encryption-records.ts). On update @pulumi/command puts the previous run's stdout in
# PULUMI_COMMAND_STDOUT: that is the key id the cluster's Secret holds now. The record says whether this
# `up` is a key rotation, and refuses one that Cilium's IPsec documentation ("Key Rotation") does not
# describe: the new key id must be the next one (15 wraps to 1) and the key length must stay the same.
# A first `up` (no record yet) is not a rotation. An update with the same key id keeps the record's last
# rotation (the program keeps that rotation's steps and verdict), and starts its window again when RETRY
# names the attempt whose window never finished.
# Env: KEY_ID (1..15), KEY_BYTES (AEAD key + salt bytes, 20 for rfc4106(gcm(aes)) with a 128-bit key);
#      PENDING_FILE (where a started window is noted, "rotation=FROM:TO" and "attempt=N" lines, until the
#      program has fetched its pcap and removes the note); RETRY (optional: the attempt of the unfinished
#      window, read from that note); PULUMI_COMMAND_STDOUT (set by @pulumi/command on update).
# Output: key_id=N, key_bytes=B, rotation=none | FROM:TO, and with a rotation attempt=N.
set -euo pipefail
# shellcheck source=scripts/host/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need KEY_ID KEY_BYTES PENDING_FILE
[[ $KEY_ID =~ ^([1-9]|1[0-5])$ ]] || die "KEY_ID must be 1..15, got '$KEY_ID'"
[[ $KEY_BYTES =~ ^[0-9]+$ ]] || die "KEY_BYTES must be a number of bytes, got '$KEY_BYTES'"
retry=${RETRY:-}
[[ -z $retry || $retry =~ ^[0-9]+$ ]] || die "RETRY must be an attempt number, got '$retry'"
previous() { sed -n "s/^$1=//p" <<<"${PULUMI_COMMAND_STDOUT:-}" | tail -n1; }
prev_id=$(previous key_id)
prev_bytes=$(previous key_bytes)
prev_rotation=$(previous rotation)
prev_attempt=$(previous attempt)

rotation=none
attempt=
started=
if [ -n "$prev_id" ] && [ "$prev_id" != "$KEY_ID" ]; then
  next=$((prev_id == 15 ? 1 : prev_id + 1))
  if [ "$KEY_ID" != "$next" ]; then
    die "lab:ipsecKeyId $prev_id -> $KEY_ID: a Cilium key rotation takes the next key id, $next (15 wraps to 1; Cilium's IPsec documentation, Key Rotation); nothing was changed. Set lab:ipsecKeyId $next"
  fi
  if [ -n "$prev_bytes" ] && [ "$prev_bytes" != "$KEY_BYTES" ]; then
    die "lab:ipsecKeyId $prev_id -> $KEY_ID: the key length changes from $prev_bytes to $KEY_BYTES bytes; Cilium's key rotation keeps the same length; nothing was changed"
  fi
  rotation="$prev_id:$KEY_ID"
  attempt=1
  started=1
elif [ -n "$prev_id" ] && [ -n "$prev_rotation" ] && [ "$prev_rotation" != none ]; then
  rotation=$prev_rotation
  attempt=${prev_attempt:-1}
  if [ "$retry" = "$attempt" ]; then
    attempt=$((attempt + 1))
    started=1
  fi
fi
if [ -n "$started" ]; then
  mkdir -p "$(dirname "$PENDING_FILE")"
  printf 'rotation=%s\nattempt=%s\n' "$rotation" "$attempt" >"$PENDING_FILE"
fi
echo "key_id=$KEY_ID"
echo "key_bytes=$KEY_BYTES"
echo "rotation=$rotation"
if [ -n "$attempt" ]; then echo "attempt=$attempt"; fi
