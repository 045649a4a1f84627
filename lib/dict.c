/*
 * dict.c - lookup tables in Berkeley DB files (see dict.h, docs/maps.md).
 *
 * dict_build  - build TYPE:PATH into PATH.db from the source file PATH
 * dict_open   - open PATH.db read-only, refusing stale or foreign files
 * dict_lookup - one key, with case folding when the table has it
 * dict_close  - release a table
 * dict_walk   - every entry of a table, under one shared lock
 * dict_update - change or delete one key in place under an exclusive lock
 *
 * Ownership: struct dict owns its Berkeley DB handle, its lock descriptor
 * and the buffer lookups return values in. Error strings of dict_build,
 * dict_open and dict_update live in a module buffer (see below).
 *
 * Trust: table paths come from configuration and are trusted; the table
 * contents are data. PATH.db must be a regular file and not a symbolic
 * link (opened with O_NOFOLLOW, then checked to be the very file Berkeley
 * DB opened). Values read back are bounded by DICT_SOURCE_MAX_VALUE, must
 * end in their NUL and hold no other NUL or control character. Runs with
 * the caller's privilege; dict_build run by root gives the new file the
 * source file's owner, like postmap.
 *
 * Concurrency: dict_build never writes a file a reader has open (new file,
 * rename). dict_update writes in place under an exclusive flock on
 * PATH.db; lookups hold a shared flock for each read and reopen the handle
 * when the file changed since (mtime, size or ctime: a rename over it drops
 * its link count and so changes its ctime), so Berkeley DB's page cache
 * never mixes old and new pages and a rebuilt table is picked up.
 */
#include "lib/dict.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/*
 * The format record. Its key starts with a control character, which no
 * source key and no dict_update key may hold, so it cannot collide with an
 * entry and no lookup can reach it. Format version 1: every key and value
 * is stored with one terminating NUL (Postfix's layout).
 */
#define DICT_META_KEY "\001mailroom-dict-format"
#define DICT_META_FOLD "version=1 fold=1"
#define DICT_META_NOFOLD "version=1 fold=0"
#define DICT_META_VALUE_MAX 64

/* Bytes read from the source file per parser feed. */
#define DICT_READ_CHUNK 65536

/* Attempts when the file is replaced between open and lock. */
#define DICT_OPEN_ATTEMPTS 5

/* Room for an error: two paths and some words. */
#define DICT_ERROR_MAX (2 * PATH_MAX + 512)

struct dict_spec {
	DBTYPE type;
	char path[PATH_MAX];	/* the source file */
	char db_path[PATH_MAX];	/* path.db */
};

struct dict {
	struct dict_spec spec;
	bool fold_case;		/* asked for by dict_open */
	bool table_folds;	/* recorded in the table */
	DB *db;
	int lock_fd;		/* PATH.db, for flock and identity */
	struct stat st;		/* lock_fd at open: change detection */
	char key[DICT_SOURCE_MAX_KEY + 2];	/* key + NUL, folded */
	char *value;		/* DICT_SOURCE_MAX_VALUE + 1 bytes */
	char error[DICT_ERROR_MAX];
};

/*
 * XXX: errors of dict_build, dict_open and dict_update have no object to
 * live in, so they go here, valid until the next such call. The processes
 * are single-threaded. Remove when lib/ gets a per-call scratch arena.
 */
static char dict_error[DICT_ERROR_MAX];

/* dict_fail - format into an error buffer, point *error_r at it, -1 */
static int __attribute__((format(printf, 4, 5)))
dict_fail(char *error, size_t size, const char **error_r, const char *fmt,
	  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, size, fmt, ap);
	va_end(ap);
	*error_r = error;
	return -1;
}

#define DICT_FAIL(error_r, ...)                                             \
	dict_fail(dict_error, sizeof(dict_error), (error_r), __VA_ARGS__)

/* dict_db_errcall - Berkeley DB's own diagnostics go to our log */
static void
dict_db_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)env;
	(void)prefix;
	/* Info only: every failure is also returned and reported by us. */
	log_info("berkeley db: %s", log_safe_str(msg));
}

