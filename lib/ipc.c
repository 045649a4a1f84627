/*
 * ipc.c - framed attribute messages between processes (see ipc.h and
 * docs/ipc.md for the format).
 *
 * Encoder: ipc_msg_init/deinit, ipc_msg_has_room, ipc_msg_add,
 * ipc_msg_add_str/u32/u64, ipc_msg_group_begin/end, ipc_msg_set_flags.
 * Decoder: ipc_frame_parse (incremental), ipc_frame_group,
 * ipc_frame_validate, ipc_frame_get/_u32/_u64/_str, ipc_attr_iter_*.
 * Limits: ipc_limits_all, ipc_limits_max_len.
 * Per-type helpers: ipc_status_request_encode/decode,
 * ipc_status_reply_encode/decode/deinit.
 *
 * SECURITY: every frame comes from another process that may be
 * compromised. The header is checked against the receiver's per-type
 * maximum before the payload is awaited (so a peer cannot make us buffer
 * more than that), and the attribute structure is checked in full before
 * the frame is returned, so the accessors never step outside it. Decoded
 * frames point into the caller's bytes; decoded status replies own copies.
 * Runs with the privilege of the calling process; allocates only in the
 * encoder, ipc_frame_get_str and ipc_status_reply_decode.
 */
#include "lib/ipc.h"

#include <string.h>

#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* Header field offsets (docs/ipc.md "Frame header"). */
#define IPC_OFF_LEN 0
#define IPC_OFF_TYPE 4
#define IPC_OFF_VERSION 6
#define IPC_OFF_FLAGS 7
#define IPC_OFF_REQUEST_ID 8

static const struct ipc_type ipc_types_all[] = {
	{ IPC_MASTER_STATUS_REQUEST, IPC_STATUS_REQUEST_MAX_LEN },
	{ IPC_MASTER_STATUS_REPLY, IPC_STATUS_REPLY_MAX_LEN },
	{ IPC_QMGR_WAKEUP, IPC_QMGR_WAKEUP_MAX_LEN },
	{ IPC_DELIVER_REQUEST, IPC_DELIVER_REQUEST_MAX_LEN },
	{ IPC_DELIVER_RESULT, IPC_DELIVER_RESULT_MAX_LEN },
};

const struct ipc_limits ipc_limits_all = {
	ipc_types_all, sizeof(ipc_types_all) / sizeof(ipc_types_all[0]),
};

/* ipc_get_be16 - read a big-endian u16 */
static uint16_t
ipc_get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/* ipc_get_be32 - read a big-endian u32 */
static uint32_t
ipc_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ipc_put_be16 - write a big-endian u16 */
static void
ipc_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ipc_put_be32 - write a big-endian u32 */
static void
ipc_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ipc_limits_max_len - largest max_len in a limits table */
uint32_t
ipc_limits_max_len(const struct ipc_limits *limits)
{
	uint32_t max_len = IPC_HEADER_LEN;
	size_t i;

	for (i = 0; i < limits->type_count; i++)
		if (limits->types[i].max_len > max_len)
			max_len = limits->types[i].max_len;
	return max_len;
}

/* ---- encoder ---- */

/* ipc_msg_init - start a frame */
void
ipc_msg_init(struct ipc_msg *msg, uint16_t type, uint32_t request_id)
{
	uint8_t *h;

	buf_init(&msg->buf, IPC_FRAME_MAX);
	msg->group_start = 0;
	h = buf_reserve(&msg->buf, IPC_HEADER_LEN);
	ipc_put_be32(h + IPC_OFF_LEN, IPC_HEADER_LEN);
	ipc_put_be16(h + IPC_OFF_TYPE, type);
	h[IPC_OFF_VERSION] = IPC_VERSION;
	h[IPC_OFF_FLAGS] = 0;
	ipc_put_be32(h + IPC_OFF_REQUEST_ID, request_id);
	buf_commit(&msg->buf, IPC_HEADER_LEN);
}

/* ipc_msg_deinit - release a frame */
void
ipc_msg_deinit(struct ipc_msg *msg)
{
	buf_deinit(&msg->buf);
}

/* ipc_msg_has_room - whether an attribute of n value octets fits */
bool
ipc_msg_has_room(const struct ipc_msg *msg, size_t n)
{
	size_t need;

	return checked_add(n, IPC_ATTR_HEADER_LEN, &need) &&
	       buf_has_room(&msg->buf, need);
}

