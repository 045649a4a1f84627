/*
 * mailbox_filter.c - CR LF to LF and mboxrd From_ quoting (see
 * mailbox_filter.h).
 *
 * mailbox_filter_init   - start a message
 * mailbox_filter_feed   - filter one chunk
 * mailbox_filter_finish - release held octets, add the mbox framing
 *
 * The filter owns nothing; output goes to the caller's struct buf.
 * SECURITY: the input is message content from anyone who can send mail
 * (local, running as the recipient). An unquoted "From " line would start a
 * forged message inside the recipient's mbox; every such line is quoted,
 * also across chunk boundaries. Limits: the state is a few words whatever
 * the input (no line length limit is needed).
 */
#include "lib/mailbox_filter.h"

#include <string.h>

#include "lib/log.h"

/* The line prefix mbox readers take as the start of a message. */
static const char from_line[] = "From ";
#define FROM_LINE_LEN (sizeof(from_line) - 1)

/* mailbox_filter_init - start a message */
void
mailbox_filter_init(struct mailbox_filter *f, unsigned flags)
{
	memset(f, 0, sizeof(*f));
	f->flags = flags;
	f->bol = true;
}

/* out_put - append n octets that are known to fit (checked by the caller) */
static void
out_put(struct mailbox_filter *f, uint8_t *o, size_t *pos, const void *p,
        size_t n)
{
	if (n == 0)
		return;
	/* UNSAFE: o has MAILBOX_FILTER_OUT_MIN octets reserved past *pos. */
	memcpy(o + *pos, p, n);
	*pos += n;
	f->octets += n;
	f->last_octet = ((const uint8_t *)p)[n - 1];
}

/* escape_put - pass one LF-converted octet through the From_ quoting */
static void
escape_put(struct mailbox_filter *f, uint8_t c, uint8_t *o, size_t *pos)
{
	if ((f->flags & MAILBOX_FILTER_MBOXRD) == 0) {
		out_put(f, o, pos, &c, 1);
		return;
	}
	if (f->bol) {
		if (c == (uint8_t)from_line[f->from_held]) {
			f->from_held++;
			if (f->from_held == FROM_LINE_LEN) {
				out_put(f, o, pos, ">", 1);
				out_put(f, o, pos, from_line, FROM_LINE_LEN);
				f->from_held = 0;
				f->bol = false;
			}
			return;
		}
		if (c == '>' && f->from_held == 0) {
			/* The extra '>' may go anywhere in the run of '>'. */
			out_put(f, o, pos, &c, 1);
			return;
		}
		out_put(f, o, pos, from_line, f->from_held);
		f->from_held = 0;
		f->bol = false;
	}
	out_put(f, o, pos, &c, 1);
	if (c == '\n')
		f->bol = true;
}

/* mailbox_filter_feed - filter one chunk */
void
mailbox_filter_feed(struct mailbox_filter *f, const uint8_t *p, size_t n,
                    struct buf *out, size_t *used_r)
{
	size_t room = buf_room(out), used = 0, pos = 0;
	uint8_t *o;

	if (room < MAILBOX_FILTER_OUT_MIN || n == 0) {
		*used_r = 0;
		return;
	}
	o = buf_reserve(out, room);
	while (used < n && room - pos >= MAILBOX_FILTER_OUT_MIN) {
		uint8_t c = p[used];

		if (!f->cr_held && !f->bol && c != '\r' && c != '\n') {
			/* Fast path: copy the run up to the next CR or LF. */
			size_t run = 1, max = n - used;

			if (max > room - pos - MAILBOX_FILTER_OUT_MIN + 1)
				max = room - pos - MAILBOX_FILTER_OUT_MIN + 1;
			while (run < max && p[used + run] != '\r' &&
			       p[used + run] != '\n')
				run++;
			out_put(f, o, &pos, p + used, run);
			used += run;
			continue;
		}
		used++;
		if (f->cr_held) {
			f->cr_held = false;
			if (c == '\n') {
				escape_put(f, '\n', o, &pos);
				continue;
			}
			escape_put(f, '\r', o, &pos);
		}
		if (c == '\r')
			f->cr_held = true;
		else
			escape_put(f, c, o, &pos);
	}
	buf_commit(out, pos);
	*used_r = used;
}

/* mailbox_filter_finish - release held octets, add the mbox framing */
void
mailbox_filter_finish(struct mailbox_filter *f, struct buf *out)
{
	size_t pos = 0;
	uint8_t *o;

	MR_ASSERT(buf_room(out) >= MAILBOX_FILTER_OUT_MIN);
	o = buf_reserve(out, MAILBOX_FILTER_OUT_MIN);
	if (f->cr_held) {
		f->cr_held = false;
		escape_put(f, '\r', o, &pos);
	}
	if (f->from_held > 0) {
		out_put(f, o, &pos, from_line, f->from_held);
		f->from_held = 0;
		f->bol = false;
	}
	if ((f->flags & MAILBOX_FILTER_MBOXRD) != 0) {
		if (f->octets > 0 && f->last_octet != '\n')
			out_put(f, o, &pos, "\n", 1);
		out_put(f, o, &pos, "\n", 1);
	}
	buf_commit(out, pos);
}
