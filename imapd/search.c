/*
 * search.c - SEARCH evaluation (see search.h).
 *
 * imap_search_prepare - resolve "*" and build matchers
 * imap_search_eval    - match one message
 *
 * Input: stored messages (untrusted content) through the caller's
 * callback, and a program parsed by parse_search.c (bounded depth, so
 * the recursion here is bounded by IMAP_SEARCH_DEPTH_MAX). Substring
 * search is Knuth-Morris-Pratt over ASCII-folded octets: linear in the
 * text, state carried across chunks, so bodies stream through the
 * decoders (lib/base64, lib/qp, lib/charset) in fixed chunks and are
 * never held whole. Each matcher is one allocation (freed by
 * imap_search_deinit).
 */
#include "imapd/search.h"

#include <string.h>
#include <strings.h>

#include "lib/base64.h"
#include "lib/charset.h"
#include "lib/checked.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/qp.h"
#include "lib/rfc2047.h"
#include "lib/rfc5322_date.h"
#include "lib/rfc5322_header.h"

/* Body octets decoded per step. */
#define SEARCH_CHUNK 4096

struct imap_search_matcher {
	size_t len;
	uint8_t *needle; /* folded */
	size_t *fail;    /* KMP failure function */
};

/* fold - ASCII lower case */
static uint8_t
fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* matcher_new - one block: the struct, the needle, the table */
static struct imap_search_matcher *
matcher_new(const char *s, size_t len)
{
	struct imap_search_matcher *m;
	size_t table, total, i, k;

	if (!checked_mul(len + 1, sizeof(size_t), &table) ||
	    !checked_add(table, sizeof(*m) + len + sizeof(size_t), &total))
		log_panic("imap search: matcher size overflow");
	m = mem_alloc(total);
	m->len = len;
	m->fail = (size_t *)(m + 1);
	m->needle = (uint8_t *)(m->fail + len + 1);
	for (i = 0; i < len; i++)
		m->needle[i] = fold((uint8_t)s[i]);
	/* fail[i]: longest proper border of needle[0..i]. */
	k = 0;
	if (len > 0)
		m->fail[0] = 0;
	for (i = 1; i < len; i++) {
		while (k > 0 && m->needle[i] != m->needle[k])
			k = m->fail[k - 1];
		if (m->needle[i] == m->needle[k])
			k++;
		m->fail[i] = k;
	}
	return m;
}

/* match_feed - feed text; true once the needle was seen */
static bool
match_feed(const struct imap_search_matcher *m, size_t *state, const uint8_t *p,
           size_t n)
{
	size_t k = *state, i;

	if (m->len == 0)
		return true;
	for (i = 0; i < n; i++) {
		uint8_t c = fold(p[i]);

		while (k > 0 && c != m->needle[k])
			k = m->fail[k - 1];
		if (c == m->needle[k] && ++k == m->len) {
			*state = k;
			return true;
		}
	}
	*state = k;
	return false;
}

/* prepare_key - resolve sets, build matchers, recursively */
static void
prepare_key(struct imap_search_key *k, uint32_t max_seq, uint32_t max_uid)
{
	struct imap_search_key *c;

	if (k->type == IMAP_SK_SEQSET)
		imap_seqset_resolve(&k->set, max_seq);
	else if (k->type == IMAP_SK_UID)
		imap_seqset_resolve(&k->set, max_uid);
	if ((k->type == IMAP_SK_HEADER || k->type == IMAP_SK_BODY ||
	     k->type == IMAP_SK_TEXT) &&
	    k->matcher == NULL)
		k->matcher = matcher_new(k->str, k->len);
	for (c = k->children; c != NULL; c = c->next)
		prepare_key(c, max_seq, max_uid);
}

/* imap_search_prepare - resolve "*" and build matchers */
void
imap_search_prepare(struct imap_search *search, uint32_t max_seq,
                    uint32_t max_uid)
{
	size_t i;

	/* Sets are resolved once: re-preparing needs a fresh parse. */
	for (i = 0; i < search->key_count; i++)
		if ((search->keys[i].type == IMAP_SK_SEQSET ||
		     search->keys[i].type == IMAP_SK_UID) &&
		    search->keys[i].set.resolved)
			return;
	prepare_key(search->root, max_seq, max_uid);
}

/* One evaluation: the message, fetched on first need. */
struct eval {
	const struct imap_search_msg *msg;
	bool fetched;
	int fetch_ret;
	const uint8_t *data;
	size_t size;
	const struct mime_message *mime;
	struct buf scratch; /* a decoded header field */
};

/* fetch - the message octets and tree; -1 when unavailable */
static int
fetch(struct eval *ev)
{
	if (!ev->fetched) {
		ev->fetched = true;
		ev->fetch_ret = ev->msg->message == NULL
		                    ? -1
		                    : ev->msg->message(ev->msg->ctx, &ev->data,
		                                       &ev->size, &ev->mime);
	}
	return ev->fetch_ret;
}

