/*
 * test_log.c - unit tests for lib/log.c: line format on stderr and in the
 * log file (syslog format, as pflogsumm reads it), levels, the verbose
 * switch, fatal and panic through the exit hook, and log_safe escaping.
 */
#include "tests/unit/testlib.h"

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/io.h"
#include "lib/mem.h"

static void
test_file_format_and_levels(void **state)
{
	char dir[] = "/tmp/mr-test-log.XXXXXX";
	char path[128];
	const char *error;
	struct buf b;
	regex_t re;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/maillog", dir);
	log_set_hook(NULL, NULL, false);
	log_init("mailroom/test", 0);
	assert_int_equal(log_open_file(path, &error), 0);
	log_info("%s: to=<%s>, status=sent", "4F3A", "a@b");
	log_warn("something odd");
	log_debug("not shown");
	log_set_verbose(true);
	log_debug("shown now");
	log_set_verbose(false);
	log_error("bad %d", 7);
	buf_init(&b, 65536);
	assert_int_equal(io_read_file(path, 65536, &b), 0);
	assert_int_equal(regcomp(&re,
				 "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:"
				 "[0-9]{2} [^ ]+ mailroom/test\\[[0-9]+\\]: "
				 "4F3A: to=<a@b>, status=sent\n"
				 "[^\n]+: warning: something odd\n"
				 "[^\n]+: shown now\n"
				 "[^\n]+: error: bad 7\n$",
				 REG_EXTENDED),
			 0);
	if (regexec(&re, buf_cstr(&b), 0, NULL, 0) != 0)
		fail_msg("log file:\n%s", buf_cstr(&b));
	regfree(&re);
	buf_deinit(&b);
	unlink(path);
	rmdir(dir);
	log_init("mailroom/test", LOG_TO_STDERR);
	testlib_log_capture();
}

static void
test_fatal_and_panic(void **state)
{
	(void)state;
	assert_true(TESTLIB_EXPECT_EXIT(log_fatal("cannot go on")));
	assert_int_equal(testlib_exit_code, MR_EXIT_FATAL);
	assert_int_equal(testlib_exit_level, LOG_LEVEL_FATAL);
	assert_true(TESTLIB_EXPECT_EXIT(
		log_fatal_code(MR_EXIT_CONFIG, "bad config")));
	assert_int_equal(testlib_exit_code, MR_EXIT_CONFIG);
	assert_true(TESTLIB_EXPECT_EXIT(MR_ASSERT(1 == 2)));
	assert_int_equal(testlib_exit_level, LOG_LEVEL_PANIC);
	assert_true(testlib_log_contains("fatal: cannot go on"));
	assert_true(testlib_log_contains("panic: assertion failed: 1 == 2"));
	testlib_log_expect("cannot go on");
	testlib_log_expect("bad config");
	testlib_log_expect("assertion failed");
}

static void
test_log_safe(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} rows[] = {
		{ "plain", 5, "plain" },
		{ "a\r\nb", 4, "a\\015\\012b" },
		{ "nul\0x", 5, "nul\\000x" },
		{ "back\\slash", 10, "back\\134slash" },
		{ "\xff", 1, "\\377" },
		{ "%s%n", 4, "%s%n" },
	};
	size_t i;
	char big[LOG_SAFE_MAX * 2];
	const char *s;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_string_equal(log_safe(rows[i].in, rows[i].n),
				    rows[i].out);
	memset(big, '\n', sizeof(big));
	s = log_safe(big, sizeof(big));
	assert_true(strlen(s) <= LOG_SAFE_MAX);
	assert_string_equal(s + strlen(s) - 3, "...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_format_and_levels,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_fatal_and_panic,
						testlib_setup, testlib_teardown),
		cmocka_unit_test_setup_teardown(test_log_safe, testlib_setup,
						testlib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
