/*
 * mailroom_queue.c - mailroom queue: inspect and manage the mail queue.
 *
 * mailroom_cmd_queue          - dispatch list, show, delete, hold, ...
 * mailroom_queue_open         - find a message by ID and open it read-only
 * mailroom_queue_format_time  - asctime(3)-style arrival time
 * mailroom_queue_states       - the states holding complete messages
 *
 * `list` prints the queue like Postfix's mailq (postqueue -p), or one JSON
 * object per message like postqueue -j with --json. It reads active/,
 * deferred/ and hold/ through lib/queue_read (incoming/ holds files still
 * being written, corrupt/ files that are not messages) and is read-only:
 * a file the reader refuses is skipped with a warning and left where it
 * is, because moving it to corrupt/ is the business of the queue's owner
 * (qmgr), not of an inspection command. `show` and the management verbs
 * live in mailroom_queue_show.c and mailroom_queue_admin.c.
 *
 * Untrusted input: queue IDs from the command line or standard input
 * (checked with queue_id_is_valid before any path is built) and queue
 * file contents (parsed by the one reader; values are validated there, and
 * JSON output escapes them with lib/json).
 *
 * Privilege: the invoking user's. In a root instance the queue belongs to
 * mail_owner, so only root or mail_owner can read or change it; others get
 * the system's "permission denied".
 *
 * Limits: one JSON string at most QUEUE_ADDR_MAX bytes before escaping
 * (every string printed is an address or a fixed name); the list of queue
 * entries is bounded by what the directories hold (mem_* is fatal on
 * exhaustion).
 *
 * Exit codes: 0 done, 1 failure (message on stderr), 64 usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "tools/mailroom.h"
#include "tools/mailroom_queue.h"

/* How mailq shows the null sender (Postfix empty_address_recipient). */
#define QUEUE_NULL_SENDER_NAME "MAILER-DAEMON"

/* Largest escaped JSON string: an address at its limit, every byte \u00XX. */
#define QUEUE_JSON_STRING_MAX (QUEUE_ADDR_MAX * JSON_ESCAPE_OCTETS_MAX + 2)

/* Indentation of recipient lines in mailq output (Postfix's columns). */
#define QUEUE_RCPT_INDENT 41

const enum queue_state mailroom_queue_states[MAILROOM_QUEUE_STATE_COUNT] = {
	QUEUE_STATE_ACTIVE,
	QUEUE_STATE_DEFERRED,
	QUEUE_STATE_HOLD,
};

/* One message found by the directory scan. */
struct queue_entry {
	char id[QUEUE_ID_SIZE];
	enum queue_state state;
};

/* What list collects before it sorts and prints. */
struct queue_list {
	struct queue_entry *entries;
	size_t count;
	size_t alloc;
	enum queue_state scanning;
};

/* queue_usage - the sub-command summary */
static int
queue_usage(void)
{
	fprintf(stderr,
		"usage: mailroom queue list [--json]\n"
		"       mailroom queue show [-h|-b] ID\n"
		"       mailroom queue delete|hold|release|requeue "
		"ID...|ALL|-\n"
		"       mailroom queue flush\n");
	return MR_EXIT_USAGE;
}

/* mailroom_queue_format_time - asctime-style local time of time_us */
void
mailroom_queue_format_time(uint64_t time_us, char out[32])
{
	time_t t = (time_t)(time_us / 1000000);
	struct tm tm;

	/* asctime's layout, in the C locale (no setlocale is ever called). */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(out, 32, "%s", "??? ??? ?? ??:??:?? ????");
}

/* mailroom_queue_open - find id in the complete states and open it */
int
mailroom_queue_open(const char *id, struct queue_message **msg_r,
		    enum queue_state *state_r, bool *missing_r)
{
	char path[PATH_MAX];
	enum queue_err err;
	const char *error;
	size_t i, round;

