#!/usr/bin/env bash
# Creates computer accounts in the running test DC with one LDAP add:
# each NAME gets dNSHostName NAME.<domain> and the SPNs HOST/ and
# Microsoft Virtual System Migration Service/ in both name forms, like a Hyper-V host.
# With --with-keys (first argument), each also gets a password, so that the KDC can issue tickets
# for it and `samba-tool domain exportkeytab` can write its keytab.
set -euo pipefail
DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
. "$DIR/env"
password=""
if [ "${1:-}" = "--with-keys" ]; then
  shift
  password=$(printf '"%s"' "Host-$(openssl rand -hex 12)!" | iconv -f utf-8 -t utf-16le | base64 -w0)
fi
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
  [ -z "$password" ] || echo "unicodePwd:: $password" >> "$ldif"
  echo >> "$ldif"
done
LDAPTLS_CACERT=$KCDCTL_TEST_CA_FILE ldapadd -x -H "$KCDCTL_TEST_URI" -D "$KCDCTL_TEST_BIND_DN" \
  -y "$KCDCTL_TEST_PASSWORD_FILE" -f "$ldif" >/dev/null
