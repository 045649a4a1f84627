/*
 * queue_file.c - queue file records shared by the writer and the reader.
 *
 * queue_file_record_info   the type table: names, length limits, single
 * queue_err_name           name of an error class for logs
 * queue_file_header_*      append and check the version 1 file header
 * queue_file_record_*      encode and decode record headers
 * queue_file_value_check   check a single-valued record's value
 * queue_file_attr_check    check an ATTR "name=value"
 * queue_file_rcpt_*        encode, decode and free a RCPT record
 * queue_file_mark_rcpt     durable in-place update of a recipient's status
 * queue_file_mark_rcpt_write  the same without the sync
 * queue_file_put/get_*     big-endian integers
 *
 * The format is docs/queue-format.md. Values decoded here come from queue
 * files, which are untrusted input: a compromised smtpd must not be able to
 * steer qmgr or local with a crafted file, so every length is checked before
 * use and every text value is checked byte by byte. The writer runs the same
 * checks, so it never writes what the reader refuses. Runs with the
 * privileges of its caller (the mail user). Returned strings belong to the
 * caller.
 */
#include "lib/queue_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* How the value bytes of a record type are checked. */
enum queue_value_class {
	QUEUE_VALUE_NONE,	/* checked by its own function */
	QUEUE_VALUE_ANY,	/* any bytes (fixed-size numbers) */
	QUEUE_VALUE_ASCII,	/* 0x20..0x7e */
	QUEUE_VALUE_TEXT8,	/* 0x20..0x7e and 0x80..0xff */
	QUEUE_VALUE_ALNUM,	/* [A-Za-z0-9] */
	QUEUE_VALUE_RET,	/* one byte, enum queue_ret */
	QUEUE_VALUE_BODY,	/* one byte, enum queue_body */
};

/* The type table (docs/queue-format.md, "Records"). */
static const struct {
	struct queue_record_info info;
	enum queue_value_class value_class;
} queue_types[] = {
	{ { QUEUE_REC_ARRIVAL, "ARRIVAL", 8, 8, true }, QUEUE_VALUE_ANY },
	{ { QUEUE_REC_SENDER, "SENDER", 0, QUEUE_ADDR_MAX, true },
	  QUEUE_VALUE_TEXT8 },
	{ { QUEUE_REC_ENVID, "ENVID", 1, QUEUE_ENVID_MAX, true },
	  QUEUE_VALUE_ASCII },
	{ { QUEUE_REC_RET, "RET", 1, 1, true }, QUEUE_VALUE_RET },
	{ { QUEUE_REC_BODY, "BODY", 1, 1, true }, QUEUE_VALUE_BODY },
	{ { QUEUE_REC_SMTPUTF8, "SMTPUTF8", 0, 0, true }, QUEUE_VALUE_ANY },
	{ { QUEUE_REC_CLIENT_NAME, "CLIENT_NAME", 1, QUEUE_HOSTNAME_MAX,
	    true },
	  QUEUE_VALUE_TEXT8 },
	{ { QUEUE_REC_CLIENT_ADDR, "CLIENT_ADDR", 1, QUEUE_CLIENT_ADDR_MAX,
	    true },
	  QUEUE_VALUE_ASCII },
	{ { QUEUE_REC_HELO, "HELO", 1, QUEUE_HELO_MAX, true },
	  QUEUE_VALUE_TEXT8 },
	{ { QUEUE_REC_PROTOCOL, "PROTOCOL", 1, QUEUE_PROTOCOL_MAX, true },
	  QUEUE_VALUE_ALNUM },
	{ { QUEUE_REC_AUTH_USER, "AUTH_USER", 1, QUEUE_AUTH_USER_MAX, true },
	  QUEUE_VALUE_TEXT8 },
	{ { QUEUE_REC_ATTR, "ATTR", 2,
	    QUEUE_ATTR_NAME_MAX + 1 + QUEUE_ATTR_VALUE_MAX, false },
	  QUEUE_VALUE_NONE },
	{ { QUEUE_REC_RCPT, "RCPT", QUEUE_RCPT_FIXED_SIZE + 1,
	    QUEUE_RECORD_ENVELOPE_MAX, false },
	  QUEUE_VALUE_NONE },
	{ { QUEUE_REC_CONTENT, "CONTENT", 1, QUEUE_CHUNK_MAX, false },
	  QUEUE_VALUE_NONE },
	{ { QUEUE_REC_END, "END", QUEUE_END_SIZE, QUEUE_END_SIZE, true },
	  QUEUE_VALUE_NONE },
};