/* dict_spec_parse - "hash:PATH" or "btree:PATH" */
static int
dict_spec_parse(const char *spec, struct dict_spec *out, const char **error_r)
{
	const char *path;
	int n;

	if (strnlen(spec, DICT_SPEC_MAX + 1) > DICT_SPEC_MAX)
		return DICT_FAIL(error_r, "table name too long");
	if (strncmp(spec, "hash:", 5) == 0) {
		out->type = DB_HASH;
		path = spec + 5;
	} else if (strncmp(spec, "btree:", 6) == 0) {
		out->type = DB_BTREE;
		path = spec + 6;
	} else {
		return DICT_FAIL(error_r,
				 "unsupported table type in \"%s\" (expected "
				 "hash:PATH or btree:PATH)",
				 log_safe_str(spec));
	}
	if (*path == '\0')
		return DICT_FAIL(error_r, "table \"%s\" has no path",
				 log_safe_str(spec));
	n = snprintf(out->path, sizeof(out->path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(out->path))
		return DICT_FAIL(error_r, "table path too long");
	n = snprintf(out->db_path, sizeof(out->db_path), "%s.db", path);
	if (n < 0 || (size_t)n >= sizeof(out->db_path))
		return DICT_FAIL(error_r, "table path too long");
	return 0;
}

/* dict_db_open - Berkeley DB handle on path; *ret_r gets the db error */
static DB *
dict_db_open(const char *path, DBTYPE type, u_int32_t flags, int mode,
	     int *ret_r)
{
	DB *db;
	int ret;

	ret = db_create(&db, NULL, 0);
	if (ret != 0) {
		*ret_r = ret;
		return NULL;
	}
	db->set_errcall(db, dict_db_errcall);
	ret = db->open(db, NULL, path, NULL, type, flags, mode);
	if (ret != 0) {
		db->close(db, 0);
		*ret_r = ret;
		return NULL;
	}
	return db;
}

/* dict_db_same_file - whether db's descriptor is the file st describes */
static bool
dict_db_same_file(DB *db, const struct stat *st)
{
	struct stat db_st;
	int fd;

	if (db->fd(db, &fd) != 0 || fstat(fd, &db_st) < 0)
		return false;
	return db_st.st_dev == st->st_dev && db_st.st_ino == st->st_ino;
}

/* dict_flock - flock that retries EINTR */
static int
dict_flock(int fd, int op)
{
	int rc;

	do
		rc = flock(fd, op);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* dict_put - store key and value, each with its NUL */
static int
dict_put(DB *db, const char *key, const char *value, u_int32_t flags)
{
	DBT k, v;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)(strlen(key) + 1);
	v.data = (void *)value;
	v.size = (u_int32_t)(strlen(value) + 1);
	return db->put(db, NULL, &k, &v, flags);
}

/* dict_meta_write - store the format record */
static int
dict_meta_write(DB *db, bool fold)
{
	return dict_put(db, DICT_META_KEY,
			fold ? DICT_META_FOLD : DICT_META_NOFOLD,
			DB_NOOVERWRITE);
}

/* dict_meta_read - check the format record, learn the folding */
static int
dict_meta_read(DB *db, const char *db_path, bool *fold_r,
	       const char **error_r)
{
	char value[DICT_META_VALUE_MAX];
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)DICT_META_KEY;
	k.size = sizeof(DICT_META_KEY);
	v.data = value;
	v.ulen = sizeof(value);
	v.flags = DB_DBT_USERMEM;
	ret = db->get(db, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return DICT_FAIL(error_r,
				 "table %s was not built by mailroom: rebuild "
				 "it with newaliases or \"mailroom map build\"",
				 db_path);
	if (ret != 0 && ret != DB_BUFFER_SMALL)
		return DICT_FAIL(error_r, "table %s: read format record: %s",
				 db_path, db_strerror(ret));
	if (ret == 0 && v.size == sizeof(DICT_META_FOLD) &&
	    memcmp(value, DICT_META_FOLD, v.size) == 0) {
		*fold_r = true;
		return 0;
	}
	if (ret == 0 && v.size == sizeof(DICT_META_NOFOLD) &&
	    memcmp(value, DICT_META_NOFOLD, v.size) == 0) {
		*fold_r = false;
		return 0;
	}
	return DICT_FAIL(error_r, "table %s has an unknown format version",
			 db_path);
}

/* dict_is_newer - whether a is a later time than b */
static bool
dict_is_newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* dict_open_file - O_NOFOLLOW open of PATH.db, must be a regular file */
static int
dict_open_file(const char *db_path, int oflags, struct stat *st,
	       const char **error_r)
{
	int fd;

	/* SECURITY: no symlink and no FIFO (O_NONBLOCK: open cannot hang). */
	fd = open(db_path,
		  oflags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return DICT_FAIL(error_r,
					 "table %s is a symbolic link: "
					 "refused",
					 db_path);
		return DICT_FAIL(error_r, "cannot open table %s: %s", db_path,
				 strerror(errno));
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return DICT_FAIL(error_r, "table %s is not a regular file",
				 db_path);
	}
	return fd;
}

/* dict_close_handles - drop the db handle and the lock descriptor */
static void
dict_close_handles(struct dict *d)
{
	if (d->db != NULL) {
		d->db->close(d->db, 0);
		d->db = NULL;
	}
	if (d->lock_fd >= 0) {
		close(d->lock_fd);
		d->lock_fd = -1;
	}
}

/*
 * dict_open_handles - open PATH.db for reading: file checks, staleness,
 * then the db under a shared lock. Returns 0, 1 when the file was replaced
 * while we opened it (try again), or -1.
 */
static int
dict_open_handles(struct dict *d, const char **error_r)
{
	struct stat src_st;
	int fd, ret;

	fd = dict_open_file(d->spec.db_path, O_RDONLY, &d->st, error_r);
	if (fd < 0)
		return -1;
	d->lock_fd = fd;
	/* The source may be out of reach (chroot, permissions): then the
	 * table is used as it is, like Postfix does. */
	if (stat(d->spec.path, &src_st) == 0 &&
	    dict_is_newer(&src_st.st_mtim, &d->st.st_mtim)) {
		dict_close_handles(d);
		return DICT_FAIL(error_r,
				 "table %s is older than its source %s: run "
				 "newaliases or \"mailroom map build\"",
				 d->spec.db_path, d->spec.path);
	}
	if (dict_flock(fd, LOCK_SH) < 0) {
		dict_close_handles(d);
		return DICT_FAIL(error_r, "lock table %s: %s", d->spec.db_path,
				 strerror(errno));
	}
	/* Changes before the lock was granted count as the file we open. */
	if (fstat(fd, &d->st) < 0) {
		dict_close_handles(d);
		return DICT_FAIL(error_r, "stat table %s: %s", d->spec.db_path,
				 strerror(errno));
	}
	d->db = dict_db_open(d->spec.db_path, d->spec.type, DB_RDONLY, 0,
			     &ret);
	if (d->db == NULL) {
		dict_close_handles(d);
		return DICT_FAIL(error_r, "cannot open table %s: %s",
				 d->spec.db_path, db_strerror(ret));
	}
	/* SECURITY: Berkeley DB opened by name; make sure it is our file. */
	if (!dict_db_same_file(d->db, &d->st)) {
		dict_close_handles(d);
		return 1;
	}
	if (dict_meta_read(d->db, d->spec.db_path, &d->table_folds,
			   error_r) < 0) {
		dict_close_handles(d);
		return -1;
	}
	(void)dict_flock(fd, LOCK_UN);
	return 0;
}

/* dict_reopen - open the handles, retrying while the file is replaced */
static int
dict_reopen(struct dict *d, const char **error_r)
{
	int attempt, rc = 1;

	dict_close_handles(d);
	for (attempt = 0; attempt < DICT_OPEN_ATTEMPTS && rc == 1; attempt++)
		rc = dict_open_handles(d, error_r);
	if (rc == 1)
		return DICT_FAIL(error_r, "table %s keeps changing while it "
				 "is opened", d->spec.db_path);
	return rc;
}

/* dict_open - open a table for lookups */
struct dict *
dict_open(const char *spec, int flags, const char **error_r)
{
	struct dict *d = mem_alloc(sizeof(*d));

	d->lock_fd = -1;
	if (dict_spec_parse(spec, &d->spec, error_r) < 0 ||
	    dict_reopen(d, error_r) < 0) {
		dict_close(&d);
		return NULL;
	}
	d->fold_case = (flags & DICT_FLAG_FOLD_CASE) != 0;
	d->value = mem_alloc((size_t)DICT_SOURCE_MAX_VALUE + 1);
	return d;
}

/* dict_close - release a table */
void
dict_close(struct dict **dp)
{
	struct dict *d = *dp;

	if (d == NULL)
		return;
	dict_close_handles(d);
	mem_free(&d->value);
	mem_free(dp);
}

/* dict_has_changed - whether the locked file differs from the one opened */
static bool
dict_has_changed(const struct dict *d, const struct stat *now)
{
	return now->st_size != d->st.st_size ||
	       now->st_mtim.tv_sec != d->st.st_mtim.tv_sec ||
	       now->st_mtim.tv_nsec != d->st.st_mtim.tv_nsec ||
	       now->st_ctim.tv_sec != d->st.st_ctim.tv_sec ||
	       now->st_ctim.tv_nsec != d->st.st_ctim.tv_nsec;
}

/* dict_key_prepare - validate and fold a lookup key into d->key */
static bool
dict_key_prepare(struct dict *d, const char *key)
{
	size_t len = strnlen(key, DICT_SOURCE_MAX_KEY + 1);

	if (len > DICT_SOURCE_MAX_KEY || !dict_source_is_valid_key(key))
		return false;
	memcpy(d->key, key, len + 1);
	if (d->fold_case || d->table_folds)
		str_lower(d->key);
	return true;
}

/*
 * dict_is_stored_string - whether size bytes read from the table are one
 * string with its NUL: no other NUL, no control character (tab allowed
 * when allow_tab, for values).
 */
static bool
dict_is_stored_string(const char *p, size_t size, bool allow_tab)
{
	size_t i;

	if (size == 0 || p[size - 1] != '\0')
		return false;
	for (i = 0; i + 1 < size; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && !(c == '\t' && allow_tab)) || c == 0x7f)
			return false;
	}
	return true;
}

