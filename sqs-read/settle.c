/* settle: acks become deletes and releases; held messages stay invisible. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "loop.h"

/* --- acks ---------------------------------------------------------------- */

static void
on_ack_line(struct ctx *x, const char *line, size_t len, double now)
{
	struct ack a;
	struct msg *m;
	const char *why = NULL;
	int r;

	r = ack_parse(&x->ap, line, len, &a, &why);
	if (r == -1) {
		x->bad_acks++;
		if (a.id != NULL)
			warnx("ack line %llu (message %.*s): %s: ignored", x->in.lineno,
			    (int)a.idlen, a.id, why);
		else
			warnx("ack line %llu: %s: ignored", x->in.lineno, why);
		return;
	}
	m = msgtab_find(&x->tab, a.handle, a.hlen);
	if (m == NULL) {
		x->bad_acks++;
		if (a.id != NULL)
			warnx("ack for message %.*s: receipt handle not held by this "
			    "sqs-read: ignored", (int)a.idlen, a.id);
		else
			warnx("ack line %llu: receipt handle not held by this sqs-read: "
			    "ignored", x->in.lineno);
		return;
	}
	if (m->state != M_HELD) {
		x->bad_acks++;
		warnx("ack for message %s: %s: ignored", mid(m),
		    m->state == M_WRITING ? "its record is not written yet" :
		    "acked already");
		return;
	}
	if (r == 1)
		warnx("ack for message %s: %s", mid(m), why);
	x->acked++;
	if (a.action == ACK_RELEASE)
		to_release(x, m);
	else
		to_delete(x, m, now);
}

void
to_release(struct ctx *x, struct msg *m)
{
	hb_unlink(&x->tab, m);
	m->state = M_RELQ;
	if (m->hb_busy > 0)
		m->release_wait = 1;
	else
		fifo_push(&x->relq, m);
}

/*
 * Whether standard input has acks or its end to read.  Asked before
 * every read, not once a turn: a descriptor that is blocking after all
 * (its flags are shared with whoever else holds it) would block the
 * second read of a turn, signals included, as the reads retry EINTR.
 * curl's poll does not report POLLHUP, hence this one.
 */
static int
acks_ready(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int n;

	while ((n = poll(&p, 1, 0)) == -1)
		if (errno != EINTR)
			return 1;	/* the read says what is wrong */
	return n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void
read_acks(struct ctx *x, double now)
{
	char *line;
	size_t len;
	ssize_t n;
	int i, r;

	for (i = 0; i < ACK_READS && x->in_open && !x->done && acks_ready(); i++) {
		n = lr_fill(&x->in);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			buf_addf(&x->err, "standard input: %s", strerror(errno));
			fatal(x, EX_IOERR);
			return;
		}
		while ((r = lr_next(&x->in, &line, &len)) == LR_LINE || r == LR_LONG) {
			if (r == LR_LONG) {
				x->bad_acks++;
				warnx("ack line %llu: longer than %d bytes: ignored",
				    x->in.lineno, ACK_LINE_MAX);
			} else if (len > 0) {
				on_ack_line(x, line, len, now);
			}
		}
		if (r == LR_EOF) {
			x->in_open = 0;
			if (!x->closed) {
				/* The stage downstream is gone before we were done. */
				warnx("standard input: the acks ended early");
				x->status = EX_IOERR;
				stop(x, 1, now);
			}
		}
	}
}

/* --- deletes, releases, visibility ---------------------------------------- */

/* Fills r with up to ten messages from f; vis < 0 for deletes. */
static int
batch(struct req *r, struct fifo *f, enum msg_state st, int vis)
{
	struct msg *m;

	r->nent = 0;
	r->vis = vis;
	while (r->nent < SQS_BATCH_MAX && (m = fifo_pop(f)) != NULL) {
		m->state = st;
		msg_ref(m);
		r->ent[r->nent++] = m;
	}
	return r->nent;
}

/* The request body for r's entries. */
static int
batch_body(struct ctx *x, struct req *r)
{
	int i;

	if (sqs_batch_begin(&r->body, buf_cstr(&x->queue_url)) == -1)
		return -1;
	for (i = 0; i < r->nent; i++)
		if (sqs_batch_entry(&r->body, i, r->ent[i]->handle, r->ent[i]->hlen,
		    r->vis) == -1)
			return -1;
	return sqs_batch_end(&r->body);
}

static void
send_batch(struct ctx *x, struct req *r, enum sqs_action act)
{
	if (batch_body(x, r) == -1) {
		buf_addf(&x->err, "%s: request too long", sqs_action_name(act));
		fatal(x, EX_SOFTWARE);
		return;
	}
	r->attempt = 0;
	r->timeout_ms = (long)x->cf->timeout * 1000;
	start(x, r, act);
}

