/*
 * resolve.c - the local agent's pure decisions, kept free of I/O so that
 * unit tests can drive them.
 *
 *   local_domain_classify      mydestination, virtual or not ours
 *   local_addr_split           "Local@Dom" -> "local", "dom"
 *   local_ext_split            recipient_delimiter (Postfix split_addr)
 *   local_hdr_scan_*           Delivered-To loop detection in the headers
 *   local_list_has             allow_mail_to_commands / _files lookups
 *   local_forward_path_expand  one forward_path element
 *   local_outcome_set/merge    per-recipient results
 *   local_log_delivery         the "to=<...>, relay=local" log line
 *
 * Untrusted input: recipient addresses and message headers from the queue
 * file (already checked by lib/queue_read: no control characters in the
 * envelope). Limits: LOCAL_HEADER_SCAN_MAX octets of headers are scanned,
 * lines longer than LOCAL_HEADER_LINE_MAX are skipped. Runs with whatever
 * privileges the caller has; touches nothing outside its arguments.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "local/local.h"

/* local_domain_in - whether domain is in list (case-insensitive) */
static bool
local_domain_in(char *const *list, const char *domain)
{
	for (; list != NULL && *list != NULL; list++)
		if (str_eq_ci(*list, domain))
			return true;
	return false;
}

/* local_domain_classify - which of our domain lists domain is in */
enum local_domain_class
local_domain_classify(const char *domain, char *const *mydestination,
		      char *const *virtual_domains)
{
	if (domain == NULL || *domain == '\0')
		return LOCAL_DOMAIN_NONE;
	if (local_domain_in(mydestination, domain))
		return LOCAL_DOMAIN_LOCAL;
	if (local_domain_in(virtual_domains, domain))
		return LOCAL_DOMAIN_VIRTUAL;
	return LOCAL_DOMAIN_NONE;
}

/* local_addr_split - local part and domain, both folded to lower case */
int
local_addr_split(const char *address, char **local_r, char **domain_r)
{
	const char *at = strrchr(address, '@');
	size_t local_len = at != NULL ? (size_t)(at - address)
				      : strlen(address);

	*local_r = NULL;
	*domain_r = NULL;
	if (local_len == 0)
		return -1;
	*local_r = str_lower(mem_strndup(address, local_len));
	*domain_r = str_lower(mem_strdup(at != NULL ? at + 1 : ""));
	return 0;
}

/* local_ext_split - offset of the extension delimiter, 0 for none */
size_t
local_ext_split(const char *local_part, const char *delimiter)
{
	size_t off;

	if (delimiter == NULL || *delimiter == '\0')
		return 0;
	/* Postfix split_addr: these names are never split. */
	if (str_eq_ci(local_part, "postmaster") ||
	    str_eq_ci(local_part, "mailer-daemon") ||
	    str_eq_ci(local_part, "double-bounce"))
		return 0;
	if (strchr(delimiter, '-') != NULL) {
		size_t n = strlen(local_part);

		if (str_has_prefix_ci(local_part, "owner-") ||
		    (n > 8 && str_eq_ci(local_part + n - 8, "-request")))
			return 0;
	}
	off = strcspn(local_part, delimiter);
	/* Never split at the first octet ("+sales" stays whole). */
	if (off == 0 || local_part[off] == '\0')
		return 0;
	return off;
}

/* local_hdr_scan_init - start looking for "Delivered-To: address" */
void
local_hdr_scan_init(struct local_hdr_scan *scan, const char *address)
{
	memset(scan, 0, sizeof(*scan));
	scan->address = address;
}

/* local_hdr_scan_line - check one complete header line */
static void
local_hdr_scan_line(struct local_hdr_scan *scan)
{
	static const char name[] = "Delivered-To:";
	char *value;

	scan->line[scan->line_len] = '\0';
	if (scan->line_len > 0 && scan->line[scan->line_len - 1] == '\r')
		scan->line[--scan->line_len] = '\0';
	if (scan->line_len == 0) {
		scan->done = true;	/* the empty line ends the headers */
		return;
	}
	if (!str_has_prefix_ci(scan->line, name))
		return;
	value = str_trim(scan->line + sizeof(name) - 1);
	if (str_eq_ci(value, scan->address)) {
		scan->found = true;
		scan->done = true;
	}
}

/* local_hdr_scan_feed - consume n octets of the message start */
bool
local_hdr_scan_feed(struct local_hdr_scan *scan, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !scan->done; i++) {
		if (++scan->scanned > LOCAL_HEADER_SCAN_MAX) {
			scan->done = true;
			break;
		}
		if (p[i] == '\n') {
			if (!scan->line_overflow)
				local_hdr_scan_line(scan);
			scan->line_len = 0;
			scan->line_overflow = false;
			continue;
		}
		if (scan->line_len == LOCAL_HEADER_LINE_MAX) {
			/* Too long to be a Delivered-To we wrote: skip it. */
			scan->line_overflow = true;
			continue;
		}
		scan->line[scan->line_len++] = (char)p[i];
	}
	return scan->done;
}

