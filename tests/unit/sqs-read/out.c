/* out: records leave in order, counted, without blocking on a full pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "tap.h"

int
main(void)
{
	struct out o;
	struct sqs_msg m = { .id = "i", .idlen = 1, .handle = "h", .hlen = 1,
	    .body = "b", .blen = 1, .sent_ts = 5, .recv_count = 2 };
	char body[200000], got[64];
	int p[2], r, fl;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);	/* as sqs-read does */
	memset(body, 'x', sizeof body);
	ok(pipe(p) == 0, "a pipe");
	ok(out_init(&o, p[1]) == 0 && o.nonblock && !o.regular, "a pipe goes non-blocking");
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
	ok(out_close(&o) == 0, "close");
	fl = fcntl(p[1], F_GETFL);
	ok(fl != -1, "the descriptor is reused for /dev/null, never left free");
	out_free(&o);
	return done_testing();
}
