/*
 * queue_file.h - queue file records: layout, limits and value checks.
 *
 * The byte format is specified in docs/queue-format.md (format version 1).
 * This module holds what the one writer (queue_write.c) and the one reader
 * (queue_read.c) share, so the layout lives in one place: record types and
 * their limits, the file header, record encoding, the recipient record and
 * the in-place recipient status update.
 */
#ifndef MR_QUEUE_FILE_H
#define MR_QUEUE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* File header: "MRQF", version, three reserved zero bytes. */
#define QUEUE_FILE_MAGIC "MRQF"
#define QUEUE_FILE_MAGIC_LEN 4
#define QUEUE_FILE_VERSION 1
#define QUEUE_FILE_HEADER_SIZE 8

/* Record header: type (u8) and value length (u32 big-endian). */
#define QUEUE_RECORD_HEADER_SIZE 5

/* Limits (docs/queue-format.md). */
#define QUEUE_ADDR_MAX 1024	   /* RFC 5321 4.5.3.1.3 path 256, with slack */
#define QUEUE_ENVID_MAX 100	   /* RFC 3461 4.4 */
#define QUEUE_ORCPT_TYPE_MAX 64	   /* RFC 3461 4.2 addr-type (an atom) */
#define QUEUE_ORCPT_MAX 1024	   /* RFC 3461 4.2: ORCPT 500, with slack */
#define QUEUE_HOSTNAME_MAX 255	   /* RFC 1035 2.3.4 */
#define QUEUE_CLIENT_ADDR_MAX 64   /* INET6_ADDRSTRLEN plus a zone */
#define QUEUE_HELO_MAX 512	   /* RFC 5321 4.5.3.1.4 command line */
#define QUEUE_PROTOCOL_MAX 32	   /* "ESMTPSA" and friends */
#define QUEUE_AUTH_USER_MAX 512	   /* RFC 4616 authcid 255, UTF-8 slack */
#define QUEUE_ATTR_NAME_MAX 64
#define QUEUE_ATTR_VALUE_MAX 2048
#define QUEUE_ATTR_MAX 64	   /* ATTR records per file */
#define QUEUE_RCPT_MAX 100000	   /* RCPT records per file */
#define QUEUE_CHUNK_MAX 65536	   /* bytes per CONTENT record */
#define QUEUE_ENVELOPE_MAX (32u * 1024 * 1024) /* envelope value bytes */

/* Fixed part of a RCPT value: status, notify, three lengths. */
#define QUEUE_RCPT_FIXED_SIZE 7

/* Largest envelope record value (a RCPT with every field at its maximum). */
#define QUEUE_RECORD_ENVELOPE_MAX                                           \
	(QUEUE_RCPT_FIXED_SIZE + QUEUE_ADDR_MAX + QUEUE_ORCPT_TYPE_MAX +    \
	 QUEUE_ORCPT_MAX)

/* Value of the END record: content size u64, record count, rcpt count. */
#define QUEUE_END_SIZE 16

/* Record types: even-parity ASCII letters, so no bit flip maps one to another. */
enum queue_record_type {
	QUEUE_REC_ARRIVAL = 'A',
	QUEUE_REC_SENDER = 'S',
	QUEUE_REC_ENVID = 'e',
	QUEUE_REC_RET = 'r',
	QUEUE_REC_BODY = 'B',
	QUEUE_REC_SMTPUTF8 = 'U',
	QUEUE_REC_CLIENT_NAME = 'N',
	QUEUE_REC_CLIENT_ADDR = 'i',
	QUEUE_REC_HELO = 'H',
	QUEUE_REC_PROTOCOL = 'P',
	QUEUE_REC_AUTH_USER = 'w',
	QUEUE_REC_ATTR = 'x',
	QUEUE_REC_RCPT = 't',
	QUEUE_REC_CONTENT = 'M',
	QUEUE_REC_END = 'Z',
};

/*
 * Error classes of the queue modules. What the caller does: IO - temporary,
 * defer (4xx, keep the message); NOTFOUND - the file is gone (moved or
 * removed by someone else); CORRUPT - move the file to corrupt/ and log;
 * TOO_BIG - 552 5.3.4; LIMIT - too many recipients or too large an
 * envelope (452 4.5.3); INVALID - a value the format cannot hold (the
 * caller's own validation should have refused it first).
 */
enum queue_err {
	QUEUE_ERR_NONE = 0,
	QUEUE_ERR_IO,
	QUEUE_ERR_NOTFOUND,
	QUEUE_ERR_CORRUPT,
	QUEUE_ERR_TOO_BIG,
	QUEUE_ERR_LIMIT,
	QUEUE_ERR_INVALID,
};

/* RFC 3461 RET; UNSPEC means no RET parameter (no record). */
enum queue_ret {
	QUEUE_RET_UNSPEC = 0,
	QUEUE_RET_FULL = 1,
	QUEUE_RET_HDRS = 2,
};

/* BODY parameter (RFC 6152, RFC 3030); UNSPEC means none (no record). */
enum queue_body {
	QUEUE_BODY_UNSPEC = 0,
	QUEUE_BODY_7BIT = 1,
	QUEUE_BODY_8BITMIME = 2,
	QUEUE_BODY_BINARYMIME = 3,
};

