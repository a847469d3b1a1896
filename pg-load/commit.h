/*
 * commit: a batch into the database, exactly once.
 *
 * The fast path streams each row into a COPY as it is read, so the
 * server parses while pg-load reads, then COPYs the batch's ledger keys
 * and commits.  It fails whole when a row is refused, a key is already
 * in the ledger (a duplicate, or another pg-load's message) or the
 * connection goes; the batch then takes the careful path from its kept
 * lines: claim the keys first (INSERT ... ON CONFLICT DO NOTHING), COPY
 * the claimed rows under a savepoint, and when that fails, halve the
 * rows until each refused one is alone; then release the refused rows'
 * claims and commit.  Lost connections are retried with backoff for
 * --retry-seconds, deadlocks and serialization failures a few times.
 */
#ifndef PG_LOAD_COMMIT_H
#define PG_LOAD_COMMIT_H

#include "load.h"

/*
 * Takes the COPY row of the record just parsed (in l->chunk) onto the
 * fast path: starts the batch's transaction and COPY if need be, and
 * sends full chunks.  Failures only switch the batch to the careful way.
 */
void commit_stream_row(struct loader *l);

/*
 * Makes the batch's rows durable and sets every record's status.
 * Returns only on success; gives up through load_die().
 */
void commit_batch(struct loader *l);

/* Deletes old ledger entries if that is due; failures only warn. */
void commit_prune(struct loader *l, int force);

#endif
