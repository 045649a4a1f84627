/*
 * ipc.h - framed attribute messages between mailroom processes.
 *
 * The wire format is specified in docs/ipc.md; in short, all integers
 * big-endian:
 *
 *   frame     = header *attribute
 *   header    = length:u32 type:u16 version:u8 flags:u8 request-id:u32
 *   attribute = tag:u16 value-length:u32 value
 *
 * length counts the whole frame, header included. A group attribute's value
 * is itself a sequence of attributes (one level), read with ipc_frame_group.
 *
 * Encoding: ipc_msg_init, then ipc_msg_add*; the header's length is kept
 * current after every add, so the bytes in msg->buf are always a complete
 * frame. Decoding: ipc_frame_parse (incremental, checks the header against
 * a per-type maximum before the payload has arrived and the attribute
 * structure once it has), then ipc_frame_validate against a schema, then the
 * accessors. A struct ipc_frame points into the caller's bytes (zero copy):
 * it is valid only while those bytes stay unchanged and in place, so copy
 * what you keep before consuming the input buffer.
 *
 * Every peer is untrusted (STYLE.md section 6): a frame that fails parsing
 * or validation is an error of the peer; the connection is closed.
 */
#ifndef MR_IPC_H
#define MR_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Protocol version carried in every header (docs/ipc.md "Versioning"). */
#define IPC_VERSION 1

/* Header size in octets. */
#define IPC_HEADER_LEN 12

/* Attribute header size in octets (tag u16 + length u32). */
#define IPC_ATTR_HEADER_LEN 6

/* Header flags. Bits not defined here must be zero. */
#define IPC_FLAG_FD 0x01	/* a descriptor travels with the frame */
#define IPC_FLAGS_KNOWN IPC_FLAG_FD

/*
 * Largest frame any peer may send or we may build, whatever the type: the
 * per-type maxima below are smaller; this bounds the encoder's buffer.
 */
#define IPC_FRAME_MAX (16u * 1024 * 1024)

/* Most attribute specs one ipc_frame_validate call may take. */
#define IPC_SPECS_MAX 64

/* Message types (docs/ipc.md "Message types"). 0 is never valid. */
enum ipc_type_id {
	IPC_MASTER_STATUS_REQUEST = 1,	/* client -> master: list processes */
	IPC_MASTER_STATUS_REPLY = 2,	/* master -> client: the processes */
	IPC_QMGR_WAKEUP = 3,		/* smtpd -> qmgr: new mail in active/ */
	IPC_DELIVER_REQUEST = 4,	/* qmgr -> agent: deliver (deliver_proto.h) */
	IPC_DELIVER_RESULT = 5,		/* agent -> qmgr: per-recipient results */
};

/* Largest delivery request and result frames (lib/deliver_proto.h). */
#define IPC_DELIVER_REQUEST_MAX_LEN (64u * 1024)
#define IPC_DELIVER_RESULT_MAX_LEN (2u * 1024 * 1024)

/* IPC_QMGR_WAKEUP carries no attributes yet. */
#define IPC_QMGR_WAKEUP_MAX_LEN 256u

/* Attribute tags. One namespace for every message type; 0 is never valid. */
enum ipc_tag {
	IPC_TAG_PROCESS = 1,		/* group: one process */
	IPC_TAG_PROCESS_NAME = 2,	/* in PROCESS: service name */
	IPC_TAG_PROCESS_PID = 3,	/* in PROCESS: pid, u32 */
	IPC_TAG_QUEUE_ID = 10,		/* deliver: queue ID */
	IPC_TAG_NEXTHOP = 11,		/* deliver request: next hop */
	IPC_TAG_RCPT_INDEX = 12,	/* deliver: recipient index, u32 */
	IPC_TAG_RESULT = 13,		/* deliver result: group per recipient */
	IPC_TAG_STATUS = 14,		/* in RESULT: enum deliver_status, u32 */
	IPC_TAG_DSN = 15,		/* in RESULT: "2.0.0" */
	IPC_TAG_TEXT = 16,		/* in RESULT: diagnostic text */
	IPC_TAG_RELAY = 17,		/* in RESULT: "local", "mx.example[1.2.3.4]:25" */
};

