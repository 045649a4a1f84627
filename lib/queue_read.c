/*
 * queue_read.c - the one queue file reader (see queue_read.h).
 *
 * queue_read_open            open a queue file and parse its envelope
 * queue_read_buffer          the same over bytes in memory (tests, fuzzing)
 * queue_read_content_next    stream the content chunk by chunk
 * queue_read_content_rewind  start the content again
 * queue_read_mark_rcpt       durable recipient status update
 * queue_read_mark_rcpt_unsynced, queue_read_sync  the same in two steps
 * queue_read_pending_count   recipients not finished yet
 * queue_read_free            close and free
 *
 * Format: docs/queue-format.md. SECURITY: queue files are untrusted input
 * (written by smtpd, which faces the network, and by the submission path):
 * every record header, length and value is checked before use, offsets are
 * compared against the file size before anything is read, and a file that
 * breaks any rule is refused whole as QUEUE_ERR_CORRUPT; nothing half-parsed
 * is returned. Memory is bounded by QUEUE_ENVELOPE_MAX for the envelope and
 * one read window for content. Runs as the mail user (qmgr, the queue
 * command) or as the delivery agent's user.
 */
#include "lib/queue_read.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"

/*
 * Bytes read from the file at a time: enough for a record header and a full
 * CONTENT value, so one pread serves one chunk; envelope records are read
 * in blocks of this size too.
 */
#define QUEUE_READ_WINDOW (QUEUE_RECORD_HEADER_SIZE + QUEUE_CHUNK_MAX)

/* Where the parser is: envelope records, then content, then done. */
enum queue_read_phase {
	QUEUE_PHASE_ENVELOPE,
	QUEUE_PHASE_CONTENT,
};

/* Parser state of queue_read_parse. */
struct queue_parse {
	enum queue_read_phase phase;
	bool seen[256];		/* single-valued types seen */
	size_t envelope_octets;
	uint64_t record_count;
	size_t rcpt_alloc;
	size_t attr_alloc;
};

/* queue_read_corrupt - fail with class CORRUPT */
static int
queue_read_corrupt(enum queue_err *err_r, const char **error_r,
		   const char *what)
{
	*err_r = QUEUE_ERR_CORRUPT;
	*error_r = what;
	return -1;
}

