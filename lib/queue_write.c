/*
 * queue_write.c - the one queue file writer (see queue_write.h).
 *
 * queue_write_begin        create incoming/ID
 * queue_write_<field>      envelope records (sender, rcpt, envid, ...)
 * queue_write_content      content in CONTENT records of QUEUE_CHUNK_MAX
 * queue_write_commit       END, fsync, rename to active/, fsync active/
 * queue_write_error        class and text of the first failure
 * queue_write_free         release; removes an uncommitted file
 *
 * Format: docs/queue-format.md. Values come from SMTP clients and local
 * users through smtpd and the submission path; they are checked here with
 * the reader's own rules (lib/queue_file.c) as a safety net, so a value that
 * the caller's validation missed can never forge a record or produce a file
 * the reader refuses. Runs as the mail user; files are created 0600.
 *
 * Durability (DESIGN.md, Queue): the file reaches active/ only complete and
 * fsync'ed, and the rename is made durable by fsync of active/ before
 * commit returns. Memory is bounded: records are collected in one buffer of
 * QUEUE_WRITE_BUF_MAX bytes and written out whenever it fills.
 */
#include "lib/queue_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/checked.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Buffered bytes: one full CONTENT record, or envelope records. */
#define QUEUE_WRITE_BUF_MAX (QUEUE_RECORD_HEADER_SIZE + QUEUE_CHUNK_MAX)

/* Attempts at a fresh temporary name before giving up. */
#define QUEUE_WRITE_CREATE_TRIES 10

/* Longest error description kept in the writer. */
#define QUEUE_WRITE_ERROR_MAX 256

struct queue_writer {
	char queue_dir[PATH_MAX];
	char id[QUEUE_ID_SIZE];
	char path[PATH_MAX];	/* incoming/ID */
	int fd;
	uint64_t max_content_octets; /* 0: no limit */
	uint64_t arrival_us;

	struct buf out;		/* records not yet written */
	bool in_content;	/* envelope finished, out holds one chunk */
	uint64_t content_size;
	size_t envelope_octets;	/* envelope value bytes, for the limit */
	uint32_t record_count;
	uint32_t rcpt_count;
	size_t attr_count;
	uint32_t written_singles; /* bit per single-valued type set */
	bool has_sender;
	bool committed;

	enum queue_err err;
	char error_text[QUEUE_WRITE_ERROR_MAX];
};

/* queue_write_fail - record the first failure; always returns -1 */
static int
queue_write_fail(struct queue_writer *w, enum queue_err err, const char *what,
		 int errnum)
{
	if (w->err != QUEUE_ERR_NONE)
		return -1;
	w->err = err;
	if (errnum != 0)
		snprintf(w->error_text, sizeof(w->error_text), "%s: %s", what,
			 strerror(errnum));
	else
		snprintf(w->error_text, sizeof(w->error_text), "%s", what);
	return -1;
}

/* queue_write_now_us - wall-clock time in microseconds */
static uint64_t
queue_write_now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* queue_write_create - create incoming/.tmp..., name it incoming/ID */
static int
queue_write_create(struct queue_writer *w, const char **error_r)
{
	char tmp[PATH_MAX];
	struct stat st;
	int n, try, saved;

	for (try = 0; try < QUEUE_WRITE_CREATE_TRIES; try++) {
		n = snprintf(tmp, sizeof(tmp), "%s/%s/.tmp.%ld.%llu.%d",
			     w->queue_dir,
			     queue_state_name(QUEUE_STATE_INCOMING),
			     (long)getpid(), (unsigned long long)w->arrival_us,
			     try);
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			*error_r = "queue file path too long";
			return -1;
		}
		w->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
					  O_NOFOLLOW | O_NOCTTY,
			     0600);
		if (w->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		*error_r = "cannot create queue file";
		return -1;
	}
	/*
	 * The inode is unique among the files on the queue file system, so
	 * the ID is too (docs/queue-format.md, "Queue IDs").
	 */
	if (fstat(w->fd, &st) < 0) {
		*error_r = "cannot stat new queue file";
		goto fail;
	}
	queue_id_format(w->arrival_us, (uint64_t)st.st_ino, w->id);
	if (queue_path(w->queue_dir, QUEUE_STATE_INCOMING, w->id, w->path,
		       sizeof(w->path)) < 0) {
		*error_r = "queue file path too long";
		goto fail;
	}
	if (rename(tmp, w->path) < 0) {
		*error_r = "cannot name new queue file";
		w->path[0] = '\0';
		goto fail;
	}
	return 0;

