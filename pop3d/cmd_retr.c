/*
 * cmd_retr.c - the multi-line answers: LIST, UIDL (RFC 1939 7), RETR and
 * TOP (RFC 1939 7, 8), and the generator that streams them.
 *
 * cmd_list, cmd_uidl, cmd_retr, cmd_top - start an answer
 * pop3d_gen_fill  - produce more of it into the output buffer
 * pop3d_gen_stop  - abandon it (the session ends)
 * pop3d_top_cut   - where TOP stops in the message
 *
 * A message is read from its file in POP3D_READ_CHUNK pieces and encoded
 * by lib/dot_encode (LF to CR LF, byte-stuffing, terminator) straight
 * into the session's bounded output buffer; the generator stops when that
 * is full and resumes when the client has read it, so no message is ever
 * held whole in memory. Sizes in LIST and the RETR status line are the
 * mailstore's vsize (octets with CR LF line ends): what the client gets
 * before stuffing. Input: message files from the user's Maildir
 * (untrusted content, only copied).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "pop3d/pop3d.h"

/* pop3d_top_cut - how much of p[0..n) TOP sends */
size_t
pop3d_top_cut(struct pop3d_top *top, const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (top->done)
		return 0;
	/* Headers, octet by octet: they are short. */
	while (i < n && !top->in_body) {
		uint8_t c = p[i++];

		if (c == '\n') {
			if (top->bol || top->bol_cr) {
				top->in_body = true;
				if (top->lines_left == 0) {
					top->done = true;
					return i;
				}
			}
			top->bol = true;
			top->bol_cr = false;
		} else if (c == '\r' && top->bol) {
			top->bol = false;
			top->bol_cr = true;
		} else {
			top->bol = false;
			top->bol_cr = false;
		}
	}
	/* Body lines, by line end. */
	while (i < n) {
		/* UNSAFE: memchr within [i, n). */
		const uint8_t *lf = memchr(p + i, '\n', n - i);

		if (lf == NULL)
			return n;
		i = (size_t)(lf - p) + 1;
		if (--top->lines_left == 0) {
			top->done = true;
			return i;
		}
	}
	return n;
}

/* pop3d_gen_stop - abandon the answer in progress */
void
pop3d_gen_stop(struct pop3d_session *s)
{
	if (s->msg_fd >= 0)
		close(s->msg_fd);
	s->msg_fd = -1;
	buf_reset(&s->msg_buf);
	s->gen = POP3D_GEN_NONE;
}

/* gen_lines - LIST or UIDL lines from gen_next on */
static bool
gen_lines(struct pop3d_session *s)
{
	char uid[POP3D_UIDL_MAX + 1];

	while (s->gen_next < s->msg_count) {
		size_t i = s->gen_next;

		if (buf_room(&s->out) < POP3D_OUT_FILL_RESERVE)
			return false;
		s->gen_next++;
		if (s->deleted[i])
			continue;
		if (s->gen == POP3D_GEN_LIST) {
			buf_printf(&s->out, "%zu %llu\r\n", i + 1,
				   (unsigned long long)mailstore_msg(s->folder,
								     i)
					   ->vsize);
		} else {
			pop3d_uidl_format(s, i, uid, sizeof(uid));
			buf_printf(&s->out, "%zu %s\r\n", i + 1, uid);
		}
	}
	if (buf_room(&s->out) < POP3D_OUT_FILL_RESERVE)
		return false;
	buf_append(&s->out, ".\r\n", 3);
	s->gen = POP3D_GEN_NONE;
	return true;
}

/* gen_msg - more of the message file, encoded */
static bool
gen_msg(struct pop3d_session *s)
{
	while (buf_room(&s->out) >= POP3D_OUT_FILL_RESERVE) {
		size_t before, used;

		if (s->msg_buf.len == 0) {
			uint8_t *p;
			ssize_t r;

			if (s->top.done)
				r = 0;
			else {
				p = buf_reserve(&s->msg_buf,
						POP3D_READ_CHUNK);
				r = read(s->msg_fd, p, POP3D_READ_CHUNK);
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				/* The +OK is out: all we can do is hang up
				 * rather than send a short message. */
				log_warn("pop3(%s): read message: %m",
					 s->user);
				pop3d_gen_stop(s);
				pop3d_session_close_after_reply(
					s, "Error reading a message");
				return false;
			}
			if (r == 0) {
				dot_encode_finish(&s->enc, &s->out);
				pop3d_gen_stop(s);
				return true;
			}
			if (s->top.enabled)
				r = (ssize_t)pop3d_top_cut(&s->top, p,
							   (size_t)r);
			buf_commit(&s->msg_buf, (size_t)r);
			continue;
		}
		before = s->out.len;
		used = dot_encode_feed(&s->enc, s->msg_buf.data,
				       s->msg_buf.len, &s->out);
		*s->gen_bytes += s->out.len - before;
		buf_consume(&s->msg_buf, used);
		if (used == 0)
			break;
	}
	return false;
}

