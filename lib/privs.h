/*
 * privs.h - the one privilege drop.
 *
 * Every process that gives up root goes through privs_drop: clear the
 * supplementary groups, set gid, set uid, then read the ids back and panic
 * if anything privileged is left. Without root it only checks that the
 * process already runs as the requested user.
 */
#ifndef MR_PRIVS_H
#define MR_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * privs_lookup - uid and gid of the named user. Returns 0, or -1 with
 * *error_r set when the user does not exist.
 */
int privs_lookup(const char *user, uid_t *uid_r, gid_t *gid_r,
		 const char **error_r);

/*
 * privs_drop - become uid/gid for good. Panics when the drop cannot be
 * verified (a process that might still be root must not go on). When the
 * process is not root, it returns 0 if it already is uid, -1 otherwise.
 */
int privs_drop(uid_t uid, gid_t gid);

/* privs_is_root - whether the effective uid is 0. */
bool privs_is_root(void);

#endif
