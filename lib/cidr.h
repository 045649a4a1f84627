/*
 * cidr.h - network address lists (mynetworks).
 *
 * A list is parsed from text like Postfix's mynetworks:
 * "127.0.0.0/8 [::1]/128 192.168.1.5 2001:db8::/32", separated by white
 * space or commas. IPv6 may be written with or without brackets. An IPv4
 * client on a dual-stack socket (::ffff:a.b.c.d) matches IPv4 entries.
 */
#ifndef MR_CIDR_H
#define MR_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Most entries in one list. */
#define CIDR_MAX_ENTRIES 1024

struct cidr_entry {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network byte order; 4 bytes used for IPv4 */
	unsigned prefix;	/* prefix length in bits */
};

struct cidr_list {
	struct cidr_entry *entries;
	size_t count;
};

/*
 * cidr_list_parse - parse text into list (replacing its contents). Returns
 * 0, or -1 with *error_r naming the bad entry (static storage).
 */
int cidr_list_parse(struct cidr_list *list, const char *text,
		    const char **error_r);

/* cidr_list_deinit - release the entries. */
void cidr_list_deinit(struct cidr_list *list);

/* cidr_list_match - whether the socket address is in the list. */
bool cidr_list_match(const struct cidr_list *list,
		     const struct sockaddr *sa);

/* cidr_list_match_text - the same for a numeric address string. */
bool cidr_list_match_text(const struct cidr_list *list, const char *addr);

#endif
