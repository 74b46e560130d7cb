#!/usr/bin/env bash
# Starts the multi-DC lab: two really replicating Samba AD DCs of one domain in a network namespace, and a
# DNS server that gives their SRV records (issue 14).
#
#   namespace   kcdctl-mdc-<hash of the folder>, loopback 127.0.0.2 (mdc1), 127.0.0.3 (mdc2), 127.0.0.4 (dnsmasq)
#   names       /etc/netns/NS/hosts and /etc/netns/NS/resolv.conf (ip netns exec bind-mounts them over /etc):
#               nothing is written to the machine's own /etc/hosts or resolv.conf
#   mdc1        provisioned (multi.example.test), internal DNS for the DCs' own <dsa-guid>._msdcs names, PDC
#   mdc2        joined to it as a DC; both replicate every 5 s (dreplsrv:periodic_interval) besides notification
#   dnsmasq     _ldap._tcp.dc._msdcs (mdc1 priority 0, mdc2 priority 10; multi-dc/srv.sh swaps them),
#               _ldap._tcp.pdc._msdcs (mdc1), _ldap._tcp.<site>._sites.dc._msdcs (Default-First-Site-Name:
#               both; Branch: mdc2), _kerberos._tcp, A records; the rest of the domain goes to mdc1's DNS
#
# Every path of both DCs (pid, lock, state, cache, private, sockets, logs) is in the state folder,
# $KCDCTL_MULTIDC_DIR (default: a new mktemp -d /tmp/kcdctl-mdc.XXXXXX), so the lab coexists with the
# single test DC of dc-up.sh. In it:
#   env            KCDCTL_MULTIDC_* / KCDCTL_TEST_* variables for the tests (source it)
#   tls/ca.pem     the CA of both DCs' LDAPS certificates (each names its DC: mdcN.<domain>, mdcN, its IP)
#   admin.pw       svc-kcd's password (Domain Admins), mode 0600; administrator.pw Administrator's
#   mdc1.log mdc2.log dnsmasq.log
# Helpers (run as root, outside or inside the namespace, with KCDCTL_MULTIDC_DIR set):
#   multi-dc/dc.sh stop|start mdc1|mdc2     multi-dc/srv.sh default|swapped
#   multi-dc/repl.sh disable|enable mdc1|mdc2 (outbound replication), repl.sh sync (both ways, now)
# multi-dc-down.sh stops everything and removes the folder, the namespace and /etc/netns/NS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/multi-dc/lib.sh"
say() { echo "multi-dc-up: $*" >&2; }
start=$(date +%s.%N)
elapsed() { printf '%.1f s' "$(echo "$(date +%s.%N) - $start" | bc)"; }

need=()
for p in samba samba-ad-dc samba-ad-provision ldap-utils krb5-user openssl iproute2 dnsmasq-base bc; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

DIR=${KCDCTL_MULTIDC_DIR:-$(mktemp -d /tmp/kcdctl-mdc.XXXXXX)}
DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
NS=$(mdc_ns "$DIR")
if [ -e "$DIR/env" ] || ip netns list | grep -qw "$NS"; then
  KCDCTL_MULTIDC_DIR=$DIR "$here/multi-dc-down.sh" >/dev/null 2>&1 || true
  mkdir -p "$DIR"
fi
chmod 0700 "$DIR"
# If anything below fails, take down what was started (the folder stays for a look, unless it was ours).
# (KEEP_LAB=1: leave it running, for a look.)
trap 'status=$?; if [ $status -ne 0 ]; then say "failed after $(elapsed); logs in $DIR"; [ "${KEEP_LAB:-0}" = 1 ] ||
  KCDCTL_MULTIDC_DIR=$DIR KEEP_FOLDER=1 "$here/multi-dc-down.sh" >/dev/null 2>&1; fi' EXIT

# The namespace: loopback with the three addresses (Samba binds only to configured addresses).
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
for ip in "$DC1_IP" "$DC2_IP" "$DNS_IP"; do ip netns exec "$NS" ip addr add "$ip/8" dev lo; done
mkdir -p "/etc/netns/$NS"
# (The machine's own lines first: its host name resolves inside as outside.)
{ cat /etc/hosts 2>/dev/null || echo "127.0.0.1 localhost"; } >"/etc/netns/$NS/hosts"
cat >>"/etc/netns/$NS/hosts" <<HOSTS
$DC1_IP $DC1.$DNSDOMAIN $DC1
$DC2_IP $DC2.$DNSDOMAIN $DC2
HOSTS
printf 'nameserver %s\n' "$DNS_IP" >"/etc/netns/$NS/resolv.conf"
echo "$NS" >"$DIR/ns"

