#!/usr/bin/env bash
# Builds kcdctl_VERSION_ARCH.deb with Debian's own tools, without debhelper:
#   make install DESTDIR=… PREFIX=/usr into debian/kcdctl of a build folder, as dh_auto_install would;
#   dpkg-shlibdeps for the shared libraries' Depends, dpkg-gencontrol for DEBIAN/control (Installed-Size too),
#   dpkg-deb --root-owner-group to build it (no fakeroot needed).
# Usage: build-deb.sh VERSION SCRATCH MAKE   (run from the top of the source tree; writes SCRATCH/kcdctl_*.deb)
set -euo pipefail
version=$1 scratch=$2 make=$3
pkg=packaging/debian
say() { echo "deb: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps dpkg-gencontrol dpkg-parsechangelog; do
  command -v "$tool" >/dev/null || {
    say "installing dpkg-dev"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev >/dev/null
    break
  }
done

changelog=$(dpkg-parsechangelog -l "$pkg/changelog" -SVersion)
[ "$changelog" = "$version" ] || die "packaging/debian/changelog's latest entry is $changelog, kcdctl is $version: add an entry (dch -v $version)"

arch=$(dpkg --print-architecture)
deb="$scratch/kcdctl_${version}_${arch}.deb"
work=$(mktemp -d "$scratch/deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/debian/kcdctl

$make --no-print-directory install DESTDIR="$PWD/$root" PREFIX=/usr UNITDIR=/lib/systemd/system SYSCONFDIR=/etc >/dev/null

# Debian's layout: man pages and changelogs compressed with gzip -9n, the copyright file, the state directory.
gzip -9n "$root/usr/share/man/man1/kcdctl.1"
install -m 0644 "$pkg/copyright" "$root/usr/share/doc/kcdctl/copyright"
gzip -9n -c "$pkg/changelog" >"$root/usr/share/doc/kcdctl/changelog.gz"
install -d -m 0755 "$root/var/lib/kcdctl"
install -d -m 0755 "$root/usr/share/lintian/overrides"
install -m 0644 "$pkg/lintian-overrides" "$root/usr/share/lintian/overrides/kcdctl"
chmod 0750 "$root/etc/kcdctl"

install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "$pkg/$script" "$root/DEBIAN/$script"; done

# dpkg-shlibdeps and dpkg-gencontrol work in a source tree: debian/control and debian/changelog.
cp "$pkg/control" "$pkg/changelog" "$work/debian/"
(
  cd "$work"
  dpkg-shlibdeps -Tdebian/substvars -e debian/kcdctl/usr/bin/kcdctl 2> >(grep -v 'binaries to analyze should already be' >&2)
  dpkg-gencontrol -pkcdctl -Pdebian/kcdctl -Tdebian/substvars -fdebian/files
)
# DEBIAN/md5sums, as dh_md5sums makes it (debsums, dpkg --verify).
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
# Every file and directory root's, modes as installed; a reproducible mtime for every member.
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.new" >/dev/null
mv "$deb.new" "$deb"

say "$deb ($(du -h "$deb" | cut -f1)); $(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')"
