/*
 * fuzz_service_table.c - libFuzzer target for lib/service_table.c.
 *
 * Feeds arbitrary bytes to service_table_parse as master.cf text, walks
 * the result (every argv must be NULL-terminated, unix names must give a
 * socket path) and frees it. Log lines are swallowed by a quiet hook.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/service_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_log_hook - drop log lines */
static void
fuzz_log_hook(enum log_level level, const char *text, void *ctx)
{
	(void)level;
	(void)text;
	(void)ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service_table *t = NULL;
	const char *err;
	size_t i;

	log_set_hook(fuzz_log_hook, NULL, true);
	if (service_table_parse((const char *)data, size, "fuzz.cf", &t, &err) <
	    0)
		return 0;
	for (i = 0; i < t->count; i++) {
		const struct service_entry *e = &t->entries[i];

		MR_ASSERT(e->argv != NULL && e->argv[e->argc] == NULL);
		MR_ASSERT(strchr(e->command, '/') == NULL);
		if (e->type == SERVICE_TYPE_UNIX) {
			char *path = service_table_socket_path(e, "/q");

			MR_ASSERT(strstr(path + 3, "/") == strrchr(path, '/'));
			mem_free(&path);
		}
	}
	service_table_free(&t);
	return 0;
}
