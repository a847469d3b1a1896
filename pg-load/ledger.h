/*
 * ledger: which messages each table already holds, for exactly-once
 * loading of redelivered and replayed messages.
 *
 * One row per loaded message, keyed by (target table, sent_timestamp,
 * message_id), written in the same transaction as the message's row.
 * SentTimestamp survives redelivery, so the key is exact, and it grows
 * nearly in order, so the index takes appends rather than random
 * inserts and old entries go by a range delete.  A record without
 * sent_timestamp is keyed with 0.
 *
 * Several pg-loads may share a ledger.  Claims are made in one order
 * (keys sorted by ledger_sort) so two claimers never wait on each other
 * crosswise: the fast way is a COPY, which fails whole on a unique
 * violation, the sure way INSERT ... ON CONFLICT DO NOTHING RETURNING,
 * which tells which keys were new.
 */
#ifndef PG_LOAD_LEDGER_H
#define PG_LOAD_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "catalog.h"
#include "db.h"

struct key {
	int64_t ts;
	const char *mid;	/* unescaped message id, not NUL-terminated */
	size_t midlen;
	size_t rec;		/* the batch record it stands for */
};

struct ledger {
	char *qname;		/* quoted, from the catalog */
	const char *target;	/* the target table's name in the ledger */
	struct buf target_field;	/* target as a COPY field and a tab */
	char *copy_sql, *claim_sql, *unclaim_sql, *prune_sql;
	char retention_ms[24];
	struct buf ts_array, mid_array;	/* parameters of claims */
};

/*
 * The ledger's DDL for a table named name (SQL: optionally
 * schema-qualified, quoted as in SQL).  -1 with errno EINVAL if name is
 * not such a name, EMSGSIZE/ENOMEM if out cannot hold it.
 */
int ledger_ddl(struct buf *out, const char *name);

/*
 * Creates the ledger if it is absent (one creator at a time, under an
 * advisory lock), checks it has the unique key exactness depends on,
 * and prepares the statements for table t.  Returns 0, or a sysexits
 * code after a diagnostic.
 */
int ledger_open(struct db *d, struct ledger *l, const char *name,
    const struct table *t, long retention_days);
void ledger_free(struct ledger *l);

/* Sorts keys into claim order; equal keys stay in input order. */
void ledger_sort(struct key *k, size_t n);
int ledger_key_cmp(const struct key *a, const struct key *b);

/*
 * COPYs keys (sorted, no two equal) into the ledger.  A key already
 * there fails it all with 23505 (unique_violation) and leaves the
 * transaction aborted.  chunk is the COPY data buffer.
 */
int ledger_copy(struct db *d, struct ledger *l, const struct key *k,
    size_t n, struct buf *chunk);

/*
 * Claims keys (sorted, no two equal) that no one holds yet, waiting for
 * concurrent claimers of the same keys to finish; claimed[i] is set to
 * 1 for each key now ours and 0 for each already taken.
 */
int ledger_claim(struct db *d, struct ledger *l, const struct key *k,
    size_t n, unsigned char *claimed);

/* Deletes keys claimed in this transaction whose rows were refused. */
int ledger_unclaim(struct db *d, struct ledger *l, const struct key *k,
    size_t n);

/*
 * Deletes this table's entries older than the retention: by
 * sent_timestamp, by when they were loaded for those keyed with 0.
 */
int ledger_prune(struct db *d, struct ledger *l);

#endif
