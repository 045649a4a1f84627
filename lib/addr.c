/*
 * addr.c - RFC 5321 address parser (see addr.h).
 *
 * addr_parse_path      - "<...>" reverse-path / forward-path
 * addr_parse_bare      - mailbox without angle brackets
 * addr_is_valid_domain - domain or address literal check (HELO/EHLO)
 * addr_is_null, addr_has_8bit, addr_deinit
 * addr_format          - canonical external form
 * addr_utf8_seq_len    - one well-formed UTF-8 sequence
 *
 * Ownership: the strings of a struct addr are heap copies owned by it.
 * Input is untrusted (SMTP clients, command lines of local users); no
 * privilege. Implements RFC 5321 4.1.2 (Path, Mailbox, Local-part, Domain,
 * address-literal), 4.1.3 (address literals), 4.5.3.1.1-3 (length limits),
 * appendix C (source routes), RFC 6531 3.3 (UTF-8 in addresses), RFC 3629
 * (UTF-8 well-formedness). Parsing is one forward pass; the decoded local
 * part and the domain are built in fixed arrays sized by the limits, so no
 * input length can make the parser allocate more than the result.
 *
 * Leniency, and why: "_" in domain labels is accepted (Postfix does; hosts
 * on Windows networks carry it; ADDR_F_STRICT refuses it). Nothing else is
 * lenient here: the envelope leniencies of Postfix (a space after "FROM:",
 * no angle brackets) belong to smtp_cmd.c.
 */
#include "lib/addr.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Longest text between "[IPv6:" and "]" that can be an IPv6 address. */
#define ADDR_IPV6_TEXT_MAX 45

/* Parser state over one input. */
struct addr_parser {
	const uint8_t *p;
	size_t n;
	size_t pos;
	int flags;
	struct addr_error *error_r;
	char local[ADDR_LOCAL_MAX + 1]; /* decoded local part */
	size_t local_len;
	size_t local_raw_len; /* octets on the wire */
	char domain[ADDR_DOMAIN_MAX + 1];
	size_t domain_len;
};

