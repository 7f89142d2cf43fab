#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the unit tests and the fake-device runs; print one KTAP stream.
cd "$(dirname "$0")" || exit 1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{ ./test_consumer; ./e2e.sh; } >"$tmp" 2>&1
n=$(grep -Ec '^(not )?ok ' "$tmp")
echo "KTAP version 1"
echo "1..$n"
awk '
/^KTAP version/ || /^1\.\./ { next }
/^not ok / { sub(/^not ok ([0-9]+ )?/, ""); printf "not ok %d %s\n", ++i, $0; bad++; next }
/^ok / { sub(/^ok ([0-9]+ )?/, ""); printf "ok %d %s\n", ++i, $0; next }
/^# [0-9]+ tests, [0-9]+ failed$/ { next }
{ print }
END { printf "# %d tests, %d failed\n", i, bad; exit bad ? 1 : 0 }' "$tmp"
