#!/usr/bin/env bash
# Stops the multi-DC lab of $KCDCTL_MULTIDC_DIR (or the folder given) and removes everything it made:
# the DCs and dnsmasq (by their pids, then whatever else runs in the lab's namespace), the namespace,
# /etc/netns/<namespace>, and the folder itself (kept when KEEP_FOLDER=1, for a look at the logs).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/multi-dc/lib.sh"
DIR=${1:-${KCDCTL_MULTIDC_DIR:?KCDCTL_MULTIDC_DIR or an argument names the multi-DC lab folder}}
[ -d "$DIR" ] && DIR=$(cd "$DIR" && pwd)
NS=$(mdc_ns "$DIR")
if [ -d "$DIR" ]; then
  dc_stop "$DC2"
  dc_stop "$DC1"
  dns_stop
fi
if ip netns list 2>/dev/null | grep -qw "$NS"; then
  # Anything the lab started that is still there (only this lab's processes live in its namespace).
  for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  for _ in $(seq 1 30); do [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break; sleep 0.1; done
  ip netns delete "$NS"
fi
rm -rf "/etc/netns/$NS"
rmdir /etc/netns 2>/dev/null
if [ "${KEEP_FOLDER:-0}" != 1 ]; then rm -rf "$DIR"; fi
echo "multi-dc-down: stopped ($NS)" >&2