/* addr_utf8_seq_len - one well-formed UTF-8 sequence */
size_t
addr_utf8_seq_len(const uint8_t *p, size_t n)
{
	uint8_t c, lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	/* RFC 3629 section 4: the exact ranges of each lead byte. */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* > U+10FFFF */
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* addr_fail - fill the error and return -1 */
static int
addr_fail(struct addr_parser *ap, enum addr_error_kind kind, int code,
          const char *text)
{
	struct addr_error *e = ap->error_r;
	bool sender = (ap->flags & ADDR_F_SENDER) != 0;

	e->kind = kind;
	e->code = code;
	e->text = text;
	if (kind == ADDR_ERR_UTF8)
		e->enhanced = "5.6.7";
	else
		e->enhanced = sender ? "5.1.7" : "5.1.3";
	return -1;
}

/* addr_syntax - syntax error with the role's wording (Postfix's text) */
static int
addr_syntax(struct addr_parser *ap)
{
	return addr_fail(ap, ADDR_ERR_SYNTAX, 501,
	                 (ap->flags & ADDR_F_SENDER)
	                     ? "Bad sender address syntax"
	                     : "Bad recipient address syntax");
}

/*
 * addr_8bit - classify the 8-bit byte at the cursor: returns its sequence
 * length when UTF-8 is allowed and well-formed, else 0 with the error set.
 */
static size_t
addr_8bit(struct addr_parser *ap)
{
	size_t len = addr_utf8_seq_len(ap->p + ap->pos, ap->n - ap->pos);

	if (len == 0) {
		addr_syntax(ap);
		return 0;
	}
	if (!(ap->flags & ADDR_F_UTF8)) {
		addr_fail(ap, ADDR_ERR_UTF8, 553,
		          "Non-ASCII address without SMTPUTF8");
		return 0;
	}
	return len;
}

/* addr_is_atext - RFC 5321 atext (ASCII part) */
static bool
addr_is_atext(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* addr_local_put - append octets to the decoded local part */
static int
addr_local_put(struct addr_parser *ap, const uint8_t *s, size_t len)
{
	if (len > ADDR_LOCAL_MAX - ap->local_len)
		return addr_fail(ap, ADDR_ERR_TOO_LONG, 553,
		                 "Local part too long");
	memcpy(ap->local + ap->local_len, s, len);
	ap->local_len += len;
	ap->local[ap->local_len] = '\0';
	return 0;
}

/* addr_parse_quoted - Quoted-string local part, decoded */
static int
addr_parse_quoted(struct addr_parser *ap)
{
	ap->pos++; /* opening DQUOTE */
	for (;;) {
		uint8_t c;
		size_t len = 1;

		if (ap->pos >= ap->n)
			return addr_syntax(ap);
		c = ap->p[ap->pos];
		if (c == '"') {
			ap->pos++;
			return 0;
		}
		if (c == '\\') {
			/* quoted-pairSMTP = "\" %d32-126 */
			if (ap->n - ap->pos < 2)
				return addr_syntax(ap);
			c = ap->p[ap->pos + 1];
			if (c < 32 || c > 126)
				return addr_syntax(ap);
			ap->pos++;
		} else if (c >= 0x80) {
			if ((len = addr_8bit(ap)) == 0)
				return -1;
		} else if (c < 32 || c > 126) {
			return addr_syntax(ap);
		}
		if (addr_local_put(ap, ap->p + ap->pos, len) < 0)
			return -1;
		ap->pos += len;
	}
}

/* addr_parse_dot_string - Dot-string local part */
static int
addr_parse_dot_string(struct addr_parser *ap)
{
	size_t atom_len = 0;

	while (ap->pos < ap->n) {
		uint8_t c = ap->p[ap->pos];
		size_t len = 1;

		if (c == '.') {
			if (atom_len == 0)
				return addr_syntax(ap); /* ".a", "a..b" */
			atom_len = 0;
		} else if (c >= 0x80) {
			if ((len = addr_8bit(ap)) == 0)
				return -1;
			atom_len++;
		} else if (addr_is_atext(c)) {
			atom_len++;
		} else {
			break;
		}
		if (addr_local_put(ap, ap->p + ap->pos, len) < 0)
			return -1;
		ap->pos += len;
	}
	if (atom_len == 0)
		return addr_syntax(ap); /* empty, or "a." */
	return 0;
}

/* addr_parse_local - Local-part, with its wire length checked */
static int
addr_parse_local(struct addr_parser *ap)
{
	size_t start = ap->pos;
	int ret;

	ap->local_len = 0;
	ap->local[0] = '\0';
	if (ap->pos < ap->n && ap->p[ap->pos] == '"')
		ret = addr_parse_quoted(ap);
	else
		ret = addr_parse_dot_string(ap);
	if (ret < 0)
		return -1;
	ap->local_raw_len = ap->pos - start;
	/* RFC 5321 4.5.3.1.1 counts the local part as sent, quotes included. */
	if (ap->local_raw_len > ADDR_LOCAL_MAX)
		return addr_fail(ap, ADDR_ERR_TOO_LONG, 553,
		                 "Local part too long");
	return 0;
}

/* addr_domain_put - append octets to the domain, lower-cased */
static int
addr_domain_put(struct addr_parser *ap, const uint8_t *s, size_t len)
{
	size_t i;

	if (len > ADDR_DOMAIN_MAX - ap->domain_len)
		return addr_fail(ap, ADDR_ERR_TOO_LONG, 553, "Domain too long");
	for (i = 0; i < len; i++) {
		char c = (char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		ap->domain[ap->domain_len++] = c;
	}
	ap->domain[ap->domain_len] = '\0';
	return 0;
}

/* addr_is_ipv4 - IPv4-address-literal: Snum 3("." Snum), Snum 0-255 */
static bool
addr_is_ipv4(const uint8_t *s, size_t n)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || v > 255)
			return false;
	}
	return i == n;
}

