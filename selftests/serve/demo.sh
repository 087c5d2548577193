#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command keeps working: tools/demo (what `make demo`
# runs after building) on this machine: both fetches byte-exact, each
# connection's path said. TAP output.
#
#   demo.sh TOP
TOP=$1
echo "TAP version 13"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if "$TOP/tools/demo" --here > "$out" 2>&1 &&
   [ "$(grep -c 'sha256 matches' "$out")" = 2 ] &&
   [ "$(grep -c '^   serve: .* path="' "$out")" = 2 ] &&
   grep -q '^== done' "$out"; then
	echo "ok 1 demo_serves_and_fetches"
else
	echo "not ok 1 demo_serves_and_fetches"
	sed 's/^/# /' "$out" | tail -n 30
fi
echo "1..1"
