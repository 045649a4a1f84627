/*
 * test_dns_parse.c - unit tests for lib/dns_parse.c: real responses
 * (captured from dnsmasq), well-formed corner cases and malformed messages
 * as hex rows; every strict prefix of a good message refused; every octet
 * of a good message changed without harm; the reading of answers
 * (CNAME chains, negative answers, TTLs, mismatches) from messages built
 * by a small text-to-wire helper; name comparison.
 *
 * With MR_DNS_WRITE_CORPUS=DIR set, the hex rows are also written to DIR
 * as seed corpus of tests/fuzz/fuzz_dns_parse.c.
 */
#include "tests/unit/testlib.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns_parse.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/str.h"

/* Largest test message. */
#define MSG_MAX 70000

/* Hex pieces: a header with id 0x1234, and names. */
#define HDR(flags, qd, an, ns, ar) "1234" flags qd an ns ar
#define N_A_TEST "01 61 04 74 65 73 74 00"		/* a.test */
#define N_MX_A_TEST "02 6d 78 c0 0c"			/* mx. + ptr */
#define Q_MX "000f 0001"
#define Q_A "0001 0001"
#define OPT_RR "00 0029 04d0 00000000 0000"	/* EDNS0, 1232, no rcode */

/* One parse row: a message as hex and what the parser says. */
struct parse_row {
	const char *name;
	const char *hex;
	int rc;			/* 0 or -1 */
	const char *error;	/* -1: part of the message */
	const char *qname;	/* 0: expected question name (NULL: none) */
	size_t rr_count;	/* 0: kept records */
};