/* addr_is_ipv6 - IPv6-addr text (RFC 5321 4.1.3 forms, via inet_pton) */
static bool
addr_is_ipv6(const uint8_t *s, size_t n)
{
	char text[ADDR_IPV6_TEXT_MAX + 1];
	struct in6_addr in6;
	size_t i;

	if (n == 0 || n > ADDR_IPV6_TEXT_MAX)
		return false;
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return false;
		text[i] = (char)c;
	}
	text[n] = '\0';
	return inet_pton(AF_INET6, text, &in6) == 1;
}

/* addr_parse_literal - address-literal "[...]", stored normalised */
static int
addr_parse_literal(struct addr_parser *ap)
{
	static const char v6tag[] = "IPv6:";
	const size_t v6tag_len = sizeof(v6tag) - 1;
	const uint8_t *s;
	size_t start = ap->pos + 1, end = start, len;

	while (end < ap->n && ap->p[end] != ']' && ap->p[end] != '[' &&
	       ap->p[end] >= 33 && ap->p[end] <= 126)
		end++;
	if (end >= ap->n || ap->p[end] != ']')
		return addr_syntax(ap);
	/* UNSAFE: start <= end < n, so s[0..len) is inside the input. */
	s = ap->p + start;
	len = end - start;
	if (addr_is_ipv4(s, len)) {
		if (addr_domain_put(ap, ap->p + ap->pos, len + 2) < 0)
			return -1;
	} else if (len > v6tag_len &&
	           strncasecmp((const char *)s, v6tag, v6tag_len) == 0 &&
	           addr_is_ipv6(s + v6tag_len, len - v6tag_len)) {
		/* "[IPv6:" keeps its conventional case; hex goes lower. */
		if (addr_domain_put(ap, (const uint8_t *)"[", 1) < 0)
			return -1;
		memcpy(ap->domain + ap->domain_len, v6tag, v6tag_len);
		ap->domain_len += v6tag_len;
		if (addr_domain_put(ap, s + v6tag_len, len - v6tag_len + 1) < 0)
			return -1;
	} else {
		/* General-address-literal: no tag is standardised. */
		return addr_syntax(ap);
	}
	ap->pos = end + 1;
	return 0;
}

/* addr_parse_name - Domain: sub-domain *("." sub-domain) */
static int
addr_parse_name(struct addr_parser *ap)
{
	for (;;) {
		size_t label_start = ap->pos, label_len = 0;
		uint8_t last = 0;

		while (ap->pos < ap->n) {
			uint8_t c = ap->p[ap->pos];
			size_t len = 1;

			if (c >= 0x80) {
				if ((len = addr_8bit(ap)) == 0)
					return -1;
			} else if (!((c >= 'a' && c <= 'z') ||
			             (c >= 'A' && c <= 'Z') ||
			             (c >= '0' && c <= '9') || c == '-' ||
			             (c == '_' &&
			              !(ap->flags & ADDR_F_STRICT)))) {
				break;
			}
			if (c == '-' && label_len == 0)
				return addr_syntax(ap);
			last = c;
			label_len += len;
			ap->pos += len;
		}
		if (label_len == 0 || last == '-')
			return addr_syntax(ap);
		if (label_len > ADDR_LABEL_MAX)
			return addr_syntax(ap);
		if (addr_domain_put(ap, ap->p + label_start, label_len) < 0)
			return -1;
		if (ap->pos >= ap->n || ap->p[ap->pos] != '.')
			return 0;
		if (addr_domain_put(ap, ap->p + ap->pos, 1) < 0)
			return -1;
		ap->pos++;
	}
}

/* addr_parse_domain - Domain or address-literal */
static int
addr_parse_domain(struct addr_parser *ap)
{
	ap->domain_len = 0;
	ap->domain[0] = '\0';
	if (ap->pos < ap->n && ap->p[ap->pos] == '[')
		return addr_parse_literal(ap);
	return addr_parse_name(ap);
}

