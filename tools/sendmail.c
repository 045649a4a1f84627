/*
 * sendmail.c - the sendmail drop-in command (also mailq: -bp).
 *
 * Usage: sendmail [options] [--] [recipient ...]; docs/sendmail.md is the
 * manual page and the threat model. Modes: -bm (default) reads a message
 * from stdin and submits it; -bs speaks SMTP on stdin/stdout; -bp (or the
 * name mailq) runs `mailroom queue list`; -bi (or -I) runs newaliases; -q
 * runs `mailroom queue flush`. The instance is -C DIR, else
 * $MAILROOM_CONFIG, else /etc/mailroom.
 *
 * Submission is plain SMTP over the public local submission socket
 * $queue_directory/public/pickup, served by smtpd (tools/sendmail_smtp.c).
 * SECURITY: this program has no privileges (no set-id bit) and needs none:
 * smtpd learns who we are from the kernel (SO_PEERCRED) and records the
 * uid in the Received: header; everything we send (the sender address
 * included) is the user's claim, which smtpd treats like SMTP from
 * mynetworks, with the same limits (message_size_limit,
 * smtpd_recipient_limit).
 *
 * Untrusted input: the command line and stdin of the invoking user. The
 * message goes through sendmail_msg.c (limits listed there); addresses
 * through lib/rfc5322_addr (recipient arguments are address lists, as
 * with Postfix) and lib/addr (RFC 5321 syntax, canonical form). Limits:
 * SENDMAIL_FULL_NAME_MAX for -F, RFC 3461's 100 octets for -V, and
 * smtpd_recipient_limit recipients after de-duplication.
 *
 * Exit codes (sysexits.h): 0 sent; EX_USAGE bad options; EX_DATAERR
 * malformed message or address, message too big, or the message or sender
 * refused for good; EX_NOUSER a recipient refused for good (5xx);
 * EX_UNAVAILABLE the mail system cannot be reached; EX_PROTOCOL a
 * malformed reply; EX_TEMPFAIL a temporary refusal (4xx), timeout or lost
 * connection: try again later; EX_IOERR stdin or stdout failed;
 * EX_CONFIG the configuration cannot be loaded. Nothing is queued unless
 * the exit code is 0.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/params.h"
#include "lib/rfc5322_addr.h"
#include "lib/str.h"
#include "lib/xtext.h"
#include "tools/sendmail.h"

/* Where the instance is when neither -C nor MAILROOM_CONFIG says. */
#define SENDMAIL_DEFAULT_CONFIG "/etc/mailroom"

/* The local submission socket, relative to queue_directory. */
#define SENDMAIL_PICKUP "/public/pickup"

/* RFC 3461 4.4: ENVID is at most 100 octets (before xtext encoding). */
#define SENDMAIL_ENVID_MAX 100

/* Longest SMTP address (RFC 5321 4.5.3.1.3, path minus "<" ">"). */
#define SENDMAIL_ADDR_MAX (ADDR_PATH_MAX - 2)

struct sendmail {
	const char *config_dir;
	char mode;              /* 'm', 'p', 's', 'i', 'q' */
	const char *sender_arg; /* -f / -r, or NULL */
	const char *full_name;  /* -F, or NULL */
	bool extract;           /* -t */
	bool dot_ends;          /* no -i / -oi */
	bool verbose;           /* -v */
	enum sendmail_errmode errmode;
	char notify[64];  /* NOTIFY= value, "" when not given */
	const char *ret;  /* RET= value, or NULL */
	struct buf envid; /* ENVID= value (xtext) */
	struct rfc5322_addr_list arg_rcpts;
	/* After the configuration is loaded. */
	char *origin;     /* myorigin, lower case */
	char *login_addr; /* login@myorigin */
	char *sender;     /* canonical envelope sender, "" = <> */
};

/* usage - the command summary; returns EX_USAGE */
static int
usage(void)
{
	fprintf(stderr,
	        "usage: sendmail [-t] [-i] [-v] [-f sender] [-F name] "
	        "[-C dir] [-N dsn] [-R ret] [-V envid]\n"
	        "                [-bm|-bs|-bp|-bi] [-q] [-oi] [-oe{m,p,q,w}] "
	        "[--] [recipient ...]\n");
	return EX_USAGE;
}

