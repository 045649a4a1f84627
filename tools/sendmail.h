/*
 * sendmail.h - private interfaces of the sendmail command (tools/sendmail*.c).
 *
 * sendmail.c parses the command line and runs one mode; sendmail_msg.c
 * reads the message from standard input and prepares its header;
 * sendmail_smtp.c talks SMTP to smtpd over the local submission socket
 * ($queue_directory/public/pickup). docs/sendmail.md is the manual page
 * and the threat model.
 */
#ifndef MR_TOOLS_SENDMAIL_H
#define MR_TOOLS_SENDMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/rfc5322_addr.h"

/*
 * RFC 5322 2.1.1: a line is at most 998 octets before CR LF. Longer input
 * lines are split: in the body by inserting CR LF, in the header by
 * folding (CR LF SP), so a long header stays one header field.
 */
#define SENDMAIL_LINE_MAX 998

/* Postfix's header_size_limit default: the whole header section. */
#define SENDMAIL_HEADER_MAX (100u * 1024)

/* Longest -F full name we put into a From: header. */
#define SENDMAIL_FULL_NAME_MAX 256

/* Room for the header fields sendmail adds (From:, Date:, Message-ID:). */
#define SENDMAIL_ADDED_HEADER_MAX (2u * 1024)

/*
 * Most recipients one message may name before de-duplication (the queue
 * file format's limit); smtpd_recipient_limit applies after it.
 */
#define SENDMAIL_RCPT_PARSE_MAX 100000

/*
 * XXX: with message_size_limit = 0 (no limit) the message is still held in
 * memory, so it is capped here. Remove when the message is spooled to a
 * temporary file instead.
 */
#define SENDMAIL_UNLIMITED_MAX (1024u * 1024 * 1024)

/* RFC 5321 4.5.3.2: 5 minutes per command, 10 for the end of data. */
#define SENDMAIL_TIMEOUT_MS (300 * 1000)
#define SENDMAIL_DATA_END_TIMEOUT_MS (600 * 1000)

/* Error modes of -oe / -e (sendmail(8)). */
enum sendmail_errmode {
	SENDMAIL_ERR_PRINT, /* -oep, -oew, -oem, -oee: message on stderr */
	SENDMAIL_ERR_QUIET, /* -oeq: exit status only */
};

/* What sendmail_msg_read needs to know. */
struct sendmail_msg_opts {
	bool extract;           /* -t: collect To:, Cc:, Bcc:; drop Bcc: */
	bool dot_ends;          /* no -i: a "." line ends the input */
	const char *from_addr;  /* for an added From: header */
	const char *full_name;  /* -F, or NULL */
	const char *myhostname; /* for Message-ID: */
	uint64_t max_octets;    /* header plus body, CR LF counted */
};

/*
 * struct sendmail_msg - the message ready to send: header section
 * (fields, added fields and the empty line that ends it) and body, both
 * with CR LF line ends, no line over SENDMAIL_LINE_MAX octets, not yet
 * dot-stuffed. rcpts holds the -t recipients (addr-spec text).
 */
struct sendmail_msg {
	struct buf header;
	struct buf body;
	bool has_8bit;
	struct rfc5322_addr_list rcpts;
};

/*
 * sendmail_msg_read - read the message from fd into m (initialised here;
 * release with sendmail_msg_deinit even on failure). Returns 0, or a
 * sysexits code with a one-line reason in *error_r (static or in m).
 */
int sendmail_msg_read(int fd, const struct sendmail_msg_opts *o,
                      struct sendmail_msg *m, const char **error_r);

/* sendmail_msg_deinit - release the buffers and the recipient list. */
void sendmail_msg_deinit(struct sendmail_msg *m);

/* The envelope of one submission. */
struct sendmail_envelope {
	const char *sender; /* canonical, "" for the null sender */
	char **rcpts;       /* canonical addresses, no duplicates */
	size_t rcpt_count;
	const char *notify; /* NOTIFY= value or NULL */
	const char *ret;    /* RET= value or NULL */
	const char *envid;  /* ENVID= value, already xtext, or NULL */
	bool smtputf8;      /* an address has 8-bit octets */
};

/*
 * sendmail_smtp_submit - connect to the socket at path and submit the
 * message with one MAIL, RCPT..., DATA transaction. All or nothing: when
 * any recipient is refused, the transaction is abandoned (nothing is
 * queued). verbose prints the dialogue on stderr; quiet suppresses the
 * error messages. Returns 0 or a sysexits code (the message printed).
 */
int sendmail_smtp_submit(const char *path, const struct sendmail_envelope *env,
                         const struct sendmail_msg *m, bool verbose,
                         bool quiet);

/*
 * sendmail_smtp_relay - -bs: connect to the socket at path and copy bytes
 * between it and stdin/stdout (LF from stdin becomes CR LF) until the
 * server closes. Returns 0 or a sysexits code (the message printed).
 */
int sendmail_smtp_relay(const char *path);

#endif
