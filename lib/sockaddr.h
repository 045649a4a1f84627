/*
 * sockaddr.h - socket addresses as the daemons use them.
 *
 *   sockaddr_text        a peer's address as numeric text for logs and
 *                        tables ("192.0.2.1", "2001:db8::1"); an IPv4
 *                        client on a dual-stack socket (::ffff:a.b.c.d)
 *                        is written as IPv4; "unknown" when it cannot be
 *                        converted
 *   sockaddr_is_loopback 127.0.0.0/8, ::1 and ::ffff:127.x.y.z (what
 *                        pop3d and imapd treat as a secure channel)
 *   sockaddr_un_set      a Unix socket address for path; refuses a path
 *                        that does not fit sun_path instead of cutting it
 *   sockaddr_fd_text     both ends of a connected socket as text, and
 *                        whether the peer is on loopback
 */
#ifndef MR_SOCKADDR_H
#define MR_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* sockaddr_text - numeric text of the len octets of address ss into out. */
void sockaddr_text(const struct sockaddr_storage *ss, socklen_t len,
		   char *out, size_t size);

/* sockaddr_is_loopback - whether ss is a loopback address. */
bool sockaddr_is_loopback(const struct sockaddr_storage *ss);

/*
 * sockaddr_fd_text - the peer's and the local address of the connected
 * socket fd as sockaddr_text writes them ("unknown" for an end the kernel
 * cannot name). Returns whether the peer is a loopback address.
 */
bool sockaddr_fd_text(int fd, char *peer, size_t peer_size, char *local,
		      size_t local_size);

/*
 * sockaddr_un_set - *sun zeroed and set to AF_UNIX path. Returns 0, or -1
 * when path is too long for sun_path.
 */
int sockaddr_un_set(struct sockaddr_un *sun, const char *path);

#endif
