/*
 * fuzz_sasl_plain.c - fuzz target for lib/sasl_plain.c.
 *
 * Input: a client's base64 response. A decoded response must have a
 * non-empty authcid and passwd inside the struct's buffer; abort()
 * otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sasl_plain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_plain sp;
	const char *error = NULL;

	if (sasl_plain_decode((const char *)data, size, &sp, &error) < 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (sp.authcid[0] == '\0' || sp.passwd[0] == '\0' ||
	    sp.authzid != sp.data || sp.authcid <= sp.authzid ||
	    sp.passwd <= sp.authcid ||
	    sp.passwd + strlen(sp.passwd) > sp.data + SASL_PLAIN_MAX)
		abort();
	return 0;
}
