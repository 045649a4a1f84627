/*
 * parse_search.c - the SEARCH key grammar (see parse.h).
 *
 * imap_search_parse  - SEARCH arguments into a program
 * imap_search_deinit - release it
 *
 * Untrusted input: SEARCH arguments, bounded by the tokenizer's limits.
 * The program's keys live in one array sized from the argument count
 * (each key uses at least one argument), so building it allocates once
 * plus the strings. Recursion (NOT, OR, parentheses) is bounded by
 * IMAP_SEARCH_DEPTH_MAX. Strings must be valid UTF-8: the only charsets
 * accepted are UTF-8 and US-ASCII (RFC 3501 6.4.4: others give
 * BADCHARSET). RFC 3501 6.4.4 and 9 (search-key).
 */
#include "imapd/parse.h"

#include <string.h>
#include <strings.h>

#include "lib/charset.h"
#include "lib/log.h"
#include "lib/mem.h"

/* The key table: name, type, argument kind, flag or header name. */
enum key_arg {
	KA_NONE,
	KA_STRING, /* astring */
	KA_HEADER, /* field-name astring */
	KA_DATE,
	KA_NUMBER,
	KA_KEYWORD,
	KA_KEY,      /* NOT */
	KA_TWO_KEYS, /* OR */
	KA_SEQSET,   /* UID */
};

static const struct {
	const char *name;
	enum imap_search_type type;
	enum key_arg arg;
	unsigned flag;
	const char *header;
} key_table[] = {
    {"ALL", IMAP_SK_ALL, KA_NONE, 0, NULL},
    {"ANSWERED", IMAP_SK_FLAG, KA_NONE, IMAP_FLAG_ANSWERED, NULL},
    {"BCC", IMAP_SK_HEADER, KA_STRING, 0, "Bcc"},
    {"BEFORE", IMAP_SK_BEFORE, KA_DATE, 0, NULL},
    {"BODY", IMAP_SK_BODY, KA_STRING, 0, NULL},
    {"CC", IMAP_SK_HEADER, KA_STRING, 0, "Cc"},
    {"DELETED", IMAP_SK_FLAG, KA_NONE, IMAP_FLAG_DELETED, NULL},
    {"DRAFT", IMAP_SK_FLAG, KA_NONE, IMAP_FLAG_DRAFT, NULL},
    {"FLAGGED", IMAP_SK_FLAG, KA_NONE, IMAP_FLAG_FLAGGED, NULL},
    {"FROM", IMAP_SK_HEADER, KA_STRING, 0, "From"},
    {"HEADER", IMAP_SK_HEADER, KA_HEADER, 0, NULL},
    {"KEYWORD", IMAP_SK_KEYWORD, KA_KEYWORD, 0, NULL},
    {"LARGER", IMAP_SK_LARGER, KA_NUMBER, 0, NULL},
    {"NEW", IMAP_SK_NEW, KA_NONE, 0, NULL},
    {"NOT", IMAP_SK_NOT, KA_KEY, 0, NULL},
    {"OLD", IMAP_SK_OLD, KA_NONE, 0, NULL},
    {"ON", IMAP_SK_ON, KA_DATE, 0, NULL},
    {"OR", IMAP_SK_OR, KA_TWO_KEYS, 0, NULL},
    {"RECENT", IMAP_SK_FLAG, KA_NONE, IMAP_FLAG_RECENT, NULL},
    {"SEEN", IMAP_SK_FLAG, KA_NONE, IMAP_FLAG_SEEN, NULL},
    {"SENTBEFORE", IMAP_SK_SENTBEFORE, KA_DATE, 0, NULL},
    {"SENTON", IMAP_SK_SENTON, KA_DATE, 0, NULL},
    {"SENTSINCE", IMAP_SK_SENTSINCE, KA_DATE, 0, NULL},
    {"SINCE", IMAP_SK_SINCE, KA_DATE, 0, NULL},
    {"SMALLER", IMAP_SK_SMALLER, KA_NUMBER, 0, NULL},
    {"SUBJECT", IMAP_SK_HEADER, KA_STRING, 0, "Subject"},
    {"TEXT", IMAP_SK_TEXT, KA_STRING, 0, NULL},
    {"TO", IMAP_SK_HEADER, KA_STRING, 0, "To"},
    {"UID", IMAP_SK_UID, KA_SEQSET, 0, NULL},
    {"UNANSWERED", IMAP_SK_UNFLAG, KA_NONE, IMAP_FLAG_ANSWERED, NULL},
    {"UNDELETED", IMAP_SK_UNFLAG, KA_NONE, IMAP_FLAG_DELETED, NULL},
    {"UNDRAFT", IMAP_SK_UNFLAG, KA_NONE, IMAP_FLAG_DRAFT, NULL},
    {"UNFLAGGED", IMAP_SK_UNFLAG, KA_NONE, IMAP_FLAG_FLAGGED, NULL},
    {"UNKEYWORD", IMAP_SK_UNKEYWORD, KA_KEYWORD, 0, NULL},
    {"UNSEEN", IMAP_SK_UNFLAG, KA_NONE, IMAP_FLAG_SEEN, NULL},
};

