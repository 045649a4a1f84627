#!/usr/bin/env bash
# pop3-hook.sh - hook for the shared mailbox harness (shared/bench/run-mailbox.sh)
# that starts a mailroom instance serving POP3 only: the shared mailroom.sh
# waits for an IMAP listener, which exists only once imapd does. Contract:
# shared/bench/README.md ("Measuring another server").
#
#   OTHER_NAME=mailroom OTHER_HOOK=$PWD/pop3-hook.sh MAILROOM=/path/sbin/mailroom \
#       BENCH_LIB=/path/to/shared/bench/lib.sh ../../shared/bench/run-mailbox.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "${BENCH_LIB:-$here/../../shared/bench/lib.sh}"
cmd=${1:?} workload=${2:?} dir=${3:?}
mr=${MAILROOM:?}
if [[ $cmd == stop ]]; then
	[[ -d $dir/instance ]] || exit 0
	pid=$(cat "$dir/master.pid" 2>/dev/null || true)
	timeout 60 "$mr" -c "$dir/instance" stop >/dev/null 2>&1 || true
	[[ -n $pid ]] && stop_tree "$pid" 15
	exit 0
fi
base=""
for ((p = 41000; p < 60000; p += 1000)); do
	port_in_use $((p + 25)) || port_in_use $((p + 110)) || port_in_use $((p + 995)) || port_in_use $((p + 143)) || { base=$p; break; }
done
[[ -n $base ]] || die "no free port base"
timeout 60 "$mr" -c "$dir/instance" init --base-port "$base" >"$dir/init.log" 2>&1
user=${BENCH_MAIL_USER:-benchuser} pass=${BENCH_MAIL_PASS:-benchpass}
echo "$pass" | timeout 60 "$mr" -c "$dir/instance" user add "$user" >/dev/null
maildir=$(timeout 60 "$mr" -c "$dir/instance" user list | awk -v u="$user" '$1 == u {print $NF}')
# The messages go where the user's Maildir is, owned as it was.
owner=$(stat -c %U "$maildir")
rm -rf "$maildir"
cp -a "${BENCH_MAILDIR_SRC:?}" "$maildir"
chown -R "$owner:" "$maildir"
timeout 60 "$mr" -c "$dir/instance" start >"$dir/start.log" 2>&1
pid=$(timeout 30 "$mr" -c "$dir/instance" status | head -1 | awk '{print $NF}' | tr -dc 0-9)
echo "$pid" >"$dir/master.pid"
wait_listen $((base + 110)) 20 || die "mailroom does not listen on $((base + 110))"
echo "pop3=$BENCH_HOST:$((base + 110))"
echo "user=$user"
echo "pass=$pass"
echo "pid=$pid"
