/*
 * fuzz_config.c - libFuzzer target for lib/config.c.
 *
 * Feeds arbitrary bytes to config_load_string as main.cf text; on success
 * also prints every value (config_print) so the stored results are read
 * back; then frees everything with config_deinit, so leaks show up.
 * Log lines are swallowed by a quiet hook.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Room for every expanded value plus names. */
#define FUZZ_PRINT_MAX (CONFIG_MAX_EXPANDED_OCTETS + 1024u * 1024)

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
	const char *err;
	struct buf out;

	log_set_hook(fuzz_log_hook, NULL, true);
	if (config_load_string((const char *)data, size, "fuzz.cf", NULL,
	                       &err) == 0) {
		buf_init(&out, FUZZ_PRINT_MAX);
		config_print(&out, NULL, false);
		MR_ASSERT(out.len > 0);
		buf_deinit(&out);
	}
	config_deinit();
	return 0;
}
