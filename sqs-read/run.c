#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "loop.h"
#include "run.h"

volatile sig_atomic_t run_signals, run_last_signal;

void
fatal(struct ctx *x, int code)
{
	if (code == EX_NOINPUT || code == EX_NOPERM)
		warnx("queue %s: %s", x->cf->queue, buf_cstr(&x->err));
	else
		warnx("%s", buf_cstr(&x->err));
	buf_reset(&x->err);
	x->status = code;
	x->done = 1;
}

/* The name a warning uses for a message. */
const char *
mid(const struct msg *m)
{
	return m->id;
}

void
abort_receives(struct ctx *x)
{
	int i;

	for (i = 0; i < x->nrecv; i++) {
		client_abort(&x->cl, &x->recv[i]);
		x->recv[i].waiting = 0;
	}
}

void
stop(struct ctx *x, int hard, double now)
{
	x->stop_recv = 1;
	if (hard && !x->hard_stop) {
		/* What a receive cut short was handed comes back after its timeout. */
		abort_receives(x);
		x->hard_stop = 1;
		x->deadline = now + x->cf->shutdown_timeout;
	}
}

int
req_idle(const struct req *r)
{
	return !r->busy && !r->waiting;
}

struct req *
free_ctl(struct ctx *x)
{
	int i;

	for (i = 0; i < x->nctl; i++)
		if (req_idle(&x->ctl[i]))
			return &x->ctl[i];
	return NULL;
}

int
ctl_busy(const struct ctx *x)
{
	int i, n = 0;

	for (i = 0; i < x->nctl; i++)
		n += !req_idle(&x->ctl[i]);
	return n;
}

int
receives_busy(const struct ctx *x)
{
	int i, n = 0;

	for (i = 0; i < x->nrecv; i++)
		n += !req_idle(&x->recv[i]);
	return n;
}

void
start(struct ctx *x, struct req *r, enum sqs_action act)
{
	int code;

	if ((code = client_start(&x->cl, r, act, &x->err)) != 0)
		fatal(x, code);
}

static void
on_done(struct ctx *x, double now)
{
	enum client_result res;
	struct req *r;
	int code;

	while (!x->done && (r = client_done(&x->cl, &res, &code, &x->err)) != NULL) {
		if (res == CL_FATAL) {
			fatal(x, code);
			return;
		}
		if (res == CL_RETRY) {
			if (r->act == SQS_RECEIVE && x->stop_recv)
				continue;
			if (client_retry(&x->cl, r, now, &x->err) == -1)
				fatal(x, EX_TEMPFAIL);
			continue;
		}
		if (r->act == SQS_RECEIVE)
			on_receive(x, r, now);
		else
			on_batch(x, r, now);
	}
}

static void
resume_retries(struct ctx *x, double now)
{
	int i;

	for (i = 0; i < x->nrecv + x->nctl && !x->done; i++) {
		struct req *r = i < x->nrecv ? &x->recv[i] : &x->ctl[i - x->nrecv];
		if (!r->waiting || r->not_before > now)
			continue;
		if (r->act == SQS_RECEIVE && x->stop_recv) {
			r->waiting = 0;
			continue;
		}
		start(x, r, r->act);
	}
}

/* --- phases ---------------------------------------------------------------- */

static void
on_signal(struct ctx *x, double now)
{
	int sig = run_last_signal;

	if (run_signals == x->signals_seen)
		return;
	x->signals_seen = run_signals;
	if (run_signals >= 2) {
		/* The second one means now: unacked messages come back by themselves. */
		signal(sig, SIG_DFL);
		raise(sig);
		_exit(128 + sig);
	}
	if (x->cf->verbose)
		warnx("%s: stopping: no more receives", strsignal(sig));
	stop(x, 1, now);
}

/* Everything held and not acked goes back to the queue. */
static void
give_back(struct ctx *x)
{
	struct msg *m;

	/* Off their lists first: a message is on one FIFO at a time. */
	while ((m = fifo_pop(&x->writing)) != NULL)
		;
	while ((m = fifo_pop(&x->unsynced)) != NULL)
		;
	while ((m = x->tab.hb_head) != NULL) {
		hb_unlink(&x->tab, m);
		if (m->state == M_HELD || m->state == M_WRITING)
			to_release(x, m);
	}
}