/* Per-type limits of the status messages. */
#define IPC_STATUS_REQUEST_MAX_LEN 1024u
#define IPC_STATUS_PROCS_MAX 4096u	/* processes in one reply */
#define IPC_STATUS_NAME_MAX 64u		/* octets of a process name */
#define IPC_STATUS_REPLY_MAX_LEN (512u * 1024)

/* One accepted message type and the largest frame of that type. */
struct ipc_type {
	uint16_t type;
	uint32_t max_len;	/* whole frame, header included */
};

/* The types a receiver accepts; anything else is malformed. */
struct ipc_limits {
	const struct ipc_type *types;
	size_t type_count;
};

/* Every type defined in this header with its protocol maximum. */
extern const struct ipc_limits ipc_limits_all;

/* ipc_limits_max_len - the largest max_len of the table (read buffer size). */
uint32_t ipc_limits_max_len(const struct ipc_limits *limits);

/* A frame under construction. The bytes are msg->buf.data, msg->buf.len. */
struct ipc_msg {
	struct buf buf;
	size_t group_start;	/* offset of an open group, or 0 */
};

/* ipc_msg_init - start a frame of type with request_id (flags 0). */
void ipc_msg_init(struct ipc_msg *msg, uint16_t type, uint32_t request_id);

/* ipc_msg_deinit - release the frame's storage. */
void ipc_msg_deinit(struct ipc_msg *msg);

/* ipc_msg_has_room - whether an attribute with a value of n octets fits. */
bool ipc_msg_has_room(const struct ipc_msg *msg, size_t n);

/*
 * ipc_msg_add - append attribute tag with n octets at p. Growing the frame
 * past IPC_FRAME_MAX is a missing ipc_msg_has_room check and panics.
 */
void ipc_msg_add(struct ipc_msg *msg, uint16_t tag, const void *p, size_t n);

/* ipc_msg_add_str - attribute holding s without its NUL. */
void ipc_msg_add_str(struct ipc_msg *msg, uint16_t tag, const char *s);

/* ipc_msg_add_u32 - attribute holding value as 4 octets big-endian. */
void ipc_msg_add_u32(struct ipc_msg *msg, uint16_t tag, uint32_t value);

/* ipc_msg_add_u64 - attribute holding value as 8 octets big-endian. */
void ipc_msg_add_u64(struct ipc_msg *msg, uint16_t tag, uint64_t value);

/*
 * ipc_msg_group_begin - open group attribute tag: attributes added until
 * ipc_msg_group_end form its value. Groups do not nest.
 */
void ipc_msg_group_begin(struct ipc_msg *msg, uint16_t tag);

/* ipc_msg_group_end - close the open group. */
void ipc_msg_group_end(struct ipc_msg *msg);

/* ipc_msg_set_flags - replace the header flags (IPC_FLAG_*). */
void ipc_msg_set_flags(struct ipc_msg *msg, uint8_t flags);

/* A parsed frame, or a group's attribute list: views into caller bytes. */
struct ipc_frame {
	uint32_t len;		/* whole frame (0 for a group) */
	uint16_t type;
	uint8_t version;
	uint8_t flags;
	uint32_t request_id;
	const uint8_t *payload;	/* the attributes */
	size_t payload_len;
};

/*
 * ipc_frame_parse - look for one frame at the start of the n octets at p.
 * Returns 1 with *frame_r filled and *consumed_r = frame length; 0 when more
 * octets are needed (nothing written); -1 with *error_r (a static string)
 * when the input is malformed: the header has a version other than
 * IPC_VERSION, unknown flags, a type missing from limits, a length below
 * IPC_HEADER_LEN or above the type's max_len (all decided from the 12 header
 * octets alone, before the payload arrives), or an attribute overruns the
 * frame. On -1 the stream cannot be resynchronised: close the connection.
 */
int ipc_frame_parse(const uint8_t *p, size_t n, const struct ipc_limits *limits,
		    struct ipc_frame *frame_r, size_t *consumed_r,
		    const char **error_r);

/*
 * ipc_frame_group - view the value of a group attribute (p, n) as an
 * attribute list so validate and the accessors work on it. Returns 0, or
 * -1 with *error_r when an attribute overruns the value.
 */
int ipc_frame_group(const uint8_t *p, size_t n, struct ipc_frame *group_r,
		    const char **error_r);