/* queue_read_pread - read up to n bytes at off; returns the count or -1 */
static ssize_t
queue_read_pread(int fd, uint8_t *p, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * queue_read_view - pointer to the n bytes at file offset off, reading at
 * least readahead bytes when the window must be refilled. The caller has
 * checked that off + n <= file_size. The pointer is valid until the next
 * call. Returns NULL with *err_r on failure.
 */
static const uint8_t *
queue_read_view(struct queue_message *msg, uint64_t off, size_t n,
		size_t readahead, enum queue_err *err_r, const char **error_r)
{
	size_t want;
	ssize_t got;
	uint8_t *p;

	MR_ASSERT(off <= msg->file_size && n <= msg->file_size - off);
	MR_ASSERT(n <= QUEUE_READ_WINDOW);
	if (msg->fd < 0)
		return msg->mem + off; /* UNSAFE: within the buffer, see above */
	if (off >= msg->window_offset &&
	    off - msg->window_offset <= msg->window.len &&
	    n <= msg->window.len - (off - msg->window_offset))
		return msg->window.data + (off - msg->window_offset);
	want = readahead < n ? n : readahead;
	if (want > QUEUE_READ_WINDOW)
		want = QUEUE_READ_WINDOW;
	if (want > msg->file_size - off)
		want = (size_t)(msg->file_size - off);
	buf_reset(&msg->window);
	msg->window_offset = off;
	p = buf_reserve(&msg->window, want);
	got = queue_read_pread(msg->fd, p, want, off);
	if (got < 0) {
		*err_r = QUEUE_ERR_IO;
		*error_r = "cannot read queue file";
		return NULL;
	}
	buf_commit(&msg->window, (size_t)got);
	if ((size_t)got < n) {
		/* It was longer at fstat time: someone truncated it. */
		*err_r = QUEUE_ERR_CORRUPT;
		*error_r = "queue file shrank while being read";
		return NULL;
	}
	return msg->window.data;
}

/* queue_read_client_field - where a client record's value goes */
static char **
queue_read_client_field(struct queue_message *msg, uint8_t type)
{
	switch (type) {
	case QUEUE_REC_CLIENT_NAME:
		return &msg->client.name;
	case QUEUE_REC_CLIENT_ADDR:
		return &msg->client.addr;
	case QUEUE_REC_HELO:
		return &msg->client.helo;
	case QUEUE_REC_PROTOCOL:
		return &msg->client.protocol;
	case QUEUE_REC_AUTH_USER:
		return &msg->client.auth_user;
	default:
		return NULL;
	}
}

/* queue_read_rcpt - parse one RCPT record at off into msg */
static int
queue_read_rcpt(struct queue_message *msg, struct queue_parse *ps,
		const uint8_t *v, size_t n, uint64_t value_off,
		enum queue_err *err_r, const char **error_r)
{
	struct queue_rcpt rcpt;

	if (msg->rcpt_count >= QUEUE_RCPT_MAX)
		return queue_read_corrupt(err_r, error_r,
					  "too many RCPT records");
	if (queue_file_rcpt_parse(v, n, &rcpt, error_r) < 0) {
		*err_r = QUEUE_ERR_CORRUPT;
		return -1;
	}
	rcpt.status_offset = value_off; /* the status is the first byte */
	if (msg->rcpt_count == ps->rcpt_alloc) {
		ps->rcpt_alloc = ps->rcpt_alloc == 0 ? 16 : ps->rcpt_alloc * 2;
		if (ps->rcpt_alloc > QUEUE_RCPT_MAX)
			ps->rcpt_alloc = QUEUE_RCPT_MAX;
		msg->rcpts = mem_realloc_array(msg->rcpts, ps->rcpt_alloc,
					       sizeof(*msg->rcpts));
	}
	msg->rcpts[msg->rcpt_count++] = rcpt;
	return 0;
}

/* queue_read_attr - parse one ATTR record into msg */
static int
queue_read_attr(struct queue_message *msg, struct queue_parse *ps,
		const uint8_t *v, size_t n, enum queue_err *err_r,
		const char **error_r)
{
	size_t name_len, i;

	if (msg->attr_count >= QUEUE_ATTR_MAX)
		return queue_read_corrupt(err_r, error_r,
					  "too many ATTR records");
	if (!queue_file_attr_check(v, n, &name_len))
		return queue_read_corrupt(err_r, error_r,
					  "malformed ATTR record");
	for (i = 0; i < msg->attr_count; i++)
		if (strlen(msg->attrs[i].name) == name_len &&
		    memcmp(msg->attrs[i].name, v, name_len) == 0)
			return queue_read_corrupt(err_r, error_r,
						  "duplicate ATTR name");
	if (msg->attr_count == ps->attr_alloc) {
		ps->attr_alloc = ps->attr_alloc == 0 ? 4 : ps->attr_alloc * 2;
		msg->attrs = mem_realloc_array(msg->attrs, ps->attr_alloc,
					       sizeof(*msg->attrs));
	}
	/* UNSAFE: name_len < n, the '=' sits at v[name_len]. */
	msg->attrs[msg->attr_count].name = mem_memdup(v, name_len);
	msg->attrs[msg->attr_count].value =
		mem_memdup(v + name_len + 1, n - name_len - 1);
	msg->attr_count++;
	return 0;
}

/* queue_read_single - store one single-valued envelope record */
static int
queue_read_single(struct queue_message *msg, uint8_t type, const uint8_t *v,
		  size_t n, enum queue_err *err_r, const char **error_r)
{
	char **field;

	/* SECURITY: the gate to C strings: no NUL or control bytes pass. */
	if (!queue_file_value_check(type, v, n))
		return queue_read_corrupt(err_r, error_r,
					  "malformed envelope record value");
	switch (type) {
	case QUEUE_REC_ARRIVAL:
		msg->arrival_us = queue_file_get_u64(v);
		break;
	case QUEUE_REC_SENDER:
		msg->sender = mem_memdup(v, n);
		break;
	case QUEUE_REC_ENVID:
		msg->envid = mem_memdup(v, n);
		break;
	case QUEUE_REC_RET:
		msg->ret = (enum queue_ret)v[0];
		break;
	case QUEUE_REC_BODY:
		msg->body = (enum queue_body)v[0];
		break;
	case QUEUE_REC_SMTPUTF8:
		msg->smtputf8 = true;
		break;
	default:
		field = queue_read_client_field(msg, type);
		MR_ASSERT(field != NULL); /* the type table lists no others */
		*field = mem_memdup(v, n);
		break;
	}
	return 0;
}

/* queue_read_envelope_done - required envelope records are there */
static int
queue_read_envelope_done(struct queue_message *msg, struct queue_parse *ps,
			 uint64_t off, enum queue_err *err_r,
			 const char **error_r)
{
	if (!ps->seen[QUEUE_REC_ARRIVAL])
		return queue_read_corrupt(err_r, error_r,
					  "no ARRIVAL record");
	if (!ps->seen[QUEUE_REC_SENDER])
		return queue_read_corrupt(err_r, error_r, "no SENDER record");
	if (msg->rcpt_count == 0)
		return queue_read_corrupt(err_r, error_r, "no RCPT record");
	ps->phase = QUEUE_PHASE_CONTENT;
	msg->content_offset = off;
	return 0;
}

/* queue_read_end - check the END record at off; the file ends after it */
static int
queue_read_end(struct queue_message *msg, struct queue_parse *ps,
	       const uint8_t *v, uint64_t off, enum queue_err *err_r,
	       const char **error_r)
{
	if (queue_file_get_u64(v) != msg->content_size)
		return queue_read_corrupt(err_r, error_r,
					  "END content size mismatch");
	if (queue_file_get_u32(v + 8) != ps->record_count)
		return queue_read_corrupt(err_r, error_r,
					  "END record count mismatch");
	if (queue_file_get_u32(v + 12) != msg->rcpt_count)
		return queue_read_corrupt(err_r, error_r,
					  "END recipient count mismatch");
	if (msg->file_size - off !=
	    QUEUE_RECORD_HEADER_SIZE + QUEUE_END_SIZE)
		return queue_read_corrupt(err_r, error_r,
					  "data after END record");
	msg->end_offset = off;
	return 0;
}

/* queue_read_parse - check the whole file and parse its envelope */
static int
queue_read_parse(struct queue_message *msg, enum queue_err *err_r,
		 const char **error_r)
{
	struct queue_parse ps;
	const struct queue_record_info *info;
	const uint8_t *p;
	uint64_t off = QUEUE_FILE_HEADER_SIZE;
	uint8_t type;
	uint32_t len;

	memset(&ps, 0, sizeof(ps));
	if (msg->file_size < QUEUE_FILE_HEADER_SIZE)
		return queue_read_corrupt(err_r, error_r,
					  "truncated file header");
	p = queue_read_view(msg, 0, QUEUE_FILE_HEADER_SIZE, QUEUE_READ_WINDOW,
			    err_r, error_r);
	if (p == NULL)
		return -1;
	if (!queue_file_header_check(p, error_r)) {
		*err_r = QUEUE_ERR_CORRUPT;
		return -1;
	}
	for (;;) {
		/* Envelope: read ahead in blocks; content: headers only. */
		size_t ahead = ps.phase == QUEUE_PHASE_ENVELOPE
				       ? QUEUE_READ_WINDOW
				       : QUEUE_RECORD_HEADER_SIZE;
		uint64_t value_off = off + QUEUE_RECORD_HEADER_SIZE;

		if (off == msg->file_size)
			return queue_read_corrupt(err_r, error_r,
						  "no END record");
		if (msg->file_size - off < QUEUE_RECORD_HEADER_SIZE)
			return queue_read_corrupt(err_r, error_r,
						  "truncated record header");
		p = queue_read_view(msg, off, QUEUE_RECORD_HEADER_SIZE, ahead,
				    err_r, error_r);
		if (p == NULL)
			return -1;
		queue_file_record_header_get(p, &type, &len);
		info = queue_file_record_info(type);
		if (info == NULL)
			return queue_read_corrupt(err_r, error_r,
						  "unknown record type");
		if (len < info->min_len || len > info->max_len)
			return queue_read_corrupt(err_r, error_r,
						  "record length out of range");
		if (len > msg->file_size - value_off)
			return queue_read_corrupt(err_r, error_r,
						  "truncated record");
		if (info->single && ps.seen[type])
			return queue_read_corrupt(
				err_r, error_r,
				"duplicate single-valued record");
		ps.seen[type] = true;

		if (type == QUEUE_REC_CONTENT || type == QUEUE_REC_END) {
			if (ps.phase == QUEUE_PHASE_ENVELOPE &&
			    queue_read_envelope_done(msg, &ps, off, err_r,
						     error_r) < 0)
				return -1;
			if (type == QUEUE_REC_CONTENT) {
				/* Bounded: the sum is at most file_size. */
				msg->content_size += len;
				ps.record_count++;
				off = value_off + len;
				continue;
			}
			p = queue_read_view(msg, value_off, len, len, err_r,
					    error_r);
			if (p == NULL)
				return -1;
			return queue_read_end(msg, &ps, p, off, err_r,
					      error_r);
		}

		/* An envelope record. */
		if (ps.phase != QUEUE_PHASE_ENVELOPE)
			return queue_read_corrupt(
				err_r, error_r,
				"envelope record after content");
		if (!checked_add(ps.envelope_octets, len,
				 &ps.envelope_octets) ||
		    ps.envelope_octets > QUEUE_ENVELOPE_MAX)
			return queue_read_corrupt(err_r, error_r,
						  "envelope too large");
		p = queue_read_view(msg, value_off, len, QUEUE_READ_WINDOW,
				    err_r, error_r);
		if (p == NULL)
			return -1;
		if (type == QUEUE_REC_RCPT) {
			if (queue_read_rcpt(msg, &ps, p, len, value_off, err_r,
					    error_r) < 0)
				return -1;
		} else if (type == QUEUE_REC_ATTR) {
			if (queue_read_attr(msg, &ps, p, len, err_r, error_r) <
			    0)
				return -1;
		} else if (queue_read_single(msg, type, p, len, err_r,
					     error_r) < 0) {
			return -1;
		}
		ps.record_count++;
		off = value_off + len;
	}
}

/* queue_read_new - empty message */
static struct queue_message *
queue_read_new(void)
{
	struct queue_message *msg = mem_alloc(sizeof(*msg));

	msg->fd = -1;
	buf_init(&msg->window, QUEUE_READ_WINDOW);
	return msg;
}

/* queue_read_finish - parse msg; on success hand it out, else free it */
static int
queue_read_finish(struct queue_message *msg, struct queue_message **msg_r,
		  enum queue_err *err_r, const char **error_r)
{
	int saved;

	if (queue_read_parse(msg, err_r, error_r) < 0) {
		saved = errno;
		queue_read_free(&msg);
		errno = saved;
		return -1;
	}
	queue_read_content_rewind(msg);
	*err_r = QUEUE_ERR_NONE;
	*msg_r = msg;
	return 0;
}

/* queue_read_open - open and parse a queue file */
int
queue_read_open(const char *path, int flags, struct queue_message **msg_r,
		enum queue_err *err_r, const char **error_r)
{
	struct queue_message *msg;
	struct stat st;
	int fd, saved;

	/*
	 * SECURITY: O_NOFOLLOW refuses a planted symlink, O_NONBLOCK keeps a
	 * planted FIFO from blocking the open; fstat refuses both below.
	 */
	fd = open(path,
		  ((flags & QUEUE_READ_WRITE) ? O_RDWR : O_RDONLY) |
			  O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			*err_r = QUEUE_ERR_NOTFOUND;
			*error_r = "no such queue file";
		} else if (errno == ELOOP) {
			*err_r = QUEUE_ERR_CORRUPT;
			*error_r = "queue file is a symbolic link";
		} else {
			*err_r = QUEUE_ERR_IO;
			*error_r = "cannot open queue file";
		}
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		*err_r = QUEUE_ERR_IO;
		*error_r = "cannot stat queue file";
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return queue_read_corrupt(err_r, error_r,
					  "queue file is not a regular file");
	}
	msg = queue_read_new();
	msg->fd = fd;
	msg->writable = (flags & QUEUE_READ_WRITE) != 0;
	msg->file_size = (uint64_t)st.st_size;
	return queue_read_finish(msg, msg_r, err_r, error_r);
}

