/*
 * fuzz_imap_subscriptions.c - fuzz target for imapd/subscriptions.c.
 *
 * Input: the bytes of a subscriptions file. An accepted file must give
 * valid, distinct names within the limit, and format to a file that
 * parses to the same names with nothing skipped; abort() otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/subscriptions.h"
#include "lib/buf.h"
#include "lib/mailstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_subs subs, again;
	const char *error;
	size_t skipped, i, j;
	struct buf out;

	if (size > IMAP_SUBS_FILE_MAX)
		return 0;
	if (imap_subs_parse(data, size, &subs, &skipped, &error) < 0) {
		if (subs.count != 0 || error == NULL)
			abort();
		return 0;
	}
	if (subs.count > IMAP_SUBS_MAX)
		abort();
	for (i = 0; i < subs.count; i++) {
		if (strcmp(subs.names[i], "INBOX") != 0 &&
		    !mailstore_folder_name_is_valid(subs.names[i]))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(subs.names[i], subs.names[j]) == 0)
				abort();
	}
	buf_init(&out, IMAP_SUBS_FILE_MAX);
	imap_subs_format(&subs, &out);
	if (imap_subs_parse(out.data, out.len, &again, &skipped, &error) < 0 ||
	    skipped != 0 || again.count != subs.count)
		abort();
	for (i = 0; i < subs.count; i++)
		if (strcmp(again.names[i], subs.names[i]) != 0)
			abort();
	imap_subs_deinit(&again);
	imap_subs_deinit(&subs);
	buf_deinit(&out);
	return 0;
}
