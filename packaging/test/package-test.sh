#!/usr/bin/env bash
# make package-test: the .deb on a plain Debian root, as an admin would install it.
#   1. lintian on the .deb (errors and warnings fail; packaging/debian/lintian-overrides explains the rest)
#   2. a fresh copy of a cached debootstrap --variant=minbase root (packaging/test/rootfs.sh), no Swift in it
#   3. apt-get install ./kcdctl_*.deb in it: apt resolves the Depends from the Debian mirror
#   4. from inside: kcdctl --version, the man page (every subcommand, EXIT STATUS), the completions (bash
#      completes the subcommands), validate, plan and the drift unit's own command line as the user kcdctl
#      against the test DC on loopback (the root shares this machine's network), with the password file and
#      CA copied in and the DC's name in the root's /etc/hosts
#   5. systemd-analyze verify of the units as the .deb installs them, beside this machine's systemd units
#   6. reinstall (the upgrade path of the maintainer scripts), then purge: nothing of the package is left
# The DC, up for step 4's directory checks only: a running one when DC_ENV names its env file (development,
# e.g. /tmp/kcdctl-dc/env), else one of its own, started with Tests/dc/run-with-dc.sh in this run's folder
# and stopped afterwards (CI, after make test stopped its own); DC_ENV=skip leaves them out and says so (a
# machine where no DC may run; never CI). PACKAGE_TEST_DC_WRAPPER, if set, is put
# before that command (e.g. "ip netns exec NS": a DC of its own beside a running one, in a network namespace).
# Every check counts; the last line is "package-test: N passed, 0 failed".
# Usage: package-test.sh DEB CACHE_DIR DC_SCRIPTS [DC_ENV]
set -euo pipefail
deb=$(realpath "$1") cache=$2 dcdir=$3 dc_env=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
HOSTS=${PACKAGE_TEST_HOSTS:-HV01 HV02 HV03 HV04}
say() { echo "package-test: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
[ -f "$deb" ] || die "no $deb"
started=$(date +%s)

run=${PACKAGE_TEST_RUN:-}
root=$run/root
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
as_kcdctl() { chroot --userspec=kcdctl:kcdctl "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }
step() { say "$*"; }
passed=0
ok() { passed=$((passed + 1)); }

# Step 4, with the DC's KCDCTL_TEST_* variables set (re-entered through run-with-dc.sh or the env file).
if [ "${PACKAGE_TEST_PHASE:-}" = dc ]; then
  # The DC's name resolves inside as outside (Tests/dc/dc-up.sh adds it to this machine's /etc/hosts).
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.0.1 %s\n' "$KCDCTL_TEST_DC_HOST" >"$root/etc/hosts"
  step "validate, plan and the drift unit's command as the user kcdctl against $KCDCTL_TEST_URI"
  # As docs/install.md sets up a host: the manifest and CA readable by the group, the password by kcdctl only.
  in_root install -m 0644 /dev/stdin /etc/kcdctl/ca.pem <"$KCDCTL_TEST_CA_FILE"
  in_root install -m 0600 -o kcdctl /dev/stdin /etc/kcdctl/bind.pw <"$KCDCTL_TEST_PASSWORD_FILE"
  in_root install -m 0640 -g kcdctl /dev/stdin /etc/kcdctl/kcdctl.yaml <<EOF
version: 1
directory:
  uri: $KCDCTL_TEST_URI
  baseDN: $KCDCTL_TEST_BASE_DN
  tls: { caFile: /etc/kcdctl/ca.pem }
  auth:
    method: simple
    bindDN: $KCDCTL_TEST_BIND_DN
    passwordFile: /etc/kcdctl/bind.pw
clusters:
  - name: package-test
    mode: any-protocol
    hosts: [$(sed 's/ /, /g' <<<"$HOSTS")]
EOF
  # No -f: the default manifest, and the files it names readable by kcdctl (as docs/install.md checks a host).
  as_kcdctl kcdctl validate >&2 || die "kcdctl validate (the default manifest /etc/kcdctl/kcdctl.yaml)"
  ok
  as_kcdctl kcdctl plan -f /etc/kcdctl/kcdctl.yaml >"$run/plan.txt" 2>&1 || { cat "$run/plan.txt" >&2; die "kcdctl plan"; }
  head -n 30 "$run/plan.txt" | sed 's/^/  | /' >&2
  ok
  # The drift service's ExecStart, as the unit runs it (without systemd's sandbox: no systemd in the root).
  exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/kcdctl-drift.service")
  status=0; as_kcdctl $exec_start >"$run/drift.txt" 2>&1 || status=$?
  case $status in 0|2) ;; *) cat "$run/drift.txt" >&2; die "the drift unit's command exited $status";; esac
  [ -s "$root/var/lib/kcdctl/kcdctl.prom" ] || die "the drift unit's command wrote no metrics"
  ok
  say "  drift exit $status; $(grep -c '^kcdctl_' "$root/var/lib/kcdctl/kcdctl.prom") metric lines in /var/lib/kcdctl/kcdctl.prom"

  echo "$passed" >"$run/passed-dc"
  exit 0
