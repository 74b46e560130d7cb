#!/usr/bin/env bash
# Stamps the build: writes Sources/KCDCore/Version/BuildStamp.generated.swift (ignored by git), which tells
# BuildInfo which kcdctl this is (kcdctl --version, plan documents, audit records; docs/compatibility.md).
# Usage: stamp.sh [VERSION]      (run from the top of the source tree; make runs it before every build)
#   version  VERSION when given (make release, make deb, make install: the release's x.y.z); else, in a git work
#            tree, `git describe --tags --always --dirty --match 'v[0-9]*'` without its v (0.2.0, 0.2.0-3-g1a2b3c4,
#            0.2.0-3-g1a2b3c4-dirty), or with no such tag the unstamped version and the commit (0.2.0-dev+g1a2b3c4)
#   commit   $COMMIT when set (make release: the tree it builds has no .git), else git's HEAD, -dirty when
#            tracked files differ from it; else unknown
#   date     $SOURCE_DATE_EPOCH when set (the commit's time: the same commit gives the same binary), else the
#            commit's time; as ISO 8601 UTC
# The file is rewritten only when its content changes: a build with nothing new compiles nothing.
set -euo pipefail
version=${1:-}
out=Sources/KCDCore/Version/BuildStamp.generated.swift
info=Sources/KCDCore/Version/BuildInfo.swift
die() { echo "stamp: $*" >&2; exit 1; }

# Semantic versioning 2.0.0, as SemanticVersion parses it; a commit; what a Swift string literal may hold as is.
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
ingit=false
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ingit=true

commit=${COMMIT:-}
if [ -z "$commit" ] && $ingit; then
  commit=$(git rev-parse HEAD)
  git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
fi
[ -z "$commit" ] || [[ "$commit" =~ ^[0-9a-f]{40}(-dirty)?$ ]] || die "'$commit' is not a commit (40 hex digits)"

epoch=${SOURCE_DATE_EPOCH:-}
if [ -z "$epoch" ] && $ingit; then epoch=$(git log -1 --format=%ct); fi
date=
if [ -n "$epoch" ]; then
  [[ "$epoch" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH '$epoch' is not a number of seconds"
  date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
fi

if [ -z "$version" ]; then
  unstamped=$(sed -n 's/.*static let unstamped = BuildInfo(version: "\([^"]*\)".*/\1/p' "$info")
  [ -n "$unstamped" ] || die "no unstamped version in $info"
  if $ingit; then
    described=$(git describe --tags --always --dirty --match 'v[0-9]*')
    case $described in
      v[0-9]*) version=${described#v} ;;
      *) version="$unstamped+g$described" ;;
    esac
  else
    version=$unstamped
  fi
fi
[[ "$version" =~ $semver ]] || die "'$version' is not a semantic version (x.y.z, x.y.z-pre, x.y.z+build)"

literal() { if [ -n "$1" ]; then printf '"%s"' "$1"; else printf nil; fi; }
stamp=$(
  cat <<SWIFT
// Written by packaging/stamp.sh (make); not in git. Without this file a build is BuildInfo.unstamped.
extension BuildStamp {
    static var stamp: BuildInfo? {
        BuildInfo(
            version: $(literal "$version"),
            commit: $(literal "$commit"),
            date: $(literal "$date")
        )
    }
}
SWIFT
)
if [ "$(cat "$out" 2>/dev/null)" != "$stamp" ]; then
  printf '%s\n' "$stamp" >"$out.new"
  mv "$out.new" "$out"
fi
echo "stamp: kcdctl $version (commit ${commit:-unknown}, built ${date:-unknown})" >&2
