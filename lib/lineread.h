/*
 * lineread: newline-delimited records from a file descriptor, blocking
 * or not, of any length up to a cap, without quadratic copying.
 *
 * A line handed out points into the reader's buffer, is NUL-terminated
 * in place of its newline, and stays valid until the next call on the
 * reader.  It may contain NULs of its own (len says where it ends).  A
 * final line without a newline is returned at end of file.  A line longer
 * than max is not returned: its bytes are discarded as they arrive, and
 * LR_LONG reports it with its length, so memory stays bounded by max
 * whatever the input.
 */
#ifndef LIB_LINEREAD_H
#define LIB_LINEREAD_H

#include <stddef.h>
#include <sys/types.h>

enum {
	LR_ERROR = -1,	/* read(2) failed: errno says why (EAGAIN too) */
	LR_EOF = 0,	/* end of input, nothing left */
	LR_LINE = 1,	/* *line, *len hold a line */
	LR_LONG = 2,	/* a line longer than max was skipped; *len its length */
	LR_NEED = 3	/* lr_next only: no complete line yet, call lr_fill */
};

struct lineread {
	int fd;
	char *buf;
	size_t cap;
	size_t start;	/* first unconsumed byte */
	size_t end;	/* end of the bytes read */
	size_t scan;	/* how far past start a newline was looked for */
	size_t max;	/* longest line accepted, newline excluded */
	size_t skipped;	/* length so far of the over-long line being skipped */
	int skipping;
	int eof;
	unsigned long long lineno;	/* lines (and long lines) returned */
	/* Work done, so tests can check it stays linear in the input. */
	unsigned long long moved;	/* bytes moved to the buffer's front */
	unsigned long long scanned;	/* bytes searched for a newline */
};

/* Returns -1 (errno ENOMEM) if the first buffer cannot be allocated. */
int lr_init(struct lineread *lr, int fd, size_t max);
void lr_free(struct lineread *lr);

/* One read(2) into the buffer: >0 bytes, 0 at end of file, -1 on error. */
ssize_t lr_fill(struct lineread *lr);

/* The next complete line from what was read, without reading. */
int lr_next(struct lineread *lr, char **line, size_t *len);

/* The next line, reading (and blocking) as needed. */
int lr_getline(struct lineread *lr, char **line, size_t *len);

/* Bytes read but not yet returned as lines. */
size_t lr_pending(const struct lineread *lr);

#endif