/* local_list_has - whether word is in list */
bool
local_list_has(char *const *list, const char *word)
{
	for (; list != NULL && *list != NULL; list++)
		if (str_eq_ci(*list, word))
			return true;
	return false;
}

/* local_forward_value - the value of variable name (length n), or NULL */
static const char *
local_forward_value(const char *name, size_t n, const char *const vars[][2])
{
	size_t i;

	for (i = 0; vars[i][0] != NULL; i++)
		if (strlen(vars[i][0]) == n && strncmp(vars[i][0], name, n) == 0)
			return vars[i][1];
	return NULL;
}

/* local_forward_path_expand - one forward_path element with $names */
char *
local_forward_path_expand(const char *element, const char *home,
			  const char *user, const char *extension,
			  const char *delimiter, const char *domain,
			  const char *local)
{
	const char *const vars[][2] = {
		{ "home", home },
		{ "user", user },
		{ "extension", extension },
		{ "recipient_delimiter", delimiter },
		{ "domain", domain },
		{ "local", local },
		{ NULL, NULL },
	};
	struct buf b;
	const char *p = element, *name, *value;
	size_t n;
	char *out;

	buf_init(&b, LOCAL_ADDR_MAX * 4);
	while (*p != '\0') {
		if (*p != '$') {
			if (!buf_has_room(&b, 1))
				goto fail;
			buf_append_byte(&b, (uint8_t)*p++);
			continue;
		}
		p++;
		if (*p == '{') {
			name = ++p;
			n = strcspn(p, "}");
			if (p[n] != '}')
				goto fail;
			p += n + 1;
		} else {
			name = p;
			n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
			p += n;
		}
		value = local_forward_value(name, n, vars);
		/* Postfix skips an element that uses an empty value. */
		if (value == NULL || *value == '\0' ||
		    !buf_has_room(&b, strlen(value)))
			goto fail;
		buf_append_str(&b, value);
	}
	out = mem_strdup(buf_cstr(&b));
	buf_deinit(&b);
	return out;
fail:
	buf_deinit(&b);
	return NULL;
}

/* local_outcome_set - fill an outcome with a sanitised text */
void
local_outcome_set(struct local_outcome *out, enum deliver_status status,
		  const char *dsn, const char *fmt, ...)
{
	va_list ap;
	char *p;

	out->status = status;
	snprintf(out->dsn, sizeof(out->dsn), "%s", dsn);
	va_start(ap, fmt);
	/* Truncation is fine: the text is a diagnostic. */
	vsnprintf(out->text, sizeof(out->text), fmt, ap);
	va_end(ap);
	for (p = out->text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* local_status_rank - how bad a status is, for merging */
static int
local_status_rank(enum deliver_status status)
{
	switch (status) {
	case DELIVER_STATUS_SENT:
		return 0;
	case DELIVER_STATUS_BOUNCED:
		return 1;
	case DELIVER_STATUS_DEFERRED:
		return 2;
	}
	return 2;
}

/* local_outcome_merge - keep the worst outcome of a recipient */
void
local_outcome_merge(struct local_outcome *total,
		    const struct local_outcome *one)
{
	if (local_status_rank(one->status) >= local_status_rank(total->status))
		*total = *one;
}

/* local_log_delivery - the Postfix-format delivery log line */
void
local_log_delivery(const char *queue_id, const char *to, const char *orig_to,
		   uint64_t arrival_us, const struct local_outcome *out)
{
	struct timespec ts;
	double now_s, delay_s;
	char delay[32], orig[LOCAL_ADDR_MAX + 16];

	clock_gettime(CLOCK_REALTIME, &ts);
	now_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	delay_s = now_s - (double)arrival_us / 1e6;
	deliver_delay_format(delay_s, delay, sizeof(delay));
	orig[0] = '\0';
	if (orig_to != NULL && !str_eq_ci(orig_to, to))
		snprintf(orig, sizeof(orig), ", orig_to=<%s>",
			 log_safe_str(orig_to));
	/* XXX: delays= is "0/0/0/D": we do not yet learn qmgr's time split
	 * (before active queue / in qmgr / connection setup); remove when the
	 * request carries those times. */
	log_info("%s: to=<%s>%s, relay=local, delay=%s, delays=0/0/0/%s, "
		 "dsn=%s, status=%s (%s)",
		 queue_id, log_safe_str(to), orig, delay, delay, out->dsn,
		 deliver_status_name(out->status), log_safe_str(out->text));
}
