#!/usr/bin/env bash
# The SRV records of _ldap._tcp.dc._msdcs.<domain> (and _ldap._tcp.<domain>) in the multi-DC lab's dnsmasq:
#   default   mdc1 priority 0, mdc2 priority 10
#   swapped   mdc2 priority 0, mdc1 priority 10
# dnsmasq reads srv-host lines only at start: it is restarted (well under a second).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mdc_lab
case ${1:-} in
  default) first=$DC1 second=$DC2 ;;
  swapped) first=$DC2 second=$DC1 ;;
  *) echo "usage: srv.sh default|swapped [--no-restart]" >&2; exit 2 ;;
esac
{
  for name in "_ldap._tcp.dc._msdcs.$DNSDOMAIN" "_ldap._tcp.$DNSDOMAIN"; do
    echo "srv-host=$name,$first.$DNSDOMAIN,389,0,100"
    echo "srv-host=$name,$second.$DNSDOMAIN,389,10,100"
  done
} >"$DIR/dns/srv.conf"
echo "$1" >"$DIR/dns/srv.state"
if [ "${2:-}" != "--no-restart" ]; then
  dns_stop
  dns_start
fi
