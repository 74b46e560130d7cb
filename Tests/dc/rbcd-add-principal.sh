#!/usr/bin/env bash
# Lets PRINCIPAL (an account name, e.g. HV01$ or a user) delegate to the computer NAME of the test DC by
# resource-based constrained delegation, as an administrator would: `samba-tool delegation add-principal` on the
# DC's database writes NAME's msDS-AllowedToActOnBehalfOfOtherIdentity.
# Usage: rbcd-add-principal.sh NAME PRINCIPAL
set -euo pipefail
DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
. "$DIR/env"
samba-tool delegation add-principal "$1\$" "$2" -H "$DIR/samba/private/sam.ldb" -s "$DIR/samba/etc/smb.conf" >/dev/null
