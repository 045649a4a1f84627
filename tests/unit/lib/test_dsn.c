/*
 * test_dsn.c - unit tests for lib/dsn.c: the RFC 3461 NOTIFY decision
 * table and the null-sender rules; notices for every action and RET, with
 * and without ORCPT and ENVID, each validated by Python's email package
 * (multipart/report structure, delivery-status fields, the returned
 * original); 8-bit content; hostile diagnostics; a boundary that the
 * content already holds (also across a queue record seam); truncation of
 * a large original with the headers kept; bare line ends; invalid
 * reports; a full output; and dsn_queue round trips through the queue.
 */
#include "tests/unit/testlib.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/dsn.h"
#include "lib/mem.h"
#include "lib/queue.h"
#include "lib/queue_read.h"
#include "lib/queue_write.h"

#define OUT_MAX (8u * 1024 * 1024)
#define PYTHON_TIMEOUT_MS 60000
#define HOST "mx.test"
#define SENDER "alice@example.org"

/*
 * The validator: argv = path part3-type subject envid flags rcpt-spec...
 * where a rcpt-spec is "address|action|status|orcpt|diagnostic" ("-" for
 * absent) and flags is a comma list ("8bit": the message declares 8bit;
 * "longlines": the returned original has lines over 998 octets).
 */
static const char python_check[] =
	"import sys, email, email.policy\n"
	"def die(m):\n"
	"    sys.stderr.write('dsn check: ' + m + '\\n'); sys.exit(1)\n"
	"path, p3, subj, envid, flags = sys.argv[1:6]\n"
	"specs = sys.argv[6:]\n"
	"flags = flags.split(',')\n"
	"raw = open(path, 'rb').read()\n"
	"bare = raw.replace(b'\\r\\n', b'')\n"
	"if b'\\n' in bare or b'\\r' in bare: die('bare CR or LF')\n"
	"if not raw.endswith(b'\\r\\n'): die('no final CRLF')\n"
	"for line in raw.split(b'\\r\\n'):\n"
	"    if len(line) > 998 and 'longlines' not in flags:\n"
	"        die('line over 998 octets')\n"
	"with open(path, 'rb') as f:\n"
	"    m = email.message_from_binary_file(f, policy=email.policy.default)\n"
	"if m.defects: die('defects %r' % m.defects)\n"
	"if m.get_content_type() != 'multipart/report':\n"
	"    die('type ' + m.get_content_type())\n"
	"if m.get_param('report-type') != 'delivery-status': die('report-type')\n"
	"if m['Auto-Submitted'] != 'auto-replied': die('auto-submitted')\n"
	"for h in ('Date', 'From', 'To', 'Subject', 'Message-ID',\n"
	"          'MIME-Version'):\n"
	"    if m[h] is None: die('no ' + h)\n"
	"if m['From'].addresses[0].display_name != 'Mail Delivery System':\n"
	"    die('from name')\n"
	"if ('8bit' in flags) != (m['Content-Transfer-Encoding'] == '8bit'):\n"
	"    die('top-level transfer encoding')\n"
	"parts = m.get_payload()\n"
	"want = 2 if p3 == 'none' else 3\n"
	"if len(parts) != want: die('%d parts' % len(parts))\n"
	"for p in parts:\n"
	"    if p.defects: die('part defects %r' % p.defects)\n"
	"if parts[0].get_content_type() != 'text/plain': die('part 1 type')\n"
	"text = parts[0].get_content()\n"
	"if 'This is the mail system at host' not in text: die('text')\n"
	"ds = parts[1]\n"
	"if ds.get_content_type() != 'message/delivery-status':\n"
	"    die('part 2 type ' + ds.get_content_type())\n"
	"blocks = ds.get_payload()\n"
	"if len(blocks) != 1 + len(specs): die('%d blocks' % len(blocks))\n"
	"pm = blocks[0]\n"
	"if pm['Reporting-MTA'] != 'dns; mx.test': die('reporting-mta')\n"
	"if pm['Arrival-Date'] is None: die('arrival-date')\n"
	"if envid == '-':\n"
	"    if pm['Original-Envelope-Id'] is not None: die('envid present')\n"
	"elif pm['Original-Envelope-Id'] != envid:\n"
	"    die('envid %r' % pm['Original-Envelope-Id'])\n"
	"for b, spec in zip(blocks[1:], specs):\n"
	"    addr, action, status, orcpt, diag = spec.split('|')\n"
	"    if b['Final-Recipient'] != 'rfc822; ' + addr:\n"
	"        die('final-recipient %r' % b['Final-Recipient'])\n"
	"    if b['Action'] != action: die('action %r' % b['Action'])\n"
	"    if b['Status'] != status: die('status %r' % b['Status'])\n"
	"    if orcpt == '-':\n"
	"        if b['Original-Recipient'] is not None: die('orcpt present')\n"
	"    elif b['Original-Recipient'] != 'rfc822; ' + orcpt:\n"
	"        die('original-recipient %r' % b['Original-Recipient'])\n"
	"    if diag == '-':\n"
	"        if b['Diagnostic-Code'] is not None: die('diagnostic present')\n"
	"    elif b['Diagnostic-Code'] != diag:\n"
	"        die('diagnostic-code %r' % b['Diagnostic-Code'])\n"
	"    if (b['Will-Retry-Until'] is not None) != (action == 'delayed'):\n"
	"        die('will-retry-until')\n"
	"    if b['Last-Attempt-Date'] is None: die('last-attempt-date')\n"
	"    for k in b.keys():\n"
	"        if k.lower().startswith('x-injected'): die('injected field')\n"
	"    if '<' + addr + '>' not in text: die('address not in text')\n"
	"if p3 != 'none':\n"
	"    o = parts[2]\n"
	"    if o.get_content_type() != p3: die('part 3 ' + o.get_content_type())\n"
	"    if p3 == 'message/rfc822':\n"
	"        inner = o.get_payload()[0]\n"
	"        if subj != '-' and inner['Subject'] != subj:\n"
	"            die('subject %r' % inner['Subject'])\n"
	"    else:\n"
	"        c = o.get_content().replace('\\r\\n', '\\n')\n"
	"        if subj != '-' and 'Subject: ' + subj + '\\n' not in c:\n"
	"            die('subject not in headers')\n"
	"        if '\\n\\n' in c.strip('\\n'): die('body in headers part')\n"
	"sys.exit(0)\n";

