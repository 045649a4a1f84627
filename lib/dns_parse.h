/*
 * dns_parse.h - parser for DNS response messages (RFC 1035 section 4) and
 * the reading of one answer (RFC 1034 3.6.2, RFC 2181, RFC 2308).
 *
 * dns_msg_parse takes a whole message as it came from a server (UDP
 * datagram or TCP message without its length prefix): header, the one
 * question, and every record of the answer, authority and additional
 * sections. Records of type A, AAAA, MX, CNAME and SOA in the answer and
 * authority sections are kept with their data decoded; the EDNS OPT record
 * of the additional section gives the extended RCODE; everything else is
 * checked for structure and skipped. Any length and any octet is safe:
 * every length is checked against the message, compressed names are
 * followed only backwards, and a malformed message is refused with a clear
 * error (a static string).
 *
 * dns_msg_answer then reads a parsed response to a question (name, type):
 * it checks that the response matches, follows the CNAME chain inside the
 * answer section (at most DNS_PARSE_CNAME_MAX links) and says whether the
 * final name has records of the type, does not exist, has no such records,
 * or must be asked for separately because the server gave only the chain.
 *
 * Names in text form: labels joined by '.', no trailing dot, the root is
 * "". Octets other than letters, digits, '-' and '_' are written as "\."
 * for a dot inside a label, "\\" for a backslash and "\DDD" (decimal) for
 * anything else, so a name with strange octets can never pass for another
 * name. Case is kept as received; compare names with dns_name_eq.
 *
 * Ownership: dns_msg_parse fills a caller-owned struct dns_msg whose
 * record array is on the heap; release it with dns_msg_deinit after every
 * parse (after a failure there is nothing to release, but the call is
 * harmless). A struct dns_answer points into the message it was read
 * from and is valid as long as that message.
 */
#ifndef MR_DNS_PARSE_H
#define MR_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits. */
#define DNS_PARSE_MSG_MAX 65535	  /* RFC 1035 4.2.2: TCP length is 16 bits */
#define DNS_PARSE_HEADER_SIZE 12  /* RFC 1035 4.1.1 */
#define DNS_PARSE_WIRE_NAME_MAX 255 /* RFC 1035 2.3.4: octets on the wire */
#define DNS_PARSE_LABEL_MAX 63	  /* RFC 1035 2.3.4 */
#define DNS_PARSE_NAME_MAX 253	  /* text form without escapes, no final dot */
/* Compression pointers followed in one name: one per possible label. */
#define DNS_PARSE_POINTERS_MAX 127
/* Records kept from one message (answer + authority); more are skipped. */
#define DNS_PARSE_RR_MAX 256
/* CNAME links followed (RFC 1034 3.6.2 leaves it to us; Postfix: 10). */
#define DNS_PARSE_CNAME_MAX 8

/* Record types (RFC 1035 3.2.2, RFC 3596, RFC 6891). */
#define DNS_TYPE_A 1
#define DNS_TYPE_NS 2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA 6
#define DNS_TYPE_MX 15
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41

#define DNS_CLASS_IN 1

/* Response codes (RFC 1035 4.1.1, RFC 6895 2.3). */
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

enum dns_section {
	DNS_SECTION_ANSWER = 1,
	DNS_SECTION_AUTHORITY = 2,
};

/* One kept record. */
struct dns_rr {
	char owner[DNS_PARSE_NAME_MAX + 1];
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;		/* seconds; over 2^31-1 reads as 0 (RFC 2181 8) */
	enum dns_section section;
	union {
		uint8_t a[4];		/* A, network order */
		uint8_t aaaa[16];	/* AAAA, network order */
		struct {
			uint16_t pref;
			char exchange[DNS_PARSE_NAME_MAX + 1]; /* "" = root */
		} mx;
		char cname[DNS_PARSE_NAME_MAX + 1];	/* CNAME target */
		struct {
			uint32_t minimum;	/* RFC 2308 4: negative TTL */
		} soa;
	} u;
};