fail:
	saved = errno;
	unlink(tmp);
	close(w->fd);
	w->fd = -1;
	errno = saved;
	return -1;
}

/* queue_write_begin - create a new queue file */
struct queue_writer *
queue_write_begin(const char *queue_dir, uint64_t max_content_octets,
		  const char **error_r)
{
	struct queue_writer *w = mem_alloc(sizeof(*w));
	int n;

	w->fd = -1;
	n = snprintf(w->queue_dir, sizeof(w->queue_dir), "%s", queue_dir);
	if (n < 0 || (size_t)n >= sizeof(w->queue_dir)) {
		errno = ENAMETOOLONG;
		*error_r = "queue directory path too long";
		mem_free(&w);
		return NULL;
	}
	w->max_content_octets = max_content_octets;
	w->arrival_us = queue_write_now_us();
	if (queue_write_create(w, error_r) < 0) {
		mem_free(&w);
		return NULL;
	}
	buf_init(&w->out, QUEUE_WRITE_BUF_MAX);
	queue_file_header_append(&w->out);
	return w;
}

/* queue_write_id - the queue ID */
const char *
queue_write_id(const struct queue_writer *w)
{
	return w->id;
}

/* queue_write_flush - write out the buffered bytes */
static int
queue_write_flush(struct queue_writer *w)
{
	if (w->out.len == 0)
		return 0;
	if (io_write_full(w->fd, w->out.data, w->out.len) < 0) {
		buf_reset(&w->out);
		return queue_write_fail(w, QUEUE_ERR_IO,
					"cannot write queue file", errno);
	}
	buf_reset(&w->out);
	return 0;
}

/* queue_write_single_bit - bit for a single-valued type in written_singles */
static uint32_t
queue_write_single_bit(uint8_t type)
{
	static const uint8_t singles[] = {
		QUEUE_REC_ARRIVAL,     QUEUE_REC_SENDER,      QUEUE_REC_ENVID,
		QUEUE_REC_RET,	       QUEUE_REC_BODY,	      QUEUE_REC_SMTPUTF8,
		QUEUE_REC_CLIENT_NAME, QUEUE_REC_CLIENT_ADDR, QUEUE_REC_HELO,
		QUEUE_REC_PROTOCOL,    QUEUE_REC_AUTH_USER,
	};
	size_t i;

	for (i = 0; i < sizeof(singles); i++)
		if (singles[i] == type)
			return 1u << i;
	log_panic("queue_write: type 0x%02x is not single-valued", type);
}

/*
 * queue_write_room - make room in out for a record of value length n and
 * account for it in the envelope limit. Returns 0 or -1 (sticky).
 */
static int
queue_write_room(struct queue_writer *w, size_t n)
{
	size_t total;

	/* A caller bug: every envelope setter comes before the content. */
	MR_ASSERT(!w->in_content);
	if (!checked_add(w->envelope_octets, n, &total) ||
	    total > QUEUE_ENVELOPE_MAX)
		return queue_write_fail(w, QUEUE_ERR_LIMIT,
					"envelope too large", 0);
	w->envelope_octets = total;
	if (!buf_has_room(&w->out, QUEUE_RECORD_HEADER_SIZE + n))
		return queue_write_flush(w);
	return 0;
}