/* One NOTIFY decision row. */
struct decide_row {
	const char *sender;
	unsigned int notify;
	enum dsn_action action;
	bool notify_2bounce;
	enum dsn_decision expect;
};

/* rm_entry - nftw callback removing one entry */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* tmpdir_new - fresh queue directory */
static void
tmpdir_new(char *dir, size_t size)
{
	const char *error;

	snprintf(dir, size, "/tmp/test_dsn.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(queue_init_dirs(dir, 0700, &error), 0);
}

/* tmpdir_free - remove a test directory */
static void
tmpdir_free(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* original_new - queue a message with content and open it for reading */
static struct queue_message *
original_new(const char *dir, const void *content, size_t content_len,
	     enum queue_ret ret, const char *envid)
{
	struct queue_rcpt rcpt = { .address = "bob@example.net" };
	struct queue_message *msg;
	struct queue_writer *w;
	char path[PATH_MAX];
	enum queue_err err;
	const char *error;

	w = queue_write_begin(dir, 0, &error);
	assert_non_null(w);
	assert_int_equal(queue_write_sender(w, SENDER), 0);
	assert_int_equal(queue_write_rcpt(w, &rcpt), 0);
	assert_int_equal(queue_write_ret(w, ret), 0);
	if (envid != NULL)
		assert_int_equal(queue_write_envid(w, envid), 0);
	if (content_len > 0)
		assert_int_equal(queue_write_content(w, content, content_len),
				 0);
	assert_int_equal(queue_write_commit(w), 0);
	assert_int_equal(queue_path(dir, QUEUE_STATE_ACTIVE, queue_write_id(w),
				    path, sizeof(path)),
			 0);
	queue_write_free(&w);
	assert_int_equal(queue_read_open(path, 0, &msg, &err, &error), 0);
	return msg;
}

/* report_init - a report about msg (or a bare one) for count rcpts */
static void
report_init(struct dsn_report *r, const struct queue_message *msg,
	    struct dsn_rcpt *rcpts, size_t count)
{
	memset(r, 0, sizeof(*r));
	r->reporting_mta = HOST;
	r->mail_name = "mailroom";
	r->recipient = SENDER;
	r->original_sender = msg != NULL ? msg->sender : SENDER;
	r->queue_id = "0AbCdEfGhIjKlMnOpQrSt";
	r->envid = msg != NULL ? msg->envid : NULL;
	r->arrival = msg != NULL ? (time_t)(msg->arrival_us / 1000000) :
				   1700000000;
	r->ret = msg != NULL ? msg->ret : QUEUE_RET_UNSPEC;
	r->rcpts = rcpts;
	r->rcpt_count = count;
}

/* compose - dsn_compose into out (reset first); returns its result */
static int
compose(const struct dsn_report *r, struct queue_message *msg,
	uint64_t limit, struct buf *out, enum queue_err *err_r)
{
	struct dsn_output o;
	const char *error = NULL;
	int rc;

	buf_reset(out);
	dsn_output_buf(&o, out);
	rc = dsn_compose(r, msg, limit, &o, err_r, &error);
	if (rc < 0)
		assert_non_null(error);
	return rc;
}

/* python_run - run the validator on the message in out; exit status */
static int
python_run(const struct buf *out, const char *part3, const char *subject,
	   const char *envid, const char *flags, const char *const *specs,
	   size_t spec_count)
{
	char path[] = "/tmp/test_dsn_msg.XXXXXX";
	const char *argv[32];
	size_t argc = 0, i;
	int fd, status, waited_ms = 0;
	pid_t pid, done;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out->data, out->len), (ssize_t)out->len);
	close(fd);
	assert_true(spec_count + 9 < sizeof(argv) / sizeof(argv[0]));
	argv[argc++] = "python3";
	argv[argc++] = "-c";
	argv[argc++] = python_check;
	argv[argc++] = path;
	argv[argc++] = part3;
	argv[argc++] = subject;
	argv[argc++] = envid != NULL ? envid : "-";
	argv[argc++] = flags;
	for (i = 0; i < spec_count; i++)
		argv[argc++] = specs[i];
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	/* Bounded: a hung interpreter fails the test instead of blocking. */
	while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
	       waited_ms < PYTHON_TIMEOUT_MS) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		waited_ms += 10;
	}
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		unlink(path);
		fail_msg("python validator timed out");
	}
	unlink(path);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* out_has - whether the composed message contains s */
static bool
out_has(struct buf *out, const char *s)
{
	return strstr(buf_cstr(out), s) != NULL;
}

/* out_boundary - the boundary parameter of the composed message */
static void
out_boundary(struct buf *out, char *b, size_t size)
{
	const char *p = strstr(buf_cstr(out), "boundary=\"");
	const char *end;

	assert_non_null(p);
	p += strlen("boundary=\"");
	end = strchr(p, '"');
	assert_non_null(end);
	assert_true((size_t)(end - p) < size);
	memcpy(b, p, (size_t)(end - p));
	b[end - p] = 0;
}

