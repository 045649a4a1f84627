/*
 * newaliases.c - the newaliases drop-in: rebuild the alias tables.
 *
 * Usage: newaliases [-C DIR] [-v]
 * Rebuilds every table of the alias_database parameter (a list of
 * TYPE:PATH, for example hash:/etc/mailroom/aliases) from its source file
 * PATH in aliases syntax (docs/maps.md), like Postfix's newaliases. The
 * instance is DIR, else $MAILROOM_CONFIG, else /etc/mailroom. Prints
 * nothing when every table was built; errors (each naming the file and
 * line) and duplicate-key warnings go to standard error. A table that
 * fails keeps its old version; the other tables are still built.
 * docs/newaliases.md is the manual page.
 *
 * Untrusted input: the alias source files, parsed by lib/dict_source with
 * its limits. Runs as the invoking user; run by root, a built table gets
 * its source's owner (lib/dict).
 *
 * Exit codes (sysexits.h): 0 done; 1 a table could not be built (syntax
 * error, unreadable source, unwritable directory: each needs the
 * administrator, and no caller retries, so like Postfix there is one
 * failure code); 64 (EX_USAGE) bad options; 78 (EX_CONFIG) the
 * configuration cannot be loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/params.h"
#include "lib/str.h"

/* usage - the command summary */
static int
usage(void)
{
	fprintf(stderr, "usage: newaliases [-C DIR] [-v]\n");
	return MR_EXIT_USAGE;
}

/* newaliases_build - build every alias_database table; the exit code */
static int
newaliases_build(void)
{
	const char *error;
	char **specs;
	size_t count, i;
	int rc = 0;

	specs = str_split(param_alias_database, PARAM_LIST_SEPARATORS, &count);
	for (i = 0; i < count; i++) {
		if (dict_build(specs[i], DICT_SYNTAX_ALIASES,
			       DICT_FLAGS_DEFAULT, NULL, &error) < 0) {
			fprintf(stderr, "newaliases: %s\n", error);
			rc = MR_EXIT_FATAL;
		}
	}
	str_split_free(&specs);
	return rc;
}

/* main - options, the instance's configuration, then the tables */
int
main(int argc, char **argv)
{
	const char *config_dir = NULL, *error;
	char *no_overrides[] = { NULL };
	int i, rc;

	log_init("newaliases", LOG_TO_STDERR);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			config_dir = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2] != '\0')
			config_dir = argv[i] + 2;
		else if (strcmp(argv[i], "-v") == 0)
			log_set_verbose(true);
		else
			return usage();
	}
	if (config_dir == NULL)
		config_dir = getenv("MAILROOM_CONFIG");
	if (config_dir == NULL)
		config_dir = "/etc/mailroom";
	if (config_load(config_dir, no_overrides, &error) < 0) {
		fprintf(stderr, "newaliases: %s\n", error);
		return MR_EXIT_CONFIG;
	}
	rc = newaliases_build();
	config_deinit();
	return rc;
}