/* dict_get_locked - the read itself, under the shared lock */
static int
dict_get_locked(struct dict *d, const char **value_r, const char **error_r)
{
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = d->key;
	k.size = (u_int32_t)(strlen(d->key) + 1);
	/* SECURITY: the value lands in our buffer of fixed size; a longer
	 * one is refused by Berkeley DB with DB_BUFFER_SMALL. */
	v.data = d->value;
	v.ulen = DICT_SOURCE_MAX_VALUE + 1;
	v.flags = DB_DBT_USERMEM;
	ret = d->db->get(d->db, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == DB_BUFFER_SMALL)
		return dict_fail(d->error, sizeof(d->error), error_r,
				 "table %s: value for key \"%s\" too long",
				 d->spec.db_path, log_safe_str(d->key));
	if (ret != 0)
		return dict_fail(d->error, sizeof(d->error), error_r,
				 "table %s: lookup of \"%s\": %s",
				 d->spec.db_path, log_safe_str(d->key),
				 db_strerror(ret));
	if (!dict_is_stored_string(d->value, v.size, true))
		return dict_fail(d->error, sizeof(d->error), error_r,
				 "table %s: malformed value for key \"%s\"",
				 d->spec.db_path, log_safe_str(d->key));
	*value_r = d->value;
	return 1;
}