/* queue_write_single - append a checked single-valued envelope record */
static int
queue_write_single(struct queue_writer *w, uint8_t type, const void *p,
		   size_t n, const char *invalid)
{
	uint32_t bit = queue_write_single_bit(type);

	if (w->err != QUEUE_ERR_NONE)
		return -1;
	/* A caller bug: single-valued fields are set once. */
	MR_ASSERT((w->written_singles & bit) == 0);
	if (!queue_file_value_check(type, p, n))
		return queue_write_fail(w, QUEUE_ERR_INVALID, invalid, 0);
	if (queue_write_room(w, n) < 0)
		return -1;
	queue_file_record_append(&w->out, type, p, n);
	w->written_singles |= bit;
	w->record_count++;
	return 0;
}

/* queue_write_str - queue_write_single for a C string */
static int
queue_write_str(struct queue_writer *w, uint8_t type, const char *s,
		const char *invalid)
{
	return queue_write_single(w, type, s, strlen(s), invalid);
}

/* queue_write_arrival - override the arrival time */
int
queue_write_arrival(struct queue_writer *w, uint64_t time_us)
{
	if (w->err != QUEUE_ERR_NONE)
		return -1;
	MR_ASSERT(!w->in_content);
	w->arrival_us = time_us;
	return 0;
}

/* queue_write_sender - SENDER record */
int
queue_write_sender(struct queue_writer *w, const char *sender)
{
	if (queue_write_str(w, QUEUE_REC_SENDER, sender,
			    "invalid sender address") < 0)
		return -1;
	w->has_sender = true;
	return 0;
}

/* queue_write_rcpt - RCPT record */
int
queue_write_rcpt(struct queue_writer *w, const struct queue_rcpt *rcpt)
{
	struct buf rec;
	const char *error;

	if (w->err != QUEUE_ERR_NONE)
		return -1;
	MR_ASSERT(!w->in_content);
	if (w->rcpt_count >= QUEUE_RCPT_MAX)
		return queue_write_fail(w, QUEUE_ERR_LIMIT,
					"too many recipients", 0);
	/* Encode apart first: a refused recipient leaves no partial record. */
	buf_init(&rec, QUEUE_RECORD_HEADER_SIZE + QUEUE_RECORD_ENVELOPE_MAX);
	if (queue_file_rcpt_append(&rec, rcpt, &error) < 0) {
		buf_deinit(&rec);
		return queue_write_fail(w, QUEUE_ERR_INVALID, error, 0);
	}
	if (queue_write_room(w, rec.len - QUEUE_RECORD_HEADER_SIZE) < 0) {
		buf_deinit(&rec);
		return -1;
	}
	buf_append(&w->out, rec.data, rec.len);
	buf_deinit(&rec);
	w->rcpt_count++;
	w->record_count++;
	return 0;
}

/* queue_write_envid - ENVID record */
int
queue_write_envid(struct queue_writer *w, const char *envid)
{
	return queue_write_str(w, QUEUE_REC_ENVID, envid, "invalid ENVID");
}

/* queue_write_ret - RET record */
int
queue_write_ret(struct queue_writer *w, enum queue_ret ret)
{
	uint8_t v = (uint8_t)ret;

	if (ret == QUEUE_RET_UNSPEC)
		return w->err != QUEUE_ERR_NONE ? -1 : 0;
	return queue_write_single(w, QUEUE_REC_RET, &v, 1, "invalid RET");
}

/* queue_write_body - BODY record */
int
queue_write_body(struct queue_writer *w, enum queue_body body)
{
	uint8_t v = (uint8_t)body;

	if (body == QUEUE_BODY_UNSPEC)
		return w->err != QUEUE_ERR_NONE ? -1 : 0;
	return queue_write_single(w, QUEUE_REC_BODY, &v, 1, "invalid BODY");
}

/* queue_write_smtputf8 - SMTPUTF8 flag record */
int
queue_write_smtputf8(struct queue_writer *w)
{
	return queue_write_single(w, QUEUE_REC_SMTPUTF8, "", 0,
				  "invalid SMTPUTF8");
}

