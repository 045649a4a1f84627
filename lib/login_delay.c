/*
 * login_delay.c - per-address delays for failed logins (see
 * login_delay.h).
 *
 * login_delay_new/free, login_delay_failed, login_delay_failures
 *
 * Input: client address texts (made by getnameinfo, but still cut to
 * LOGIN_DELAY_ADDR_MAX). The table is a fixed array searched linearly:
 * it is touched only on failed logins, and LOGIN_DELAY_SLOTS bounds both
 * memory and work. Owned by the caller; no privilege needed.
 */
#include "lib/login_delay.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"

struct login_delay_slot {
	char addr[LOGIN_DELAY_ADDR_MAX + 1];	/* "" when free */
	unsigned failures;
	uint64_t last_ms;
};

struct login_delay {
	struct login_delay_slot *slots;
	size_t count;
};

/* login_delay_new - empty table */
struct login_delay *
login_delay_new(size_t slots)
{
	struct login_delay *ld = mem_alloc(sizeof(*ld));

	MR_ASSERT(slots >= 1);
	ld->slots = mem_alloc_array(slots, sizeof(*ld->slots));
	ld->count = slots;
	return ld;
}

/* login_delay_free - release */
void
login_delay_free(struct login_delay **ldp)
{
	if (*ldp == NULL)
		return;
	mem_free(&(*ldp)->slots);
	mem_free(ldp);
}

/* slot_is_live - whether a slot holds a failure not yet forgotten */
static bool
slot_is_live(const struct login_delay_slot *s, uint64_t now_ms)
{
	return s->addr[0] != '\0' && now_ms - s->last_ms < LOGIN_DELAY_FORGET_MS;
}

/* slot_find - the slot of addr (cut), or NULL */
static struct login_delay_slot *
slot_find(const struct login_delay *ld, const char *key)
{
	size_t i;

	for (i = 0; i < ld->count; i++)
		if (ld->slots[i].addr[0] != '\0' &&
		    strcmp(ld->slots[i].addr, key) == 0)
			return &ld->slots[i];
	return NULL;
}

/* login_delay_failed - count a failure, return the delay */
uint64_t
login_delay_failed(struct login_delay *ld, const char *addr, uint64_t now_ms)
{
	char key[LOGIN_DELAY_ADDR_MAX + 1];
	struct login_delay_slot *s;
	uint64_t delay;
	size_t i;

	snprintf(key, sizeof(key), "%s", addr[0] != '\0' ? addr : "?");
	s = slot_find(ld, key);
	if (s != NULL && !slot_is_live(s, now_ms))
		s->failures = 0;
	if (s == NULL) {
		/* A free or forgotten slot, else the oldest failure. */
		s = &ld->slots[0];
		for (i = 0; i < ld->count; i++) {
			struct login_delay_slot *c = &ld->slots[i];

			if (!slot_is_live(c, now_ms)) {
				s = c;
				break;
			}
			if (c->last_ms < s->last_ms)
				s = c;
		}
		memset(s, 0, sizeof(*s));
		snprintf(s->addr, sizeof(s->addr), "%s", key);
	}
	if (s->failures < 32)
		s->failures++;
	s->last_ms = now_ms;
	delay = s->failures > 5 ? LOGIN_DELAY_MAX_MS
				: (uint64_t)LOGIN_DELAY_BASE_MS
					  << (s->failures - 1);
	return delay < LOGIN_DELAY_MAX_MS ? delay : LOGIN_DELAY_MAX_MS;
}

/* login_delay_failures - recent failures of addr */
unsigned
login_delay_failures(const struct login_delay *ld, const char *addr,
		     uint64_t now_ms)
{
	char key[LOGIN_DELAY_ADDR_MAX + 1];
	const struct login_delay_slot *s;

	snprintf(key, sizeof(key), "%s", addr[0] != '\0' ? addr : "?");
	s = slot_find(ld, key);
	return s != NULL && slot_is_live(s, now_ms) ? s->failures : 0;
}
