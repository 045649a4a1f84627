/*
 * fuzz_pop3_cmd.c - fuzz target for lib/pop3_cmd.c.
 *
 * Input: one byte of options (the framer's limit), then a client's
 * command stream. The stream is framed whole and one byte at a time; the
 * two line sequences must be identical (abort() otherwise), and every
 * line goes to pop3_cmd_parse, whose results must keep its promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pop3_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Transcript limit: a few times the largest input libFuzzer gives us. */
#define FUZZ_TRANSCRIPT_MAX (1u << 22)

/* parse_line - run the parser over one framed line */
static void
parse_line(const uint8_t *line, size_t len)
{
	struct pop3_cmd cmd;
	enum pop3_cmd_error err;
	unsigned i;

	if (pop3_cmd_parse(line, len, &cmd, &err) < 0) {
		if (err > POP3_CMD_ERR_NUMBER)
			abort();
		return;
	}
	if (cmd.verb == POP3_VERB_UNKNOWN || cmd.verb >= POP3_VERB_COUNT ||
	    cmd.argc > POP3_CMD_ARGS_MAX)
		abort();
	for (i = 0; i < cmd.argc; i++)
		if (cmd.args[i] == NULL || strlen(cmd.args[i]) > len)
			abort();
}

/* frame - frame the stream in chunks of chunk octets into a transcript */
static void
frame(const uint8_t *in, size_t n, size_t max, size_t chunk, bool parse,
      struct buf *t)
{
	struct pop3_line fr;
	struct buf rx;
	size_t pos = 0;

	pop3_line_init(&fr, max);
	buf_init(&rx, max);
	while (pos < n) {
		size_t take = chunk;
		const uint8_t *line;
		size_t len;
		unsigned flags;

		if (take > n - pos)
			take = n - pos;
		if (take > buf_room(&rx))
			take = buf_room(&rx);
		if (take == 0)
			abort(); /* the framer must always make room */
		buf_append(&rx, in + pos, take);
		pos += take;
		while (pop3_line_next(&fr, &rx, &line, &len, &flags) == 1) {
			if (len > max - 2)
				abort();
			buf_append_byte(t, (uint8_t)flags);
			buf_append(t, &len, sizeof(len));
			buf_append(t, line, len);
			if (parse)
				parse_line(line, len);
			pop3_line_consume(&fr, &rx);
		}
	}
	buf_deinit(&rx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, bytes;
	size_t max;

	if (size < 1 || size > FUZZ_TRANSCRIPT_MAX / 16)
		return 0;
	/* Small limits reach the too-long paths; bit 7: the real one. */
	max = (data[0] & 0x80) ? POP3_SASL_LINE_MAX : 3 + (data[0] & 0x3f);
	data++;
	size--;
	buf_init(&whole, FUZZ_TRANSCRIPT_MAX);
	buf_init(&bytes, FUZZ_TRANSCRIPT_MAX);
	frame(data, size, max, size > 0 ? size : 1, true, &whole);
	frame(data, size, max, 1, false, &bytes);
	if (whole.len != bytes.len ||
	    (whole.len > 0 && memcmp(whole.data, bytes.data, whole.len) != 0))
		abort();
	buf_deinit(&whole);
	buf_deinit(&bytes);
	parse_line(data, size);
	return 0;
}
