/*
 * addr.h - the one RFC 5321 address parser of the project.
 *
 * Parses a reverse-path or forward-path "<...>" as it follows MAIL FROM: and
 * RCPT TO: (RFC 5321 section 4.1.2), or a bare mailbox "user@domain" (the
 * sendmail command line, Postfix's lenient envelopes). The result is a
 * struct addr whose local part is in internal (unquoted) form with its case
 * kept, and whose domain is lower-cased (ASCII letters only).
 *
 * Decisions (see addr.c for the reasons):
 *  - source routes "<@a,@b:user@dom>" are accepted and dropped (RFC 5321
 *    appendix C); their domains must still be syntactically valid;
 *  - domain labels are letters, digits and hyphens with no leading or
 *    trailing hyphen, at most 63 octets; underscores are accepted anywhere
 *    in a label (as Postfix does: real hosts carry them) unless
 *    ADDR_F_STRICT; a trailing dot is refused;
 *  - address literals are "[a.b.c.d]" and "[IPv6:...]"; general address
 *    literals ("[tag:...]") are refused, as no tag besides IPv6 exists;
 *  - local parts are dot-strings or quoted strings (RFC 5321 grammar, no
 *    leniency for "a..b" or "a."; those need quoting);
 *  - bytes >= 0x80 are allowed in the local part and the domain only with
 *    ADDR_F_UTF8 (SMTPUTF8, RFC 6531) and must be well-formed UTF-8
 *    (shortest form, no surrogates, at most U+10FFFF); IDNA rules for
 *    U-labels are not checked.
 */
#ifndef MR_ADDR_H
#define MR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of RFC 5321 section 4.5.3.1. */
#define ADDR_LOCAL_MAX 64   /* 4.5.3.1.1: local part, octets */
#define ADDR_DOMAIN_MAX 255 /* 4.5.3.1.2: domain, octets */
#define ADDR_PATH_MAX 256   /* 4.5.3.1.3: path with "<", ">" and route */
#define ADDR_LABEL_MAX 63   /* RFC 1035 2.3.4: one domain label */

/* Flags for the parsers. */
#define ADDR_F_NULL_OK 0x01    /* "<>" is accepted (reverse-path) */
#define ADDR_F_UTF8 0x02       /* SMTPUTF8: UTF-8 in local part and domain */
#define ADDR_F_SENDER 0x04     /* errors carry X.1.7 (sender) not X.1.3 */
#define ADDR_F_POSTMASTER 0x08 /* "<Postmaster>" without domain (RCPT TO) */
#define ADDR_F_NO_DOMAIN 0x10  /* bare "user" without "@domain" */
#define ADDR_F_STRICT 0x20     /* refuse "_" in domain labels */

enum addr_error_kind {
	ADDR_ERR_NONE,
	ADDR_ERR_SYNTAX,   /* malformed: 501 5.1.3 / 501 5.1.7 */
	ADDR_ERR_TOO_LONG, /* path 501, local part or domain 553 */
	ADDR_ERR_NULL,     /* "<>" where it is not allowed: 501 */
	ADDR_ERR_UTF8,     /* non-ASCII without SMTPUTF8: 553 5.6.7 */
};

/*
 * struct addr_error - why an address was refused, with the reply a server
 * should give: "<code> <enhanced> <text>". The strings are static.
 */
struct addr_error {
	enum addr_error_kind kind;
	int code;
	const char *enhanced;
	const char *text;
};

/*
 * struct addr - a parsed address. Both strings are heap copies owned by the
 * struct (release with addr_deinit). The null path "<>" has local == NULL
 * and domain == NULL; "<Postmaster>" and bare "user" (with their flags) have
 * domain == NULL only. The local part is unquoted ("a b" for "\"a b\"").
 */
struct addr {
	char *local;
	char *domain;
};

/*
 * addr_parse_path - parse "<" [route ":"] mailbox ">" or "<>" from the n
 * bytes at p. With used_r NULL the path must fill the input exactly;
 * otherwise parsing stops after ">" and *used_r gets the octets used.
 * Returns 0 with *addr_r filled (the caller calls addr_deinit), or -1 with
 * *error_r filled and *addr_r empty.
 */
int addr_parse_path(const uint8_t *p, size_t n, int flags, size_t *used_r,
                    struct addr *addr_r, struct addr_error *error_r);

/*
 * addr_parse_bare - parse a mailbox without angle brackets or route:
 * "user@domain", or "user" alone with ADDR_F_NO_DOMAIN ("Postmaster" alone
 * with ADDR_F_POSTMASTER). used_r as for addr_parse_path: parsing stops at
 * the first octet that cannot continue the mailbox. The mailbox may be at
 * most ADDR_PATH_MAX - 2 octets. Returns as addr_parse_path.
 */
int addr_parse_bare(const uint8_t *p, size_t n, int flags, size_t *used_r,
                    struct addr *addr_r, struct addr_error *error_r);

/*
 * addr_is_valid_domain - whether the n bytes at p are exactly a domain name
 * or an address literal under the rules above (HELO/EHLO argument checks).
 * Only ADDR_F_UTF8 and ADDR_F_STRICT matter in flags.
 */
bool addr_is_valid_domain(const uint8_t *p, size_t n, int flags);

/* addr_is_null - whether a is the null path "<>". */
bool addr_is_null(const struct addr *a);

/* addr_has_8bit - whether the local part or domain has octets >= 0x80. */
bool addr_has_8bit(const struct addr *a);

/* addr_deinit - free the strings and leave a as the null path. */
void addr_deinit(struct addr *a);

/*
 * addr_format - new string with the address in canonical external form,
 * without angle brackets: "local@domain", the local part quoted (with "\"
 * before '"' and '\') only when it is not a valid dot-string; "" for the
 * null path; "local" when there is no domain. The caller frees it.
 */
char *addr_format(const struct addr *a);

/*
 * addr_utf8_seq_len - length (1-4) of the well-formed UTF-8 sequence at
 * the start of the n bytes at p, or 0 when they do not start with one
 * (overlong forms, surrogates, > U+10FFFF, truncation). ASCII gives 1.
 */
size_t addr_utf8_seq_len(const uint8_t *p, size_t n);

#endif
