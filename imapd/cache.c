/*
 * cache.c - the per-folder IMAP cache file (see cache.h, docs/imapd.md
 * "The cache file").
 *
 * imap_cache_new/free, imap_cache_load, imap_cache_get, imap_cache_put,
 * imap_cache_is_dirty, imap_cache_wants_write, imap_cache_write - the
 * cache of one folder
 * imap_cache_header_parse, imap_cache_index_check, imap_cache_index_entry,
 * imap_cache_record_parse, imap_cache_record_format,
 * imap_cache_record_size, imap_cache_head_format - the format
 *
 * Untrusted input: the file lives in the user's Maildir, which the user
 * may write. Every length is checked against the file size and the
 * limits before use, the index once at load, each record (its UID, its
 * lengths, its checksum) when it is read; a damaged file is removed and
 * rebuilt. SECURITY: a record that passes the checks is inserted into
 * FETCH responses as it is; only the mailbox's owner can forge one, and
 * only into their own session. Runs in the loop thread (get, put) and in
 * mail workers (load, write), one at a time per cache. Limits:
 * IMAP_CACHE_TEXT_MAX per text, IMAP_CACHE_FILE_MAX per file,
 * MAILSTORE_MESSAGES_MAX records.
 */
#include "imapd/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/checked.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"

/* Octets read at once around a record (records are read in UID order). */
#define IMAP_CACHE_WINDOW (64u * 1024)
/* The largest record. */
#define IMAP_CACHE_RECORD_MAX                                               \
	(IMAP_CACHE_RECORD_HEADER + 3 * (size_t)IMAP_CACHE_TEXT_MAX)
/* Output buffer of the writer. */
#define IMAP_CACHE_WRITE_CHUNK (256u * 1024)
/* Modes of what we create: the user's private mail. */
#define IMAP_CACHE_FILE_MODE 0600

/* One record of the file, from its index. */
struct cache_idx {
	uint32_t uid;
	uint32_t offset;
};

/* An entry learnt since the file was read: its formatted record. */
struct cache_pend {
	uint32_t uid;
	uint8_t *rec;
	size_t len;
};

struct imap_cache {
	bool loaded;
	int fd;				/* the file read, or -1 */
	dev_t dev;			/* its identity when read or written */
	ino_t ino;
	struct timespec mtime;
	uint64_t file_size;
	uint32_t uidvalidity;
	struct cache_idx *idx;
	size_t count;
	struct cache_pend *pend;	/* ascending UID */
	size_t pend_count, pend_cap;
	struct buf win;			/* file octets from win_off */
	uint64_t win_off;
	char error[MAILSTORE_ERROR_MAX];
};

/* le32 - a little-endian 32-bit number */
static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* put_le32 - append a little-endian 32-bit number */
static void
put_le32(struct buf *out, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	buf_append(out, b, sizeof(b));
}

/* fnv1a - FNV-1a 32 over n octets, continuing from h */
static uint32_t
fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

#define FNV_INIT 2166136261u

/* imap_cache_header_parse - the 32-octet header */
int
imap_cache_header_parse(const uint8_t *p, size_t n,
			struct imap_cache_header *h, const char **error_r)
{
	if (n < IMAP_CACHE_HEADER_SIZE ||
	    memcmp(p, IMAP_CACHE_MAGIC, 8) != 0) {
		*error_r = "not a cache file";
		return -1;
	}
	h->version = le32(p + 8);
	h->uidvalidity = le32(p + 12);
	h->count = le32(p + 16);
	h->index_check = le32(p + 20);
	h->file_size = (uint64_t)le32(p + 24) | (uint64_t)le32(p + 28) << 32;
	if (h->version != IMAP_CACHE_VERSION) {
		*error_r = "unknown version";
		return -1;
	}
	if (h->count > MAILSTORE_MESSAGES_MAX) {
		*error_r = "too many records";
		return -1;
	}
	if (h->file_size > IMAP_CACHE_FILE_MAX ||
	    h->file_size < IMAP_CACHE_HEADER_SIZE +
				   (uint64_t)h->count *
					   (IMAP_CACHE_INDEX_ENTRY +
					    IMAP_CACHE_RECORD_HEADER)) {
		*error_r = "bad file size";
		return -1;
	}
	return 0;
}

