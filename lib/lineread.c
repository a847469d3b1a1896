#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineread.h"

/* Big enough that a pipe's worth of short records costs one read. */
#define LR_CHUNK (64 * 1024)

int
lr_init(struct lineread *lr, int fd, size_t max)
{
	memset(lr, 0, sizeof *lr);
	lr->fd = fd;
	lr->max = max;
	lr->cap = LR_CHUNK;
	if ((lr->buf = malloc(lr->cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
lr_free(struct lineread *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->cap = lr->start = lr->end = lr->scan = 0;
}

size_t
lr_pending(const struct lineread *lr)
{
	return lr->end - lr->start;
}

/*
 * Makes room for a read of at least LR_CHUNK bytes.  The unconsumed tail
 * moves to the front only when it is small next to what was consumed, and
 * the buffer doubles otherwise, so each byte is copied O(1) times.
 */
static int
make_room(struct lineread *lr)
{
	size_t pending = lr->end - lr->start;
	size_t ncap;
	char *p;

	if (lr->cap - lr->end >= LR_CHUNK)
		return 0;
	if (lr->start > 0 && pending <= lr->start) {
		memmove(lr->buf, lr->buf + lr->start, pending);
		lr->moved += pending;
		lr->start = 0;
		lr->end = pending;
		if (lr->cap - lr->end >= LR_CHUNK)
			return 0;
	}
	ncap = lr->cap * 2;
	while (ncap - lr->end < LR_CHUNK)
		ncap *= 2;
	if ((p = realloc(lr->buf, ncap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	lr->buf = p;
	lr->cap = ncap;
	return 0;
}

ssize_t
lr_fill(struct lineread *lr)
{
	ssize_t n;

	if (lr->eof)
		return 0;
	if (make_room(lr) == -1)
		return -1;
	/* Keep one byte spare for the NUL a final unterminated line gets. */
	do
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end - 1);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		lr->eof = 1;
	else if (n > 0)
		lr->end += (size_t)n;
	return n;
}

int
lr_next(struct lineread *lr, char **line, size_t *len)
{
	char *nl;
	size_t n;

	for (;;) {
		n = lr->end - lr->start;
		nl = memchr(lr->buf + lr->start + lr->scan, '\n', n - lr->scan);
		if (nl != NULL) {
			n = (size_t)(nl - (lr->buf + lr->start));
			lr->scanned += n + 1 - lr->scan;
			break;
		}
		lr->scanned += n - lr->scan;
		if (lr->skipping || n > lr->max) {
			/* Over-long: drop what we have, remember its length. */
			lr->skipping = 1;
			lr->skipped += n;
			lr->start = lr->end = lr->scan = 0;
			if (!lr->eof)
				return LR_NEED;
			lr->skipping = 0;
			*len = lr->skipped;
			lr->skipped = 0;
			lr->lineno++;
			return LR_LONG;
		}
		lr->scan = n;
		if (!lr->eof)
			return LR_NEED;
		if (n == 0)
			return LR_EOF;
		/* A final line without a newline. */
		nl = lr->buf + lr->end;
		break;
	}
	*line = lr->buf + lr->start;
	lr->start += n + (nl < lr->buf + lr->end);
	lr->scan = 0;
	lr->lineno++;
	if (lr->skipping || n > lr->max) {
		*len = lr->skipped + n;
		lr->skipped = 0;
		lr->skipping = 0;
		return LR_LONG;
	}
	*nl = '\0';
	*len = n;
	if (lr->start == lr->end)
		lr->start = lr->end = 0;
	return LR_LINE;
}

int
lr_getline(struct lineread *lr, char **line, size_t *len)
{
	int r;

	for (;;) {
		r = lr_next(lr, line, len);
		if (r != LR_NEED)
			return r;
		if (lr_fill(lr) == -1)
			return LR_ERROR;
	}
}
