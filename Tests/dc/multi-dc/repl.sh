#!/usr/bin/env bash
# Replication in the multi-DC lab:
#   repl.sh disable|enable mdc1|mdc2   the DC's outbound replication (DISABLE_OUTBOUND_REPL): others stop pulling from it
#   repl.sh sync                       replicate the domain partition both ways now
#   repl.sh showrepl mdc1|mdc2         samba-tool drs showrepl of that DC
#   repl.sh check                      a value written on each DC is read on the other; prints the latency
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mdc_lab
# (samba-tool reads the password from $PASSWD: not on a command line.)
export PASSWD
PASSWD=$(cat "$DIR/administrator.pw")
admin=(-U Administrator)

ldap() { # ldap TOOL DC ARGS...: an LDAP client as svc-kcd against one DC over LDAPS
  local tool=$1 dc=$2
  shift 2
  in_ns env LDAPTLS_CACERT="$DIR/tls/ca.pem" "$tool" -x -o nettimeout=5 -H "ldaps://$dc.$DNSDOMAIN" \
    -D "svc-kcd@$DNSDOMAIN" -y "$DIR/admin.pw" "$@"
}

# Writes a new description of svc-kcd on $1 and waits up to $3 seconds until $2 has it; prints the seconds.
propagate() {
  local from=$1 to=$2 limit=$3 dn="CN=svc-kcd,CN=Users,$BASEDN" value t0
  value="repl-check-$from-$(openssl rand -hex 6)"
  printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: %s\n' "$dn" "$value" |
    ldap ldapmodify "$from" >/dev/null
  t0=$(date +%s.%N)
  while :; do
    if ldap ldapsearch "$to" -LLL -b "$dn" -s base description 2>/dev/null | grep -qF "$value"; then
      printf '%.1f\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
      return 0
    fi
    if [ "$(echo "$(date +%s.%N) - $t0 > $limit" | bc)" = 1 ]; then
      echo "$value written on $from did not reach $to in $limit s" >&2
      return 1
    fi
    sleep 0.1
  done
}

case ${1:-} in
  disable | enable)
    dc_ip "${2:-}" >/dev/null
    sign=$([ "$1" = disable ] && echo + || echo -)
    in_ns samba-tool drs options "$2.$DNSDOMAIN" --dsa-option="${sign}DISABLE_OUTBOUND_REPL" "${admin[@]}" >/dev/null
    ;;
  sync)
    in_ns samba-tool drs replicate "$DC2.$DNSDOMAIN" "$DC1.$DNSDOMAIN" "$BASEDN" "${admin[@]}" >/dev/null
    in_ns samba-tool drs replicate "$DC1.$DNSDOMAIN" "$DC2.$DNSDOMAIN" "$BASEDN" "${admin[@]}" >/dev/null
    ;;
  showrepl)
    dc_ip "${2:-}" >/dev/null
    in_ns samba-tool drs showrepl "$2.$DNSDOMAIN" "${admin[@]}"
    ;;
  check)
    a=$(propagate "$DC1" "$DC2" "${REPL_LIMIT:-60}")
    b=$(propagate "$DC2" "$DC1" "${REPL_LIMIT:-60}")
    echo "repl: $DC1 -> $DC2 in $a s, $DC2 -> $DC1 in $b s" >&2
    ;;
  *)
    echo "usage: repl.sh disable|enable mdc1|mdc2 | sync | showrepl mdc1|mdc2 | check" >&2
    exit 2
    ;;
esac
