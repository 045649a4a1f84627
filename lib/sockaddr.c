/*
 * sockaddr.c - socket address text, loopback test, Unix socket addresses.
 *
 * Input: addresses the kernel returned (getpeername, accept) and socket
 * paths from configuration. No I/O, no allocation.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/sockaddr.h"

/* sockaddr_text - numeric, v4-mapped shown as v4 */
void
sockaddr_text(const struct sockaddr_storage *ss, socklen_t len, char *out,
	      size_t size)
{
	if (getnameinfo((const struct sockaddr *)ss, len, out, (socklen_t)size,
			NULL, 0, NI_NUMERICHOST) != 0) {
		snprintf(out, size, "unknown");
		return;
	}
	if (strncmp(out, "::ffff:", 7) == 0 && strchr(out + 7, '.') != NULL)
		memmove(out, out + 7, strlen(out + 7) + 1);
}

/* sockaddr_is_loopback - 127.0.0.0/8, ::1 or a v4-mapped 127.x */
bool
sockaddr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		const uint8_t *b = a->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && b[12] == 127;
	}
	return false;
}

/* sockaddr_un_set - AF_UNIX address of path */
int
sockaddr_un_set(struct sockaddr_un *sun, const char *path)
{
	size_t len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

/* sockaddr_fd_text - peer and local address of fd */
bool
sockaddr_fd_text(int fd, char *peer, size_t peer_size, char *local,
		 size_t local_size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	bool loopback = false;

	snprintf(peer, peer_size, "unknown");
	snprintf(local, local_size, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		sockaddr_text(&ss, len, peer, peer_size);
		loopback = sockaddr_is_loopback(&ss);
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		sockaddr_text(&ss, len, local, local_size);
	return loopback;
}
