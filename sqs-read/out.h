/*
 * out: message records, and the buffered standard output they go to.
 *
 * Records are appended to a capped buffer and written as the descriptor
 * takes them.  A pipe, FIFO or socket is switched to non-blocking mode
 * (and back at close, unless the caller clears restore to do it later
 * itself), so a slow reader never stalls the caller's poll loop; a
 * terminal or file is written as it is, non-blocking only if it came
 * so, in which case the caller polls it too.  Byte offsets count
 * what was appended and what was written, so the caller can tell when a
 * given record has left the process.
 */
#ifndef SQS_READ_OUT_H
#define SQS_READ_OUT_H

#include <stddef.h>

#include "buf.h"
#include "sqs.h"

/*
 * The longest record out_record() makes: every byte of the id, the
 * handle and the body escaped as \u00XX, the numbers at their longest,
 * the keys, and room to spare.
 */
#define RECORD_MAX (6 * ((size_t)SQS_ID_MAX + SQS_HANDLE_MAX + SQS_BODY_MAX) + 256)

struct out {
	int fd;
	struct buf b;
	size_t off;			/* b's first unwritten byte */
	unsigned long long appended;	/* bytes appended since the start */
	unsigned long long written;	/* bytes written since the start */
	int regular;			/* a regular file: fsync before deleting */
	int socket;			/* maybe shut down for writing at close */
	int nonblock;			/* writes may find it full: poll it */
	int restore;			/* O_NONBLOCK is ours, cleared at close */
	int oldfl;
	int midline;			/* the last byte written ended no record */
	int closed;
};

/* Records wait in a buffer of at most max bytes. */
int out_init(struct out *o, int fd, size_t max);

/*
 * Appends m's record: {"message_id","receipt_handle","sent_timestamp",
 * "receive_count","body"} and a newline, the timestamp and count only if
 * known.  Returns 0, or -1 (the buffer is as it was) if it does not fit.
 */
int out_record(struct out *o, const struct sqs_msg *m);

/* The record alone, appended to b; for tests. */
int record_put(struct buf *b, const struct sqs_msg *m);

/* Bytes waiting. */
size_t out_pending(const struct out *o);

/*
 * Writes what the descriptor takes now.  Returns 0 when nothing is left,
 * 1 when it would block, -1 on an error (errno; EPIPE when the reader is
 * gone).
 */
int out_flush(struct out *o);

/*
 * Drops the records not begun yet, keeping the rest of the one being
 * written, so that the reader's last line is a whole record.  Returns
 * the bytes still to write.
 */
size_t out_cut(struct out *o);

/* fsync(2) for a regular file; 0 otherwise. */
int out_sync(struct out *o);

/*
 * Restores the descriptor's flags (if restore), shuts a socket down for
 * writing if standard input is that socket too, so that the reader sees
 * the end though standard input stays open, and closes it.  -1 if any
 * of that failed.
 */
int out_close(struct out *o);

void out_free(struct out *o);

#endif