	*missing_r = false;
	if (!queue_id_is_valid(id)) {
		fprintf(stderr, "mailroom: invalid queue ID: %s\n",
			log_safe_str(id));
		return -1;
	}
	/*
	 * Two rounds: a message moved (hold, release) between our looks at
	 * two directories is found on the second.
	 */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < MAILROOM_QUEUE_STATE_COUNT; i++) {
			if (queue_path(param_queue_directory,
				       mailroom_queue_states[i], id, path,
				       sizeof(path)) < 0) {
				fprintf(stderr, "mailroom: %s: queue "
						"directory path too long\n",
					id);
				return -1;
			}
			if (queue_read_open(path, 0, msg_r, &err, &error) ==
			    0) {
				*state_r = mailroom_queue_states[i];
				return 0;
			}
			if (err == QUEUE_ERR_NOTFOUND)
				continue;
			fprintf(stderr, "mailroom: %s: %s queue file: %s%s%s\n",
				id,
				err == QUEUE_ERR_CORRUPT ? "corrupt"
							 : "cannot read",
				error, err == QUEUE_ERR_IO ? ": " : "",
				err == QUEUE_ERR_IO ? strerror(errno) : "");
			return -1;
		}
	}
	fprintf(stderr, "mailroom: %s: no such message in the queue\n", id);
	*missing_r = true;
	return -1;
}

/* queue_list_add - queue_scan callback: remember one queue ID */
static int
queue_list_add(void *ctx, const char *id)
{
	struct queue_list *list = ctx;
	size_t next;

	if (list->count == list->alloc) {
		if (!checked_mul(list->alloc == 0 ? 32 : list->alloc, 2,
				 &next))
			log_fatal("queue list: too many queue files");
		list->entries = mem_realloc_array(list->entries, next,
						  sizeof(*list->entries));
		list->alloc = next;
	}
	snprintf(list->entries[list->count].id, QUEUE_ID_SIZE, "%s", id);
	list->entries[list->count].state = list->scanning;
	list->count++;
	return 0;
}

/* queue_entry_cmp - order by queue ID (arrival), then by state */
static int
queue_entry_cmp(const void *a, const void *b)
{
	const struct queue_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return (int)x->state - (int)y->state;
}

/* queue_json_string - write s to stdout as a quoted JSON string */
static void
queue_json_string(struct buf *scratch, const char *s)
{
	buf_reset(scratch);
	/* Every string here is an address or a name the reader bounded. */
	if (json_string_append(scratch, (const uint8_t *)s, strlen(s)) < 0)
		log_panic("queue list: JSON string over %d bytes",
			  QUEUE_JSON_STRING_MAX);
	fwrite(scratch->data, 1, scratch->len, stdout);
}

/* queue_print_json - one postqueue -j style line for msg */
static void
queue_print_json(const struct queue_entry *e,
		 const struct queue_message *msg, struct buf *scratch)
{
	const char *sender = msg->sender[0] != '\0' ? msg->sender
						    : QUEUE_NULL_SENDER_NAME;
	bool first = true;
	size_t i;

	printf("{\"queue_name\": \"%s\", \"queue_id\": \"%s\", "
	       "\"arrival_time\": %llu, \"message_size\": %llu, "
	       "\"forced_expire\": false, \"sender\": ",
	       queue_state_name(e->state), e->id,
	       (unsigned long long)(msg->arrival_us / 1000000),
	       (unsigned long long)msg->content_size);
	queue_json_string(scratch, sender);
	fputs(", \"recipients\": [", stdout);
	for (i = 0; i < msg->rcpt_count; i++) {
		if (msg->rcpts[i].status != QUEUE_RCPT_PENDING)
			continue;
		fputs(first ? "{\"address\": " : ", {\"address\": ", stdout);
		queue_json_string(scratch, msg->rcpts[i].address);
		fputs("}", stdout);
		first = false;
	}
	fputs("]}\n", stdout);
}

/* queue_print_text - one mailq block for msg */
static void
queue_print_text(const struct queue_entry *e,
		 const struct queue_message *msg)
{
	char id_status[QUEUE_ID_SIZE + 1], when[32];
	const char *mark = "";
	size_t i;

	if (e->state == QUEUE_STATE_ACTIVE)
		mark = "*";
	else if (e->state == QUEUE_STATE_HOLD)
		mark = "!";
	snprintf(id_status, sizeof(id_status), "%s%s", e->id, mark);
	mailroom_queue_format_time(msg->arrival_us, when);
	/*
	 * Postfix's short-ID layout: ID and status in 11 columns, size in 7,
	 * the first 20 characters of asctime (so two spaces before the
	 * sender). Our 21-character IDs overflow the first column, as
	 * Postfix's long IDs do; the recipients stay at column 41.
	 */
	printf("%-11s %7llu %20.20s %s\n", id_status,
	       (unsigned long long)msg->content_size, when,
	       msg->sender[0] != '\0' ? msg->sender : QUEUE_NULL_SENDER_NAME);
	for (i = 0; i < msg->rcpt_count; i++)
		if (msg->rcpts[i].status == QUEUE_RCPT_PENDING)
			printf("%*s%s\n", QUEUE_RCPT_INDENT, "",
			       msg->rcpts[i].address);
}