/* Parser state: the arguments left and the key storage. */
struct sp {
	const struct imap_arg *arg; /* next argument */
	size_t left;                /* arguments left at this level */
	struct imap_search *search;
	size_t key_cap;
	const char *error;
	enum imap_search_error kind;
};

/* key_new - the next key from storage */
static struct imap_search_key *
key_new(struct sp *sp, enum imap_search_type type)
{
	struct imap_search_key *k;

	if (sp->search->key_count >= sp->key_cap)
		log_panic("imap search: key storage overflow");
	k = &sp->search->keys[sp->search->key_count++];
	memset(k, 0, sizeof(*k));
	k->type = type;
	return k;
}

/* take - the next argument at this level, or NULL */
static const struct imap_arg *
take(struct sp *sp)
{
	const struct imap_arg *a;

	if (sp->left == 0)
		return NULL;
	a = sp->arg;
	sp->arg = imap_arg_next(a);
	sp->left--;
	return a;
}

/* syntax - a syntax error; returns NULL */
static struct imap_search_key *
syntax(struct sp *sp, const char *text)
{
	if (sp->error == NULL) {
		sp->error = text;
		sp->kind = IMAP_SEARCH_ERR_SYNTAX;
	}
	return NULL;
}

/* take_string - an astring argument as a UTF-8 copy */
static bool
take_string(struct sp *sp, char **s_r, size_t *len_r)
{
	const struct imap_arg *a = take(sp);
	const char *s;
	size_t len;

	if (a == NULL || !imap_arg_astring(a, &s, &len)) {
		syntax(sp, "Missing search string");
		return false;
	}
	if (charset_utf8_valid_prefix((const uint8_t *)s, len) != len) {
		syntax(sp, "Search string is not valid UTF-8");
		return false;
	}
	*s_r = mem_memdup(s, len);
	*len_r = len;
	return true;
}

static struct imap_search_key *parse_key(struct sp *sp, unsigned depth);

/* parse_list - keys up to the end of the current level, ANDed */
static struct imap_search_key *
parse_list(struct sp *sp, unsigned depth)
{
	struct imap_search_key *and = key_new(sp, IMAP_SK_AND), **tail;

	tail = &and->children;
	if (sp->left == 0)
		return syntax(sp, "Missing search key");
	while (sp->left > 0) {
		struct imap_search_key *k = parse_key(sp, depth);

		if (k == NULL)
			return NULL;
		*tail = k;
		tail = &k->next;
	}
	return and;
}