/* imap_cache_index_entry - entry i of the index */
void
imap_cache_index_entry(const uint8_t *index, size_t i, uint32_t *uid_r,
		       uint32_t *offset_r)
{
	*uid_r = le32(index + i * IMAP_CACHE_INDEX_ENTRY);
	*offset_r = le32(index + i * IMAP_CACHE_INDEX_ENTRY + 4);
}

/* imap_cache_index_check - every index invariant */
int
imap_cache_index_check(const uint8_t *p, const struct imap_cache_header *h,
		       const char **error_r)
{
	uint64_t first = IMAP_CACHE_HEADER_SIZE +
			 (uint64_t)h->count * IMAP_CACHE_INDEX_ENTRY;
	uint32_t prev_uid = 0, uid, off;
	uint64_t prev_off = 0;
	size_t i;

	if (fnv1a(FNV_INIT, p, (size_t)h->count * IMAP_CACHE_INDEX_ENTRY) !=
	    h->index_check) {
		*error_r = "index checksum mismatch";
		return -1;
	}
	for (i = 0; i < h->count; i++) {
		imap_cache_index_entry(p, i, &uid, &off);
		if (uid <= prev_uid) {
			*error_r = "UIDs not ascending";
			return -1;
		}
		if (i == 0 ? off != first
			   : off < prev_off + IMAP_CACHE_RECORD_HEADER) {
			*error_r = "bad record offset";
			return -1;
		}
		prev_uid = uid;
		prev_off = off;
	}
	if (h->count == 0 ? h->file_size != first
			  : prev_off + IMAP_CACHE_RECORD_HEADER >
				    h->file_size) {
		*error_r = "bad file size";
		return -1;
	}
	return 0;
}

/* imap_cache_record_size - octets of a record */
size_t
imap_cache_record_size(const struct imap_cache_entry *e)
{
	return IMAP_CACHE_RECORD_HEADER + e->envelope_len + e->body_len +
	       e->bodystructure_len;
}

/* imap_cache_record_parse - check a record and point at its texts */
int
imap_cache_record_parse(const uint8_t *p, size_t n, uint32_t uid,
			struct imap_cache_entry *e, const char **error_r)
{
	uint32_t env, body, bs, check;

	if (n < IMAP_CACHE_RECORD_HEADER || le32(p) != uid) {
		*error_r = "record UID mismatch";
		return -1;
	}
	env = le32(p + 4);
	body = le32(p + 8);
	bs = le32(p + 12);
	check = le32(p + 16);
	if (env > IMAP_CACHE_TEXT_MAX || body > IMAP_CACHE_TEXT_MAX ||
	    bs > IMAP_CACHE_TEXT_MAX ||
	    (uint64_t)IMAP_CACHE_RECORD_HEADER + env + body + bs != n) {
		*error_r = "bad record lengths";
		return -1;
	}
	if (fnv1a(fnv1a(FNV_INIT, p, 16), p + IMAP_CACHE_RECORD_HEADER,
		  n - IMAP_CACHE_RECORD_HEADER) != check) {
		*error_r = "record checksum mismatch";
		return -1;
	}
	e->envelope = (const char *)p + IMAP_CACHE_RECORD_HEADER;
	e->envelope_len = env;
	e->body = e->envelope + env;
	e->body_len = body;
	e->bodystructure = e->body + body;
	e->bodystructure_len = bs;
	return 0;
}

/* imap_cache_record_format - append a record */
void
imap_cache_record_format(struct buf *out, uint32_t uid,
			 const struct imap_cache_entry *e)
{
	size_t start = out->len;
	uint32_t check;

	put_le32(out, uid);
	put_le32(out, (uint32_t)e->envelope_len);
	put_le32(out, (uint32_t)e->body_len);
	put_le32(out, (uint32_t)e->bodystructure_len);
	check = fnv1a(FNV_INIT, out->data + start, 16);
	check = fnv1a(check, (const uint8_t *)e->envelope, e->envelope_len);
	check = fnv1a(check, (const uint8_t *)e->body, e->body_len);
	check = fnv1a(check, (const uint8_t *)e->bodystructure,
		      e->bodystructure_len);
	put_le32(out, check);
	buf_append(out, e->envelope, e->envelope_len);
	buf_append(out, e->body, e->body_len);
	buf_append(out, e->bodystructure, e->bodystructure_len);
}