fi

# The outer part: lintian and systemd-analyze on the .deb, the root, the DC, the run's folder.
command -v lintian >/dev/null || {
  say "installing lintian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null
}
run=$(mktemp -d /tmp/kcdctl-package-test.XXXXXX)
root=$run/root
unmount_all() {
  set +e
  grep -oE "[[:space:]]$root/[^[:space:]]*" /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
}
cleanup() {
  set +e
  unmount_all
  # Never remove a folder with something still mounted in it (/dev is bound into the root).
  if grep -q "[[:space:]]$run/" /proc/mounts; then
    say "left $run: something is still mounted in it"
  else
    rm -rf --one-file-system "$run"
  fi
}
trap cleanup EXIT

say "lintian $(basename "$deb")"
# (lintian's own temporary files in the run's folder: it leaves some behind in TMPDIR)
mkdir "$run/lintian"
TMPDIR=$run/lintian lintian --fail-on error,warning --display-info "$deb" >&2 || die "lintian"
ok
# The units as the package installs them, next to Debian's systemd units (the minimal root has no systemd):
# every dependency, directive and the ExecStart binary are checked.
command -v systemd-analyze >/dev/null || {
  say "installing systemd (for systemd-analyze)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
}
say "systemd-analyze verify kcdctl-drift.service kcdctl-drift.timer"
mkdir -p "$run/verify/lib/systemd/system"
cp -a /lib/systemd/system/. "$run/verify/lib/systemd/system/"
dpkg-deb -x "$deb" "$run/verify"
out=$(systemd-analyze verify --man=no --root="$run/verify" /lib/systemd/system/kcdctl-drift.service \
  /lib/systemd/system/kcdctl-drift.timer 2>&1) || { echo "$out" >&2; die "systemd-analyze verify"; }
[ -z "$out" ] || { echo "$out" >&2; die "systemd-analyze verify warns"; }
say "  clean"
ok
rm -rf "$run/verify"

"$here/rootfs.sh" "$cache"

