/*
 * service_table.h - the master.cf service table.
 *
 * One line per service, Postfix style (docs/services.md):
 *
 *   service type private unpriv chroot wakeup maxproc command [args...]
 *
 * type is inet ([host:]port, host may be [ipv6]) or unix (a socket name in
 * queue_directory/private or /public). '-' picks a field's default. The
 * parser checks syntax only; master resolves commands in daemon_directory
 * and binds the sockets.
 */
#ifndef MR_SERVICE_TABLE_H
#define MR_SERVICE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Name of the service table inside the config directory. */
#define SERVICE_TABLE_FILE "master.cf"

/* Most services one table may define. */
#define SERVICE_TABLE_MAX_SERVICES 256

/* Most arguments after the command on one line. */
#define SERVICE_MAX_ARGS 64

/* Longest logical line (after joining continuation lines). */
#define SERVICE_TABLE_MAX_LINE_OCTETS 4096

/* Largest master.cf we read. */
#define SERVICE_TABLE_MAX_FILE_OCTETS (1024u * 1024)

/*
 * Longest unix service name; with queue_directory/private/ in front the
 * socket path must still fit sockaddr_un's 108 bytes (master checks that).
 */
#define SERVICE_MAX_NAME_OCTETS 64

/* Longest command name. */
#define SERVICE_MAX_COMMAND_OCTETS 64

/* Largest maxproc a line may ask for. */
#define SERVICE_MAX_PROCESSES 100000

enum service_type {
	SERVICE_TYPE_INET,
	SERVICE_TYPE_UNIX,
};

struct service_entry {
	char *name; /* first field as written: "smtp", "[::1]:25" */
	enum service_type type;
	char *host;           /* inet: address or host name, without [];
	                         NULL: none given, use inet_interfaces */
	char *port;           /* inet: the port as decimal digits (a name
	                         from /etc/services is resolved) */
	uint16_t port_number; /* inet: the same as a number */
	bool is_private;      /* unix: socket in private/ (else public/) */
	bool is_unpriv;       /* run as mail_owner (else keep root) */
	unsigned maxproc;     /* process limit; 0 = default_process_limit */
	char *command;        /* daemon program name, no slash */
	char **argv;          /* the arguments after the command, as
	                         written; NULL-terminated, never NULL */
	size_t argc;          /* entries of argv before the NULL */
	int line;             /* line of master.cf, for messages */
};

struct service_table {
	struct service_entry *entries;
	size_t count;
};

/*
 * service_table_parse - parse len bytes of master.cf text (any bytes);
 * filename is for messages. Returns 0 with a new table in *table_r (free it
 * with service_table_free), or -1 with "FILE, line N: ..." in *error_r
 * (owned by this module, valid until the next service_table_* call).
 * Constructs that are accepted but ignored (chroot y, a wakeup time) are
 * logged as warnings naming file and line.
 */
int service_table_parse(const char *text, size_t len, const char *filename,
                        struct service_table **table_r, const char **error_r);

/*
 * service_table_load - service_table_parse of the file at path (normally
 * config_directory/master.cf); a missing or unreadable file is an error.
 */
int service_table_load(const char *path, struct service_table **table_r,
                       const char **error_r);

/* service_table_free - free a table and NULL the caller's pointer. */
void service_table_free(struct service_table **table);

/*
 * service_table_find - the entry with this name and type, or NULL. The
 * pointer is valid as long as the table.
 */
const struct service_entry *
service_table_find(const struct service_table *table, const char *name,
                   enum service_type type);

/*
 * service_table_socket_path - for a unix service, the new string
 * queue_directory/private/NAME or queue_directory/public/NAME; the caller
 * frees it. Panics for inet services (our bug).
 */
char *service_table_socket_path(const struct service_entry *entry,
                                const char *queue_directory);

/* service_table_type_name - "inet" or "unix". */
const char *service_table_type_name(enum service_type type);

#endif
