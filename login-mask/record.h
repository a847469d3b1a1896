/*
 * record: one input line, checked against the field rules.
 *
 * A line is a message record when it is an object with a "body" or a
 * "receipt_handle" key (sqs-read's output, or a rejects file being
 * replayed); any other object is a bare login body.  A message record
 * carries its identity (message_id, receipt_handle, sent_timestamp) to
 * the row, or to the ack of its reject; a bare body has none.  A
 * sent_timestamp of null is no sent_timestamp.  A record with a
 * receipt_handle needs a message_id, as pg-load deduplicates by it.  A
 * record whose identity is bad is a reject naming the field; it can
 * still be acked or released when its receipt_handle is good, so that
 * sqs-read does not hold it forever.
 *
 * The checks are two JSON parses (the record, then its body, each with
 * lib/json.h's strict grammar and a token cap; lib/flat.h reads them
 * when they are flat objects, as they nearly always are) and the field
 * rules of login.h.  Nothing here writes, allocates per line once warm, or keeps
 * anything from one line to the next.
 */
#ifndef LOGIN_MASK_RECORD_H
#define LOGIN_MASK_RECORD_H

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "login.h"

/* The longest line: a 1 MiB SQS body escaped inside its record, and more. */
#define RECORD_LINE_MAX (8u << 20)
/* Tokens per JSON text (record or body): a login has 13. */
#define RECORD_MAXTOK 512

struct record {
	unsigned long long lineno;
	int message;		/* a message record, not a bare body */
	int ident;		/* the whole identity is valid */
	int ack;		/* rh is valid: an ack or release can name it */
	/*
	 * Identity, as JSON string contents (between the quotes), as read.
	 * Each is NULL (and its length 0) when absent or invalid, so what
	 * is written from a record is only ever its valid parts.
	 */
	const char *mid, *rh, *ts;
	size_t midlen, rhlen, tslen;	/* ts: the digits */
	long long ts_ms;
	/* The body's JSON value as read, quotes included; NULL if absent. */
	const char *body;
	size_t bodylen;
	struct login login;
	/* Why the line was rejected (record_parse returned -1). */
	int where, what;
};

struct parser {
	struct json rec, body;
	/*
	 * Per token, whether a string holds an escape, as the flat reader
	 * found it; resc and besc point here, or are NULL when json_parse
	 * read the text.
	 */
	unsigned char rflags[RECORD_MAXTOK], bflags[RECORD_MAXTOK];
	const unsigned char *resc, *besc;
	struct buf bodytext;	/* a message record's body, unescaped */
	struct login_scratch scratch;
	int null_app_version;	/* store NULL for an app_version out of range */
	/*
	 * Read every text with json_parse and json_unescape alone: the
	 * fuzz target checks the flat reader's results against these.
	 */
	int full;
};

int parser_init(struct parser *p, int null_app_version);
void parser_free(struct parser *p);

/*
 * Checks line[0..len) (no newline; it may hold NULs).  Returns 0 with r
 * describing a valid login, or -1 with r->where and r->what saying why
 * not, r->ident whether the identity may be kept in the reject, and
 * r->ack whether the message may be acked or released by r->rh.  r
 * points into line and into p until the next call; r->lineno is left
 * as the caller set it.
 */
int record_parse(struct parser *p, const char *line, size_t len,
    struct record *r);

/*
 * The reject of line lineno, too long to be read (lineread's LR_LONG):
 * every field of r set, none from the line, which was not kept.
 */
void record_too_long(struct record *r, unsigned long long lineno);

#endif