static void
phases(struct ctx *x, double now)
{
	const struct config *cf = x->cf;

	if (cf->drain && !x->stop_recv && x->drain_empty && x->tab.count == 0 &&
	    out_pending(&x->out) == 0) {
		if (cf->verbose)
			warnx("the queue is drained");
		stop(x, 0, now);
		x->drain_stop = 1;
		x->drain_stop_at = now;
	}
	if (x->drain_stop && x->mode == MODE_RING && !x->hard_stop && !x->closed &&
	    x->last_release > x->drain_stop_at &&
	    (cf->max_messages == 0 || x->received < cf->max_messages)) {
		/*
		 * A receive in flight at the stop brought a message that was
		 * then released: it must be received again before the drain
		 * ends.  Only a release restarts receiving, so a queue that
		 * keeps getting messages cannot keep a drain going for ever.
		 */
		x->drain_stop = x->stop_recv = 0;
		if (cf->verbose)
			warnx("a message that came late was released: draining on");
	}
	if (x->stop_recv && !x->closed && x->hard_stop && now >= x->deadline &&
	    !x->cut) {
		/*
		 * Time is up.  Records not begun are dropped (their messages
		 * are given back below); the rest of the one begun still goes
		 * out, so the reader's last line is never cut short.
		 */
		x->cut = 1;
		if (out_cut(&x->out) > 0 && cf->verbose)
			warnx("standard output: finishing the record begun, no more");
	}
	if (x->stop_recv && !x->closed) {
		int flushed = out_pending(&x->out) == 0 && x->writing.n == 0 &&
		    x->unsynced.n == 0;
		int stuck = x->finishing && now >= x->deadline;
		/*
		 * In the ring, what came late to a drain is settled with
		 * standard output open: if one is released, receiving starts
		 * again (above) and its record must have somewhere to go.
		 */
		int late = x->drain_stop && x->mode == MODE_RING && !x->hard_stop &&
		    x->tab.count > 0;
		if ((flushed && receives_busy(x) == 0 && !late) ||
		    (x->cut && out_pending(&x->out) == 0) || stuck) {
			if (stuck && out_pending(&x->out) > 0)
				warnx("standard output: the record begun not taken "
				    "in %d s: the last line is cut short", cf->timeout + 5);
			if (out_close(&x->out) == -1) {
				buf_addf(&x->err, "standard output: %s", strerror(errno));
				warnx("%s", buf_cstr(&x->err));
				buf_reset(&x->err);
				x->status = EX_IOERR;
			}
			x->closed = 1;
			if (!x->hard_stop)
				x->deadline = now + cf->shutdown_timeout;
			if (x->mode != MODE_RING)
				x->in_open = 0;
		}
	}
	if ((x->closed || x->cut) && !x->finishing &&
	    (!x->in_open || now >= x->deadline)) {
		if (x->in_open && x->tab.hb_n > 0)
			warnx("no ack after %d s: giving %zu messages back to the queue",
			    cf->shutdown_timeout, x->tab.hb_n);
		x->in_open = 0;
		x->finishing = 1;
		give_back(x);
		x->deadline = now + cf->timeout + 5;
	}
	if (x->finishing && x->closed) {
		if ((x->delq.n == 0 && x->relq.n == 0 && ctl_busy(x) == 0) ||
		    now >= x->deadline) {
			if (x->tab.count > 0 && x->delq.n + x->relq.n + ctl_busy(x) > 0) {
				warnx("%zu messages not deleted or given back in time: they "
				    "will be delivered again", x->tab.count);
				if (x->status == 0)
					x->status = EX_TEMPFAIL;
			}
			x->done = 1;
		}
	}
}

static void
show_progress(struct ctx *x, double now, int last)
{
	double rate;

	if (!last && !progress_due(&x->prog, now))
		return;
	rate = now > x->rate_t ? (double)(x->written - x->rate_n) / (now - x->rate_t) : 0;
	if (last)
		rate = now > x->t0 ? (double)x->written / (now - x->t0) : 0;
	progress_show(&x->prog, now, "%sreceived %llu, written %llu, acked %llu, "
	    "deleted %llu, in flight %zu, %.0f messages/s", last ? "done: " : "",
	    x->received, x->written, x->acked, x->deleted, x->tab.count, rate);
	x->rate_t = now;
	x->rate_n = x->written;
	if (last) {
		if (x->released + x->bad + x->dups + x->del_failed + x->bad_acks > 0)
			progress_show(&x->prog, now, "released %llu, unusable %llu, "
			    "duplicates %llu, deletes failed %llu, bad acks %llu",
			    x->released, x->bad, x->dups, x->del_failed, x->bad_acks);
		progress_end(&x->prog);
	}
}

