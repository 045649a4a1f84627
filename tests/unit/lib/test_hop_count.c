/*
 * test_hop_count.c - unit tests for lib/hop_count.c: Received: fields
 * counted in any case and with the obsolete space before the colon, not
 * in continuation lines, other names or the body; the header's end found
 * at an empty line (CR LF or LF) or at a line that is not a header line;
 * the same count for any split of the input.
 */
#include "tests/unit/testlib.h"

#include <string.h>

#include "lib/hop_count.h"

/* count - Received: fields of text, fed whole */
static unsigned
count(const char *text)
{
	struct hop_count hc;

	hop_count_init(&hc);
	hop_count_feed(&hc, text, strlen(text));
	return hc.received;
}

/* count_bytes - the same, one octet at a time */
static unsigned
count_bytes(const char *text)
{
	struct hop_count hc;
	size_t i;

	hop_count_init(&hc);
	for (i = 0; text[i] != '\0'; i++)
		hop_count_feed(&hc, text + i, 1);
	return hc.received;
}

static void
test_fields(void **state)
{
	(void)state;
	assert_int_equal(count(""), 0);
	assert_int_equal(count("Received: from a\r\n"
			       "received: from b\r\n"
			       "RECEIVED:from c\r\n"
			       "Received : obsolete form\r\n"
			       "Subject: x\r\n\r\n"),
			 4);
	/* Other names: longer, shorter, or "Received" elsewhere. */
	assert_int_equal(count("ReceivedX: a\r\n"
			       "Receive: b\r\n"
			       "X-Received: c\r\n"
			       "Subject: Received: d\r\n"
			       "\r\n"),
			 0);
	/* A continuation line is not a field. */
	assert_int_equal(count("Received: from a\r\n"
			       " Received: folded\r\n"
			       "\tReceived: folded\r\n"
			       "\r\n"),
			 1);
}

static void
test_header_end(void **state)
{
	struct hop_count hc;

	(void)state;
	/* The body is not looked at, whatever the line ends. */
	assert_int_equal(count("Received: a\r\n\r\nReceived: b\r\n"), 1);
	assert_int_equal(count("Received: a\n\nReceived: b\n"), 1);
	/* A line that is not a header line ends the header. */
	assert_int_equal(count("Received: a\r\nnot a header\r\n"
			       "Received: b\r\n"),
			 1);
	assert_int_equal(count("no header at all\r\nReceived: b\r\n"), 0);
	assert_int_equal(count("Received a\r\nReceived: b\r\n"), 0);
	assert_int_equal(count("\x80Received: a\r\n"), 0);
	assert_int_equal(count("\rReceived: a\r\n"), 0);
	hop_count_init(&hc);
	hop_count_feed(&hc, "Received: a\r\n\r\n", 15);
	assert_true(hc.done);
}

static void
test_splits(void **state)
{
	static const char *const texts[] = {
		"Received: a\r\nReceived: b\r\n\r\nReceived: c\r\n",
		"received :a\r\n folded\r\nReceived:\r\n\r\n",
		"Receive: a\r\nReceived: b\nno\r\nReceived: c\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(count_bytes(texts[i]), count(texts[i]));
	assert_int_equal(count(texts[0]), 2);
	assert_int_equal(count(texts[1]), 2);
	assert_int_equal(count(texts[2]), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_header_end),
		cmocka_unit_test(test_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