/* out_part3 - where the third part's body starts and its length */
static const char *
out_part3(struct buf *out, size_t *len_r)
{
	char boundary[128], delim[160], close_delim[160];
	const char *s = buf_cstr(out), *p, *end;
	int i;

	out_boundary(out, boundary, sizeof(boundary));
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", boundary);
	snprintf(close_delim, sizeof(close_delim), "\r\n--%s--\r\n",
		 boundary);
	p = s;
	for (i = 0; i < 3; i++) {
		p = strstr(p, delim);
		assert_non_null(p);
		p += strlen(delim);
	}
	p = strstr(p, "\r\n\r\n");
	assert_non_null(p);
	p += 4;
	end = strstr(p, close_delim);
	assert_non_null(end);
	*len_r = (size_t)(end - p);
	return p;
}

static const char small_message[] =
	"From: Alice <alice@example.org>\r\n"
	"To: Bob <bob@example.net>\r\n"
	"Subject: lunch on friday\r\n"
	"Message-ID: <1@example.org>\r\n"
	"\r\n"
	"Shall we?\r\n"
	"\r\n"
	"-- \r\n"
	"Alice\r\n";

/* test_notify_decisions - the RFC 3461 NOTIFY table and the null-sender rules */
static void
test_notify_decisions(void **state)
{
	static const struct decide_row rows[] = {
		/* No NOTIFY: failures and delays, not success. */
		{ SENDER, 0, DSN_ACTION_FAILED, false, DSN_DECISION_SEND },
		{ SENDER, 0, DSN_ACTION_DELAYED, false, DSN_DECISION_SEND },
		{ SENDER, 0, DSN_ACTION_DELIVERED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, 0, DSN_ACTION_RELAYED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, 0, DSN_ACTION_EXPANDED, false,
		  DSN_DECISION_NOT_REQUESTED },
		/* NEVER: nothing at all. */
		{ SENDER, QUEUE_NOTIFY_NEVER, DSN_ACTION_FAILED, true,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_NEVER, DSN_ACTION_DELAYED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_NEVER, DSN_ACTION_DELIVERED, false,
		  DSN_DECISION_NOT_REQUESTED },
		/* Exactly what is listed. */
		{ SENDER, QUEUE_NOTIFY_SUCCESS, DSN_ACTION_DELIVERED, false,
		  DSN_DECISION_SEND },
		{ SENDER, QUEUE_NOTIFY_SUCCESS, DSN_ACTION_RELAYED, false,
		  DSN_DECISION_SEND },
		{ SENDER, QUEUE_NOTIFY_SUCCESS, DSN_ACTION_EXPANDED, false,
		  DSN_DECISION_SEND },
		{ SENDER, QUEUE_NOTIFY_SUCCESS, DSN_ACTION_FAILED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_SUCCESS, DSN_ACTION_DELAYED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_FAILURE, DSN_ACTION_FAILED, false,
		  DSN_DECISION_SEND },
		{ SENDER, QUEUE_NOTIFY_FAILURE, DSN_ACTION_DELAYED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_FAILURE, DSN_ACTION_DELIVERED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_DELAY, DSN_ACTION_DELAYED, false,
		  DSN_DECISION_SEND },
		{ SENDER, QUEUE_NOTIFY_DELAY, DSN_ACTION_FAILED, false,
		  DSN_DECISION_NOT_REQUESTED },
		{ SENDER, QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY,
		  DSN_ACTION_DELIVERED, false, DSN_DECISION_NOT_REQUESTED },
		{ SENDER,
		  QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE |
			  QUEUE_NOTIFY_DELAY,
		  DSN_ACTION_DELIVERED, false, DSN_DECISION_SEND },
		/* The null sender never gets a notice. */
		{ "", 0, DSN_ACTION_FAILED, false, DSN_DECISION_NULL_SENDER },
		{ "", QUEUE_NOTIFY_FAILURE, DSN_ACTION_FAILED, false,
		  DSN_DECISION_NULL_SENDER },
		{ "", 0, DSN_ACTION_FAILED, true,
		  DSN_DECISION_DOUBLE_BOUNCE },
		{ "", QUEUE_NOTIFY_NEVER, DSN_ACTION_FAILED, true,
		  DSN_DECISION_DOUBLE_BOUNCE },
		{ "", 0, DSN_ACTION_DELAYED, true, DSN_DECISION_NULL_SENDER },
		{ "", QUEUE_NOTIFY_SUCCESS, DSN_ACTION_DELIVERED, true,
		  DSN_DECISION_NULL_SENDER },
		/* A failed postmaster notice is never reported. */
		{ "double-bounce@example.org", 0, DSN_ACTION_FAILED, true,
		  DSN_DECISION_TRIPLE_BOUNCE },
		{ "Double-Bounce@Example.ORG", 0, DSN_ACTION_DELAYED, true,
		  DSN_DECISION_TRIPLE_BOUNCE },
		{ "double-bouncer@example.org", 0, DSN_ACTION_FAILED, true,
		  DSN_DECISION_SEND },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum dsn_decision d = dsn_notify_decide(
			rows[i].sender, rows[i].notify, rows[i].action,
			"double-bounce", rows[i].notify_2bounce);

		if (d != rows[i].expect)
			fail_msg("row %zu: %s, want %s", i,
				 dsn_decision_name(d),
				 dsn_decision_name(rows[i].expect));
	}
	/* A full address as double_bounce_sender, and none at all. */
	assert_int_equal(dsn_notify_decide("double-bounce@example.org", 0,
					   DSN_ACTION_FAILED,
					   "double-bounce@example.org", true),
			 DSN_DECISION_TRIPLE_BOUNCE);
	assert_int_equal(dsn_notify_decide("double-bounce@example.org", 0,
					   DSN_ACTION_FAILED, NULL, true),
			 DSN_DECISION_SEND);
	assert_true(dsn_notify_is_requested(0, DSN_ACTION_FAILED));
	assert_false(dsn_notify_is_requested(QUEUE_NOTIFY_NEVER,
					     DSN_ACTION_FAILED));
	assert_string_equal(dsn_action_name(DSN_ACTION_EXPANDED), "expanded");
	assert_string_equal(dsn_decision_name(DSN_DECISION_NULL_SENDER),
			    "null-sender");
}