/* pop3d_gen_fill - produce; true when the answer is complete */
bool
pop3d_gen_fill(struct pop3d_session *s)
{
	switch (s->gen) {
	case POP3D_GEN_LIST:
	case POP3D_GEN_UIDL:
		return gen_lines(s);
	case POP3D_GEN_MSG:
		return gen_msg(s);
	default:
		return true;
	}
}

/* cmd_list - LIST [n] */
void
cmd_list(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	uint64_t size = 0;
	size_t i;

	if (cmd->argc == 1) {
		if (pop3d_msg_is_valid(s, cmd->nums[0]))
			pop3d_reply(s, "+OK %lu %llu",
				    (unsigned long)cmd->nums[0],
				    (unsigned long long)mailstore_msg(
					    s->folder, cmd->nums[0] - 1)
					    ->vsize);
		return;
	}
	for (i = 0; i < s->msg_count; i++)
		if (!s->deleted[i])
			size += mailstore_msg(s->folder, i)->vsize;
	pop3d_reply(s, "+OK %zu messages (%llu octets)",
		    s->msg_count - s->deleted_count, (unsigned long long)size);
	s->gen = POP3D_GEN_LIST;
	s->gen_next = 0;
}

/* cmd_uidl - UIDL [n] (RFC 1939 7) */
void
cmd_uidl(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	char uid[POP3D_UIDL_MAX + 1];

	if (cmd->argc == 1) {
		if (pop3d_msg_is_valid(s, cmd->nums[0])) {
			pop3d_uidl_format(s, cmd->nums[0] - 1, uid,
					  sizeof(uid));
			pop3d_reply(s, "+OK %lu %s",
				    (unsigned long)cmd->nums[0], uid);
		}
		return;
	}
	pop3d_reply(s, "+OK");
	s->gen = POP3D_GEN_UIDL;
	s->gen_next = 0;
}

/* msg_start - open message n and start streaming it */
static bool
msg_start(struct pop3d_session *s, uint32_t n, uint64_t *bytes)
{
	const char *error;
	int fd = -1, rc;

	if (!pop3d_msg_is_valid(s, n))
		return false;
	rc = mailstore_msg_open(s->folder, n - 1, &fd, &error);
	if (rc == 0) {
		pop3d_reply(s, "-ERR Message %lu was removed by another "
			       "session.",
			    (unsigned long)n);
		return false;
	}
	if (rc < 0) {
		log_warn("pop3(%s): %s", s->user, error);
		pop3d_reply(s, "-ERR [SYS/TEMP] Cannot read message %lu.",
			    (unsigned long)n);
		return false;
	}
	s->msg_fd = fd;
	s->gen = POP3D_GEN_MSG;
	s->gen_bytes = bytes;
	buf_reset(&s->msg_buf);
	dot_encode_init(&s->enc);
	memset(&s->top, 0, sizeof(s->top));
	return true;
}

/* cmd_retr - RETR n */
void
cmd_retr(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	uint32_t n = cmd->nums[0];

	if (!msg_start(s, n, &s->retr_bytes))
		return;
	s->retr_count++;
	/* The status line goes before the generator's first octet. */
	pop3d_reply(s, "+OK %llu octets",
		    (unsigned long long)mailstore_msg(s->folder, n - 1)->vsize);
}

/* cmd_top - TOP n lines */
void
cmd_top(struct pop3d_session *s, struct pop3_cmd *cmd)
{
	if (!msg_start(s, cmd->nums[0], &s->top_bytes))
		return;
	s->top_count++;
	s->top.enabled = true;
	s->top.bol = true;
	s->top.lines_left = cmd->nums[1];
	pop3d_reply(s, "+OK");
}
