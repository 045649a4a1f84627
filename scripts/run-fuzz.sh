#!/bin/sh
# run-fuzz.sh DIR SECONDS - run every libFuzzer binary fuzz_* in DIR for
# SECONDS each, starting from its seed corpus in tests/fuzz/corpus/NAME.
# New inputs go to a scratch copy, never into the source tree. Fails when a
# target finds a crash, leak or timeout.
set -eu
dir=$1 seconds=$2
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	mkdir -p "$work/$name"
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -r "$top/tests/fuzz/corpus/$name/." "$work/$name/"
	fi
	echo "fuzz $name for ${seconds}s"
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -artifact_prefix="$work/" -print_final_stats=0 \
		"$work/$name" >"$work/$name.log" 2>&1 || {
		tail -40 "$work/$name.log"
		echo "fuzz $name: FAILED"
		exit 1
	}
	count=$((count + 1))
done
echo "fuzz: $count targets ran clean"
