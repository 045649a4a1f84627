/*
 * test_smtp.c - unit tests for the SMTP client's pure parts: next-hop
 * syntax (smtp/nexthop.c) and the content encoder (smtp/content.c), with
 * malformed next hops and content cut at every possible chunk boundary;
 * which addresses and ports are this system's own smtpd (smtp/self.c).
 */
#include "tests/unit/testlib.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "smtp/smtp.h"

struct nexthop_row {
	const char *text;
	int ret;
	const char *host;
	unsigned port;
	bool mx;
	bool literal;
};

static const struct nexthop_row nexthop_rows[] = {
	{ "example.com", 0, "example.com", 25, true, false },
	{ "example.com.", 0, "example.com", 25, true, false },
	{ "example.com:2525", 0, "example.com", 2525, true, false },
	{ "[mail.example.com]", 0, "mail.example.com", 25, false, false },
	{ "[mail.example.com]:587", 0, "mail.example.com", 587, false, false },
	{ "[192.0.2.1]", 0, "192.0.2.1", 25, false, true },
	{ "[127.0.0.1]:10999", 0, "127.0.0.1", 10999, false, true },
	{ "[ipv6:2001:db8::1]:26", 0, "2001:db8::1", 26, false, true },
	{ "[2001:db8::1]", 0, "2001:db8::1", 25, false, true },
	{ "192.0.2.7", 0, "192.0.2.7", 25, false, true },
	/* malformed */
	{ "", -1, NULL, 0, false, false },
	{ "[", -1, NULL, 0, false, false },
	{ "[]", -1, NULL, 0, false, false },
	{ "[host", -1, NULL, 0, false, false },
	{ "[host]x", -1, NULL, 0, false, false },
	{ "[host]:", -1, NULL, 0, false, false },
	{ "[host]:0", -1, NULL, 0, false, false },
	{ "[host]:65536", -1, NULL, 0, false, false },
	{ "host:25x", -1, NULL, 0, false, false },
	{ ":25", -1, NULL, 0, false, false },
	{ "bad host", -1, NULL, 0, false, false },
	{ "a..b", -1, NULL, 0, false, false },
	{ "-a.b", -1, NULL, 0, false, false },
	{ "h\xc3\xa9.example", -1, NULL, 0, false, false },
};

/* test_nexthop - the table */
static void
test_nexthop(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nexthop_rows) / sizeof(nexthop_rows[0]); i++) {
		const struct nexthop_row *row = &nexthop_rows[i];
		struct nexthop nh;
		const char *error = NULL;

		assert_int_equal(nexthop_parse(row->text, 25, &nh, &error),
				 row->ret);
		if (row->ret < 0) {
			assert_non_null(error);
			continue;
		}
		assert_string_equal(nh.host, row->host);
		assert_int_equal(nh.port, row->port);
		assert_int_equal(nh.mx, row->mx);
		assert_int_equal(nh.literal, row->literal);
	}
}

/* test_nexthop_long - a host name over DNS_NAME_MAX is refused */
static void
test_nexthop_long(void **state)
{
	char text[DNS_NAME_MAX + 8];
	struct nexthop nh;
	const char *error;

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(nexthop_parse(text, 25, &nh, &error), -1);
	text[DNS_NAME_MAX] = '\0';
	assert_int_equal(nexthop_parse(text, 25, &nh, &error), 0);
}

/* encode - run the encoder over in, cut into chunks of chunk octets */
static void
encode(const char *in, size_t n, size_t chunk, struct buf *out)
{
	struct smtp_content c;
	size_t i;

	smtp_content_init(&c);
	for (i = 0; i < n; i += chunk)
		smtp_content_encode(&c, (const uint8_t *)in + i,
				    n - i < chunk ? n - i : chunk, out);
	smtp_content_finish(&c, out);
}

struct content_row {
	const char *in;
	const char *out;
};

