/*
 * params.c - the parameter variables and their descriptor table.
 *
 * Defines every param_<name> listed in lib/params.def and params_table[],
 * the descriptors config.c works from, plus the hooks that compute the
 * defaults a constant cannot express:
 *
 *   params_find                      descriptor by name
 *   params_type_name                 type name for messages and docs
 *   params_default_daemon_directory  from /proc/self/exe
 *   params_default_myhostname        from gethostname(), no DNS lookup
 *   params_default_mydomain          from $myhostname
 *   params_daemon_directory_for      the daemon_directory rule (testable)
 *
 * Input: the host name from the kernel (validated: letters, digits, '-'
 * and '.' only, else replaced) and the path of our own executable. Runs
 * with whatever privilege the caller has; reads nothing else. Hook results
 * are new strings owned by the caller (config.c).
 */
#include "lib/params.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "lib/mem.h"

/* Longest host name we accept from gethostname() (RFC 1035 section 2.3.4). */
#define PARAMS_MAX_HOSTNAME_OCTETS 253

/* Used when the kernel's host name is missing or malformed. */
#define PARAMS_FALLBACK_HOSTNAME "localhost.localdomain"
#define PARAMS_FALLBACK_DOMAIN "localdomain"

/* Used when /proc/self/exe cannot be read. */
#define PARAMS_FALLBACK_DAEMON_DIRECTORY "/usr/libexec/mailroom"

/* Where daemons live relative to the installation prefix. */
#define PARAMS_LIBEXEC_SUFFIX "/libexec/mailroom"

/* The variables: configuration is the one allowed global mutable state. */
#define PARAM_STR(name, def, doc) const char *param_##name;
#define PARAM_LIST(name, def, doc) const char *param_##name;
#define PARAM_RAW(name, def, doc) const char *param_##name;
#define PARAM_INT(name, def, min, max, doc) int64_t param_##name;
#define PARAM_BOOL(name, def, doc) bool param_##name;
#define PARAM_TIME(name, def, unit, min, max, doc) int64_t param_##name;
#define PARAM_DYN(name, fn, defdoc, doc) const char *param_##name;
#include "lib/params.def"
#undef PARAM_STR
#undef PARAM_LIST
#undef PARAM_RAW
#undef PARAM_INT
#undef PARAM_BOOL
#undef PARAM_TIME
#undef PARAM_DYN

/* The descriptors, in lib/params.def order. */
#define PARAM_STR(nm, def, dc)                                                 \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_STR,                                               \
	 .default_value = def,                                                 \
	 .doc = dc,                                                            \
	 .str_var = &param_##nm},
#define PARAM_LIST(nm, def, dc)                                                \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_LIST,                                              \
	 .default_value = def,                                                 \
	 .doc = dc,                                                            \
	 .str_var = &param_##nm},
#define PARAM_RAW(nm, def, dc)                                                 \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_RAW,                                               \
	 .default_value = def,                                                 \
	 .doc = dc,                                                            \
	 .str_var = &param_##nm},
#define PARAM_INT(nm, def, lo, hi, dc)                                         \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_INT,                                               \
	 .default_value = def,                                                 \
	 .min = lo,                                                            \
	 .max = hi,                                                            \
	 .doc = dc,                                                            \
	 .num_var = &param_##nm},
#define PARAM_BOOL(nm, def, dc)                                                \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_BOOL,                                              \
	 .default_value = def,                                                 \
	 .doc = dc,                                                            \
	 .bool_var = &param_##nm},
#define PARAM_TIME(nm, def, unit, lo, hi, dc)                                  \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_TIME,                                              \
	 .default_value = def,                                                 \
	 .time_unit = unit,                                                    \
	 .min = lo,                                                            \
	 .max = hi,                                                            \
	 .doc = dc,                                                            \
	 .num_var = &param_##nm},
