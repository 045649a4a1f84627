/*
 * fuzz_sasl_login.c - fuzz target for lib/sasl_login.c and the canonical
 * form of lib/base64.c: the AUTH LOGIN responses of smtpd.
 *
 * Input: a client's response text. Besides "no crash", the target checks
 * what the functions promise: a decoded field stays within its limit and
 * holds no NUL (a failure leaves it empty); base64_is_canonical agrees
 * with base64_decode_canonical; and canonical means canonical: whatever
 * base64_decode_canonical accepts, base64_encode gives back unchanged
 * (abort() otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/sasl_login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest input looked at: well past SASL_LOGIN_B64_MAX. */
#define FUZZ_SASL_LOGIN_MAX (4 * SASL_LOGIN_B64_MAX)

/* check_base64 - decode, re-encode, compare */
static void
check_base64(const uint8_t *p, size_t n)
{
	uint8_t out[FUZZ_SASL_LOGIN_MAX];
	struct buf again;
	size_t len;
	int rc = base64_decode_canonical(p, n, out, sizeof(out), &len);

	if ((rc == 0) != base64_is_canonical(p, n))
		abort();
	if (rc < 0)
		return;
	if (len > n / 4 * 3)
		abort();
	buf_init(&again, 2 * FUZZ_SASL_LOGIN_MAX);
	base64_encode(out, len, &again);
	if (again.len != n || (n > 0 && memcmp(again.data, p, n) != 0))
		abort();
	buf_deinit(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char field[SASL_LOGIN_MAX + 1];
	const char *error = NULL;

	if (size > FUZZ_SASL_LOGIN_MAX)
		return 0;
	if (sasl_login_decode((const char *)data, size, field, &error) == 0) {
		if (strlen(field) > SASL_LOGIN_MAX)
			abort();
	} else if (error == NULL || field[0] != '\0') {
		abort();
	}
	check_base64(data, size);
	return 0;
}