static const struct parse_row parse_rows[] = {
	/* Captured from dnsmasq 2.90: MX of a.test (two MX, additional
	   A/AAAA and OPT). */
	{ "dnsmasq mx",
	  "70f0858000010002000000040161047465737400000f0001c00c000f0001000001"
	  "2c000e0014036d78320161047465737400c00c000f00010000012c000e000a036d"
	  "78310161047465737400c026000100010000012c00047f00000cc026001c000100"
	  "00012c001000000000000000000000000000000001c040000100010000012c0004"
	  "7f00000b00002904d0000000000000",
	  0, NULL, "a.test", 2 },
	/* dnsmasq: l1.test A through three CNAMEs. */
	{ "dnsmasq cname chain",
	  "73a385800001000400000001026c3104746573740000010001c00c000500010000"
	  "003c0009026c32047465737400c025000500010000012c000e05616c6961730161"
	  "047465737400c03a000500010000012c000c036d78310161047465737400c05400"
	  "0100010000012c00047f00000b00002904d0000000000000",
	  0, NULL, "l1.test", 4 },
	/* dnsmasq: REFUSED with an extended DNS error option. */
	{ "dnsmasq refused",
	  "138a81850001000000000001026e78056f7468657200000f000100002904d00000"
	  "00000006000f0002000e",
	  0, NULL, "nx.other", 0 },
	/* dnsmasq: null MX from --dns-rr. */
	{ "dnsmasq null mx",
	  "316d85800001000100000001046e756c6c047465737400000f0001c00c000f0001"
	  "0000012c000300000000002904d0000000000000",
	  0, NULL, "null.test", 1 },
	{ "no question", HDR("8180", "0000", "0000", "0000", "0000"), 0,
	  NULL, NULL, 0 },
	{ "root question",
	  HDR("8180", "0001", "0000", "0000", "0000") "00" Q_MX, 0, NULL, "",
	  0 },
	{ "uncompressed mx",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_MX N_A_TEST
	  "000f 0001 0000012c 000d 000a 02 6d 78" N_A_TEST,
	  0, NULL, "a.test", 1 },
	{ "class CH record with odd data is skipped",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 0001 0003 0000012c 0003 010203",
	  0, NULL, "a.test", 0 },
	{ "unknown type skipped (TXT)",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 0010 0001 0000012c 0004 03 61 62 63",
	  0, NULL, "a.test", 0 },
	{ "authority SOA",
	  HDR("8183", "0001", "0000", "0001", "0000") N_A_TEST Q_MX
	  "c00e 0006 0001 00000e10 001e 02 6e 73 c00e 02 68 6d c00e"
	  "00000001 00000002 00000003 00000004 0000003c",
	  0, NULL, "a.test", 1 },
	{ "pointer to pointer",
	  HDR("8180", "0001", "0002", "0000", "0000") N_A_TEST Q_A
	  "c00c 0001 0001 0000012c 0004 7f000001"
	  "c018 0001 0001 0000012c 0004 7f000002",
	  0, NULL, "a.test", 2 },
	{ "label octets escaped",
	  HDR("8180", "0001", "0000", "0000", "0000")
	  "03 61 2e 00 02 5c 20 00" Q_A,
	  0, NULL, "a\\.\\000.\\\\\\032", 0 },

	/* Malformed. */
	{ "empty", "", -1, "shorter than a header", NULL, 0 },
	{ "short header", "1234 8180 0001 0000 0000 00", -1,
	  "shorter than a header", NULL, 0 },
	{ "missing question", HDR("8180", "0001", "0000", "0000", "0000"),
	  -1, "past the end", NULL, 0 },
	{ "two questions",
	  HDR("8180", "0002", "0000", "0000", "0000") N_A_TEST Q_A N_A_TEST
	  Q_A,
	  -1, "more than one question", NULL, 0 },
	{ "question cut short",
	  HDR("8180", "0001", "0000", "0000", "0000") N_A_TEST "0001 00", -1,
	  "question cut short", NULL, 0 },
	{ "label past the end",
	  HDR("8180", "0001", "0000", "0000", "0000") "05 61 62", -1,
	  "label runs past", NULL, 0 },
	{ "name without end",
	  HDR("8180", "0001", "0000", "0000", "0000") "01 61", -1,
	  "name runs past", NULL, 0 },
	{ "forward pointer",
	  HDR("8180", "0001", "0000", "0000", "0000") "c0 0e 00" Q_A, -1,
	  "backwards", NULL, 0 },
	{ "pointer to itself",
	  HDR("8180", "0001", "0000", "0000", "0000") "c0 0c" Q_A, -1,
	  "backwards", NULL, 0 },
	{ "pointer into its own name",
	  HDR("8180", "0001", "0000", "0000", "0000") "01 61 c0 0c" Q_A, -1,
	  "backwards", NULL, 0 },
	{ "pointer loop between names",
	  HDR("8180", "0001", "0001", "0000", "0000") "01 61 c0 12" Q_A
	  "c0 0c 0001 0001 00000001 0004 7f000001",
	  -1, "backwards", NULL, 0 },
	{ "pointer cut short",
	  HDR("8180", "0001", "0000", "0000", "0000") "01 61 c0", -1,
	  "pointer cut short", NULL, 0 },
	{ "label type 01", HDR("8180", "0001", "0000", "0000", "0000") "41 61",
	  -1, "unknown label type", NULL, 0 },
	{ "label type 10", HDR("8180", "0001", "0000", "0000", "0000") "81 61",
	  -1, "unknown label type", NULL, 0 },
	{ "record cut short",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 0001 0001 0000",
	  -1, "record cut short", NULL, 0 },
	{ "rdata past the end",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 0001 0001 0000012c 0004 7f00",
	  -1, "runs past the end of the message", NULL, 0 },
	{ "missing answer",
	  HDR("8180", "0001", "0002", "0000", "0000") N_A_TEST Q_A
	  "c00c 0001 0001 0000012c 0004 7f000001",
	  -1, "past the end", NULL, 0 },
	{ "A of 3 octets",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 0001 0001 0000012c 0003 7f0000",
	  -1, "not 4 octets", NULL, 0 },
	{ "AAAA of 4 octets",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 001c 0001 0000012c 0004 7f000001",
	  -1, "not 16 octets", NULL, 0 },
	{ "MX of 2 octets",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_MX
	  "c00c 000f 0001 0000012c 0002 000a",
	  -1, "MX record data too short", NULL, 0 },
	{ "MX name past its data",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_MX
	  "c00c 000f 0001 0000012c 0004 000a 02 6d 78 00",
	  -1, "past the record data", NULL, 0 },
	{ "CNAME with an extra octet",
	  HDR("8180", "0001", "0001", "0000", "0000") N_A_TEST Q_A
	  "c00c 0005 0001 0000012c 0003 c00c 00",
	  -1, "length mismatch", NULL, 0 },
	{ "SOA with short numbers",
	  HDR("8180", "0001", "0000", "0001", "0000") N_A_TEST Q_MX
	  "c00e 0006 0001 00000e10 001a 02 6e 73 c00e 02 68 6d c00e"
	  "00000001 00000002 00000003 00000004",
	  -1, "SOA record data length", NULL, 0 },
	{ "two OPT records",
	  HDR("8180", "0001", "0000", "0000", "0002") N_A_TEST Q_A OPT_RR
	  OPT_RR,
	  -1, "more than one OPT", NULL, 0 },
	{ "OPT not owned by the root",
	  HDR("8180", "0001", "0000", "0000", "0001") N_A_TEST Q_A
	  "c00c 0029 04d0 00000000 0000",
	  -1, "not owned by the root", NULL, 0 },
	{ "additional record cut short",
	  HDR("8180", "0001", "0000", "0000", "0001") N_A_TEST Q_A
	  "00 0029 04d0",
	  -1, "record cut short", NULL, 0 },
};

