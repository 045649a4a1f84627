/*
 * mailroom_queue_admin.c - mailroom queue delete|hold|release|requeue|flush.
 *
 * mailroom_queue_admin - change the state of queued messages, like
 *                        Postfix's postsuper -d/-h/-H and postqueue -f
 *
 *	delete  ID...|ALL|-   remove the file: by ID from active/, deferred/,
 *	                      hold/ or corrupt/; ALL empties active/,
 *	                      deferred/ and hold/ (corrupt/ is kept for
 *	                      inspection, as Postfix keeps it)
 *	hold    ID...|ALL|-   active/ or deferred/ -> hold/
 *	release ID...|ALL|-   hold/ -> active/, then wake qmgr
 *	requeue ID...|ALL|-   deferred/ -> active/ (a message already active
 *	                      counts as requeued), then wake qmgr; held mail
 *	                      stays on hold, as with postsuper -r
 *	flush                 every deferred/ message -> active/, wake qmgr
 *
 * "-" reads IDs from standard input, one per line (surrounding white space
 * ignored, empty lines skipped). A message that exists but is not in a
 * state the verb applies to (release of an active message) is silently
 * left alone, like postsuper does. incoming/ is never touched: its files
 * are still being written.
 *
 * Output: on stderr, one summary per verb when it changed anything, in
 * postsuper's words ("mailroom: Deleted: 3 messages", "Placed on hold",
 * "Released from hold", "Requeued", and "Flushed" for flush); each
 * message changed is logged to syslog and maillog_file as postsuper logs
 * it ("ID: removed", "ID: placed on hold", "ID: released from hold",
 * "ID: requeued").
 *
 * Untrusted input: IDs from the command line and standard input. Each is
 * checked with queue_id_is_valid before any path is built from it
 * (SECURITY: "../x" or "a/b" never reach rename or unlink); lines longer
 * than ADMIN_LINE_MAX are refused whole.
 *
 * Privilege: the invoking user's; in a root instance only root and
 * mail_owner may change the queue. Moves use queue_move (rename, then
 * fsync of the target directory); removals use queue_remove.
 *
 * Exit codes: 0 done, 1 when an ID was invalid or not found or a move
 * failed (every other ID is still processed), 64 usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "lib/params.h"
#include "lib/str.h"
#include "lib/trigger.h"
#include "tools/mailroom_queue.h"

/* Longest line read from standard input (an ID is 21 bytes). */
#define ADMIN_LINE_MAX 256

/* What a verb does. */
struct admin_verb {
	const char *name;
	enum queue_state from[4];	/* states it applies to, by ID */
	size_t from_count;
	size_t all_count;		/* how many of from ALL covers */
	bool remove;			/* delete instead of move */
	enum queue_state to;		/* target state of a move */
	const char *logged;		/* per message, after the ID */
	const char *summary;		/* "Deleted: N messages" */
	bool takes_ids;			/* false: flush */
};

static const struct admin_verb admin_verbs[] = {
	{ "delete",
	  { QUEUE_STATE_ACTIVE, QUEUE_STATE_DEFERRED, QUEUE_STATE_HOLD,
	    QUEUE_STATE_CORRUPT },
	  4, 3, true, QUEUE_STATE_ACTIVE, "removed", "Deleted", true },
	{ "hold",
	  { QUEUE_STATE_ACTIVE, QUEUE_STATE_DEFERRED },
	  2, 2, false, QUEUE_STATE_HOLD, "placed on hold", "Placed on hold",
	  true },
	{ "release",
	  { QUEUE_STATE_HOLD },
	  1, 1, false, QUEUE_STATE_ACTIVE, "released from hold",
	  "Released from hold", true },
	{ "requeue",
	  { QUEUE_STATE_ACTIVE, QUEUE_STATE_DEFERRED },
	  2, 2, false, QUEUE_STATE_ACTIVE, "requeued", "Requeued", true },
	{ "flush",
	  { QUEUE_STATE_DEFERRED },
	  1, 1, false, QUEUE_STATE_ACTIVE, "requeued", "Flushed", false },
};

/* The state of one run. */
struct admin_run {
	const struct admin_verb *verb;
	enum queue_state scanning;	/* for the ALL scan callback */
	size_t changed;
	bool to_active;			/* something went to active/ */
	int rc;
};

/* admin_log_init - log per-message events like the daemons do */
static void
admin_log_init(void)
{
	char progname[128];
	const char *error;

	snprintf(progname, sizeof(progname), "%s/queue", param_syslog_name);
	log_init(progname, LOG_TO_STDERR);
	if (param_maillog_file[0] != '\0' &&
	    log_open_file(param_maillog_file, &error) < 0)
		log_debug("cannot open maillog_file %s: %s",
			  param_maillog_file, error);
}

/* admin_log_event - "ID: what" to syslog and maillog_file only */
static void
admin_log_event(const char *id, const char *what)
{
	/* stderr gets the summary only, as with postsuper. */
	log_set_destinations(LOG_TO_SYSLOG);
	log_info("%s: %s", id, what);
	log_set_destinations(LOG_TO_STDERR);
}

/*
 * admin_apply - apply the verb to id in state from. Returns 1 when done,
 * 0 when the file is not there (ENOENT), -1 after printing an error.
 */
