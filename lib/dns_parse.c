/*
 * dns_parse.c - parser for DNS response messages (see dns_parse.h).
 *
 * dns_msg_parse, dns_msg_deinit: the message; dns_msg_answer: what one
 * response says about one question; dns_name_eq, dns_name_is_subdomain,
 * dns_type_name: helpers.
 *
 * SECURITY: the message comes from the network (a recursive server, or
 * anyone who can spoof one). Every field is read through dns_rd_* with an
 * explicit bound; record data must have exactly the length its type
 * implies; compressed names must point strictly backwards (before the
 * start of the run of labels that holds the pointer), which makes loops
 * impossible, and are further limited to DNS_PARSE_POINTERS_MAX pointers
 * and DNS_PARSE_WIRE_NAME_MAX octets. Record count is bounded by the
 * message size (each record needs 11 octets); kept records are capped at
 * DNS_PARSE_RR_MAX. Runs with the privilege of the caller; allocates only
 * the record array.
 *
 * RFC 1035 4.1 (format), 4.1.4 (compression), RFC 2181 5.2 and 8 (RRsets,
 * TTL), RFC 2308 (negative answers), RFC 6891 6.1 (OPT), RFC 6604 (RCODE
 * with CNAME chains: it applies to the last name).
 */
#include "lib/dns_parse.h"

#include <string.h>

#include "lib/checked.h"
#include "lib/mem.h"

/* Header flag bits (RFC 1035 4.1.1). */
#define DNS_HDR_QR 0x8000u
#define DNS_HDR_AA 0x0400u
#define DNS_HDR_TC 0x0200u
#define DNS_HDR_RD 0x0100u
#define DNS_HDR_RA 0x0080u

/* Fixed part of a record after its owner name: type, class, TTL, length. */
#define DNS_RR_FIXED_SIZE 10
/* SOA data after the two names: serial, refresh, retry, expire, minimum. */
#define DNS_SOA_FIXED_SIZE 20
/* Top bits of a length octet: a label (00) or a pointer (11). */
#define DNS_LABEL_POINTER 0xC0u

/* A bounded reader over the message. */
struct dns_rd {
	const uint8_t *msg;
	size_t len;
	size_t pos;
};

/* dns_rd_u16 - read a big-endian u16; -1 past the end */
static int
dns_rd_u16(struct dns_rd *rd, uint16_t *v_r)
{
	if (rd->len - rd->pos < 2)
		return -1;
	*v_r = (uint16_t)((unsigned)rd->msg[rd->pos] << 8 |
			  rd->msg[rd->pos + 1]);
	rd->pos += 2;
	return 0;
}

/* dns_rd_u32 - read a big-endian u32; -1 past the end */
static int
dns_rd_u32(struct dns_rd *rd, uint32_t *v_r)
{
	const uint8_t *p = rd->msg + rd->pos;

	if (rd->len - rd->pos < 4)
		return -1;
	*v_r = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
	rd->pos += 4;
	return 0;
}

/* dns_name_text_add - append one label octet in text form; -1 when full */
static int
dns_name_text_add(char *out, size_t *text_len, uint8_t c)
{
	char esc[5];
	size_t n;

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_') {
		esc[0] = (char)c;
		n = 1;
	} else if (c == '.' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		n = 2;
	} else {
		esc[0] = '\\';
		esc[1] = (char)('0' + c / 100);
		esc[2] = (char)('0' + c / 10 % 10);
		esc[3] = (char)('0' + c % 10);
		n = 4;
	}
	if (n > DNS_PARSE_NAME_MAX - *text_len)
		return -1;
	memcpy(out + *text_len, esc, n);
	*text_len += n;
	return 0;
}

/*
 * dns_rd_name - read a possibly compressed name at rd->pos into out
 * (DNS_PARSE_NAME_MAX + 1 bytes) and move rd->pos past its inline part.
 *
 * UNSAFE: offsets into the message. Each label is checked against the
 * message end before it is read; a pointer must go below "floor", the
 * start of the run of labels that holds it, so every jump strictly lowers
 * floor and the walk ends (loops and forward pointers are refused).
 */
