#!/usr/bin/env bash
# Stops or starts one DC of the multi-DC lab (for failover tests): dc.sh stop|start|status mdc1|mdc2.
# start returns once its LDAPS answers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mdc_lab
name=${2:-}
dc_ip "$name" >/dev/null
case ${1:-} in
  stop) dc_stop "$name" ;;
  start) dc_start "$name" ;;
  status) [ -f "$DIR/$name.pid" ] && kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null && echo running || echo stopped ;;
  *) echo "usage: dc.sh stop|start|status mdc1|mdc2" >&2; exit 2 ;;
esac