/* ipc_msg_sync_len - store the current length in the header */
static void
ipc_msg_sync_len(struct ipc_msg *msg)
{
	/* buf.max is IPC_FRAME_MAX, so the length fits in a u32. */
	ipc_put_be32(msg->buf.data + IPC_OFF_LEN, (uint32_t)msg->buf.len);
}

/* ipc_msg_attr_header - append a tag and a value length */
static void
ipc_msg_attr_header(struct ipc_msg *msg, uint16_t tag, size_t n)
{
	uint8_t h[IPC_ATTR_HEADER_LEN];

	if (!ipc_msg_has_room(msg, n))
		log_panic("ipc: attribute %u of %zu octets overflows the frame",
			  (unsigned)tag, n);
	ipc_put_be16(h, tag);
	ipc_put_be32(h + 2, (uint32_t)n);	/* n < IPC_FRAME_MAX */
	buf_append(&msg->buf, h, sizeof(h));
}

/* ipc_msg_add - append one attribute */
void
ipc_msg_add(struct ipc_msg *msg, uint16_t tag, const void *p, size_t n)
{
	ipc_msg_attr_header(msg, tag, n);
	buf_append(&msg->buf, p, n);
	ipc_msg_sync_len(msg);
}

/* ipc_msg_add_str - append a string attribute */
void
ipc_msg_add_str(struct ipc_msg *msg, uint16_t tag, const char *s)
{
	ipc_msg_add(msg, tag, s, strlen(s));
}

/* ipc_msg_add_u32 - append a 4-octet attribute */
void
ipc_msg_add_u32(struct ipc_msg *msg, uint16_t tag, uint32_t value)
{
	uint8_t v[4];

	ipc_put_be32(v, value);
	ipc_msg_add(msg, tag, v, sizeof(v));
}

/* ipc_msg_add_u64 - append an 8-octet attribute */
void
ipc_msg_add_u64(struct ipc_msg *msg, uint16_t tag, uint64_t value)
{
	uint8_t v[8];

	ipc_put_be32(v, (uint32_t)(value >> 32));
	ipc_put_be32(v + 4, (uint32_t)value);
	ipc_msg_add(msg, tag, v, sizeof(v));
}

/* ipc_msg_group_begin - open a group attribute */
void
ipc_msg_group_begin(struct ipc_msg *msg, uint16_t tag)
{
	MR_ASSERT(msg->group_start == 0);
	msg->group_start = msg->buf.len;
	ipc_msg_attr_header(msg, tag, 0);
	ipc_msg_sync_len(msg);
}

/* ipc_msg_group_end - close the group: its length covers what followed */
void
ipc_msg_group_end(struct ipc_msg *msg)
{
	size_t value_start = msg->group_start + IPC_ATTR_HEADER_LEN;

	MR_ASSERT(msg->group_start >= IPC_HEADER_LEN);
	/* UNSAFE: patch the group's length field in place; value_start <=
	   buf.len since the header was appended by group_begin. */
	ipc_put_be32(msg->buf.data + msg->group_start + 2,
		     (uint32_t)(msg->buf.len - value_start));
	msg->group_start = 0;
}

/* ipc_msg_set_flags - replace the header flags */
void
ipc_msg_set_flags(struct ipc_msg *msg, uint8_t flags)
{
	MR_ASSERT((flags & ~IPC_FLAGS_KNOWN) == 0);
	msg->buf.data[IPC_OFF_FLAGS] = flags;
}

/* ---- decoder ---- */

/* ipc_attrs_check - whether (p, n) is an exact sequence of attributes */
static int
ipc_attrs_check(const uint8_t *p, size_t n, const char **error_r)
{
	size_t off = 0;

	/* UNSAFE: every step checks the remaining octets before reading. */
	while (off < n) {
		uint32_t value_len;

		if (n - off < IPC_ATTR_HEADER_LEN) {
			*error_r = "truncated attribute header";
			return -1;
		}
		value_len = ipc_get_be32(p + off + 2);
		off += IPC_ATTR_HEADER_LEN;
		if (value_len > n - off) {
			*error_r = "attribute overruns the frame";
			return -1;
		}
		off += value_len;
	}
	return 0;
}

