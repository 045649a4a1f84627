/*
 * trigger.h - wake a daemon up through its service socket.
 *
 * trigger_qmgr tells qmgr that new mail is in the active queue: a one-frame
 * IPC_QMGR_WAKEUP message to queue_directory/private/qmgr, sent without
 * waiting for anything. A missed wakeup only delays delivery until qmgr's
 * next periodic queue scan, so every failure is ignored (logged at debug).
 */
#ifndef MR_TRIGGER_H
#define MR_TRIGGER_H

/* trigger_qmgr - best-effort wakeup of qmgr. */
void trigger_qmgr(const char *queue_dir);

#endif
