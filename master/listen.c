/*
 * listen.c - master's listening sockets.
 *
 * master_listen_open binds the socket of one service (TCP for inet, a Unix
 * stream socket for unix services), master_listen_close closes it and
 * removes a Unix socket's path. Runs in master, as root for a root install:
 * ports below 1024 are bound here so no daemon ever needs root for it.
 * Unix sockets of private services are mode 0600 (only the mail owner's
 * daemons connect), public ones 0666 (local submission).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/privs.h"
#include "lib/sockaddr.h"
#include "master/master.h"

/* Backlog of every listener: connections queue here while daemons start. */
#define MASTER_LISTEN_BACKLOG 4096

/* listen_inet - bind host:port (host NULL or "" = every address) */
static int
listen_inet(const char *host, const char *port, const char **error_r)
{
	static char error[256];
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host != NULL && host[0] == '\0')
		host = NULL;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(error, sizeof(error), "%s:%s: %s", host ? host : "*",
			 port, gai_strerror(rc));
		*error_r = error;
		return -1;
	}
	/* Prefer IPv6 for the wildcard: one dual-stack socket. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (host == NULL && ai->ai_family != AF_INET6 && ai->ai_next)
			continue;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6 && host == NULL) {
			int off = 0;

			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				   sizeof(off));
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, MASTER_LISTEN_BACKLOG) == 0)
			break;
		snprintf(error, sizeof(error), "bind %s:%s: %s",
			 host ? host : "*", port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*error_r = error;
	return fd;
}

/* listen_unix - bind a Unix stream socket at path */
static int
listen_unix(struct master *m, const char *path, bool is_private,
	    const char **error_r)
{
	static char error[256];
	struct sockaddr_un sun;
	int fd;

	if (sockaddr_un_set(&sun, path) < 0) {
		*error_r = "socket path too long";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, is_private ? 0600 : 0666) < 0 ||
	    (privs_is_root() && m->owner_uid != 0 &&
	     chown(path, m->owner_uid, m->owner_gid) < 0) ||
	    listen(fd, MASTER_LISTEN_BACKLOG) < 0) {
		snprintf(error, sizeof(error), "%s: %s", path, strerror(errno));
		*error_r = error;
		close(fd);
		return -1;
	}
	return fd;
}

/* master_listen_open - open the listener of one service */
int
master_listen_open(struct master *m, struct master_service *svc,
		   const struct service_entry *e, const char **error_r)
{
	if (e->type == SERVICE_TYPE_INET) {
		svc->listen_fd = listen_inet(e->host, e->port, error_r);
		svc->listen_desc = mem_asprintf("%s:%s",
						e->host && e->host[0] ? e->host
								     : "*",
						e->port);
	} else {
		const char *dir = e->is_private ? "private" : "public";
		char *sockdir = mem_asprintf("%s/%s", param_queue_directory,
					     dir);

		if (io_mkdir_p(sockdir, e->is_private ? 0700 : 0755) < 0) {
			*error_r = "cannot create socket directory";
			mem_free(&sockdir);
			return -1;
		}
		if (privs_is_root() && m->owner_uid != 0 &&
		    chown(sockdir, m->owner_uid, m->owner_gid) < 0)
			log_warn("chown %s: %m", sockdir);
		svc->unix_path = mem_asprintf("%s/%s", sockdir, e->name);
		svc->listen_desc = mem_strdup(svc->unix_path);
		mem_free(&sockdir);
		svc->listen_fd = listen_unix(m, svc->unix_path, e->is_private,
					     error_r);
	}
	return svc->listen_fd < 0 ? -1 : 0;
}

/* master_listen_close - close a listener and remove its socket file */
void
master_listen_close(struct master_service *svc)
{
	if (svc->listen_fd >= 0) {
		close(svc->listen_fd);
		svc->listen_fd = -1;
	}
	if (svc->unix_path != NULL)
		unlink(svc->unix_path);
}
