/*
 * buf: a growable byte buffer with a hard cap.
 *
 * Contract:
 *  - data is NUL-terminated once anything was added; len excludes the NUL;
 *    data may hold NULs of its own.
 *  - max, fixed at init, bounds len.  Untrusted input can never grow a
 *    buffer past it: an append that would returns -1 with errno EMSGSIZE
 *    (ENOMEM if the allocation failed) and leaves the buffer as it was.
 *  - BUF_INIT(max) is a valid empty buffer: data is NULL until the first
 *    append, so buf_cstr() must be used where a string is wanted.
 *  - buf_free() releases the storage and leaves an empty buffer with the
 *    same max, ready for reuse.  buf_detach() hands the storage to the
 *    caller (who frees it) and leaves the buffer empty.
 */
#ifndef LIB_BUF_H
#define LIB_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_INIT(maxlen) { NULL, 0, 0, (maxlen) }

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
char *buf_detach(struct buf *b, size_t *lenp);

/* Makes room for n more bytes (plus the NUL) without changing len. */
int buf_reserve(struct buf *b, size_t n);

int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Shortens the buffer to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);
#define buf_reset(b) buf_truncate((b), 0)

/* The contents as a C string; "" for a buffer that never held data. */
const char *buf_cstr(const struct buf *b);

#endif
