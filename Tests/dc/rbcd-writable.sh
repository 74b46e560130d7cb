#!/usr/bin/env bash
# Lets LDAP clients write msDS-AllowedToActOnBehalfOfOtherIdentity on the test DC, as Windows DCs let
# administrators do (Set-ADComputer -PrincipalsAllowedToDelegateToAccount, impacket's rbcd.py).
# Samba 4.17 follows the schema's systemOnly: TRUE for the attribute and refuses every LDAP write of it, by any
# account and with or without the relax control, with 19 "can only be modified as system" (measured); only
# local tools running as the system (samba-tool delegation) can set it. This sets systemOnly: FALSE on the
# attribute's schema object through the DC's database, as the system; the running DC follows at once.
# Idempotent.
set -euo pipefail
DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
. "$DIR/env"
# Debian's Python has Samba's bindings (samba-tool runs on it), whatever python3 comes first in PATH.
/usr/bin/python3 - "$DIR/samba/private/sam.ldb" "$DIR/samba/etc/smb.conf" "$KCDCTL_TEST_BASE_DN" <<'PY'
import sys
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

sam, conf, base = sys.argv[1:]
lp = LoadParm()
lp.load(conf)
lp.set("dsdb:schema update allowed", "true")
db = SamDB(url=sam, session_info=system_session(), lp=lp)
db.modify_ldif(
    "dn: CN=ms-DS-Allowed-To-Act-On-Behalf-Of-Other-Identity,CN=Schema,CN=Configuration,%s\n"
    "changetype: modify\nreplace: systemOnly\nsystemOnly: FALSE\n" % base
)
PY
