/*
 * cache.h - the per-folder IMAP cache file (format version 1,
 * docs/imapd.md "The cache file"): ENVELOPE, BODY and BODYSTRUCTURE of
 * each message, as sent, keyed by UID, so that FETCH of those for
 * thousands of messages reads no message file.
 *
 * The file "mailroom-imapcache" in the folder directory:
 *
 *	header  32 octets: "MRIMAPC\n", version 1, UIDVALIDITY, count,
 *	        index checksum, file size (little-endian integers)
 *	index   count x (UID, offset of its record), UIDs ascending
 *	records UID, three text lengths, checksum, then the texts
 *
 * A struct imap_cache is one folder's: the index of the file (read at
 * load, 8 octets a message) plus entries learnt since (in memory until
 * imap_cache_write rewrites the file: temporary file, rename). Records
 * are read on demand (pread through a small window) and checked against
 * their checksum; a damaged file or record is treated as missing and
 * rebuilt, never trusted. Caches are only a speed-up: every entry can be
 * computed again from the message.
 *
 * Threads: one thread at a time per struct (the mailbox's job rule).
 */
#ifndef MR_IMAPD_CACHE_H
#define MR_IMAPD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/mailstore.h"

/* The file in each folder, and the start of its temporary names while
 * written (".PID.RANDOM" follows). */
#define IMAP_CACHE_FILE "mailroom-imapcache"
#define IMAP_CACHE_TMP "mailroom-imapcache.tmp"
/* The first eight octets, and the version that follows them. */
#define IMAP_CACHE_MAGIC "MRIMAPC\n"
#define IMAP_CACHE_VERSION 1
/* Header and per-message index entry sizes. */
#define IMAP_CACHE_HEADER_SIZE 32
#define IMAP_CACHE_INDEX_ENTRY 8
#define IMAP_CACHE_RECORD_HEADER 20
/* Longest text kept (a longer BODYSTRUCTURE is computed each time). */
#define IMAP_CACHE_TEXT_MAX (1024u * 1024)
/* Offsets are 32-bit: the file stays below 4 GiB. */
#define IMAP_CACHE_FILE_MAX 0xffffffffu
/* Entries learnt before a rewrite is worth it (or at close). */
#define IMAP_CACHE_WRITE_MIN 64

/* One message's texts (not NUL-terminated). */
struct imap_cache_entry {
	const char *envelope;
	size_t envelope_len;
	const char *body;
	size_t body_len;
	const char *bodystructure;
	size_t bodystructure_len;
};

/* A parsed header. */
struct imap_cache_header {
	uint32_t version;
	uint32_t uidvalidity;
	uint32_t count;
	uint32_t index_check;
	uint64_t file_size;
};

struct imap_cache;

/* imap_cache_new - an empty cache (nothing loaded). */
struct imap_cache *imap_cache_new(void);

/* imap_cache_free - close and release; NULLs *c. */
void imap_cache_free(struct imap_cache **c);

/*
 * imap_cache_load - read the file's header and index for folder f
 * (synced: its UIDVALIDITY counts) unless already loaded for it. A
 * missing file, or one of another UIDVALIDITY, gives an empty cache; a
 * damaged one too, with warning (size octets) set for the caller to log
 * and the file removed. Never fails.
 */
void imap_cache_load(struct imap_cache *c, struct mailstore_folder *f,
		     char *warning, size_t size);

/*
 * imap_cache_get - the entry of uid: 1 with *e filled (valid until the
 * next call on c), 0 when the cache does not have it (or its record is
 * damaged).
 */
int imap_cache_get(struct imap_cache *c, uint32_t uid,
		   struct imap_cache_entry *e);

/* imap_cache_put - remember uid's entry (copied); too large: ignored. */
void imap_cache_put(struct imap_cache *c, uint32_t uid,
		    const struct imap_cache_entry *e);

/* imap_cache_is_dirty - entries not yet in the file. */
bool imap_cache_is_dirty(const struct imap_cache *c);

/* imap_cache_wants_write - enough new entries to rewrite the file now. */
bool imap_cache_wants_write(const struct imap_cache *c);

/*
 * imap_cache_write - rewrite the file with the entries of the messages
 * folder f still has (checked records of the old file, then the new
 * ones): a temporary file renamed over the old. Returns 0, or -1 with
 * *error_r (the cache keeps its entries).
 */
int imap_cache_write(struct imap_cache *c, struct mailstore_folder *f,
		     const char **error_r);

/* ---- the format, for the code above, tests and fuzzing ---- */

/*
 * imap_cache_header_parse - the header at p (n >= IMAP_CACHE_HEADER_SIZE
 * octets). Returns 0, or -1 with *error_r (static text).
 */
int imap_cache_header_parse(const uint8_t *p, size_t n,
			    struct imap_cache_header *h, const char **error_r);

/*
 * imap_cache_index_check - the index of h->count entries at p: UIDs
 * ascending and non-zero, offsets ascending, each record at least
 * IMAP_CACHE_RECORD_HEADER octets, the first right after the index, all
 * inside h->file_size; the checksum matches. Returns 0, or -1 with
 * *error_r.
 */
int imap_cache_index_check(const uint8_t *p, const struct imap_cache_header *h,
			   const char **error_r);

/* imap_cache_index_entry - entry i of a checked index. */
void imap_cache_index_entry(const uint8_t *index, size_t i, uint32_t *uid_r,
			    uint32_t *offset_r);

/*
 * imap_cache_record_parse - the record of uid at p, exactly n octets.
 * Returns 0 with *e pointing into p, or -1 with *error_r (wrong UID,
 * lengths, checksum).
 */
int imap_cache_record_parse(const uint8_t *p, size_t n, uint32_t uid,
			    struct imap_cache_entry *e, const char **error_r);

/* imap_cache_record_format - append uid's record to out. */
void imap_cache_record_format(struct buf *out, uint32_t uid,
			      const struct imap_cache_entry *e);

/* imap_cache_record_size - octets of that record. */
size_t imap_cache_record_size(const struct imap_cache_entry *e);

/*
 * imap_cache_head_format - append the header and index for count
 * records of the given UIDs and sizes (file size computed) to out.
 */
void imap_cache_head_format(struct buf *out, uint32_t uidvalidity,
			    const uint32_t *uids, const size_t *sizes,
			    size_t count);

#endif
