/*
 * fuzz_imap_parse.c - fuzz target for imapd/parse.c and its grammars
 * (parse_args.c, parse_fetch.c, parse_search.c).
 *
 * Input: one control octet, then a client's byte stream. The control
 * octet picks where the stream is split in two feeds and whether big
 * literals are taken or rejected. Every complete command goes through
 * the grammar its name calls for (FETCH: sequence set and items; SEARCH;
 * STORE; APPEND: flags and date-time; SELECT and the like: mailbox).
 * Checks (abort() otherwise): a feed never consumes more than it was
 * given and makes progress unless it reports an event; arguments lie in
 * order with consistent list sizes; a failed grammar gives an error text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/parse.h"
#include "lib/buf.h"
#include "lib/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct imap_parse_limits limits = {
    .line_max = 4096,
    .literal_max = 256,
    .literal_take_max = 8192,
    .literals_max = 8,
    .depth_max = 8,
};

/* check_args - count arguments from a, within [a, end) */
static const struct imap_arg *
check_args(const struct imap_arg *a, size_t count, const struct imap_arg *end)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (a >= end)
			abort();
		if (a->type == IMAP_ARG_LIST) {
			const struct imap_arg *after =
			    check_args(a + 1, a->list_count, end);

			if (after != imap_arg_next(a))
				abort();
		} else if (a->type != IMAP_ARG_LITERAL_TAKEN &&
		           strlen(a->str) > a->len) {
			abort();
		}
		a = imap_arg_next(a);
	}
	return a;
}

/* grammar - run the grammar the command calls for */
static void
grammar(const struct imap_command *cmd)
{
	const struct imap_arg *args = cmd->args;
	size_t count = cmd->arg_count;
	const char *name = cmd->name, *err = NULL;

	if (strcmp(name, "UID") == 0 && count > 0 &&
	    args->type == IMAP_ARG_ATOM) {
		name = args->str;
		args = imap_arg_next(args);
		count--;
	}
	if (strcasecmp(name, "FETCH") == 0 && count == 2) {
		struct imap_seqset set;
		struct imap_fetch f;
		struct buf out;
		size_t i;

		if (args->type == IMAP_ARG_ATOM &&
		    imap_seqset_parse(args->str, args->len, &set, &err) == 0) {
			imap_seqset_resolve(&set, args->len);
			imap_seqset_contains(&set, 1);
			imap_seqset_deinit(&set);
		}
		if (imap_fetch_parse(imap_arg_next(args), &f, &err) < 0) {
			if (err == NULL)
				abort();
			return;
		}
		buf_init(&out, 1 << 20);
		for (i = 0; i < f.section_count; i++)
			imap_fetch_section_name(&f.sections[i], &out);
		buf_deinit(&out);
		imap_fetch_deinit(&f);
	} else if (strcasecmp(name, "SEARCH") == 0) {
		struct imap_search s;
		enum imap_search_error kind;

		if (imap_search_parse(args, count, &s, &kind, &err) < 0) {
			if (err == NULL || kind == IMAP_SEARCH_ERR_NONE)
				abort();
			return;
		}
		imap_search_deinit(&s);
	} else if (strcasecmp(name, "STORE") == 0 && count >= 2) {
		struct imap_store st;

		if (imap_store_parse(imap_arg_next(args), count - 1, &st,
		                     &err) == 0)
			imap_flags_deinit(&st.flags);
		else if (err == NULL)
			abort();
	} else if (strcasecmp(name, "APPEND") == 0 && count >= 2) {
		const struct imap_arg *a = imap_arg_next(args);
		struct imap_flags flags;
		int64_t t;
		int tz;

		if (a->type == IMAP_ARG_LIST &&
		    imap_flags_parse(a, 1, &flags, &err) == 0)
			imap_flags_deinit(&flags);
		if (a->type == IMAP_ARG_QUOTED)
			imap_datetime_parse(a->str, a->len, &t, &tz, &err);
	}
	if (count > 0) {
		char *mbox;

		if (imap_mailbox_parse(args, &mbox, &err) == 0)
			mem_free(&mbox);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser *p;
	size_t pos = 0, split, taking = 0;
	uint8_t ctl;
	unsigned rounds = 0;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	split = size > 0 ? (size_t)ctl * 7 % (size + 1) : 0;
	p = imap_parser_new(&limits);
	while (pos < size) {
		size_t n = pos < split ? split - pos : size - pos, used;
		int ret;

		if (++rounds > 4 * (size + 10))
			abort(); /* no progress */
		if (taking > 0) {
			used = n < taking ? n : taking;
			taking -= used;
			pos += used;
			continue;
		}
		ret = imap_parser_feed(p, data + pos, n, &used);
		if (used > n)
			abort();
		pos += used;
		if (ret < 0) {
			if (imap_parser_error(p)[0] == '\0')
				abort();
			if (imap_parser_error_is_fatal(p))
				break;
			continue;
		}
		if (ret == 0) {
			if (used != n)
				abort();
			continue;
		}
		switch (imap_parser_event(p)) {
		case IMAP_EVENT_COMMAND: {
			const struct imap_command *cmd = imap_parser_command(p);

			if (cmd->arg_count > 0)
				check_args(cmd->args, cmd->arg_count,
				           cmd->args + limits.line_max + 64);
			grammar(cmd);
			break;
		}
		case IMAP_EVENT_CONTINUE:
			if (ctl & 0x80)
				imap_parser_literal_reject(p);
			break;
		case IMAP_EVENT_LITERAL:
			if (ctl & 0x40) {
				if (imap_parser_literal_reject(p) < 0)
					pos = size;
			} else if (imap_parser_literal_take(p) == 0) {
				taking = imap_parser_literal_size(p);
			} else if (imap_parser_error_is_fatal(p)) {
				pos = size;
			}
			break;
		case IMAP_EVENT_NONE:
			abort();
		}
	}
	imap_parser_free(&p);
	return 0;
}
