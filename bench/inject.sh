#!/bin/sh
# inject.sh [MESSAGES] [SIZE] [SESSIONS] - injection rate of smtpd into the
# queue with Postfix's smtp-source. Prints messages/s. Durability is the
# real one: every 250 follows fsync of the file and of active/.
set -eu
messages=${1:-5000} size=${2:-4096} sessions=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
build=${MR_BUILD_DIR:-$here/../build}
mr=$build/sbin/mailroom
dir=$(mktemp -d /tmp/mr-bench-inject.XXXXXX)
chmod 755 "$dir"
base=$((41000 + $$ % 50 * 100))
cleanup() {
	pid=$(cat "$dir/data/master.pid" 2>/dev/null || true)
	timeout 60 "$mr" -c "$dir" stop >/dev/null 2>&1 || true
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"$mr" -c "$dir" init --base-port "$base" >/dev/null
"$mr" -c "$dir" start 2>/dev/null
t0=$(date +%s.%N)
timeout 1200 smtp-source -s "$sessions" -m "$messages" -l "$size" \
	-f sender@bench.example -t somebody@relay.example "127.0.0.1:$((base + 25))"
t1=$(date +%s.%N)
queued=$(find "$dir/queue/active" -type f | wc -l)
awk -v n="$messages" -v a="$t0" -v b="$t1" -v q="$queued" 'BEGIN {
	printf "inject: %d messages in %.2f s = %.0f msg/s (%d in the queue)\n",
		n, b - a, n / (b - a), q }'