/* queue_write_client - client attribute records */
int
queue_write_client(struct queue_writer *w, const struct queue_client *client)
{
	const struct {
		uint8_t type;
		const char *value;
		const char *invalid;
	} fields[] = {
		{ QUEUE_REC_CLIENT_NAME, client->name, "invalid client name" },
		{ QUEUE_REC_CLIENT_ADDR, client->addr,
		  "invalid client address" },
		{ QUEUE_REC_HELO, client->helo, "invalid HELO name" },
		{ QUEUE_REC_PROTOCOL, client->protocol, "invalid protocol" },
		{ QUEUE_REC_AUTH_USER, client->auth_user,
		  "invalid authenticated user" },
	};
	size_t i;

	if (w->err != QUEUE_ERR_NONE)
		return -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].value != NULL &&
		    queue_write_str(w, fields[i].type, fields[i].value,
				    fields[i].invalid) < 0)
			return -1;
	return 0;
}

/* queue_write_attr - ATTR record */
int
queue_write_attr(struct queue_writer *w, const char *name, const char *value)
{
	size_t name_len = strlen(name), value_len = strlen(value), n, got;
	uint8_t *p;

	if (w->err != QUEUE_ERR_NONE)
		return -1;
	MR_ASSERT(!w->in_content);
	if (w->attr_count >= QUEUE_ATTR_MAX)
		return queue_write_fail(w, QUEUE_ERR_LIMIT,
					"too many attributes", 0);
	if (name_len > QUEUE_ATTR_NAME_MAX || value_len > QUEUE_ATTR_VALUE_MAX)
		return queue_write_fail(w, QUEUE_ERR_INVALID,
					"invalid attribute", 0);
	n = name_len + 1 + value_len; /* both bounded above */
	if (queue_write_room(w, n) < 0)
		return -1;
	/* Build in place and check with the reader's rule; undo if refused. */
	p = buf_reserve(&w->out, QUEUE_RECORD_HEADER_SIZE + n);
	queue_file_record_header_put(p, QUEUE_REC_ATTR, (uint32_t)n);
	memcpy(p + QUEUE_RECORD_HEADER_SIZE, name, name_len);
	p[QUEUE_RECORD_HEADER_SIZE + name_len] = '=';
	memcpy(p + QUEUE_RECORD_HEADER_SIZE + name_len + 1, value, value_len);
	if (!queue_file_attr_check(p + QUEUE_RECORD_HEADER_SIZE, n, &got) ||
	    got != name_len)
		return queue_write_fail(w, QUEUE_ERR_INVALID,
					"invalid attribute", 0);
	buf_commit(&w->out, QUEUE_RECORD_HEADER_SIZE + n);
	w->attr_count++;
	w->record_count++;
	return 0;
}

/* queue_write_chunk_start - begin a CONTENT record in out */
static void
queue_write_chunk_start(struct queue_writer *w)
{
	MR_ASSERT(w->out.len == 0);
	/* The header is filled in by queue_write_chunk_end. */
	buf_reserve(&w->out, QUEUE_RECORD_HEADER_SIZE);
	buf_commit(&w->out, QUEUE_RECORD_HEADER_SIZE);
}

/* queue_write_chunk_end - finish and write the CONTENT record in out */
static int
queue_write_chunk_end(struct queue_writer *w)
{
	size_t n = w->out.len - QUEUE_RECORD_HEADER_SIZE;

	if (n == 0) {
		buf_reset(&w->out); /* empty chunks are not written */
		return 0;
	}
	queue_file_record_header_put(w->out.data, QUEUE_REC_CONTENT,
				     (uint32_t)n);
	w->record_count++;
	return queue_write_flush(w);
}

/* queue_write_end_envelope - check and finish the envelope */
static int
queue_write_end_envelope(struct queue_writer *w)
{
	uint8_t v[8];

	if (!w->has_sender)
		return queue_write_fail(w, QUEUE_ERR_INVALID,
					"message has no sender", 0);
	if (w->rcpt_count == 0)
		return queue_write_fail(w, QUEUE_ERR_INVALID,
					"message has no recipients", 0);
	queue_file_put_u64(v, w->arrival_us);
	if (queue_write_single(w, QUEUE_REC_ARRIVAL, v, sizeof(v),
			       "invalid arrival time") < 0 ||
	    queue_write_flush(w) < 0)
		return -1;
	w->in_content = true;
	queue_write_chunk_start(w);
	return 0;
}