/* imap_cache_head_format - header and index */
void
imap_cache_head_format(struct buf *out, uint32_t uidvalidity,
		       const uint32_t *uids, const size_t *sizes,
		       size_t count)
{
	uint64_t off = IMAP_CACHE_HEADER_SIZE +
		       (uint64_t)count * IMAP_CACHE_INDEX_ENTRY;
	size_t start, i;
	uint32_t check;

	buf_append(out, IMAP_CACHE_MAGIC, 8);
	put_le32(out, IMAP_CACHE_VERSION);
	put_le32(out, uidvalidity);
	put_le32(out, (uint32_t)count);
	put_le32(out, 0); /* index checksum, below */
	put_le32(out, 0); /* file size, below */
	put_le32(out, 0);
	start = out->len;
	for (i = 0; i < count; i++) {
		put_le32(out, uids[i]);
		put_le32(out, (uint32_t)off);
		off += sizes[i];
	}
	check = fnv1a(FNV_INIT, out->data + start, out->len - start);
	/* UNSAFE: the three fields sit at fixed places of the header. */
	out->data[start - 12] = (uint8_t)check;
	out->data[start - 11] = (uint8_t)(check >> 8);
	out->data[start - 10] = (uint8_t)(check >> 16);
	out->data[start - 9] = (uint8_t)(check >> 24);
	for (i = 0; i < 8; i++)
		out->data[start - 8 + i] = (uint8_t)(off >> (8 * i));
}

/* imap_cache_new - an empty cache */
struct imap_cache *
imap_cache_new(void)
{
	struct imap_cache *c = mem_alloc(sizeof(*c));

	c->fd = -1;
	buf_init(&c->win, IMAP_CACHE_RECORD_MAX + IMAP_CACHE_WINDOW);
	return c;
}

/* pend_clear - forget the learnt entries */
static void
pend_clear(struct imap_cache *c)
{
	size_t i;

	for (i = 0; i < c->pend_count; i++)
		mem_free(&c->pend[i].rec);
	c->pend_count = 0;
}

/* cache_close - forget the file */
static void
cache_close(struct imap_cache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	mem_free(&c->idx);
	c->count = 0;
	c->file_size = 0;
	buf_reset(&c->win);
	c->win_off = 0;
}

/* imap_cache_free - release everything */
void
imap_cache_free(struct imap_cache **cp)
{
	struct imap_cache *c = *cp;

	if (c == NULL)
		return;
	cache_close(c);
	pend_clear(c);
	mem_free(&c->pend);
	buf_deinit(&c->win);
	mem_free(cp);
}