/* addr_parse_route - A-d-l ":" (source route, parsed and dropped) */
static int
addr_parse_route(struct addr_parser *ap)
{
	for (;;) {
		ap->pos++; /* "@" */
		if (addr_parse_domain(ap) < 0)
			return -1;
		if (ap->pos >= ap->n)
			return addr_syntax(ap);
		if (ap->p[ap->pos] == ':') {
			ap->pos++;
			return 0;
		}
		if (ap->p[ap->pos] != ',' || ap->n - ap->pos < 2 ||
		    ap->p[ap->pos + 1] != '@')
			return addr_syntax(ap);
		ap->pos++;
	}
}

/*
 * addr_parse_mailbox - Local-part ["@" domain]; has_domain_r tells whether
 * the domain was there (only allowed without one by the caller's flags).
 */
static int
addr_parse_mailbox(struct addr_parser *ap, bool *has_domain_r)
{
	if (addr_parse_local(ap) < 0)
		return -1;
	if (ap->pos < ap->n && ap->p[ap->pos] == '@') {
		ap->pos++;
		*has_domain_r = true;
		return addr_parse_domain(ap);
	}
	*has_domain_r = false;
	return 0;
}

/* addr_no_domain_ok - whether a mailbox without domain is allowed */
static bool
addr_no_domain_ok(const struct addr_parser *ap)
{
	/* RFC 5321 4.1.1.3: "<Postmaster>" only, and it must be unquoted. */
	if ((ap->flags & ADDR_F_POSTMASTER) &&
	    ap->local_raw_len == ap->local_len &&
	    strcasecmp(ap->local, "postmaster") == 0)
		return true;
	return (ap->flags & ADDR_F_NO_DOMAIN) != 0;
}

/* addr_result - copy the parsed mailbox into the caller's struct */
static void
addr_result(const struct addr_parser *ap, bool has_domain, struct addr *a)
{
	a->local = mem_memdup(ap->local, ap->local_len);
	a->domain = has_domain ? mem_memdup(ap->domain, ap->domain_len) : NULL;
}

/* addr_parser_init - start a parse */
static void
addr_parser_init(struct addr_parser *ap, const uint8_t *p, size_t n, int flags,
                 struct addr *addr_r, struct addr_error *error_r)
{
	memset(ap, 0, sizeof(*ap));
	ap->p = p;
	ap->n = n;
	ap->flags = flags;
	ap->error_r = error_r;
	addr_r->local = NULL;
	addr_r->domain = NULL;
	error_r->kind = ADDR_ERR_NONE;
	error_r->code = 0;
	error_r->enhanced = "";
	error_r->text = "";
}

/* addr_parse_path - "<" [route ":"] mailbox ">" or "<>" */
int
addr_parse_path(const uint8_t *p, size_t n, int flags, size_t *used_r,
                struct addr *addr_r, struct addr_error *error_r)
{
	struct addr_parser ap;
	bool has_domain = false;

	addr_parser_init(&ap, p, n, flags, addr_r, error_r);
	if (n == 0 || p[0] != '<')
		return addr_syntax(&ap);
	ap.pos = 1;
	if (n >= 2 && p[1] == '>') {
		if (!(flags & ADDR_F_NULL_OK))
			return addr_fail(&ap, ADDR_ERR_NULL, 501,
			                 "Null address not allowed here");
		ap.pos = 2;
		if (used_r == NULL && ap.pos != n)
			return addr_syntax(&ap);
		if (used_r != NULL)
			*used_r = ap.pos;
		return 0;
	}
	if (ap.pos < n && p[ap.pos] == '@' && addr_parse_route(&ap) < 0)
		return -1;
	if (addr_parse_mailbox(&ap, &has_domain) < 0)
		return -1;
	if (!has_domain && !addr_no_domain_ok(&ap))
		return addr_syntax(&ap);
	if (ap.pos >= n || p[ap.pos] != '>')
		return addr_syntax(&ap);
	ap.pos++;
	if (ap.pos > ADDR_PATH_MAX)
		return addr_fail(&ap, ADDR_ERR_TOO_LONG, 501, "Path too long");
	if (used_r == NULL && ap.pos != n)
		return addr_syntax(&ap);
	if (used_r != NULL)
		*used_r = ap.pos;
	addr_result(&ap, has_domain, addr_r);
	return 0;
}