/* hex_decode - hex digits (white space ignored) into out; the length */
static size_t
hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int half = -1;

	for (; *hex != '\0'; hex++) {
		int v = 0;

		if (*hex == ' ')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else
			fail_msg("bad hex digit '%c'", *hex);
		if (half < 0) {
			half = v;
			continue;
		}
		assert_true(n < max);
		out[n++] = (uint8_t)(half << 4 | v);
		half = -1;
	}
	assert_int_equal(half, -1);
	return n;
}

/* corpus_write - one seed file named after the row */
static void
corpus_write(const char *dir, size_t i, const uint8_t *p, size_t n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/row_%02zu", dir, i);
	assert_int_equal(io_atomic_replace(path, p, n, 0644), 0);
}

static void
test_parse_rows(void **state)
{
	const char *corpus = getenv("MR_DNS_WRITE_CORPUS");
	static uint8_t msg[MSG_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]);
	     i++) {
		const struct parse_row *row = &parse_rows[i];
		size_t n = hex_decode(row->hex, msg, sizeof(msg));
		struct dns_msg m;
		const char *error = NULL;
		int rc = dns_msg_parse(msg, n, &m, &error);

		if (corpus != NULL)
			corpus_write(corpus, i, msg, n);
		if (rc != row->rc)
			fail_msg("%s: rc %d (%s)", row->name, rc,
				 error != NULL ? error : "");
		if (rc < 0) {
			if (strstr(error, row->error) == NULL)
				fail_msg("%s: error \"%s\"", row->name, error);
			assert_null(m.rrs);
			continue;
		}
		assert_int_equal(m.has_question, row->qname != NULL);
		if (row->qname != NULL && strcmp(m.qname, row->qname) != 0)
			fail_msg("%s: qname \"%s\"", row->name, m.qname);
		if (m.rr_count != row->rr_count)
			fail_msg("%s: %zu records", row->name, m.rr_count);
		dns_msg_deinit(&m);
	}
}