mkdir "$root"
tar -C "$root" --numeric-owner -xf "$cache/bookworm-minbase.tar"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
step "apt-get install ./$(basename "$deb") in a fresh Debian root (apt resolves the Depends)"
! in_root sh -c 'command -v swift || ls -d /opt/swift /usr/lib/swift' >/dev/null 2>&1 || die "Swift in the test root"
cp "$deb" "$root/root/"
in_root apt-get update -qq >"$run/apt.log" 2>&1 || { cat "$run/apt.log" >&2; die "apt-get update"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/root/$(basename "$deb")" >>"$run/apt.log" 2>&1 ||
  { tail -40 "$run/apt.log" >&2; die "apt-get install"; }
ok
grep -E '^(Setting up|The following NEW)' "$run/apt.log" | sed 's/^/  /' >&2 || true

step "kcdctl --version, the man page, the completions"
want=$(dpkg-deb -f "$deb" Version)
line=$(in_root kcdctl --version) || die "kcdctl --version failed in the root"
[[ "$line" =~ ^kcdctl\ ([^ ]+)\ \(commit\ [0-9a-f]{40}(-dirty)?,\ built\ [0-9T:Z-]+\)$ ]] ||
  die "kcdctl --version: '$line', not 'kcdctl VERSION (commit COMMIT, built DATE)'"
[ "${BASH_REMATCH[1]}" = "$want" ] || die "kcdctl --version: '$line', the package is $want"
ok
! in_root ldd /usr/bin/kcdctl | grep -E 'not found|swift' >&2 || die "a library the binary needs is missing in the root"
page=$(in_root man -w kcdctl) || die "man -w kcdctl found no page"
[ "$page" = /usr/share/man/man1/kcdctl.1.gz ] || die "man -w kcdctl: $page"
warnings=$(in_root sh -c 'MANWIDTH=100 man --warnings kcdctl 2>&1 >/dev/null' || true)
[ -z "$warnings" ] || die "the man page has groff warnings: $warnings"
text=$(in_root env MANWIDTH=100 man kcdctl 2>/dev/null | col -b)
for section in SYNOPSIS DESCRIPTION ENVIRONMENT FILES "EXIT STATUS" EXAMPLES; do
  grep -q "^$section" <<<"$text" || die "the man page has no $section section"
done
# Every subcommand kcdctl --help lists (a new one too), and at least these.
subs=$(in_root kcdctl --help | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
for sub in validate plan apply drift show whoami verify doctor keygen $subs; do
  grep -qE "^ +kcdctl $sub( |$)|^ +$sub( |$)" <<<"$text" || die "the man page does not show the subcommand $sub"
done
# Its EXIT STATUS lists the codes of --help's table, in the same order.
help_codes=$(in_root kcdctl --help | sed -n '/^Exit statuses:/,/^USAGE:/p' | grep -oE '^  [0-9]+' | tr -d ' \t' | tr '\n' ' ' || true)
man_codes=$(sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<<"$text" | grep -oE '^ +[0-9]+([[:space:]]|$)' | tr -d ' \t' | tr '\n' ' ' || true)
[ -n "$help_codes" ] && [ "$help_codes" = "$man_codes" ] ||
  die "EXIT STATUS in the man page ($man_codes) is not kcdctl --help's table ($help_codes)"
grep -q -- '--metrics-file' <<<"$text" || die "the man page does not show drift's options"
ok
for f in /usr/share/bash-completion/completions/kcdctl /usr/share/zsh/vendor-completions/_kcdctl \
  /usr/share/fish/vendor_completions.d/kcdctl.fish /usr/share/doc/kcdctl/examples/kcdctl.yaml \
  /lib/systemd/system/kcdctl-drift.service /lib/systemd/system/kcdctl-drift.timer; do
  [ -s "$root$f" ] || die "$f is not installed"
done
ok
# kcdctl <TAB> in bash, as bash-completion loads it on demand.
completed=$(in_root bash -c '
  . /usr/share/bash-completion/bash_completion
  _completion_loader kcdctl
  fn=$(complete -p kcdctl | sed -E "s/.*-F ([^ ]+).*/\1/")
  COMP_WORDS=(kcdctl ""); COMP_CWORD=1; COMP_LINE="kcdctl "; COMP_POINT=${#COMP_LINE}
  "$fn" kcdctl "" kcdctl
  printf "%s\n" "${COMPREPLY[@]}"')
for sub in validate plan apply drift; do
  grep -qx "$sub" <<<"$completed" || die "bash does not complete 'kcdctl $sub' (got: $(tr '\n' ' ' <<<"$completed"))"
done
ok

step "the system user and /etc/kcdctl"
in_root getent passwd kcdctl >/dev/null || die "no system user kcdctl"
[ "$(in_root stat -c '%a %U:%G' /etc/kcdctl)" = "750 root:kcdctl" ] ||
  die "/etc/kcdctl is $(in_root stat -c '%a %U:%G' /etc/kcdctl), not 750 root:kcdctl"
ok

status=0 skipped=""
export PACKAGE_TEST_PHASE=dc PACKAGE_TEST_RUN=$run
if [ "$dc_env" = skip ]; then
  say "SKIPPED: validate, plan and the drift unit's command against a DC (PACKAGE_TEST_DC_ENV=skip)"
  echo 0 >"$run/passed-dc"
  # What the DC phase would have put there, for the purge check below.
  in_root install -m 0600 -o kcdctl /dev/null /etc/kcdctl/bind.pw
  skipped=" (the checks against a DC SKIPPED)"
elif [ -n "$dc_env" ]; then
  say "against the running DC of $dc_env"
  ( set -a; . "$dc_env"; set +a; "$0" "$deb" "$cache" "$dcdir" ) || status=$?
else
  say "starting a DC of its own ($dcdir/run-with-dc.sh) with $HOSTS"
  # shellcheck disable=SC2086
  ${PACKAGE_TEST_DC_WRAPPER:-} env KCDCTL_DC_DIR="$run/dc" "$dcdir/run-with-dc.sh" \
    sh -c '"$1/add-computers.sh" $2 && exec "$3" "$4" "$5" "$1"' sh "$dcdir" "$HOSTS" "$0" "$deb" "$cache" || status=$?
fi
unset PACKAGE_TEST_PHASE
[ $status = 0 ] && [ -s "$run/passed-dc" ] || die "the checks against the DC (exit $status)"
passed=$((passed + $(cat "$run/passed-dc")))

step "reinstall (upgrade path), then purge"
in_root dpkg -i "/root/$(basename "$deb")" >>"$run/apt.log" 2>&1 || { tail -20 "$run/apt.log" >&2; die "dpkg -i again"; }
[ "$(in_root stat -c '%a %U:%G' /etc/kcdctl)" = "750 root:kcdctl" ] || die "/etc/kcdctl changed on reinstall"
ok
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kcdctl >>"$run/apt.log" 2>&1 ||
  { tail -20 "$run/apt.log" >&2; die "apt-get purge"; }
left=$(in_root sh -c 'ls -d /usr/bin/kcdctl /usr/share/doc/kcdctl /lib/systemd/system/kcdctl-drift.* /var/lib/kcdctl 2>/dev/null' || true)
[ -z "$left" ] || die "purge left $left"
# /etc/kcdctl keeps the admin's files (manifest, password, CA): purge does not remove secrets it did not make.
[ -f "$root/etc/kcdctl/bind.pw" ] || die "purge removed the admin's files in /etc/kcdctl"
ok
say "passed in $(( $(date +%s) - started )) s"
echo "package-test: $passed passed, 0 failed$skipped"
