/*
 * mailroom.c - the mailroom command: control and inspection of an instance.
 *
 * Usage: mailroom [-c DIR] [-v] COMMAND [ARGS]
 * The instance is DIR, else $MAILROOM_CONFIG, else /etc/mailroom. See
 * docs/mailroom.md for every command. Runs as the invoking user; commands
 * that change a root instance need root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/log.h"
#include "tools/mailroom.h"

struct mailroom_command {
	const char *name;
	int (*run)(struct mailroom_cli *cli, int argc, char **argv);
	const char *usage;
};

static const struct mailroom_command commands[] = {
	{ "init", mailroom_cmd_init, "init [--base-port P]" },
	{ "start", mailroom_cmd_start, "start [-f]" },
	{ "stop", mailroom_cmd_stop, "stop" },
	{ "reload", mailroom_cmd_reload, "reload" },
	{ "status", mailroom_cmd_status, "status" },
	{ "config", mailroom_cmd_config, "config [-n] [NAME...]" },
	{ "user", mailroom_cmd_user, "user add|passwd|del NAME | user list" },
	{ "map", mailroom_cmd_map,
	  "map build [-a] SPEC... | map query SPEC KEY" },
	{ "queue", mailroom_cmd_queue, "queue list|show|delete|...|flush" },
};

/* usage - print the command summary */
static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: mailroom [-c DIR] [-v] COMMAND [ARGS]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "       mailroom %s\n", commands[i].usage);
	return MR_EXIT_USAGE;
}

/* mailroom_load_config - load the instance's main.cf or exit */
void
mailroom_load_config(const struct mailroom_cli *cli)
{
	char *no_overrides[] = { NULL };
	const char *error;

	if (config_load(cli->config_dir, no_overrides, &error) < 0) {
		fprintf(stderr, "mailroom: %s\n", error);
		exit(MR_EXIT_CONFIG);
	}
}

int
main(int argc, char **argv)
{
	struct mailroom_cli cli = { NULL, false };
	int i = 1;
	size_t c;

	log_init("mailroom", LOG_TO_STDERR);
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cli.config_dir = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2]) {
			cli.config_dir = argv[i] + 2;
			i++;
		} else if (strcmp(argv[i], "-v") == 0) {
			cli.verbose = true;
			log_set_verbose(true);
			i++;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			return usage();
		}
	}
	if (cli.config_dir == NULL)
		cli.config_dir = getenv("MAILROOM_CONFIG");
	if (cli.config_dir == NULL)
		cli.config_dir = "/etc/mailroom";
	if (i >= argc)
		return usage();
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(&cli, argc - i - 1,
					       argv + i + 1);
	fprintf(stderr, "mailroom: unknown command: %s\n",
		log_safe_str(argv[i]));
	return usage();
}