static int
dns_rd_name(struct dns_rd *rd, char *out, const char **error_r)
{
	size_t pos = rd->pos, floor = rd->pos, after = 0;
	size_t wire_len = 1, text_len = 0;
	unsigned pointers = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= rd->len) {
			*error_r = "name runs past the end of the message";
			return -1;
		}
		c = rd->msg[pos];
		if ((c & DNS_LABEL_POINTER) == DNS_LABEL_POINTER) {
			size_t target;

			if (rd->len - pos < 2) {
				*error_r = "compression pointer cut short";
				return -1;
			}
			target = (size_t)(c & ~DNS_LABEL_POINTER) << 8 |
				 rd->msg[pos + 1];
			if (target >= floor) {
				*error_r = "compression pointer does not point "
					   "backwards";
				return -1;
			}
			if (++pointers > DNS_PARSE_POINTERS_MAX) {
				*error_r = "too many compression pointers";
				return -1;
			}
			if (!jumped)
				after = pos + 2;
			jumped = true;
			pos = floor = target;
			continue;
		}
		if ((c & DNS_LABEL_POINTER) != 0) {
			*error_r = "unknown label type";
			return -1;
		}
		if (c == 0) {
			if (!jumped)
				after = pos + 1;
			break;
		}
		/* c <= DNS_PARSE_LABEL_MAX here: the top bits are clear. */
		wire_len += (size_t)c + 1;
		if (wire_len > DNS_PARSE_WIRE_NAME_MAX) {
			*error_r = "name longer than 255 octets";
			return -1;
		}
		if (c > rd->len - pos - 1) {
			*error_r = "label runs past the end of the message";
			return -1;
		}
		if (text_len > 0) {
			if (text_len == DNS_PARSE_NAME_MAX)
				goto too_long;
			out[text_len++] = '.';
		}
		for (size_t i = 1; i <= c; i++)
			if (dns_name_text_add(out, &text_len,
					      rd->msg[pos + i]) < 0)
				goto too_long;
		pos += (size_t)c + 1;
	}
	out[text_len] = '\0';
	rd->pos = after;
	return 0;
too_long:
	*error_r = "name too long in text form";
	return -1;
}

/* dns_rd_rdata_name - a name that must end exactly at rdata_end */
static int
dns_rd_rdata_name(struct dns_rd *rd, size_t rdata_end, char *out,
		  const char **error_r)
{
	if (dns_rd_name(rd, out, error_r) < 0)
		return -1;
	if (rd->pos > rdata_end) {
		*error_r = "name runs past the record data";
		return -1;
	}
	return 0;
}

/* dns_rd_header - the 12-octet header; the four counts go to counts[] */
static int
dns_rd_header(struct dns_rd *rd, struct dns_msg *msg, uint16_t counts[4],
	      const char **error_r)
{
	uint16_t flags = 0;

	if (rd->len < DNS_PARSE_HEADER_SIZE) {
		*error_r = "message shorter than a header";
		return -1;
	}
	(void)dns_rd_u16(rd, &msg->id);
	(void)dns_rd_u16(rd, &flags);
	for (size_t i = 0; i < 4; i++)
		(void)dns_rd_u16(rd, &counts[i]);
	msg->is_response = (flags & DNS_HDR_QR) != 0;
	msg->opcode = (flags >> 11) & 0xfu;
	msg->is_authoritative = (flags & DNS_HDR_AA) != 0;
	msg->is_truncated = (flags & DNS_HDR_TC) != 0;
	msg->recursion_desired = (flags & DNS_HDR_RD) != 0;
	msg->recursion_available = (flags & DNS_HDR_RA) != 0;
	msg->rcode = flags & 0xfu;
	return 0;
}

/* dns_rd_question - the question section (at most one entry) */
static int
dns_rd_question(struct dns_rd *rd, struct dns_msg *msg, uint16_t qdcount,
		const char **error_r)
{
	if (qdcount == 0)
		return 0;
	if (qdcount > 1) {
		*error_r = "more than one question";
		return -1;
	}
	if (dns_rd_name(rd, msg->qname, error_r) < 0)
		return -1;
	if (dns_rd_u16(rd, &msg->qtype) < 0 ||
	    dns_rd_u16(rd, &msg->qclass) < 0) {
		*error_r = "question cut short";
		return -1;
	}
	msg->has_question = true;
	return 0;
}

