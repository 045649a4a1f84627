#!/bin/sh
# install-deps.sh - install the Debian packages that building, running and
# testing mailroom need, and the mail_owner system user.
#
#   scripts/install-deps.sh          install what is missing (as root),
#                                    or print the apt-get line (as others)
#   scripts/install-deps.sh --check  exit 0 when nothing is missing
#
# swaks needs libnet-ssleay-perl for --tls (only recommended by the package).
# Postfix is installed only for its smtp-source and smtp-sink test tools: it
# is preseeded to "No configuration" and a temporary policy-rc.d keeps apt
# from starting any service while packages are installed.
set -eu

PACKAGES="gcc make cmake clang libclang-rt-14-dev pkg-config libssl-dev
libdb-dev libc-ares-dev libcmocka-dev libcrypt-dev python3 openssl swaks
libnet-ssleay-perl dnsmasq-base postfix pflogsumm fetchmail isync mutt
iproute2 procps util-linux"
MAIL_OWNER=${MAIL_OWNER:-mailroom}

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

need_user=0
if [ "$(id -u)" = 0 ] && ! getent passwd "$MAIL_OWNER" >/dev/null; then
	need_user=1
fi

if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ] && [ $need_user = 0 ]
	exit $?
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "mailroom needs these Debian packages; run as root:" >&2
		echo "  apt-get update && apt-get install -y$missing" >&2
		exit 1
	fi
	echo "installing:$missing" >&2
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
	own_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
	if [ $rc = 0 ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o Dpkg::Options::=--force-confdef \
			-o Dpkg::Options::=--force-confold $missing || rc=$?
	fi
	[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	if [ $rc != 0 ]; then
		echo "apt-get failed (exit $rc)" >&2
		exit 1
	fi
fi

if [ $need_user = 1 ]; then
	echo "creating system user $MAIL_OWNER" >&2
	useradd --system --user-group --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin "$MAIL_OWNER"
fi
exit 0
