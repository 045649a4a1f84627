/*
 * trigger.c - wake a daemon up through its service socket (see trigger.h).
 *
 * trigger_qmgr. Runs in smtpd (mail owner). The socket is non-blocking: a
 * qmgr that does not read cannot stall the caller; a full socket buffer
 * means qmgr has wakeups pending anyway.
 */
#include "lib/trigger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/log.h"

/* trigger_qmgr - send IPC_QMGR_WAKEUP to private/qmgr */
void
trigger_qmgr(const char *queue_dir)
{
	struct sockaddr_un sun;
	struct ipc_msg msg;
	int fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/private/qmgr",
		     queue_dir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_debug("qmgr wakeup: connect %s: %m", sun.sun_path);
		close(fd);
		return;
	}
	ipc_msg_init(&msg, IPC_QMGR_WAKEUP, 0);
	if (send(fd, msg.buf.data, msg.buf.len, MSG_NOSIGNAL) < 0)
		log_debug("qmgr wakeup: send: %m");
	ipc_msg_deinit(&msg);
	close(fd);
}