/* dns_rr_is_kept - whether a record of this type and class is kept */
static bool
dns_rr_is_kept(uint16_t type, uint16_t rclass)
{
	if (rclass != DNS_CLASS_IN)
		return false;
	return type == DNS_TYPE_A || type == DNS_TYPE_AAAA ||
	       type == DNS_TYPE_MX || type == DNS_TYPE_CNAME ||
	       type == DNS_TYPE_SOA;
}

/* dns_rd_rdata - decode the data of a kept record (rdlength octets) */
static int
dns_rd_rdata(struct dns_rd *rd, size_t rdlength, struct dns_rr *rr,
	     const char **error_r)
{
	size_t end = rd->pos + rdlength;	/* checked by the caller */
	char scratch[DNS_PARSE_NAME_MAX + 1];

	switch (rr->type) {
	case DNS_TYPE_A:
		if (rdlength != sizeof(rr->u.a)) {
			*error_r = "A record data is not 4 octets";
			return -1;
		}
		memcpy(rr->u.a, rd->msg + rd->pos, sizeof(rr->u.a));
		rd->pos = end;
		return 0;
	case DNS_TYPE_AAAA:
		if (rdlength != sizeof(rr->u.aaaa)) {
			*error_r = "AAAA record data is not 16 octets";
			return -1;
		}
		memcpy(rr->u.aaaa, rd->msg + rd->pos, sizeof(rr->u.aaaa));
		rd->pos = end;
		return 0;
	case DNS_TYPE_MX:
		if (rdlength < 3 || dns_rd_u16(rd, &rr->u.mx.pref) < 0) {
			*error_r = "MX record data too short";
			return -1;
		}
		if (dns_rd_rdata_name(rd, end, rr->u.mx.exchange, error_r) < 0)
			return -1;
		break;
	case DNS_TYPE_CNAME:
		if (dns_rd_rdata_name(rd, end, rr->u.cname, error_r) < 0)
			return -1;
		break;
	case DNS_TYPE_SOA:
		if (dns_rd_rdata_name(rd, end, scratch, error_r) < 0 ||
		    dns_rd_rdata_name(rd, end, scratch, error_r) < 0)
			return -1;
		if (end - rd->pos != DNS_SOA_FIXED_SIZE) {
			*error_r = "SOA record data length mismatch";
			return -1;
		}
		rd->pos += DNS_SOA_FIXED_SIZE - 4;
		(void)dns_rd_u32(rd, &rr->u.soa.minimum);
		break;
	default:
		*error_r = "record type not kept";
		return -1;
	}
	if (rd->pos != end) {
		*error_r = "record data length mismatch";
		return -1;
	}
	return 0;
}

/* dns_msg_keep - a slot for one more kept record, or NULL when full */
static struct dns_rr *
dns_msg_keep(struct dns_msg *msg, size_t *cap)
{
	if (msg->rr_count == DNS_PARSE_RR_MAX) {
		msg->rr_skipped++;
		return NULL;
	}
	if (msg->rr_count == *cap) {
		size_t next;

		if (!checked_grow(*cap, msg->rr_count + 1, DNS_PARSE_RR_MAX,
				  &next))
			return NULL;	/* unreachable: count < max */
		msg->rrs = mem_realloc_array(msg->rrs, next, sizeof(*msg->rrs));
		*cap = next;
	}
	memset(&msg->rrs[msg->rr_count], 0, sizeof(*msg->rrs));
	return &msg->rrs[msg->rr_count++];
}

/* dns_rd_opt - the EDNS OPT record (RFC 6891 6.1.2-6.1.3) */
static int
dns_rd_opt(struct dns_msg *msg, const char *owner, uint16_t rclass,
	   uint32_t ttl, const char **error_r)
{
	if (msg->has_edns) {
		*error_r = "more than one OPT record";
		return -1;
	}
	if (owner[0] != '\0') {
		*error_r = "OPT record not owned by the root";
		return -1;
	}
	msg->has_edns = true;
	msg->edns_udp_size = rclass;
	/* The upper 8 bits of the 12-bit RCODE. */
	msg->rcode |= (ttl >> 24) << 4;
	return 0;
}