/* ipc_limits_find - the entry for type, or NULL */
static const struct ipc_type *
ipc_limits_find(const struct ipc_limits *limits, uint16_t type)
{
	size_t i;

	for (i = 0; i < limits->type_count; i++)
		if (limits->types[i].type == type)
			return &limits->types[i];
	return NULL;
}

/* ipc_frame_parse - incremental frame parser */
int
ipc_frame_parse(const uint8_t *p, size_t n, const struct ipc_limits *limits,
		struct ipc_frame *frame_r, size_t *consumed_r,
		const char **error_r)
{
	const struct ipc_type *type;
	struct ipc_frame f;

	if (n < IPC_HEADER_LEN)
		return 0;
	memset(&f, 0, sizeof(f));
	f.len = ipc_get_be32(p + IPC_OFF_LEN);
	f.type = ipc_get_be16(p + IPC_OFF_TYPE);
	f.version = p[IPC_OFF_VERSION];
	f.flags = p[IPC_OFF_FLAGS];
	f.request_id = ipc_get_be32(p + IPC_OFF_REQUEST_ID);
	if (f.version != IPC_VERSION) {
		*error_r = "unsupported protocol version";
		return -1;
	}
	if ((f.flags & ~IPC_FLAGS_KNOWN) != 0) {
		*error_r = "unknown header flags";
		return -1;
	}
	type = ipc_limits_find(limits, f.type);
	if (type == NULL) {
		*error_r = "unexpected message type";
		return -1;
	}
	if (f.len < IPC_HEADER_LEN) {
		*error_r = "frame length below the header size";
		return -1;
	}
	/* SECURITY: decided from the header alone, before we wait for (and
	   buffer) a payload of the announced size. */
	if (f.len > type->max_len) {
		*error_r = "frame length above the limit for its type";
		return -1;
	}
	if (n < f.len)
		return 0;
	f.payload = p + IPC_HEADER_LEN;
	f.payload_len = f.len - IPC_HEADER_LEN;
	if (ipc_attrs_check(f.payload, f.payload_len, error_r) < 0)
		return -1;
	*frame_r = f;
	*consumed_r = f.len;
	return 1;
}

/* ipc_frame_group - view a group value as an attribute list */
int
ipc_frame_group(const uint8_t *p, size_t n, struct ipc_frame *group_r,
		const char **error_r)
{
	if (ipc_attrs_check(p, n, error_r) < 0)
		return -1;
	memset(group_r, 0, sizeof(*group_r));
	group_r->payload = p;
	group_r->payload_len = n;
	return 0;
}

/* ipc_attr_iter_init - start iterating */
void
ipc_attr_iter_init(struct ipc_attr_iter *iter, const struct ipc_frame *frame,
		   uint16_t tag)
{
	iter->frame = frame;
	iter->offset = 0;
	iter->tag = tag;
}

/* ipc_attr_iter_next - the next matching attribute */
int
ipc_attr_iter_next(struct ipc_attr_iter *iter, uint16_t *tag_r,
		   const uint8_t **p_r, size_t *n_r)
{
	const uint8_t *p = iter->frame->payload;
	size_t n = iter->frame->payload_len;

	/* UNSAFE: the structure was checked by ipc_frame_parse/group; the
	   bounds are checked again so a hand-made frame cannot overrun. */
	while (iter->offset < n && n - iter->offset >= IPC_ATTR_HEADER_LEN) {
		uint16_t tag = ipc_get_be16(p + iter->offset);
		uint32_t value_len = ipc_get_be32(p + iter->offset + 2);
		size_t value_off = iter->offset + IPC_ATTR_HEADER_LEN;

		if (value_len > n - value_off)
			break;
		iter->offset = value_off + value_len;
		if (iter->tag != 0 && tag != iter->tag)
			continue;
		*tag_r = tag;
		*p_r = p + value_off;
		*n_r = value_len;
		return 1;
	}
	iter->offset = n;
	return 0;
}

