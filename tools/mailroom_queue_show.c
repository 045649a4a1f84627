/*
 * mailroom_queue_show.c - mailroom queue show: print one queued message.
 *
 * mailroom_queue_show - `mailroom queue show [-h|-b] ID`, like postcat -q
 *
 * Output (stdout):
 *
 *	*** ENVELOPE RECORDS ***
 *	queue_name: active
 *	queue_id: ID
 *	message_arrival_time: Tue Mar  5 10:11:12 2024
 *	message_size: 1234
 *	sender: alice@example.com		(empty for the null sender)
 *	...optional envelope and client fields, named attributes...
 *	recipient: bob@example.net		(one group per recipient)
 *	recipient_status: pending
 *	*** MESSAGE CONTENTS ***
 *	the content exactly as stored (CRLF line ends, raw bytes)
 *	*** END OF MESSAGE ***
 *
 * -h prints only the header lines, -b only the body (the empty line that
 * separates them belongs to neither). If what was printed does not end in
 * LF, an LF is added before the end marker so that it starts a line.
 *
 * Untrusted input: ID (validated by mailroom_queue_open before any path
 * is built) and the queue file (parsed by lib/queue_read; envelope values
 * hold no control characters, content is printed raw, as postcat does,
 * because it is what the message is). The content is streamed chunk by
 * chunk, never held whole. Privilege: the invoking user's.
 *
 * Exit codes: 0 printed, 1 no such message or unreadable, 64 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "tools/mailroom_queue.h"

/* Which part of the content to print. */
enum show_part {
	SHOW_ALL,
	SHOW_HEADER,
	SHOW_BODY,
};

/* Where the content stream is relative to the header/body boundary. */
struct show_state {
	enum show_part part;
	bool at_line_start;	/* the next byte starts a line */
	bool pending_cr;	/* a CR at line start, maybe the empty line */
	bool in_body;		/* the empty line has gone by */
	int last_byte;		/* last byte printed, -1 before any */
};

/* show_field - "name: value" when value is present */
static void
show_field(const char *name, const char *value)
{
	if (value != NULL)
		printf("%s: %s\n", name, value);
}

/* show_notify - RFC 3461 NOTIFY flags as text into out */
static const char *
show_notify(unsigned int notify, char out[32])
{
	static const struct {
		unsigned int flag;
		const char *name;
	} flags[] = {
		{ QUEUE_NOTIFY_NEVER, "NEVER" },
		{ QUEUE_NOTIFY_SUCCESS, "SUCCESS" },
		{ QUEUE_NOTIFY_FAILURE, "FAILURE" },
		{ QUEUE_NOTIFY_DELAY, "DELAY" },
	};
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if ((notify & flags[i].flag) == 0)
			continue;
		n = snprintf(out + used, 32 - used, "%s%s",
			     used > 0 ? "," : "", flags[i].name);
		if (n < 0 || (size_t)n >= 32 - used)
			break; /* cannot happen: 30 bytes at most */
		used += (size_t)n;
	}
	return out;
}

/* show_envelope - the envelope records of msg in state */
static void
show_envelope(const char *id, enum queue_state state,
	      const struct queue_message *msg)
{
	static const char *const status_names[] = {
		[QUEUE_RCPT_PENDING] = "pending",
		[QUEUE_RCPT_DELIVERED] = "delivered",
		[QUEUE_RCPT_BOUNCED] = "bounced",
	};
	static const char *const body_names[] = {
		[QUEUE_BODY_7BIT] = "7BIT",
		[QUEUE_BODY_8BITMIME] = "8BITMIME",
		[QUEUE_BODY_BINARYMIME] = "BINARYMIME",
	};
	char when[32], notify[32];
	const struct queue_rcpt *r;
	size_t i;

	mailroom_queue_format_time(msg->arrival_us, when);
	printf("*** ENVELOPE RECORDS ***\n");
	show_field("queue_name", queue_state_name(state));
	show_field("queue_id", id);
	show_field("message_arrival_time", when);
	printf("message_size: %llu\n",
	       (unsigned long long)msg->content_size);
	show_field("sender", msg->sender);
	show_field("envelope_id", msg->envid);
	if (msg->ret != QUEUE_RET_UNSPEC)
		show_field("dsn_ret",
			   msg->ret == QUEUE_RET_FULL ? "FULL" : "HDRS");
	if (msg->body != QUEUE_BODY_UNSPEC)
		show_field("body_type", body_names[msg->body]);
	if (msg->smtputf8)
		show_field("smtputf8", "yes");
	show_field("client_name", msg->client.name);
	show_field("client_address", msg->client.addr);
	show_field("helo_name", msg->client.helo);
	show_field("protocol_name", msg->client.protocol);
	show_field("sasl_username", msg->client.auth_user);
	for (i = 0; i < msg->attr_count; i++)
		printf("named_attribute: %s=%s\n", msg->attrs[i].name,
		       msg->attrs[i].value);
	for (i = 0; i < msg->rcpt_count; i++) {
		r = &msg->rcpts[i];
		show_field("recipient", r->address);
		show_field("recipient_status", status_names[r->status]);
		if (r->orcpt_type != NULL && r->orcpt != NULL)
			printf("dsn_orig_rcpt: %s;%s\n", r->orcpt_type,
			       r->orcpt);
		if (r->notify != 0)
			show_field("dsn_notify",
				   show_notify(r->notify, notify));
	}
}