/*
 * dict_lock_current - take the shared lock on an up-to-date handle: reopen
 * when the table was updated in place or replaced since it was opened
 * (the page cache may be stale). Returns 0 with the lock held, or -1.
 */
static int
dict_lock_current(struct dict *d, const char **error_r)
{
	struct stat now;
	int attempt;

	for (attempt = 0;; attempt++) {
		if (attempt == DICT_OPEN_ATTEMPTS)
			return dict_fail(d->error, sizeof(d->error), error_r,
					 "table %s keeps changing",
					 d->spec.db_path);
		if (d->db == NULL && dict_reopen(d, error_r) < 0) {
			/* dict_error is shared by the open functions. */
			snprintf(d->error, sizeof(d->error), "%s", *error_r);
			*error_r = d->error;
			return -1;
		}
		if (dict_flock(d->lock_fd, LOCK_SH) < 0 ||
		    fstat(d->lock_fd, &now) < 0)
			return dict_fail(d->error, sizeof(d->error), error_r,
					 "lock table %s: %s", d->spec.db_path,
					 strerror(errno));
		if (!dict_has_changed(d, &now))
			return 0;
		dict_close_handles(d);
	}
}

/* dict_lookup - find one key */
int
dict_lookup(struct dict *d, const char *key, const char **value_r,
	    const char **error_r)
{
	int rc;

	if (dict_lock_current(d, error_r) < 0)
		return -1;
	if (!dict_key_prepare(d, key))
		rc = 0;
	else
		rc = dict_get_locked(d, value_r, error_r);
	(void)dict_flock(d->lock_fd, LOCK_UN);
	return rc;
}

