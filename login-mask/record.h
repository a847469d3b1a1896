/*
 * record: one input line, checked against the field rules.
 *
 * A line is a message record when it is an object with a "body" or a
 * "receipt_handle" key (sqs-read's output, or a rejects file being
 * replayed); any other object is a bare login body.  A message record
 * carries its identity (message_id, receipt_handle, sent_timestamp) to
 * the row, or to the ack of its reject; a bare body has none.
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
	int ident;		/* the identity below is valid */
	/* Identity, as JSON string contents (between the quotes), as read. */
	const char *mid, *rh, *ts;	/* NULL when absent */
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
 * not and r->ident saying whether the identity may be used for an ack.
 * r points into line and into p until the next call.
 */
int record_parse(struct parser *p, const char *line, size_t len,
    struct record *r);

#endif
