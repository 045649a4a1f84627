/*
 * service_table.c - the master.cf service table parser.
 *
 *   service_table_parse        text to a table of services
 *   service_table_load         the same for a file
 *   service_table_free         release a table
 *   service_table_find         entry by name and type
 *   service_table_socket_path  where a unix service's socket lives
 *   service_table_type_name    "inet" or "unix"
 *
 * The caller owns a returned table (service_table_free); error texts belong
 * to this module. master.cf is written by the administrator and read by
 * master as root, so it is parsed as untrusted bytes: lines go through the
 * config_reader (no control characters, continuation and comments as in
 * main.cf), and every field is checked: the service type, the y/n/- flags,
 * the unix socket name (no slash, so it cannot leave private/ or public/),
 * the inet host and port, maxproc's range, the command name (a plain name
 * looked up in daemon_directory, never a path) and "-o name=value"
 * arguments. Limits: SERVICE_TABLE_MAX_FILE_OCTETS, _MAX_LINE_OCTETS,
 * _MAX_SERVICES, SERVICE_MAX_ARGS, SERVICE_MAX_NAME_OCTETS,
 * SERVICE_MAX_COMMAND_OCTETS, SERVICE_MAX_PROCESSES. A port given by name
 * is resolved with getservbyname() (/etc/services); nothing else is looked
 * up.
 */
#include "lib/service_table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/parse_num.h"
#include "lib/str.h"

/* Fields before the arguments: service type private unpriv chroot wakeup
 * maxproc command. */
#define SERVICE_FIXED_FIELDS 8

/* Longest host name in an inet service (RFC 1035 section 2.3.4). */
#define SERVICE_MAX_HOST_OCTETS 253

/* Longest port name looked up in /etc/services. */
#define SERVICE_MAX_PORT_NAME_OCTETS 32

/* The message *error_r points to. */
static char *service_table_error;

/* One parse in progress. */
struct service_parse {
	const char *filename;
	int line;
	struct service_table *table;
	char *error;
};

/* service_fail - record "FILE, line N: text" */
static int __attribute__((format(printf, 2, 3)))
service_fail(struct service_parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->error == NULL)
		p->error =
		    mem_asprintf("%s, line %d: %s", p->filename, p->line, msg);
	return -1;
}

/* service_table_type_name - type as written in master.cf */
const char *
service_table_type_name(enum service_type type)
{
	return type == SERVICE_TYPE_INET ? "inet" : "unix";
}

/* service_is_in - whether every byte of s is in the accepted set */
static bool
service_is_in(const char *s, const char *extra, bool upper)
{
	const char *c;

	for (c = s; *c != '\0'; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))
			continue;
		if (upper && *c >= 'A' && *c <= 'Z')
			continue;
		if (strchr(extra, *c) == NULL)
			return false;
	}
	return true;
}

/* service_flag - a y/n/- field; returns 0 or -1 */
static int
service_flag(struct service_parse *p, const char *field, const char *what,
             bool default_value, bool *value_r)
{
	if (strcmp(field, "-") == 0)
		*value_r = default_value;
	else if (strcmp(field, "y") == 0)
		*value_r = true;
	else if (strcmp(field, "n") == 0)
		*value_r = false;
	else
		return service_fail(p, "bad %s field \"%s\" (use y, n or -)",
		                    what, log_safe_str(field));
	return 0;
}

/* service_port - a port number or a name from /etc/services */
static int
service_port(struct service_parse *p, const char *text, uint16_t *port_r)
{
	uint64_t v;
	struct servent *se;

	if (*text >= '0' && *text <= '9') {
		if (parse_uint(text, 1, 65535, &v) < 0)
			return service_fail(p, "bad port \"%s\"",
			                    log_safe_str(text));
		*port_r = (uint16_t)v;
		return 0;
	}
	if (*text == '\0' || strlen(text) > SERVICE_MAX_PORT_NAME_OCTETS ||
	    !service_is_in(text, "-", false))
		return service_fail(p, "bad port \"%s\"", log_safe_str(text));
	se = getservbyname(text, "tcp");
	if (se == NULL)
		return service_fail(p, "unknown port name \"%s\"", text);
	*port_r = ntohs((uint16_t)se->s_port);
	return 0;
}