/* read_at - exactly n octets at off into p; -1 on error or short file */
static int
read_at(int fd, void *p, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (uint8_t *)p + done, n - done,
				  (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* cache_read_index - header and index of the open file */
static int
cache_read_index(struct imap_cache *c, int fd, uint32_t uidvalidity,
		 const char **error_r)
{
	uint8_t head[IMAP_CACHE_HEADER_SIZE];
	struct imap_cache_header h;
	struct stat st;
	uint8_t *index;
	size_t i, n;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = "not a regular file";
		return -1;
	}
	if (read_at(fd, head, sizeof(head), 0) < 0) {
		*error_r = "short file";
		return -1;
	}
	if (imap_cache_header_parse(head, sizeof(head), &h, error_r) < 0)
		return -1;
	if ((uint64_t)st.st_size != h.file_size) {
		*error_r = "file size mismatch";
		return -1;
	}
	if (h.uidvalidity != uidvalidity)
		return 0; /* an older UIDVALIDITY: start afresh, quietly */
	n = (size_t)h.count * IMAP_CACHE_INDEX_ENTRY;
	index = mem_alloc(n > 0 ? n : 1);
	if (read_at(fd, index, n, IMAP_CACHE_HEADER_SIZE) < 0) {
		mem_free(&index);
		*error_r = "short file";
		return -1;
	}
	if (imap_cache_index_check(index, &h, error_r) < 0) {
		mem_free(&index);
		return -1;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->mtime = st.st_mtim;
	c->idx = mem_alloc_array(h.count > 0 ? h.count : 1, sizeof(*c->idx));
	for (i = 0; i < h.count; i++)
		imap_cache_index_entry(index, i, &c->idx[i].uid,
				       &c->idx[i].offset);
	mem_free(&index);
	c->count = h.count;
	c->file_size = h.file_size;
	c->fd = fd;
	return 1;
}

/* imap_cache_load - the file's index, once per UIDVALIDITY */
void
imap_cache_load(struct imap_cache *c, struct mailstore_folder *f,
		char *warning, size_t size)
{
	int dir = mailstore_folder_fd(f, MAILSTORE_SUBDIR_FOLDER), fd, rc;
	uint32_t uidvalidity = mailstore_uidvalidity(f);
	const char *error = NULL;

	warning[0] = '\0';
	if (c->loaded && c->uidvalidity == uidvalidity) {
		struct stat st;

		/* Unchanged since we read or wrote it (another process may
		 * have rewritten it, or someone damaged it). */
		if (fstatat(dir, IMAP_CACHE_FILE, &st, AT_SYMLINK_NOFOLLOW) <
			    0 ?
			    c->fd < 0 :
			    c->fd >= 0 && st.st_dev == c->dev &&
				    st.st_ino == c->ino &&
				    (uint64_t)st.st_size == c->file_size &&
				    st.st_mtim.tv_sec == c->mtime.tv_sec &&
				    st.st_mtim.tv_nsec == c->mtime.tv_nsec)
			return;
		/* Entries learnt stay: they are ours. */
		cache_close(c);
	} else {
		cache_close(c);
		pend_clear(c);
	}
	c->loaded = true;
	c->uidvalidity = uidvalidity;
	fd = openat(dir, IMAP_CACHE_FILE,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno != ENOENT)
			snprintf(warning, size, "folder %s: open %s: %s",
				 mailstore_folder_name(f), IMAP_CACHE_FILE,
				 strerror(errno));
		return;
	}
	rc = cache_read_index(c, fd, uidvalidity, &error);
	if (rc > 0)
		return;
	close(fd);
	if (rc < 0) {
		snprintf(warning, size,
			 "folder %s: damaged %s (%s); rebuilding it",
			 mailstore_folder_name(f), IMAP_CACHE_FILE, error);
		(void)unlinkat(dir, IMAP_CACHE_FILE, 0);
	}
}

/* idx_find - the index position of uid, or -1 */
static long
idx_find(const struct imap_cache *c, uint32_t uid)
{
	size_t lo = 0, hi = c->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->idx[mid].uid == uid)
			return (long)mid;
		if (c->idx[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* pend_find - where uid is or would go among the learnt entries */
static size_t
pend_find(const struct imap_cache *c, uint32_t uid, bool *found_r)
{
	size_t lo = 0, hi = c->pend_count;

	/* Entries are learnt in UID order mostly: try the end first. */
	if (hi > 0 && c->pend[hi - 1].uid < uid) {
		*found_r = false;
		return hi;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->pend[mid].uid == uid) {
			*found_r = true;
			return mid;
		}
		if (c->pend[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found_r = false;
	return lo;
}

/* record_bytes - the octets of file record i (window reads) */
static const uint8_t *
record_bytes(struct imap_cache *c, size_t i, size_t *len_r)
{
	uint64_t off = c->idx[i].offset;
	uint64_t end = i + 1 < c->count ? c->idx[i + 1].offset : c->file_size;
	size_t len = (size_t)(end - off), want;

	if (len > IMAP_CACHE_RECORD_MAX)
		return NULL;
	if (off < c->win_off || end > c->win_off + c->win.len) {
		want = len > IMAP_CACHE_WINDOW ? len : IMAP_CACHE_WINDOW;
		if (want > c->file_size - off)
			want = (size_t)(c->file_size - off);
		buf_reset(&c->win);
		if (read_at(c->fd, buf_reserve(&c->win, want), want, off) < 0)
			return NULL;
		buf_commit(&c->win, want);
		c->win_off = off;
	}
	*len_r = len;
	/* UNSAFE: [off, end) lies inside the window, checked above. */
	return c->win.data + (off - c->win_off);
}

/* imap_cache_get - uid's entry */
int
imap_cache_get(struct imap_cache *c, uint32_t uid, struct imap_cache_entry *e)
{
	const uint8_t *rec;
	const char *error;
	size_t len, pos;
	bool found;
	long i;

	pos = pend_find(c, uid, &found);
	if (found)
		return imap_cache_record_parse(c->pend[pos].rec,
					       c->pend[pos].len, uid, e,
					       &error) == 0;
	if (c->fd < 0 || (i = idx_find(c, uid)) < 0)
		return 0;
	rec = record_bytes(c, (size_t)i, &len);
	if (rec == NULL || imap_cache_record_parse(rec, len, uid, e, &error) < 0)
		return 0;
	return 1;
}

/* imap_cache_put - remember a computed entry */
void
imap_cache_put(struct imap_cache *c, uint32_t uid,
	       const struct imap_cache_entry *e)
{
	struct buf rec;
	size_t pos, cap;
	bool found;

	if (e->envelope_len > IMAP_CACHE_TEXT_MAX ||
	    e->body_len > IMAP_CACHE_TEXT_MAX ||
	    e->bodystructure_len > IMAP_CACHE_TEXT_MAX)
		return;
	buf_init(&rec, IMAP_CACHE_RECORD_MAX);
	imap_cache_record_format(&rec, uid, e);
	pos = pend_find(c, uid, &found);
	if (found) {
		mem_free(&c->pend[pos].rec);
	} else {
		if (c->pend_count == c->pend_cap) {
			if (!checked_grow(c->pend_cap, c->pend_count + 1,
					  MAILSTORE_MESSAGES_MAX, &cap)) {
				buf_deinit(&rec);
				return;
			}
			c->pend = mem_realloc_array(c->pend, cap,
						    sizeof(*c->pend));
			c->pend_cap = cap;
		}
		memmove(&c->pend[pos + 1], &c->pend[pos],
			(c->pend_count - pos) * sizeof(*c->pend));
		c->pend_count++;
	}
	c->pend[pos].uid = uid;
	c->pend[pos].len = rec.len;
	c->pend[pos].rec = mem_memdup(rec.data, rec.len);
	buf_deinit(&rec);
}

/* imap_cache_is_dirty - entries not in the file */
bool
imap_cache_is_dirty(const struct imap_cache *c)
{
	return c->pend_count > 0;
}

/* imap_cache_wants_write - worth a rewrite now */
bool
imap_cache_wants_write(const struct imap_cache *c)
{
	return c->pend_count >= IMAP_CACHE_WRITE_MIN &&
	       c->pend_count * 4 >= c->count;
}

/* One record of the file being written. */
struct cache_out {
	uint32_t uid;
	bool from_file;		/* else pend[src] */
	size_t src;		/* index position or pend position */
	size_t len;
};

/* msg_is_live - the folder still has uid */
static bool
msg_is_live(struct mailstore_folder *f, uint32_t uid)
{
	long i = mailstore_find_uid(f, uid);

	return i >= 0 && !mailstore_msg(f, (size_t)i)->expunged;
}

/* cache_plan - the records of the new file, UID ascending */
static struct cache_out *
cache_plan(struct imap_cache *c, struct mailstore_folder *f, size_t *count_r)
{
	struct cache_out *out;
	struct imap_cache_entry e;
	const char *error;
	size_t i = 0, j = 0, n = 0, total;
	uint64_t size = IMAP_CACHE_HEADER_SIZE;

	if (!checked_add(c->count, c->pend_count, &total))
		log_panic("imap cache: record count overflow");
	out = mem_alloc_array(total > 0 ? total : 1, sizeof(*out));
	while (i < c->count || j < c->pend_count) {
		bool take_file = j >= c->pend_count ||
				 (i < c->count &&
				  c->idx[i].uid < c->pend[j].uid);
		struct cache_out o;

		memset(&o, 0, sizeof(o));
		if (take_file) {
			const uint8_t *rec = record_bytes(c, i, &o.len);

			o.uid = c->idx[i].uid;
			o.from_file = true;
			o.src = i++;
			if (rec == NULL ||
			    imap_cache_record_parse(rec, o.len, o.uid, &e,
						    &error) < 0)
				continue;
		} else {
			/* A new entry wins over the file's of the same UID. */
			if (i < c->count && c->idx[i].uid == c->pend[j].uid)
				i++;
			o.uid = c->pend[j].uid;
			o.len = c->pend[j].len;
			o.src = j++;
		}
		if (!msg_is_live(f, o.uid))
			continue;
		if (size + IMAP_CACHE_INDEX_ENTRY + o.len > IMAP_CACHE_FILE_MAX)
			break;
		size += IMAP_CACHE_INDEX_ENTRY + o.len;
		out[n++] = o;
	}
	*count_r = n;
	return out;
}

/* cache_emit - write the planned file to fd */
static int
cache_emit(struct imap_cache *c, int fd, const struct cache_out *plan,
	   size_t n)
{
	uint32_t *uids = mem_alloc_array(n > 0 ? n : 1, sizeof(*uids));
	size_t *sizes = mem_alloc_array(n > 0 ? n : 1, sizeof(*sizes));
	struct buf out;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		uids[i] = plan[i].uid;
		sizes[i] = plan[i].len;
	}
	buf_init(&out, IMAP_CACHE_HEADER_SIZE +
			       (size_t)MAILSTORE_MESSAGES_MAX *
				       IMAP_CACHE_INDEX_ENTRY +
			       IMAP_CACHE_WRITE_CHUNK + IMAP_CACHE_RECORD_MAX);
	imap_cache_head_format(&out, c->uidvalidity, uids, sizes, n);
	mem_free(&uids);
	mem_free(&sizes);
	for (i = 0; i < n && rc == 0; i++) {
		const uint8_t *rec;
		size_t len = 0;

		if (plan[i].from_file)
			rec = record_bytes(c, plan[i].src, &len);
		else
			rec = c->pend[plan[i].src].rec;
		if (rec == NULL) {
			errno = EIO;
			rc = -1;
			break;
		}
		buf_append(&out, rec, plan[i].len);
		if (out.len >= IMAP_CACHE_WRITE_CHUNK) {
			rc = io_write_full(fd, out.data, out.len);
			buf_reset(&out);
		}
	}
	if (rc == 0 && out.len > 0)
		rc = io_write_full(fd, out.data, out.len);
	buf_deinit(&out);
	return rc;
}

/* imap_cache_write - rewrite the file */
int
imap_cache_write(struct imap_cache *c, struct mailstore_folder *f,
		 const char **error_r)
{
	int dir = mailstore_folder_fd(f, MAILSTORE_SUBDIR_FOLDER), fd, saved;
	char tmp[sizeof(IMAP_CACHE_TMP) + 48];
	uint64_t random_bits = 0;
	struct cache_out *plan;
	struct stat st;
	uint64_t off;
	size_t n, i;

	if (!c->loaded)
		return 0;
	/* Processes may write the same folder's cache at once: each its
	 * own temporary name; the last rename wins, whole. */
	if (getrandom(&random_bits, sizeof(random_bits), 0) !=
	    (ssize_t)sizeof(random_bits))
		random_bits = (uint64_t)getpid() * 2654435761u;
	snprintf(tmp, sizeof(tmp), "%s.%ld.%016llx", IMAP_CACHE_TMP,
		 (long)getpid(), (unsigned long long)random_bits);
	plan = cache_plan(c, f, &n);
	fd = openat(dir, tmp,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY,
		    IMAP_CACHE_FILE_MODE);
	if (fd < 0 || cache_emit(c, fd, plan, n) < 0 ||
	    renameat(dir, tmp, dir, IMAP_CACHE_FILE) < 0) {
		saved = errno;
		if (fd >= 0) {
			close(fd);
			(void)unlinkat(dir, tmp, 0);
		}
		mem_free(&plan);
		snprintf(c->error, sizeof(c->error), "write %s: %s",
			 IMAP_CACHE_FILE, strerror(saved));
		*error_r = c->error;
		return -1;
	}
	/* The new file is what we read from now on. */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = fd;
	if (fstat(fd, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
		c->mtime = st.st_mtim;
	}
	mem_free(&c->idx);
	c->idx = mem_alloc_array(n > 0 ? n : 1, sizeof(*c->idx));
	off = IMAP_CACHE_HEADER_SIZE + (uint64_t)n * IMAP_CACHE_INDEX_ENTRY;
	for (i = 0; i < n; i++) {
		c->idx[i].uid = plan[i].uid;
		c->idx[i].offset = (uint32_t)off;
		off += plan[i].len;
	}
	c->count = n;
	c->file_size = off;
	buf_reset(&c->win);
	c->win_off = 0;
	pend_clear(c);
	mem_free(&plan);
	return 0;
}