/* One row of the compose matrix. */
struct compose_row {
	enum dsn_action action;
	enum queue_ret ret;
	bool orcpt;
	const char *envid;
	const char *part3;
	const char *subject;
};

/* test_compose_matrix - every action and RET, ORCPT and ENVID on and off */
static void
test_compose_matrix(void **state)
{
	static const struct compose_row rows[] = {
		{ DSN_ACTION_FAILED, QUEUE_RET_UNSPEC, true, "env-1",
		  "message/rfc822", "Undelivered Mail Returned to Sender" },
		{ DSN_ACTION_FAILED, QUEUE_RET_FULL, false, NULL,
		  "message/rfc822", "Undelivered Mail Returned to Sender" },
		{ DSN_ACTION_FAILED, QUEUE_RET_HDRS, true, NULL,
		  "text/rfc822-headers",
		  "Undelivered Mail Returned to Sender" },
		{ DSN_ACTION_FAILED, QUEUE_RET_HDRS, false, "QQ314159",
		  "text/rfc822-headers",
		  "Undelivered Mail Returned to Sender" },
		{ DSN_ACTION_DELAYED, QUEUE_RET_UNSPEC, false, "env-2",
		  "text/rfc822-headers", "Delayed Mail (still being retried)" },
		{ DSN_ACTION_DELAYED, QUEUE_RET_FULL, true, NULL,
		  "text/rfc822-headers", "Delayed Mail (still being retried)" },
		{ DSN_ACTION_DELIVERED, QUEUE_RET_FULL, true, "env-3",
		  "text/rfc822-headers", "Successful Mail Delivery Report" },
		{ DSN_ACTION_DELIVERED, QUEUE_RET_UNSPEC, false, NULL,
		  "text/rfc822-headers", "Successful Mail Delivery Report" },
		{ DSN_ACTION_RELAYED, QUEUE_RET_HDRS, false, NULL,
		  "text/rfc822-headers", "Successful Mail Delivery Report" },
		{ DSN_ACTION_EXPANDED, QUEUE_RET_UNSPEC, true, NULL,
		  "text/rfc822-headers", "Successful Mail Delivery Report" },
	};
	static const char *const status[] = {
		[DSN_ACTION_FAILED] = "5.1.1",
		[DSN_ACTION_DELAYED] = "4.4.1",
		[DSN_ACTION_DELIVERED] = "2.0.0",
		[DSN_ACTION_RELAYED] = "2.0.0",
		[DSN_ACTION_EXPANDED] = "2.0.0",
	};
	static const char *const diag[] = {
		[DSN_ACTION_FAILED] = "smtp; 550 5.1.1 <bob@example.net>: "
				      "Recipient address rejected: User "
				      "unknown in local recipient table",
		[DSN_ACTION_DELAYED] = ("X-mailroom; connect to "
					"mx.example.net[192.0.2.1]:25: "
					"Connection timed out"),
		[DSN_ACTION_DELIVERED] = "smtp; 250 2.0.0 Ok: queued",
		[DSN_ACTION_RELAYED] = "smtp; 250 2.0.0 Ok",
		[DSN_ACTION_EXPANDED] = ("X-mailroom; delivered to 3 "
					 "recipients"),
	};
	char dir[64];
	struct buf out;
	size_t i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&out, OUT_MAX);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct compose_row *row = &rows[i];
		struct queue_message *msg =
			original_new(dir, small_message,
				     sizeof(small_message) - 1, row->ret,
				     row->envid);
		struct dsn_rcpt rc = {
			.address = "bob@example.net",
			.orcpt_type = row->orcpt ? "rfc822" : NULL,
			.orcpt = row->orcpt ? "Bob@Example.NET" : NULL,
			.action = row->action,
			.status = status[row->action],
			.diagnostic = diag[row->action],
			.remote_mta = "dns; mx.example.net",
			.last_attempt = 1700000100,
			.will_retry_until = row->action == DSN_ACTION_DELAYED ?
						    1700432000 :
						    0,
		};
		struct dsn_report r;
		enum queue_err err;
		char spec[512], subject[128];
		const char *specs[1] = { spec };
		int rc_py;

		report_init(&r, msg, &rc, 1);
		/* A Will-Retry-Until outside "delayed" must be left out. */
		if (row->action != DSN_ACTION_DELAYED)
			rc.will_retry_until = 1700432000;
		assert_int_equal(compose(&r, msg, 50000, &out, &err), 0);
		snprintf(spec, sizeof(spec), "bob@example.net|%s|%s|%s|%s",
			 dsn_action_name(row->action), status[row->action],
			 row->orcpt ? "Bob@Example.NET" : "-",
			 diag[row->action]);
		rc_py = python_run(&out, row->part3, "lunch on friday",
				   row->envid, "", specs, 1);
		if (rc_py != 0)
			fail_msg("row %zu: validator exit %d:\n%s", i, rc_py,
				 buf_cstr(&out));
		snprintf(subject, sizeof(subject), "\r\nSubject: %s\r\n",
			 row->subject);
		assert_true(out_has(&out, subject));
		assert_true(out_has(&out, "\r\nFrom: \"Mail Delivery System\" "
					  "<MAILER-DAEMON@mx.test>\r\n"));
		assert_true(out_has(&out, "\r\nTo: <alice@example.org>\r\n"));
		assert_true(out_has(&out, "X-Mailroom-Queue-ID: "
					  "0AbCdEfGhIjKlMnOpQrSt\r\n"));
		/* Only the returned message carries the body. */
		assert_int_equal(out_has(&out, "Shall we?"),
				 strcmp(row->part3, "message/rfc822") == 0);
		queue_read_free(&msg);
	}
	buf_deinit(&out);
	tmpdir_free(dir);
}