/* service_inet_address - split [host:]port, host may be [ipv6] */
static int
service_inet_address(struct service_parse *p, struct service_entry *e)
{
	const char *name = e->name, *port_text;
	char *host = NULL;

	if (name[0] == '[') {
		const char *end = strchr(name, ']');
		struct in6_addr a6;

		if (end == NULL || end[1] != ':')
			return service_fail(p,
			                    "bad address \"%s\" (expected "
			                    "[ipv6]:port)",
			                    log_safe_str(name));
		host = mem_strndup(name + 1, (size_t)(end - name - 1));
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			service_fail(p, "bad IPv6 address \"%s\"",
			             log_safe_str(host));
			mem_free(&host);
			return -1;
		}
		port_text = end + 2;
	} else {
		const char *colon = strrchr(name, ':');

		if (colon != NULL) {
			host = mem_strndup(name, (size_t)(colon - name));
			if (*host == '\0' ||
			    strlen(host) > SERVICE_MAX_HOST_OCTETS ||
			    !service_is_in(host, ".-", true)) {
				service_fail(p,
				             "bad host \"%s\" (an IPv6 "
				             "address goes in brackets)",
				             log_safe_str(host));
				mem_free(&host);
				return -1;
			}
			port_text = colon + 1;
		} else {
			port_text = name;
		}
	}
	e->host = host;
	if (service_port(p, port_text, &e->port_number) < 0)
		return -1;
	e->port = mem_asprintf("%u", (unsigned)e->port_number);
	return 0;
}

