/*
 * params.h - the configuration parameters as C variables.
 *
 * Every parameter of lib/params.def is a global param_<name>, declared here
 * by expanding that table and defined in lib/params.c. The variables hold
 * the expanded, converted values of the last successful config_load()
 * (lib/config.h); before the first load they are NULL, 0 or false. They are
 * read-only for everyone but config.c: string values point into storage
 * owned by the config module and stay valid until the next config_load or
 * config_deinit. LIST values are plain strings; split them with
 * str_split(value, PARAM_LIST_SEPARATORS, &count).
 *
 * The descriptor table params_table[] is what config.c parses, prints and
 * documents.
 */
#ifndef MR_PARAMS_H
#define MR_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Separators between the elements of a LIST value. */
#define PARAM_LIST_SEPARATORS ", \t"

/* Largest TIME value anyone may configure: 100 years, in seconds. */
#define PARAM_TIME_MAX ((int64_t)100 * 366 * 86400)

enum param_type {
	PARAM_TYPE_STR,
	PARAM_TYPE_LIST,
	PARAM_TYPE_RAW,
	PARAM_TYPE_INT,
	PARAM_TYPE_BOOL,
	PARAM_TYPE_TIME,
};

/*
 * What a dynamic default hook may ask about other parameters while the
 * configuration is being loaded: whether a parameter was set in main.cf or
 * by an override, and its expanded value (NULL after an error, which the
 * loader has already recorded; the hook then returns NULL too).
 */
struct param_env {
	void *ctx;
	bool (*is_set)(void *ctx, const char *name);
	const char *(*get)(void *ctx, const char *name);
};

/*
 * param_default_fn - compute a default value: a new string (the caller
 * frees it; it is used literally, without $name expansion), or NULL when
 * env->get failed.
 */
typedef char *param_default_fn(const struct param_env *env);

struct param_def {
	const char *name;
	enum param_type type;
	const char *default_value;    /* NULL when default_fn computes it */
	param_default_fn *default_fn; /* PARAM_DYN only */
	const char *default_doc;      /* PARAM_DYN: the default in words */
	int64_t min, max;             /* INT; TIME in seconds */
	char time_unit;               /* TIME: unit of a bare number */
	const char *doc;
	const char **str_var; /* STR, LIST, RAW, DYN */
	int64_t *num_var;     /* INT, TIME */
	bool *bool_var;       /* BOOL */
};

/* The parameter variables, one per line of lib/params.def. */
#define PARAM_STR(name, def, doc) extern const char *param_##name;
#define PARAM_LIST(name, def, doc) extern const char *param_##name;
#define PARAM_RAW(name, def, doc) extern const char *param_##name;
#define PARAM_INT(name, def, min, max, doc) extern int64_t param_##name;
#define PARAM_BOOL(name, def, doc) extern bool param_##name;
#define PARAM_TIME(name, def, unit, min, max, doc) extern int64_t param_##name;
#define PARAM_DYN(name, fn, defdoc, doc) extern const char *param_##name;
#include "lib/params.def"
#undef PARAM_STR
#undef PARAM_LIST
#undef PARAM_RAW
#undef PARAM_INT
#undef PARAM_BOOL
#undef PARAM_TIME
#undef PARAM_DYN

/* The descriptor of every parameter, in lib/params.def order. */
extern const struct param_def params_table[];
extern const size_t params_count;

/* params_find - the descriptor of name, or NULL when it is not a parameter. */
const struct param_def *params_find(const char *name);

/* params_type_name - "string", "list", "integer", ... for messages and docs. */
const char *params_type_name(enum param_type type);

/* Dynamic default hooks named in lib/params.def. */
char *params_default_daemon_directory(const struct param_env *env);
char *params_default_mydomain(const struct param_env *env);
char *params_default_myhostname(const struct param_env *env);

/*
 * params_daemon_directory_for - the daemon directory for a program at
 * exe_path (exposed for tests): its directory when that ends in
 * /libexec/mailroom, else <its directory>/../libexec/mailroom with the ..
 * resolved textually. Returns a new string.
 */
char *params_daemon_directory_for(const char *exe_path);

#endif
