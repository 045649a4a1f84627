/*
 * dsn.c - delivery status notifications: bounces, delay warnings and
 * success notices, and the decisions about when to send them.
 *
 *	dsn_notify_is_requested	RFC 3461 NOTIFY: does the sender want it
 *	dsn_notify_decide	send, drop, or hand to the postmaster
 *	dsn_decision_name	decision name for logging
 *	dsn_action_name		RFC 3464 action-value
 *	dsn_output_buf		compose into a struct buf
 *	dsn_compose		write one notice (RFC 6522 multipart/report)
 *	dsn_queue		compose a notice into a new queue file
 *
 * Nothing returned is allocated; the caller owns the report, the original
 * message and the output. Runs inside qmgr as the mail user.
 *
 * Untrusted input: diagnostics and remote MTA names come from remote
 * servers through the delivery agents, addresses and the ENVID from SMTP
 * clients, and the original content from anyone. SECURITY: every string
 * is cleaned before it reaches a header or report field (control bytes
 * become '?' or a space, so no CR or LF can start a forged field) and cut
 * at DSN_FIELD_MAX; the content's line ends are normalised to CRLF; the
 * MIME boundary is checked against every byte of the parts before use, so
 * the original cannot end or forge a part.
 *
 * RFCs: 3464 (message/delivery-status), 6522 (multipart/report and
 * text/rfc822-headers), 3461 4.1 and 4.3 (NOTIFY, RET), 3463 (status
 * codes), 3834 5 (Auto-Submitted), 5322 3.3 (dates) and 2.1.1 (line
 * length), 2046 5.1.1 (boundaries), 5321 4.5.5 (no notices to <>).
 *
 * Limits: DSN_FIELD_MAX per value; header fields folded at
 * DSN_FOLD_COLUMN where a space allows; the returned original cut at
 * max_original_octets (the header block kept up to DSN_HEADER_MAX).
 */
#include "lib/dsn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/queue_write.h"
#include "lib/str.h"

#define DSN_FOLD_COLUMN 78	  /* RFC 5322 2.1.1: SHOULD be <= 78 */
#define DSN_TEXT_COLUMN 76	  /* human-readable part */
#define DSN_OUT_CHUNK 65536	  /* bytes handed to the output at once */
#define DSN_BOUNDARY_MAX 70	  /* RFC 2046 5.1.1 */
#define DSN_BOUNDARY_TRIES 4	  /* a random boundary clashes ~never */
#define DSN_TOKEN_MAX 40	  /* notice_id */
#define DSN_RANDOM_OCTETS 12	  /* 96 random bits in a fresh token */
#define DSN_HOSTNAME_MAX 255	  /* RFC 1035 2.3.4 */
#define DSN_DATE_SIZE 64
#define DSN_LINE_MAX 4096	  /* one composed line before folding */
#define DSN_STAGE_SIZE 4096	  /* original bytes staged before output */
#define DSN_DIAG_TYPE_LOCAL "X-mailroom" /* RFC 3464 2.3.6 for our own */

/* Flags for clean(). */
#define CLEAN_ASCII 0x1		/* 8-bit bytes become '?' */
#define CLEAN_SQUEEZE 0x2	/* runs of white space become one space */

/* What kind of notice a report is. */
enum dsn_kind {
	DSN_KIND_FAILED,
	DSN_KIND_DELAYED,
	DSN_KIND_SUCCESS,
};

/* What the third part returns. */
enum dsn_orig {
	DSN_ORIG_NONE,
	DSN_ORIG_FULL,		/* message/rfc822 */
	DSN_ORIG_HDRS,		/* text/rfc822-headers */
};

#define DSN_PART_COUNT 3

/* Decisions made before anything is written. */
struct dsn_plan {
	enum dsn_kind kind;
	enum dsn_orig orig;
	char token[DSN_TOKEN_MAX + 1];
	char boundary[DSN_BOUNDARY_MAX + 1];
	bool part_8bit[DSN_PART_COUNT];
	time_t now;
};

/*
 * The writer under every part. With out NULL it is the scan pass: nothing
 * is written, the bytes are searched for the boundary and for 8-bit bytes.
 */
struct emit {
	struct dsn_output *out;
	struct buf pending;
	const char *needle;
	size_t needle_len;
	uint8_t tail[DSN_BOUNDARY_MAX];
	size_t tail_len;
	bool found;
	bool is_8bit;
	bool failed;
	enum queue_err err;
	const char *error;
};

/* The returned original on its way out: CRLF normalisation and the cut. */
struct orig_filter {
	enum dsn_orig mode;
	uint64_t limit;		/* 0: none */
	uint64_t emitted;
	size_t line_len;	/* bytes on the current line before CRLF */
	bool in_header;
	bool pending_cr;
	bool done;
	uint8_t stage[DSN_STAGE_SIZE];
	size_t stage_len;
};

static const char *const dsn_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const dsn_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* dsn_notify_is_requested - RFC 3461 4.1 NOTIFY for one action */
bool
dsn_notify_is_requested(unsigned int notify_flags, enum dsn_action action)
{
	/* RFC 3461 4.1: no NOTIFY behaves as NOTIFY=FAILURE,DELAY. */
	if (notify_flags == 0)
		return action == DSN_ACTION_FAILED ||
		       action == DSN_ACTION_DELAYED;
	if (notify_flags & QUEUE_NOTIFY_NEVER)
		return false;
	switch (action) {
	case DSN_ACTION_FAILED:
		return (notify_flags & QUEUE_NOTIFY_FAILURE) != 0;
	case DSN_ACTION_DELAYED:
		return (notify_flags & QUEUE_NOTIFY_DELAY) != 0;
	case DSN_ACTION_DELIVERED:
	case DSN_ACTION_RELAYED:
	case DSN_ACTION_EXPANDED:
		return (notify_flags & QUEUE_NOTIFY_SUCCESS) != 0;
	}
	return false;
}