/* queue_read_buffer - parse a queue file held in memory */
int
queue_read_buffer(const uint8_t *p, size_t n, struct queue_message **msg_r,
		  enum queue_err *err_r, const char **error_r)
{
	struct queue_message *msg = queue_read_new();

	msg->mem = p;
	msg->file_size = n;
	return queue_read_finish(msg, msg_r, err_r, error_r);
}

/* queue_read_content_next - next content chunk */
int
queue_read_content_next(struct queue_message *msg, const uint8_t **p_r,
			size_t *n_r, enum queue_err *err_r,
			const char **error_r)
{
	const uint8_t *p;
	uint64_t value_off = msg->content_pos + QUEUE_RECORD_HEADER_SIZE;
	uint8_t type;
	uint32_t len;

	if (msg->content_pos == msg->end_offset) {
		if (msg->content_read != msg->content_size)
			return queue_read_corrupt(err_r, error_r,
						  "content changed");
		return 0;
	}
	if (msg->end_offset - msg->content_pos < QUEUE_RECORD_HEADER_SIZE)
		return queue_read_corrupt(err_r, error_r, "content changed");
	/* One read brings the header and the whole chunk into the window. */
	p = queue_read_view(msg, msg->content_pos, QUEUE_RECORD_HEADER_SIZE,
			    QUEUE_READ_WINDOW, err_r, error_r);
	if (p == NULL)
		return -1;
	queue_file_record_header_get(p, &type, &len);
	/* The open checked all of this; a mismatch means the file changed. */
	if (type != QUEUE_REC_CONTENT || len == 0 || len > QUEUE_CHUNK_MAX ||
	    len > msg->end_offset - value_off ||
	    len > msg->content_size - msg->content_read)
		return queue_read_corrupt(err_r, error_r, "content changed");
	p = queue_read_view(msg, value_off, len, len, err_r, error_r);
	if (p == NULL)
		return -1;
	msg->content_pos = value_off + len;
	msg->content_read += len;
	*p_r = p;
	*n_r = len;
	return 1;
}

