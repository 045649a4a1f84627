#!/bin/sh
# check-style.sh - the checks of STYLE that a grep can do: banned
# functions, and the largest source files (soft ceiling ~1,500 lines).
set -eu
cd "$(dirname "$0")/.."
dirs="lib master smtpd qmgr smtp local pop3d imapd tools"
files=$(for d in $dirs; do [ -d "$d" ] && find "$d" -name '*.[ch]'; done)
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|alloca)[[:space:]]*\('
# shellcheck disable=SC2086
if grep -nE "$banned" $files; then
	echo "check-style: banned function used (STYLE.md section 3)" >&2
	exit 1
fi
echo "check-style: no banned functions; largest files:"
# shellcheck disable=SC2086
wc -l $(echo "$files" | grep '\.c$') | sort -n | tail -6 | sed '$d'
