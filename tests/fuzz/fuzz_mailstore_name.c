/*
 * fuzz_mailstore_name.c - fuzz target for lib/mailstore_name.c.
 *
 * Input: a file name or folder name. The file name parser must stay
 * within the input and give a base no longer than it; the flags it finds
 * must format to letters that parse back to the same flags; the folder
 * name check must not crash on any NUL-terminated text. abort() on any
 * broken promise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mailstore_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest input tried as a folder name. */
#define FUZZ_NAME_MAX 1024

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailstore_name mn, back;
	char text[FUZZ_NAME_MAX + 8], letters[64];
	size_t n;

	if (mailstore_name_parse((const char *)data, size, &mn) == 0) {
		if (mn.base_len == 0 || mn.base_len > size ||
		    mn.flags > MAILSTORE_LETTERS_MASK ||
		    mn.keywords > MAILSTORE_LETTERS_MASK)
			abort();
		n = mailstore_name_flags_format(mn.flags, mn.keywords, letters,
						sizeof(letters));
		memcpy(text, "x:2,", 4);
		memcpy(text + 4, letters, n);
		if (mailstore_name_parse(text, 4 + n, &back) < 0 ||
		    back.flags != mn.flags || back.keywords != mn.keywords)
			abort();
	}
	n = size < FUZZ_NAME_MAX ? size : FUZZ_NAME_MAX;
	memcpy(text, data, n);
	text[n] = '\0';
	if (mailstore_folder_name_is_valid(text) &&
	    (strlen(text) == 0 || strlen(text) > MAILSTORE_FOLDER_NAME_MAX ||
	     strchr(text, '/') != NULL || text[0] == '.'))
		abort();
	(void)mailstore_folder_name_is_inbox(text);
	return 0;
}
