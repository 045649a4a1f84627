/*
 * fuzz_dns_parse.c - fuzz target for the DNS response parser
 * (lib/dns_parse.c).
 *
 * Arbitrary octets are parsed as a message; when they parse, the answer
 * is read for the message's own question and for the types the resolver
 * asks (A, AAAA, MX), and invariants are checked (a violation traps):
 * kept records within DNS_PARSE_RR_MAX, every name NUL-terminated within
 * DNS_PARSE_NAME_MAX, chains within DNS_PARSE_CNAME_MAX, answer data
 * pointing into the message's records and of the asked type. Seed corpus:
 * tests/fuzz/corpus/dns_parse, real responses captured from dnsmasq plus
 * the rows of tests/unit/lib/test_dns_parse.c (MR_DNS_WRITE_CORPUS).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/dns_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - trap when an invariant does not hold */
static void
fuzz_check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* fuzz_name_ok - a NUL within the text limit */
static int
fuzz_name_ok(const char *name)
{
	return memchr(name, '\0', DNS_PARSE_NAME_MAX + 1) != NULL;
}

/* fuzz_answer - read the answer to (qname, qtype) and check it */
static void
fuzz_answer(const struct dns_msg *msg, const char *qname, uint16_t qtype)
{
	struct dns_answer ans;
	const char *error = NULL;

	if (dns_msg_answer(msg, qname, qtype, &ans, &error) < 0) {
		fuzz_check(error != NULL);
		return;
	}
	fuzz_check(fuzz_name_ok(ans.final));
	fuzz_check(ans.link_count <= DNS_PARSE_CNAME_MAX);
	fuzz_check(ans.data_count <= msg->rr_count);
	for (size_t i = 0; i < ans.data_count; i++) {
		fuzz_check(ans.data[i] >= msg->rrs &&
			   ans.data[i] < msg->rrs + msg->rr_count);
		fuzz_check(ans.data[i]->type == qtype);
	}
	for (size_t i = 0; i < ans.link_count; i++)
		fuzz_check(ans.links[i]->type == DNS_TYPE_CNAME);
	fuzz_check(ans.kind != DNS_ANSWER_DATA || ans.data_count > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = { DNS_TYPE_A, DNS_TYPE_AAAA,
					  DNS_TYPE_MX };
	struct dns_msg msg;
	const char *error = NULL;

	if (dns_msg_parse(data, size, &msg, &error) < 0) {
		fuzz_check(error != NULL && msg.rrs == NULL);
		return 0;
	}
	fuzz_check(msg.rr_count <= DNS_PARSE_RR_MAX);
	fuzz_check(fuzz_name_ok(msg.qname));
	for (size_t i = 0; i < msg.rr_count; i++) {
		const struct dns_rr *rr = &msg.rrs[i];

		fuzz_check(fuzz_name_ok(rr->owner));
		fuzz_check(rr->ttl <= INT32_MAX);
		if (rr->type == DNS_TYPE_MX)
			fuzz_check(fuzz_name_ok(rr->u.mx.exchange));
		if (rr->type == DNS_TYPE_CNAME)
			fuzz_check(fuzz_name_ok(rr->u.cname));
	}
	if (msg.has_question) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			fuzz_answer(&msg, msg.qname, types[i]);
		fuzz_answer(&msg, msg.qname, msg.qtype);
	}
	dns_msg_deinit(&msg);
	return 0;
}