/* service_unix_name - a socket name: no slash, no dot-only names */
static int
service_unix_name(struct service_parse *p, const char *name)
{
	/* SECURITY: the name becomes a path under private/ or public/. */
	if (strlen(name) > SERVICE_MAX_NAME_OCTETS ||
	    !service_is_in(name, "_.-", true) || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return service_fail(p,
		                    "bad unix service name \"%s\" "
		                    "(letters, digits, '_', '.', '-'; at most "
		                    "%d)",
		                    log_safe_str(name),
		                    SERVICE_MAX_NAME_OCTETS);
	return 0;
}

/* service_args - copy command and arguments, checking -o name=value */
static int
service_args(struct service_parse *p, struct service_entry *e,
             char *const *fields, size_t count)
{
	size_t i;

	/* SECURITY: a plain name, so master can only run daemon_directory's
	 * programs. */
	if (strlen(fields[0]) > SERVICE_MAX_COMMAND_OCTETS ||
	    !service_is_in(fields[0], "_-", false))
		return service_fail(p,
		                    "bad command \"%s\" (a daemon name: "
		                    "a-z, 0-9, '_', '-')",
		                    log_safe_str(fields[0]));
	if (count - 1 > SERVICE_MAX_ARGS)
		return service_fail(p, "more than %d arguments",
		                    SERVICE_MAX_ARGS);
	for (i = 1; i < count; i++) {
		const char *a = fields[i], *eq;
		size_t j;

		if (strcmp(a, "-o") != 0)
			continue;
		if (i + 1 >= count)
			return service_fail(p, "-o without name=value");
		a = fields[++i];
		eq = strchr(a, '=');
		for (j = 0; eq != NULL && a + j < eq; j++)
			if (!((a[j] >= 'a' && a[j] <= 'z') ||
			      (a[j] >= 'A' && a[j] <= 'Z') ||
			      (a[j] >= '0' && a[j] <= '9') || a[j] == '_'))
				break;
		if (eq == NULL || eq == a || a + j != eq)
			return service_fail(p,
			                    "bad -o argument \"%s\" "
			                    "(expected name=value)",
			                    log_safe_str(a));
	}
	e->command = mem_strdup(fields[0]);
	e->argv = mem_alloc_array(count, sizeof(*e->argv));
	for (i = 1; i < count; i++)
		e->argv[i - 1] = mem_strdup(fields[i]);
	e->argc = count - 1;
	return 0;
}

/* service_entry_deinit - free one entry */
static void
service_entry_deinit(struct service_entry *e)
{
	size_t i;

	mem_free(&e->name);
	mem_free(&e->host);
	mem_free(&e->port);
	mem_free(&e->command);
	for (i = 0; e->argv != NULL && i < e->argc; i++)
		mem_free(&e->argv[i]);
	mem_free(&e->argv);
}

/* service_line - one logical line into one entry */
static int
service_line(struct service_parse *p, const char *line)
{
	struct service_table *t = p->table;
	struct service_entry e;
	size_t count, i;
	char **f = str_split(line, " \t", &count);
	bool chroot_flag;
	uint64_t v;

	memset(&e, 0, sizeof(e));
	e.line = p->line;
	if (count < SERVICE_FIXED_FIELDS) {
		service_fail(p,
		             "expected at least %d fields (service type "
		             "private unpriv chroot wakeup maxproc command), "
		             "found %zu",
		             SERVICE_FIXED_FIELDS, count);
		goto fail;
	}
	e.name = mem_strdup(f[0]);
	if (strcmp(f[1], "inet") == 0) {
		e.type = SERVICE_TYPE_INET;
	} else if (strcmp(f[1], "unix") == 0) {
		e.type = SERVICE_TYPE_UNIX;
	} else {
		service_fail(p,
		             "service \"%s\": unsupported service type "
		             "\"%s\" (use inet or unix)",
		             log_safe_str(f[0]), log_safe_str(f[1]));
		goto fail;
	}
	if (e.type == SERVICE_TYPE_INET ? service_inet_address(p, &e) < 0
	                                : service_unix_name(p, e.name) < 0)
		goto fail;
	if (service_flag(p, f[2], "private", e.type == SERVICE_TYPE_UNIX,
	                 &e.is_private) < 0 ||
	    service_flag(p, f[3], "unpriv", true, &e.is_unpriv) < 0 ||
	    service_flag(p, f[4], "chroot", false, &chroot_flag) < 0)
		goto fail;
	if (e.type == SERVICE_TYPE_INET && e.is_private) {
		service_fail(p,
		             "service \"%s\": an inet service cannot be "
		             "private",
		             log_safe_str(e.name));
		goto fail;
	}
	if (chroot_flag)
		log_warn("%s, line %d: service \"%s\": chroot is not "
		         "supported; the service runs without chroot",
		         p->filename, p->line, log_safe_str(e.name));
	if (strcmp(f[5], "-") != 0 && strcmp(f[5], "0") != 0) {
		size_t n = strlen(f[5]);

		if (n > 0 && f[5][n - 1] == '?')
			n--;
		if (parse_uint_n(f[5], n, 0, UINT32_MAX, &v) < 0) {
			service_fail(p, "bad wakeup field \"%s\"",
			             log_safe_str(f[5]));
			goto fail;
		}
		log_warn("%s, line %d: service \"%s\": wakeup is not "
		         "supported; ignored",
		         p->filename, p->line, log_safe_str(e.name));
	}
	if (strcmp(f[6], "-") != 0) {
		if (strcmp(f[6], "0") == 0) {
			service_fail(p,
			             "service \"%s\": maxproc 0 (no limit) "
			             "is not supported; give a number or -",
			             log_safe_str(e.name));
			goto fail;
		}
		if (parse_uint(f[6], 1, SERVICE_MAX_PROCESSES, &v) < 0) {
			service_fail(p,
			             "bad maxproc field \"%s\" (1 to %d "
			             "or -)",
			             log_safe_str(f[6]), SERVICE_MAX_PROCESSES);
			goto fail;
		}
		e.maxproc = (unsigned)v;
	}
	if (service_args(p, &e, f + 7, count - 7) < 0)
		goto fail;
	for (i = 0; i < t->count; i++) {
		if (t->entries[i].type == e.type &&
		    strcmp(t->entries[i].name, e.name) == 0) {
			service_fail(p,
			             "duplicate service \"%s\" type %s "
			             "(first on line %d)",
			             log_safe_str(e.name),
			             service_table_type_name(e.type),
			             t->entries[i].line);
			goto fail;
		}
	}
	if (t->count >= SERVICE_TABLE_MAX_SERVICES) {
		service_fail(p, "more than %d services",
		             SERVICE_TABLE_MAX_SERVICES);
		goto fail;
	}
	t->entries =
	    mem_realloc_array(t->entries, t->count + 1, sizeof(*t->entries));
	t->entries[t->count++] = e;
	str_split_free(&f);
	return 0;
fail:
	service_entry_deinit(&e);
	str_split_free(&f);
	return -1;
}

/* service_table_free - release a table */
void
service_table_free(struct service_table **table)
{
	struct service_table *t = *table;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++)
		service_entry_deinit(&t->entries[i]);
	mem_free(&t->entries);
	mem_free(table);
}