/*
 * dict_walk_locked - the cursor loop of dict_walk, under the shared lock.
 * Keys are checked like values (no NUL inside, no control character): the
 * format record, whose key starts with \001, is the one exception.
 */
static int
dict_walk_locked(struct dict *d, dict_walk_fn *cb, void *ctx,
		 const char **error_r)
{
	DBC *cursor;
	DBT k, v;
	int ret, rc = 0;

	ret = d->db->cursor(d->db, NULL, &cursor, 0);
	if (ret != 0)
		return dict_fail(d->error, sizeof(d->error), error_r,
				 "table %s: cursor: %s", d->spec.db_path,
				 db_strerror(ret));
	for (;;) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		/* SECURITY: fixed buffers; longer records are refused by
		 * Berkeley DB with DB_BUFFER_SMALL. */
		k.data = d->key;
		k.ulen = sizeof(d->key);
		k.flags = DB_DBT_USERMEM;
		v.data = d->value;
		v.ulen = DICT_SOURCE_MAX_VALUE + 1;
		v.flags = DB_DBT_USERMEM;
		ret = cursor->get(cursor, &k, &v, DB_NEXT);
		if (ret == DB_NOTFOUND)
			break;
		if (ret == DB_BUFFER_SMALL) {
			rc = dict_fail(d->error, sizeof(d->error), error_r,
				       "table %s: entry too long",
				       d->spec.db_path);
			break;
		}
		if (ret != 0) {
			rc = dict_fail(d->error, sizeof(d->error), error_r,
				       "table %s: read: %s", d->spec.db_path,
				       db_strerror(ret));
			break;
		}
		if (k.size == sizeof(DICT_META_KEY) &&
		    memcmp(d->key, DICT_META_KEY, k.size) == 0)
			continue;
		if (!dict_is_stored_string(d->key, k.size, false)) {
			rc = dict_fail(d->error, sizeof(d->error), error_r,
				       "table %s: malformed key",
				       d->spec.db_path);
			break;
		}
		if (!dict_is_stored_string(d->value, v.size, true)) {
			rc = dict_fail(d->error, sizeof(d->error), error_r,
				       "table %s: malformed value for key "
				       "\"%s\"",
				       d->spec.db_path, log_safe_str(d->key));
			break;
		}
		if (cb(ctx, d->key, d->value) != 0)
			break;
	}
	cursor->close(cursor);
	return rc;
}

/* dict_walk - every entry, in table order */
int
dict_walk(struct dict *d, dict_walk_fn *cb, void *ctx, const char **error_r)
{
	int rc;

	if (dict_lock_current(d, error_r) < 0)
		return -1;
	rc = dict_walk_locked(d, cb, ctx, error_r);
	(void)dict_flock(d->lock_fd, LOCK_UN);
	return rc;
}

/* dict_read_source - feed the source file to the parser */
static int
dict_read_source(int fd, struct dict_source *src, const char *path,
		 const char **error_r)
{
	uint8_t *chunk = mem_alloc(DICT_READ_CHUNK);
	int rc = 0;

	for (;;) {
		ssize_t r = read(fd, chunk, DICT_READ_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = DICT_FAIL(error_r, "read %s: %s", path,
				       strerror(errno));
			break;
		}
		if (r == 0) {
			rc = dict_source_finish(src, error_r);
			break;
		}
		if (dict_source_feed(src, chunk, (size_t)r, error_r) < 0) {
			rc = -1;
			break;
		}
	}
	mem_free(&chunk);
	return rc;
}