/* field_match - a header field's decoded value contains the needle */
static bool
field_match(struct eval *ev, const struct rfc5322_header_field *f,
            const struct imap_search_matcher *m, bool with_name)
{
	const uint8_t *v = f->value;
	size_t state = 0, n = f->value_len;

	while (n > 0 && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
		v++, n--;
	if (n > IMAP_SEARCH_FIELD_MAX)
		n = IMAP_SEARCH_FIELD_MAX;
	buf_reset(&ev->scratch);
	if (with_name) {
		buf_append(&ev->scratch, f->name, f->name_len);
		buf_append_str(&ev->scratch, ": ");
	}
	rfc2047_decode(v, n, &ev->scratch);
	return match_feed(m, &state, ev->scratch.data, ev->scratch.len);
}

/*
 * header_match - a field named name (any, when NULL) of the header at
 * [off, off + n) contains the needle; an empty needle asks whether the
 * field exists
 */
static bool
header_match(struct eval *ev, size_t off, size_t n, const char *name,
             const struct imap_search_matcher *m)
{
	struct rfc5322_header_iter it;
	struct rfc5322_header_field f;

	rfc5322_header_iter_init(&it, ev->data + off, n);
	while (rfc5322_header_next(&it, &f) == 1) {
		if (name != NULL && !rfc5322_header_name_is(&f, name))
			continue;
		if (m->len == 0 || field_match(ev, &f, m, name == NULL))
			return true;
	}
	return false;
}

/* body_part_match - transfer-decode and convert one leaf, then match */
static bool
body_part_match(struct eval *ev, const struct mime_part *p,
                const struct imap_search_matcher *m)
{
	const struct mime_param *cs =
	    mime_param_get(p->params, p->param_count, "charset");
	struct charset_conv *cc =
	    charset_conv_new(cs != NULL ? cs->value : "us-ascii");
	uint8_t raw[QP_DECODED_MAX(SEARCH_CHUNK)];
	struct base64_decoder b64;
	struct qp_decoder qp;
	struct buf text;
	size_t i, state = 0, len;
	bool found = false;

	buf_init(&text, CHARSET_OUT_MAX(sizeof(raw)));
	base64_decoder_init(&b64);
	qp_decoder_init(&qp);
	for (i = 0; i < p->body.octets && !found; i += SEARCH_CHUNK) {
		const uint8_t *in = ev->data + p->body_offset + i;
		size_t n = p->body.octets - i < SEARCH_CHUNK
		               ? p->body.octets - i
		               : SEARCH_CHUNK;

		if (p->encoding == MIME_ENC_BASE64) {
			len = base64_decode(&b64, in, n, raw);
		} else if (p->encoding == MIME_ENC_QP) {
			len = qp_decode(&qp, in, n, raw);
		} else {
			memcpy(raw, in, n);
			len = n;
		}
		buf_reset(&text);
		charset_conv_feed(cc, raw, len, &text);
		found = match_feed(m, &state, text.data, text.len);
	}
	if (!found) {
		len = p->encoding == MIME_ENC_BASE64
		          ? base64_decode_finish(&b64, raw)
		      : p->encoding == MIME_ENC_QP ? qp_decode_finish(&qp, raw)
		                                   : 0;
		buf_reset(&text);
		charset_conv_feed(cc, raw, len, &text);
		charset_conv_finish(cc, &text);
		found = match_feed(m, &state, text.data, text.len);
	}
	charset_conv_free(&cc);
	buf_deinit(&text);
	return found;
}

/* body_match - text leaves and encapsulated headers below part */
static bool
body_match(struct eval *ev, const struct mime_part *part,
           const struct imap_search_matcher *m)
{
	const struct mime_part *c;

	if (part->parent != NULL && part->parent->flags & MIME_PART_F_MESSAGE &&
	    header_match(ev, part->header_offset, part->header.octets, NULL, m))
		return true;
	if (part->children == NULL)
		return strcmp(part->type, "text") == 0 &&
		       body_part_match(ev, part, m);
	for (c = part->children; c != NULL; c = c->next)
		if (body_match(ev, c, m))
			return true;
	return false;
}

/* internal_days - the internal date's calendar day in its own zone */
static int32_t
internal_days(const struct imap_search_msg *msg)
{
	int64_t local =
	    msg->internal_date + (int64_t)msg->internal_tz_minutes * 60;

	return (int32_t)(local >= 0 ? local / 86400 : (local - 86399) / 86400);
}

/* sent_days - the Date: header's day as written, or the internal one */
static int
sent_days(struct eval *ev, int32_t *days_r)
{
	const struct mime_part *root;
	struct rfc5322_header_iter it;
	struct rfc5322_header_field f;

	if (fetch(ev) < 0)
		return -1;
	root = ev->mime->root;
	rfc5322_header_iter_init(&it, ev->data + root->header_offset,
	                         root->header.octets);
	while (rfc5322_header_next(&it, &f) == 1) {
		struct rfc5322_date d;

		if (!rfc5322_header_name_is(&f, "Date"))
			continue;
		if (rfc5322_date_parse(f.value, f.value_len, &d) == 0) {
			*days_r = d.days;
			return 0;
		}
		break;
	}
	*days_r = internal_days(ev->msg);
	return 0;
}

/* has_keyword - the message has keyword (any case) */
static bool
has_keyword(const struct imap_search_msg *msg, const char *kw)
{
	size_t i;

	for (i = 0; i < msg->keyword_count; i++)
		if (strcasecmp(msg->keywords[i], kw) == 0)
			return true;
	return false;
}

/* compare_days - BEFORE/ON/SINCE semantics */
static bool
compare_days(enum imap_search_type t, int32_t d, int32_t key)
{
	if (t == IMAP_SK_BEFORE || t == IMAP_SK_SENTBEFORE)
		return d < key;
	if (t == IMAP_SK_ON || t == IMAP_SK_SENTON)
		return d == key;
	return d >= key;
}

/* eval_key - 1, 0 or -1 for one key */
static int
eval_key(struct eval *ev, const struct imap_search_key *k)
{
	const struct imap_search_msg *msg = ev->msg;
	const struct imap_search_key *c;
	int32_t days;
	int r;

	switch (k->type) {
	case IMAP_SK_ALL:
		return 1;
	case IMAP_SK_AND:
		for (c = k->children; c != NULL; c = c->next)
			if ((r = eval_key(ev, c)) != 1)
				return r;
		return 1;
	case IMAP_SK_OR:
		for (c = k->children; c != NULL; c = c->next)
			if ((r = eval_key(ev, c)) != 0)
				return r;
		return 0;
	case IMAP_SK_NOT:
		r = eval_key(ev, k->children);
		return r < 0 ? r : !r;
	case IMAP_SK_SEQSET:
		MR_ASSERT(k->set.resolved);
		return imap_seqset_contains(&k->set, msg->seq);
	case IMAP_SK_UID:
		MR_ASSERT(k->set.resolved);
		return imap_seqset_contains(&k->set, msg->uid);
	case IMAP_SK_FLAG:
		return (msg->flags & k->flag) != 0;
	case IMAP_SK_UNFLAG:
		return (msg->flags & k->flag) == 0;
	case IMAP_SK_NEW:
		return (msg->flags & IMAP_FLAG_RECENT) &&
		       !(msg->flags & IMAP_FLAG_SEEN);
	case IMAP_SK_OLD:
		return !(msg->flags & IMAP_FLAG_RECENT);
	case IMAP_SK_KEYWORD:
		return has_keyword(msg, k->str);
	case IMAP_SK_UNKEYWORD:
		return !has_keyword(msg, k->str);
	case IMAP_SK_LARGER:
		return msg->size > k->number;
	case IMAP_SK_SMALLER:
		return msg->size < k->number;
	case IMAP_SK_BEFORE:
	case IMAP_SK_ON:
	case IMAP_SK_SINCE:
		return compare_days(k->type, internal_days(msg), k->days);
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
		if (sent_days(ev, &days) < 0)
			return -1;
		return compare_days(k->type, days, k->days);
	case IMAP_SK_HEADER:
		if (fetch(ev) < 0)
			return -1;
		return header_match(ev, ev->mime->root->header_offset,
		                    ev->mime->root->header.octets, k->header,
		                    k->matcher);
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		if (k->len == 0)
			return 1;
		if (fetch(ev) < 0)
			return -1;
		if (k->type == IMAP_SK_TEXT &&
		    header_match(ev, ev->mime->root->header_offset,
		                 ev->mime->root->header.octets, NULL,
		                 k->matcher))
			return 1;
		return body_match(ev, ev->mime->root, k->matcher);
	}
	log_panic("imap search: key type %d", (int)k->type);
}

/* imap_search_eval - match one message */
int
imap_search_eval(const struct imap_search *search,
                 const struct imap_search_msg *msg)
{
	struct eval ev = {.msg = msg};
	int ret;

	/* The name, ": " and a field decoded: at most 4 octets per octet. */
	buf_init(&ev.scratch, RFC5322_HEADER_NAME_MAX + 2 +
	                          CHARSET_OUT_MAX(IMAP_SEARCH_FIELD_MAX));
	ret = eval_key(&ev, search->root);
	buf_deinit(&ev.scratch);
	return ret;
}