static const struct content_row content_rows[] = {
	{ "", ".\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "x\r\n.\r\n..y\r\n", "x\r\n..\r\n...y\r\n.\r\n" },
	{ "x\r\n. \r\n", "x\r\n.. \r\n.\r\n" },
	/* bare LF and CR become CRLF; never a bare one on the wire */
	{ "a\nb\rc\r", "a\r\nb\r\nc\r\n.\r\n" },
	{ "a\n.b", "a\r\n..b\r\n.\r\n" },
	{ "a\r\r\n", "a\r\n\r\n.\r\n" },
	{ "mid.dle\r\n", "mid.dle\r\n.\r\n" },
};

/* test_content - every row, cut at every chunk size */
static void
test_content(void **state)
{
	size_t i, chunk;

	(void)state;
	for (i = 0; i < sizeof(content_rows) / sizeof(content_rows[0]); i++) {
		const char *in = content_rows[i].in;
		size_t n = strlen(in);

		for (chunk = 1; chunk <= n + 1; chunk++) {
			struct buf out;

			buf_init(&out, 1024);
			encode(in, n, chunk, &out);
			assert_int_equal(out.len, strlen(content_rows[i].out));
			assert_memory_equal(out.data, content_rows[i].out,
					    out.len);
			buf_deinit(&out);
		}
	}
}

/* test_addr_format - both families */
static void
test_addr_format(void **state)
{
	struct dns_addr a;
	char text[64];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", &a.u.v4);
	nexthop_addr_format(&a, text, sizeof(text));
	assert_string_equal(text, "192.0.2.9");
	a.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::9", &a.u.v6);
	nexthop_addr_format(&a, text, sizeof(text));
	assert_string_equal(text, "2001:db8::9");
}

/* downgrade - the three passes over in, chunk octets at a time */
static size_t
downgrade(const char *in, size_t chunk, struct buf *out)
{
	struct smtp_downgrade *d = smtp_downgrade_new();
	size_t n = strlen(in), i, edits;

	for (i = 0; i < n; i += chunk)
		smtp_downgrade_parse(d, (const uint8_t *)in + i,
				     n - i < chunk ? n - i : chunk);
	smtp_downgrade_parsed(d);
	for (i = 0; i < n; i += chunk)
		smtp_downgrade_check(d, (const uint8_t *)in + i,
				     n - i < chunk ? n - i : chunk);
	edits = smtp_downgrade_plan(d);
	for (i = 0; i < n; i += chunk)
		smtp_downgrade_feed(d, (const uint8_t *)in + i,
				    n - i < chunk ? n - i : chunk, out);
	smtp_downgrade_finish(d, out);
	smtp_downgrade_free(&d);
	return edits;
}

struct downgrade_row {
	const char *in;
	const char *out;	/* NULL: unchanged, no edits */
};

static const struct downgrade_row downgrade_rows[] = {
	{ "Subject: x\r\n\r\ncaf\xc3\xa9\r\n",
	  "Subject: x\r\nMIME-Version: 1.0\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "caf=C3=A9\r\n" },
	{ "Subject: plain\r\n\r\nascii only\r\n", NULL },
	{ "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n"
	  "\xc3\xa9t\xc3\xa9 = summer \r\n.dot\r\n",
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "=C3=A9t=C3=A9 =3D summer=20\r\n.dot\r\n" },
	/* base64 parts and 8-bit headers stay as they are */
	{ "MIME-Version: 1.0\r\nSubject: \xc3\xa9\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nw6k=\r\n",
	  NULL },
	{ "MIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n"
	  "preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	  "seven bit\r\n--b\r\n"
	  "Content-Type: text/plain; charset=latin1\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n"
	  "  (folded comment)\r\n\r\n"
	  "\xe9\xe9\r\n--b--\r\n",
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	  "Content-Transfer-Encoding: 7bit\r\n\r\n"
	  "preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	  "seven bit\r\n--b\r\n"
	  "Content-Type: text/plain; charset=latin1\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "=E9=E9\r\n--b--\r\n" },
};

/* test_downgrade - the table, whole and one octet at a time */
static void
test_downgrade(void **state)
{
	size_t i, c;
	static const size_t chunks[] = { 1, 7, 1 << 20 };

	(void)state;
	for (i = 0; i < sizeof(downgrade_rows) / sizeof(downgrade_rows[0]);
	     i++) {
		const struct downgrade_row *row = &downgrade_rows[i];

		for (c = 0; c < 3; c++) {
			struct buf out;
			size_t edits;

			buf_init(&out, 1 << 20);
			edits = downgrade(row->in, chunks[c], &out);
			if (row->out == NULL) {
				assert_int_equal(edits, 0);
				assert_int_equal(out.len, strlen(row->in));
				assert_memory_equal(out.data, row->in, out.len);
			} else {
				assert_true(edits > 0);
				assert_int_equal(out.len, strlen(row->out));
				assert_memory_equal(out.data, row->out, out.len);
			}
			buf_deinit(&out);
		}
	}
}

/* test_qp_lines - soft breaks keep every line within 76 octets */
static void
test_qp_lines(void **state)
{
	char in[4096];
	struct buf out;
	size_t i, col = 0;

	(void)state;
	memcpy(in, "Subject: l\r\n\r\n", 14);
	for (i = 14; i < 3000; i++)
		in[i] = (char)(i % 3 == 0 ? 0xe9 : (i % 3 == 1 ? '=' : 'a'));
	memcpy(in + 3000, "\r\n", 3);
	buf_init(&out, 1 << 20);
	assert_true(downgrade(in, 1 << 20, &out) > 0);
	for (i = 0; i < out.len; i++) {
		if (out.data[i] == '\r') {
			assert_true(col <= 76);
			col = 0;
			i++;
			continue;
		}
		assert_true(out.data[i] < 0x80);
		col++;
	}
	buf_deinit(&out);
}

/* self_addr - text to a dns_addr */
static struct dns_addr
self_addr(const char *text)
{
	struct dns_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(text, ':') != NULL) {
		a.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a.u.v6), 1);
	} else {
		a.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a.u.v4), 1);
	}
	return a;
}