/* addr_parse_bare - mailbox without angle brackets */
int
addr_parse_bare(const uint8_t *p, size_t n, int flags, size_t *used_r,
                struct addr *addr_r, struct addr_error *error_r)
{
	struct addr_parser ap;
	bool has_domain = false;

	addr_parser_init(&ap, p, n, flags, addr_r, error_r);
	if (addr_parse_mailbox(&ap, &has_domain) < 0)
		return -1;
	if (!has_domain && !addr_no_domain_ok(&ap))
		return addr_syntax(&ap);
	/* The same mailbox inside "<" ">" must fit ADDR_PATH_MAX. */
	if (ap.pos > ADDR_PATH_MAX - 2)
		return addr_fail(&ap, ADDR_ERR_TOO_LONG, 501, "Path too long");
	if (used_r == NULL && ap.pos != n)
		return addr_syntax(&ap);
	if (used_r != NULL)
		*used_r = ap.pos;
	addr_result(&ap, has_domain, addr_r);
	return 0;
}

/* addr_is_valid_domain - domain or address literal, whole input */
bool
addr_is_valid_domain(const uint8_t *p, size_t n, int flags)
{
	struct addr_parser ap;
	struct addr_error err;
	struct addr dummy;

	addr_parser_init(&ap, p, n, flags & (ADDR_F_UTF8 | ADDR_F_STRICT),
	                 &dummy, &err);
	return addr_parse_domain(&ap) == 0 && ap.pos == n;
}

/* addr_is_null - null path test */
bool
addr_is_null(const struct addr *a)
{
	return a->local == NULL && a->domain == NULL;
}

/* addr_str_has_8bit - any octet >= 0x80 in s (NULL is fine) */
static bool
addr_str_has_8bit(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* addr_has_8bit - any octet >= 0x80 in the address */
bool
addr_has_8bit(const struct addr *a)
{
	return addr_str_has_8bit(a->local) || addr_str_has_8bit(a->domain);
}

/* addr_deinit - free the strings */
void
addr_deinit(struct addr *a)
{
	mem_free(&a->local);
	mem_free(&a->domain);
}

/* addr_needs_quotes - whether the local part is not a plain dot-string */
static bool
addr_needs_quotes(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	bool atom_empty = true;

	for (; *u; u++) {
		if (*u == '.') {
			if (atom_empty)
				return true;
			atom_empty = true;
		} else if (*u >= 0x80 || addr_is_atext(*u)) {
			atom_empty = false;
		} else {
			return true;
		}
	}
	return atom_empty; /* empty, or ends in "." */
}

/* addr_format - canonical external form */
char *
addr_format(const struct addr *a)
{
	struct buf b;
	size_t local_len, domain_len, max;
	const char *s;
	char *ret;

	if (addr_is_null(a))
		return mem_strdup("");
	local_len = a->local != NULL ? strlen(a->local) : 0;
	domain_len = a->domain != NULL ? strlen(a->domain) : 0;
	/* Worst case: every local octet escaped, two quotes, "@", domain. */
	if (!checked_mul(local_len, 2, &max) || !checked_add(max, 3, &max) ||
	    !checked_add(max, domain_len, &max))
		log_panic("addr_format: size overflow");
	buf_init(&b, max);
	if (a->local != NULL && addr_needs_quotes(a->local)) {
		buf_append_byte(&b, '"');
		for (s = a->local; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_append_byte(&b, '\\');
			buf_append_byte(&b, (uint8_t)*s);
		}
		buf_append_byte(&b, '"');
	} else if (a->local != NULL) {
		buf_append(&b, a->local, local_len);
	}
	if (a->domain != NULL) {
		buf_append_byte(&b, '@');
		buf_append(&b, a->domain, domain_len);
	}
	ret = mem_memdup(b.data != NULL ? b.data : (uint8_t *)"", b.len);
	buf_deinit(&b);
	return ret;
}