/* is_double_bounce_sender - sender is dbs, or dbs@domain for a bare dbs */
static bool
is_double_bounce_sender(const char *sender, const char *dbs)
{
	size_t n;

	if (dbs == NULL || *dbs == 0)
		return false;
	if (str_eq_ci(sender, dbs))
		return true;
	n = strlen(dbs);
	return strchr(dbs, '@') == NULL && str_has_prefix_ci(sender, dbs) &&
	       sender[n] == '@';
}

/* dsn_notify_decide - what qmgr does about one recipient's action */
enum dsn_decision
dsn_notify_decide(const char *sender, unsigned int notify_flags,
		  enum dsn_action action, const char *double_bounce_sender,
		  bool notify_2bounce)
{
	MR_ASSERT(sender != NULL);
	/* A postmaster notice that fails is never reported again. */
	if (is_double_bounce_sender(sender, double_bounce_sender))
		return DSN_DECISION_TRIPLE_BOUNCE;
	/* RFC 5321 4.5.5: never send a notice to the null reverse-path. */
	if (*sender == 0)
		return action == DSN_ACTION_FAILED && notify_2bounce ?
			       DSN_DECISION_DOUBLE_BOUNCE :
			       DSN_DECISION_NULL_SENDER;
	if (!dsn_notify_is_requested(notify_flags, action))
		return DSN_DECISION_NOT_REQUESTED;
	return DSN_DECISION_SEND;
}

/* dsn_decision_name - decision name for logging */
const char *
dsn_decision_name(enum dsn_decision decision)
{
	switch (decision) {
	case DSN_DECISION_SEND:
		return "send";
	case DSN_DECISION_NOT_REQUESTED:
		return "not-requested";
	case DSN_DECISION_NULL_SENDER:
		return "null-sender";
	case DSN_DECISION_DOUBLE_BOUNCE:
		return "double-bounce";
	case DSN_DECISION_TRIPLE_BOUNCE:
		return "triple-bounce";
	}
	return "unknown";
}

/* dsn_action_name - RFC 3464 2.3.3 action-value */
const char *
dsn_action_name(enum dsn_action action)
{
	switch (action) {
	case DSN_ACTION_FAILED:
		return "failed";
	case DSN_ACTION_DELAYED:
		return "delayed";
	case DSN_ACTION_DELIVERED:
		return "delivered";
	case DSN_ACTION_RELAYED:
		return "relayed";
	case DSN_ACTION_EXPANDED:
		return "expanded";
	}
	return "failed";
}

/* output_buf_write - dsn_output callback appending to a struct buf */
static int
output_buf_write(struct dsn_output *out, const void *p, size_t n)
{
	struct buf *b = out->ctx;

	if (!buf_has_room(b, n)) {
		out->err = QUEUE_ERR_TOO_BIG;
		return -1;
	}
	buf_append(b, p, n);
	return 0;
}

/* dsn_output_buf - an output that appends to b */
void
dsn_output_buf(struct dsn_output *out, struct buf *b)
{
	out->write = output_buf_write;
	out->ctx = b;
	out->err = QUEUE_ERR_NONE;
}

/* emit_fail - remember the first failure */
static void
emit_fail(struct emit *e, enum queue_err err, const char *error)
{
	if (e->failed)
		return;
	e->failed = true;
	e->err = err;
	e->error = error;
}

/* emit_flush - hand the pending bytes to the output */
static void
emit_flush(struct emit *e)
{
	if (e->out == NULL || e->failed || e->pending.len == 0)
		return;
	if (e->out->write(e->out, e->pending.data, e->pending.len) < 0)
		emit_fail(e, e->out->err != QUEUE_ERR_NONE ? e->out->err :
							     QUEUE_ERR_IO,
			  "cannot write the notification");
	buf_reset(&e->pending);
}

/* emit_scan - scan pass: look for the boundary and for 8-bit bytes */
static void
emit_scan(struct emit *e, const uint8_t *p, size_t n)
{
	size_t keep = e->needle_len - 1, i;

	for (i = 0; i < n && !e->is_8bit; i++)
		if (p[i] >= 0x80)
			e->is_8bit = true;
	if (e->found)
		return;
	/* UNSAFE: the needle may straddle two writes; tail holds the end
	 * of the previous ones (at most needle_len - 1 bytes). */
	if (e->tail_len > 0) {
		uint8_t seam[2 * DSN_BOUNDARY_MAX];
		size_t take = n < keep ? n : keep;

		memcpy(seam, e->tail, e->tail_len);
		memcpy(seam + e->tail_len, p, take);
		if (memmem(seam, e->tail_len + take, e->needle,
			   e->needle_len) != NULL)
			e->found = true;
	}
	if (memmem(p, n, e->needle, e->needle_len) != NULL)
		e->found = true;
	if (n >= keep) {
		memcpy(e->tail, p + n - keep, keep);
		e->tail_len = keep;
	} else {
		size_t total = e->tail_len + n;
		size_t drop = total > keep ? total - keep : 0;

		memmove(e->tail, e->tail + drop, e->tail_len - drop);
		memcpy(e->tail + e->tail_len - drop, p, n);
		e->tail_len = e->tail_len - drop + n;
	}
}

/* emit_bytes - write n bytes (or scan them) */
static void
emit_bytes(struct emit *e, const void *p, size_t n)
{
	const uint8_t *c = p;

	if (e->failed || n == 0)
		return;
	if (e->out == NULL) {
		emit_scan(e, c, n);
		return;
	}
	while (n > 0 && !e->failed) {
		size_t room = DSN_OUT_CHUNK - e->pending.len;
		size_t take = n < room ? n : room;

		buf_append(&e->pending, c, take);
		c += take;
		n -= take;
		if (e->pending.len == DSN_OUT_CHUNK)
			emit_flush(e);
	}
}

