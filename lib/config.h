/*
 * config.h - main.cf loading, $name expansion and the parameter values.
 *
 * config_load reads DIR/main.cf (Postfix syntax: "name = value", '#'
 * comment lines, lines starting with white space continue the previous
 * one), applies "-o name=value" style overrides, expands $name, ${name},
 * $(name), ${name?text}, ${name:text} and $$ recursively, converts every
 * parameter of lib/params.def to its type and stores the results in the
 * param_<name> variables (lib/params.h). Everything or nothing: on any error
 * the previous values stay in force, so a failed reload (SIGHUP) keeps the
 * running configuration.
 *
 * Unknown parameter names are kept (their values can be referenced with
 * $name, as in Postfix) and, unless another parameter refers to them,
 * logged as warnings: "FILE, line N: unknown parameter \"NAME\"".
 * A reference to an undefined name expands to nothing with a warning.
 *
 * The logical-line reader is shared with lib/service_table.c (master.cf).
 */
#ifndef MR_CONFIG_H
#define MR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/params.h"

/* Largest main.cf we read. */
#define CONFIG_MAX_FILE_OCTETS (4u * 1024 * 1024)

/* Longest logical line of main.cf (after joining continuation lines). */
#define CONFIG_MAX_LINE_OCTETS (64u * 1024)

/* Longest value after $name expansion. */
#define CONFIG_MAX_VALUE_OCTETS (64u * 1024)

/*
 * Total bytes of all expanded values of one load: stops a few lines that
 * double each other ("a = $b$b", "b = $c$c", ...) from exhausting memory.
 */
#define CONFIG_MAX_EXPANDED_OCTETS (16u * 1024 * 1024)

/* Deepest chain of $name references (a refers to b refers to c ...). */
#define CONFIG_MAX_EXPAND_DEPTH 100

/* Most overrides one config_load accepts. */
#define CONFIG_MAX_OVERRIDES 1024

/* Name of the main configuration file inside the config directory. */
#define CONFIG_MAIN_CF "main.cf"

/*
 * config_load - read config_dir/main.cf (a missing file is an error), apply
 * overrides (NULL, or a NULL-terminated array of "name=value" strings, later
 * ones win), set config_directory to config_dir (made absolute), expand and
 * convert everything. Returns 0 and replaces all values; or -1 with a
 * message naming the file and line in *error_r (owned by this module, valid
 * until the next config_* call) and the previous values unchanged. The
 * caller normally exits with MR_EXIT_CONFIG on -1 at start-up.
 */
int config_load(const char *config_dir, char *const *overrides,
                const char **error_r);

/*
 * config_load_string - config_load from len bytes of main.cf text (any
 * bytes; tests and fuzzing). filename is used in messages only;
 * config_directory keeps its default unless the text or an override sets
 * it.
 */
int config_load_string(const char *text, size_t len, const char *filename,
                       char *const *overrides, const char **error_r);

/*
 * config_get - the expanded value of a known parameter or of a name main.cf
 * or an override defined, or NULL (unknown, or nothing loaded yet). Valid
 * until the next config_load or config_deinit.
 */
const char *config_get(const char *name);

/* config_is_known - whether name is a parameter of lib/params.def. */
bool config_is_known(const char *name);

/*
 * config_is_set - whether name was set by main.cf or an override (as
 * opposed to having its default value).
 */
bool config_is_set(const char *name);

/*
 * config_print - append "name = value\n" lines with expanded values: for
 * names (NULL-terminated) in the order given, or for every parameter sorted
 * by name when names is NULL (known ones plus names main.cf defined). With
 * non_default_only, only parameters set by main.cf or an override (like
 * postconf -n). Names that are not defined are skipped (check them with
 * config_is_known or config_get first). Nothing is printed before the first
 * load. When out cannot hold everything, the output stops at a line
 * boundary with a warning instead of overflowing.
 */
void config_print(struct buf *out, const char *const *names,
                  bool non_default_only);

/*
 * config_doc_markdown - append the configuration reference (syntax, then
 * every parameter with type, default and doc, sorted by name) in Markdown.
 * docs/configuration.md is exactly this text; out must allow 1 MiB.
 */
void config_doc_markdown(struct buf *out);

/* config_deinit - free all values and reset every param_ variable. */
void config_deinit(void);

/*
 * Logical-line reader for main.cf and master.cf. Lines whose first
 * non-blank byte is '#' and blank lines are skipped; a line that starts
 * with a space or tab continues the previous logical line (its leading
 * white space becomes one space, even across skipped lines); trailing
 * white space and a CR before the LF are dropped. NUL and other control
 * characters except TAB are errors.
 */
struct config_reader {
	const char *text;
	size_t len;
	size_t pos; /* next byte to read */
	int lineno; /* physical lines consumed */
	const char *filename;
	size_t max_line_octets;
	struct buf line; /* the logical line being built */
	char *error;
};

/* config_reader_init - read len bytes of text; filename is for messages. */
void config_reader_init(struct config_reader *r, const void *text, size_t len,
                        const char *filename, size_t max_line_octets);

/*
 * config_reader_next - the next logical line: returns 1 with the NUL-
 * terminated line in *line_r (valid until the next call) and the number of
 * its first physical line in *lineno_r; 0 at the end; -1 with "FILE, line N:
 * ..." in *error_r (valid until config_reader_deinit).
 */
int config_reader_next(struct config_reader *r, const char **line_r,
                       int *lineno_r, const char **error_r);

/* config_reader_deinit - release the reader's storage. */
void config_reader_deinit(struct config_reader *r);

#endif
