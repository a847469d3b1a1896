/*
 * out: the lines pg-load writes, acks on stdout and rejects in the
 * rejects file.
 *
 * An ack is {"receipt_handle":…,"message_id":…,"status":…}, the two ids
 * copied as they came (already valid JSON strings), message_id left out
 * when the record had none.
 *
 * A reject is the input record itself with "reason" and "stage" added
 * (any it already had replaced), so that replaying a rejects file after
 * a fix gives the rows the first run would have.  A line that is not a
 * JSON object is kept as {"line":"…"} (or "line_base64" when it is not
 * UTF-8) with the same two keys.
 */
#ifndef PG_LOAD_OUT_H
#define PG_LOAD_OUT_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

int ack_line(struct buf *out, const char *rh, size_t rhlen, const char *mid,
    size_t midlen, const char *status);

/*
 * An ack in two halves, for acks whose ids are copied while the input
 * is fresh in the cache and whose status is known later: ack_head() is
 * all up to the status's value, ack_tail() the rest.
 */
int ack_head(struct buf *out, const char *rh, size_t rhlen, const char *mid,
    size_t midlen);
int ack_tail(struct buf *out, const char *status);

/* j is a parser to use; line need not be NUL-terminated. */
int reject_line(struct buf *out, struct json *j, const char *line,
    size_t len, const char *reason);

#endif