static void
test_parse_details(void **state)
{
	static uint8_t msg[MSG_MAX];
	struct dns_msg m;
	const char *error;
	size_t n;

	(void)state;
	/* The dnsmasq MX answer, field by field. */
	n = hex_decode(parse_rows[0].hex, msg, sizeof(msg));
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), 0);
	assert_int_equal(m.id, 0x70f0);
	assert_true(m.is_response && m.is_authoritative && m.recursion_desired);
	assert_false(m.is_truncated);
	assert_int_equal(m.opcode, 0);
	assert_int_equal(m.rcode, DNS_RCODE_NOERROR);
	assert_true(m.has_edns);
	assert_int_equal(m.edns_udp_size, 1232);
	assert_int_equal(m.qtype, DNS_TYPE_MX);
	assert_int_equal(m.qclass, DNS_CLASS_IN);
	assert_int_equal(m.rrs[0].type, DNS_TYPE_MX);
	assert_int_equal(m.rrs[0].ttl, 300);
	assert_int_equal(m.rrs[0].section, DNS_SECTION_ANSWER);
	assert_int_equal(m.rrs[0].u.mx.pref, 20);
	assert_string_equal(m.rrs[0].u.mx.exchange, "mx2.a.test");
	assert_int_equal(m.rrs[1].u.mx.pref, 10);
	assert_string_equal(m.rrs[1].u.mx.exchange, "mx1.a.test");
	dns_msg_deinit(&m);

	/* Null MX: the root as exchange is "". */
	n = hex_decode(parse_rows[3].hex, msg, sizeof(msg));
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), 0);
	assert_int_equal(m.rrs[0].u.mx.pref, 0);
	assert_string_equal(m.rrs[0].u.mx.exchange, "");
	dns_msg_deinit(&m);

	/* Extended RCODE from OPT (BADVERS = 16), TTL over 2^31-1 -> 0,
	   SOA minimum, AAAA. */
	n = hex_decode(HDR("8180", "0001", "0001", "0001", "0001")
		       N_A_TEST Q_A
		       "c00c 001c 0001 80000000 0010"
		       "20010db8000000000000000000000001"
		       "c00e 0006 0001 00000e10 0016 00 00"
		       "00000001 00000002 00000003 00000004 0000003c"
		       "00 0029 0200 01000000 0000",
		       msg, sizeof(msg));
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), 0);
	assert_int_equal(m.rcode, 16);
	assert_int_equal(m.edns_udp_size, 512);
	assert_int_equal(m.rr_count, 2);
	assert_int_equal(m.rrs[0].ttl, 0);
	assert_int_equal(m.rrs[0].u.aaaa[0], 0x20);
	assert_int_equal(m.rrs[0].u.aaaa[15], 1);
	assert_int_equal(m.rrs[1].section, DNS_SECTION_AUTHORITY);
	assert_string_equal(m.rrs[1].owner, "test");
	assert_int_equal(m.rrs[1].u.soa.minimum, 60);
	dns_msg_deinit(&m);

	/* A message over 65535 octets is refused from its length. */
	memset(msg, 0, sizeof(msg));
	assert_int_equal(dns_msg_parse(msg, DNS_PARSE_MSG_MAX + 1, &m, &error),
			 -1);
	assert_non_null(strstr(error, "longer than 65535"));
}

/* name_msg - a question whose name has labels of the given lengths */
static size_t
name_msg(uint8_t *msg, const size_t *labels, size_t count, uint8_t fill)
{
	size_t n = hex_decode(HDR("8180", "0001", "0000", "0000", "0000"),
			      msg, MSG_MAX);

	for (size_t i = 0; i < count; i++) {
		msg[n++] = (uint8_t)labels[i];
		memset(msg + n, fill, labels[i]);
		n += labels[i];
	}
	msg[n++] = 0;
	return n + hex_decode(Q_A, msg + n, MSG_MAX - n);
}

/* 255 octets on the wire (253 characters) parse; 256 and a name whose
   escaped text passes 253 characters do not. */
static void
test_parse_name_limits(void **state)
{
	static const size_t max_labels[] = { 63, 63, 63, 61 };
	static const size_t over_labels[] = { 63, 63, 63, 62 };
	static const size_t escaped_labels[] = { 63, 1 };
	static uint8_t msg[MSG_MAX];
	char expect[DNS_PARSE_NAME_MAX + 1];
	struct dns_msg m;
	const char *error;
	size_t n;

	(void)state;
	n = name_msg(msg, max_labels, 4, 'a');
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), 0);
	memset(expect, 'a', sizeof(expect));
	expect[63] = expect[127] = expect[191] = '.';
	expect[DNS_PARSE_NAME_MAX] = '\0';
	assert_string_equal(m.qname, expect);
	dns_msg_deinit(&m);

	n = name_msg(msg, over_labels, 4, 'a');
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), -1);
	assert_non_null(strstr(error, "longer than 255 octets"));

	/* 64 octets of 0x01 are 256 characters of "\001" (and a dot). */
	n = name_msg(msg, escaped_labels, 2, 0x01);
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), -1);
	assert_non_null(strstr(error, "too long in text form"));
}

/* Kept records beyond DNS_PARSE_RR_MAX are counted, not kept. */
static void
test_parse_many_records(void **state)
{
	static uint8_t msg[MSG_MAX];
	size_t count = DNS_PARSE_RR_MAX + 10, n;
	struct dns_msg m;
	const char *error;

	(void)state;
	n = hex_decode(HDR("8180", "0001", "0000", "0000", "0000") N_A_TEST
		       Q_A, msg, sizeof(msg));
	msg[6] = (uint8_t)(count >> 8);
	msg[7] = (uint8_t)count;
	for (size_t i = 0; i < count; i++)
		n += hex_decode("c00c 0001 0001 0000012c 0004 7f000001",
				msg + n, sizeof(msg) - n);
	assert_int_equal(dns_msg_parse(msg, n, &m, &error), 0);
	assert_int_equal(m.rr_count, DNS_PARSE_RR_MAX);
	assert_int_equal(m.rr_skipped, 10);
	dns_msg_deinit(&m);
}