/* State of one build, for the parser's callback. */
struct dict_build_ctx {
	DB *db;
	const char *tmp_path;
	int db_ret;		/* Berkeley DB error that stopped the build */
};

/* dict_build_entry - store one parsed entry */
static int
dict_build_entry(void *ctx, const char *key, const char *value, size_t line)
{
	struct dict_build_ctx *b = ctx;

	(void)line;
	/* The parser drops duplicates, so an existing key is our bug. */
	b->db_ret = dict_put(b->db, key, value, DB_NOOVERWRITE);
	MR_ASSERT(b->db_ret != DB_KEYEXIST);
	return b->db_ret == 0 ? 0 : -1;
}

/* dict_db_finish - permissions, sync to disk and close a new db */
static int
dict_db_finish(DB **dbp, const struct stat *src_st, const char *tmp_path,
	       const char **error_r)
{
	DB *db = *dbp;
	mode_t mode = src_st != NULL ? (src_st->st_mode & 0644) : 0600;
	int fd, ret;

	*dbp = NULL;
	if ((ret = db->fd(db, &fd)) != 0) {
		db->close(db, 0);
		return DICT_FAIL(error_r, "%s: %s", tmp_path,
				 db_strerror(ret));
	}
	if (fchmod(fd, mode) < 0 ||
	    (src_st != NULL && geteuid() == 0 &&
	     fchown(fd, src_st->st_uid, src_st->st_gid) < 0)) {
		int saved = errno;

		db->close(db, 0);
		return DICT_FAIL(error_r, "set owner/mode of %s: %s",
				 tmp_path, strerror(saved));
	}
	if ((ret = db->sync(db, 0)) != 0) {
		db->close(db, 0);
		return DICT_FAIL(error_r, "write %s: %s", tmp_path,
				 db_strerror(ret));
	}
	if (fsync(fd) < 0) {
		int saved = errno;

		db->close(db, 0);
		return DICT_FAIL(error_r, "fsync %s: %s", tmp_path,
				 strerror(saved));
	}
	if ((ret = db->close(db, 0)) != 0)
		return DICT_FAIL(error_r, "close %s: %s", tmp_path,
				 db_strerror(ret));
	return 0;
}

/* dict_tmp_create - new empty db under a temporary name, format record in */
static DB *
dict_tmp_create(const struct dict_spec *spec, bool fold, char *tmp_path,
		size_t tmp_size, const char **error_r)
{
	DB *db;
	int n, ret;

	n = snprintf(tmp_path, tmp_size, "%s.tmp.%ld", spec->db_path,
		     (long)getpid());
	if (n < 0 || (size_t)n >= tmp_size) {
		DICT_FAIL(error_r, "table path too long");
		return NULL;
	}
	/* A leftover of a crashed build with our pid; DB_EXCL then makes
	 * sure we write a file of our own, never through a symlink. */
	if (unlink(tmp_path) < 0 && errno != ENOENT) {
		DICT_FAIL(error_r, "remove %s: %s", tmp_path,
			  strerror(errno));
		return NULL;
	}
	db = dict_db_open(tmp_path, spec->type, DB_CREATE | DB_EXCL, 0600,
			  &ret);
	if (db == NULL) {
		DICT_FAIL(error_r, "create %s: %s", tmp_path,
			  db_strerror(ret));
		return NULL;
	}
	if ((ret = dict_meta_write(db, fold)) != 0) {
		db->close(db, 0);
		unlink(tmp_path);
		DICT_FAIL(error_r, "write %s: %s", tmp_path, db_strerror(ret));
		return NULL;
	}
	return db;
}

