#!/usr/bin/env bash
# Provisions a throwaway Samba AD domain controller on loopback and starts it.
#
# Writes everything under $KCDCTL_DC_DIR (default /tmp/kcdctl-dc):
#   env          shell variables for the tests (source it)
#   tls/ca.pem   the CA that signed the DC's certificate (SANs: localhost, 127.0.0.1, the DC's FQDN)
#   admin.pw     the password of the service account svc-kcd (member of Domain Admins), mode 0600
#   samba.log    the DC's log
# Usage: dc-up.sh [COMPUTER...]   computer accounts to create, each with HOST/ and
#                                  Microsoft Virtual System Migration Service/ SPNs.
set -euo pipefail

DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
REALM=LAB.EXAMPLE.TEST
DOMAIN=LAB
DNSDOMAIN=lab.example.test
BASEDN=DC=lab,DC=example,DC=test
DCNAME=dc1
FQDN=$DCNAME.$DNSDOMAIN

say() { echo "dc-up: $*" >&2; }

# The DC, the LDAP and Kerberos command-line clients the tests use, and the GSSAPI plugin of Cyrus SASL.
need=()
for p in samba samba-ad-dc samba-ad-provision ldap-utils krb5-user libsasl2-modules-gssapi-mit openssl; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

"$(dirname "$0")/dc-down.sh" >/dev/null 2>&1 || true
rm -rf "$DIR"
mkdir -p "$DIR/tls"
chmod 0700 "$DIR"

# A CA and a server certificate with the names clients use; Samba's own has no subjectAltName.
(
  cd "$DIR/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kcdctl test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$FQDN" -keyout dc.key -out dc.csr 2>/dev/null
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$FQDN" > ext.cnf
  openssl x509 -req -in dc.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out dc.pem 2>/dev/null
  chmod 0600 dc.key ca.key
)

# samba-tool wants a fresh directory, its own smb.conf and no system-wide one in the way.
ADMINPASS="Adm-$(openssl rand -hex 12)!"
SVCPASS="Svc-$(openssl rand -hex 12)!"
samba-tool domain provision --targetdir="$DIR/samba" --realm=$REALM --domain=$DOMAIN \
  --host-name=$DCNAME --server-role=dc --dns-backend=NONE --adminpass="$ADMINPASS" \
  --option="interfaces=lo" --option="bind interfaces only=yes" \
  --option="server services=ldap cldap kdc" \
  --option="tls enabled=yes" --option="tls certfile=$DIR/tls/dc.pem" \
  --option="tls keyfile=$DIR/tls/dc.key" --option="tls cafile=$DIR/tls/ca.pem" \
  >"$DIR/provision.log" 2>&1 || { cat "$DIR/provision.log" >&2; exit 1; }
CONF="$DIR/samba/etc/smb.conf"
# Test hosts get passwords the tests set; no complexity rules or password history in the way.
samba-tool domain passwordsettings set -s "$CONF" --complexity=off --history-length=0 \
  --min-pwd-age=0 --max-pwd-age=0 >/dev/null

umask 077
printf '%s' "$ADMINPASS" > "$DIR/administrator.pw"
printf '%s' "$SVCPASS" > "$DIR/admin.pw"
READERPASS="Rdr-$(openssl rand -hex 12)!"
printf '%s' "$READERPASS" > "$DIR/reader.pw"
# svc-kcd: what kcdctl binds as to write delegation (Domain Admins carry SeEnableDelegationPrivilege);
# kcd-reader: an ordinary user, for what an unprivileged account may not do.
samba-tool user create svc-kcd "$SVCPASS" -s "$CONF" >/dev/null
samba-tool group addmembers "Domain Admins" svc-kcd -s "$CONF" >/dev/null
samba-tool user create kcd-reader "$READERPASS" -s "$CONF" >/dev/null
samba-tool domain exportkeytab "$DIR/svc-kcd.keytab" --principal="svc-kcd@$REALM" -s "$CONF" >/dev/null 2>&1
chmod 0600 "$DIR/svc-kcd.keytab"
# GSSAPI binds need the DC's ldap/ SPNs; Samba's dnsupdate service would add them, but it is not run here.
samba-tool spn add "ldap/$FQDN" "${DCNAME^^}\$" -s "$CONF" >/dev/null 2>&1 || true

# Kerberos clients (kcdctl, kinit) find the KDC through this file (KRB5_CONFIG).
cat > "$DIR/krb5.conf" <<KRB5
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
[realms]
    $REALM = {
        kdc = 127.0.0.1
    }
[domain_realm]
    .$DNSDOMAIN = $REALM
    $DNSDOMAIN = $REALM
KRB5
chmod 0644 "$DIR/krb5.conf"

# Clients reach the DC by its FQDN, as in a real domain (TLS names and, later, Kerberos need it).
# libldap turns "localhost" into this machine's own name, which the certificate does not carry.
if ! grep -qE "^127\.0\.0\.1[[:space:]].*\b$FQDN\b" /etc/hosts 2>/dev/null; then
  echo "127.0.0.1 $FQDN" >> /etc/hosts 2>/dev/null || true
fi
if getent hosts "$FQDN" >/dev/null; then HOST=$FQDN; else HOST=127.0.0.1; fi
URI=ldaps://$HOST

samba --foreground --no-process-group -s "$CONF" >"$DIR/samba.log" 2>&1 &
echo $! > "$DIR/samba.pid"

# LDAPS answers a simple bind of the service account: the DC is ready.
export LDAPTLS_CACERT="$DIR/tls/ca.pem"
ready() { ldapsearch -x -H "$URI" -D "svc-kcd@$DNSDOMAIN" -y "$DIR/admin.pw" -s base -b "" dn >/dev/null 2>&1; }
for _ in $(seq 1 150); do
  ready && break
  kill -0 "$(cat "$DIR/samba.pid")" 2>/dev/null || { cat "$DIR/samba.log" >&2; say "samba died"; exit 1; }
  sleep 0.2
done
ready || { tail -20 "$DIR/samba.log" >&2; say "the DC did not answer on $URI"; exit 1; }

cat > "$DIR/env" <<ENV
KCDCTL_TEST_DC_DIR=$DIR
KCDCTL_TEST_URI=$URI
KCDCTL_TEST_DC_HOST=$HOST
KCDCTL_TEST_BASE_DN=$BASEDN
KCDCTL_TEST_DOMAIN=$DNSDOMAIN
KCDCTL_TEST_REALM=$REALM
KCDCTL_TEST_BIND_DN=svc-kcd@$DNSDOMAIN
KCDCTL_TEST_PASSWORD_FILE=$DIR/admin.pw
KCDCTL_TEST_CA_FILE=$DIR/tls/ca.pem
KCDCTL_TEST_LDAP_URI=ldap://$HOST
KCDCTL_TEST_FQDN=$FQDN
KCDCTL_TEST_KEYTAB=$DIR/svc-kcd.keytab
KCDCTL_TEST_PRINCIPAL=svc-kcd@$REALM
KCDCTL_TEST_KRB5_CONFIG=$DIR/krb5.conf
KCDCTL_TEST_READER_DN=kcd-reader@$DNSDOMAIN
KCDCTL_TEST_READER_PASSWORD_FILE=$DIR/reader.pw
ENV

# Computer accounts, all in one LDAP add.
if [ $# -gt 0 ]; then
  "$(dirname "$0")/add-computers.sh" "$@"
fi
say "AD DC for $DNSDOMAIN up on $URI (state in $DIR)"