/* dns_rd_record - one resource record of section (1-3) */
static int
dns_rd_record(struct dns_rd *rd, struct dns_msg *msg, unsigned section,
	      size_t *cap, const char **error_r)
{
	char owner[DNS_PARSE_NAME_MAX + 1];
	uint16_t type = 0, rclass = 0, rdlength = 0;
	uint32_t ttl = 0;
	struct dns_rr *rr;

	if (dns_rd_name(rd, owner, error_r) < 0)
		return -1;
	if (rd->len - rd->pos < DNS_RR_FIXED_SIZE) {
		*error_r = "record cut short";
		return -1;
	}
	(void)dns_rd_u16(rd, &type);
	(void)dns_rd_u16(rd, &rclass);
	(void)dns_rd_u32(rd, &ttl);
	(void)dns_rd_u16(rd, &rdlength);
	if (rdlength > rd->len - rd->pos) {
		*error_r = "record data runs past the end of the message";
		return -1;
	}
	if (type == DNS_TYPE_OPT && section == 3) {
		rd->pos += rdlength;
		return dns_rd_opt(msg, owner, rclass, ttl, error_r);
	}
	if (section == 3 || !dns_rr_is_kept(type, rclass) ||
	    (rr = dns_msg_keep(msg, cap)) == NULL) {
		rd->pos += rdlength;
		return 0;
	}
	memcpy(rr->owner, owner, sizeof(rr->owner));
	rr->type = type;
	rr->rclass = rclass;
	rr->ttl = ttl > INT32_MAX ? 0 : ttl;
	rr->section = (enum dns_section)section;
	if (dns_rd_rdata(rd, rdlength, rr, error_r) < 0)
		return -1;
	return 0;
}

/* dns_msg_parse - parse a whole message */
int
dns_msg_parse(const uint8_t *p, size_t n, struct dns_msg *msg,
	      const char **error_r)
{
	struct dns_rd rd = { p, n, 0 };
	uint16_t counts[4] = { 0, 0, 0, 0 };
	size_t cap = 0;

	memset(msg, 0, sizeof(*msg));
	if (n > DNS_PARSE_MSG_MAX) {
		*error_r = "message longer than 65535 octets";
		return -1;
	}
	if (dns_rd_header(&rd, msg, counts, error_r) < 0 ||
	    dns_rd_question(&rd, msg, counts[0], error_r) < 0)
		goto fail;
	for (unsigned section = 1; section <= 3; section++)
		for (uint16_t i = 0; i < counts[section]; i++)
			if (dns_rd_record(&rd, msg, section, &cap, error_r) < 0)
				goto fail;
	return 0;
fail:
	dns_msg_deinit(msg);
	return -1;
}

/* dns_msg_deinit - release the records */
void
dns_msg_deinit(struct dns_msg *msg)
{
	mem_free(&msg->rrs);
	memset(msg, 0, sizeof(*msg));
}

/* dns_lower - ASCII lower case of one character */
static char
dns_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* dns_name_eq - case-insensitive equality of text names */
bool
dns_name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (dns_lower(*a) != dns_lower(*b))
			return false;
	return *a == *b;
}

/* dns_name_is_subdomain - name at or below parent */
bool
dns_name_is_subdomain(const char *name, const char *parent)
{
	size_t n = strlen(name), k = strlen(parent);
	size_t i;

	if (k == 0)
		return true;
	if (k > n || !dns_name_eq(name + n - k, parent))
		return false;
	if (k == n)
		return true;
	/* The octet before the suffix must be a real label separator: a dot
	   that is not itself escaped (an odd run of backslashes). */
	if (name[n - k - 1] != '.')
		return false;
	for (i = n - k - 1; i > 0 && name[i - 1] == '\\'; i--)
		;
	return (n - k - 1 - i) % 2 == 0;
}

/* dns_type_name - mnemonic of a type */
const char *
dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_NS:
		return "NS";
	case DNS_TYPE_CNAME:
		return "CNAME";
	case DNS_TYPE_SOA:
		return "SOA";
	case DNS_TYPE_MX:
		return "MX";
	case DNS_TYPE_AAAA:
		return "AAAA";
	case DNS_TYPE_OPT:
		return "OPT";
	default:
		return "other";
	}
}

