/*
 * mailroom.h - private interface of the mailroom command.
 *
 * Each sub-command is one function taking the arguments after its name and
 * returning the process exit code. The instance directory is in
 * struct mailroom_cli; the configuration is loaded on demand.
 */
#ifndef MR_TOOLS_MAILROOM_H
#define MR_TOOLS_MAILROOM_H

#include <stdbool.h>
#include <sys/types.h>

struct mailroom_cli {
	const char *config_dir;
	bool verbose;
};

/* mailroom_load_config - load main.cf of the instance or exit. */
void mailroom_load_config(const struct mailroom_cli *cli);

/* mailroom_master_pid - pid of the running master, or 0 when not running. */
pid_t mailroom_master_pid(void);

int mailroom_cmd_init(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_start(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_stop(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_reload(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_status(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_config(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_user(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_map(struct mailroom_cli *cli, int argc, char **argv);
int mailroom_cmd_queue(struct mailroom_cli *cli, int argc, char **argv);

#endif