/* ipc_frame_validate - check a frame against a schema */
int
ipc_frame_validate(const struct ipc_frame *frame,
		   const struct ipc_attr_spec *specs, size_t nspecs,
		   const char **error_r)
{
	uint32_t counts[IPC_SPECS_MAX];
	struct ipc_attr_iter iter;
	const uint8_t *value;
	size_t value_len, i;
	uint16_t tag;

	MR_ASSERT(nspecs <= IPC_SPECS_MAX);
	memset(counts, 0, sizeof(counts));
	ipc_attr_iter_init(&iter, frame, 0);
	while (ipc_attr_iter_next(&iter, &tag, &value, &value_len) == 1) {
		const struct ipc_attr_spec *spec = NULL;

		for (i = 0; i < nspecs; i++) {
			if (specs[i].tag == tag) {
				spec = &specs[i];
				break;
			}
		}
		if (spec == NULL)
			continue;	/* a newer peer's field */
		if (counts[i] > 0 && !spec->multi) {
			*error_r = "duplicate attribute";
			return -1;
		}
		if (spec->multi && spec->max_count != 0 &&
		    counts[i] >= spec->max_count) {
			*error_r = "too many attributes";
			return -1;
		}
		if (value_len < spec->min_len || value_len > spec->max_len) {
			*error_r = "attribute length out of range";
			return -1;
		}
		counts[i]++;
	}
	for (i = 0; i < nspecs; i++) {
		if (specs[i].required && counts[i] == 0) {
			*error_r = "missing required attribute";
			return -1;
		}
	}
	return 0;
}

/* ipc_frame_get - first value of a tag */
int
ipc_frame_get(const struct ipc_frame *frame, uint16_t tag, const uint8_t **p_r,
	      size_t *n_r)
{
	struct ipc_attr_iter iter;
	uint16_t found;

	ipc_attr_iter_init(&iter, frame, tag);
	return ipc_attr_iter_next(&iter, &found, p_r, n_r) == 1 ? 0 : -1;
}

/* ipc_frame_get_u32 - first value of a tag as u32 */
int
ipc_frame_get_u32(const struct ipc_frame *frame, uint16_t tag,
		  uint32_t *value_r)
{
	const uint8_t *p;
	size_t n;

	if (ipc_frame_get(frame, tag, &p, &n) < 0 || n != 4)
		return -1;
	*value_r = ipc_get_be32(p);
	return 0;
}

/* ipc_frame_get_u64 - first value of a tag as u64 */
int
ipc_frame_get_u64(const struct ipc_frame *frame, uint16_t tag,
		  uint64_t *value_r)
{
	const uint8_t *p;
	size_t n;

	if (ipc_frame_get(frame, tag, &p, &n) < 0 || n != 8)
		return -1;
	*value_r = (uint64_t)ipc_get_be32(p) << 32 | ipc_get_be32(p + 4);
	return 0;
}

/* ipc_frame_get_str - first value of a tag as a new string */
int
ipc_frame_get_str(const struct ipc_frame *frame, uint16_t tag, char **str_r)
{
	const uint8_t *p;
	size_t n;

	if (ipc_frame_get(frame, tag, &p, &n) < 0 || memchr(p, '\0', n) != NULL)
		return -1;
	*str_r = mem_strndup((const char *)p, n);
	return 0;
}

/* ---- status messages ---- */

/* Schema of IPC_MASTER_STATUS_REQUEST: no attributes defined yet. */

/* Schema of IPC_MASTER_STATUS_REPLY. */
static const struct ipc_attr_spec ipc_status_reply_specs[] = {
	{ IPC_TAG_PROCESS, false, true, IPC_STATUS_PROCS_MAX, 0,
	  IPC_STATUS_REPLY_MAX_LEN },
};

/* Schema of one IPC_TAG_PROCESS group. */
static const struct ipc_attr_spec ipc_status_proc_specs[] = {
	{ IPC_TAG_PROCESS_NAME, true, false, 0, 1, IPC_STATUS_NAME_MAX },
	{ IPC_TAG_PROCESS_PID, true, false, 0, 4, 4 },
};

/* ipc_status_name_ok - whether a process name is 1..max printable ASCII */
static bool
ipc_status_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > IPC_STATUS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	return true;
}

/* ipc_status_request_encode - build a status request */
void
ipc_status_request_encode(struct ipc_msg *msg, uint32_t request_id)
{
	ipc_msg_init(msg, IPC_MASTER_STATUS_REQUEST, request_id);
}

