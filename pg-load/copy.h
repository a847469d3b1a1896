/*
 * copy: values as PostgreSQL reads them, in COPY text format and in
 * array literals.
 *
 * COPY text (the server's CopyReadAttributesText): fields end at a tab,
 * rows at a newline, \N alone is NULL, and a backslash escapes the next
 * character.  So a value must have its backslashes, newlines, carriage
 * returns and tabs escaped; every other byte (UTF-8, other control
 * characters) passes as it is.  No escape can express a NUL, which text
 * columns cannot hold anyway: a value with one is refused.
 *
 * Every function appends to out and, on failure, leaves out as it was
 * and returns -1 with errno EINVAL (a NUL), EMSGSIZE (out's cap) or
 * ENOMEM.
 */
#ifndef PG_LOAD_COPY_H
#define PG_LOAD_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* COPY data goes to the server in pieces of about this size. */
#define COPY_CHUNK (64u << 10)

/* s[0..n) as one COPY text field (no separator). */
int copy_put_text(struct buf *out, const char *s, size_t n);

/* The NULL field, \N. */
int copy_put_null(struct buf *out);

/*
 * The body of a JSON string token (the bytes between its quotes, already
 * validated by json_parse) as a COPY text field: unescaped, then
 * escaped for COPY.  A body without a backslash holds no byte COPY
 * needs escaped (JSON strings have no raw control characters), so it is
 * copied as it is.  scratch holds the unescaped text on the slow path.
 * Returns 0, or -1 with errno EINVAL for a \u0000, EILSEQ for an escape
 * that is no UTF-8 (a lone surrogate).
 */
int copy_put_jstring(struct buf *out, struct buf *scratch, const char *s,
    size_t n);

/* A decimal integer field. */
int copy_put_int(struct buf *out, int64_t v);

/*
 * Array literals for text parameters ($1::text[], $1::bigint[]):
 * elements are added between array_open() and array_close(); text
 * elements are always double-quoted with backslash and quote escaped,
 * so no element can be read as NULL or lose its spaces.
 */
int array_open(struct buf *out);
int array_put_text(struct buf *out, const char *s, size_t n);
int array_put_int(struct buf *out, int64_t v);
int array_close(struct buf *out);

#endif
