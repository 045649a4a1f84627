/*
 * mailroom_queue.h - private interface of `mailroom queue`, split by topic:
 * mailroom_queue.c (dispatch, list), mailroom_queue_show.c (show) and
 * mailroom_queue_admin.c (delete, hold, release, requeue, flush). Each
 * function takes the arguments after its verb, with the configuration
 * loaded, and returns the exit code.
 */
#ifndef MR_TOOLS_MAILROOM_QUEUE_H
#define MR_TOOLS_MAILROOM_QUEUE_H

#include "lib/queue.h"
#include "lib/queue_read.h"

/* Queue states that hold complete messages, in lookup order. */
extern const enum queue_state mailroom_queue_states[];
#define MAILROOM_QUEUE_STATE_COUNT 3

/*
 * mailroom_queue_open - find the valid queue ID id in active/, deferred/
 * or hold/ and open it read-only. Returns 0 with *msg_r and *state_r set,
 * or -1 after printing why: no such message, corrupt file (left where it
 * is), or an I/O error. *missing_r tells the first case from the others.
 */
int mailroom_queue_open(const char *id, struct queue_message **msg_r,
			enum queue_state *state_r, bool *missing_r);

/*
 * mailroom_queue_format_time - arrival time as asctime(3) without its
 * newline ("Tue Mar  5 10:11:12 2024", local time) into out.
 */
void mailroom_queue_format_time(uint64_t time_us, char out[32]);

/* mailroom_queue_show - `mailroom queue show [-h|-b] ID`. */
int mailroom_queue_show(int argc, char **argv);

/*
 * mailroom_queue_admin - `mailroom queue VERB ID...|ALL|-` for VERB
 * delete, hold, release, requeue, and `mailroom queue flush`.
 */
int mailroom_queue_admin(const char *verb, int argc, char **argv);

#endif