#define QUEUE_TYPE_COUNT (sizeof(queue_types) / sizeof(queue_types[0]))

/* On-disk status bytes, indexed by enum queue_rcpt_status. */
static const uint8_t queue_status_bytes[] = { 'P', 'D', 'B' };

/* queue_type_index - index of type in queue_types, or -1 */
static int
queue_type_index(uint8_t type)
{
	size_t i;

	for (i = 0; i < QUEUE_TYPE_COUNT; i++)
		if (queue_types[i].info.type == type)
			return (int)i;
	return -1;
}

/* queue_file_record_info - type description */
const struct queue_record_info *
queue_file_record_info(uint8_t type)
{
	int i = queue_type_index(type);

	return i < 0 ? NULL : &queue_types[i].info;
}

/* queue_err_name - error class name */
const char *
queue_err_name(enum queue_err err)
{
	switch (err) {
	case QUEUE_ERR_NONE:
		return "none";
	case QUEUE_ERR_IO:
		return "io";
	case QUEUE_ERR_NOTFOUND:
		return "notfound";
	case QUEUE_ERR_CORRUPT:
		return "corrupt";
	case QUEUE_ERR_TOO_BIG:
		return "too-big";
	case QUEUE_ERR_LIMIT:
		return "limit";
	case QUEUE_ERR_INVALID:
		return "invalid";
	}
	return "unknown";
}

/* queue_file_put_u32 - big-endian u32 */
void
queue_file_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* queue_file_put_u64 - big-endian u64 */
void
queue_file_put_u64(uint8_t *p, uint64_t v)
{
	queue_file_put_u32(p, (uint32_t)(v >> 32));
	queue_file_put_u32(p + 4, (uint32_t)v);
}

/* queue_file_get_u32 - big-endian u32 */
uint32_t
queue_file_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* queue_file_get_u64 - big-endian u64 */
uint64_t
queue_file_get_u64(const uint8_t *p)
{
	return (uint64_t)queue_file_get_u32(p) << 32 |
	       queue_file_get_u32(p + 4);
}

/* queue_file_header_append - the version 1 header */
void
queue_file_header_append(struct buf *b)
{
	uint8_t h[QUEUE_FILE_HEADER_SIZE] = { 0 };

	memcpy(h, QUEUE_FILE_MAGIC, QUEUE_FILE_MAGIC_LEN);
	h[QUEUE_FILE_MAGIC_LEN] = QUEUE_FILE_VERSION;
	buf_append(b, h, sizeof(h));
}

/* queue_file_header_check - magic, version, reserved bytes */
bool
queue_file_header_check(const uint8_t *p, const char **error_r)
{
	size_t i;

	if (memcmp(p, QUEUE_FILE_MAGIC, QUEUE_FILE_MAGIC_LEN) != 0) {
		*error_r = "not a queue file (bad magic)";
		return false;
	}
	if (p[QUEUE_FILE_MAGIC_LEN] != QUEUE_FILE_VERSION) {
		*error_r = "unsupported queue file version";
		return false;
	}
	for (i = QUEUE_FILE_MAGIC_LEN + 1; i < QUEUE_FILE_HEADER_SIZE; i++) {
		if (p[i] != 0) {
			*error_r = "reserved header bytes not zero";
			return false;
		}
	}
	return true;
}