/* dns_answer_cname - the CNAME record owned by name in the answer */
static const struct dns_rr *
dns_answer_cname(const struct dns_msg *msg, const char *name)
{
	for (size_t i = 0; i < msg->rr_count; i++) {
		const struct dns_rr *rr = &msg->rrs[i];

		if (rr->section == DNS_SECTION_ANSWER &&
		    rr->type == DNS_TYPE_CNAME && dns_name_eq(rr->owner, name))
			return rr;
	}
	return NULL;
}

/* dns_answer_data - collect the records of type owned by name */
static void
dns_answer_data(const struct dns_msg *msg, const char *name, uint16_t type,
		struct dns_answer *ans)
{
	ans->data_count = 0;
	for (size_t i = 0; i < msg->rr_count; i++) {
		const struct dns_rr *rr = &msg->rrs[i];

		if (rr->section != DNS_SECTION_ANSWER || rr->type != type ||
		    !dns_name_eq(rr->owner, name))
			continue;
		if (ans->data_count == 0 || rr->ttl < ans->ttl)
			ans->ttl = rr->ttl;
		ans->data[ans->data_count++] = rr;
	}
}

/* dns_answer_soa - negative TTL from an SOA above the final name */
static void
dns_answer_soa(const struct dns_msg *msg, struct dns_answer *ans)
{
	for (size_t i = 0; i < msg->rr_count; i++) {
		const struct dns_rr *rr = &msg->rrs[i];

		if (rr->section != DNS_SECTION_AUTHORITY ||
		    rr->type != DNS_TYPE_SOA ||
		    !dns_name_is_subdomain(ans->final, rr->owner))
			continue;
		ans->has_soa = true;
		ans->ttl = rr->ttl < rr->u.soa.minimum ? rr->ttl :
							 rr->u.soa.minimum;
		return;
	}
}

/* dns_msg_check_question - msg is a response to (qname, qtype, IN) */
static int
dns_msg_check_question(const struct dns_msg *msg, const char *qname,
		       uint16_t qtype, const char **error_r)
{
	if (!msg->is_response) {
		*error_r = "not a response";
		return -1;
	}
	if (msg->opcode != 0) {
		*error_r = "not a standard query response";
		return -1;
	}
	if (!msg->has_question || msg->qtype != qtype ||
	    msg->qclass != DNS_CLASS_IN || !dns_name_eq(msg->qname, qname)) {
		*error_r = "response to another question";
		return -1;
	}
	if (msg->is_truncated) {
		*error_r = "truncated response";
		return -1;
	}
	return 0;
}

/* dns_msg_answer - interpret a response */
int
dns_msg_answer(const struct dns_msg *msg, const char *qname, uint16_t qtype,
	       struct dns_answer *ans, const char **error_r)
{
	const struct dns_rr *link;
	size_t n = strlen(qname);

	memset(ans, 0, sizeof(*ans));
	if (n > DNS_PARSE_NAME_MAX) {
		*error_r = "question name too long";
		return -1;
	}
	if (dns_msg_check_question(msg, qname, qtype, error_r) < 0)
		return -1;
	ans->rcode = msg->rcode;
	if (msg->rcode != DNS_RCODE_NOERROR &&
	    msg->rcode != DNS_RCODE_NXDOMAIN) {
		ans->kind = DNS_ANSWER_SERVFAIL;
		return 0;
	}
	memcpy(ans->final, qname, n + 1);
	/* Data first: a name with data and a CNAME gives the data. */
	for (;;) {
		dns_answer_data(msg, ans->final, qtype, ans);
		if (ans->data_count > 0) {
			ans->kind = DNS_ANSWER_DATA;
			return 0;
		}
		if ((link = dns_answer_cname(msg, ans->final)) == NULL)
			break;
		if (ans->link_count == DNS_PARSE_CNAME_MAX) {
			*error_r = "CNAME chain too long or looping";
			return -1;
		}
		ans->links[ans->link_count++] = link;
		memcpy(ans->final, link->u.cname, sizeof(ans->final));
	}
	ans->ttl = 0;
	dns_answer_soa(msg, ans);
	if (msg->rcode == DNS_RCODE_NXDOMAIN)
		ans->kind = DNS_ANSWER_NXDOMAIN;
	else if (ans->link_count == 0 || ans->has_soa)
		ans->kind = DNS_ANSWER_NODATA;
	else
		ans->kind = DNS_ANSWER_FOLLOW;
	return 0;
}
