/*
 * test_sockaddr.c - unit tests for lib/sockaddr.c: address text (v4,
 * v6, v4-mapped, an unreadable address), the loopback test, and Unix
 * socket paths at and past the limit, both ends of a connected socket.
 */
#include "tests/unit/testlib.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "lib/sockaddr.h"

/* addr - a sockaddr_storage from text */
static socklen_t
addr(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') == NULL) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
		return sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
		return sizeof(*a);
	}
}

static const struct {
	const char *in, *text;
	bool loopback;
} rows[] = {
	{ "192.0.2.1", "192.0.2.1", false },
	{ "127.0.0.1", "127.0.0.1", true },
	{ "127.200.3.4", "127.200.3.4", true },
	{ "128.0.0.1", "128.0.0.1", false },
	{ "::1", "::1", true },
	{ "2001:db8::1", "2001:db8::1", false },
	{ "::ffff:192.0.2.9", "192.0.2.9", false },
	{ "::ffff:127.0.0.5", "127.0.0.5", true },
	{ "::ffff:0:1", "0.0.0.1", false },
	{ "fe80::1", "fe80::1", false },
};

/* test_text_loopback - the table */
static void
test_text_loopback(void **state)
{
	struct sockaddr_storage ss;
	char text[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		socklen_t len = addr(rows[i].in, &ss);

		sockaddr_text(&ss, len, text, sizeof(text));
		assert_string_equal(text, rows[i].text);
		assert_int_equal(sockaddr_is_loopback(&ss), rows[i].loopback);
	}
	/* An address getnameinfo cannot read (a short length). */
	addr("192.0.2.1", &ss);
	sockaddr_text(&ss, 2, text, sizeof(text));
	assert_string_equal(text, "unknown");
	/* Not an IP address at all. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_false(sockaddr_is_loopback(&ss));
}

/* test_un - paths that fit, and one that does not */
static void
test_un(void **state)
{
	struct sockaddr_un sun;
	char path[sizeof(sun.sun_path) + 1];

	(void)state;
	assert_int_equal(sockaddr_un_set(&sun, "/run/x/private/qmgr"), 0);
	assert_int_equal(sun.sun_family, AF_UNIX);
	assert_string_equal(sun.sun_path, "/run/x/private/qmgr");
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(sockaddr_un_set(&sun, path), -1);
	path[sizeof(sun.sun_path) - 1] = '\0';
	assert_int_equal(sockaddr_un_set(&sun, path), 0);
	assert_int_equal(strlen(sun.sun_path), sizeof(sun.sun_path) - 1);
}

/* test_fd_text - both ends of a TCP connection on 127.0.0.1 */
static void
test_fd_text(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char peer[64], local[64];
	int lfd, cfd, afd;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_true(sockaddr_fd_text(afd, peer, sizeof(peer), local,
				     sizeof(local)));
	assert_string_equal(peer, "127.0.0.1");
	assert_string_equal(local, "127.0.0.1");
	close(afd);
	close(cfd);
	close(lfd);
	/* Not a socket: neither end is known. */
	assert_false(sockaddr_fd_text(-1, peer, sizeof(peer), local,
				      sizeof(local)));
	assert_string_equal(peer, "unknown");
	assert_string_equal(local, "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_loopback),
		cmocka_unit_test(test_un),
		cmocka_unit_test(test_fd_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
