/*
 * mailroom_map.c - mailroom map: build and query lookup tables.
 *
 * mailroom map build [-a|--aliases] SPEC...   postmap / postalias: build
 *                                             PATH.db from the source PATH
 * mailroom map query SPEC KEY                 postmap -q: print the value
 *
 * SPEC is TYPE:PATH (hash: or btree:, docs/maps.md); a bare PATH means
 * hash:PATH, like Postfix's default_database_type. -a reads the source in
 * aliases syntax ("name: value"), otherwise in map syntax ("key value").
 * Keys are folded to lower case, like Postfix. Needs no instance: tables
 * are named by path.
 *
 * Untrusted input: the source files (parsed by lib/dict_source with its
 * limits) and the table contents (checked by lib/dict). Runs as the
 * invoking user; run by root, a built table gets its source's owner.
 *
 * Exit codes: build: 0 done, 1 a table failed (message on stderr, the old
 * table kept), 64 usage. query: 0 found (value on stdout), 1 not found,
 * 75 (EX_TEMPFAIL) the table cannot be read, 64 usage.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "tools/mailroom.h"

/* map_usage - the sub-command summary */
static int
map_usage(void)
{
	fprintf(stderr, "usage: mailroom map build [-a|--aliases] SPEC...\n"
			"       mailroom map query SPEC KEY\n");
	return MR_EXIT_USAGE;
}

/* map_spec - SPEC as given, or hash:SPEC for a bare path; a new string */
static char *
map_spec(const char *arg)
{
	if (strchr(arg, ':') != NULL)
		return mem_strdup(arg);
	return mem_asprintf("hash:%s", arg);
}

/* map_build - mailroom map build */
static int
map_build(int argc, char **argv)
{
	enum dict_syntax syntax = DICT_SYNTAX_MAP;
	const char *error;
	char *spec;
	int i = 0, rc = 0;

	if (argc > 0 && (strcmp(argv[0], "-a") == 0 ||
			 strcmp(argv[0], "--aliases") == 0)) {
		syntax = DICT_SYNTAX_ALIASES;
		i++;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		return map_usage();
	for (; i < argc; i++) {
		spec = map_spec(argv[i]);
		if (dict_build(spec, syntax, DICT_FLAGS_DEFAULT, NULL, &error) <
		    0) {
			fprintf(stderr, "mailroom: %s\n", error);
			rc = 1;
		}
		mem_free(&spec);
	}
	return rc;
}

/* map_query - mailroom map query */
static int
map_query(int argc, char **argv)
{
	const char *value, *error;
	struct dict *d;
	char *spec;
	int rc;

	if (argc != 2)
		return map_usage();
	spec = map_spec(argv[0]);
	d = dict_open(spec, DICT_FLAGS_DEFAULT, &error);
	mem_free(&spec);
	if (d == NULL) {
		fprintf(stderr, "mailroom: %s\n", error);
		return EX_TEMPFAIL;
	}
	rc = dict_lookup(d, argv[1], &value, &error);
	if (rc < 0)
		fprintf(stderr, "mailroom: %s\n", error);
	else if (rc > 0)
		printf("%s\n", value);
	dict_close(&d);
	return rc < 0 ? EX_TEMPFAIL : rc > 0 ? 0 : 1;
}

/* mailroom_cmd_map - mailroom map SUBCOMMAND */
int
mailroom_cmd_map(struct mailroom_cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc >= 1 && strcmp(argv[0], "build") == 0)
		return map_build(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "query") == 0)
		return map_query(argc - 1, argv + 1);
	return map_usage();
}
