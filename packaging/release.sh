#!/usr/bin/env bash
# make release VERSION=x.y.z [RELEASE_DIR=…]: the release artifacts of the commit checked out.
#   1. Checks: VERSION is x.y.z; the work tree has no uncommitted change (a release is a commit, nothing else);
#      packaging/debian/changelog's latest entry is VERSION (a warning when it is still UNRELEASED: a rehearsal);
#      a tag vVERSION, if there is one, is this commit.
#   2. Exports the commit with git archive into RELEASE_DIR/build/src (with the work tree's Package.resolved, when
#      there is one: the dependency versions the tests ran with) and builds there from scratch, outside git:
#      `make dist` with VERSION, COMMIT and SOURCE_DATE_EPOCH (the commit's time) given.
#   3. RELEASE_DIR: kcdctl_VERSION_ARCH.deb, kcdctl-VERSION-linux-ARCH.tar.gz and SHA256SUMS (sha256sum's format:
#      `sha256sum -c SHA256SUMS` checks them). The build folder is removed (KEEP_BUILD=1 keeps it).
# The same commit gives the same bytes, in any folder: docs/compatibility.md.
# Usage: release.sh VERSION RELEASE_DIR MAKE   (run from the top of the git work tree)
set -euo pipefail
version=$1 dir=$2 make=$3
say() { echo "release: $*" >&2; }
die() { say "$*"; exit 1; }
umask 022

[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
  die "VERSION '$version' is not x.y.z: make release VERSION=0.2.0"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "not in a git work tree: a release is built from a commit"
if ! git diff --quiet HEAD --; then
  die "uncommitted changes ($(git diff --name-only HEAD -- | head -3 | tr '\n' ' ')…): a release is built from a commit only; commit or stash them"
fi
commit=$(git rev-parse HEAD)
epoch=$(git log -1 --format=%ct "$commit")
changelog=$(git show "$commit:packaging/debian/changelog")
entry=$(dpkg-parsechangelog -l - -SVersion <<<"$changelog")
[ "$entry" = "$version" ] ||
  die "packaging/debian/changelog's latest entry is $entry, not $version: add one (dch -v $version), and CHANGELOG.md's section, and commit them"
if [ "$(dpkg-parsechangelog -l - -SDistribution <<<"$changelog")" = UNRELEASED ]; then
  say "warning: the changelog's $version entry is UNRELEASED: a rehearsal (dch -r, commit and tag v$version to release)"
fi
if tagged=$(git rev-parse -q --verify "refs/tags/v$version^{commit}"); then
  [ "$tagged" = "$commit" ] || die "tag v$version is commit $tagged, not HEAD ($commit): check out the tag"
else
  say "no tag v$version yet: tag this commit (git tag -s v$version $commit) when it is the release"
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
build=$dir/build
rm -rf "$build"
mkdir -p "$build/src"
git -c tar.umask=0022 archive --format=tar "$commit" | tar -x --no-same-owner -C "$build/src"
if [ -f Package.resolved ]; then cp Package.resolved "$build/src/"; fi
arch=$(dpkg --print-architecture)
say "building $version (commit $commit, SOURCE_DATE_EPOCH=$epoch) in $build/src"
# Outside git (GIT_CEILING_DIRECTORIES): the exported tree must not describe the work tree around it.
(
  cd "$build/src"
  GIT_CEILING_DIRECTORIES=$build "$make" --no-print-directory dist VERSION="$version" COMMIT="$commit" \
    SOURCE_DATE_EPOCH="$epoch" RELEASE_SCRATCH=.build-release
)
artifacts=("kcdctl_${version}_${arch}.deb" "kcdctl-${version}-linux-${arch}.tar.gz")
for artifact in "${artifacts[@]}"; do
  cp "$build/src/.build-release/$artifact" "$dir/$artifact.new"
  mv "$dir/$artifact.new" "$dir/$artifact"
done
(cd "$dir" && sha256sum "${artifacts[@]}" >SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
[ "${KEEP_BUILD:-}" = 1 ] || rm -rf "$build"
say "kcdctl $version in $dir:"
cat "$dir/SHA256SUMS"
