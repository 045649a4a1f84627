/*
 * cidr.c - network address lists (see cidr.h).
 *
 * cidr_list_parse, cidr_list_deinit, cidr_list_match, cidr_list_match_text.
 * Input is configuration text (trusted, but checked: a bad entry is a
 * configuration error naming it). Limits: CIDR_MAX_ENTRIES entries, 63
 * characters per entry.
 */
#include "lib/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse_num.h"
#include "lib/str.h"

/* Longest textual entry: an IPv6 address in brackets with a prefix. */
#define CIDR_ENTRY_MAX 63

/* cidr_parse_entry - one "addr[/prefix]" */
static int
cidr_parse_entry(const char *text, struct cidr_entry *e)
{
	char addr[CIDR_ENTRY_MAX + 1];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	uint64_t prefix;

	if (n == 0 || n > CIDR_ENTRY_MAX)
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (addr[0] == '[') {
		if (n < 3 || addr[n - 1] != ']')
			return -1;
		addr[n - 1] = '\0';
		memmove(addr, addr + 1, n - 1);
	}
	memset(e, 0, sizeof(*e));
	if (inet_pton(AF_INET, addr, e->addr) == 1) {
		e->family = AF_INET;
		e->prefix = 32;
	} else if (inet_pton(AF_INET6, addr, e->addr) == 1) {
		e->family = AF_INET6;
		e->prefix = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		if (parse_uint(slash + 1, 0, e->prefix, &prefix) < 0)
			return -1;
		e->prefix = (unsigned)prefix;
	}
	return 0;
}

/* cidr_list_parse - parse a whole list */
int
cidr_list_parse(struct cidr_list *list, const char *text,
		const char **error_r)
{
	static char error[128];
	size_t count, i;
	char **fields = str_split(text, " \t\r\n,", &count);

	cidr_list_deinit(list);
	if (count > CIDR_MAX_ENTRIES) {
		str_split_free(&fields);
		*error_r = "too many network entries";
		return -1;
	}
	list->entries = mem_alloc_array(count, sizeof(*list->entries));
	for (i = 0; i < count; i++) {
		if (cidr_parse_entry(fields[i], &list->entries[i]) < 0) {
			snprintf(error, sizeof(error),
				 "bad network address \"%s\"",
				 log_safe_str(fields[i]));
			*error_r = error;
			str_split_free(&fields);
			cidr_list_deinit(list);
			return -1;
		}
	}
	list->count = count;
	str_split_free(&fields);
	return 0;
}

/* cidr_list_deinit - release entries */
void
cidr_list_deinit(struct cidr_list *list)
{
	mem_free(&list->entries);
	list->count = 0;
}

/* cidr_prefix_equal - first bits bits of a and b are equal */
static bool
cidr_prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* cidr_match_raw - match a family + address */
static bool
cidr_match_raw(const struct cidr_list *list, int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		const struct cidr_entry *e = &list->entries[i];

		if (e->family == family &&
		    cidr_prefix_equal(e->addr, addr, e->prefix))
			return true;
	}
	return false;
}

/* cidr_list_match - match a socket address */
bool
cidr_list_match(const struct cidr_list *list, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return cidr_match_raw(list, AF_INET,
				      (const uint8_t *)&in->sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return cidr_match_raw(list, AF_INET, a + 12);
		return cidr_match_raw(list, AF_INET6, a);
	}
	return false;
}

/* cidr_list_match_text - match a numeric address string */
bool
cidr_list_match_text(const struct cidr_list *list, const char *addr)
{
	uint8_t raw[16];

	if (inet_pton(AF_INET, addr, raw) == 1)
		return cidr_match_raw(list, AF_INET, raw);
	if (inet_pton(AF_INET6, addr, raw) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
						    0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(raw, mapped, sizeof(mapped)) == 0)
			return cidr_match_raw(list, AF_INET, raw + 12);
		return cidr_match_raw(list, AF_INET6, raw);
	}
	return false;
}