void
start_batches(struct ctx *x, double now)
{
	struct req *r;
	struct msg *m;
	int deleting = 0, i;

	for (i = 0; i < x->nctl; i++)
		deleting += !req_idle(&x->ctl[i]) && x->ctl[i].act == SQS_DELETE;
	while (x->delq.n > 0 && !x->done && (r = free_ctl(x)) != NULL) {
		/* A full batch goes at once; a partial one waits a moment for company. */
		if (x->delq.n < SQS_BATCH_MAX && deleting > 0 && !x->finishing &&
		    now - x->delq_since < DELETE_LINGER)
			break;
		batch(r, &x->delq, M_DELETING, -1);
		send_batch(x, r, SQS_DELETE);
		deleting++;
		x->delq_since = now;
	}
	while (x->relq.n > 0 && !x->done && (r = free_ctl(x)) != NULL) {
		batch(r, &x->relq, M_RELEASING, 0);
		send_batch(x, r, SQS_VISIBILITY);
	}
	/* Heartbeats: leave a slot for deletes, which free what we hold. */
	while (!x->done && (m = x->tab.hb_head) != NULL && m->extend_at <= now &&
	    x->mode != MODE_DUMP && ctl_busy(x) < x->nctl - 1 &&
	    (r = free_ctl(x)) != NULL) {
		r->nent = 0;
		r->vis = x->cf->visibility;
		while (r->nent < SQS_BATCH_MAX && (m = x->tab.hb_head) != NULL &&
		    m->extend_at <= now) {
			/*
			 * Counted, not flagged: an extension slower than half
			 * the timeout overlaps the next, and a release must
			 * wait for both.
			 */
			m->hb_busy++;
			m->extend_at = now + x->cf->visibility / 2.0;
			hb_append(&x->tab, m);
			msg_ref(m);
			r->ent[r->nent++] = m;
		}
		send_batch(x, r, SQS_VISIBILITY);
	}
}

/* Drops r's references to its entries. */
void
batch_clear(struct req *r)
{
	int i;

	for (i = 0; i < r->nent; i++)
		msg_unref(r->ent[i]);
	r->nent = 0;
}

void
on_batch(struct ctx *x, struct req *r, double now)
{
	struct sqs_batch_result res;
	struct msg *keep[SQS_BATCH_MAX], *m;
	int i, nkeep = 0, heartbeat = r->act == SQS_VISIBILITY && r->vis > 0;

	if (sqs_parse_batch(&x->cl.parser, buf_cstr(&r->resp), r->resp.len, r->nent,
	    &res, &r->why) == -1) {
		if (client_retry(&x->cl, r, now, &x->err) == -1)
			fatal(x, EX_TEMPFAIL);
		return;
	}
	for (i = 0; i < r->nent; i++) {
		m = r->ent[i];
		if (heartbeat) {
			m->hb_busy--;
			if (res.e[i] == SQS_ENTRY_FAILED && m->state == M_HELD)
				warnx("message %s: its visibility could not be extended "
				    "(%s): it may be delivered again", mid(m), res.code[i]);
			if (m->release_wait && m->hb_busy == 0) {
				/* Given back while extensions were in flight: its turn now. */
				m->release_wait = 0;
				if (m->state == M_RELQ)
					fifo_push(&x->relq, m);
			}
			msg_unref(m);
			continue;
		}
		if (res.e[i] == SQS_ENTRY_OK || (r->act == SQS_VISIBILITY &&
		    res.e[i] == SQS_ENTRY_FAILED)) {
			/* A release refused is a message visible already. */
			if (r->act == SQS_DELETE)
				x->deleted++;
			else
				x->released++;
			if (m->state != M_GONE)
				msgtab_remove(&x->tab, m);
			msg_unref(m);
		} else if (res.e[i] == SQS_ENTRY_FAILED) {
			x->del_failed++;
			warnx("message %s: delete refused (%s): it will be delivered again",
			    mid(m), res.code[i][0] ? res.code[i] : "no code");
			if (m->state != M_GONE)
				msgtab_remove(&x->tab, m);
			msg_unref(m);
		} else if (++m->tries > x->cf->retries) {
			x->del_failed++;
			warnx("message %s: %s failed %d times (%s): it will be delivered "
			    "again", mid(m), r->act == SQS_DELETE ? "delete" : "release",
			    m->tries, res.code[i][0] ? res.code[i] : "no answer for it");
			if (m->state != M_GONE)
				msgtab_remove(&x->tab, m);
			msg_unref(m);
		} else {
			keep[nkeep++] = m;
		}
	}
	if (heartbeat) {
		r->nent = 0;
		return;
	}
	if (r->act == SQS_VISIBILITY) {
		x->last_release = now;
		x->drain_empty = 0;
	}
	if (nkeep == 0) {
		r->nent = 0;
		return;
	}
	/* Entries that may succeed later go again, after a backoff. */
	memcpy(r->ent, keep, (size_t)nkeep * sizeof *keep);
	r->nent = nkeep;
	buf_reset(&r->why);
	buf_addf(&r->why, "%d entr%s failed", nkeep, nkeep == 1 ? "y" : "ies");
	if (batch_body(x, r) == -1) {
		buf_addf(&x->err, "request too long");
		fatal(x, EX_SOFTWARE);
		return;
	}
	r->waiting = 1;
	r->not_before = now + backoff_delay(1 + keep[0]->tries);
}
