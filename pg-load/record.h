/*
 * record: one NDJSON input line read as a row record, and its row in
 * COPY text format.
 *
 * A record is a JSON object.  Keys that are column names (exactly, as
 * the catalog spells them) give the row's values; other keys are
 * ignored.  Five meta keys steer pg-load and are loaded only when the
 * table has such a column: message_id (a string: the ledger key with
 * sent_timestamp, and the ack's id), receipt_handle (a string: what the
 * ack is for), sent_timestamp (a non-negative integer, milliseconds),
 * ack_only and release (true: acknowledge as rejected, or released,
 * without loading).  JSON null counts as absent throughout.
 *
 * A line that cannot become a row is a REC_BAD record with a reason that
 * names the field, never the value, so it may go to stderr.  Its
 * message id, receipt handle and timestamp are read all the same
 * (when they are sound themselves), so that it is acknowledged and
 * named like any other.
 */
#ifndef PG_LOAD_RECORD_H
#define PG_LOAD_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

/*
 * The longest message id, in bytes unescaped.  SQS's are 100 at most;
 * a ledger key must stay well inside what a B-tree index entry holds
 * (about 2700 bytes).
 */
#define MID_MAX 1024
#define MID_MAX_TEXT "1024"

enum rec_kind {
	REC_ROW,	/* a row to load */
	REC_ACK_ONLY,	/* rejected upstream: ack as rejected */
	REC_RELEASE,	/* give back to the queue: ack as released */
	REC_BAD		/* cannot become a row: why says why */
};

/* The columns rows are loaded into, in COPY column-list order. */
struct columns {
	size_t n;
	char **name;	/* NUL-terminated, as in pg_attribute */
	size_t *len;
};

struct record {
	int kind;
	/*
	 * The meta strings as they appear in the line: raw JSON string
	 * bodies, still escaped (acks copy them as they are), or NULL.
	 */
	const char *mid;
	size_t midlen;
	int midesc;		/* mid holds an escape */
	const char *rh;
	size_t rhlen;
	int64_t ts;		/* sent_timestamp, 0 when absent */
	int ncols;		/* keys that named a column */
	char why[200];		/* for REC_BAD */
};

struct recparser {
	struct json j;
	const struct columns *cols;
	int *val;		/* per column: its value token, or -1 */
	struct buf scratch;	/* unescaped keys and values */
	unsigned char *esc;	/* per token: a string with an escape */
	int esc_known;		/* esc is filled (the fast parse) */
};

/* Returns -1 (errno set) if memory for the parser cannot be had. */
int recparser_init(struct recparser *p, const struct columns *cols);
void recparser_free(struct recparser *p);

/*
 * Reads line[0..len) into r.  Any input gives a record (REC_BAD for what
 * is not a usable row record, mid and rh set even then when they are
 * strings); -1 is returned only when memory runs out.
 * Tokens point into line, which must stay unchanged until the record's
 * row has been encoded.
 */
int record_parse(struct recparser *p, const char *line, size_t len,
    struct record *r);

/*
 * Appends the COPY text row (fields for every column, missing keys and
 * nulls as \N, then a newline) of the REC_ROW record record_parse() just
 * read.  Strings are unescaped, numbers and booleans go as their JSON
 * text, objects and arrays as their JSON text (for json and jsonb
 * columns).  A value with a NUL turns r into REC_BAD and returns 1 with
 * out unchanged; -1 when out's cap or memory runs out.
 */
int record_copy_row(struct recparser *p, struct record *r, struct buf *out);

#endif
