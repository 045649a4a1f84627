/*
 * test_resolve.c - unit tests of local/resolve.c: domain classes, address
 * and extension splitting, delay notation, the Delivered-To header scan
 * (whole, byte by byte and split at every offset), forward_path expansion,
 * outcome merging and the log line.
 */
#include <stdio.h>
#include <string.h>

#include "lib/mem.h"
#include "local/local.h"
#include "tests/unit/testlib.h"

/* test_domain_classify - mydestination first, then virtual, else none */
static void
test_domain_classify(void **state)
{
	char *mydest[] = { "localhost", "mail.example.com", NULL };
	char *virt[] = { "example.org", NULL };
	static const struct {
		const char *domain;
		enum local_domain_class want;
	} rows[] = {
		{ "localhost", LOCAL_DOMAIN_LOCAL },
		{ "LocalHost", LOCAL_DOMAIN_LOCAL },
		{ "mail.example.com", LOCAL_DOMAIN_LOCAL },
		{ "example.org", LOCAL_DOMAIN_VIRTUAL },
		{ "EXAMPLE.ORG", LOCAL_DOMAIN_VIRTUAL },
		{ "example.com", LOCAL_DOMAIN_NONE },
		{ "sub.example.org", LOCAL_DOMAIN_NONE },
		{ "", LOCAL_DOMAIN_NONE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(local_domain_classify(rows[i].domain, mydest,
						       virt),
				 rows[i].want);
	assert_int_equal(local_domain_classify(NULL, mydest, virt),
			 LOCAL_DOMAIN_NONE);
}

/* test_addr_split - last '@', lower case, empty local part refused */
static void
test_addr_split(void **state)
{
	static const struct {
		const char *addr;
		int rc;
		const char *local, *domain;
	} rows[] = {
		{ "Alice@LocalHost", 0, "alice", "localhost" },
		{ "a@b@example.com", 0, "a@b", "example.com" },
		{ "bob+Ext@x", 0, "bob+ext", "x" },
		{ "postmaster", 0, "postmaster", "" },
		{ "@example.com", -1, NULL, NULL },
		{ "", -1, NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *local, *domain;

		assert_int_equal(local_addr_split(rows[i].addr, &local,
						  &domain),
				 rows[i].rc);
		if (rows[i].rc == 0) {
			assert_string_equal(local, rows[i].local);
			assert_string_equal(domain, rows[i].domain);
		} else {
			assert_null(local);
			assert_null(domain);
		}
		mem_free(&local);
		mem_free(&domain);
	}
}

/* test_ext_split - Postfix split_addr rules */
static void
test_ext_split(void **state)
{
	static const struct {
		const char *local, *delim;
		size_t want;
	} rows[] = {
		{ "bob+ext", "+", 3 },
		{ "bob+ext+more", "+", 3 },
		{ "bob-ext", "+-", 3 },
		{ "bob", "+", 0 },
		{ "bob+ext", "", 0 },
		{ "bob+ext", NULL, 0 },
		{ "+sales", "+", 0 },
		{ "postmaster+x", "+", 3 + 7 },
		{ "postmaster", "+", 0 },
		{ "owner-list", "-", 0 },
		{ "list-request", "-", 0 },
		{ "owner-list", "+", 0 },
		{ "bob+", "+", 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(local_ext_split(rows[i].local, rows[i].delim),
				 rows[i].want);
}

/* test_format_delay - two significant digits below 10 s */
static void
test_format_delay(void **state)
{
	static const struct {
		double s;
		const char *want;
	} rows[] = {
		{ 0, "0" },	 { 0.123, "0.12" }, { 1.26, "1.3" },
		{ 9.4, "9.4" },	 { 12.6, "13" },    { 3600, "3600" },
		{ -1, "0" },
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		deliver_delay_format(rows[i].s, out, sizeof(out));
		assert_string_equal(out, rows[i].want);
	}
}

/* scan_rows - header blocks and whether they hold the loop header */
static const struct {
	const char *text;
	const char *addr;
	bool found;
} scan_rows[] = {
	{ "Delivered-To: a@x\r\nSubject: s\r\n\r\nbody\r\n", "a@x", true },
	{ "Subject: s\r\ndelivered-to:   A@X  \r\n\r\n", "a@x", true },
	{ "Subject: s\nDelivered-To: a@x\n\n", "a@x", true },
	{ "Delivered-To: b@x\r\n\r\n", "a@x", false },
	{ "Delivered-To: a@xy\r\n\r\n", "a@x", false },
	{ "X-Delivered-To: a@x\r\n\r\n", "a@x", false },
	{ "Subject: s\r\n\r\nDelivered-To: a@x\r\n", "a@x", false },
	{ "Delivered-To: a@x", "a@x", false },	/* no line end */
	{ "", "a@x", false },
};

/* scan_run - feed text in pieces of at most chunk octets (0: whole) */
static bool
scan_run(const char *text, const char *addr, size_t chunk, size_t split)
{
	struct local_hdr_scan scan;
	size_t n = strlen(text), off = 0;

	local_hdr_scan_init(&scan, addr);
	if (split != 0) {
		local_hdr_scan_feed(&scan, (const uint8_t *)text, split);
		off = split;
	}
	while (off < n && !scan.done) {
		size_t take = chunk == 0 || chunk > n - off ? n - off : chunk;

		local_hdr_scan_feed(&scan, (const uint8_t *)text + off, take);
		off += take;
	}
	return scan.found;
}

/* test_hdr_scan - whole, byte by byte, split at every offset */
static void
test_hdr_scan(void **state)
{
	size_t i, split;

	(void)state;
	for (i = 0; i < sizeof(scan_rows) / sizeof(scan_rows[0]); i++) {
		const char *t = scan_rows[i].text;

		assert_int_equal(scan_run(t, scan_rows[i].addr, 0, 0),
				 scan_rows[i].found);
		assert_int_equal(scan_run(t, scan_rows[i].addr, 1, 0),
				 scan_rows[i].found);
		for (split = 1; split < strlen(t); split++)
			assert_int_equal(scan_run(t, scan_rows[i].addr, 0,
						  split),
					 scan_rows[i].found);
	}
}

/* test_hdr_scan_limits - long lines are skipped, the scan is bounded */
static void
test_hdr_scan_limits(void **state)
{
	struct local_hdr_scan scan;
	static uint8_t big[LOCAL_HEADER_LINE_MAX + 100];
	static const char hdr[] = "\nDelivered-To: a@x\n\n";

	(void)state;
	/* A too-long line that ends in the header is not a match... */
	memset(big, 'x', sizeof(big));
	memcpy(big, "Delivered-To: a@x", 17);
	local_hdr_scan_init(&scan, "a@x");
	local_hdr_scan_feed(&scan, big, sizeof(big));
	assert_false(scan.done);
	/* ...and the lines after it are still scanned. */
	local_hdr_scan_feed(&scan, (const uint8_t *)hdr, sizeof(hdr) - 1);
	assert_true(scan.found);

	/* Past LOCAL_HEADER_SCAN_MAX the scan gives up. */
	local_hdr_scan_init(&scan, "a@x");
	memset(big, 'y', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	while (!local_hdr_scan_feed(&scan, big, sizeof(big)))
		;
	assert_false(scan.found);
	assert_true(scan.scanned > LOCAL_HEADER_SCAN_MAX);
}

/* test_forward_path - $names, ${names}, empty values skip the element */
static void
test_forward_path(void **state)
{
	static const struct {
		const char *elem, *ext;
		const char *want;
	} rows[] = {
		{ "$home/.forward", NULL, "/home/u/.forward" },
		{ "$home/.forward${recipient_delimiter}${extension}", "x",
		  "/home/u/.forward+x" },
		{ "$home/.forward${recipient_delimiter}${extension}", NULL,
		  NULL },
		{ "$home/.forward${recipient_delimiter}${extension}", "",
		  NULL },
		{ "/var/forward/$user", NULL, "/var/forward/u" },
		{ "/x/${domain}/$local", NULL, "/x/d/l" },
		{ "$nosuch/x", NULL, NULL },
		{ "${home", NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = local_forward_path_expand(
			rows[i].elem, "/home/u", "u", rows[i].ext, "+", "d",
			"l");

		if (rows[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, rows[i].want);
		mem_free(&got);
	}
}

/* test_outcome - texts sanitised, deferred beats bounced beats sent */
static void
test_outcome(void **state)
{
	struct local_outcome total, one;
	char *lists[] = { "alias", "Forward", NULL };

	(void)state;
	local_outcome_set(&total, DELIVER_STATUS_SENT, "2.0.0", "a\nb%s",
			  "\x01");
	assert_string_equal(total.text, "a?b?");
	local_outcome_set(&one, DELIVER_STATUS_BOUNCED, "5.1.1", "unknown");
	local_outcome_merge(&total, &one);
	assert_int_equal(total.status, DELIVER_STATUS_BOUNCED);
	local_outcome_set(&one, DELIVER_STATUS_DEFERRED, "4.2.0", "locked");
	local_outcome_merge(&total, &one);
	assert_string_equal(total.dsn, "4.2.0");
	local_outcome_set(&one, DELIVER_STATUS_SENT, "2.0.0", "ok");
	local_outcome_merge(&total, &one);
	assert_int_equal(total.status, DELIVER_STATUS_DEFERRED);

	assert_true(local_list_has(lists, "forward"));
	assert_true(local_list_has(lists, "ALIAS"));
	assert_false(local_list_has(lists, "include"));
	assert_false(local_list_has(NULL, "alias"));
}

/* test_log_line - Postfix's format, orig_to only when different */
static void
test_log_line(void **state)
{
	struct local_outcome out;

	(void)state;
	local_outcome_set(&out, DELIVER_STATUS_SENT, "2.0.0",
			  "delivered to maildir");
	local_log_delivery("ID1", "bob@x", "team@x", 0, &out);
	assert_true(testlib_log_contains(
		"ID1: to=<bob@x>, orig_to=<team@x>, relay=local, delay="));
	assert_true(testlib_log_contains(
		", dsn=2.0.0, status=sent (delivered to maildir)"));
	local_log_delivery("ID2", "bob@x", "BOB@x", 0, &out);
	assert_true(testlib_log_contains("ID2: to=<bob@x>, relay=local, "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_domain_classify,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_addr_split, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_ext_split, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_format_delay,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_hdr_scan, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_hdr_scan_limits,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_forward_path,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_outcome, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_log_line, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
