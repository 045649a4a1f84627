/*
 * mailroom_config.c - mailroom config: effective configuration values.
 *
 * mailroom config              every parameter, "name = value"
 * mailroom config NAME...      the named parameters
 * mailroom config -n           only what main.cf sets (like postconf -n)
 * Unknown names are an error (exit 1) after the known ones are printed.
 */
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"
#include "tools/mailroom.h"

/* Output of `config` is bounded by the parameter table; this is a cap. */
#define CONFIG_OUT_MAX (4u * 1024 * 1024)

/* mailroom_cmd_config - print parameters */
int
mailroom_cmd_config(struct mailroom_cli *cli, int argc, char **argv)
{
	bool non_default = false;
	struct buf out;
	int i, rc = 0;

	if (argc > 0 && strcmp(argv[0], "-n") == 0) {
		non_default = true;
		argc--;
		argv++;
	}
	mailroom_load_config(cli);
	for (i = 0; i < argc; i++) {
		if (!config_is_known(argv[i])) {
			fprintf(stderr, "mailroom: unknown parameter: %s\n",
				log_safe_str(argv[i]));
			rc = 1;
		}
	}
	buf_init(&out, CONFIG_OUT_MAX);
	config_print(&out, argc > 0 ? (const char *const *)argv : NULL,
		     non_default);
	fwrite(out.data, 1, out.len, stdout);
	buf_deinit(&out);
	config_deinit();
	return rc;
}
