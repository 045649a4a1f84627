/*
 * replay.c - runs a fuzz target over its seed corpus without libFuzzer.
 *
 * Usage: fuzz_NAME DIR|FILE...  Every regular file named (or found directly
 * in a named directory) is passed to LLVMFuzzerTestOneInput once. This keeps
 * every corpus input, including past crashers, a regression test in the
 * ordinary (gcc, sanitizer) builds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest corpus file replayed. */
#define REPLAY_MAX_BYTES (16u * 1024 * 1024)

/* replay_file - feed one file to the target */
static int
replay_file(const char *path)
{
	struct buf b;

	buf_init(&b, REPLAY_MAX_BYTES);
	if (io_read_file(path, REPLAY_MAX_BYTES, &b) < 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		buf_deinit(&b);
		return -1;
	}
	LLVMFuzzerTestOneInput(b.data != NULL ? b.data : (const uint8_t *)"",
			       b.len);
	buf_deinit(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, count = 0, failed = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: missing\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= replay_file(argv[i]) < 0;
			count++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL)
			return 1;
		while ((e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 e->d_name);
			failed |= replay_file(path) < 0;
			count++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", count);
	return failed || count == 0 ? 1 : 0;
}