/* ipc_status_request_decode - check a status request */
int
ipc_status_request_decode(const struct ipc_frame *frame, const char **error_r)
{
	if (frame->type != IPC_MASTER_STATUS_REQUEST) {
		*error_r = "not a status request";
		return -1;
	}
	return ipc_frame_validate(frame, NULL, 0, error_r);
}

/* ipc_status_reply_encode - build a status reply */
void
ipc_status_reply_encode(struct ipc_msg *msg, uint32_t request_id,
			const struct ipc_status_proc *procs, size_t count)
{
	size_t i;

	MR_ASSERT(count <= IPC_STATUS_PROCS_MAX);
	ipc_msg_init(msg, IPC_MASTER_STATUS_REPLY, request_id);
	for (i = 0; i < count; i++) {
		MR_ASSERT(ipc_status_name_ok(procs[i].name));
		MR_ASSERT(procs[i].pid > 0);
		ipc_msg_group_begin(msg, IPC_TAG_PROCESS);
		ipc_msg_add_str(msg, IPC_TAG_PROCESS_NAME, procs[i].name);
		ipc_msg_add_u32(msg, IPC_TAG_PROCESS_PID, procs[i].pid);
		ipc_msg_group_end(msg);
	}
}

/* ipc_status_proc_decode - decode one IPC_TAG_PROCESS group value */
static int
ipc_status_proc_decode(const uint8_t *p, size_t n,
		       struct ipc_status_proc *proc_r, const char **error_r)
{
	struct ipc_frame group;
	uint32_t pid;
	char *name = NULL;

	if (ipc_frame_group(p, n, &group, error_r) < 0 ||
	    ipc_frame_validate(&group, ipc_status_proc_specs,
			       sizeof(ipc_status_proc_specs) /
				       sizeof(ipc_status_proc_specs[0]),
			       error_r) < 0)
		return -1;
	if (ipc_frame_get_u32(&group, IPC_TAG_PROCESS_PID, &pid) < 0 ||
	    pid == 0) {
		*error_r = "bad process id";
		return -1;
	}
	if (ipc_frame_get_str(&group, IPC_TAG_PROCESS_NAME, &name) < 0 ||
	    !ipc_status_name_ok(name)) {
		mem_free(&name);
		*error_r = "bad process name";
		return -1;
	}
	proc_r->name = name;
	proc_r->pid = pid;
	return 0;
}

/* ipc_status_reply_decode - decode a status reply */
int
ipc_status_reply_decode(const struct ipc_frame *frame,
			struct ipc_status_reply *reply_r, const char **error_r)
{
	struct ipc_status_reply reply = { NULL, 0 };
	struct ipc_attr_iter iter;
	const uint8_t *value;
	size_t value_len, count = 0;
	uint16_t tag;

	if (frame->type != IPC_MASTER_STATUS_REPLY) {
		*error_r = "not a status reply";
		return -1;
	}
	if (ipc_frame_validate(frame, ipc_status_reply_specs,
			       sizeof(ipc_status_reply_specs) /
				       sizeof(ipc_status_reply_specs[0]),
			       error_r) < 0)
		return -1;
	ipc_attr_iter_init(&iter, frame, IPC_TAG_PROCESS);
	while (ipc_attr_iter_next(&iter, &tag, &value, &value_len) == 1)
		count++;
	/* count <= IPC_STATUS_PROCS_MAX after validation. */
	reply.procs = mem_alloc_array(count, sizeof(*reply.procs));
	ipc_attr_iter_init(&iter, frame, IPC_TAG_PROCESS);
	while (ipc_attr_iter_next(&iter, &tag, &value, &value_len) == 1) {
		if (ipc_status_proc_decode(value, value_len,
					   &reply.procs[reply.proc_count],
					   error_r) < 0) {
			ipc_status_reply_deinit(&reply);
			return -1;
		}
		reply.proc_count++;
	}
	*reply_r = reply;
	return 0;
}

/* ipc_status_reply_deinit - release a decoded reply */
void
ipc_status_reply_deinit(struct ipc_status_reply *reply)
{
	size_t i;

	for (i = 0; i < reply->proc_count; i++)
		mem_free(&reply->procs[i].name);
	mem_free(&reply->procs);
	reply->proc_count = 0;
}
