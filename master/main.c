/*
 * main.c - master: the supervisor of one mailroom instance.
 *
 * Usage: master -c DIR [-f] [-r FD] [-v]
 *   -c DIR  the instance's configuration directory (main.cf, master.cf)
 *   -f      foreground: log to standard error as well
 *   -r FD   write "ok\n" to FD once every listener is open, then close it
 *           (how `mailroom start` knows it may return)
 * Runs as root (root install) or as the invoking user (instance). It binds
 * every listening socket, starts the daemons of master.cf, restarts them,
 * reloads on SIGHUP and stops on SIGTERM; see lifecycle.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/params.h"
#include "lib/parse_num.h"
#include "master/master.h"

int
main(int argc, char **argv)
{
	struct master m;
	const char *error;
	char *no_overrides[] = { NULL };
	char progname[128];
	uint64_t fd = 0;
	int ready_fd = -1, c;
	bool verbose = false;

	memset(&m, 0, sizeof(m));
	m.pid_fd = -1;
	log_init("mailroom/master", LOG_TO_STDERR);
	while ((c = getopt(argc, argv, "c:fr:v")) != -1) {
		switch (c) {
		case 'c':
			m.config_dir = optarg;
			break;
		case 'f':
			m.foreground = true;
			break;
		case 'r':
			if (parse_uint(optarg, 0, 1024, &fd) < 0)
				log_fatal_code(MR_EXIT_USAGE, "bad -r %s",
					       optarg);
			ready_fd = (int)fd;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			log_fatal_code(MR_EXIT_USAGE,
				       "usage: master -c DIR [-f] [-r FD] [-v]");
		}
	}
	if (m.config_dir == NULL)
		m.config_dir = getenv("MAILROOM_CONFIG");
	if (m.config_dir == NULL)
		m.config_dir = "/etc/mailroom";
	if (config_load(m.config_dir, no_overrides, &error) < 0)
		log_fatal_code(MR_EXIT_CONFIG, "%s", error);
	snprintf(progname, sizeof(progname), "%s/master", param_syslog_name);
	log_init(progname, LOG_TO_SYSLOG | LOG_TO_STDERR);
	log_set_verbose(verbose);
	if (master_lock(&m) < 0)
		return MASTER_EXIT_RUNNING;
	master_run(&m, ready_fd);
	return 0;
}