/* service_table_parse - master.cf text to a table */
int
service_table_parse(const char *text, size_t len, const char *filename,
                    struct service_table **table_r, const char **error_r)
{
	struct service_parse p;
	struct config_reader r;
	const char *line, *err = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	p.filename = filename;
	p.table = mem_alloc(sizeof(*p.table));
	mem_free(&service_table_error);
	config_reader_init(&r, text, len, filename,
	                   SERVICE_TABLE_MAX_LINE_OCTETS);
	while ((rc = config_reader_next(&r, &line, &p.line, &err)) > 0)
		if (service_line(&p, line) < 0)
			break;
	if (rc < 0 && err != NULL)
		p.error = mem_strdup(err);
	config_reader_deinit(&r);
	if (p.error != NULL) {
		service_table_error = p.error;
		*error_r = service_table_error;
		service_table_free(&p.table);
		return -1;
	}
	*table_r = p.table;
	return 0;
}

/* service_table_load - read and parse a master.cf file */
int
service_table_load(const char *path, struct service_table **table_r,
                   const char **error_r)
{
	struct buf text;
	int rc;

	buf_init(&text, SERVICE_TABLE_MAX_FILE_OCTETS);
	if (io_read_file(path, SERVICE_TABLE_MAX_FILE_OCTETS, &text) < 0) {
		mem_free(&service_table_error);
		service_table_error =
		    errno == EFBIG
		        ? mem_asprintf("%s: file larger than %u bytes", path,
		                       SERVICE_TABLE_MAX_FILE_OCTETS)
		        : mem_asprintf("cannot read %s: %s", path,
		                       strerror(errno));
		*error_r = service_table_error;
		buf_deinit(&text);
		return -1;
	}
	rc = service_table_parse(text.data != NULL ? (char *)text.data : "",
	                         text.len, path, table_r, error_r);
	buf_deinit(&text);
	return rc;
}

/* service_table_find - entry by name and type */
const struct service_entry *
service_table_find(const struct service_table *table, const char *name,
                   enum service_type type)
{
	size_t i;

	for (i = 0; i < table->count; i++)
		if (table->entries[i].type == type &&
		    strcmp(table->entries[i].name, name) == 0)
			return &table->entries[i];
	return NULL;
}

/* service_table_socket_path - queue_directory/private|public/NAME */
char *
service_table_socket_path(const struct service_entry *entry,
                          const char *queue_directory)
{
	MR_ASSERT(entry->type == SERVICE_TYPE_UNIX);
	return mem_asprintf("%s/%s/%s", queue_directory,
	                    entry->is_private ? "private" : "public",
	                    entry->name);
}
