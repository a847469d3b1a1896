/* out: records leave in order, counted, without blocking on a full pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "out.h"
#include "tap.h"

int
main(void)
{
	struct out o;
	struct sqs_msg m = { .id = "i", .idlen = 1, .handle = "h", .hlen = 1,
	    .body = "b", .blen = 1, .sent_ts = 5, .recv_count = 2 };
	char body[200000], got[64], chunk[65536], last;
	int p[2], r, fl, d, in = -1, errfd = -1;
	ssize_t n, w;
	size_t left, total;

	signal(SIGPIPE, SIG_IGN);	/* as sqs-read does */
	memset(body, 'x', sizeof body);
	ok(pipe(p) == 0, "a pipe");
	ok(out_init(&o, p[1], 64 << 20) == 0 && o.nonblock && o.restore && !o.regular,
	    "a pipe goes non-blocking");
	ok(out_record(&o, &m) == 0, "a record");
	is_int((long long)o.appended, (long long)out_pending(&o), "counted as appended");
	m.body = body;
	m.blen = sizeof body;
	ok(out_record(&o, &m) == 0, "a big one");
	r = out_flush(&o);
	ok(r == 1 && o.written > 0 && o.written < o.appended, "the pipe fills: would block");
	n = read(p[0], got, 54);
	is_mem(got, (size_t)n, "{\"message_id\":\"i\",\"receipt_handle\":\"h\","
	    "\"sent_timestamp\":5,", 54, "the first record first");
	close(p[0]);
	while ((r = out_flush(&o)) == 1)
		;
	ok(r == -1 && errno == EPIPE, "a reader gone is EPIPE");
	ok((d = dup(p[1])) != -1 && out_close(&o) == 0, "close");
	ok(!(fcntl(d, F_GETFL) & O_NONBLOCK), "the pipe is blocking again, as it came");
	close(d);
	fl = fcntl(p[1], F_GETFL);
	ok(fl != -1, "the descriptor is reused for /dev/null, never left free");
	out_free(&o);

	/* A pipe that came non-blocking is polled, and left so. */
	ok(pipe(p) == 0 && fcntl(p[1], F_SETFL, O_NONBLOCK) == 0, "a non-blocking pipe");
	ok(out_init(&o, p[1], 64 << 20) == 0 && o.nonblock && !o.restore,
	    "taken as non-blocking, not ours to restore");
	ok(out_record(&o, &m) == 0 && out_record(&o, &m) == 0 && out_record(&o, &m) == 0,
	    "three big records");
	ok(out_flush(&o) == 1 && o.midline, "the pipe fills in the middle of one");
	left = out_cut(&o);
	ok(left > 0 && left < sizeof body, "cut: only the rest of the record begun is left");
	is_int((long long)o.appended, (long long)(o.written + left),
	    "what was appended counts the records dropped no more");
	ok(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "the reader does not block");
	total = 0;
	last = 0;
	do {
		r = out_flush(&o);
		while ((n = read(p[0], chunk, sizeof chunk)) > 0) {
			total += (size_t)n;
			last = chunk[n - 1];
		}
	} while (r == 1);
	ok(r == 0 && total == o.written && last == '\n',
	    "the reader's last byte ends a record");
	ok(total > sizeof body && total < 2 * sizeof body, "one record and no more");
	ok((d = dup(p[1])) != -1 && out_close(&o) == 0 && (fcntl(d, F_GETFL) & O_NONBLOCK),
	    "closed, still non-blocking: the flag was not ours to clear");
	close(d);
	close(p[0]);
	out_free(&o);

	/* One socket as stdin and stdout: closing stdout must end the reader's input. */
	m.body = "b";
	m.blen = 1;
	ok((in = dup(0)) != -1 && (errfd = dup(2)) != -1, "stdin and stderr kept aside");
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0 && dup2(p[1], 0) == 0,
	    "a socket as stdin beside stdout, as socat EXEC: gives it");
	ok(out_init(&o, p[1], 1 << 20) == 0 && o.socket && o.restore, "a socket");
	ok(out_record(&o, &m) == 0 && out_flush(&o) == 0 && out_close(&o) == 0,
	    "written and closed");
	n = read(p[0], chunk, sizeof chunk);
	ok(n > 0 && chunk[n - 1] == '\n', "the record");
	ok(read(p[0], chunk, sizeof chunk) == 0, "then the end, though stdin stays open");
	ok(write(p[0], "x", 1) == 1 && read(0, got, sizeof got) == 1,
	    "the other way still works");
	ok(dup2(in, 0) == 0, "stdin back");
	close(p[0]);
	out_free(&o);

	/*
	 * Stdout and stderr one socket, stdin elsewhere (a journal stream):
	 * what is said after stdout closes must still reach the reader.
	 */
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0 && dup2(p[1], 2) == 2,
	    "one socket as stdout and stderr");
	ok(out_init(&o, p[1], 1 << 20) == 0 && out_record(&o, &m) == 0 &&
	    out_flush(&o) == 0 && out_close(&o) == 0, "written and closed");
	w = write(2, "said after\n", 11);
	ok(dup2(errfd, 2) == 2, "stderr back");
	ok(w == 11, "stderr still writes after stdout closes");
	ok(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "the reader does not block");
	n = read(p[0], chunk, sizeof chunk);
	ok(n > 11 && memcmp(chunk + n - 11, "said after\n", 11) == 0,
	    "and the reader gets it after the record");
	close(p[0]);
	out_free(&o);

	/*
	 * Stdin too (socat's EXEC: with its stderr option): the end of
	 * input comes first, or the reader would wait, and the ring with it.
	 */
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0 && dup2(p[1], 0) == 0 &&
	    dup2(p[1], 2) == 2, "one socket as stdin, stdout and stderr");
	ok(out_init(&o, p[1], 1 << 20) == 0 && out_record(&o, &m) == 0 &&
	    out_flush(&o) == 0 && out_close(&o) == 0, "written and closed");
	ok(dup2(errfd, 2) == 2 && dup2(in, 0) == 0, "stdin and stderr back");
	n = read(p[0], chunk, sizeof chunk);
	ok(n > 0 && chunk[n - 1] == '\n', "the record");
	ok(read(p[0], chunk, sizeof chunk) == 0,
	    "then the end, though stdin and stderr stay open");
	close(in);
	close(errfd);
	close(p[0]);
	out_free(&o);
	return done_testing();
}