/* A parsed message. */
struct dns_msg {
	uint16_t id;
	bool is_response;	/* QR */
	unsigned opcode;
	bool is_authoritative;	/* AA */
	bool is_truncated;	/* TC */
	bool recursion_desired;	/* RD */
	bool recursion_available; /* RA */
	unsigned rcode;		/* with the EDNS extended bits (12 bits) */
	bool has_edns;		/* an OPT record was present */
	uint16_t edns_udp_size;

	bool has_question;	/* QDCOUNT 1 (0 is allowed, more is not) */
	char qname[DNS_PARSE_NAME_MAX + 1];
	uint16_t qtype;
	uint16_t qclass;

	struct dns_rr *rrs;	/* kept records, in message order */
	size_t rr_count;
	size_t rr_skipped;	/* kept types beyond DNS_PARSE_RR_MAX */
};

/*
 * dns_msg_parse - parse the n octets at p into msg (any previous content
 * is lost: deinit first). Returns 0, or -1 with *error_r (static) on a
 * malformed message; msg then holds nothing to release.
 */
int dns_msg_parse(const uint8_t *p, size_t n, struct dns_msg *msg,
		  const char **error_r);

/* dns_msg_deinit - release the records; msg is empty afterwards. */
void dns_msg_deinit(struct dns_msg *msg);

/* What an answer says about the final name of the chain. */
enum dns_answer_kind {
	DNS_ANSWER_DATA,	/* data[] holds records of the asked type */
	DNS_ANSWER_NXDOMAIN,	/* the final name does not exist */
	DNS_ANSWER_NODATA,	/* it exists, without records of the type */
	DNS_ANSWER_FOLLOW,	/* only the chain: ask for final separately */
	DNS_ANSWER_SERVFAIL,	/* RCODE other than NOERROR/NXDOMAIN */
};

struct dns_answer {
	enum dns_answer_kind kind;
	char final[DNS_PARSE_NAME_MAX + 1];	/* end of the CNAME chain */
	size_t link_count;
	const struct dns_rr *links[DNS_PARSE_CNAME_MAX]; /* in chain order */
	size_t data_count;
	const struct dns_rr *data[DNS_PARSE_RR_MAX];
	/*
	 * DATA: the smallest TTL of data[]. NXDOMAIN/NODATA with has_soa: the
	 * negative TTL, min(SOA TTL, SOA MINIMUM) (RFC 2308 5), of an SOA in
	 * the authority section whose owner is the final name or one of its
	 * ancestors. Otherwise 0.
	 */
	uint32_t ttl;
	bool has_soa;
	unsigned rcode;		/* for SERVFAIL: the code the server gave */
};

/*
 * dns_msg_answer - read msg as the response to (qname, qtype, class IN).
 * Returns 0 with *ans filled, or -1 with *error_r (static) when msg cannot
 * be that response: not a response, not a standard query, no or another
 * question, truncated (TC), or a CNAME chain longer than
 * DNS_PARSE_CNAME_MAX (a loop ends there too). Only records of class IN
 * in the answer section count for data and chain; a name that has both
 * data of the type and a CNAME (illegal, RFC 1034 3.6.2) gives the data.
 * A NOERROR answer that ends the chain at another name without data is
 * NODATA when the authority section holds an SOA for that name (a full
 * negative answer, RFC 2308 2.2) and FOLLOW otherwise.
 */
int dns_msg_answer(const struct dns_msg *msg, const char *qname,
		   uint16_t qtype, struct dns_answer *ans,
		   const char **error_r);

/* dns_name_eq - whether two text names are equal (ASCII case ignored). */
bool dns_name_eq(const char *a, const char *b);

/*
 * dns_name_is_subdomain - whether name equals parent or lies below it
 * (label-wise; the root "" is everybody's parent).
 */
bool dns_name_is_subdomain(const char *name, const char *parent);

/* dns_type_name - "A", "MX", ... for the types above, "other" for the rest. */
const char *dns_type_name(uint16_t type);

#endif