static int
admin_apply(struct admin_run *run, const char *id, enum queue_state from)
{
	const struct admin_verb *v = run->verb;
	char path[PATH_MAX];
	const char *error;
	struct stat st;
	int rc;

	if (v->remove) {
		rc = queue_remove(param_queue_directory, id, from, &error);
	} else if (from == v->to) {
		/* requeue of an active message: nothing to move. */
		if (queue_path(param_queue_directory, from, id, path,
			       sizeof(path)) < 0) {
			error = "queue directory path too long";
			rc = -1;
		} else {
			error = "cannot stat queue file";
			rc = lstat(path, &st);
		}
	} else {
		rc = queue_move(param_queue_directory, id, from, v->to,
				&error);
	}
	if (rc < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "mailroom: %s: %s: %s: %s\n", id,
			queue_state_name(from), error, strerror(errno));
		run->rc = 1;
		return -1;
	}
	run->changed++;
	if (!v->remove && v->to == QUEUE_STATE_ACTIVE)
		run->to_active = true;
	admin_log_event(id, v->logged);
	return 1;
}

/* admin_exists - whether id is in any state that holds a message */
static bool
admin_exists(const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < MAILROOM_QUEUE_STATE_COUNT; i++)
		if (queue_path(param_queue_directory,
			       mailroom_queue_states[i], id, path,
			       sizeof(path)) == 0 &&
		    lstat(path, &st) == 0)
			return true;
	return false;
}

/* admin_one - apply the verb to the message named id by the user */
static void
admin_one(struct admin_run *run, const char *id)
{
	size_t i;
	int rc;

	/* SECURITY: no path is built from id before this check. */
	if (!queue_id_is_valid(id)) {
		fprintf(stderr, "mailroom: invalid queue ID: %s\n",
			log_safe_str(id));
		run->rc = 1;
		return;
	}
	for (i = 0; i < run->verb->from_count; i++) {
		rc = admin_apply(run, id, run->verb->from[i]);
		if (rc != 0)
			return;
	}
	if (!admin_exists(id)) {
		fprintf(stderr, "mailroom: %s: no such message in the queue\n",
			id);
		run->rc = 1;
	}
}

/* admin_scan_one - queue_scan callback for ALL */
static int
admin_scan_one(void *ctx, const char *id)
{
	struct admin_run *run = ctx;

	(void)admin_apply(run, id, run->scanning);
	return 0;
}

/* admin_all - apply the verb to every message of its ALL states */
static void
admin_all(struct admin_run *run)
{
	const char *error;
	size_t i;

	for (i = 0; i < run->verb->all_count; i++) {
		run->scanning = run->verb->from[i];
		if (queue_scan(param_queue_directory, run->scanning,
			       admin_scan_one, run, &error) < 0) {
			fprintf(stderr, "mailroom: %s/%s: %s: %s\n",
				param_queue_directory,
				queue_state_name(run->scanning), error,
				strerror(errno));
			run->rc = 1;
		}
	}
}

/* admin_stdin - apply the verb to every ID on standard input */
static void
admin_stdin(struct admin_run *run)
{
	char line[ADMIN_LINE_MAX + 2];
	bool too_long = false;
	size_t len;
	char *id;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
			too_long = true; /* refuse the whole line */
			continue;
		}
		if (too_long) {
			fprintf(stderr, "mailroom: queue ID line too long\n");
			run->rc = 1;
			too_long = false;
			continue;
		}
		id = str_trim(line);
		if (*id != '\0')
			admin_one(run, id);
	}
	if (too_long) {
		fprintf(stderr, "mailroom: queue ID line too long\n");
		run->rc = 1;
	}
	if (ferror(stdin)) {
		fprintf(stderr, "mailroom: read error on standard input: %s\n",
			strerror(errno));
		run->rc = 1;
	}
}

/* mailroom_queue_admin - mailroom queue VERB ID...|ALL|- */
int
mailroom_queue_admin(const char *verb, int argc, char **argv)
{
	struct admin_run run = { NULL, QUEUE_STATE_ACTIVE, 0, false, 0 };
	size_t i;
	int a;

	for (i = 0; i < sizeof(admin_verbs) / sizeof(admin_verbs[0]); i++)
		if (strcmp(verb, admin_verbs[i].name) == 0)
			run.verb = &admin_verbs[i];
	MR_ASSERT(run.verb != NULL);
	if (run.verb->takes_ids ? argc < 1 : argc != 0) {
		if (run.verb->takes_ids)
			fprintf(stderr, "usage: mailroom queue %s "
					"ID...|ALL|-\n",
				verb);
		else
			fprintf(stderr, "usage: mailroom queue %s\n", verb);
		return MR_EXIT_USAGE;
	}
	admin_log_init();
	if (!run.verb->takes_ids)
		admin_all(&run);
	for (a = 0; a < argc; a++) {
		if (strcmp(argv[a], "ALL") == 0)
			admin_all(&run);
		else if (strcmp(argv[a], "-") == 0)
			admin_stdin(&run);
		else
			admin_one(&run, argv[a]);
	}
	if (run.to_active)
		trigger_qmgr(param_queue_directory);
	if (run.changed > 0)
		fprintf(stderr, "mailroom: %s: %zu message%s\n",
			run.verb->summary, run.changed,
			run.changed == 1 ? "" : "s");
	return run.rc;
}