# A CA and one LDAPS certificate per DC, with the names clients use (as dc-up.sh does for the single DC).
mkdir -p "$DIR/tls"
(
  cd "$DIR/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kcdctl multi-DC test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
  for dc in "$DC1" "$DC2"; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$dc.$DNSDOMAIN" -keyout "$dc.key" -out "$dc.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s,DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n' \
      "$dc.$DNSDOMAIN" "$dc" "$(dc_ip "$dc")" >"$dc.cnf"
    openssl x509 -req -in "$dc.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile "$dc.cnf" -out "$dc.pem" 2>/dev/null
  done
  chmod 0600 ./*.key
)

# Kerberos for the DCs (the join, DRS binds) and the tests' clients.
cat >"$DIR/krb5.conf" <<KRB5
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
[realms]
    $REALM = {
        kdc = $DC1_IP
        kdc = $DC2_IP
    }
[domain_realm]
    .$DNSDOMAIN = $REALM
    $DNSDOMAIN = $REALM
KRB5
chmod 0644 "$DIR/krb5.conf"

# DNS: dnsmasq answers the SRV and A records itself and forwards the rest of the domain to mdc1's DNS.
mkdir -p "$DIR/dns"
cat >"$DIR/dns/dnsmasq.conf" <<DNS
listen-address=$DNS_IP
bind-interfaces
no-resolv
no-hosts
no-poll
no-negcache
user=root
server=/$DNSDOMAIN/$DC1_IP
host-record=$DC1.$DNSDOMAIN,$DC1_IP
host-record=$DC2.$DNSDOMAIN,$DC2_IP
host-record=dns-ready.kcdctl-lab.test,$DNS_IP
srv-host=_ldap._tcp.pdc._msdcs.$DNSDOMAIN,$DC1.$DNSDOMAIN,389,0,100
srv-host=_ldap._tcp.$SITE._sites.dc._msdcs.$DNSDOMAIN,$DC1.$DNSDOMAIN,389,0,100
srv-host=_ldap._tcp.$SITE._sites.dc._msdcs.$DNSDOMAIN,$DC2.$DNSDOMAIN,389,10,100
srv-host=_ldap._tcp.$BRANCH_SITE._sites.dc._msdcs.$DNSDOMAIN,$DC2.$DNSDOMAIN,389,0,100
srv-host=_kerberos._tcp.$DNSDOMAIN,$DC1.$DNSDOMAIN,88,0,100
srv-host=_kerberos._tcp.$DNSDOMAIN,$DC2.$DNSDOMAIN,88,0,100
conf-file=$DIR/dns/srv.conf
DNS
KCDCTL_MULTIDC_DIR=$DIR "$here/multi-dc/srv.sh" default --no-restart

# Paths of one DC, all inside the state folder: nothing under /run/samba, /var/lib/samba or /var/log/samba.
dc_paths() {
  local d=$DIR/$1
  mkdir -p "$d/run" "$d/log"
  cat <<PATHS
pid directory=$d/run
lock directory=$d/lock
state directory=$d/state
cache directory=$d/cache
private dir=$d/private
binddns dir=$d/bind-dns
ncalrpc dir=$d/run/ncalrpc
winbindd socket directory=$d/run/winbindd
ntp signd socket directory=$d/ntp_signd
usershare path=$d/usershares
smb passwd file=$d/private/smbpasswd
log file=$d/log/log.%m
interfaces=$(dc_ip "$1")
bind interfaces only=yes
tls enabled=yes
tls certfile=$DIR/tls/$1.pem
tls keyfile=$DIR/tls/$1.key
tls cafile=$DIR/tls/ca.pem
dreplsrv:periodic_interval=5
PATHS
}

# mdc1: provisioned, with Samba's internal DNS (the DCs find each other's <dsa-guid>._msdcs names there).
ADMINPASS="Adm-$(openssl rand -hex 12)!"
SVCPASS="Svc-$(openssl rand -hex 12)!"
# samba-tool reads Administrator's password from $PASSWD (not on a command line).
export PASSWD=$ADMINPASS
admin=(-U Administrator)
opts=()
while IFS= read -r line; do opts+=("--option=$line"); done < <(dc_paths "$DC1")
t=$(date +%s.%N)
in_ns samba-tool domain provision --targetdir="$DIR/$DC1" --realm=$REALM --domain=$WORKGROUP \
  --host-name=$DC1 --host-ip=$DC1_IP --server-role=dc --dns-backend=SAMBA_INTERNAL --adminpass="$ADMINPASS" \
  "${opts[@]}" >"$DIR/provision.log" 2>&1 || { cat "$DIR/provision.log" >&2; exit 1; }
say "$DC1 provisioned in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)") s"
CONF1=$(dc_conf "$DC1")
in_ns samba-tool domain passwordsettings set -s "$CONF1" --complexity=off --history-length=0 \
  --min-pwd-age=0 --max-pwd-age=0 >/dev/null
umask 077
printf '%s' "$ADMINPASS" >"$DIR/administrator.pw"
printf '%s' "$SVCPASS" >"$DIR/admin.pw"
umask 022
in_ns samba-tool user create svc-kcd "$SVCPASS" -s "$CONF1" >/dev/null
in_ns samba-tool group addmembers "Domain Admins" svc-kcd -s "$CONF1" >/dev/null
say "svc-kcd created ($(elapsed))"

dns_start
say "dnsmasq up ($(elapsed))"
dc_start "$DC1"
say "$DC1 up ($(elapsed))"

# mdc2: joined as a DC of the same domain (smb.conf by hand; the join wants the sysvol and netlogon shares).
mkdir -p "$DIR/$DC2/etc" "$DIR/$DC2/state/sysvol"
{
  printf '[global]\n'
  printf '\tnetbios name = %s\n\trealm = %s\n\tworkgroup = %s\n' "${DC2^^}" "$REALM" "$WORKGROUP"
  printf '\tserver role = active directory domain controller\n'
  dc_paths "$DC2" | sed 's/=/ = /; s/^/\t/'
  printf '\n[sysvol]\n\tpath = %s\n\tread only = No\n' "$DIR/$DC2/state/sysvol"
  printf '\n[netlogon]\n\tpath = %s\n\tread only = No\n' "$DIR/$DC2/state/sysvol/$DNSDOMAIN/scripts"
} >"$(dc_conf "$DC2")"
t=$(date +%s.%N)
in_ns samba-tool domain join "$REALM" DC -s "$(dc_conf "$DC2")" --server="$DC1.$DNSDOMAIN" \
  "${admin[@]}" --dns-backend=SAMBA_INTERNAL >"$DIR/join.log" 2>&1 ||
  { cat "$DIR/join.log" >&2; exit 1; }
say "$DC2 joined in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)") s"
dc_start "$DC2"
say "$DC2 up ($(elapsed))"
# mdc1 pulls from mdc2 by its DSA's name, <dsa-guid>._msdcs.<domain>, which the join did not register here
# ("Adding 0 remote DNS records"): without it mdc1's inbound replication fails with WERR_FILE_NOT_FOUND.
guid=$(in_ns samba-tool drs showrepl "$DC2.$DNSDOMAIN" "${admin[@]}" 2>/dev/null | sed -n 's/^DSA object GUID: //p')
[ -n "$guid" ] || { say "no DSA GUID for $DC2"; exit 1; }
in_ns samba-tool dns add "$DC1.$DNSDOMAIN" "$DNSDOMAIN" "$DC2" A "$DC2_IP" "${admin[@]}" >/dev/null 2>&1
in_ns samba-tool dns add "$DC1.$DNSDOMAIN" "_msdcs.$DNSDOMAIN" "$guid" CNAME "$DC2.$DNSDOMAIN" "${admin[@]}" >/dev/null 2>&1

cat >"$DIR/env" <<ENV
KCDCTL_MULTIDC_DIR=$DIR
KCDCTL_MULTIDC_NS=$NS
KCDCTL_MULTIDC_DC1=$DC1.$DNSDOMAIN
KCDCTL_MULTIDC_DC2=$DC2.$DNSDOMAIN
KCDCTL_MULTIDC_SITE=$SITE
KCDCTL_MULTIDC_BRANCH_SITE=$BRANCH_SITE
KCDCTL_MULTIDC_HELPERS=$here/multi-dc
KCDCTL_TEST_BASE_DN=$BASEDN
KCDCTL_TEST_DOMAIN=$DNSDOMAIN
KCDCTL_TEST_REALM=$REALM
KCDCTL_TEST_BIND_DN=svc-kcd@$DNSDOMAIN
KCDCTL_TEST_PASSWORD_FILE=$DIR/admin.pw
KCDCTL_TEST_CA_FILE=$DIR/tls/ca.pem
KCDCTL_TEST_KRB5_CONFIG=$DIR/krb5.conf
ENV

# Replication works both ways before anyone relies on it: a value written on one DC is read on the other.
KCDCTL_MULTIDC_DIR=$DIR "$here/multi-dc/repl.sh" check
trap - EXIT
say "two DCs of $DNSDOMAIN up in namespace $NS in $(elapsed) (state in $DIR)"
echo "$DIR"
