#!/usr/bin/env bash
# Stops the throwaway DC started by dc-up.sh; its state stays in $KCDCTL_DC_DIR for a look.
set -u
DIR=${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}
[ -f "$DIR/samba.pid" ] || exit 0
pid=$(cat "$DIR/samba.pid")
kill "$pid" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null
pkill -9 -f "samba --foreground --no-process-group -s $DIR/" 2>/dev/null
rm -f "$DIR/samba.pid"
echo "dc-down: stopped" >&2