/* self_is - smtp_self_is on text */
static bool
self_is(const struct smtp_self *self, const char *text, unsigned port)
{
	struct dns_addr a = self_addr(text);

	return smtp_self_is(self, &a, port);
}

/* test_self - listeners with and without an address; other daemons */
static void
test_self(void **state)
{
	static const char master_cf[] =
		"127.0.0.1:2525 inet n - n - - smtpd\n"
		"2626 inet n - n - - smtpd -o syslog_name=x\n"
		"127.0.0.1:2727 inet n - n - - pop3d\n"
		"qmgr unix - - n - 1 qmgr\n";
	const char *saved = param_config_directory;
	struct smtp_self *self;
	char dir[64], *path;

	(void)state;
	testlib_tmpdir(dir, sizeof(dir), "test_smtp_self");
	path = mem_asprintf("%s/master.cf", dir);
	assert_int_equal(io_atomic_replace(path, master_cf,
					   sizeof(master_cf) - 1, 0644),
			 0);
	param_config_directory = dir;
	self = smtp_self_new();
	/* The address it names, on its port only. */
	assert_true(self_is(self, "127.0.0.1", 2525));
	assert_false(self_is(self, "127.0.0.2", 2525));
	assert_false(self_is(self, "127.0.0.1", 25));
	/* No address: every address of this machine. */
	assert_true(self_is(self, "127.0.0.9", 2626));
	assert_true(self_is(self, "::1", 2626));
	assert_false(self_is(self, "192.0.2.1", 2626));
	assert_false(self_is(self, "2001:db8::1", 2626));
	/* Not smtpd. */
	assert_false(self_is(self, "127.0.0.1", 2727));
	smtp_self_free(&self);
	assert_null(self);

	/* No master.cf: a warning, and nothing is ours. */
	assert_int_equal(unlink(path), 0);
	testlib_log_expect("MX loop detection");
	self = smtp_self_new();
	assert_false(self_is(self, "127.0.0.1", 2525));
	smtp_self_free(&self);
	param_config_directory = saved;
	mem_free(&path);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nexthop),
		cmocka_unit_test(test_nexthop_long),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test(test_downgrade),
		cmocka_unit_test(test_qp_lines),
		cmocka_unit_test_setup_teardown(test_self, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
