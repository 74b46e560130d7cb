#!/usr/bin/env bash
# keytab.sh NAME FILE: gives the lab computer NAME$ a random password (on mdc1, replicated to mdc2 at once) and
# writes its keytab (mode 0600) to FILE, so that a test can prove delegation with the KDC (kcdctl verify).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mdc_lab
name=$1 file=$2
# (samba-tool takes the new password from a prompt or the command line; this one is a throwaway host key.)
password="Host-$(openssl rand -hex 12)!"
in_ns samba-tool user setpassword "$name\$" --newpassword="$password" -s "$(dc_conf "$DC1")" >/dev/null
rm -f "$file"
in_ns samba-tool domain exportkeytab "$file" --principal="$name\$@$REALM" -s "$(dc_conf "$DC1")" >/dev/null
chmod 600 "$file"
"$here/repl.sh" sync
