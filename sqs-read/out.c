#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "out.h"

int
out_init(struct out *o, int fd, size_t max)
{
	struct stat st;

	memset(o, 0, sizeof *o);
	o->fd = fd;
	buf_init(&o->b, max);
	if (fstat(fd, &st) == -1 || (o->oldfl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	o->regular = S_ISREG(st.st_mode);
	o->socket = S_ISSOCK(st.st_mode);
	o->nonblock = (o->oldfl & O_NONBLOCK) != 0;
	if ((S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && !o->nonblock) {
		if (fcntl(fd, F_SETFL, o->oldfl | O_NONBLOCK) == -1)
			return -1;
		o->nonblock = o->restore = 1;
	}
	return 0;
}

int
record_put(struct buf *b, const struct sqs_msg *m)
{
	size_t old = b->len;

	if (buf_adds(b, "{\"message_id\":") == -1 ||
	    json_put_str(b, m->id, m->idlen) != JSON_OK ||
	    buf_adds(b, ",\"receipt_handle\":") == -1 ||
	    json_put_str(b, m->handle, m->hlen) != JSON_OK ||
	    (m->sent_ts >= 0 && buf_addf(b, ",\"sent_timestamp\":%lld", m->sent_ts) == -1) ||
	    (m->recv_count >= 0 &&
	    buf_addf(b, ",\"receive_count\":%lld", m->recv_count) == -1) ||
	    buf_adds(b, ",\"body\":") == -1 ||
	    json_put_str(b, m->body, m->blen) != JSON_OK ||
	    buf_adds(b, "}\n") == -1) {
		buf_truncate(b, old);
		return -1;
	}
	return 0;
}

int
out_record(struct out *o, const struct sqs_msg *m)
{
	size_t old = o->b.len;

	if (record_put(&o->b, m) == -1)
		return -1;
	o->appended += o->b.len - old;
	return 0;
}

size_t
out_pending(const struct out *o)
{
	return o->b.len - o->off;
}

int
out_flush(struct out *o)
{
	ssize_t n;

	while (o->off < o->b.len) {
		n = write(o->fd, o->b.data + o->off, o->b.len - o->off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		o->off += (size_t)n;
		o->written += (unsigned long long)n;
		o->midline = o->b.data[o->off - 1] != '\n';
	}
	if (o->off == o->b.len) {
		buf_reset(&o->b);
		o->off = 0;
		return 0;
	}
	/* Keep the unwritten tail at the front once it is the smaller part. */
	if (o->off >= 1 << 20 && o->off >= o->b.len - o->off) {
		memmove(o->b.data, o->b.data + o->off, o->b.len - o->off);
		buf_truncate(&o->b, o->b.len - o->off);
		o->off = 0;
	}
	return 1;
}

size_t
out_cut(struct out *o)
{
	size_t keep = 0;
	const char *nl;

	if (out_pending(o) == 0)
		return 0;
	/* Records are appended whole, so the one begun ends in the buffer. */
	if (o->midline &&
	    (nl = memchr(o->b.data + o->off, '\n', o->b.len - o->off)) != NULL)
		keep = (size_t)(nl + 1 - (o->b.data + o->off));
	o->appended -= out_pending(o) - keep;
	buf_truncate(&o->b, o->off + keep);
	return keep;
}

int
out_sync(struct out *o)
{
	if (!o->regular)
		return 0;
	while (fdatasync(o->fd) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Whether descriptor fd is open on the same file as st. */
static int
same_file(int fd, const struct stat *st)
{
	struct stat o;

	return fstat(fd, &o) == 0 && o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

/*
 * Whether closing o's socket needs a shutdown to end its reader's input:
 * only when our standard input is that socket too, as socat EXEC: gives
 * it, and would keep it open.  Not otherwise: standard error may be that
 * socket (a journal stream), and a shutdown would cut what is said after.
 * If standard error is it as well as standard input, the end of input
 * wins: a reader left waiting would leave the ring waiting for acks.
 */
static int
needs_shutdown(const struct out *o)
{
	struct stat st;

	if (!o->socket || fstat(o->fd, &st) == -1)
		return 0;
	return same_file(0, &st);
}

int
out_close(struct out *o)
{
	int r = 0;

	if (o->closed)
		return 0;
	if (o->restore && fcntl(o->fd, F_SETFL, o->oldfl) == -1)
		r = -1;
	/* A reader already gone is no error here. */
	if (needs_shutdown(o) && shutdown(o->fd, SHUT_WR) == -1 && errno != ENOTCONN)
		r = -1;
	if (close(o->fd) == -1 && errno != EINTR)
		r = -1;
	/*
	 * /dev/null takes the descriptor's place, so that no socket opened
	 * later lands on it and nothing written by mistake goes anywhere.
	 */
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd != -1 && fd != o->fd) {
		dup2(fd, o->fd);
		close(fd);
	}
	o->closed = 1;
	return r;
}

void
out_free(struct out *o)
{
	buf_free(&o->b);
}
