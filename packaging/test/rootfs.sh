#!/usr/bin/env bash
# Makes (once) and caches a minimal Debian root for `make package-test`: debootstrap --variant=minbase,
# plus man-db and bash-completion (to read the man page and complete as an admin would), nothing else: the
# package's own Depends are left for apt to resolve in each test.
#
# Usage: rootfs.sh CACHE_DIR
#   env SUITE (bookworm), MIRROR (the first Debian mirror in /etc/apt/sources.list*, else deb.debian.org)
# Writes CACHE_DIR/SUITE-minbase.tar and its key (what it was made from); a run whose key matches reuses it.
set -euo pipefail
cache=${1:?usage: rootfs.sh CACHE_DIR}
SUITE=${SUITE:-bookworm}
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(grep -rhoE '(URIs:[[:space:]]*|^deb[[:space:]]+)https?://[^[:space:]]+/debian/?([[:space:]]|$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE 'https?://[^[:space:]]+' | head -1 || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
MIRROR=${MIRROR%/}
EXTRA=man-db,bash-completion
tar=$cache/$SUITE-minbase.tar
key="suite=$SUITE mirror=$MIRROR include=$EXTRA v1"

say() { echo "rootfs: $*" >&2; }

if [ -f "$tar" ] && [ "$(cat "$tar.key" 2>/dev/null)" = "$key" ]; then
  say "cached: $tar"
  exit 0
fi

command -v debootstrap >/dev/null || {
  say "installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
cleanup() {
  set +e
  # debootstrap mounts /proc and /sys in the root while it works; an interrupted run may leave them.
  grep -oE "[[:space:]]$work/[^[:space:]]+" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  if grep -q "[[:space:]]$work/" /proc/mounts; then
    say "left $work: something is still mounted in it"
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT

say "debootstrap --variant=minbase $SUITE from $MIRROR (takes minutes, once)"
start=$(date +%s)
debootstrap --variant=minbase --include="$EXTRA" "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -30 "$work/debootstrap.log" >&2
  tail -30 "$work/root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
  exit 1
}

# The suites a real host has: the release, its updates and the security archive.
security=${MIRROR%/debian}/debian-security
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
  "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$security" "$SUITE" >"$work/root/etc/apt/sources.list"
# No downloaded packages and no index files in the cache: each test asks the mirror afresh.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/debootstrap"

tar -C "$work/root" --numeric-owner -cf "$tar.new" .
mv "$tar.new" "$tar"
printf '%s\n' "$key" >"$tar.key"
say "cached $tar ($(du -h "$tar" | cut -f1)) in $(( $(date +%s) - start )) s"