/* emit_str - write a C string */
static void
emit_str(struct emit *e, const char *s)
{
	emit_bytes(e, s, strlen(s));
}

/* emit_printf - write formatted text of bounded values (our own) */
static void __attribute__((format(printf, 2, 3)))
emit_printf(struct emit *e, const char *fmt, ...)
{
	char line[DSN_LINE_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Only bounded, already cleaned values get here. */
	MR_ASSERT(len >= 0 && (size_t)len < sizeof(line));
	emit_bytes(e, line, (size_t)len);
}

/*
 * clean - s as field text into dst (emptied first): control bytes become
 * '?' (a space with CLEAN_SQUEEZE, which also collapses runs of white
 * space and trims both ends), 8-bit bytes '?' with CLEAN_ASCII; cut at
 * DSN_FIELD_MAX without splitting a UTF-8 sequence.
 */
static const char *
clean(struct buf *dst, const char *s, int flags)
{
	const uint8_t *p = (const uint8_t *)(s != NULL ? s : "");
	bool space = false, cut = false;

	buf_reset(dst);
	for (; *p != 0; p++) {
		uint8_t c = *p;
		bool is_space = c == ' ' || c == '\t' || c == '\r' ||
				c == '\n';

		if ((flags & CLEAN_SQUEEZE) && (is_space || c < 0x20 ||
						 c == 0x7f)) {
			space = dst->len > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			c = '?';
		else if (c >= 0x80 && (flags & CLEAN_ASCII))
			c = '?';
		if (dst->len + (space ? 2 : 1) > DSN_FIELD_MAX) {
			cut = true;
			break;
		}
		if (space)
			buf_append_byte(dst, ' ');
		space = false;
		buf_append_byte(dst, c);
	}
	/* Do not leave half a UTF-8 sequence at the cut. */
	if (cut && dst->len > 0 && dst->data[dst->len - 1] >= 0x80) {
		size_t len = dst->len;

		while (len > 0 && (dst->data[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > 0 && dst->data[len - 1] >= 0xc0)
			len--;
		buf_truncate(dst, len);
	}
	return buf_cstr(dst);
}

/*
 * emit_folded - write prefix and value and CRLF, breaking the line before
 * a space when it would pass column. Header mode (keep_space) keeps the
 * space as the continuation's white space, so unfolding gives value back
 * exactly (RFC 5322 2.2.3); text mode drops it and indents with indent.
 */
static void
emit_folded(struct emit *e, const char *prefix, const char *value,
	    const char *indent, bool keep_space, size_t column)
{
	size_t col = strlen(prefix);
	const char *p = value;
	bool first = true;

	emit_str(e, prefix);
	for (;;) {
		const char *end = strchr(p, ' ');
		size_t wlen = end != NULL ? (size_t)(end - p) : strlen(p);

		if (!first) {
			if (wlen > 0 && col + 1 + wlen > column) {
				emit_str(e, "\r\n");
				emit_str(e, indent);
				col = strlen(indent);
				if (keep_space) {
					emit_str(e, " ");
					col++;
				}
			} else {
				emit_str(e, " ");
				col++;
			}
		}
		emit_bytes(e, p, wlen);
		col += wlen;
		first = false;
		if (end == NULL)
			break;
		p = end + 1;
	}
	emit_str(e, "\r\n");
}

/* emit_field - one header or report field, value cleaned and folded */
static void
emit_field(struct emit *e, struct buf *scratch, const char *name,
	   const char *value, int flags)
{
	char prefix[64];
	int len = snprintf(prefix, sizeof(prefix), "%s: ", name);

	MR_ASSERT(len > 0 && (size_t)len < sizeof(prefix));
	emit_folded(e, prefix, clean(scratch, value, flags), "", true,
		    DSN_FOLD_COLUMN);
}

/* has_type - whether s starts with an RFC 3464 type atom and ";" */
static bool
has_type(const char *s)
{
	const char *p = s;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
		p++;
	return p > s && *p == ';';
}

/* after_type - s without its "type;" and the white space after it */
static const char *
after_type(const char *s)
{
	if (!has_type(s))
		return s;
	s = strchr(s, ';') + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* emit_typed_field - "Name: type; value", adding default_type if none */
static void
emit_typed_field(struct emit *e, struct buf *scratch, const char *name,
		 const char *default_type, const char *value)
{
	struct buf joined;

	buf_init(&joined, DSN_LINE_MAX);
	if (!has_type(value)) {
		buf_append_str(&joined, default_type);
		buf_append_str(&joined, "; ");
	}
	buf_append_str(&joined, clean(scratch, value,
				      CLEAN_ASCII | CLEAN_SQUEEZE));
	emit_field(e, scratch, name, buf_cstr(&joined),
		   CLEAN_ASCII | CLEAN_SQUEEZE);
	buf_deinit(&joined);
}

/* date_format - RFC 5322 3.3 date-time with a numeric zone */
static void
date_format(time_t t, char *out, size_t size)
{
	struct tm tm;
	long off_min = 0;
	char sign = '+';
	int len;

	if (localtime_r(&t, &tm) != NULL) {
		off_min = tm.tm_gmtoff / 60;
	} else if (gmtime_r(&t, &tm) == NULL) {
		t = 0;
		MR_ASSERT(gmtime_r(&t, &tm) != NULL);
	}
	if (off_min < 0) {
		sign = '-';
		off_min = -off_min;
	}
	len = snprintf(out, size, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
		       dsn_days[tm.tm_wday % 7], tm.tm_mday,
		       dsn_months[tm.tm_mon % 12], tm.tm_year + 1900,
		       tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
		       (off_min / 60) % 100, off_min % 60);
	MR_ASSERT(len > 0 && (size_t)len < size);
}

/* status_is_valid - RFC 3464 2.3.4 status-code with an RFC 3463 class */
static bool
status_is_valid(const char *s)
{
	int field;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return false;
	s += 2;
	for (field = 0; field < 2; field++) {
		size_t digits = 0;

		/* 1*3DIGIT without leading zeros */
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return false;
		while (s[digits] >= '0' && s[digits] <= '9')
			digits++;
		if (digits == 0 || digits > 3)
			return false;
		s += digits;
		if (field == 0 && *s++ != '.')
			return false;
	}
	return *s == 0;
}

/* status_for - the Status of rc: its own when valid for its action */
static const char *
status_for(const struct dsn_rcpt *rc, bool warn, const char *queue_id)
{
	const char *fallback;
	bool fits;

	switch (rc->action) {
	case DSN_ACTION_FAILED:
		fallback = "5.0.0";
		break;
	case DSN_ACTION_DELAYED:
		fallback = "4.0.0";
		break;
	default:
		fallback = "2.0.0";
		break;
	}
	if (rc->status == NULL)
		return fallback;
	/* RFC 3464 2.3.3: a failure may keep a 4.x.x code (expired). */
	fits = status_is_valid(rc->status) &&
	       (rc->status[0] == fallback[0] ||
		(rc->action == DSN_ACTION_FAILED && rc->status[0] == '4'));
	if (fits)
		return rc->status;
	if (warn)
		log_warn("%s: invalid DSN status \"%s\" for action %s, "
			 "using %s", queue_id != NULL ? queue_id : "dsn",
			 log_safe_str(rc->status), dsn_action_name(rc->action),
			 fallback);
	return fallback;
}

/* host_is_valid - a host name we can put in headers and the boundary */
static bool
host_is_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != 0; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return n > 0 && n <= DSN_HOSTNAME_MAX;
}

/* token_is_valid - a notice_id usable in a Message-ID and boundary */
static bool
token_is_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != 0; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return n > 0 && n <= DSN_TOKEN_MAX;
}

/* report_check - refuse a report that cannot make a notice */
static int
report_check(const struct dsn_report *r, const char **error_r)
{
	size_t i;

	if (r->reporting_mta == NULL || !host_is_valid(r->reporting_mta)) {
		*error_r = "invalid reporting MTA host name";
		return -1;
	}
	if (r->recipient == NULL || *r->recipient == 0) {
		*error_r = "notification without a recipient";
		return -1;
	}
	if (r->original_sender == NULL) {
		*error_r = "notification without the original sender";
		return -1;
	}
	if (r->notice_id != NULL && !token_is_valid(r->notice_id)) {
		*error_r = "invalid notice ID";
		return -1;
	}
	if (r->rcpt_count == 0 || r->rcpts == NULL) {
		*error_r = "notification without recipients to report";
		return -1;
	}
	for (i = 0; i < r->rcpt_count; i++) {
		const struct dsn_rcpt *rc = &r->rcpts[i];

		if (rc->address == NULL || *rc->address == 0 ||
		    (rc->orcpt_type == NULL) != (rc->orcpt == NULL) ||
		    rc->action > DSN_ACTION_EXPANDED) {
			*error_r = "invalid recipient in notification";
			return -1;
		}
	}
	return 0;
}

/* random_token - 24 hex digits from the kernel (uniqueness, not secrecy) */
static void
random_token(char *out, size_t size)
{
	uint8_t bytes[DSN_RANDOM_OCTETS];
	struct timespec ts;
	size_t i;

	MR_ASSERT(size > 2 * DSN_RANDOM_OCTETS);
	if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(bytes)) {
		/* Only uniqueness matters and the boundary is checked. */
		uint64_t mix;

		clock_gettime(CLOCK_REALTIME, &ts);
		mix = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		mix ^= (uint64_t)getpid() << 40;
		for (i = 0; i < sizeof(bytes); i++) {
			mix = mix * 6364136223846793005u + 1442695040888963407u;
			bytes[i] = (uint8_t)(mix >> 56);
		}
	}
	for (i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, size - 2 * i, "%02X", bytes[i]);
}

/* report_kind - failed if any recipient failed, else delayed if any */
static enum dsn_kind
report_kind(const struct dsn_report *r)
{
	enum dsn_kind kind = DSN_KIND_SUCCESS;
	size_t i;

	for (i = 0; i < r->rcpt_count; i++) {
		if (r->rcpts[i].action == DSN_ACTION_FAILED)
			return DSN_KIND_FAILED;
		if (r->rcpts[i].action == DSN_ACTION_DELAYED)
			kind = DSN_KIND_DELAYED;
	}
	return kind;
}

/* subject_for - the Subject of a notice */
static const char *
subject_for(enum dsn_kind kind)
{
	switch (kind) {
	case DSN_KIND_FAILED:
		return "Undelivered Mail Returned to Sender";
	case DSN_KIND_DELAYED:
		return "Delayed Mail (still being retried)";
	case DSN_KIND_SUCCESS:
		break;
	}
	return "Successful Mail Delivery Report";
}

/* rcpt_line - the text part's line about one recipient, into line */
static void
rcpt_line(struct buf *line, struct buf *scratch, const struct dsn_rcpt *rc,
	  const char *status)
{
	buf_reset(line);
	buf_append_byte(line, '<');
	buf_append_str(line, clean(scratch, rc->address, 0));
	buf_append_str(line, ">: ");
	if (rc->remote_mta != NULL) {
		buf_append_str(line, "host ");
		buf_append_str(line, clean(scratch, after_type(rc->remote_mta),
					   CLEAN_ASCII | CLEAN_SQUEEZE));
		buf_append_str(line, " said: ");
	}
	if (rc->diagnostic != NULL) {
		buf_append_str(line, clean(scratch, after_type(rc->diagnostic),
					   CLEAN_ASCII | CLEAN_SQUEEZE));
	} else {
		switch (rc->action) {
		case DSN_ACTION_FAILED:
			buf_append_str(line, "delivery failed");
			break;
		case DSN_ACTION_DELAYED:
			buf_append_str(line, "delivery delayed");
			break;
		default:
			buf_append_str(line, dsn_action_name(rc->action));
			break;
		}
		buf_printf(line, " (status %s)", status);
	}
}

/* part_text - part 1: the explanation for people */
static void
part_text(struct emit *e, const struct dsn_report *r,
	  const struct dsn_plan *plan, struct buf *scratch)
{
	const char *name = r->mail_name != NULL ? r->mail_name : "mail";
	struct buf line;
	time_t retry_until = 0;
	char date[DSN_DATE_SIZE];
	size_t i;

	emit_printf(e, "This is the mail system at host %s.\r\n\r\n",
		    r->reporting_mta);
	if (r->postmaster_copy) {
		emit_str(e, "This notice is for the postmaster. A message from ");
		emit_folded(e, "", clean(scratch, r->original_sender[0] != 0 ?
						  r->original_sender :
						  "<> (a notification)", 0),
			    "", false, DSN_TEXT_COLUMN);
		emit_str(e, "had the delivery problems listed below. Its "
			    "headers are attached.\r\n");
	} else if (plan->kind == DSN_KIND_FAILED) {
		emit_str(e, "I'm sorry to have to inform you that your message "
			    "could not\r\nbe delivered to one or more "
			    "recipients. The reasons are listed\r\n");
		if (plan->orig == DSN_ORIG_FULL)
			emit_str(e, "below, and a copy of your message is "
				    "attached.\r\n");
		else if (plan->orig == DSN_ORIG_HDRS)
			emit_str(e, "below, and the headers of your message "
				    "are attached.\r\n");
		else
			emit_str(e, "below.\r\n");
		emit_str(e, "\r\nIf you need help, write to the postmaster "
			    "of this system and include\r\nthis report.\r\n");
	} else if (plan->kind == DSN_KIND_DELAYED) {
		for (i = 0; i < r->rcpt_count; i++)
			if (r->rcpts[i].action == DSN_ACTION_DELAYED &&
			    r->rcpts[i].will_retry_until > retry_until)
				retry_until = r->rcpts[i].will_retry_until;
		emit_str(e, "*** This is a warning only. You do not need to "
			    "send your message again. ***\r\n\r\n"
			    "Your message could not be delivered yet to the "
			    "recipients listed\r\nbelow. ");
		if (retry_until != 0) {
			date_format(retry_until, date, sizeof(date));
			emit_printf(e, "The mail system keeps trying until\r\n"
				       "%s, and tells you again if it "
				       "gives up.\r\n", date);
		} else {
			emit_str(e, "The mail system keeps trying, and tells "
				    "you again if it\r\ngives up.\r\n");
		}
	} else {
		emit_str(e, "Your message was delivered to the destinations "
			    "listed below. If it\r\nwent into a mailbox, this "
			    "is the last notice about it; a system\r\nthat "
			    "forwarded it may still report problems "
			    "later.\r\n");
	}
	emit_printf(e, "\r\n                   The %s program\r\n\r\n",
		    clean(scratch, name, CLEAN_ASCII | CLEAN_SQUEEZE));
	buf_init(&line, DSN_LINE_MAX);
	for (i = 0; i < r->rcpt_count; i++) {
		const struct dsn_rcpt *rc = &r->rcpts[i];

		rcpt_line(&line, scratch, rc, status_for(rc, false, NULL));
		emit_folded(e, "", buf_cstr(&line), "    ", false,
			    DSN_TEXT_COLUMN);
		emit_str(e, "\r\n");
	}
	buf_deinit(&line);
}

/* part_status - part 2: message/delivery-status (RFC 3464 2.2, 2.3) */
static void
part_status(struct emit *e, const struct dsn_report *r, struct buf *scratch)
{
	bool warn = e->out != NULL;
	char date[DSN_DATE_SIZE];
	struct buf value;
	size_t i;

	buf_init(&value, DSN_LINE_MAX);
	emit_printf(e, "Reporting-MTA: dns; %s\r\n", r->reporting_mta);
	if (r->queue_id != NULL)
		emit_field(e, scratch, "X-Mailroom-Queue-ID", r->queue_id,
			   CLEAN_ASCII | CLEAN_SQUEEZE);
	buf_reset(&value);
	buf_append_str(&value, "rfc822; ");
	buf_append_str(&value, clean(scratch, r->original_sender, 0));
	emit_field(e, scratch, "X-Mailroom-Sender", buf_cstr(&value), 0);
	if (r->envid != NULL)
		emit_field(e, scratch, "Original-Envelope-Id", r->envid,
			   CLEAN_ASCII);
	if (r->arrival != 0) {
		date_format(r->arrival, date, sizeof(date));
		emit_printf(e, "Arrival-Date: %s\r\n", date);
	}
	for (i = 0; i < r->rcpt_count; i++) {
		const struct dsn_rcpt *rc = &r->rcpts[i];

		emit_str(e, "\r\n");
		/* RFC 3464 2.3.2: the address exactly as in the envelope. */
		buf_reset(&value);
		buf_append_str(&value, "rfc822; ");
		buf_append_str(&value, clean(scratch, rc->address, 0));
		emit_field(e, scratch, "Final-Recipient", buf_cstr(&value), 0);
		if (rc->orcpt != NULL) {
			buf_reset(&value);
			buf_append_str(&value, clean(scratch, rc->orcpt_type,
						     CLEAN_ASCII |
							     CLEAN_SQUEEZE));
			buf_append_str(&value, "; ");
			buf_append_str(&value, clean(scratch, rc->orcpt, 0));
			emit_field(e, scratch, "Original-Recipient",
				   buf_cstr(&value), 0);
		}
		emit_printf(e, "Action: %s\r\n", dsn_action_name(rc->action));
		emit_printf(e, "Status: %s\r\n",
			    status_for(rc, warn, r->queue_id));
		if (rc->remote_mta != NULL)
			emit_typed_field(e, scratch, "Remote-MTA", "dns",
					 rc->remote_mta);
		if (rc->diagnostic != NULL)
			emit_typed_field(e, scratch, "Diagnostic-Code",
					 DSN_DIAG_TYPE_LOCAL, rc->diagnostic);
		if (rc->last_attempt != 0) {
			date_format(rc->last_attempt, date, sizeof(date));
			emit_printf(e, "Last-Attempt-Date: %s\r\n", date);
		}
		/* RFC 3464 2.3.9: MUST NOT appear in other DSNs. */
		if (rc->action == DSN_ACTION_DELAYED &&
		    rc->will_retry_until != 0) {
			date_format(rc->will_retry_until, date, sizeof(date));
			emit_printf(e, "Will-Retry-Until: %s\r\n", date);
		}
	}
	buf_deinit(&value);
}

/* orig_stage - stage one output byte of the original */
static void
orig_stage(struct orig_filter *f, struct emit *e, uint8_t c)
{
	if (f->stage_len == sizeof(f->stage)) {
		emit_bytes(e, f->stage, f->stage_len);
		f->stage_len = 0;
	}
	f->stage[f->stage_len++] = c;
	f->emitted++;
}

/* orig_budget - the most bytes the original part may hold at this point */
static uint64_t
orig_budget(const struct orig_filter *f)
{
	/* The header block is kept whole, up to a sanity cap. */
	if (f->limit == 0)
		return UINT64_MAX;
	if (f->in_header)
		return f->limit > DSN_HEADER_MAX ? f->limit : DSN_HEADER_MAX;
	return f->limit;
}

/*
 * orig_cut - stop at the budget: drop the partial line when it is still
 * staged, so the cut falls at a line end; a longer line is closed with
 * CRLF where it stands.
 */
static void
orig_cut(struct orig_filter *f, struct emit *e)
{
	if (f->line_len > 0 && f->line_len <= f->stage_len) {
		f->stage_len -= f->line_len;
		f->emitted -= f->line_len;
	} else if (f->line_len > 0) {
		orig_stage(f, e, '\r');
		orig_stage(f, e, '\n');
	}
	f->line_len = 0;
	f->done = true;
}

/* orig_line_end - one line end of the original */
static void
orig_line_end(struct orig_filter *f, struct emit *e)
{
	if (f->in_header && f->line_len == 0) {
		f->in_header = false;
		/* text/rfc822-headers: everything before the blank line. */
		if (f->mode == DSN_ORIG_HDRS) {
			f->done = true;
			return;
		}
	}
	if (f->line_len == 0 && f->emitted + 2 > orig_budget(f)) {
		orig_cut(f, e);
		return;
	}
	/* A line with bytes always has room: orig_byte reserved it. */
	orig_stage(f, e, '\r');
	orig_stage(f, e, '\n');
	f->line_len = 0;
}

/* orig_byte - one byte of the original: normalise line ends, then cut */
static void
orig_byte(struct orig_filter *f, struct emit *e, uint8_t c)
{
	if (f->pending_cr) {
		f->pending_cr = false;
		orig_line_end(f, e);	/* CRLF, or a bare CR made CRLF */
		if (c == '\n' || f->done)
			return;
	}
	if (c == '\r') {
		f->pending_cr = true;
		return;
	}
	if (c == '\n') {		/* a bare LF made CRLF */
		orig_line_end(f, e);
		return;
	}
	/* Keep room for this byte and the CRLF that closes its line. */
	if (f->emitted + 3 > orig_budget(f)) {
		orig_cut(f, e);
		return;
	}
	orig_stage(f, e, c);
	f->line_len++;
}

/*
 * part_original - part 3: the original's header block or whole message,
 * line ends made CRLF, cut at a line end within the budget, ending in
 * CRLF whenever it is not empty.
 */
static void
part_original(struct emit *e, struct queue_message *original,
	      enum dsn_orig mode, uint64_t limit)
{
	struct orig_filter f = {
		.mode = mode, .limit = limit, .in_header = true,
	};
	const uint8_t *p;
	size_t n, i;
	enum queue_err err;
	const char *error;
	int rc;

	queue_read_content_rewind(original);
	while (!f.done && !e->failed &&
	       (rc = queue_read_content_next(original, &p, &n, &err,
					     &error)) != 0) {
		if (rc < 0) {
			emit_fail(e, err, error);
			return;
		}
		for (i = 0; i < n && !f.done; i++)
			orig_byte(&f, e, p[i]);
	}
	if (!f.done && f.pending_cr)
		orig_line_end(&f, e);
	if (!f.done && f.line_len > 0) {
		orig_stage(&f, e, '\r');
		orig_stage(&f, e, '\n');
	}
	emit_bytes(e, f.stage, f.stage_len);
}

/* part_header - the MIME header of part index (output pass only) */
static void
part_header(struct emit *e, const struct dsn_plan *plan, int index)
{
	static const char *const orig_desc[] = {
		[DSN_KIND_FAILED] = "Undelivered Message",
		[DSN_KIND_DELAYED] = "Delayed Message",
		[DSN_KIND_SUCCESS] = "Delivered Message",
	};
	bool is_8bit = plan->part_8bit[index];

	emit_printf(e, "\r\n--%s\r\n", plan->boundary);
	switch (index) {
	case 0:
		emit_printf(e, "Content-Description: Notification\r\n"
			       "Content-Type: text/plain; charset=%s\r\n",
			    is_8bit ? "utf-8" : "us-ascii");
		break;
	case 1:
		emit_str(e, "Content-Description: Delivery report\r\n"
			    "Content-Type: message/delivery-status\r\n");
		break;
	default:
		if (plan->orig == DSN_ORIG_FULL)
			emit_printf(e, "Content-Description: %s\r\n"
				       "Content-Type: message/rfc822\r\n",
				    orig_desc[plan->kind]);
		else
			emit_printf(e, "Content-Description: %s Headers\r\n"
				       "Content-Type: text/rfc822-headers\r\n",
				    orig_desc[plan->kind]);
		break;
	}
	/* XXX: 8-bit addresses in the report want RFC 6533's
	 * message/global-delivery-status; until then they are sent as
	 * 8bit, which SMTPUTF8 mail needs anyway. */
	if (is_8bit)
		emit_str(e, "Content-Transfer-Encoding: 8bit\r\n");
	emit_str(e, "\r\n");
}

/* compose_parts - the parts (scan pass: their content only) */
static void
compose_parts(struct emit *e, const struct dsn_report *r,
	      struct queue_message *original, uint64_t limit,
	      struct dsn_plan *plan, struct buf *scratch)
{
	int index;

	for (index = 0; index < DSN_PART_COUNT && !e->failed; index++) {
		if (index == 2 && plan->orig == DSN_ORIG_NONE)
			break;
		if (e->out != NULL)
			part_header(e, plan, index);
		e->is_8bit = false;
		if (index == 0)
			part_text(e, r, plan, scratch);
		else if (index == 1)
			part_status(e, r, scratch);
		else
			part_original(e, original, plan->orig, limit);
		if (e->out == NULL)
			plan->part_8bit[index] = e->is_8bit;
	}
	if (e->out != NULL)
		emit_printf(e, "\r\n--%s--\r\n", plan->boundary);
}

/* boundary_make - "token/host", cut to the RFC 2046 length */
static void
boundary_make(char *out, size_t size, const char *token, const char *host)
{
	int len = snprintf(out, size, "%s/%s", token, host);

	/* Cutting is fine: the scan decides whether it is usable. */
	MR_ASSERT(len > 0);
	if ((size_t)len >= size)
		out[size - 1] = 0;
}

/*
 * plan_make - the notice kind, what to return and a boundary that occurs
 * in none of the parts (RFC 2046 5.1.1), found by scanning them.
 */
static int
plan_make(const struct dsn_report *r, struct queue_message *original,
	  uint64_t limit, struct dsn_plan *plan, enum queue_err *err_r,
	  const char **error_r)
{
	struct buf scratch;
	int attempt;

	memset(plan, 0, sizeof(*plan));
	plan->kind = report_kind(r);
	plan->now = r->now != 0 ? r->now : time(NULL);
	if (original == NULL || original->content_size == 0)
		plan->orig = DSN_ORIG_NONE;
	else if (plan->kind == DSN_KIND_FAILED && !r->postmaster_copy &&
		 r->ret != QUEUE_RET_HDRS)
		plan->orig = DSN_ORIG_FULL;	/* no RET: like Postfix */
	else
		plan->orig = DSN_ORIG_HDRS;
	if (r->notice_id != NULL)
		snprintf(plan->token, sizeof(plan->token), "%s", r->notice_id);
	else
		random_token(plan->token, sizeof(plan->token));

	buf_init(&scratch, DSN_FIELD_MAX + 1);
	for (attempt = 0; attempt < DSN_BOUNDARY_TRIES; attempt++) {
		struct emit e = { .out = NULL };
		char fresh[DSN_TOKEN_MAX + 1];

		if (attempt == 0) {
			boundary_make(plan->boundary, sizeof(plan->boundary),
				      plan->token, r->reporting_mta);
		} else {
			random_token(fresh, sizeof(fresh));
			boundary_make(plan->boundary, sizeof(plan->boundary),
				      fresh, r->reporting_mta);
		}
		e.needle = plan->boundary;
		e.needle_len = strlen(plan->boundary);
		compose_parts(&e, r, original, limit, plan, &scratch);
		if (e.failed) {
			buf_deinit(&scratch);
			*err_r = e.err;
			*error_r = e.error;
			return -1;
		}
		if (!e.found) {
			buf_deinit(&scratch);
			return 0;
		}
	}
	buf_deinit(&scratch);
	*err_r = QUEUE_ERR_INVALID;
	*error_r = "no MIME boundary found that the message does not contain";
	return -1;
}

/* compose_planned - write the notice for a made plan */
static int
compose_planned(const struct dsn_report *r, struct queue_message *original,
		uint64_t limit, struct dsn_plan *plan, struct dsn_output *out,
		enum queue_err *err_r, const char **error_r)
{
	struct emit e = { .out = out };
	struct buf scratch;
	struct buf from;
	char date[DSN_DATE_SIZE], stamp[32];
	struct tm tm;
	bool is_8bit = false;
	int i;

	out->err = QUEUE_ERR_NONE;
	buf_init(&e.pending, DSN_OUT_CHUNK);
	buf_init(&scratch, DSN_FIELD_MAX + 1);
	buf_init(&from, DSN_LINE_MAX);
	for (i = 0; i < DSN_PART_COUNT; i++)
		is_8bit = is_8bit || plan->part_8bit[i];

	date_format(plan->now, date, sizeof(date));
	emit_printf(&e, "Date: %s\r\n", date);
	buf_append_str(&from, "\"Mail Delivery System\" <");
	if (r->from_address != NULL) {
		buf_append_str(&from, clean(&scratch, r->from_address, 0));
	} else {
		buf_append_str(&from, "MAILER-DAEMON@");
		buf_append_str(&from, r->reporting_mta);
	}
	buf_append_byte(&from, '>');
	emit_field(&e, &scratch, "From", buf_cstr(&from), 0);
	emit_printf(&e, "Subject: %s%s\r\n",
		    r->postmaster_copy ? "Postmaster Copy: " : "",
		    subject_for(plan->kind));
	buf_reset(&from);
	buf_append_byte(&from, '<');
	buf_append_str(&from, clean(&scratch, r->recipient, 0));
	buf_append_byte(&from, '>');
	emit_field(&e, &scratch, "To", buf_cstr(&from), 0);
	/* RFC 3834 5: an automatic reply to a message. */
	emit_str(&e, "Auto-Submitted: auto-replied\r\n");
	if (gmtime_r(&plan->now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "0");
	emit_printf(&e, "Message-ID: <%s.%s@%s>\r\n", stamp, plan->token,
		    r->reporting_mta);
	emit_printf(&e, "MIME-Version: 1.0\r\n"
			"Content-Type: multipart/report; "
			"report-type=delivery-status;\r\n"
			"\tboundary=\"%s\"\r\n", plan->boundary);
	if (is_8bit)
		emit_str(&e, "Content-Transfer-Encoding: 8bit\r\n");
	emit_str(&e, "\r\nThis is a MIME-encapsulated message.\r\n");
	compose_parts(&e, r, original, limit, plan, &scratch);
	emit_flush(&e);

	buf_deinit(&from);
	buf_deinit(&scratch);
	buf_deinit(&e.pending);
	if (e.failed) {
		*err_r = e.err;
		*error_r = e.error;
		return -1;
	}
	*err_r = QUEUE_ERR_NONE;
	return 0;
}

/* dsn_compose - write the notice for r to out */
int
dsn_compose(const struct dsn_report *r, struct queue_message *original,
	    uint64_t max_original_octets, struct dsn_output *out,
	    enum queue_err *err_r, const char **error_r)
{
	struct dsn_plan plan;

	if (report_check(r, error_r) < 0) {
		*err_r = QUEUE_ERR_INVALID;
		return -1;
	}
	if (plan_make(r, original, max_original_octets, &plan, err_r,
		      error_r) < 0)
		return -1;
	return compose_planned(r, original, max_original_octets, &plan, out,
			       err_r, error_r);
}

/* queue_output_write - dsn_output callback writing queue content */
static int
queue_output_write(struct dsn_output *out, const void *p, size_t n)
{
	struct queue_writer *w = out->ctx;
	const char *error;

	if (queue_write_content(w, p, n) == 0)
		return 0;
	out->err = queue_write_error(w, &error);
	return -1;
}

/* dsn_queue - compose the notice into a new queue file */
int
dsn_queue(const char *queue_dir, const struct dsn_report *r,
	  struct queue_message *original, uint64_t max_original_octets,
	  const char *env_sender, char id_r[QUEUE_ID_SIZE],
	  enum queue_err *err_r, const char **error_r)
{
	struct dsn_report notice = *r;
	struct dsn_output out = { .write = queue_output_write };
	struct queue_rcpt rcpt = { .status = QUEUE_RCPT_PENDING };
	struct queue_writer *w;
	struct dsn_plan plan;
	enum queue_err err, werr;
	const char *error, *werror;
	int i;

	MR_ASSERT(env_sender != NULL);
	if (report_check(r, error_r) < 0) {
		*err_r = QUEUE_ERR_INVALID;
		return -1;
	}
	w = queue_write_begin(queue_dir, 0, error_r);
	if (w == NULL) {
		*err_r = QUEUE_ERR_IO;
		return -1;
	}
	/* The new queue ID makes the Message-ID and boundary unique. */
	notice.notice_id = queue_write_id(w);
	if (notice.now == 0)
		notice.now = time(NULL);
	if (plan_make(&notice, original, max_original_octets, &plan, err_r,
		      error_r) < 0) {
		queue_write_free(&w);
		return -1;
	}
	rcpt.address = (char *)notice.recipient;
	queue_write_sender(w, env_sender);
	queue_write_rcpt(w, &rcpt);
	if (original != NULL && original->smtputf8)
		queue_write_smtputf8(w);
	for (i = 0; i < DSN_PART_COUNT; i++)
		if (plan.part_8bit[i]) {
			queue_write_body(w, QUEUE_BODY_8BITMIME);
			break;
		}
	out.ctx = w;
	err = queue_write_error(w, &error);
	if (err == QUEUE_ERR_NONE &&
	    compose_planned(&notice, original, max_original_octets, &plan,
			    &out, &err, &error) == 0 &&
	    queue_write_commit(w) == 0) {
		snprintf(id_r, QUEUE_ID_SIZE, "%s", queue_write_id(w));
		queue_write_free(&w);
		*err_r = QUEUE_ERR_NONE;
		return 0;
	}
	/* A writer failure is the cause; its text lives in w, so log it. */
	werr = queue_write_error(w, &werror);
	if (werr != QUEUE_ERR_NONE) {
		log_warn("%s: cannot queue notification: %s",
			 queue_write_id(w), werror);
		err = werr;
		error = "cannot write the notification to the queue";
	}
	*err_r = err;
	*error_r = error;
	queue_write_free(&w);
	return -1;
}