/* show_put - print one content byte and remember it */
static void
show_put(struct show_state *s, int c)
{
	putchar(c);
	s->last_byte = c;
}

/*
 * show_chunk - print the part of n content bytes at p that s->part asks
 * for. The header ends at the first empty line (CRLF, or a bare LF), which
 * may straddle two chunks: a CR at the start of a line is held back until
 * the next byte shows whether it ends the header.
 */
static void
show_chunk(struct show_state *s, const uint8_t *p, size_t n)
{
	size_t i;
	uint8_t c;

	if (s->part == SHOW_ALL || (s->in_body && s->part == SHOW_BODY)) {
		if (n > 0) {
			fwrite(p, 1, n, stdout);
			s->last_byte = p[n - 1];
		}
		return;
	}
	for (i = 0; i < n && !s->in_body; i++) {
		c = p[i];
		if (s->pending_cr) {
			s->pending_cr = false;
			if (c == '\n') {
				s->in_body = true;
				continue;
			}
			/* The CR was header text, not an empty line. */
			if (s->part == SHOW_HEADER)
				show_put(s, '\r');
			s->at_line_start = false;
		}
		if (s->at_line_start && c == '\r') {
			s->pending_cr = true;
			continue;
		}
		if (s->at_line_start && c == '\n') {
			s->in_body = true;
			continue;
		}
		if (s->part == SHOW_HEADER)
			show_put(s, c);
		s->at_line_start = c == '\n';
	}
	if (s->in_body && s->part == SHOW_BODY && i < n) {
		fwrite(p + i, 1, n - i, stdout);
		s->last_byte = p[n - 1];
	}
}

/* show_content - stream the content of msg; 0, or -1 after a message */
static int
show_content(const char *id, struct queue_message *msg, enum show_part part)
{
	struct show_state s = { part, true, false, false, -1 };
	const uint8_t *p;
	const char *error;
	enum queue_err err;
	size_t n;
	int rc;

	printf("*** MESSAGE CONTENTS ***\n");
	while ((rc = queue_read_content_next(msg, &p, &n, &err, &error)) > 0)
		show_chunk(&s, p, n);
	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr,
			"mailroom: %s: cannot read queue file: %s%s%s\n", id,
			error, err == QUEUE_ERR_IO ? ": " : "",
			err == QUEUE_ERR_IO ? strerror(errno) : "");
		return -1;
	}
	if (s.pending_cr && part == SHOW_HEADER)
		show_put(&s, '\r');
	if (s.last_byte >= 0 && s.last_byte != '\n')
		putchar('\n');
	printf("*** END OF MESSAGE ***\n");
	return 0;
}

/* mailroom_queue_show - mailroom queue show [-h|-b] ID */
int
mailroom_queue_show(int argc, char **argv)
{
	enum show_part part = SHOW_ALL;
	struct queue_message *msg;
	enum queue_state state;
	bool missing;
	int rc, i = 0;

	if (argc == 2 && strcmp(argv[0], "-h") == 0) {
		part = SHOW_HEADER;
		i = 1;
	} else if (argc == 2 && strcmp(argv[0], "-b") == 0) {
		part = SHOW_BODY;
		i = 1;
	} else if (argc != 1 || argv[0][0] == '-') {
		fprintf(stderr, "usage: mailroom queue show [-h|-b] ID\n");
		return MR_EXIT_USAGE;
	}
	if (mailroom_queue_open(argv[i], &msg, &state, &missing) < 0)
		return 1;
	show_envelope(argv[i], state, msg);
	rc = show_content(argv[i], msg, part) < 0 ? 1 : 0;
	queue_read_free(&msg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mailroom: write error: %s\n",
			strerror(errno));
		rc = 1;
	}
	return rc;
}