/*
 * Every strict prefix of a good message is refused (each section's count
 * asks for more), and changing any octet to any of a few values never
 * breaks the parser (the sanitizer build watches).
 */
static void
test_parse_prefixes_and_mutations(void **state)
{
	static const uint8_t values[] = { 0x00, 0x01, 0x3f, 0x40, 0x80,
					  0xc0, 0xc1, 0xff };
	static uint8_t msg[MSG_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]);
	     i++) {
		size_t n = hex_decode(parse_rows[i].hex, msg, sizeof(msg));
		struct dns_msg m;
		const char *error;

		if (parse_rows[i].rc != 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			uint8_t *copy = mem_memdup(msg, k);

			if (dns_msg_parse(copy, k, &m, &error) == 0)
				fail_msg("%s: prefix of %zu octets parsed",
					 parse_rows[i].name, k);
			mem_free(&copy);
		}
		for (size_t k = 0; k < n; k++)
			for (size_t v = 0; v < sizeof(values); v++) {
				uint8_t *copy = mem_memdup(msg, n);
				struct dns_answer ans;

				copy[k] = values[v];
				if (dns_msg_parse(copy, n, &m, &error) == 0 &&
				    m.has_question)
					(void)dns_msg_answer(&m, m.qname,
							     m.qtype, &ans,
							     &error);
				dns_msg_deinit(&m);
				mem_free(&copy);
			}
	}
}

/*
 * The text-to-wire helper for answer rows. A message is a list of lines:
 *   "hdr FLAGS"                    header flags in hex (id 0x1234)
 *   "q NAME TYPE"                  the question (class IN)
 *   "an|ns NAME TYPE TTL DATA..."  a record, answers before authority
 *                                  records (class IN unless "/CH"
 *                                  follows the type); DATA: A and AAAA
 *                                  an address, MX "PREF NAME", CNAME a
 *                                  name, SOA "MINIMUM"
 * Names are written uncompressed; "." is the root.
 */
struct wire {
	uint8_t b[4096];
	size_t n;
	size_t counts[4];
};

/* wire_u16 - append a big-endian u16 */
static void
wire_u16(struct wire *w, unsigned v)
{
	assert_true(w->n + 2 <= sizeof(w->b));
	w->b[w->n++] = (uint8_t)(v >> 8);
	w->b[w->n++] = (uint8_t)v;
}

/* wire_u32 - append a big-endian u32 */
static void
wire_u32(struct wire *w, uint32_t v)
{
	wire_u16(w, v >> 16);
	wire_u16(w, v & 0xffffu);
}

/* wire_name - append a dotted name uncompressed */
static void
wire_name(struct wire *w, const char *name)
{
	while (*name != '\0' && strcmp(name, ".") != 0) {
		const char *dot = strchr(name, '.');
		size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);

		assert_true(len > 0 && len <= 63 &&
			    w->n + 1 + len <= sizeof(w->b));
		w->b[w->n++] = (uint8_t)len;
		memcpy(w->b + w->n, name, len);
		w->n += len;
		name += len + (dot != NULL);
	}
	assert_true(w->n < sizeof(w->b));
	w->b[w->n++] = 0;
}

/* wire_type - a type mnemonic */
static unsigned
wire_type(const char *s)
{
	static const struct {
		const char *name;
		unsigned type;
	} types[] = { { "A", DNS_TYPE_A },	   { "AAAA", DNS_TYPE_AAAA },
		      { "MX", DNS_TYPE_MX },	   { "CNAME", DNS_TYPE_CNAME },
		      { "SOA", DNS_TYPE_SOA },	   { "TXT", 16 } };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, s) == 0)
			return types[i].type;
	fail_msg("unknown type %s", s);
	return 0;
}