/* How long the poll may sleep, in milliseconds. */
static int
sleep_ms(const struct ctx *x, double now)
{
	double t = POLL_MAX, d;
	int i;

	for (i = 0; i < x->nrecv + x->nctl; i++) {
		const struct req *r = i < x->nrecv ? &x->recv[i] : &x->ctl[i - x->nrecv];
		if (r->waiting && (d = r->not_before - now) < t)
			t = d;
	}
	/*
	 * A partial delete batch and a heartbeat wait for a free request
	 * (start_batches()); while there is none, the end of a request, on
	 * curl's sockets, is what wakes the loop.
	 */
	if (x->delq.n > 0 && ctl_busy(x) < x->nctl &&
	    (d = x->delq_since + DELETE_LINGER - now) < t)
		t = d;
	if (x->mode != MODE_DUMP && x->tab.hb_head != NULL &&
	    ctl_busy(x) < x->nctl - 1 && (d = x->tab.hb_head->extend_at - now) < t)
		t = d;
	if (x->deadline > 0 && (d = x->deadline - now) < t)
		t = d;
	return t <= 0 ? 0 : (int)(t * 1000) + 1;
}

int
run(const struct config *cf)
{
	struct ctx x;
	struct curl_waitfd wfd[2];
	unsigned nfd;
	int running, code;
	double now;

	memset(&x, 0, sizeof x);
	x.cf = cf;
	buf_init(&x.queue_url, 4096);
	buf_init(&x.err, 2048);
	x.last_release = -1;
	if (cf->check) {
		if ((code = check_queue(&x)) == STOPPED) {
			/* The queue did not answer: no "yes" to give. */
			buf_reset(&x.err);
			buf_addf(&x.err, "stopped by a signal before the queue answered");
			code = EX_TEMPFAIL;
		}
		if (code != 0)
			x.err.len ? fatal(&x, code) : (void)(x.status = code);
		buf_free(&x.queue_url);
		buf_free(&x.err);
		return x.status;
	}
	if ((code = setup(&x)) == STOPPED) {
		/* Nothing received yet: a signal ends the run as it would later. */
		if (cf->verbose)
			warnx("%s: stopping before the first receive",
			    strsignal(run_last_signal));
		teardown(&x);
		return x.status;
	}
	if (code != 0) {
		x.err.len ? fatal(&x, code) : (void)(x.status = code);
		teardown(&x);
		return x.status;
	}
	progress_init(&x.prog, stderr, cf->verbose, 2.0);
	x.t0 = x.rate_t = mono_now();
	while (!x.done) {
		now = mono_now();
		on_signal(&x, now);
		resume_retries(&x, now);
		write_out(&x, now);
		start_batches(&x, now);
		phases(&x, now);
		if (x.done)
			break;
		/* After phases: a drain that just ended starts no receive. */
		start_receives(&x);
		show_progress(&x, now, 0);
		nfd = 0;
		if (x.in_open) {
			wfd[nfd].fd = 0;
			wfd[nfd].events = CURL_WAIT_POLLIN;
			wfd[nfd++].revents = 0;
		}
		if (!x.closed && out_pending(&x.out) > 0 && x.out.nonblock) {
			wfd[nfd].fd = 1;
			wfd[nfd].events = CURL_WAIT_POLLOUT;
			wfd[nfd++].revents = 0;
		}
		if (curl_multi_poll(x.cl.multi, wfd, nfd, sleep_ms(&x, now), NULL) != CURLM_OK ||
		    curl_multi_perform(x.cl.multi, &running) != CURLM_OK) {
			buf_addf(&x.err, "curl multi failed");
			fatal(&x, EX_SOFTWARE);
			break;
		}
		now = mono_now();
		on_done(&x, now);
		if (x.in_open)
			read_acks(&x, now);
	}
	show_progress(&x, mono_now(), 1);
	teardown(&x);
	return x.status;
}