/* fail - print "sendmail: ..." unless -oeq; returns exit_code */
static int __attribute__((format(printf, 3, 4)))
fail(const struct sendmail *sm, int exit_code, const char *fmt, ...)
{
	va_list ap;

	if (sm->errmode == SENDMAIL_ERR_QUIET)
		return exit_code;
	fputs("sendmail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return exit_code;
}

/* opt_notify - -N: "never" or a list of success, failure, delay */
static int
opt_notify(struct sendmail *sm, const char *arg)
{
	char **words = str_split(arg, ", ", NULL);
	bool never = false, other = false, ok = words[0] != NULL;
	size_t i, used = 0;

	for (i = 0; ok && words[i] != NULL; i++) {
		const char *w = words[i];
		int n;

		if (str_eq_ci(w, "never")) {
			never = true;
			continue;
		}
		if (!str_eq_ci(w, "success") && !str_eq_ci(w, "failure") &&
		    !str_eq_ci(w, "delay")) {
			ok = false;
			break;
		}
		other = true;
		n = snprintf(sm->notify + used, sizeof(sm->notify) - used,
		             "%s%s", used > 0 ? "," : "", w);
		if (n < 0 || (size_t)n >= sizeof(sm->notify) - used) {
			ok = false;
			break;
		}
		used += (size_t)n;
	}
	str_split_free(&words);
	/* RFC 3461 4.1: NEVER stands alone. */
	if (!ok || (never && other)) {
		fprintf(stderr,
		        "sendmail: -N: bad DSN notification \"%s\" "
		        "(never, or success,failure,delay)\n",
		        log_safe_str(arg));
		return -1;
	}
	if (never)
		snprintf(sm->notify, sizeof(sm->notify), "NEVER");
	for (i = 0; sm->notify[i] != '\0'; i++)
		if (sm->notify[i] >= 'a' && sm->notify[i] <= 'z')
			sm->notify[i] = (char)(sm->notify[i] - 'a' + 'A');
	return 0;
}

/* opt_envid - -V: printable ASCII, at most 100 octets, xtext-encoded */
static int
opt_envid(struct sendmail *sm, const char *arg)
{
	size_t i, n = strlen(arg);

	for (i = 0; i < n; i++)
		if (arg[i] < 0x20 || arg[i] > 0x7e)
			break;
	buf_reset(&sm->envid);
	if (n == 0 || n > SENDMAIL_ENVID_MAX || i < n ||
	    xtext_encode((const uint8_t *)arg, n, &sm->envid) < 0) {
		fprintf(stderr,
		        "sendmail: -V: bad envelope ID (1 to %d "
		        "printable ASCII characters)\n",
		        SENDMAIL_ENVID_MAX);
		return -1;
	}
	return 0;
}

/* opt_full_name - -F: no control characters, bounded */
static int
opt_full_name(struct sendmail *sm, const char *arg)
{
	size_t i, n = strlen(arg);

	for (i = 0; i < n; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			break;
	if (i < n || n > SENDMAIL_FULL_NAME_MAX) {
		fprintf(stderr,
		        "sendmail: -F: the full name must be at most "
		        "%d octets without control characters\n",
		        SENDMAIL_FULL_NAME_MAX);
		return -1;
	}
	sm->full_name = arg;
	return 0;
}

/* opt_errmode - -oeX / -eX */
static int
opt_errmode(struct sendmail *sm, const char *mode)
{
	/* m (mail back) and e are not possible without a queue manager
	 * that can send mail of its own yet: they print, like p and w. */
	if (strcmp(mode, "q") == 0)
		sm->errmode = SENDMAIL_ERR_QUIET;
	else if (strcmp(mode, "p") == 0 || strcmp(mode, "w") == 0 ||
	         strcmp(mode, "m") == 0 || strcmp(mode, "e") == 0)
		sm->errmode = SENDMAIL_ERR_PRINT;
	else {
		fprintf(stderr, "sendmail: unknown error mode \"%s\"\n",
		        log_safe_str(mode));
		return -1;
	}
	return 0;
}

/* opt_mode - -bX */
static int
opt_mode(struct sendmail *sm, const char *mode)
{
	if (strlen(mode) == 1 && strchr("mpsi", mode[0]) != NULL) {
		sm->mode = mode[0];
		return 0;
	}
	fprintf(stderr,
	        "sendmail: -b%s is not supported (use -bm, -bs, -bp "
	        "or -bi)\n",
	        log_safe_str(mode));
	return -1;
}

/* opt_recipients - the arguments: each an RFC 5322 address list */
static int
opt_recipients(struct sendmail *sm, char **args, int count)
{
	struct rfc5322_addr_error err;
	int i;

	for (i = 0; i < count; i++) {
		if (rfc5322_addr_list_parse(
		        &sm->arg_rcpts, (const uint8_t *)args[i],
		        strlen(args[i]), SENDMAIL_RCPT_PARSE_MAX, &err) < 0)
			return fail(sm, EX_DATAERR,
			            "bad recipient address \"%s\": %s",
			            log_safe_str(args[i]), err.text);
	}
	return 0;
}

/* parse_options - the command line into sm; 0 or an exit code */
static int
parse_options(struct sendmail *sm, int argc, char **argv)
{
	int c;

	/* Leading ':': we report missing arguments ourselves. GNU getopt
	 * permutes, so options after recipients work, as with Postfix on
	 * Linux; "--" ends the options. */
	opterr = 0;
	while (
	    (c = getopt(argc, argv,
	                ":A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:q::r:tvx")) !=
	    -1) {
		switch (c) {
		case 'C':
			sm->config_dir = optarg;
			break;
		case 'F':
			if (opt_full_name(sm, optarg) < 0)
				return EX_USAGE;
			break;
		case 'I':
			sm->mode = 'i';
			break;
		case 'N':
			if (opt_notify(sm, optarg) < 0)
				return EX_USAGE;
			break;
		case 'R':
			if (str_eq_ci(optarg, "full"))
				sm->ret = "FULL";
			else if (str_eq_ci(optarg, "hdrs"))
				sm->ret = "HDRS";
			else {
				fprintf(stderr, "sendmail: -R: use full or "
				                "hdrs\n");
				return EX_USAGE;
			}
			break;
		case 'V':
			if (opt_envid(sm, optarg) < 0)
				return EX_USAGE;
			break;
		case 'b':
			if (opt_mode(sm, optarg) < 0)
				return usage();
			break;
		case 'e':
			if (opt_errmode(sm, optarg) < 0)
				return EX_USAGE;
			break;
		case 'f':
		case 'r':
			sm->sender_arg = optarg;
			break;
		case 'i':
			sm->dot_ends = false;
			break;
		case 'o':
			if (optarg[0] == 'i')
				sm->dot_ends = false;
			else if (optarg[0] == 'e' &&
			         opt_errmode(sm, optarg + 1) < 0)
				return EX_USAGE;
			/* Other -o options (-odb, -om, ...): accepted and
			 * ignored, as Postfix does. */
			break;
		case 'q':
			if (optarg != NULL) {
				fprintf(stderr,
				        "sendmail: warning: -q%s is "
				        "ignored; mailroom has no "
				        "periodic queue runs\n",
				        log_safe_str(optarg));
				sm->mode = 'x';
			} else {
				sm->mode = 'q';
			}
			break;
		case 't':
			sm->extract = true;
			break;
		case 'v':
			sm->verbose = true;
			break;
		case 'A':
		case 'B':
		case 'L':
		case 'O':
		case 'X':
		case 'h':
		case 'p':
		case 'G':
		case 'U':
		case 'c':
		case 'm':
		case 'n':
		case 'x':
			/* Accepted for compatibility; nothing to do. */
			break;
		case ':':
			fprintf(stderr, "sendmail: option -%c needs a value\n",
			        optopt);
			return usage();
		default:
			if (optopt >= 0x21 && optopt < 0x7f)
				fprintf(stderr,
				        "sendmail: unknown option "
				        "-%c\n",
				        optopt);
			else
				fprintf(stderr, "sendmail: unknown option\n");
			return usage();
		}
	}
	if (sm->mode != 'm' && optind < argc) {
		fprintf(stderr, "sendmail: recipients are not used with this "
		                "mode\n");
		return usage();
	}
	return opt_recipients(sm, argv + optind, argc - optind);
}

/* run_tool - exec a mailroom program from our own directory */
static int
run_tool(const char *name, char *const *args)
{
	char self[PATH_MAX], *slash, *path;
	char *argv[8];
	ssize_t n;
	int i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "sendmail: cannot find my own directory: %s\n",
		        strerror(errno));
		return EX_OSERR;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	path = mem_asprintf("%s/%s", self, name);
	argv[0] = (char *)name;
	for (i = 0; i < 6 && args[i] != NULL; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	fflush(NULL);
	execv(path, argv);
	fprintf(stderr, "sendmail: cannot run %s: %s\n", path, strerror(errno));
	mem_free(&path);
	return EX_UNAVAILABLE;
}

/*
 * canon_addr - addr-spec text to the canonical address ("user" gets
 * @myorigin); NULL after printing why
 */
static char *
canon_addr(struct sendmail *sm, const char *what, const char *text)
{
	struct addr a;
	struct addr_error err;
	char *out;

	if (addr_parse_bare((const uint8_t *)text, strlen(text),
	                    ADDR_F_NO_DOMAIN | ADDR_F_UTF8, NULL, &a,
	                    &err) < 0) {
		fail(sm, EX_DATAERR, "bad %s address \"%s\": %s", what,
		     log_safe_str(text), err.text);
		return NULL;
	}
	/* Postfix's append_at_myorigin: a bare "user" is user@$myorigin. */
	if (a.domain == NULL)
		a.domain = mem_strdup(sm->origin);
	out = addr_format(&a);
	addr_deinit(&a);
	if (strlen(out) > SENDMAIL_ADDR_MAX) {
		fail(sm, EX_DATAERR, "%s address too long: \"%s\"", what,
		     log_safe_str(out));
		mem_free(&out);
	}
	return out;
}

/* setup_identity - myorigin, the login address and the sender */
static int
setup_identity(struct sendmail *sm)
{
	struct passwd *pw;
	struct addr a;
	const char *s = sm->sender_arg;

	if (!addr_is_valid_domain((const uint8_t *)param_myorigin,
	                          strlen(param_myorigin), 0))
		return fail(sm, EX_CONFIG, "myorigin \"%s\" is not a domain",
		            log_safe_str(param_myorigin));
	sm->origin = str_lower(mem_strdup(param_myorigin));
	pw = getpwuid(getuid());
	if (pw == NULL)
		return fail(sm, EX_NOUSER, "no user name for uid %ld",
		            (long)getuid());
	a.local = pw->pw_name;
	a.domain = sm->origin;
	sm->login_addr = addr_format(&a);
	if (s == NULL) {
		sm->sender = mem_strdup(sm->login_addr);
	} else if (s[0] == '\0' || strcmp(s, "<>") == 0) {
		sm->sender = mem_strdup("");
	} else {
		size_t n = strlen(s);
		char *inner;

		if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
			inner = mem_strndup(s + 1, n - 2);
		else
			inner = mem_strdup(s);
		sm->sender = canon_addr(sm, "sender", inner);
		mem_free(&inner);
		if (sm->sender == NULL)
			return EX_DATAERR;
	}
	return 0;
}

/* has_8bit - whether s has octets >= 0x80 (then SMTPUTF8 is needed) */
static bool
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* cmp_str - qsort order of strings */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * collect_rcpts - arguments and -t addresses, canonical, sorted, without
 * duplicates (as Postfix's cleanup removes them)
 */
static int
collect_rcpts(struct sendmail *sm, const struct sendmail_msg *m,
              struct sendmail_envelope *env)
{
	const struct rfc5322_addr_list *lists[2] = {&sm->arg_rcpts, &m->rcpts};
	size_t total = sm->arg_rcpts.count + m->rcpts.count, i, j, k = 0;
	char **rcpts = mem_alloc_array(total + 1, sizeof(*rcpts));

	env->rcpts = rcpts;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < lists[i]->count; j++) {
			char *a =
			    canon_addr(sm, "recipient", lists[i]->addrs[j]);

			if (a == NULL)
				return EX_DATAERR;
			if (has_8bit(a))
				env->smtputf8 = true;
			rcpts[k++] = a;
			env->rcpt_count = k;
		}
	}
	if (k > 1)
		qsort(rcpts, k, sizeof(*rcpts), cmp_str);
	for (i = 0, j = 0; i < k; i++) {
		if (j > 0 && strcmp(rcpts[j - 1], rcpts[i]) == 0)
			mem_free(&rcpts[i]);
		else
			rcpts[j++] = rcpts[i];
	}
	env->rcpt_count = j;
	if (j == 0)
		return fail(sm, EX_DATAERR,
		            "no recipient addresses found in "
		            "the message header");
	if (j > (size_t)param_smtpd_recipient_limit)
		return fail(sm, EX_DATAERR,
		            "too many recipients: %zu "
		            "(smtpd_recipient_limit is %lld)",
		            j, (long long)param_smtpd_recipient_limit);
	return 0;
}

/* pickup_path - $queue_directory/public/pickup */
static char *
pickup_path(void)
{
	return mem_asprintf("%s%s", param_queue_directory, SENDMAIL_PICKUP);
}

/* send_message - -bm: read, prepare and submit the message */
static int
send_message(struct sendmail *sm)
{
	struct sendmail_msg_opts mo;
	struct sendmail_msg m;
	struct sendmail_envelope env;
	const char *error;
	char *path = NULL;
	size_t i;
	int ret;

	if (!sm->extract && sm->arg_rcpts.count == 0) {
		fprintf(stderr, "sendmail: recipient addresses must be given "
		                "as arguments or with -t\n");
		return usage();
	}
	if ((ret = setup_identity(sm)) != 0)
		return ret;
	memset(&mo, 0, sizeof(mo));
	mo.extract = sm->extract;
	mo.dot_ends = sm->dot_ends;
	mo.from_addr = sm->sender[0] != '\0' ? sm->sender : sm->login_addr;
	mo.full_name = sm->full_name;
	mo.myhostname = param_myhostname;
	mo.max_octets = param_message_size_limit > 0
	                    ? (uint64_t)param_message_size_limit
	                    : SENDMAIL_UNLIMITED_MAX;
	memset(&env, 0, sizeof(env));
	ret = sendmail_msg_read(STDIN_FILENO, &mo, &m, &error);
	if (ret != 0) {
		fail(sm, ret, "%s", error);
		goto out;
	}
	if ((ret = collect_rcpts(sm, &m, &env)) != 0)
		goto out;
	env.sender = sm->sender;
	env.smtputf8 = env.smtputf8 || has_8bit(sm->sender);
	env.notify = sm->notify[0] != '\0' ? sm->notify : NULL;
	env.ret = sm->ret;
	env.envid = sm->envid.len > 0 ? buf_cstr(&sm->envid) : NULL;
	path = pickup_path();
	ret = sendmail_smtp_submit(path, &env, &m, sm->verbose,
	                           sm->errmode == SENDMAIL_ERR_QUIET);
out:
	for (i = 0; i < env.rcpt_count; i++)
		mem_free(&env.rcpts[i]);
	mem_free(&env.rcpts);
	mem_free(&path);
	sendmail_msg_deinit(&m);
	return ret;
}

/* load_config - the instance's main.cf; 0 or EX_CONFIG */
static int
load_config(struct sendmail *sm)
{
	const char *error;

	if (config_load(sm->config_dir, NULL, &error) < 0)
		return fail(sm, EX_CONFIG, "%s", error);
	return 0;
}

/* run - the selected mode */
static int
run(struct sendmail *sm)
{
	char *args[6];
	char *path;
	int ret;

	switch (sm->mode) {
	case 'p':
		args[0] = "-c";
		args[1] = (char *)sm->config_dir;
		args[2] = "queue";
		args[3] = "list";
		args[4] = NULL;
		return run_tool("mailroom", args);
	case 'q':
		args[0] = "-c";
		args[1] = (char *)sm->config_dir;
		args[2] = "queue";
		args[3] = "flush";
		args[4] = NULL;
		return run_tool("mailroom", args);
	case 'i':
		args[0] = "-C";
		args[1] = (char *)sm->config_dir;
		args[2] = sm->verbose ? "-v" : NULL;
		args[3] = NULL;
		return run_tool("newaliases", args);
	case 'x':
		return 0;
	case 's':
		if ((ret = load_config(sm)) != 0)
			return ret;
		/* A client that goes away must not kill us mid-write. */
		signal(SIGPIPE, SIG_IGN);
		path = pickup_path();
		ret = sendmail_smtp_relay(path);
		mem_free(&path);
		return ret;
	default:
		if ((ret = load_config(sm)) != 0)
			return ret;
		return send_message(sm);
	}
}

/* main - the command line, then the mode */
int
main(int argc, char **argv)
{
	struct sendmail sm;
	const char *base;
	int ret;

	log_init("sendmail", LOG_TO_STDERR);
	memset(&sm, 0, sizeof(sm));
	sm.mode = 'm';
	sm.dot_ends = true;
	sm.errmode = SENDMAIL_ERR_PRINT;
	buf_init(&sm.envid, 3 * SENDMAIL_ENVID_MAX);
	rfc5322_addr_list_init(&sm.arg_rcpts);
	base = argc > 0 && argv[0] != NULL ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 ? argv[0] : "sendmail";
	if (base != NULL && strcmp(base, "mailq") == 0)
		sm.mode = 'p';
	else if (base != NULL && strcmp(base, "newaliases") == 0)
		sm.mode = 'i';
	ret = parse_options(&sm, argc, argv);
	if (ret == 0) {
		sm.config_dir = sm.config_dir != NULL ? sm.config_dir
		                : getenv("MAILROOM_CONFIG") != NULL
		                    ? getenv("MAILROOM_CONFIG")
		                    : SENDMAIL_DEFAULT_CONFIG;
		ret = run(&sm);
	}
	rfc5322_addr_list_deinit(&sm.arg_rcpts);
	buf_deinit(&sm.envid);
	mem_free(&sm.origin);
	mem_free(&sm.login_addr);
	mem_free(&sm.sender);
	return ret;
}
