# Shared by the multi-DC lab scripts (sourced): names, the namespace, and how to run inside it.
# The lab's state folder is $KCDCTL_MULTIDC_DIR; the namespace's name derives from it, so that
# multi-dc-down.sh finds everything again from the folder alone.
REALM=MULTI.EXAMPLE.TEST
WORKGROUP=MULTI
DNSDOMAIN=multi.example.test
BASEDN=DC=multi,DC=example,DC=test
SITE=Default-First-Site-Name
BRANCH_SITE=Branch
DC1=mdc1
DC2=mdc2
DC1_IP=127.0.0.2
DC2_IP=127.0.0.3
DNS_IP=127.0.0.4

# Starts a daemon in the background with no file descriptor but 0-2 of the caller's: a caller that waits for
# its helper's end by EOF on an inherited descriptor (Foundation's Process does) would otherwise wait for the
# daemon's end too.
detached() {
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec "$@"
  ) </dev/null &
}

mdc_ns() { echo "kcdctl-mdc-$(printf '%s' "$1" | md5sum | cut -c1-10)"; }
# Runs a command inside the lab's namespace (ip netns exec bind-mounts /etc/netns/$NS/{hosts,resolv.conf}).
in_ns() { ip netns exec "$NS" env KRB5_CONFIG="$DIR/krb5.conf" "$@"; }
dc_ip() { case $1 in "$DC1") echo "$DC1_IP" ;; "$DC2") echo "$DC2_IP" ;; *) echo "unknown DC $1" >&2; return 1 ;; esac; }
dc_conf() { echo "$DIR/$1/etc/smb.conf"; }

# LDAPS answers a simple bind of the service account: the DC is ready.
dc_ready() {
  in_ns env LDAPTLS_CACERT="$DIR/tls/ca.pem" ldapsearch -x -o nettimeout=2 -H "ldaps://$1.$DNSDOMAIN" \
    -D "svc-kcd@$DNSDOMAIN" -y "$DIR/admin.pw" -s base -b "" dn >/dev/null 2>&1
}

# Starts one DC (in the background, in the namespace) and waits until LDAPS answers.
dc_start() {
  local name=$1
  if [ -f "$DIR/$name.pid" ] && kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then return 0; fi
  detached ip netns exec "$NS" env KRB5_CONFIG="$DIR/krb5.conf" \
    samba --foreground --debug-stdout -s "$(dc_conf "$name")" >>"$DIR/$name.log" 2>&1
  echo $! >"$DIR/$name.pid"
  for _ in $(seq 1 300); do
    dc_ready "$name" && return 0
    kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null || { tail -30 "$DIR/$name.log" >&2; echo "$name died" >&2; return 1; }
    sleep 0.2
  done
  tail -30 "$DIR/$name.log" >&2
  echo "$name did not answer on ldaps://$name.$DNSDOMAIN" >&2
  return 1
}

# Stops one DC: its samba (by the pid it was started with) and the children of that process group.
dc_stop() {
  local name=$1 pid
  [ -f "$DIR/$name.pid" ] || return 0
  pid=$(cat "$DIR/$name.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  # What is left of its children (smbd, winbindd): the namespace's processes that name this DC's smb.conf.
  local conf child
  conf=$(dc_conf "$name")
  for child in $(ip netns pids "$NS" 2>/dev/null); do
    tr '\0' ' ' <"/proc/$child/cmdline" 2>/dev/null | grep -qF -- "$conf" && kill -9 "$child" 2>/dev/null || true
  done
  rm -f "$DIR/$name.pid"
}

# The lab of $KCDCTL_MULTIDC_DIR, for the helpers.
mdc_lab() {
  DIR=${KCDCTL_MULTIDC_DIR:?KCDCTL_MULTIDC_DIR names the multi-DC lab folder}
  NS=$(mdc_ns "$DIR")
}

# dnsmasq in the namespace; ready when it answers a name only it knows.
dns_start() {
  detached ip netns exec "$NS" dnsmasq --conf-file="$DIR/dns/dnsmasq.conf" --keep-in-foreground \
    --log-facility=- >>"$DIR/dnsmasq.log" 2>&1
  echo $! >"$DIR/dnsmasq.pid"
  for _ in $(seq 1 100); do
    ip netns exec "$NS" getent ahostsv4 dns-ready.kcdctl-lab.test >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail "$DIR/dnsmasq.log" >&2
  echo "dnsmasq does not answer on $DNS_IP" >&2
  return 1
}

dns_stop() {
  [ -f "$DIR/dnsmasq.pid" ] || return 0
  local pid
  pid=$(cat "$DIR/dnsmasq.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$DIR/dnsmasq.pid"
}