/* queue_file_record_header_put - encode a record header */
void
queue_file_record_header_put(uint8_t *out, uint8_t type, uint32_t len)
{
	out[0] = type;
	queue_file_put_u32(out + 1, len);
}

/* queue_file_record_header_get - decode a record header */
void
queue_file_record_header_get(const uint8_t *p, uint8_t *type_r,
			     uint32_t *len_r)
{
	*type_r = p[0];
	*len_r = queue_file_get_u32(p + 1);
}

/* queue_file_record_append - append header and value */
void
queue_file_record_append(struct buf *b, uint8_t type, const void *p, size_t n)
{
	uint8_t h[QUEUE_RECORD_HEADER_SIZE];

	/* A CONTENT chunk is the largest value of any record. */
	MR_ASSERT(n <= QUEUE_CHUNK_MAX);
	queue_file_record_header_put(h, type, (uint32_t)n);
	buf_append(b, h, sizeof(h));
	if (n > 0)
		buf_append(b, p, n);
}

/* queue_text_ok - whether n bytes are text of the given class */
static bool
queue_text_ok(const uint8_t *p, size_t n, enum queue_value_class cls)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		switch (cls) {
		case QUEUE_VALUE_ALNUM:
			if (!((c >= '0' && c <= '9') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= 'a' && c <= 'z')))
				return false;
			break;
		case QUEUE_VALUE_TEXT8:
			if (c < 0x20 || c == 0x7f)
				return false;
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				return false;
			break;
		}
	}
	return true;
}

/* queue_file_value_check - check a single-valued record's value */
bool
queue_file_value_check(uint8_t type, const uint8_t *p, size_t n)
{
	int i = queue_type_index(type);

	if (i < 0 || n < queue_types[i].info.min_len ||
	    n > queue_types[i].info.max_len)
		return false;
	switch (queue_types[i].value_class) {
	case QUEUE_VALUE_NONE:
		return false;
	case QUEUE_VALUE_ANY:
		return true;
	case QUEUE_VALUE_RET:
		return p[0] == QUEUE_RET_FULL || p[0] == QUEUE_RET_HDRS;
	case QUEUE_VALUE_BODY:
		return p[0] >= QUEUE_BODY_7BIT && p[0] <= QUEUE_BODY_BINARYMIME;
	case QUEUE_VALUE_ASCII:
	case QUEUE_VALUE_TEXT8:
	case QUEUE_VALUE_ALNUM:
		return queue_text_ok(p, n, queue_types[i].value_class);
	}
	return false;
}

/* queue_attr_name_ok - whether n bytes are an ATTR name */
static bool
queue_attr_name_ok(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || n > QUEUE_ATTR_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!queue_text_ok(p + i, 1, QUEUE_VALUE_ALNUM) &&
		    p[i] != '_' && p[i] != '-')
			return false;
	return true;
}

/* queue_file_attr_check - check "name=value" */
bool
queue_file_attr_check(const uint8_t *p, size_t n, size_t *name_len_r)
{
	const uint8_t *eq = memchr(p, '=', n);
	size_t name_len;

	if (eq == NULL)
		return false;
	/* UNSAFE: eq lies in [p, p + n) as memchr found it there. */
	name_len = (size_t)(eq - p);
	if (!queue_attr_name_ok(p, name_len) ||
	    n - name_len - 1 > QUEUE_ATTR_VALUE_MAX ||
	    !queue_text_ok(eq + 1, n - name_len - 1, QUEUE_VALUE_TEXT8))
		return false;
	*name_len_r = name_len;
	return true;
}

/* queue_notify_ok - NEVER alone, or any of SUCCESS/FAILURE/DELAY */
static bool
queue_notify_ok(unsigned int notify)
{
	const unsigned int all = QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE |
				 QUEUE_NOTIFY_DELAY;

	return notify == QUEUE_NOTIFY_NEVER || (notify & ~all) == 0;
}

