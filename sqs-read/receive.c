/* receive: from the queue to standard output (see loop.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "loop.h"

/* --- receiving --------------------------------------------------------- */

void
start_receives(struct ctx *x)
{
	const struct config *cf = x->cf;
	long long room, asked = 0;
	int i, want;

	if (x->stop_recv || x->done || out_pending(&x->out) > OUT_PAUSE)
		return;
	for (i = 0; i < x->nrecv; i++)
		if (!req_idle(&x->recv[i]))
			asked += x->recv[i].want;
	/*
	 * Only as many messages as the longest records would fit beside what
	 * waits and what the receives in flight may bring: a message
	 * received always has room to be written.
	 */
	room = (long long)((x->out.b.max - out_pending(&x->out)) / RECORD_MAX) - asked;
	if (x->mode != MODE_DUMP &&
	    cf->max_inflight - (long long)x->tab.count - asked < room)
		room = cf->max_inflight - (long long)x->tab.count - asked;
	if (cf->max_messages > 0 &&
	    (long long)(cf->max_messages - x->received) - asked < room)
		room = (long long)(cf->max_messages - x->received) - asked;
	for (i = 0; i < x->nrecv && room > 0 && !x->done; i++) {
		struct req *r = &x->recv[i];
		if (!req_idle(r))
			continue;
		want = room < SQS_BATCH_MAX ? (int)room : SQS_BATCH_MAX;
		if (sqs_receive_body(&r->body, buf_cstr(&x->queue_url), want, cf->wait,
		    cf->visibility) == -1) {
			buf_addf(&x->err, "queue URL too long");
			fatal(x, EX_USAGE);
			return;
		}
		r->want = want;
		r->attempt = 0;
		r->timeout_ms = (long)(cf->wait + cf->timeout) * 1000;
		start(x, r, SQS_RECEIVE);
		room -= want;
	}
}

struct recv_arg {
	struct ctx *x;
	struct req *r;
	int fresh;		/* messages not seen before in this run */
};

/* A message held from now on, in the table; NULL if memory ran out. */
static struct msg *
hold(struct ctx *x, const struct sqs_msg *m)
{
	struct msg *h;

	if ((h = msg_new(m->id, m->idlen, m->handle, m->hlen)) != NULL)
		msgtab_add(&x->tab, h);
	return h;
}

/*
 * m is not written: it goes back to the queue at once (visibility 0),
 * rather than staying invisible until its timeout, and a dump can take
 * it again when it comes back.  Memory set aside at the start is spent
 * for this if need be; only once that is gone too does the run end,
 * and m comes back after its timeout.
 */
static void
give_back_unwritten(struct ctx *x, const struct sqs_msg *m)
{
	struct msg *h;

	x->unwritten++;
	if ((h = hold(x, m)) == NULL && x->reserve != NULL) {
		free(x->reserve);
		x->reserve = NULL;
		h = hold(x, m);
	}
	if (h == NULL) {
		buf_addf(&x->err, "message %.*s: out of memory: not given back, it comes "
		    "back after its visibility timeout", (int)m->idlen, m->id);
		fatal(x, EX_SOFTWARE);
		return;
	}
	h->state = M_RELQ;
	fifo_push(&x->relq, h);
}