/* queue_read_content_rewind - back to the first content chunk */
void
queue_read_content_rewind(struct queue_message *msg)
{
	msg->content_pos = msg->content_offset;
	msg->content_read = 0;
}

/* queue_read_mark_rcpt - durable recipient status */
int
queue_read_mark_rcpt(struct queue_message *msg, size_t index,
		     enum queue_rcpt_status status, const char **error_r)
{
	MR_ASSERT(index < msg->rcpt_count);
	MR_ASSERT(msg->fd >= 0 && msg->writable);
	if (queue_file_mark_rcpt(msg->fd, msg->rcpts[index].status_offset,
				 status, error_r) < 0)
		return -1;
	msg->rcpts[index].status = status;
	return 0;
}

/* queue_read_mark_rcpt_unsynced - recipient status, not yet durable */
int
queue_read_mark_rcpt_unsynced(struct queue_message *msg, size_t index,
			      enum queue_rcpt_status status,
			      const char **error_r)
{
	MR_ASSERT(index < msg->rcpt_count);
	MR_ASSERT(msg->fd >= 0 && msg->writable);
	if (queue_file_mark_rcpt_write(msg->fd,
				       msg->rcpts[index].status_offset, status,
				       error_r) < 0)
		return -1;
	msg->rcpts[index].status = status;
	return 0;
}