/* queue_orcpt_type_ok - RFC 3461 addr-type: letters, digits, '-' */
static bool
queue_orcpt_type_ok(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || n > QUEUE_ORCPT_TYPE_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!queue_text_ok(p + i, 1, QUEUE_VALUE_ALNUM) && p[i] != '-')
			return false;
	return true;
}

/* queue_file_status_byte - on-disk status byte */
uint8_t
queue_file_status_byte(enum queue_rcpt_status status)
{
	MR_ASSERT((size_t)status < sizeof(queue_status_bytes));
	return queue_status_bytes[status];
}

/* queue_status_from_byte - decode a status byte; false if unknown */
static bool
queue_status_from_byte(uint8_t c, enum queue_rcpt_status *status_r)
{
	size_t i;

	for (i = 0; i < sizeof(queue_status_bytes); i++) {
		if (queue_status_bytes[i] == c) {
			*status_r = (enum queue_rcpt_status)i;
			return true;
		}
	}
	return false;
}

/* queue_file_rcpt_append - encode a RCPT record */
int
queue_file_rcpt_append(struct buf *b, const struct queue_rcpt *rcpt,
		       const char **error_r)
{
	uint8_t fixed[QUEUE_RCPT_FIXED_SIZE], h[QUEUE_RECORD_HEADER_SIZE];
	size_t addr_len, type_len = 0, orcpt_len = 0, total;

	if (rcpt->address == NULL) {
		*error_r = "recipient address missing";
		return -1;
	}
	addr_len = strlen(rcpt->address);
	if (addr_len == 0 || addr_len > QUEUE_ADDR_MAX ||
	    !queue_text_ok((const uint8_t *)rcpt->address, addr_len,
			   QUEUE_VALUE_TEXT8)) {
		*error_r = "invalid recipient address";
		return -1;
	}
	if ((rcpt->orcpt_type == NULL) != (rcpt->orcpt == NULL)) {
		*error_r = "ORCPT needs both type and address";
		return -1;
	}
	if (rcpt->orcpt != NULL) {
		type_len = strlen(rcpt->orcpt_type);
		orcpt_len = strlen(rcpt->orcpt);
		if (!queue_orcpt_type_ok((const uint8_t *)rcpt->orcpt_type,
					 type_len) ||
		    orcpt_len == 0 || orcpt_len > QUEUE_ORCPT_MAX ||
		    !queue_text_ok((const uint8_t *)rcpt->orcpt, orcpt_len,
				   QUEUE_VALUE_TEXT8)) {
			*error_r = "invalid ORCPT";
			return -1;
		}
	}
	if (!queue_notify_ok(rcpt->notify)) {
		*error_r = "invalid NOTIFY";
		return -1;
	}
	/* Each part is bounded above, so the sum cannot overflow. */
	total = QUEUE_RCPT_FIXED_SIZE + addr_len + type_len + orcpt_len;
	fixed[0] = queue_file_status_byte(rcpt->status);
	fixed[1] = (uint8_t)rcpt->notify;
	fixed[2] = (uint8_t)(addr_len >> 8);
	fixed[3] = (uint8_t)addr_len;
	fixed[4] = (uint8_t)type_len;
	fixed[5] = (uint8_t)(orcpt_len >> 8);
	fixed[6] = (uint8_t)orcpt_len;
	queue_file_record_header_put(h, QUEUE_REC_RCPT, (uint32_t)total);
	buf_append(b, h, sizeof(h));
	buf_append(b, fixed, sizeof(fixed));
	buf_append(b, rcpt->address, addr_len);
	if (rcpt->orcpt != NULL) {
		buf_append(b, rcpt->orcpt_type, type_len);
		buf_append(b, rcpt->orcpt, orcpt_len);
	}
	return 0;
}

