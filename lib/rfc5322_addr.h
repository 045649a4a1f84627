/*
 * rfc5322_addr.h - RFC 5322 address lists (To:, Cc:, Bcc: header values,
 * sendmail recipient arguments) into bare addr-spec strings.
 *
 * Grammar: RFC 5322 section 3.4 (address-list, mailbox, name-addr,
 * angle-addr, group, addr-spec) with the obsolete forms of section 4.4
 * that real mail still carries: empty list elements (",,"), a source route
 * inside angle brackets (dropped), CFWS between the dots of a dot-atom.
 * Comments (nested, with quoted-pairs) and folding white space are
 * skipped; CR and LF count as white space, so a folded header value can be
 * passed as it is. Bytes >= 0x80 are accepted in atoms, quoted strings and
 * comments (RFC 6532); NUL, other control bytes and DEL are refused.
 *
 * Leniencies, each one what deployed parsers (Postfix's tok822) accept:
 *  - an addr-spec without "@domain" ("joe") is returned as it is; the
 *    caller appends its default domain;
 *  - the display name before "<" or ":" is skipped unchecked (it may hold
 *    an unquoted "@" or "."), so only the address is validated;
 *  - a group may lack its closing ";" at the end of the value, and may
 *    have an empty display name.
 *
 * Output: each address as "local@domain" text with all CFWS removed: atoms
 * and dots as written, quoted strings with their quotes and quoted-pairs
 * but without CR/LF, domain literals as written. The result suits
 * addr_parse_bare (lib/addr.h), which does the RFC 5321 validation.
 */
#ifndef MR_RFC5322_ADDR_H
#define MR_RFC5322_ADDR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Longest addr-spec returned: RFC 5321 4.5.3.1.3 allows a path of 256
 * octets including "<" and ">"; longer addresses cannot be used in SMTP.
 */
#define RFC5322_ADDR_SPEC_MAX 254

/* Deepest comment nesting accepted ("((((x))))"): bounds nothing but
 * makes absurd input an error rather than a silent success. */
#define RFC5322_ADDR_COMMENT_DEPTH_MAX 32

enum rfc5322_addr_error_kind {
	RFC5322_ADDR_ERR_NONE,
	RFC5322_ADDR_ERR_SYNTAX,   /* malformed address list */
	RFC5322_ADDR_ERR_TOO_LONG, /* an address over RFC5322_ADDR_SPEC_MAX */
	RFC5322_ADDR_ERR_TOO_MANY, /* more addresses than max_count */
};

/*
 * struct rfc5322_addr_error - why a list was refused: the kind, a static
 * text ("unbalanced comment", ...) and the offset in the input where the
 * problem was found.
 */
struct rfc5322_addr_error {
	enum rfc5322_addr_error_kind kind;
	const char *text;
	size_t offset;
};

/*
 * struct rfc5322_addr_list - the addresses found so far, in input order.
 * Owns the strings and the array; start zeroed (or with _init), release
 * with rfc5322_addr_list_deinit.
 */
struct rfc5322_addr_list {
	char **addrs;
	size_t count;
	size_t cap;
};

/* rfc5322_addr_list_init - an empty list. */
void rfc5322_addr_list_init(struct rfc5322_addr_list *list);

/*
 * rfc5322_addr_list_parse - parse the n bytes at p as an address-list and
 * append every address to list (groups contribute their members; an empty
 * group or an empty value contributes nothing). max_count bounds
 * list->count after the call. Returns 0; or -1 with *error_r filled and
 * list exactly as it was before the call.
 */
int rfc5322_addr_list_parse(struct rfc5322_addr_list *list, const uint8_t *p,
                            size_t n, size_t max_count,
                            struct rfc5322_addr_error *error_r);

/* rfc5322_addr_list_deinit - free the addresses; the list is empty after. */
void rfc5322_addr_list_deinit(struct rfc5322_addr_list *list);

#endif
