/*
 * fuzz_queue_read.c - fuzz target for lib/queue_read.c.
 *
 * Parses the input as a queue file with queue_read_buffer (the same parser
 * queue_read_open uses, over memory), streams the content of an accepted
 * file and checks what the reader promises: at least one recipient, every
 * string present, content chunks of 1..QUEUE_CHUNK_MAX bytes adding up to
 * content_size. Seed corpus: tests/fuzz/corpus/queue_read/ (files from the
 * writer and rows of the unit-test table, good and corrupted).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/queue_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort when a promise of the reader does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* check_message - the invariants of an accepted message */
static void
check_message(struct queue_message *msg)
{
	enum queue_err err;
	const char *error;
	const uint8_t *p;
	uint64_t total = 0;
	size_t i, n;
	int rc;

	check(msg->sender != NULL && msg->rcpt_count > 0);
	check(msg->rcpt_count <= QUEUE_RCPT_MAX &&
	      msg->attr_count <= QUEUE_ATTR_MAX);
	for (i = 0; i < msg->rcpt_count; i++) {
		check(msg->rcpts[i].address != NULL &&
		      msg->rcpts[i].address[0] != '\0');
		check((msg->rcpts[i].orcpt == NULL) ==
		      (msg->rcpts[i].orcpt_type == NULL));
		check(msg->rcpts[i].status_offset < msg->file_size);
	}
	for (i = 0; i < msg->attr_count; i++)
		check(strchr(msg->attrs[i].name, '=') == NULL);
	while ((rc = queue_read_content_next(msg, &p, &n, &err, &error)) > 0) {
		check(n > 0 && n <= QUEUE_CHUNK_MAX);
		total += n;
	}
	check(rc == 0 && total == msg->content_size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_message *msg = NULL;
	enum queue_err err;
	const char *error;

	if (queue_read_buffer(data, size, &msg, &err, &error) == 0) {
		check_message(msg);
		queue_read_free(&msg);
	} else {
		check(msg == NULL && err == QUEUE_ERR_CORRUPT &&
		      error != NULL);
	}
	return 0;
}