/* queue_file_rcpt_parse - decode a RCPT value */
int
queue_file_rcpt_parse(const uint8_t *p, size_t n, struct queue_rcpt *rcpt_r,
		      const char **error_r)
{
	size_t addr_len, type_len, orcpt_len;
	const uint8_t *addr, *type, *orcpt;
	enum queue_rcpt_status status;

	if (n < QUEUE_RCPT_FIXED_SIZE) {
		*error_r = "RCPT record too short";
		return -1;
	}
	addr_len = (size_t)p[2] << 8 | p[3];
	type_len = p[4];
	orcpt_len = (size_t)p[5] << 8 | p[6];
	/* Each length is at most 16 bits, so the sum cannot overflow. */
	if (QUEUE_RCPT_FIXED_SIZE + addr_len + type_len + orcpt_len != n) {
		*error_r = "RCPT field lengths do not add up";
		return -1;
	}
	if (!queue_status_from_byte(p[0], &status)) {
		*error_r = "RCPT has an unknown status";
		return -1;
	}
	if (!queue_notify_ok(p[1])) {
		*error_r = "RCPT has invalid NOTIFY flags";
		return -1;
	}
	/* UNSAFE: the three fields tile the value exactly (checked above). */
	addr = p + QUEUE_RCPT_FIXED_SIZE;
	type = addr + addr_len;
	orcpt = type + type_len;
	if (addr_len == 0 || addr_len > QUEUE_ADDR_MAX ||
	    !queue_text_ok(addr, addr_len, QUEUE_VALUE_TEXT8)) {
		*error_r = "RCPT has an invalid address";
		return -1;
	}
	if ((type_len == 0) != (orcpt_len == 0) ||
	    (type_len > 0 && (!queue_orcpt_type_ok(type, type_len) ||
			      orcpt_len > QUEUE_ORCPT_MAX ||
			      !queue_text_ok(orcpt, orcpt_len,
					     QUEUE_VALUE_TEXT8)))) {
		*error_r = "RCPT has an invalid ORCPT";
		return -1;
	}
	memset(rcpt_r, 0, sizeof(*rcpt_r));
	rcpt_r->status = status;
	rcpt_r->notify = p[1];
	rcpt_r->address = mem_memdup(addr, addr_len);
	if (type_len > 0) {
		rcpt_r->orcpt_type = mem_memdup(type, type_len);
		rcpt_r->orcpt = mem_memdup(orcpt, orcpt_len);
	}
	return 0;
}

/* queue_file_rcpt_deinit - free a parsed recipient's strings */
void
queue_file_rcpt_deinit(struct queue_rcpt *rcpt)
{
	mem_free(&rcpt->address);
	mem_free(&rcpt->orcpt_type);
	mem_free(&rcpt->orcpt);
}

/* queue_file_mark_rcpt_write - overwrite a status byte (no sync) */
int
queue_file_mark_rcpt_write(int fd, uint64_t status_offset,
			   enum queue_rcpt_status status, const char **error_r)
{
	uint8_t c = queue_file_status_byte(status);
	ssize_t w;

	if (status_offset > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		*error_r = "status offset out of range";
		return -1;
	}
	do {
		w = pwrite(fd, &c, 1, (off_t)status_offset);
	} while (w < 0 && errno == EINTR);
	if (w != 1) {
		if (w == 0)
			errno = EIO;
		*error_r = "cannot write recipient status";
		return -1;
	}
	return 0;
}

/* queue_file_mark_rcpt - overwrite a status byte and make it durable */
int
queue_file_mark_rcpt(int fd, uint64_t status_offset,
		     enum queue_rcpt_status status, const char **error_r)
{
	if (queue_file_mark_rcpt_write(fd, status_offset, status, error_r) < 0)
		return -1;
	/* The status must be on disk before the next step relies on it. */
	if (fdatasync(fd) < 0) {
		*error_r = "cannot sync recipient status";
		return -1;
	}
	return 0;
}