/* dict_build - build PATH.db from PATH, atomically */
int
dict_build(const char *spec_text, enum dict_syntax syntax, int flags,
	   size_t *entry_count_r, const char **error_r)
{
	struct dict_spec spec;
	struct dict_build_ctx ctx;
	struct dict_source *src;
	struct stat src_st;
	char tmp_path[PATH_MAX];
	bool fold = (flags & DICT_FLAG_FOLD_CASE) != 0 ||
		    syntax == DICT_SYNTAX_ALIASES;
	size_t count;
	int fd, rc;

	if (dict_spec_parse(spec_text, &spec, error_r) < 0)
		return -1;
	fd = open(spec.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return DICT_FAIL(error_r, "open %s: %s", spec.path,
				 strerror(errno));
	if (fstat(fd, &src_st) < 0 || !S_ISREG(src_st.st_mode)) {
		close(fd);
		return DICT_FAIL(error_r, "%s is not a regular file",
				 spec.path);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.tmp_path = tmp_path;
	ctx.db = dict_tmp_create(&spec, fold, tmp_path, sizeof(tmp_path),
				 error_r);
	if (ctx.db == NULL) {
		close(fd);
		return -1;
	}
	src = dict_source_new(syntax, flags, spec.path, dict_build_entry,
			      &ctx);
	rc = dict_read_source(fd, src, spec.path, error_r);
	close(fd);
	count = dict_source_entry_count(src);
	if (rc < 0) {
		/* The message lives in src: copy it before the free. */
		if (ctx.db_ret != 0)
			DICT_FAIL(error_r, "write %s: %s", tmp_path,
				  db_strerror(ctx.db_ret));
		else if (*error_r != dict_error)
			DICT_FAIL(error_r, "%s", *error_r);
	}
	dict_source_free(&src);
	if (rc < 0) {
		ctx.db->close(ctx.db, 0);
		unlink(tmp_path);
		return -1;
	}
	if (dict_db_finish(&ctx.db, &src_st, tmp_path, error_r) < 0) {
		unlink(tmp_path);
		return -1;
	}
	if (rename(tmp_path, spec.db_path) < 0) {
		int saved = errno;

		unlink(tmp_path);
		return DICT_FAIL(error_r, "rename %s to %s: %s", tmp_path,
				 spec.db_path, strerror(saved));
	}
	if (io_fsync_parent(spec.db_path) < 0)
		return DICT_FAIL(error_r, "fsync directory of %s: %s",
				 spec.db_path, strerror(errno));
	if (entry_count_r != NULL)
		*entry_count_r = count;
	return 0;
}

/*
 * dict_create_empty - make an empty PATH.db unless one exists. link()
 * instead of rename() so that a table another process created meanwhile
 * is never replaced (its updates would be lost).
 */
static int
dict_create_empty(const struct dict_spec *spec, bool fold,
		  const char **error_r)
{
	char tmp_path[PATH_MAX];
	DB *db;
	int rc = 0;

	db = dict_tmp_create(spec, fold, tmp_path, sizeof(tmp_path), error_r);
	if (db == NULL)
		return -1;
	/* XXX: new tables are 0600: the users table holds password hashes.
	 * A caller that wants readers of another uid changes the mode. */
	if (dict_db_finish(&db, NULL, tmp_path, error_r) < 0) {
		unlink(tmp_path);
		return -1;
	}
	if (link(tmp_path, spec->db_path) < 0 && errno != EEXIST)
		rc = DICT_FAIL(error_r, "create %s: %s", spec->db_path,
			       strerror(errno));
	unlink(tmp_path);
	if (rc == 0 && io_fsync_parent(spec->db_path) < 0)
		rc = DICT_FAIL(error_r, "fsync directory of %s: %s",
			       spec->db_path, strerror(errno));
	return rc;
}

/*
 * dict_lock_writer - open PATH.db read-write and lock it exclusively,
 * creating it when missing. Retries when the file was replaced between
 * open and lock. Returns the descriptor or -1.
 */
static int
dict_lock_writer(const struct dict_spec *spec, bool fold, struct stat *st,
		 const char **error_r)
{
	struct stat path_st;
	int attempt, fd;

	for (attempt = 0; attempt < DICT_OPEN_ATTEMPTS; attempt++) {
		if (access(spec->db_path, F_OK) < 0 && errno == ENOENT &&
		    dict_create_empty(spec, fold, error_r) < 0)
			return -1;
		fd = dict_open_file(spec->db_path, O_RDWR, st, error_r);
		if (fd < 0)
			return -1;
		if (dict_flock(fd, LOCK_EX) < 0) {
			close(fd);
			return DICT_FAIL(error_r, "lock table %s: %s",
					 spec->db_path, strerror(errno));
		}
		if (stat(spec->db_path, &path_st) == 0 &&
		    path_st.st_dev == st->st_dev &&
		    path_st.st_ino == st->st_ino)
			return fd;
		close(fd);
	}
	return DICT_FAIL(error_r, "table %s keeps changing while it is opened",
			 spec->db_path);
}

/* dict_update_locked - the change itself, with PATH.db locked */
static int
dict_update_locked(DB *db, const char *db_path, const char *key,
		   const char *value, const char **error_r)
{
	DBT k;
	int ret;

	if (value == NULL) {
		memset(&k, 0, sizeof(k));
		k.data = (void *)key;
		k.size = (u_int32_t)(strlen(key) + 1);
		ret = db->del(db, NULL, &k, 0);
		if (ret == DB_NOTFOUND)
			return 0;
		if (ret != 0)
			return DICT_FAIL(error_r, "table %s: delete: %s",
					 db_path, db_strerror(ret));
		return 1;
	}
	ret = dict_put(db, key, value, DB_NOOVERWRITE);
	if (ret == 0)
		return 0;
	if (ret == DB_KEYEXIST)
		ret = dict_put(db, key, value, 0);
	if (ret != 0)
		return DICT_FAIL(error_r, "table %s: update: %s", db_path,
				 db_strerror(ret));
	return 1;
}

/* dict_update - change one key in place */
int
dict_update(const char *spec_text, int flags, const char *key,
	    const char *value, const char **error_r)
{
	struct dict_spec spec;
	struct stat st;
	char folded[DICT_SOURCE_MAX_KEY + 1];
	bool fold = false;
	DB *db;
	int fd, ret, rc, dbfd;

	if (dict_spec_parse(spec_text, &spec, error_r) < 0)
		return -1;
	if (!dict_source_is_valid_key(key))
		return DICT_FAIL(error_r, "table %s: invalid key \"%s\"",
				 spec.db_path, log_safe_str(key));
	if (value != NULL && !dict_source_is_valid_value(value))
		return DICT_FAIL(error_r,
				 "table %s: invalid value for key \"%s\"",
				 spec.db_path, log_safe_str(key));
	fd = dict_lock_writer(&spec, (flags & DICT_FLAG_FOLD_CASE) != 0, &st,
			      error_r);
	if (fd < 0)
		return -1;
	db = dict_db_open(spec.db_path, spec.type, 0, 0, &ret);
	if (db == NULL) {
		close(fd);
		return DICT_FAIL(error_r, "cannot open table %s: %s",
				 spec.db_path, db_strerror(ret));
	}
	if (!dict_db_same_file(db, &st)) {
		rc = DICT_FAIL(error_r, "table %s changed while it was opened",
			       spec.db_path);
	} else if ((rc = dict_meta_read(db, spec.db_path, &fold, error_r)) ==
		   0) {
		/* Valid keys are at most DICT_SOURCE_MAX_KEY octets. */
		snprintf(folded, sizeof(folded), "%s", key);
		if (fold)
			str_lower(folded);
		rc = dict_update_locked(db, spec.db_path, folded, value,
					error_r);
	}
	if (rc >= 0 && (ret = db->sync(db, 0)) != 0)
		rc = DICT_FAIL(error_r, "write %s: %s", spec.db_path,
			       db_strerror(ret));
	if (rc >= 0 && db->fd(db, &dbfd) == 0 && fsync(dbfd) < 0)
		rc = DICT_FAIL(error_r, "fsync %s: %s", spec.db_path,
			       strerror(errno));
	if ((ret = db->close(db, 0)) != 0 && rc >= 0)
		rc = DICT_FAIL(error_r, "close %s: %s", spec.db_path,
			       db_strerror(ret));
	close(fd); /* releases the lock */
	return rc;
}