/* wire_line - one line of a message description */
static void
wire_line(struct wire *w, const char *line)
{
	size_t count, len_at;
	char **f = str_split(line, " ", &count);
	unsigned type, rclass = DNS_CLASS_IN;
	char *slash;

	if (strcmp(f[0], "hdr") == 0) {
		unsigned flags = (unsigned)strtoul(f[1], NULL, 16);

		w->b[2] = (uint8_t)(flags >> 8);
		w->b[3] = (uint8_t)flags;
		str_split_free(&f);
		return;
	}
	if (strcmp(f[0], "q") == 0) {
		wire_name(w, f[1]);
		wire_u16(w, wire_type(f[2]));
		wire_u16(w, DNS_CLASS_IN);
		w->counts[0]++;
		str_split_free(&f);
		return;
	}
	assert_true(count >= 5);
	w->counts[strcmp(f[0], "an") == 0 ? 1 : 2]++;
	if ((slash = strchr(f[2], '/')) != NULL) {
		*slash = '\0';
		rclass = 3;
	}
	type = wire_type(f[2]);
	wire_name(w, f[1]);
	wire_u16(w, type);
	wire_u16(w, rclass);
	wire_u32(w, (uint32_t)strtoul(f[3], NULL, 10));
	len_at = w->n;
	wire_u16(w, 0);
	if (type == DNS_TYPE_A) {
		assert_int_equal(inet_pton(AF_INET, f[4], w->b + w->n), 1);
		w->n += 4;
	} else if (type == DNS_TYPE_AAAA) {
		assert_int_equal(inet_pton(AF_INET6, f[4], w->b + w->n), 1);
		w->n += 16;
	} else if (type == DNS_TYPE_MX) {
		wire_u16(w, (unsigned)strtoul(f[4], NULL, 10));
		wire_name(w, f[5]);
	} else if (type == DNS_TYPE_CNAME) {
		wire_name(w, f[4]);
	} else if (type == DNS_TYPE_SOA) {
		wire_name(w, "ns.test");
		wire_name(w, "hm.test");
		for (int i = 0; i < 4; i++)
			wire_u32(w, 1);
		wire_u32(w, (uint32_t)strtoul(f[4], NULL, 10));
	} else {
		w->b[w->n++] = 1;
		w->b[w->n++] = 'x';
	}
	w->b[len_at] = (uint8_t)((w->n - len_at - 2) >> 8);
	w->b[len_at + 1] = (uint8_t)(w->n - len_at - 2);
	str_split_free(&f);
}

/* wire_build - a message from NULL-terminated lines */
static void
wire_build(struct wire *w, const char *const *lines)
{
	memset(w, 0, sizeof(*w));
	w->n = DNS_PARSE_HEADER_SIZE;
	w->b[0] = 0x12;
	w->b[1] = 0x34;
	w->b[2] = 0x81;	/* response, RD */
	w->b[3] = 0x80;	/* RA, NOERROR */
	for (; *lines != NULL; lines++)
		wire_line(w, *lines);
	for (int i = 0; i < 4; i++) {
		w->b[4 + 2 * i] = (uint8_t)(w->counts[i] >> 8);
		w->b[5 + 2 * i] = (uint8_t)w->counts[i];
	}
}

/* One answer row. */
struct answer_row {
	const char *name;
	const char *msg[14];	/* lines, NULL-terminated */
	const char *qname;
	unsigned qtype;
	int rc;
	const char *error;	/* -1: part of it */
	enum dns_answer_kind kind;
	const char *final;
	size_t links;
	size_t data;
	uint32_t ttl;
	bool has_soa;
};

#define CHAIN9                                                               \
	"an c0.test CNAME 60 c1.test", "an c1.test CNAME 60 c2.test",        \
		"an c2.test CNAME 60 c3.test", "an c3.test CNAME 60 c4.test",\
		"an c4.test CNAME 60 c5.test", "an c5.test CNAME 60 c6.test",\
		"an c6.test CNAME 60 c7.test", "an c7.test CNAME 60 c8.test"

