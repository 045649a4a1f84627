/*
 * testlib.h - shared helpers for the cmocka unit tests.
 *
 * Log capture: testlib_log_capture() routes every log line into a list;
 * testlib_log_expect("text") declares a warning the test expects; at
 * testlib_log_check() any warning or error not declared fails the test.
 * Fatal and panic run through an exit hook that longjmps back into
 * TESTLIB_EXPECT_EXIT, so those paths can be asserted.
 */
#ifndef MR_TESTLIB_H
#define MR_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/log.h"

/* testlib_log_capture - start capturing log lines (quietly). */
void testlib_log_capture(void);

/* testlib_log_expect - the next warnings/errors containing text are fine. */
void testlib_log_expect(const char *text);

/* testlib_log_contains - whether any captured line contains text. */
bool testlib_log_contains(const char *text);

/* testlib_log_check - fail on undeclared warnings/errors; reset capture. */
void testlib_log_check(void);

/* cmocka setup/teardown wrappers around capture and check. */
int testlib_setup(void **state);
int testlib_teardown(void **state);

/*
 * testlib_tmpdir - make a fresh directory "/tmp/NAME.XXXXXX" and write its
 * path into dir (size bytes); the test fails when it cannot.
 */
void testlib_tmpdir(char *dir, size_t size, const char *name);

/*
 * testlib_queue_tmpdir - testlib_tmpdir with the private/ subdirectory a
 * queue directory has (mode 0700).
 */
void testlib_queue_tmpdir(char *dir, size_t size, const char *name);

/* testlib_rmtree - remove a directory tree (links are not followed). */
void testlib_rmtree(const char *dir);

/*
 * testlib_tls_cert - a self-signed certificate for host (tls_make_self_signed)
 * as dir/STEM-cert.pem and its key as dir/STEM-key.pem, their paths written
 * into cert and key (size bytes each); the test fails when it cannot.
 */
void testlib_tls_cert(const char *dir, const char *stem, const char *host,
		      char *cert, char *key, size_t size);

/* Exit interception for fatal/panic paths. */
extern jmp_buf testlib_exit_jmp;
extern int testlib_exit_code;
extern enum log_level testlib_exit_level;
void testlib_exit_hook(enum log_level level, int exit_code);

/*
 * TESTLIB_EXPECT_EXIT(stmt) - run stmt, which must end in log_fatal or
 * log_panic; evaluates to true when it did.
 */
#define TESTLIB_EXPECT_EXIT(stmt)                                           \
	({                                                                  \
		volatile bool exited_ = false;                                     \
		log_set_exit_hook(testlib_exit_hook);                       \
		if (setjmp(testlib_exit_jmp) == 0) {                        \
			stmt;                                               \
		} else {                                                    \
			exited_ = true;                                     \
		}                                                           \
		log_set_exit_hook(NULL);                                    \
		exited_;                                                    \
	})

#endif
