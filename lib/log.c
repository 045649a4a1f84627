/*
 * log.c - the one logging module (see log.h).
 *
 * log_init, log_open_file, log_set_*, log_debug..log_panic, log_safe.
 * Runs in every process with that process's privileges. Every line is built
 * in a bounded local buffer and written with one write() per destination,
 * so lines from several processes appending to one file do not interleave.
 * Limits: a line is cut at LOG_LINE_MAX bytes.
 */
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Longest line written, as syslog(3) implementations commonly allow. */
#define LOG_LINE_MAX 2048
/* Rotating slots for log_safe() results: enough for one log call. */
#define LOG_SAFE_SLOTS 6

/*
 * The logger's state. XXX: mutable process-wide state; it is set once at
 * start (and by tests) and is as global as stderr itself.
 */
static struct {
	char progname[64];
	int destinations;
	int file_fd;
	bool verbose;
	bool syslog_open;
	log_hook_fn *hook;
	void *hook_ctx;
	bool hook_quiet;
	log_exit_hook_fn *exit_hook;
	char safe[LOG_SAFE_SLOTS][LOG_SAFE_MAX + 4];
	unsigned safe_next;
} logger = { "mailroom", LOG_TO_STDERR, -1, false, false, NULL, NULL,
	     false, NULL, { { 0 } }, 0 };

/* log_init - name and destinations */
void
log_init(const char *progname, int destinations)
{
	snprintf(logger.progname, sizeof(logger.progname), "%s", progname);
	log_set_destinations(destinations);
}

/* log_progname - the program name */
const char *
log_progname(void)
{
	return logger.progname;
}

/* log_set_destinations - (re)open syslog as needed */
void
log_set_destinations(int destinations)
{
	logger.destinations = destinations;
	if ((destinations & LOG_TO_SYSLOG) && !logger.syslog_open) {
		openlog(logger.progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
		logger.syslog_open = true;
	}
}

/* log_open_file - add a log file */
int
log_open_file(const char *path, const char **error_r)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (logger.file_fd >= 0)
		close(logger.file_fd);
	logger.file_fd = fd;
	return 0;
}

/* log_set_verbose - switch debug logging */
void
log_set_verbose(bool verbose)
{
	logger.verbose = verbose;
}

/* log_is_verbose - whether debug is on */
bool
log_is_verbose(void)
{
	return logger.verbose;
}

/* log_set_hook - capture lines */
void
log_set_hook(log_hook_fn *hook, void *ctx, bool quiet)
{
	logger.hook = hook;
	logger.hook_ctx = ctx;
	logger.hook_quiet = quiet;
}

/* log_set_exit_hook - intercept fatal and panic */
void
log_set_exit_hook(log_exit_hook_fn *hook)
{
	logger.exit_hook = hook;
}

static const char *const level_prefix[] = {
	[LOG_LEVEL_DEBUG] = "",
	[LOG_LEVEL_INFO] = "",
	[LOG_LEVEL_WARN] = "warning: ",
	[LOG_LEVEL_ERROR] = "error: ",
	[LOG_LEVEL_FATAL] = "fatal: ",
	[LOG_LEVEL_PANIC] = "panic: ",
};

static const int level_priority[] = {
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,	 [LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_WARN] = LOG_WARNING,	 [LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_FATAL] = LOG_CRIT,	 [LOG_LEVEL_PANIC] = LOG_CRIT,
};

/* write_all - write a whole line, ignoring errors (nowhere to report) */
static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void log_emit(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* log_emit - format once, write to each destination */
static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char text[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 256];
	int saved_errno = errno;
	int n;

	if (level == LOG_LEVEL_DEBUG && !logger.verbose)
		return;
	n = snprintf(text, sizeof(text), "%s", level_prefix[level]);
	if (n < 0)
		n = 0;
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	errno = saved_errno;

	if (logger.hook != NULL) {
		logger.hook(level, text, logger.hook_ctx);
		if (logger.hook_quiet)
			return;
	}
	if (logger.destinations & LOG_TO_SYSLOG)
		syslog(level_priority[level], "%s", text);
	if (logger.destinations & LOG_TO_STDERR) {
		n = snprintf(line, sizeof(line), "%s[%ld]: %s\n",
			     logger.progname, (long)getpid(), text);
		if (n > 0)
			write_all(STDERR_FILENO, line,
				  (size_t)n < sizeof(line) ? (size_t)n
							   : sizeof(line) - 1);
	}
	if (logger.file_fd >= 0) {
		char stamp[32], host[256];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0';
		n = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s\n", stamp,
			     host, logger.progname, (long)getpid(), text);
		if (n > 0)
			write_all(logger.file_fd, line,
				  (size_t)n < sizeof(line) ? (size_t)n
							   : sizeof(line) - 1);
	}
}

#define LOG_FN(name, level)                                                 \
	void name(const char *fmt, ...)                                     \
	{                                                                   \
		va_list ap;                                                 \
		va_start(ap, fmt);                                          \
		log_emit(level, fmt, ap);                                   \
		va_end(ap);                                                 \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_error, LOG_LEVEL_ERROR)

/* log_exit - leave through the test hook or for real */
static void __attribute__((noreturn))
log_exit(enum log_level level, int code)
{
	if (logger.exit_hook != NULL)
		logger.exit_hook(level, code);
	if (level == LOG_LEVEL_PANIC)
		abort();
	exit(code);
}

/* log_fatal - log and exit */
void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_FATAL, fmt, ap);
	va_end(ap);
	log_exit(LOG_LEVEL_FATAL, MR_EXIT_FATAL);
}

/* log_fatal_code - log and exit with a given code */
void
log_fatal_code(int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_FATAL, fmt, ap);
	va_end(ap);
	log_exit(LOG_LEVEL_FATAL, exit_code);
}

/* log_panic - log and abort */
void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_PANIC, fmt, ap);
	va_end(ap);
	log_exit(LOG_LEVEL_PANIC, 134);
}

/* log_safe - escaped, truncated copy of untrusted bytes */
const char *
log_safe(const void *p, size_t n)
{
	char *out = logger.safe[logger.safe_next++ % LOG_SAFE_SLOTS];
	const unsigned char *in = p;
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 > LOG_SAFE_MAX - 3)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 > LOG_SAFE_MAX - 3)
				break;
			snprintf(out + o, 5, "\\%03o", c);
			o += 4;
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* log_safe_str - log_safe for C strings */
const char *
log_safe_str(const char *s)
{
	if (s == NULL)
		return "(null)";
	return log_safe(s, strlen(s));
}