static const struct answer_row answer_rows[] = {
	{ "mx data, smallest ttl",
	  { "q a.test MX", "an a.test MX 300 10 mx1.a.test",
	    "an a.test MX 200 20 mx2.a.test", NULL },
	  "a.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_DATA, "a.test", 0, 2,
	  200, false },
	{ "question case ignored",
	  { "q A.Test MX", "an a.TEST MX 300 10 mx1.a.test", NULL },
	  "a.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_DATA, "a.test", 0, 1,
	  300, false },
	{ "cname chain with data",
	  { "q l1.test A", "an l1.test CNAME 60 l2.test",
	    "an l2.test CNAME 300 mx1.a.test", "an mx1.a.test A 100 127.0.0.11",
	    NULL },
	  "l1.test", DNS_TYPE_A, 0, NULL, DNS_ANSWER_DATA, "mx1.a.test", 2, 1,
	  100, false },
	{ "chain records in any order",
	  { "q l1.test A", "an mx1.a.test A 100 127.0.0.11",
	    "an l2.test CNAME 300 mx1.a.test", "an l1.test CNAME 60 l2.test",
	    NULL },
	  "l1.test", DNS_TYPE_A, 0, NULL, DNS_ANSWER_DATA, "mx1.a.test", 2, 1,
	  100, false },
	{ "cname only: follow",
	  { "q alias.test AAAA", "an alias.test CNAME 300 mx1.a.test", NULL },
	  "alias.test", DNS_TYPE_AAAA, 0, NULL, DNS_ANSWER_FOLLOW,
	  "mx1.a.test", 1, 0, 0, false },
	{ "cname and soa: nodata",
	  { "q alias.test AAAA", "an alias.test CNAME 300 mx1.a.test",
	    "ns a.test SOA 3600 60", NULL },
	  "alias.test", DNS_TYPE_AAAA, 0, NULL, DNS_ANSWER_NODATA,
	  "mx1.a.test", 1, 0, 60, true },
	{ "cname to nxdomain (RFC 6604)",
	  { "hdr 8183", "q alias.test A", "an alias.test CNAME 300 gone.test",
	    "ns test SOA 30 600", NULL },
	  "alias.test", DNS_TYPE_A, 0, NULL, DNS_ANSWER_NXDOMAIN, "gone.test",
	  1, 0, 30, true },
	{ "nxdomain without soa",
	  { "hdr 8183", "q nx.test MX", NULL },
	  "nx.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_NXDOMAIN, "nx.test", 0,
	  0, 0, false },
	{ "nodata without soa",
	  { "q implicit.test MX", NULL },
	  "implicit.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_NODATA,
	  "implicit.test", 0, 0, 0, false },
	{ "soa of an unrelated zone ignored",
	  { "q implicit.test MX", "ns other SOA 3600 60", NULL },
	  "implicit.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_NODATA,
	  "implicit.test", 0, 0, 0, false },
	{ "root soa counts",
	  { "hdr 8183", "q nx.test MX", "ns . SOA 86400 900", NULL },
	  "nx.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_NXDOMAIN, "nx.test", 0,
	  0, 900, true },
	{ "data of other names, types, classes and sections ignored",
	  { "q a.test A", "an b.test A 300 127.0.0.1",
	    "an a.test AAAA 300 ::1", "an a.test A/CH 300 127.0.0.2",
	    "an a.test TXT 300 x", "ns a.test A 300 127.0.0.3", NULL },
	  "a.test", DNS_TYPE_A, 0, NULL, DNS_ANSWER_NODATA, "a.test", 0, 0, 0,
	  false },
	{ "data beats a cname of the same name",
	  { "q a.test A", "an a.test CNAME 300 b.test",
	    "an a.test A 300 127.0.0.1", NULL },
	  "a.test", DNS_TYPE_A, 0, NULL, DNS_ANSWER_DATA, "a.test", 0, 1, 300,
	  false },
	{ "eight links",
	  { "q c0.test A", CHAIN9, "an c8.test A 5 127.0.0.1", NULL },
	  "c0.test", DNS_TYPE_A, 0, NULL, DNS_ANSWER_DATA, "c8.test", 8, 1, 5,
	  false },
	{ "nine links",
	  { "q c0.test A", CHAIN9, "an c8.test CNAME 60 c9.test",
	    "an c9.test A 5 127.0.0.1", NULL },
	  "c0.test", DNS_TYPE_A, -1, "CNAME chain too long", 0, NULL, 0, 0, 0,
	  false },
	{ "cname loop",
	  { "q a.test A", "an a.test CNAME 60 b.test",
	    "an b.test CNAME 60 a.test", NULL },
	  "a.test", DNS_TYPE_A, -1, "looping", 0, NULL, 0, 0, 0, false },
	{ "servfail",
	  { "hdr 8182", "q a.test MX", NULL },
	  "a.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_SERVFAIL, NULL, 0, 0, 0,
	  false },
	{ "refused",
	  { "hdr 8185", "q a.test MX", NULL },
	  "a.test", DNS_TYPE_MX, 0, NULL, DNS_ANSWER_SERVFAIL, NULL, 0, 0, 0,
	  false },
	{ "not a response",
	  { "hdr 0100", "q a.test MX", NULL },
	  "a.test", DNS_TYPE_MX, -1, "not a response", 0, NULL, 0, 0, 0,
	  false },
	{ "not a query",
	  { "hdr 8980", "q a.test MX", NULL },
	  "a.test", DNS_TYPE_MX, -1, "not a standard query", 0, NULL, 0, 0, 0,
	  false },
	{ "no question",
	  { "an a.test MX 300 10 mx1.a.test", NULL },
	  "a.test", DNS_TYPE_MX, -1, "another question", 0, NULL, 0, 0, 0,
	  false },
	{ "other name",
	  { "q b.test MX", NULL },
	  "a.test", DNS_TYPE_MX, -1, "another question", 0, NULL, 0, 0, 0,
	  false },
	{ "other type",
	  { "q a.test A", NULL },
	  "a.test", DNS_TYPE_MX, -1, "another question", 0, NULL, 0, 0, 0,
	  false },
	{ "truncated",
	  { "hdr 8380", "q a.test MX", "an a.test MX 300 10 mx1.a.test",
	    NULL },
	  "a.test", DNS_TYPE_MX, -1, "truncated", 0, NULL, 0, 0, 0, false },
};

