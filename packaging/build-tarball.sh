#!/usr/bin/env bash
# Builds kcdctl-VERSION-linux-ARCH.tar.gz: one folder holding what make install puts under /usr/local (the stripped
# binary in bin/, the man page, completions, systemd units, the example manifest and the documentation in share/
# and lib/) and LICENSE, so that `tar -xzf kcdctl-….tar.gz -C /usr/local --strip-components=1` installs as
# make install does. Reproducible: members sorted by name, every mtime SOURCE_DATE_EPOCH, owner root, modes
# without group or other write, gzip without a name or time stamp.
# Usage: build-tarball.sh VERSION SCRATCH MAKE   (run from the top of the source tree; writes SCRATCH/kcdctl-*.tar.gz)
set -euo pipefail
version=$1 scratch=$2 make=$3
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH: the build date (make sets it)}"
arch=$(dpkg --print-architecture)
name=kcdctl-$version-linux-$arch
out=$scratch/$name.tar.gz
work=$(mktemp -d "$PWD/$scratch/tarball.XXXXXX")
trap 'rm -rf "$work"' EXIT

$make --no-print-directory install DESTDIR="$work/root" PREFIX=/usr/local >/dev/null
mv "$work/root/usr/local" "$work/$name"
install -m 0644 LICENSE "$work/$name/LICENSE"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' \
  --format=gnu -C "$work" -cf - "$name" | gzip -9n >"$out.new"
mv "$out.new" "$out"
echo "tarball: $out ($(du -h "$out" | cut -f1))" >&2