static void
on_message(const struct sqs_msg *m, void *arg)
{
	struct recv_arg *a = arg;
	struct ctx *x = a->x;
	struct msg *h;

	/* The run ended on an earlier one: the rest come back after their timeout. */
	if (x->done)
		return;
	x->received++;
	if (m->problem != NULL) {
		x->bad++;
		a->fresh++;
		warnx("message %.*s: %s: not written, not deleted",
		    m->id != NULL ? (int)m->idlen : 9, m->id != NULL ? m->id : "(unnamed)",
		    m->problem);
		return;
	}
	if (x->mode == MODE_DUMP && idset_has(&x->seen, m->id, m->idlen)) {
		x->dups++;
		return;
	}
	a->fresh++;
	if (msgtab_find(&x->tab, m->handle, m->hlen) != NULL)
		return;		/* the same receipt twice: held already */
	if (x->hard_stop || x->closed) {
		/* No longer wanted: stdout is closing. */
		give_back_unwritten(x, m);
		return;
	}
	if (x->mode == MODE_DUMP) {
		if (out_record(&x->out, m) == -1) {
			warnx("message %.*s: output buffer full: given back to the queue",
			    (int)m->idlen, m->id);
			give_back_unwritten(x, m);
			return;
		}
		/* Remembered once written: one given back may come again. */
		if (idset_add(&x->seen, m->id, m->idlen) == -1 && !x->seen_full) {
			x->seen_full = 1;
			warnx("more than %u message ids seen: duplicates are no longer "
			    "dropped", IDSET_MAX);
		}
		return;
	}
	if ((h = hold(x, m)) == NULL) {
		warnx("message %.*s: out of memory: given back to the queue",
		    (int)m->idlen, m->id);
		give_back_unwritten(x, m);
		return;
	}
	h->extend_at = a->r->sent_at + x->cf->visibility / 2.0;
	hb_append(&x->tab, h);
	if (out_record(&x->out, m) == -1) {
		/* Cannot be written now: give it back rather than sit on it. */
		warnx("message %s: output buffer full: given back to the queue", mid(h));
		x->unwritten++;
		to_release(x, h);
		return;
	}
	h->out_end = x->out.appended;
	fifo_push(&x->writing, h);
}

void
on_receive(struct ctx *x, struct req *r, double now)
{
	struct recv_arg a = { x, r, 0 };
	int n;

	n = sqs_parse_receive(&x->cl.parser, buf_cstr(&r->resp), r->resp.len,
	    on_message, &a, &r->why);
	if (x->done)
		return;
	if (n < 0) {
		/* Garbage: whatever it held comes back after the timeout. */
		if (client_retry(&x->cl, r, now, &x->err) == -1)
			fatal(x, EX_TEMPFAIL);
		return;
	}
	r->attempt = 0;
	/* Empty only counts if it was asked after the last give-back came through. */
	if (a.fresh == 0 && r->sent_at > x->last_release)
		x->drain_empty = 1;
	else if (a.fresh > 0)
		x->drain_empty = 0;
	/*
	 * What a receive in flight at the end of a drain brings does not
	 * restart receiving, or a queue that never stays empty for long
	 * would keep the drain going for ever: phases() decides, once it
	 * is settled.
	 */
	if (x->cf->max_messages > 0 && x->received >= x->cf->max_messages)
		stop(x, 0, now);
}

/* --- writing ------------------------------------------------------------ */

void
to_delete(struct ctx *x, struct msg *m, double now)
{
	hb_unlink(&x->tab, m);
	m->state = M_DELQ;
	if (x->delq.n == 0)
		x->delq_since = now;
	fifo_push(&x->delq, m);
}

void
write_out(struct ctx *x, double now)
{
	struct msg *m;
	int r;

	if (x->closed)
		return;
	if (out_pending(&x->out) > 0 && (r = out_flush(&x->out)) == -1) {
		if (errno == EPIPE) {
			warnx("standard output: the reader has gone");
			x->status = EX_IOERR;
			stop(x, 1, now);
			/* What was never written is given back at the end. */
			buf_reset(&x->out.b);
			x->out.off = 0;
			while (fifo_pop(&x->writing) != NULL)
				;
		} else {
			buf_addf(&x->err, "standard output: %s", strerror(errno));
			fatal(x, EX_IOERR);
			return;
		}
	}
	while ((m = x->writing.head) != NULL && m->out_end <= x->out.written) {
		fifo_pop(&x->writing);
		x->written++;
		if (m->state != M_WRITING)
			continue;
		m->state = M_HELD;
		if (x->mode == MODE_DELETE)
			fifo_push(&x->unsynced, m);
	}
	if (x->mode == MODE_DUMP)
		x->written = x->received - x->dups - x->bad - x->unwritten;
	if (x->unsynced.n > 0 &&
	    (out_pending(&x->out) == 0 || x->unsynced.n >= SYNC_EVERY)) {
		if (out_sync(&x->out) == -1) {
			buf_addf(&x->err, "standard output: fsync: %s", strerror(errno));
			fatal(x, EX_IOERR);
			return;
		}
		while ((m = fifo_pop(&x->unsynced)) != NULL)
			if (m->state == M_HELD)
				to_delete(x, m, now);
	}
}
