/*
 * test_dns_cache.c - unit tests for lib/dns_cache.c: storing and finding
 * by (name, type) ignoring case, expiry at the stored TTL, what is never
 * stored (TTL 0, temporary failures, a cache of limit 0), replacement,
 * eviction of the oldest entry at the limit, dropping of expired entries
 * from the old end, limit changes, and deep copies.
 */
#include "tests/unit/testlib.h"

#include <stdio.h>
#include <string.h>

#include "lib/dns_cache.h"
#include "lib/dns_parse.h"
#include "lib/mem.h"

/* mx_set - an MX RRset of one host */
static void
mx_set(struct dns_rrset *rs, struct dns_rdata *rd, unsigned pref,
       const char *host)
{
	memset(rd, 0, sizeof(*rd));
	rd->pref = (uint16_t)pref;
	rd->name = (char *)host;
	rs->status = DNS_OK;
	rs->count = 1;
	rs->rd = rd;
}

static void
test_put_get(void **state)
{
	static const struct {
		const char *put_name;
		uint16_t put_type;
		uint32_t ttl_s;
		enum dns_status status;
		const char *get_name;
		uint16_t get_type;
		uint64_t get_at_ms;	/* after the put at 1000 */
		bool found;
	} rows[] = {
		{ "a.test", DNS_TYPE_MX, 300, DNS_OK, "a.test", DNS_TYPE_MX,
		  1000, true },
		{ "a.test", DNS_TYPE_MX, 300, DNS_OK, "A.TEST", DNS_TYPE_MX,
		  1000, true },
		{ "A.Test", DNS_TYPE_MX, 300, DNS_OK, "a.test", DNS_TYPE_MX,
		  1000, true },
		{ "a.test", DNS_TYPE_MX, 300, DNS_OK, "a.test", DNS_TYPE_A,
		  1000, false },
		{ "a.test", DNS_TYPE_MX, 300, DNS_OK, "b.test", DNS_TYPE_MX,
		  1000, false },
		{ "a.test", DNS_TYPE_MX, 300, DNS_OK, "a.test", DNS_TYPE_MX,
		  300999, true },
		{ "a.test", DNS_TYPE_MX, 300, DNS_OK, "a.test", DNS_TYPE_MX,
		  301000, false },
		{ "a.test", DNS_TYPE_MX, 0, DNS_OK, "a.test", DNS_TYPE_MX,
		  1000, false },
		{ "a.test", DNS_TYPE_MX, 300, DNS_TEMPFAIL, "a.test",
		  DNS_TYPE_MX, 1000, false },
		{ "a.test", DNS_TYPE_MX, 5, DNS_NXDOMAIN, "a.test",
		  DNS_TYPE_MX, 5999, true },
		{ "a.test", DNS_TYPE_MX, 5, DNS_NODATA, "a.test", DNS_TYPE_MX,
		  6000, false },
		{ "a.test", DNS_TYPE_MX, 4294967295u, DNS_OK, "a.test",
		  DNS_TYPE_MX, 4294967295000ull, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dns_cache *c = dns_cache_new(10);
		struct dns_rrset rs;
		struct dns_rdata rd;
		const struct dns_rrset *got;

		mx_set(&rs, &rd, 10, "mx.a.test");
		rs.status = rows[i].status;
		if (rs.status != DNS_OK)
			rs.count = 0;
		dns_cache_put(c, rows[i].put_name, rows[i].put_type, &rs,
			      rows[i].ttl_s, 1000);
		got = dns_cache_get(c, rows[i].get_name, rows[i].get_type,
				    rows[i].get_at_ms);
		if ((got != NULL) != rows[i].found)
			fail_msg("row %zu: found %d", i, got != NULL);
		if (got != NULL) {
			assert_int_equal(got->status, rows[i].status);
			assert_int_equal(got->count, rs.count);
			if (got->count > 0) {
				assert_int_equal(got->rd[0].pref, 10);
				assert_string_equal(got->rd[0].name,
						    "mx.a.test");
				/* A copy, not the caller's string. */
				assert_ptr_not_equal(got->rd[0].name,
						     rd.name);
			}
		}
		/* A miss after expiry dropped the entry. */
		if (!rows[i].found && rows[i].get_at_ms > 1000)
			assert_int_equal(dns_cache_count(c), 0);
		dns_cache_free(&c);
		assert_null(c);
	}
}

static void
test_replace(void **state)
{
	struct dns_cache *c = dns_cache_new(10);
	struct dns_rrset rs;
	struct dns_rdata rd;
	const struct dns_rrset *got;

	(void)state;
	mx_set(&rs, &rd, 10, "old.a.test");
	dns_cache_put(c, "a.test", DNS_TYPE_MX, &rs, 300, 0);
	mx_set(&rs, &rd, 20, "new.a.test");
	dns_cache_put(c, "A.test", DNS_TYPE_MX, &rs, 300, 0);
	assert_int_equal(dns_cache_count(c), 1);
	got = dns_cache_get(c, "a.test", DNS_TYPE_MX, 0);
	assert_non_null(got);
	assert_string_equal(got->rd[0].name, "new.a.test");
	/* A later TTL 0 answer drops the old entry. */
	dns_cache_put(c, "a.test", DNS_TYPE_MX, &rs, 0, 0);
	assert_null(dns_cache_get(c, "a.test", DNS_TYPE_MX, 0));
	assert_int_equal(dns_cache_count(c), 0);
	dns_cache_free(&c);
}

static void
test_limit(void **state)
{
	struct dns_cache *c = dns_cache_new(3);
	struct dns_rrset rs;
	struct dns_rdata rd;
	char name[32];

	(void)state;
	mx_set(&rs, &rd, 10, "mx.test");
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "d%d.test", i);
		dns_cache_put(c, name, DNS_TYPE_MX, &rs, 300, 0);
	}
	assert_int_equal(dns_cache_count(c), 3);
	/* The oldest two went. */
	assert_null(dns_cache_get(c, "d0.test", DNS_TYPE_MX, 0));
	assert_null(dns_cache_get(c, "d1.test", DNS_TYPE_MX, 0));
	for (int i = 2; i < 5; i++) {
		snprintf(name, sizeof(name), "d%d.test", i);
		assert_non_null(dns_cache_get(c, name, DNS_TYPE_MX, 0));
	}
	/* Shrinking drops the oldest, growing rebuilds the table. */
	dns_cache_set_limit(c, 1);
	assert_int_equal(dns_cache_count(c), 1);
	assert_non_null(dns_cache_get(c, "d4.test", DNS_TYPE_MX, 0));
	dns_cache_set_limit(c, 5000);
	assert_non_null(dns_cache_get(c, "d4.test", DNS_TYPE_MX, 0));
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "e%d.test", i);
		dns_cache_put(c, name, DNS_TYPE_A, &rs, 300, 0);
	}
	assert_int_equal(dns_cache_count(c), 5000);
	assert_null(dns_cache_get(c, "d4.test", DNS_TYPE_MX, 0));
	for (int i = 0; i < 5000; i += 499) {
		snprintf(name, sizeof(name), "E%d.TEST", i);
		assert_non_null(dns_cache_get(c, name, DNS_TYPE_A, 0));
	}
	/* Limit 0: nothing stays, nothing is stored. */
	dns_cache_set_limit(c, 0);
	assert_int_equal(dns_cache_count(c), 0);
	dns_cache_put(c, "a.test", DNS_TYPE_MX, &rs, 300, 0);
	assert_int_equal(dns_cache_count(c), 0);
	dns_cache_free(&c);
}