#define PARAM_DYN(nm, fn, defdoc, dc)                                          \
	{.name = #nm,                                                          \
	 .type = PARAM_TYPE_STR,                                               \
	 .default_fn = fn,                                                     \
	 .default_doc = defdoc,                                                \
	 .doc = dc,                                                            \
	 .str_var = &param_##nm},
const struct param_def params_table[] = {
#include "lib/params.def"
};
#undef PARAM_STR
#undef PARAM_LIST
#undef PARAM_RAW
#undef PARAM_INT
#undef PARAM_BOOL
#undef PARAM_TIME
#undef PARAM_DYN

const size_t params_count = sizeof(params_table) / sizeof(params_table[0]);

/* params_find - descriptor by name (a linear scan over ~100 entries) */
const struct param_def *
params_find(const char *name)
{
	size_t i;

	for (i = 0; i < params_count; i++)
		if (strcmp(params_table[i].name, name) == 0)
			return &params_table[i];
	return NULL;
}

/* params_type_name - human name of a parameter type */
const char *
params_type_name(enum param_type type)
{
	switch (type) {
	case PARAM_TYPE_STR:
		return "string";
	case PARAM_TYPE_LIST:
		return "list";
	case PARAM_TYPE_RAW:
		return "string, expanded when used";
	case PARAM_TYPE_INT:
		return "integer";
	case PARAM_TYPE_BOOL:
		return "boolean";
	case PARAM_TYPE_TIME:
		return "time";
	}
	return "unknown";
}

/* params_daemon_directory_for - the daemon_directory rule for one path */
char *
params_daemon_directory_for(const char *exe_path)
{
	const char *slash = strrchr(exe_path, '/');
	size_t dir_len, suffix_len = strlen(PARAMS_LIBEXEC_SUFFIX);
	const char *parent_end;

	if (slash == NULL)
		return mem_strdup(".." PARAMS_LIBEXEC_SUFFIX);
	dir_len = (size_t)(slash - exe_path);
	if (dir_len >= suffix_len &&
	    memcmp(exe_path + dir_len - suffix_len, PARAMS_LIBEXEC_SUFFIX,
	           suffix_len) == 0)
		return mem_strndup(exe_path, dir_len);
	if (dir_len == 0) /* the program is in /, which is its own parent */
		return mem_strdup(PARAMS_LIBEXEC_SUFFIX);
	/* <dir>/../libexec/mailroom, with <dir>/.. resolved textually. */
	parent_end = memrchr(exe_path, '/', dir_len);
	if (parent_end == NULL)
		return mem_strdup("." PARAMS_LIBEXEC_SUFFIX);
	return mem_asprintf("%.*s%s", (int)(parent_end - exe_path), exe_path,
	                    PARAMS_LIBEXEC_SUFFIX);
}

/* params_default_daemon_directory - derived from our executable's path */
char *
params_default_daemon_directory(const struct param_env *env)
{
	char path[PATH_MAX];
	ssize_t n;

	(void)env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return mem_strdup(PARAMS_FALLBACK_DAEMON_DIRECTORY);
	path[n] = '\0';
	return params_daemon_directory_for(path);
}

/* params_is_hostname - whether s is a plausible host name */
static bool
params_is_hostname(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '.' || *s == '-' ||
	    strlen(s) > PARAMS_MAX_HOSTNAME_OCTETS || strstr(s, "..") != NULL)
		return false;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* params_default_myhostname - gethostname(), qualified like Postfix does */
char *
params_default_myhostname(const struct param_env *env)
{
	char host[PARAMS_MAX_HOSTNAME_OCTETS + 2];
	const char *domain;
	size_t n;

	if (gethostname(host, sizeof(host)) < 0)
		return mem_strdup(PARAMS_FALLBACK_HOSTNAME);
	host[sizeof(host) - 1] = '\0';
	n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		host[n - 1] = '\0';
	if (!params_is_hostname(host))
		return mem_strdup(PARAMS_FALLBACK_HOSTNAME);
	if (strchr(host, '.') != NULL)
		return mem_strdup(host);
	/*
	 * XXX: like Postfix we do not ask DNS for the canonical name: a
	 * resolver that is down would stall every daemon's start. Remove when
	 * a fast, local-only canonicalisation (nss files) is wanted.
	 */
	if (env->is_set(env->ctx, "mydomain")) {
		domain = env->get(env->ctx, "mydomain");
		if (domain == NULL)
			return NULL;
		if (*domain != '\0')
			return mem_asprintf("%s.%s", host, domain);
	}
	return mem_asprintf("%s.%s", host, PARAMS_FALLBACK_DOMAIN);
}

/* params_default_mydomain - $myhostname minus its first label */
char *
params_default_mydomain(const struct param_env *env)
{
	const char *host = env->get(env->ctx, "myhostname");
	const char *dot;

	if (host == NULL)
		return NULL;
	dot = strchr(host, '.');
	if (dot == NULL || dot[1] == '\0')
		return mem_strdup(PARAMS_FALLBACK_DOMAIN);
	return mem_strdup(dot + 1);
}