/* test_multi_rcpt_8bit_hostile - several recipients, 8-bit content, hostile diagnostics */
static void
test_multi_rcpt_8bit_hostile(void **state)
{
	static const char content[] =
		"From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\n"
		"Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f" "e\r\n";
	char long_diag[700];
	char dir[64], spec0[1024], spec1[256], spec2[256];
	const char *specs[3] = { spec0, spec1, spec2 };
	struct dsn_rcpt rcpts[3] = {
		{ .address = "carol@example.net", .action = DSN_ACTION_FAILED,
		  .status = "5.2.2", .diagnostic = long_diag,
		  .last_attempt = 1700000200 },
		{ .address = "dave@example.net", .action = DSN_ACTION_DELAYED,
		  .status = "4.4.1", .remote_mta = "mx2.example.net",
		  .diagnostic = "smtp; 451 4.7.1 try\r\nX-Injected: yes\r\n"
				"\r\nlater",
		  .last_attempt = 1700000300, .will_retry_until = 1700400000 },
		/* An expired message: "failed" keeps its 4.x.x status. */
		{ .address = "erin@example.net", .action = DSN_ACTION_FAILED,
		  .status = "4.4.7", .last_attempt = 1700000400 },
	};
	struct queue_message *msg;
	struct dsn_report r;
	enum queue_err err;
	struct buf out;
	size_t i;

	(void)state;
	/* 60 words: the field must be folded, and unfold to the same. */
	snprintf(long_diag, sizeof(long_diag), "smtp; 552 5.2.2");
	for (i = 0; i < 60; i++)
		snprintf(long_diag + strlen(long_diag),
			 sizeof(long_diag) - strlen(long_diag), " word%zu", i);
	tmpdir_new(dir, sizeof(dir));
	msg = original_new(dir, content, sizeof(content) - 1,
			   QUEUE_RET_UNSPEC, NULL);
	report_init(&r, msg, rcpts, 3);
	buf_init(&out, OUT_MAX);
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	snprintf(spec0, sizeof(spec0),
		 "carol@example.net|failed|5.2.2|-|%s", long_diag);
	snprintf(spec1, sizeof(spec1), "dave@example.net|delayed|4.4.1|-|"
				       "smtp; 451 4.7.1 try X-Injected: yes "
				       "later");
	snprintf(spec2, sizeof(spec2), "erin@example.net|failed|4.4.7|-|-");
	assert_int_equal(python_run(&out, "message/rfc822",
				    "Gr\xc3\xbc\xc3\x9f" "e", NULL, "8bit",
				    specs, 3),
			 0);
	assert_false(out_has(&out, "\r\nX-Injected"));
	assert_true(out_has(&out, "Remote-MTA: dns; mx2.example.net\r\n"));
	/* The 8-bit part says so; the report itself stays 7-bit. */
	assert_true(out_has(&out, "Content-Type: message/rfc822\r\n"
				  "Content-Transfer-Encoding: 8bit\r\n"));
	assert_true(out_has(&out, "Content-Type: message/delivery-status\r\n"
				  "\r\n"));
	assert_true(out_has(&out, "Subject: Undelivered Mail Returned to "
				  "Sender\r\n"));
	queue_read_free(&msg);
	buf_deinit(&out);
	tmpdir_free(dir);
}

/* test_boundary_collision - a boundary the content holds is never used */
static void
test_boundary_collision(void **state)
{
	struct dsn_rcpt rc = {
		.address = "bob@example.net", .action = DSN_ACTION_FAILED,
		.status = "5.1.1", .diagnostic = "smtp; 550 5.1.1 no such user",
		.last_attempt = 1700000100,
	};
	const char *specs[1] = {
		"bob@example.net|failed|5.1.1|-|smtp; 550 5.1.1 no such user",
	};
	static const char trap[] = "--TESTNOTICE/mx.test\r\n";
	const size_t seam = 65536;	/* one queue CONTENT record */
	struct queue_message *msg;
	struct dsn_report r;
	enum queue_err err;
	struct buf out, content;
	char dir[64], boundary[128];
	size_t at;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&out, OUT_MAX);
	buf_init(&content, 1024 * 1024);

	/* The notice ID and host make the boundary, so a test can aim. */
	msg = original_new(dir, small_message, sizeof(small_message) - 1,
			   QUEUE_RET_FULL, NULL);
	report_init(&r, msg, &rc, 1);
	r.notice_id = "TESTNOTICE";
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	out_boundary(&out, boundary, sizeof(boundary));
	assert_string_equal(boundary, "TESTNOTICE/mx.test");
	assert_true(out_has(&out, ".TESTNOTICE@mx.test>\r\n"));
	queue_read_free(&msg);

	/* The content holds that boundary: another one must be used. */
	buf_append_str(&content, "Subject: trap\r\n\r\nbefore\r\n");
	buf_append_str(&content, trap);
	buf_append_str(&content, "after\r\n");
	msg = original_new(dir, content.data, content.len, QUEUE_RET_FULL,
			   NULL);
	report_init(&r, msg, &rc, 1);
	r.notice_id = "TESTNOTICE";
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	out_boundary(&out, boundary, sizeof(boundary));
	assert_string_not_equal(boundary, "TESTNOTICE/mx.test");
	assert_true(strstr(buf_cstr(&content), boundary) == NULL);
	assert_int_equal(python_run(&out, "message/rfc822", "trap", NULL, "",
				    specs, 1),
			 0);
	queue_read_free(&msg);

	/* The same with the boundary split across two content records. */
	buf_reset(&content);
	buf_append_str(&content, "Subject: seam\r\n\r\n");
	while (content.len < seam - 8) {
		size_t n = seam - 8 - content.len;

		n = n > 70 ? 70 : n;
		memset(buf_reserve(&content, n), 'y', n);
		buf_commit(&content, n);
		buf_append_str(&content, "\r\n");
	}
	at = content.len;
	buf_append_str(&content, trap);
	buf_append_str(&content, "tail\r\n");
	assert_true(at < seam && at + strlen(trap) > seam);
	msg = original_new(dir, content.data, content.len, QUEUE_RET_FULL,
			   NULL);
	report_init(&r, msg, &rc, 1);
	r.notice_id = "TESTNOTICE";
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	out_boundary(&out, boundary, sizeof(boundary));
	assert_string_not_equal(boundary, "TESTNOTICE/mx.test");
	assert_int_equal(python_run(&out, "message/rfc822", "seam", NULL, "",
				    specs, 1),
			 0);
	queue_read_free(&msg);

	/* The random boundary of a notice without ID differs each time. */
	msg = original_new(dir, small_message, sizeof(small_message) - 1,
			   QUEUE_RET_FULL, NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	out_boundary(&out, boundary, sizeof(boundary));
	{
		char second[128];

		assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
		out_boundary(&out, second, sizeof(second));
		assert_string_not_equal(boundary, second);
		assert_true(strlen(second) <= 70);
	}
	queue_read_free(&msg);
	buf_deinit(&content);
	buf_deinit(&out);
	tmpdir_free(dir);
}

