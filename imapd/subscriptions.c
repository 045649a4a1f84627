/*
 * subscriptions.c - the subscriptions file (see subscriptions.h).
 *
 * imap_subs_parse, imap_subs_format - the format
 * imap_subs_read, imap_subs_write   - the file in the Maildir root
 * imap_subs_has, imap_subs_add, imap_subs_remove, imap_subs_deinit
 *
 * Input: the file's bytes, from the user's Maildir (untrusted); names
 * are kept only when lib/mailstore_name accepts them. Runs in mail
 * workers as the mail owner. Temporary files are
 * "mailroom-subscriptions.tmp.PID.RANDOM". XXX: two sessions changing subscriptions
 * at the same moment may lose one change (read, change, rename): no
 * lock, as a lost subscription is cheap to redo; add one if that ever
 * matters.
 */
#include "imapd/subscriptions.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/mailstore.h"
#include "lib/mem.h"

#define IMAP_SUBS_FILE_MODE 0600

/* subs_push - append a copy of name */
static void
subs_push(struct imap_subs *subs, const char *name, size_t len)
{
	subs->names = mem_realloc_array(subs->names, subs->count + 1,
					sizeof(*subs->names));
	subs->names[subs->count++] = mem_strndup(name, len);
}

/* name_is_valid - a name the store has: INBOX or a folder name */
static bool
name_is_valid(const char *name)
{
	return strcmp(name, "INBOX") == 0 ||
	       mailstore_folder_name_is_valid(name);
}

/* imap_subs_parse - parse the file */
int
imap_subs_parse(const uint8_t *p, size_t n, struct imap_subs *subs,
		size_t *skipped_r, const char **error_r)
{
	const char *s = (const char *)p, *end = s + n;
	size_t magic = sizeof(IMAP_SUBS_MAGIC) - 1;
	char line[IMAP_SUBS_LINE_MAX];

	memset(subs, 0, sizeof(*subs));
	*skipped_r = 0;
	if (n < magic + 1 || memcmp(s, IMAP_SUBS_MAGIC, magic) != 0 ||
	    s[magic] != '\n') {
		*error_r = "bad header";
		return -1;
	}
	s += magic + 1;
	while (s < end) {
		const char *lf = memchr(s, '\n', (size_t)(end - s));
		size_t len;

		if (lf == NULL) {
			*error_r = "last line without LF";
			goto fail;
		}
		len = (size_t)(lf - s);
		if (len >= sizeof(line)) {
			*error_r = "line too long";
			goto fail;
		}
		memcpy(line, s, len);
		line[len] = '\0';
		s = lf + 1;
		if (strlen(line) != len || !name_is_valid(line) ||
		    imap_subs_has(subs, line)) {
			(*skipped_r)++;
			continue;
		}
		if (subs->count >= IMAP_SUBS_MAX) {
			*error_r = "too many names";
			goto fail;
		}
		subs_push(subs, line, len);
	}
	return 0;
fail:
	imap_subs_deinit(subs);
	return -1;
}

/* imap_subs_format - the file's bytes */
void
imap_subs_format(const struct imap_subs *subs, struct buf *out)
{
	size_t i;

	buf_append_str(out, IMAP_SUBS_MAGIC "\n");
	for (i = 0; i < subs->count; i++) {
		buf_append_str(out, subs->names[i]);
		buf_append_byte(out, '\n');
	}
}

/* imap_subs_read - read the file */
int
imap_subs_read(int root_fd, struct imap_subs *subs, const char **error_r)
{
	struct buf data;
	size_t skipped;
	int fd, rc;

	memset(subs, 0, sizeof(*subs));
	fd = openat(root_fd, IMAP_SUBS_FILE,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = strerror(errno);
		return -1;
	}
	buf_init(&data, IMAP_SUBS_FILE_MAX);
	if (io_read_fd(fd, IMAP_SUBS_FILE_MAX, &data) < 0) {
		*error_r = errno == EFBIG ? "file too large" : strerror(errno);
		close(fd);
		buf_deinit(&data);
		return -1;
	}
	close(fd);
	rc = imap_subs_parse(data.data, data.len, subs, &skipped, error_r);
	buf_deinit(&data);
	return rc < 0 ? -1 : 1;
}

/* imap_subs_write - temporary file, fsync, rename */
int
imap_subs_write(int root_fd, const struct imap_subs *subs,
		const char **error_r)
{
	char tmp[sizeof(IMAP_SUBS_TMP) + 48];
	uint64_t random_bits = 0;
	struct buf out;
	int fd, saved;

	/* Two sessions (threads, processes) may write at once: each its
	 * own temporary name, the last rename wins. */
	if (getrandom(&random_bits, sizeof(random_bits), 0) !=
	    (ssize_t)sizeof(random_bits)) {
		*error_r = strerror(errno);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld.%016llx", IMAP_SUBS_TMP,
		 (long)getpid(), (unsigned long long)random_bits);
	buf_init(&out, IMAP_SUBS_FILE_MAX);
	imap_subs_format(subs, &out);
	fd = openat(root_fd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY,
		    IMAP_SUBS_FILE_MODE);
	if (fd < 0 || io_write_full(fd, out.data, out.len) < 0 ||
	    fsync(fd) < 0 || close(fd) < 0 ||
	    renameat(root_fd, tmp, root_fd, IMAP_SUBS_FILE) < 0) {
		saved = errno;
		/* fd may be closed already: the name is what to remove. */
		(void)unlinkat(root_fd, tmp, 0);
		buf_deinit(&out);
		*error_r = strerror(saved);
		return -1;
	}
	buf_deinit(&out);
	return 0;
}

/* imap_subs_has - whether name is there */
bool
imap_subs_has(const struct imap_subs *subs, const char *name)
{
	size_t i;

	for (i = 0; i < subs->count; i++)
		if (strcmp(subs->names[i], name) == 0)
			return true;
	return false;
}

/* imap_subs_add - subscribe */
bool
imap_subs_add(struct imap_subs *subs, const char *name)
{
	if (imap_subs_has(subs, name) || subs->count >= IMAP_SUBS_MAX)
		return false;
	subs_push(subs, name, strlen(name));
	return true;
}

/* imap_subs_remove - unsubscribe */
bool
imap_subs_remove(struct imap_subs *subs, const char *name)
{
	size_t i;

	for (i = 0; i < subs->count; i++) {
		if (strcmp(subs->names[i], name) != 0)
			continue;
		mem_free(&subs->names[i]);
		memmove(&subs->names[i], &subs->names[i + 1],
			(subs->count - i - 1) * sizeof(*subs->names));
		subs->count--;
		return true;
	}
	return false;
}

/* imap_subs_deinit - release */
void
imap_subs_deinit(struct imap_subs *subs)
{
	size_t i;

	for (i = 0; i < subs->count; i++)
		mem_free(&subs->names[i]);
	mem_free(&subs->names);
	subs->count = 0;
}
