#!/usr/bin/env bash
# Writes the keytab (mode 0600) of a computer of the test DC to $KCDCTL_DC_DIR/NAME.keytab and prints its path.
# The computer needs keys (add-computers.sh --with-keys).
set -euo pipefail
DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
. "$DIR/env"
file="$DIR/$1.keytab"
rm -f "$file"
samba-tool domain exportkeytab "$file" --principal="$1\$@$KCDCTL_TEST_REALM" -s "$DIR/samba/etc/smb.conf" >/dev/null 2>&1
chmod 600 "$file"
echo "$file"