/* queue_collect - scan the complete states into list; 0 or -1 */
static int
queue_collect(struct queue_list *list)
{
	const char *error;
	size_t i;

	for (i = 0; i < MAILROOM_QUEUE_STATE_COUNT; i++) {
		list->scanning = mailroom_queue_states[i];
		if (queue_scan(param_queue_directory, list->scanning,
			       queue_list_add, list, &error) < 0) {
			fprintf(stderr, "mailroom: %s/%s: %s: %s\n",
				param_queue_directory,
				queue_state_name(list->scanning), error,
				strerror(errno));
			return -1;
		}
	}
	if (list->count > 0)
		qsort(list->entries, list->count, sizeof(*list->entries),
		      queue_entry_cmp);
	return 0;
}

/* queue_list - mailroom queue list [--json] */
static int
queue_list(int argc, char **argv)
{
	struct queue_list list = { NULL, 0, 0, QUEUE_STATE_ACTIVE };
	struct queue_message *msg;
	char path[PATH_MAX];
	uint64_t total_size = 0;
	size_t i, shown = 0;
	struct buf scratch;
	const char *error;
	enum queue_err err;
	bool json;
	int rc = 0;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json") != 0 &&
			 strcmp(argv[0], "-j") != 0))
		return queue_usage();
	json = argc == 1;
	if (queue_collect(&list) < 0) {
		mem_free(&list.entries);
		return 1;
	}
	buf_init(&scratch, QUEUE_JSON_STRING_MAX);
	for (i = 0; i < list.count; i++) {
		const struct queue_entry *e = &list.entries[i];

		if (queue_path(param_queue_directory, e->state, e->id, path,
			       sizeof(path)) < 0) {
			fprintf(stderr, "mailroom: %s: queue directory path "
					"too long\n",
				e->id);
			rc = 1;
			break;
		}
		if (queue_read_open(path, 0, &msg, &err, &error) < 0) {
			/* Gone since the scan: delivered, moved, removed. */
			if (err == QUEUE_ERR_NOTFOUND)
				continue;
			if (err == QUEUE_ERR_CORRUPT) {
				log_warn("%s: %s: corrupt queue file skipped: "
					 "%s",
					 e->id, queue_state_name(e->state),
					 error);
			} else {
				log_warn("%s: %s: cannot read queue file: %s: "
					 "%m",
					 e->id, queue_state_name(e->state),
					 error);
				rc = 1;
			}
			continue;
		}
		if (json) {
			queue_print_json(e, msg, &scratch);
		} else {
			if (shown == 0)
				printf("%-11s %7s %-20s %s\n", "-Queue ID-",
				       "--Size--", "----Arrival Time----",
				       "-Sender/Recipient-------");
			else
				putchar('\n');
			queue_print_text(e, msg);
		}
		total_size += msg->content_size;
		shown++;
		queue_read_free(&msg);
	}
	if (!json) {
		if (shown == 0)
			printf("Mail queue is empty\n");
		else
			printf("\n-- %llu Kbytes in %zu Request%s.\n",
			       (unsigned long long)(total_size / 1024), shown,
			       shown == 1 ? "" : "s");
	}
	buf_deinit(&scratch);
	mem_free(&list.entries);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mailroom: write error: %s\n",
			strerror(errno));
		rc = 1;
	}
	return rc;
}

/* mailroom_cmd_queue - mailroom queue VERB [ARGS] */
int
mailroom_cmd_queue(struct mailroom_cli *cli, int argc, char **argv)
{
	static const char *const admin_verbs[] = {
		"delete", "hold", "release", "requeue", "flush",
	};
	size_t i;

	if (argc < 1)
		return queue_usage();
	for (i = 0; i < sizeof(admin_verbs) / sizeof(admin_verbs[0]); i++)
		if (strcmp(argv[0], admin_verbs[i]) == 0)
			break;
	if (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "show") != 0 &&
	    i == sizeof(admin_verbs) / sizeof(admin_verbs[0]))
		return queue_usage();
	mailroom_load_config(cli);
	if (strcmp(argv[0], "list") == 0)
		return queue_list(argc - 1, argv + 1);
	if (strcmp(argv[0], "show") == 0)
		return mailroom_queue_show(argc - 1, argv + 1);
	return mailroom_queue_admin(argv[0], argc - 1, argv + 1);
}
