#!/usr/bin/env bash
# Runs a command inside the multi-DC lab's namespace (so that it resolves the lab's names and SRV records),
# with KCDCTL_MULTIDC_DIR set, and takes the lab down afterwards whatever the command did.
# The lab's folder: $KCDCTL_MULTIDC_DIR, else a new mktemp -d /tmp/kcdctl-mdc.XXXXXX; removed at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export KCDCTL_MULTIDC_DIR=${KCDCTL_MULTIDC_DIR:-$(mktemp -d /tmp/kcdctl-mdc.XXXXXX)}
trap '"$here/multi-dc-down.sh"' EXIT
"$here/multi-dc-up.sh" >/dev/null || { echo "run-with-multi-dc: the multi-DC lab did not start" >&2; exit 1; }
NS=$(cat "$KCDCTL_MULTIDC_DIR/ns")
ip netns exec "$NS" "$@"