/* What one attribute of a message may look like. */
struct ipc_attr_spec {
	uint16_t tag;
	bool required;		/* at least one occurrence */
	bool multi;		/* may repeat */
	uint32_t max_count;	/* multi: most occurrences (0: no limit) */
	uint32_t min_len;	/* value octets */
	uint32_t max_len;
};

/*
 * ipc_frame_validate - check frame against nspecs specs (nspecs <=
 * IPC_SPECS_MAX): each value length within its spec, no repeated
 * single-valued attribute, no multi-valued one above max_count, every
 * required one present. Attributes whose tag has no spec are skipped, so a
 * newer peer may add fields. Returns 0, or -1 with *error_r (static).
 */
int ipc_frame_validate(const struct ipc_frame *frame,
		       const struct ipc_attr_spec *specs, size_t nspecs,
		       const char **error_r);

/*
 * ipc_frame_get - the first value of tag. Returns 0 with *p_r, *n_r set
 * (pointing into the frame's bytes), or -1 when the tag is absent.
 */
int ipc_frame_get(const struct ipc_frame *frame, uint16_t tag,
		  const uint8_t **p_r, size_t *n_r);

/* ipc_frame_get_u32 - first value of tag as u32; -1 unless 4 octets. */
int ipc_frame_get_u32(const struct ipc_frame *frame, uint16_t tag,
		      uint32_t *value_r);

/* ipc_frame_get_u64 - first value of tag as u64; -1 unless 8 octets. */
int ipc_frame_get_u64(const struct ipc_frame *frame, uint16_t tag,
		      uint64_t *value_r);

/*
 * ipc_frame_get_str - first value of tag as a new NUL-terminated string
 * (free with mem_free). -1 when absent or when the value holds a NUL.
 * Callers apply their own stricter character rules where they need them.
 */
int ipc_frame_get_str(const struct ipc_frame *frame, uint16_t tag,
		      char **str_r);

/* Iterator over the attributes of a frame, optionally of one tag only. */
struct ipc_attr_iter {
	const struct ipc_frame *frame;
	size_t offset;
	uint16_t tag;		/* 0: every attribute */
};

/* ipc_attr_iter_init - iterate frame's attributes with tag (0 for all). */
void ipc_attr_iter_init(struct ipc_attr_iter *iter,
			const struct ipc_frame *frame, uint16_t tag);

/*
 * ipc_attr_iter_next - the next matching attribute: returns 1 with its tag
 * and value, 0 at the end.
 */
int ipc_attr_iter_next(struct ipc_attr_iter *iter, uint16_t *tag_r,
		       const uint8_t **p_r, size_t *n_r);

/* ---- IPC_MASTER_STATUS_REQUEST / IPC_MASTER_STATUS_REPLY ---- */

/* One process in a status reply. */
struct ipc_status_proc {
	char *name;		/* printable ASCII, 1..IPC_STATUS_NAME_MAX */
	uint32_t pid;		/* > 0 */
};

/* A decoded status reply; owns its strings. */
struct ipc_status_reply {
	struct ipc_status_proc *procs;
	size_t proc_count;
};

/* ipc_status_request_encode - build a status request (inits msg). */
void ipc_status_request_encode(struct ipc_msg *msg, uint32_t request_id);

/* ipc_status_request_decode - check a status request; 0 or -1 with *error_r. */
int ipc_status_request_decode(const struct ipc_frame *frame,
			      const char **error_r);

/*
 * ipc_status_reply_encode - build a status reply listing count processes
 * in order (master first, by convention) into msg (init'ed here). Names
 * must satisfy the rules in struct ipc_status_proc and count must be at
 * most IPC_STATUS_PROCS_MAX: anything else is our bug and panics.
 */
void ipc_status_reply_encode(struct ipc_msg *msg, uint32_t request_id,
			     const struct ipc_status_proc *procs, size_t count);

/*
 * ipc_status_reply_decode - decode and check a status reply. Returns 0
 * with *reply_r filled (release with ipc_status_reply_deinit), or -1 with
 * *error_r (static) and nothing to release.
 */
int ipc_status_reply_decode(const struct ipc_frame *frame,
			    struct ipc_status_reply *reply_r,
			    const char **error_r);

/* ipc_status_reply_deinit - release a decoded reply. */
void ipc_status_reply_deinit(struct ipc_status_reply *reply);

#endif