/* Stores drop expired entries from the old end, so a quiet cache does
   not keep them until it fills. */
static void
test_sweep(void **state)
{
	struct dns_cache *c = dns_cache_new(100);
	struct dns_rrset rs;
	struct dns_rdata rd;
	char name[32];

	(void)state;
	mx_set(&rs, &rd, 10, "mx.test");
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "short%d.test", i);
		dns_cache_put(c, name, DNS_TYPE_MX, &rs, 1, 0);
	}
	dns_cache_put(c, "long.test", DNS_TYPE_MX, &rs, 300, 0);
	assert_int_equal(dns_cache_count(c), 5);
	dns_cache_put(c, "x.test", DNS_TYPE_MX, &rs, 300, 2000);
	assert_int_equal(dns_cache_count(c), 4);
	dns_cache_put(c, "y.test", DNS_TYPE_MX, &rs, 300, 2000);
	assert_int_equal(dns_cache_count(c), 3);
	assert_non_null(dns_cache_get(c, "long.test", DNS_TYPE_MX, 2000));
	dns_cache_free(&c);
}

static void
test_rrset_copy(void **state)
{
	struct dns_rdata rd[2];
	struct dns_rrset src = { DNS_OK, 2, rd }, dst;

	(void)state;
	memset(rd, 0, sizeof(rd));
	rd[0].addr[0] = 127;
	rd[1].name = (char *)"target.test";
	dns_rrset_copy(&dst, &src);
	assert_int_equal(dst.count, 2);
	assert_int_equal(dst.rd[0].addr[0], 127);
	assert_null(dst.rd[0].name);
	assert_string_equal(dst.rd[1].name, "target.test");
	assert_ptr_not_equal(dst.rd[1].name, rd[1].name);
	dns_rrset_deinit(&dst);
	assert_int_equal(dst.count, 0);
	assert_null(dst.rd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_replace, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_limit, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_sweep, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_rrset_copy, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
