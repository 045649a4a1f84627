/*
 * log.h - the one logging module.
 *
 * Lines look like Postfix's: "mailroom/smtpd[1234]: 4F3A...: text", with
 * "warning: ", "error: ", "fatal: " or "panic: " before the text for those
 * levels. Destinations: syslog (facility mail), standard error (foreground),
 * and a log file (maillog_file) in syslog's format with a timestamp and host
 * name, so tools like pflogsumm read it. debug/info/warn/error never change
 * control flow; fatal exits, panic aborts (a test hook can intercept both).
 * Untrusted values are passed through log_safe() and always as %s.
 */
#ifndef MR_LOG_H
#define MR_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_FATAL,
	LOG_LEVEL_PANIC,
};

/* Destinations for log_init. */
#define LOG_TO_SYSLOG 0x1
#define LOG_TO_STDERR 0x2

/* Exit codes with fixed meanings (sysexits.h values). */
#define MR_EXIT_FATAL 1		/* generic fatal error */
#define MR_EXIT_USAGE 64	/* EX_USAGE: bad command line */
#define MR_EXIT_CONFIG 78	/* EX_CONFIG: misconfiguration, do not respawn */

/* Longest string log_safe() returns, excluding the NUL. */
#define LOG_SAFE_MAX 200

/* log_init - set the program name ("mailroom/smtpd") and destinations. */
void log_init(const char *progname, int destinations);

/* log_progname - the program name given to log_init. */
const char *log_progname(void);

/*
 * log_open_file - also append every line to path (syslog format). Returns 0,
 * or -1 with *error_r set when the file cannot be opened.
 */
int log_open_file(const char *path, const char **error_r);

/* log_set_destinations - change the destinations after log_init. */
void log_set_destinations(int destinations);

/* log_set_verbose - log debug lines too when verbose is true. */
void log_set_verbose(bool verbose);

/* log_is_verbose - whether debug lines are logged. */
bool log_is_verbose(void);

/*
 * log_set_hook - call hook for every line (tests capture the log with it);
 * the line is still written to the destinations unless quiet is true.
 */
typedef void log_hook_fn(enum log_level level, const char *text, void *ctx);
void log_set_hook(log_hook_fn *hook, void *ctx, bool quiet);

/*
 * log_set_exit_hook - called instead of exit()/abort() for fatal and panic,
 * so tests can longjmp back. A hook that returns gets the normal exit.
 */
typedef void log_exit_hook_fn(enum log_level level, int exit_code);
void log_set_exit_hook(log_exit_hook_fn *hook);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_fatal - log and exit with MR_EXIT_FATAL. */
void log_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* log_fatal_code - log and exit with exit_code (e.g. MR_EXIT_CONFIG). */
void log_fatal_code(int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* log_panic - log and abort (core dump); for broken invariants only. */
void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/*
 * log_safe - printable copy of untrusted bytes: non-printable bytes become
 * \ooo escapes and the result is cut at LOG_SAFE_MAX with "...". The result
 * lives in one of a few rotating static slots: use it in the log call at
 * hand, never keep it.
 */
const char *log_safe(const void *p, size_t n);

/* log_safe_str - log_safe for a NUL-terminated string (NULL gives "(null)"). */
const char *log_safe_str(const char *s);

/* MR_ASSERT - invariant check that stays on in release builds. */
#define MR_ASSERT(cond)                                                     \
	do {                                                                \
		if (!(cond))                                                \
			log_panic("assertion failed: %s (%s:%d)", #cond,    \
				  __FILE__, __LINE__);                      \
	} while (0)

#endif
