/*
 * fuzz_smtp_reply.c - fuzz target for lib/smtp_reply.c.
 *
 * Input: a server's reply stream; lines are cut at LF (a CR before it is
 * dropped) and fed to smtp_reply_add; complete replies are checked for a
 * valid code and printable text, and their EHLO keywords read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - invariants of a complete reply */
static void
check(const struct smtp_reply *r)
{
	uint64_t limit;
	size_t i;

	if (r->code < 200 || r->code > 599 || r->lines == 0)
		abort();
	if (strlen(r->text) != r->text_len || r->text_len > SMTP_REPLY_TEXT_MAX)
		abort();
	for (i = 0; i < r->text_len; i++)
		if (r->text[i] < 0x20 || r->text[i] > 0x7e)
			abort();
	if (r->dsn[0] != '\0' && r->dsn[0] != '0' + r->code / 100)
		abort();
	(void)smtp_ehlo_features(r, &limit);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	const char *error;
	size_t start = 0, i;

	smtp_reply_init(&r);
	for (i = 0; i < size; i++) {
		size_t len;
		int rc;

		if (data[i] != '\n')
			continue;
		len = i - start;
		if (len > 0 && data[i - 1] == '\r')
			len--;
		rc = smtp_reply_add(&r, data + start, len, &error);
		if (rc == 1)
			check(&r);
		if (rc != 0)
			smtp_reply_reset(&r);
		start = i + 1;
	}
	smtp_reply_deinit(&r);
	return 0;
}