/* RFC 3461 NOTIFY flags; 0 means no NOTIFY parameter. */
#define QUEUE_NOTIFY_NEVER 0x01
#define QUEUE_NOTIFY_SUCCESS 0x02
#define QUEUE_NOTIFY_FAILURE 0x04
#define QUEUE_NOTIFY_DELAY 0x08

/* Recipient state; the on-disk bytes are 'P', 'D' and 'B'. */
enum queue_rcpt_status {
	QUEUE_RCPT_PENDING = 0,
	QUEUE_RCPT_DELIVERED,
	QUEUE_RCPT_BOUNCED,
};

/*
 * One recipient. The writer reads address, orcpt_type/orcpt (both NULL or
 * both set), notify and status; the reader fills every field and owns the
 * strings.
 */
struct queue_rcpt {
	char *address;
	char *orcpt_type;	/* ORCPT addr-type ("rfc822"), NULL if none */
	char *orcpt;		/* ORCPT address, xtext-decoded, NULL if none */
	unsigned int notify;	/* QUEUE_NOTIFY_* */
	enum queue_rcpt_status status;
	uint64_t status_offset;	/* reader: file offset of the status byte */
};

/* Client attributes; NULL fields are absent (no record). */
struct queue_client {
	char *name;
	char *addr;
	char *helo;
	char *protocol;
	char *auth_user;
};

/* Description of one record type, for the writer's and reader's checks. */
struct queue_record_info {
	enum queue_record_type type;
	const char *name;
	uint32_t min_len;
	uint32_t max_len;
	bool single;	/* at most one per file */
};

/* queue_file_record_info - the description of type, or NULL if unknown. */
const struct queue_record_info *queue_file_record_info(uint8_t type);

/* queue_err_name - "io", "corrupt", ... for logging. */
const char *queue_err_name(enum queue_err err);

/* queue_file_header_append - append the version 1 file header to b. */
void queue_file_header_append(struct buf *b);

/*
 * queue_file_header_check - whether the first QUEUE_FILE_HEADER_SIZE bytes
 * at p are a header this reader understands; *error_r says why not.
 */
bool queue_file_header_check(const uint8_t *p, const char **error_r);

/*
 * queue_file_record_append - append one record (header and n value bytes)
 * to b. The caller has checked n against the type's limits and b's room.
 */
void queue_file_record_append(struct buf *b, uint8_t type, const void *p,
			      size_t n);

/* queue_file_record_header_put - the 5-byte record header at out. */
void queue_file_record_header_put(uint8_t *out, uint8_t type, uint32_t len);

/* queue_file_record_header_get - decode the 5-byte record header at p. */
void queue_file_record_header_get(const uint8_t *p, uint8_t *type_r,
				  uint32_t *len_r);

/*
 * queue_file_value_check - whether the n value bytes at p are well formed
 * for a single-valued text, number or flag record of type (not RCPT, ATTR,
 * CONTENT, END, which have their own functions). Length limits included.
 */
bool queue_file_value_check(uint8_t type, const uint8_t *p, size_t n);

/*
 * queue_file_attr_check - whether "name=value" (n bytes at p) is a valid
 * ATTR value; *name_len_r gets the length of the name.
 */
bool queue_file_attr_check(const uint8_t *p, size_t n, size_t *name_len_r);

/*
 * queue_file_rcpt_append - append a RCPT record for rcpt to b. Returns 0,
 * or -1 with *error_r when a field is too long or malformed (nothing is
 * appended then).
 */
int queue_file_rcpt_append(struct buf *b, const struct queue_rcpt *rcpt,
			   const char **error_r);

/*
 * queue_file_rcpt_parse - decode the n value bytes at p of a RCPT record
 * into *rcpt_r (strings newly allocated, status_offset left alone). Returns
 * 0, or -1 with *error_r when the value is malformed (nothing allocated).
 * Free the result with queue_file_rcpt_deinit.
 */
int queue_file_rcpt_parse(const uint8_t *p, size_t n,
			  struct queue_rcpt *rcpt_r, const char **error_r);

/* queue_file_rcpt_deinit - free the strings of a parsed recipient. */
void queue_file_rcpt_deinit(struct queue_rcpt *rcpt);

/* queue_file_status_byte - the on-disk byte of status. */
uint8_t queue_file_status_byte(enum queue_rcpt_status status);

/*
 * queue_file_mark_rcpt - durably record a recipient's status: pwrite the
 * status byte at status_offset of the open queue file fd, then fdatasync.
 * Returns 0, or -1 with *error_r set and errno kept (the status may or may
 * not have reached the disk: treat the recipient as still pending).
 */
int queue_file_mark_rcpt(int fd, uint64_t status_offset,
			 enum queue_rcpt_status status, const char **error_r);

/*
 * queue_file_mark_rcpt_write - queue_file_mark_rcpt without the fdatasync:
 * for a caller that syncs once after several marks, or that removes the
 * file next (see docs/queue-format.md, "Recipient status").
 */
int queue_file_mark_rcpt_write(int fd, uint64_t status_offset,
			       enum queue_rcpt_status status,
			       const char **error_r);

/* queue_file_put_u32/u64, get_u32/u64 - big-endian integers. */
void queue_file_put_u32(uint8_t *p, uint32_t v);
void queue_file_put_u64(uint8_t *p, uint64_t v);
uint32_t queue_file_get_u32(const uint8_t *p);
uint64_t queue_file_get_u64(const uint8_t *p);

#endif
