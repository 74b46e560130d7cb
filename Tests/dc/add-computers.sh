#!/usr/bin/env bash
# Creates computer accounts in the running test DC with one LDAP add:
# each NAME gets dNSHostName NAME.<domain> and the SPNs HOST/ and
# Microsoft Virtual System Migration Service/ in both name forms, like a Hyper-V host.
set -euo pipefail
DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
. "$DIR/env"
ldif=$(mktemp)
trap 'rm -f "$ldif"' EXIT
for name in "$@"; do
  fqdn="$(echo "$name" | tr 'A-Z' 'a-z').$KCDCTL_TEST_DOMAIN"
  cat >> "$ldif" <<LDIF
dn: CN=$name,CN=Computers,$KCDCTL_TEST_BASE_DN
objectClass: computer
sAMAccountName: $name\$
userAccountControl: 4096
dNSHostName: $fqdn
servicePrincipalName: HOST/$name
servicePrincipalName: HOST/$fqdn
servicePrincipalName: Microsoft Virtual System Migration Service/$name
servicePrincipalName: Microsoft Virtual System Migration Service/$fqdn

LDIF
done
LDAPTLS_CACERT=$KCDCTL_TEST_CA_FILE ldapadd -x -H "$KCDCTL_TEST_URI" -D "$KCDCTL_TEST_BIND_DN" \
  -y "$KCDCTL_TEST_PASSWORD_FILE" -f "$ldif" >/dev/null
