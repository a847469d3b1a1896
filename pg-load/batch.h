/*
 * batch: the records read since the last commit, kept until their acks
 * are out.
 *
 * Each input line is kept as it came, because a retry after a lost
 * connection and the search for refused rows read the lines again, and
 * a rejects line is the input record itself.  The text and the record
 * count are capped (batch_full()), so memory is bounded by the batch,
 * never by the input.
 */
#ifndef PG_LOAD_BATCH_H
#define PG_LOAD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ledger.h"

/* The longest input line; longer ones are refused whole. */
#define LINE_MAX_BYTES (8u << 20)
/* A batch commits once it holds this much text, whatever --batch-rows. */
#define BATCH_TEXT_BYTES (64u << 20)

enum rec_status {
	ST_PENDING,	/* a row not yet known loaded */
	ST_LOADED,
	ST_DUPLICATE,	/* already in the ledger, or earlier in the batch */
	ST_REFUSED,	/* the database or pg-load refused it: see reason */
	ST_ACK_ONLY,	/* rejected upstream, durably */
	ST_RELEASE	/* to be given back to the queue */
};

#define NO_REASON SIZE_MAX
#define NO_FIRST SIZE_MAX

struct rec {
	size_t off, len;	/* the line, in the batch's text */
	size_t mid, midlen;	/* unescaped message id, in mids */
	size_t rawmid, rawmidlen;	/* message id as in the line */
	size_t ack, acklen;	/* its ack_head(), in acks */
	size_t reason;		/* offset in reasons, or NO_REASON */
	size_t first;		/* an in-batch duplicate's first copy */
	unsigned long long lineno;
	int64_t ts;
	int col;		/* the refused column, COL_LEDGER, or -1 */
	char sqlstate[6];	/* why the database refused it, or "" */
	unsigned char kind, status, has_mid, has_rh;
};

struct batch {
	struct buf text;	/* the lines, each followed by a NUL */
	struct buf mids;	/* unescaped message ids */
	struct buf acks;	/* the first part of each ack */
	struct buf reasons;	/* NUL-terminated reasons of refused records */
	size_t reasons_mark;	/* reasons up to here came before the commit */
	struct rec *rec;
	size_t n, max;
	size_t rows;		/* REC_ROW records */
	double t0;		/* when the first record came */
	struct key *keys;	/* ledger keys, built when committing */
	unsigned char *flags;	/* one per key */
	size_t nkeys;
};

/* Room for max records.  -1 (errno) if the arrays cannot be had. */
int batch_init(struct batch *b, size_t max);
void batch_free(struct batch *b);
void batch_reset(struct batch *b);

/* Whether the batch must commit before it takes another record. */
int batch_full(const struct batch *b);

/*
 * Appends a line and returns its record, zeroed but for the line's
 * place and number; NULL (errno) when memory runs out.
 */
struct rec *batch_add(struct batch *b, const char *line, size_t len,
    unsigned long long lineno);

static inline const char *
batch_line(const struct batch *b, const struct rec *r)
{
	return b->text.data + r->off;
}

/*
 * Keeps the first part of r's ack, copied now while the line is in the
 * cache: written after the commit, it would be read back from memory.
 */
int batch_set_ack(struct batch *b, struct rec *r, const char *rh, size_t rhlen,
    const char *mid, size_t midlen);

/* Keeps the unescaped message id of r (escaped: raw holds an escape). */
int batch_set_mid(struct batch *b, struct rec *r, const char *raw, size_t n,
    int escaped);

/* For col: the database refused the record's ledger key, not a column. */
#define COL_LEDGER (-2)

/*
 * Marks r refused, keeping a copy of reason (cut at a bound; when the
 * batch's reasons are full, the SQLSTATE alone stands for it).
 */
void batch_refuse(struct batch *b, struct rec *r, const char *reason,
    size_t n, const char *sqlstate, int col);

static inline const char *
batch_reason(const struct batch *b, const struct rec *r)
{
	return r->reason == NO_REASON ? "" : b->reasons.data + r->reason;
}

/* Marks r refused for the same reason as first. */
void batch_refuse_as(struct rec *r, const struct rec *first);

/*
 * Builds the ledger keys of the records with a message id whose status
 * is ST_PENDING, sorted, and marks the later of equal keys
 * ST_DUPLICATE, with first set to the earliest (dropping them from the
 * keys).  Returns how many were dropped so.
 */
size_t batch_keys(struct batch *b);

#endif
