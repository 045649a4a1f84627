/*
 * privs.c - the one privilege drop (see privs.h).
 *
 * privs_lookup, privs_drop, privs_is_root.
 * Runs as root in master (between fork and exec of a child) and in local
 * before a delivery. SECURITY: after setgroups/setgid/setuid the real,
 * effective and saved ids are read back; any id left at its old value is a
 * broken invariant and panics rather than continuing with privileges.
 */
#include "lib/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

/* privs_lookup - resolve a user name */
int
privs_lookup(const char *user, uid_t *uid_r, gid_t *gid_r,
	     const char **error_r)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		*error_r = errno != 0 ? strerror(errno) : "no such user";
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

/* privs_is_root - effective uid 0 */
bool
privs_is_root(void)
{
	return geteuid() == 0;
}

/* privs_drop - set groups, gid and uid, then verify */
int
privs_drop(uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (!privs_is_root())
		return geteuid() == uid ? 0 : -1;
	if (uid == 0)
		log_panic("privs_drop: refusing to drop to uid 0");
	/* SECURITY: groups first, while we still may change them. */
	if (setgroups(1, &gid) < 0)
		log_panic("setgroups(%ld): %m", (long)gid);
	if (setresgid(gid, gid, gid) < 0)
		log_panic("setresgid(%ld): %m", (long)gid);
	if (setresuid(uid, uid, uid) < 0)
		log_panic("setresuid(%ld): %m", (long)uid);
	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0)
		log_panic("getresuid/getresgid: %m");
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid)
		log_panic("privilege drop to %ld:%ld did not take",
			  (long)uid, (long)gid);
	/* SECURITY: a dropped process must not be able to get root back. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		log_panic("privilege drop is reversible");
	return 0;
}
