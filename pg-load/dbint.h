/*
 * dbint: what db.c and connect.c share.  Private to them: the interface
 * is db.h and connect.h.
 */
#ifndef PG_LOAD_DBINT_H
#define PG_LOAD_DBINT_H

#include "buf.h"
#include "db.h"

/* Error texts are kept whole up to this much; the rest is cut. */
#define ERR_TEXT_MAX (64u << 10)

/* Clears e for the next call: DB_OK, no SQLSTATE, no text. */
void err_reset(struct dberr *e);

/* Keeps what fits of s (NULL: nothing), without its trailing newlines. */
void keep(struct buf *b, const char *s);

/*
 * Waits for events on fd until end (a mono_now() time; 0: no end).
 * With interruptible set, a signal ends the wait too.  Returns 1 when
 * fd is ready, 0 at the end or on a signal, -1 on failure.
 */
int wait_socket(int fd, short events, double end, int interruptible);

#endif