static void
test_answer_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(answer_rows) / sizeof(answer_rows[0]);
	     i++) {
		const struct answer_row *row = &answer_rows[i];
		struct wire w;
		struct dns_msg m;
		struct dns_answer ans;
		const char *error = NULL;
		int rc;

		wire_build(&w, row->msg);
		if (dns_msg_parse(w.b, w.n, &m, &error) < 0)
			fail_msg("%s: parse: %s", row->name, error);
		rc = dns_msg_answer(&m, row->qname, (uint16_t)row->qtype, &ans,
				    &error);
		if (rc != row->rc)
			fail_msg("%s: rc %d (%s)", row->name, rc,
				 rc < 0 ? error : "");
		if (rc < 0) {
			if (strstr(error, row->error) == NULL)
				fail_msg("%s: error \"%s\"", row->name, error);
			dns_msg_deinit(&m);
			continue;
		}
		if (ans.kind != row->kind)
			fail_msg("%s: kind %d", row->name, ans.kind);
		if (row->final != NULL && strcmp(ans.final, row->final) != 0)
			fail_msg("%s: final \"%s\"", row->name, ans.final);
		if (ans.link_count != row->links ||
		    ans.data_count != row->data || ans.ttl != row->ttl ||
		    ans.has_soa != row->has_soa)
			fail_msg("%s: links %zu data %zu ttl %u soa %d",
				 row->name, ans.link_count, ans.data_count,
				 ans.ttl, ans.has_soa);
		for (size_t k = 0; k < ans.data_count; k++)
			assert_int_equal(ans.data[k]->type, row->qtype);
		dns_msg_deinit(&m);
	}
}

static void
test_names(void **state)
{
	static const struct {
		const char *name;
		const char *parent;
		bool eq;
		bool sub;
	} rows[] = {
		{ "a.test", "a.test", true, true },
		{ "A.Test", "a.TEST", true, true },
		{ "mx.a.test", "a.test", false, true },
		{ "mx.a.test", "test", false, true },
		{ "mx.a.test", "", false, true },
		{ "", "", true, true },
		{ "aa.test", "a.test", false, false },
		{ "a.test", "mx.a.test", false, false },
		{ "x\\.a.test", "a.test", false, false },
		{ "x.a\\.test", "a\\.test", false, true },
		{ "x\\.test", "test", false, false },
		{ "x\\\\.test", "test", false, true },
		{ "a.test", "a.tes", false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (dns_name_eq(rows[i].name, rows[i].parent) != rows[i].eq)
			fail_msg("row %zu: eq", i);
		if (dns_name_is_subdomain(rows[i].name, rows[i].parent) !=
		    rows[i].sub)
			fail_msg("row %zu: subdomain", i);
	}
	assert_string_equal(dns_type_name(DNS_TYPE_MX), "MX");
	assert_string_equal(dns_type_name(DNS_TYPE_AAAA), "AAAA");
	assert_string_equal(dns_type_name(99), "other");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_rows, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_parse_details,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_parse_name_limits,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_parse_many_records,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(
			test_parse_prefixes_and_mutations, testlib_setup,
			testlib_teardown),
		cmocka_unit_test_setup_teardown(test_answer_rows,
						testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_names, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
