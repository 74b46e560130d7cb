#!/usr/bin/env bash
# Runs a command with the test DC up, and stops the DC afterwards whatever the command did.
set -u
here=$(dirname "$0")
"$here/dc-up.sh" || { echo "run-with-dc: the test DC did not start" >&2; exit 1; }
trap '"$here/dc-down.sh"' EXIT
set -a; . "${KCDCTL_DC_DIR:-/tmp/kcdctl-dc}/env"; set +a
"$@"