/* test_truncation - the original cut at the limit, headers kept */
static void
test_truncation(void **state)
{
	struct dsn_rcpt rc = {
		.address = "bob@example.net", .action = DSN_ACTION_FAILED,
		.status = "5.3.4", .diagnostic = "smtp; 552 5.3.4 too big",
		.last_attempt = 1700000100,
	};
	const char *specs[1] = {
		"bob@example.net|failed|5.3.4|-|smtp; 552 5.3.4 too big",
	};
	const uint64_t limit = 50000;
	struct queue_message *msg;
	struct dsn_report r;
	enum queue_err err;
	struct buf out, content;
	const char *part;
	char dir[64];
	size_t len, i;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&out, OUT_MAX);
	buf_init(&content, 4 * 1024 * 1024);

	/* A 2 MB message is cut to the limit at a line end. */
	buf_append_str(&content, "From: alice@example.org\r\n"
				 "Subject: huge attachment\r\n\r\n");
	for (i = 0; content.len < 2 * 1024 * 1024; i++)
		buf_printf(&content, "line %08zu %s\r\n", i,
			   "abcdefghijklmnopqrstuvwxyz0123456789"
			   "abcdefghijklmnopqrstuvwxyz0123456789");
	msg = original_new(dir, content.data, content.len, QUEUE_RET_UNSPEC,
			   NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(compose(&r, msg, limit, &out, &err), 0);
	part = out_part3(&out, &len);
	assert_true(len <= limit);
	assert_true(len > limit - 200);
	assert_memory_equal(part, content.data, len);
	assert_memory_equal(part + len - 2, "\r\n", 2);
	assert_true(out.len < limit + 8192);
	assert_int_equal(python_run(&out, "message/rfc822",
				    "huge attachment", NULL, "", specs, 1),
			 0);
	/* No limit: all of it. */
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	part = out_part3(&out, &len);
	assert_int_equal(len, content.len);
	queue_read_free(&msg);

	/* Headers larger than the limit are kept whole; the body goes. */
	buf_reset(&content);
	for (i = 0; i < 40; i++)
		buf_printf(&content, "X-Long-%02zu: %s\r\n", i,
			   "0123456789012345678901234567890123456789"
			   "0123456789012345678901234567890123456789");
	buf_append_str(&content, "Subject: last header\r\n\r\nbody\r\n");
	msg = original_new(dir, content.data, content.len, QUEUE_RET_UNSPEC,
			   NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(compose(&r, msg, 1000, &out, &err), 0);
	part = out_part3(&out, &len);
	assert_int_equal(len, content.len - strlen("\r\nbody\r\n"));
	assert_int_equal(python_run(&out, "message/rfc822", "last header",
				    NULL, "", specs, 1),
			 0);
	queue_read_free(&msg);

	/* A line cut by the limit is dropped whole... */
	buf_reset(&content);
	buf_append_str(&content, "Subject: one long line\r\n\r\nshort\r\n");
	memset(buf_reserve(&content, 30000), 'z', 30000);
	buf_commit(&content, 30000);
	msg = original_new(dir, content.data, content.len, QUEUE_RET_FULL,
			   NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(compose(&r, msg, 500, &out, &err), 0);
	part = out_part3(&out, &len);
	assert_int_equal(len, strlen("Subject: one long line\r\n\r\n"
				     "short\r\n"));
	assert_int_equal(python_run(&out, "message/rfc822", "one long line",
				    NULL, "", specs, 1),
			 0);
	/* ...unless it is too long to hold back: then it is closed. */
	assert_int_equal(compose(&r, msg, 20000, &out, &err), 0);
	part = out_part3(&out, &len);
	assert_true(len <= 20000 && len > 20000 - 8);
	assert_memory_equal(part + len - 4, "zz\r\n", 4);
	assert_int_equal(python_run(&out, "message/rfc822", "one long line",
				    NULL, "longlines", specs, 1),
			 0);
	queue_read_free(&msg);
	buf_deinit(&content);
	buf_deinit(&out);
	tmpdir_free(dir);
}

/* test_line_ends_and_edges - bare line ends, headers only, no original */
static void
test_line_ends_and_edges(void **state)
{
	static const char bare[] = "Subject: bare\nFrom: a@example.org\r"
				   "To: b@example.net\r\n\nbody\rmore\n"
				   "no final line end";
	struct dsn_rcpt rc = {
		.address = "bob@example.net", .action = DSN_ACTION_FAILED,
		.last_attempt = 1700000100,
	};
	const char *specs[1] = { "bob@example.net|failed|5.0.0|-|-" };
	struct queue_message *msg;
	struct dsn_report r;
	enum queue_err err;
	struct buf out;
	const char *part;
	char dir[64];
	size_t len;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&out, OUT_MAX);

	/* Bare LF and CR become CRLF; a missing last line end is added. */
	msg = original_new(dir, bare, sizeof(bare) - 1, QUEUE_RET_FULL, NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	assert_int_equal(python_run(&out, "message/rfc822", "bare", NULL, "",
				    specs, 1),
			 0);
	part = out_part3(&out, &len);
	{
		static const char want[] =
			"Subject: bare\r\nFrom: a@example.org\r\n"
			"To: b@example.net\r\n\r\nbody\r\nmore\r\n"
			"no final line end\r\n";

		assert_int_equal(len, sizeof(want) - 1);
		assert_memory_equal(part, want, len);
	}
	/* Headers only, from the same message. */
	r.ret = QUEUE_RET_HDRS;
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	assert_int_equal(python_run(&out, "text/rfc822-headers", "bare", NULL,
				    "", specs, 1),
			 0);
	assert_false(out_has(&out, "body"));
	queue_read_free(&msg);

	/* No original: two parts. */
	report_init(&r, NULL, &rc, 1);
	assert_int_equal(compose(&r, NULL, 0, &out, &err), 0);
	assert_int_equal(python_run(&out, "none", "-", NULL, "", specs, 1),
			 0);

	/* An empty original: two parts as well. */
	msg = original_new(dir, "", 0, QUEUE_RET_FULL, NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(compose(&r, msg, 0, &out, &err), 0);
	assert_int_equal(python_run(&out, "none", "-", NULL, "", specs, 1),
			 0);
	queue_read_free(&msg);
	buf_deinit(&out);
	tmpdir_free(dir);
}

/* test_invalid_reports - unusable reports, bad status codes, a full output */
static void
test_invalid_reports(void **state)
{
	struct dsn_rcpt good = {
		.address = "bob@example.net", .action = DSN_ACTION_FAILED,
		.status = "5.1.1", .last_attempt = 1700000100,
	};
	struct dsn_rcpt bad;
	struct dsn_report r;
	enum queue_err err;
	struct buf out, small;
	struct dsn_output o;
	const char *error;
	const char *specs[1] = { "bob@example.net|failed|5.0.0|-|-" };
	static const char *const bad_status[] = {
		"2.0.0", "5.1", "5.01.1", "5.1.1000", "6.1.1", "5.1.1 ", "",
		"5..1", "x.1.1",
	};
	size_t i;

	(void)state;
	buf_init(&out, OUT_MAX);
	report_init(&r, NULL, &good, 1);
	assert_int_equal(compose(&r, NULL, 0, &out, &err), 0);

	/* Report fields that make no notice. */
	r.reporting_mta = "mx.test\r\nX-Evil: 1";
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	assert_int_equal(err, QUEUE_ERR_INVALID);
	r.reporting_mta = "";
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	report_init(&r, NULL, &good, 1);
	r.recipient = "";
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	report_init(&r, NULL, &good, 1);
	r.original_sender = NULL;
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	report_init(&r, NULL, &good, 1);
	r.notice_id = "bad id";
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	report_init(&r, NULL, &good, 0);
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	bad = good;
	bad.orcpt = "x@y";
	report_init(&r, NULL, &bad, 1);
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	bad = good;
	bad.address = NULL;
	assert_int_equal(compose(&r, NULL, 0, &out, &err), -1);
	assert_int_equal(err, QUEUE_ERR_INVALID);

	/* A bad status is replaced and logged, once per notice. */
	for (i = 0; i < sizeof(bad_status) / sizeof(bad_status[0]); i++) {
		bad = good;
		bad.status = bad_status[i];
		report_init(&r, NULL, &bad, 1);
		testlib_log_expect("invalid DSN status");
		assert_int_equal(compose(&r, NULL, 0, &out, &err), 0);
		if (!out_has(&out, "\r\nStatus: 5.0.0\r\n"))
			fail_msg("status %s kept", bad_status[i]);
		assert_int_equal(python_run(&out, "none", "-", NULL, "",
					    specs, 1),
				 0);
	}
	testlib_log_check();

	/* An output that fills up fails with TOO_BIG. */
	report_init(&r, NULL, &good, 1);
	buf_init(&small, 100);
	dsn_output_buf(&o, &small);
	assert_int_equal(dsn_compose(&r, NULL, 0, &o, &err, &error), -1);
	assert_int_equal(err, QUEUE_ERR_TOO_BIG);
	buf_deinit(&small);
	buf_deinit(&out);
}

/* dir_count - entries (other than . and ..) in dir/state */
static size_t
dir_count(const char *dir, const char *state)
{
	char path[PATH_MAX];
	struct dirent *ent;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, state);
	d = opendir(path);
	assert_non_null(d);
	while ((ent = readdir(d)) != NULL)
		if (strcmp(ent->d_name, ".") != 0 &&
		    strcmp(ent->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* queued_read - open the queued notice id and read its content into b */
static struct queue_message *
queued_read(const char *dir, const char *id, struct buf *b)
{
	struct queue_message *msg;
	char path[PATH_MAX];
	enum queue_err err;
	const char *error;
	const uint8_t *p;
	size_t n;
	int rc;

	assert_int_equal(queue_path(dir, QUEUE_STATE_ACTIVE, id, path,
				    sizeof(path)),
			 0);
	assert_int_equal(queue_read_open(path, 0, &msg, &err, &error), 0);
	buf_reset(b);
	while ((rc = queue_read_content_next(msg, &p, &n, &err, &error)) > 0)
		buf_append(b, p, n);
	assert_int_equal(rc, 0);
	return msg;
}

/* test_queue - dsn_queue writes notices that read back and parse */
static void
test_queue(void **state)
{
	static const char content8[] = "Subject: caf\xc3\xa9\r\n\r\n"
					"\xc3\xa9t\xc3\xa9\r\n";
	struct dsn_rcpt rc = {
		.address = "bob@example.net", .orcpt_type = "rfc822",
		.orcpt = "bob@example.net", .action = DSN_ACTION_FAILED,
		.status = "5.1.1", .diagnostic = "smtp; 550 5.1.1 unknown",
		.remote_mta = "dns; mx.example.net", .last_attempt = 1700000100,
	};
	const char *specs[1] = {
		"bob@example.net|failed|5.1.1|bob@example.net|"
		"smtp; 550 5.1.1 unknown",
	};
	struct queue_message *msg, *notice;
	struct dsn_report r;
	enum queue_err err;
	const char *error;
	char dir[64], id[QUEUE_ID_SIZE], token[64];
	struct buf out;

	(void)state;
	tmpdir_new(dir, sizeof(dir));
	buf_init(&out, OUT_MAX);

	/* A bounce: from <> to the original sender, full message. */
	msg = original_new(dir, small_message, sizeof(small_message) - 1,
			   QUEUE_RET_UNSPEC, "ENV42");
	report_init(&r, msg, &rc, 1);
	assert_int_equal(dsn_queue(dir, &r, msg, 50000, "", id, &err, &error),
			 0);
	assert_true(queue_id_is_valid(id));
	notice = queued_read(dir, id, &out);
	assert_string_equal(notice->sender, "");
	assert_int_equal(notice->rcpt_count, 1);
	assert_string_equal(notice->rcpts[0].address, SENDER);
	assert_int_equal(notice->rcpts[0].notify, 0);
	assert_int_equal(notice->body, QUEUE_BODY_UNSPEC);
	assert_int_equal(python_run(&out, "message/rfc822", "lunch on friday",
				    "ENV42", "", specs, 1),
			 0);
	/* The new queue ID makes the Message-ID. */
	snprintf(token, sizeof(token), ".%s@mx.test>", id);
	assert_true(out_has(&out, token));
	queue_read_free(&notice);
	queue_read_free(&msg);

	/* 8-bit content: BODY=8BITMIME on the notice. */
	msg = original_new(dir, content8, sizeof(content8) - 1,
			   QUEUE_RET_FULL, NULL);
	report_init(&r, msg, &rc, 1);
	assert_int_equal(dsn_queue(dir, &r, msg, 50000, "", id, &err, &error),
			 0);
	notice = queued_read(dir, id, &out);
	assert_int_equal(notice->body, QUEUE_BODY_8BITMIME);
	assert_int_equal(python_run(&out, "message/rfc822", "caf\xc3\xa9",
				    NULL, "8bit", specs, 1),
			 0);
	queue_read_free(&notice);
	queue_read_free(&msg);

	/* A double bounce: postmaster copy, headers only. */
	msg = original_new(dir, small_message, sizeof(small_message) - 1,
			   QUEUE_RET_FULL, NULL);
	report_init(&r, msg, &rc, 1);
	r.original_sender = "";
	r.recipient = "postmaster";
	r.postmaster_copy = true;
	assert_int_equal(dsn_queue(dir, &r, msg, 50000,
				   "double-bounce@mx.test", id, &err, &error),
			 0);
	notice = queued_read(dir, id, &out);
	assert_string_equal(notice->sender, "double-bounce@mx.test");
	assert_string_equal(notice->rcpts[0].address, "postmaster");
	assert_true(out_has(&out, "\r\nSubject: Postmaster Copy: Undelivered "
				  "Mail Returned to Sender\r\n"));
	assert_int_equal(python_run(&out, "text/rfc822-headers",
				    "lunch on friday", NULL, "", specs, 1),
			 0);
	queue_read_free(&notice);

	/* A full disk while writing: IO, logged, nothing left behind. */
	{
		struct rlimit saved, small;
		struct buf big;
		size_t before = dir_count(dir, "active");

		buf_init(&big, 1024 * 1024);
		buf_append_str(&big, "Subject: big\r\n\r\n");
		while (big.len < 500000)
			buf_append_str(&big, "0123456789012345678901234567890"
					     "123456789012345678901234567\r\n");
		queue_read_free(&msg);
		msg = original_new(dir, big.data, big.len, QUEUE_RET_FULL,
				   NULL);
		report_init(&r, msg, &rc, 1);
		signal(SIGXFSZ, SIG_IGN);
		assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
		small = saved;
		small.rlim_cur = 100000;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
		testlib_log_expect("cannot queue notification");
		assert_int_equal(dsn_queue(dir, &r, msg, 0, "", id, &err,
					   &error),
				 -1);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
		signal(SIGXFSZ, SIG_DFL);
		assert_int_equal(err, QUEUE_ERR_IO);
		assert_int_equal(dir_count(dir, "active"), before + 1);
		assert_int_equal(dir_count(dir, "incoming"), 0);
		testlib_log_check();
		buf_deinit(&big);
	}

	/* A queue that cannot be written: nothing queued, IO. */
	report_init(&r, msg, &rc, 1);
	assert_int_equal(dsn_queue("/nonexistent/queue", &r, msg, 50000, "",
				   id, &err, &error),
			 -1);
	assert_int_equal(err, QUEUE_ERR_IO);
	queue_read_free(&msg);
	buf_deinit(&out);
	tmpdir_free(dir);
}

/* main - run the tests */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_decisions,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_compose_matrix,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_multi_rcpt_8bit_hostile,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_boundary_collision,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_truncation, testlib_setup,
						testlib_teardown),
		cmocka_unit_test_setup_teardown(test_line_ends_and_edges,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_reports,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_queue, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
