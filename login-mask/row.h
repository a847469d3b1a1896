/*
 * row: the records login-mask writes.
 *
 *	row	{"message_id","receipt_handle","sent_timestamp", the columns of
 *		user_logins with ip and device_id masked}; the three meta keys
 *		only when the input had them
 *	ack	{"message_id","receipt_handle","sent_timestamp","ack_only":true}
 *		for a message whose reject is durable in the rejects file
 *	release	{"message_id","receipt_handle","release":true} for a rejected
 *		message with no rejects file: the queue gets it back
 *	reject	the input record (identity and body as read) with "line",
 *		"reason" and "stage":"login-mask", for the rejects file.  A
 *		line that is not a message record is kept whole as "body",
 *		a message record whose identity is unusable whole as "record"
 *		(as "body_base64" or "record_base64" if it is not UTF-8).
 *
 * Each appends one line, newline included, to out and returns 0, or -1
 * if out is full (its cap) or, for a row, masking failed; out is then
 * left as it was.
 */
#ifndef LOGIN_MASK_ROW_H
#define LOGIN_MASK_ROW_H

#include <time.h>

#include "buf.h"
#include "mask.h"
#include "record.h"

/* The last day formatted, so most rows cost no date arithmetic. */
struct datecache {
	long long day;
	char s[11];
};

#define DATECACHE_INIT { -1, "" }

/*
 * create_date: the UTC date of ms milliseconds since the epoch
 * (0 to year 9999), as YYYY-MM-DD, into dc->s.
 */
const char *utc_date(struct datecache *dc, long long ms);

/* now is the processing time, the date of a row without sent_timestamp. */
int row_put(struct buf *out, const struct record *r, const struct masker *m,
    struct datecache *dc, time_t now);
int ack_put(struct buf *out, const struct record *r);
int release_put(struct buf *out, const struct record *r);

/*
 * line[0..len) is the input line (NULL for one too long to keep, len
 * then its length).
 */
int reject_put(struct buf *out, const struct record *r, const char *line,
    size_t len);

#endif