/* queue_write_content - append content in CONTENT records */
int
queue_write_content(struct queue_writer *w, const void *p, size_t n)
{
	const uint8_t *c = p;
	uint64_t total;

	if (w->err != QUEUE_ERR_NONE)
		return -1;
	if (!w->in_content && queue_write_end_envelope(w) < 0)
		return -1;
	if (__builtin_add_overflow(w->content_size, (uint64_t)n, &total) ||
	    (w->max_content_octets > 0 && total > w->max_content_octets))
		return queue_write_fail(w, QUEUE_ERR_TOO_BIG,
					"message too big", 0);
	while (n > 0) {
		size_t take = buf_room(&w->out);

		if (take > n)
			take = n;
		buf_append(&w->out, c, take);
		/* UNSAFE: take <= n, so c stays within the caller's bytes. */
		c += take;
		n -= take;
		if (buf_room(&w->out) == 0) {
			if (queue_write_chunk_end(w) < 0)
				return -1;
			queue_write_chunk_start(w);
		}
	}
	w->content_size = total;
	return 0;
}

/* queue_write_content_size - content bytes so far */
uint64_t
queue_write_content_size(const struct queue_writer *w)
{
	return w->content_size;
}

/* queue_write_commit - finish, sync and move into active/ */
int
queue_write_commit(struct queue_writer *w)
{
	char active[PATH_MAX];
	uint8_t end[QUEUE_END_SIZE];

	if (w->err != QUEUE_ERR_NONE)
		return -1;
	MR_ASSERT(!w->committed);
	if (!w->in_content && queue_write_end_envelope(w) < 0)
		return -1;
	if (queue_write_chunk_end(w) < 0)
		return -1;
	buf_reset(&w->out);
	queue_file_put_u64(end, w->content_size);
	queue_file_put_u32(end + 8, w->record_count);
	queue_file_put_u32(end + 12, w->rcpt_count);
	queue_file_record_append(&w->out, QUEUE_REC_END, end, sizeof(end));
	if (queue_write_flush(w) < 0)
		return -1;
	if (fsync(w->fd) < 0)
		return queue_write_fail(w, QUEUE_ERR_IO,
					"cannot sync queue file", errno);
	if (close(w->fd) < 0) {
		w->fd = -1;
		return queue_write_fail(w, QUEUE_ERR_IO,
					"cannot close queue file", errno);
	}
	w->fd = -1;
	if (queue_path(w->queue_dir, QUEUE_STATE_ACTIVE, w->id, active,
		       sizeof(active)) < 0)
		return queue_write_fail(w, QUEUE_ERR_IO,
					"queue file path too long", errno);
	if (rename(w->path, active) < 0)
		return queue_write_fail(w, QUEUE_ERR_IO,
					"cannot move queue file to active",
					errno);
	w->committed = true;
	/*
	 * XXX: if this fsync fails the file stays in active/ while the client
	 * hears 4xx and may send again: a rare duplicate, never a loss.
	 */
	if (io_fsync_parent(active) < 0)
		return queue_write_fail(w, QUEUE_ERR_IO,
					"cannot sync active queue directory",
					errno);
	return 0;
}

/* queue_write_error - first failure */
enum queue_err
queue_write_error(const struct queue_writer *w, const char **error_r)
{
	*error_r = w->err != QUEUE_ERR_NONE ? w->error_text : "no error";
	return w->err;
}

/* queue_write_free - release; remove an uncommitted file */
void
queue_write_free(struct queue_writer **wp)
{
	struct queue_writer *w = *wp;

	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (!w->committed && w->path[0] != '\0' && unlink(w->path) < 0 &&
	    errno != ENOENT)
		log_warn("%s: cannot remove %s: %s", w->id, w->path,
			 strerror(errno));
	buf_deinit(&w->out);
	mem_free(wp);
}
