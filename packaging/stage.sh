#!/usr/bin/env bash
# Prepares what make install and make deb install, from the release binary, in STAGE:
#   kcdctl            stripped (as dh_strip does), the same bytes in any build folder, checked to need no Swift
#                     toolchain at run time
#   kcdctl.1          the man page: swift-argument-parser's generate-manual on the binary, plus
#                     packaging/man/kcdctl.1.extra (ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES, SEE ALSO)
#   completion.{bash,zsh,fish}   kcdctl --generate-completion-script
# Usage: stage.sh RELEASE_BIN STAGE "SWIFT BUILD COMMAND" GENERATE_MANUAL VERSION
set -euo pipefail
bin=$1 stage=$2 build=$3 generate_manual=$4 version=$5
here=$(dirname "$0")
say() { echo "stage: $*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$stage"
[ -x "$bin" ] || die "no release binary at $bin (make release)"

# One version: the binary's (the second word of `kcdctl 0.2.0 (commit …, built …)`) must be the one the Makefile
# stamped.
line=$("$bin" --version)
got=$(cut -d' ' -f2 <<<"$line")
[ "$got" = "$version" ] || die "kcdctl --version says '$line', the build is $version"

# Reproducible wherever it is built: the compiler puts into each Swift object, in .swift_modhash, an MD5 of its
# LLVM module (for incremental builds) that covers the source files' absolute paths, and the linker's build ID
# hashes those bytes too. Nothing reads the section at run time: it is zeroed, and the build ID becomes the SHA-1
# of the stripped binary with the ID itself zeroed (as debugedit --build-id recomputes it), so the same sources
# give the same bytes in any folder.
section() { readelf -S -W "$1" | sed -n 's/^ *\[ *[0-9]*\] //p' | awk -v name="$2" '$1 == name { print $4, $5 }'; }
zero() { dd if=/dev/zero of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none; }
reproducible() {
  local file=$1 off size desc len id
  if read -r off size < <(section "$file" .swift_modhash) && [ -n "$off" ]; then zero "$file" $((16#$off)) $((16#$size)); fi
  read -r off size < <(section "$file" .note.gnu.build-id) && [ -n "$off" ] || die "the binary has no build ID note"
  desc=$((16#$off + 16)) len=$((16#$size - 16)) # namesz, descsz, type, "GNU\0", then the ID
  zero "$file" "$desc" "$len"
  id=$(sha1sum "$file" | cut -c1-$((2 * len)))
  printf "$(sed 's/../\\x&/g' <<<"$id")" | dd of="$file" bs=1 seek="$desc" conv=notrunc status=none
  [[ "$(readelf -n "$file")" == *"Build ID: $id"* ]] || die "the build ID could not be set"
}
if [ ! -e "$stage/kcdctl" ] || [ "$bin" -nt "$stage/kcdctl" ]; then
  strip --remove-section=.comment --remove-section=.note -o "$stage/kcdctl.new" "$bin"
  reproducible "$stage/kcdctl.new"
  mv "$stage/kcdctl.new" "$stage/kcdctl"
fi
# No run-time dependency on the toolchain: no RUNPATH/RPATH, no Swift runtime library among the NEEDED ones.
dyn=$(readelf -d "$stage/kcdctl")
if grep -qE '\((RUNPATH|RPATH)\)' <<<"$dyn"; then die "the binary has a RUNPATH: $(grep -E 'RUNPATH|RPATH' <<<"$dyn")"; fi
if grep -qE 'Shared library: \[lib(swift|Foundation|dispatch|BlocksRuntime|_Foundation)' <<<"$dyn"; then
  die "the binary needs the Swift runtime: $(grep -E 'Shared library' <<<"$dyn" | tr -s ' ')"
fi

# The man page. generate-manual is built once in the release scratch folder (it is a small executable of
# swift-argument-parser, the one its generate-manual plugin runs).
if [ ! -x "$generate_manual" ]; then
  say "building swift-argument-parser's generate-manual"
  $build --product generate-manual >&2
fi
[ -x "$generate_manual" ] || die "no generate-manual at $generate_manual"
man=$(mktemp -d "$stage/man.XXXXXX")
trap 'rm -rf "$man"' EXIT
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
"$generate_manual" "$stage/kcdctl" --output-directory "$man" --date "$date" --section 1 \
  --authors "kcdctl maintainers"
[ -s "$man/kcdctl.1" ] || die "generate-manual wrote no kcdctl.1"
# The merge: DESCRIPTION starts with packaging/man/kcdctl.1.description where generate-manual printed the
# exit-status table of --help (its "Exit statuses:" lines), that table becomes the EXIT STATUS list, and the
# hand-written sections (packaging/man/kcdctl.1.extra) go before AUTHORS, the last section.
awk -v extra="$here/man/kcdctl.1.extra" -v description="$here/man/kcdctl.1.description" '
  function copy(file,   line) {
    while ((getline line < file) > 0) {
      if (line ~ /^\.\\" @EXIT-STATUS@/) {
        print ".Bl -tag -width Ds"
        for (i = 1; i <= n; i++) { print ".It " code[i]; print text[i] }
        print ".El"
      } else if (line !~ /^\.\\"/) print line
    }
  }
  # generate-manual'"'"'s own EXIT STATUS (".Ex -std": 0 on success, >0 on error) gives way to the real one.
  /^\.Sh "?EXIT STATUS"?$/ { skip = 1; next }
  skip && /^\.Sh / { skip = 0 }
  skip { next }
  /^\.Sh DESCRIPTION/ { indesc = 1; print; next }
  /^\.Sh / { indesc = 0 }
  indesc && /^Exit statuses:/ { inexit = 1; copy(description); next }
  inexit && /^  [0-9]+  / { n++; code[n] = $1; t = $0; sub(/^  [0-9]+  /, "", t); text[n] = t; next }
  { inexit = 0 }
  # A blank line in a command'"'"'s discussion (a second paragraph) is a paragraph break, not an empty input line.
  /^$/ { print ".Pp"; next }
  /^\.Sh AUTHORS/ && !done { copy(extra); done = 1 }
  { print }
  END { if (!done) copy(extra); if (n == 0) exit 3 }
' "$man/kcdctl.1" >"$stage/kcdctl.1" || die "the man page: no exit-status table in what generate-manual wrote"

for shell in bash zsh fish; do
  # bash-completion sources its files: no #! line (lintian: bash-completion-with-hashbang).
  "$stage/kcdctl" --generate-completion-script "$shell" | sed '1{/^#!/d}' >"$stage/completion.$shell"
  [ -s "$stage/completion.$shell" ] || die "no $shell completion"
done
say "kcdctl $version: $(du -h "$stage/kcdctl" | cut -f1) stripped; man page and completions in $stage"