/* queue_read_sync - make earlier marks durable */
int
queue_read_sync(struct queue_message *msg, const char **error_r)
{
	MR_ASSERT(msg->fd >= 0 && msg->writable);
	if (fdatasync(msg->fd) < 0) {
		*error_r = "cannot sync recipient status";
		return -1;
	}
	return 0;
}

/* queue_read_pending_count - unfinished recipients */
size_t
queue_read_pending_count(const struct queue_message *msg)
{
	size_t i, count = 0;

	for (i = 0; i < msg->rcpt_count; i++)
		if (msg->rcpts[i].status == QUEUE_RCPT_PENDING)
			count++;
	return count;
}

/* queue_read_free - close and free */
void
queue_read_free(struct queue_message **msgp)
{
	struct queue_message *msg = *msgp;
	size_t i;

	if (msg == NULL)
		return;
	if (msg->fd >= 0)
		close(msg->fd);
	mem_free(&msg->sender);
	mem_free(&msg->envid);
	mem_free(&msg->client.name);
	mem_free(&msg->client.addr);
	mem_free(&msg->client.helo);
	mem_free(&msg->client.protocol);
	mem_free(&msg->client.auth_user);
	for (i = 0; i < msg->attr_count; i++) {
		mem_free(&msg->attrs[i].name);
		mem_free(&msg->attrs[i].value);
	}
	mem_free(&msg->attrs);
	for (i = 0; i < msg->rcpt_count; i++)
		queue_file_rcpt_deinit(&msg->rcpts[i]);
	mem_free(&msg->rcpts);
	buf_deinit(&msg->window);
	mem_free(msgp);
}