/* parse_key - one search key */
static struct imap_search_key *
parse_key(struct sp *sp, unsigned depth)
{
	const struct imap_arg *a = take(sp);
	struct imap_search_key *k;
	const char *s;
	size_t i, len;

	if (a == NULL)
		return syntax(sp, "Missing search key");
	if (depth >= IMAP_SEARCH_DEPTH_MAX)
		return syntax(sp, "Search keys nested too deeply");
	if (a->type == IMAP_ARG_LIST) {
		struct sp inner = *sp;

		inner.arg = a->list_count > 0 ? imap_arg_items(a) : NULL;
		inner.left = a->list_count;
		k = parse_list(&inner, depth + 1);
		sp->error = inner.error;
		sp->kind = inner.kind;
		return k;
	}
	if (a->type != IMAP_ARG_ATOM)
		return syntax(sp, "Invalid search key");
	if ((a->str[0] >= '0' && a->str[0] <= '9') || a->str[0] == '*') {
		k = key_new(sp, IMAP_SK_SEQSET);
		if (imap_seqset_parse(a->str, a->len, &k->set, &s) < 0)
			return syntax(sp, s);
		return k;
	}
	for (i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++)
		if (strcasecmp(a->str, key_table[i].name) == 0)
			break;
	if (i == sizeof(key_table) / sizeof(key_table[0]))
		return syntax(sp, "Unknown search key");
	k = key_new(sp, key_table[i].type);
	k->flag = key_table[i].flag;
	if (key_table[i].header != NULL)
		k->header = mem_strdup(key_table[i].header);
	switch (key_table[i].arg) {
	case KA_NONE:
		break;
	case KA_HEADER:
		a = take(sp);
		if (a == NULL || !imap_arg_astring(a, &s, &len) || len == 0 ||
		    strlen(s) != len)
			return syntax(sp, "Invalid header field name");
		for (size_t j = 0; j < len; j++)
			if (s[j] < 33 || s[j] > 126 || s[j] == ':')
				return syntax(sp, "Invalid header field name");
		k->header = mem_strdup(s);
		/* fall through */
	case KA_STRING:
		if (!take_string(sp, &k->str, &k->len))
			return NULL;
		if (k->type == IMAP_SK_HEADER || k->type == IMAP_SK_TEXT)
			sp->search->uses_header = true;
		if (k->type == IMAP_SK_BODY || k->type == IMAP_SK_TEXT)
			sp->search->uses_body = true;
		break;
	case KA_DATE:
		a = take(sp);
		if (a == NULL || !imap_arg_astring(a, &s, &len) ||
		    imap_date_parse(s, len, &k->days, &s) < 0)
			return syntax(sp, "Invalid search date");
		if (k->type == IMAP_SK_SENTBEFORE ||
		    k->type == IMAP_SK_SENTON || k->type == IMAP_SK_SENTSINCE)
			sp->search->uses_header = true;
		break;
	case KA_NUMBER: {
		uint64_t v = 0;

		a = take(sp);
		if (a == NULL || a->type != IMAP_ARG_ATOM || a->len == 0 ||
		    a->len > 10)
			return syntax(sp, "Invalid search number");
		for (size_t j = 0; j < a->len; j++) {
			if (a->str[j] < '0' || a->str[j] > '9')
				return syntax(sp, "Invalid search number");
			v = v * 10 + (uint64_t)(a->str[j] - '0');
		}
		if (v > UINT32_MAX)
			return syntax(sp, "Invalid search number");
		k->number = v;
		break;
	}
	case KA_KEYWORD: {
		struct imap_flags flags;

		a = take(sp);
		if (a == NULL || a->type != IMAP_ARG_ATOM ||
		    a->str[0] == '\\' || imap_flags_parse(a, 1, &flags, &s) < 0)
			return syntax(sp, "Invalid keyword");
		k->str = flags.keywords[0];
		k->len = strlen(k->str);
		flags.keywords[0] = NULL;
		imap_flags_deinit(&flags);
		break;
	}
	case KA_KEY:
		k->children = parse_key(sp, depth + 1);
		if (k->children == NULL)
			return NULL;
		break;
	case KA_TWO_KEYS:
		k->children = parse_key(sp, depth + 1);
		if (k->children == NULL)
			return NULL;
		k->children->next = parse_key(sp, depth + 1);
		if (k->children->next == NULL)
			return NULL;
		break;
	case KA_SEQSET:
		a = take(sp);
		if (a == NULL || a->type != IMAP_ARG_ATOM)
			return syntax(sp, "Invalid sequence set");
		if (imap_seqset_parse(a->str, a->len, &k->set, &s) < 0)
			return syntax(sp, s);
		break;
	}
	return k;
}

/* count_args - all arguments, nested ones included */
static size_t
count_args(const struct imap_arg *args, size_t count)
{
	size_t total = 0, i;
	const struct imap_arg *a = args;

	for (i = 0; i < count; i++, a = imap_arg_next(a))
		total += 1 + (a->type == IMAP_ARG_LIST ? a->list_size : 0);
	return total;
}

/* imap_search_parse - SEARCH arguments into a program */
int
imap_search_parse(const struct imap_arg *args, size_t count,
                  struct imap_search *search, enum imap_search_error *kind_r,
                  const char **error_r)
{
	struct sp sp = {.arg = args, .left = count, .search = search};

	memset(search, 0, sizeof(*search));
	*kind_r = IMAP_SEARCH_ERR_NONE;
	if (count >= 2 && imap_arg_is_atom(args, "CHARSET")) {
		const char *cs;
		size_t len;

		if (!imap_arg_astring(imap_arg_next(args), &cs, &len)) {
			*kind_r = IMAP_SEARCH_ERR_SYNTAX;
			*error_r = "Invalid charset";
			return -1;
		}
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0) {
			*kind_r = IMAP_SEARCH_ERR_BADCHARSET;
			*error_r = "Unsupported charset";
			return -1;
		}
		sp.arg = imap_arg_next(imap_arg_next(args));
		sp.left -= 2;
	}
	/* Each key takes at least one argument; the top AND is extra. */
	sp.key_cap = count_args(args, count) + 1;
	search->keys = mem_alloc_array(sp.key_cap, sizeof(*search->keys));
	search->root = parse_list(&sp, 0);
	if (search->root == NULL) {
		*kind_r = sp.kind;
		*error_r = sp.error;
		imap_search_deinit(search);
		return -1;
	}
	return 0;
}

/* imap_search_deinit - release the program */
void
imap_search_deinit(struct imap_search *search)
{
	size_t i;

	for (i = 0; i < search->key_count; i++) {
		struct imap_search_key *k = &search->keys[i];

		mem_free(&k->header);
		mem_free(&k->str);
		imap_seqset_deinit(&k->set);
		mem_free(&k->matcher);
	}
	mem_free(&search->keys);
	memset(search, 0, sizeof(*search));
}
