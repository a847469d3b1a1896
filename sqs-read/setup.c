/* setup: the mode, descriptors, connections and queue URL; and teardown. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/stat.h>

#include "loop.h"
#include "run.h"

/* --- set-up ----------------------------------------------------------------- */

/*
 * Waits for r alone to finish: for GetQueueUrl, before anything else
 * runs.  Returns 0, a sysexits code with x->err set, or STOPPED when a
 * signal came first.
 */
static int
call(struct ctx *x, struct req *r, enum sqs_action act)
{
	enum client_result res;
	struct req *d;
	int code, running;
	double now;

	r->attempt = 0;
	r->timeout_ms = (long)x->cf->timeout * 1000;
	if ((code = client_start(&x->cl, r, act, &x->err)) != 0)
		return code;
	for (;;) {
		if (run_signals > 0)
			return STOPPED;
		if (curl_multi_perform(x->cl.multi, &running) != CURLM_OK ||
		    curl_multi_poll(x->cl.multi, NULL, 0, 250, NULL) != CURLM_OK) {
			buf_addf(&x->err, "curl multi failed");
			return EX_SOFTWARE;
		}
		now = mono_now();
		if (r->waiting && now >= r->not_before &&
		    (code = client_start(&x->cl, r, act, &x->err)) != 0)
			return code;
		if ((d = client_done(&x->cl, &res, &code, &x->err)) == NULL)
			continue;
		if (res == CL_OK)
			return 0;
		if (res == CL_FATAL)
			return code;
		if (client_retry(&x->cl, d, now, &x->err) == -1)
			return EX_TEMPFAIL;
	}
}

static int
resolve_queue(struct ctx *x)
{
	struct req *r = &x->ctl[0];
	int code;

	if (is_url(x->cf->queue))
		return buf_adds(&x->queue_url, x->cf->queue) == -1 ? EX_USAGE : 0;
	if (sqs_get_url_body(&r->body, x->cf->queue) == -1) {
		buf_addf(&x->err, "queue name too long");
		return EX_USAGE;
	}
	if ((code = call(x, r, SQS_GET_URL)) != 0)
		return code;
	if (sqs_parse_get_url(&x->cl.parser, buf_cstr(&r->resp), r->resp.len,
	    &x->queue_url, &x->err) == -1)
		return EX_PROTOCOL;
	return 0;
}

/*
 * Marks every descriptor past stderr close-on-exec, curl's own wake-up
 * pair included, so none of ours can hold a pipe open in a child.
 */
static void
cloexec_all(void)
{
	int fd;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (fd = 3; fd < 1024; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl != -1)
			(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

int
setup(struct ctx *x)
{
	const struct config *cf = x->cf;
	struct stat st;
	int i, code, fl;

	if (fstat(0, &st) == -1 || (x->in_oldfl = fcntl(0, F_GETFL)) == -1) {
		buf_addf(&x->err, "standard input: %s", strerror(errno));
		return EX_IOERR;
	}
	if (cf->delete_after_write)
		x->mode = MODE_DELETE;
	else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		x->mode = MODE_RING;
	else
		x->mode = MODE_DUMP;
	if (x->mode == MODE_DUMP)
		warnx("standard input is not a pipe and --delete-after-write was not "
		    "given: nothing will be deleted");
	x->nrecv = cf->concurrency;
	x->nctl = cf->concurrency + 2;
	if (msgtab_init(&x->tab) == -1 || ack_parser_init(&x->ap) == -1 ||
	    lr_init(&x->in, 0, ACK_LINE_MAX) == -1) {
		buf_addf(&x->err, "out of memory");
		return EX_SOFTWARE;
	}
	idset_init(&x->seen, IDSET_MAX);
	if ((x->reserve = malloc(RESERVE)) == NULL) {
		buf_addf(&x->err, "out of memory");
		return EX_SOFTWARE;
	}
	/*
	 * Receiving pauses past OUT_PAUSE, so this cap leaves room for the
	 * longest records every receive in flight can bring: a message
	 * received always fits.  Memory is taken only as records come.
	 */
	if (out_init(&x->out, 1, OUT_PAUSE +
	    (size_t)x->nrecv * SQS_BATCH_MAX * RECORD_MAX) == -1) {
		buf_addf(&x->err, "standard output: %s", strerror(errno));
		return EX_IOERR;
	}
	if ((fl = fcntl(0, F_GETFL)) == -1) {
		buf_addf(&x->err, "standard input: %s", strerror(errno));
		return EX_IOERR;
	}
	if (x->out.restore && (fl & O_NONBLOCK) && !(x->in_oldfl & O_NONBLOCK)) {
		/*
		 * Standard input and output are one open socket (socat EXEC:,
		 * a socketpair): the O_NONBLOCK set for stdout is stdin's
		 * too.  Cleared when stdout closes, it would leave the reads
		 * of acks blocking, so it is cleared at the very end.
		 */
		x->out.restore = 0;
		x->in_restore = 1;
	}
	if (x->mode == MODE_RING) {
		if (!(fl & O_NONBLOCK) && fcntl(0, F_SETFL, fl | O_NONBLOCK) == -1) {
			buf_addf(&x->err, "standard input: %s", strerror(errno));
			return EX_IOERR;
		}
		/* The pipe is shared with whoever gave it: as it was, at the end. */
		if (!(x->in_oldfl & O_NONBLOCK))
			x->in_restore = 1;
		x->in_open = 1;
	}
	if ((code = client_init(&x->cl, cf->endpoint, cf->region, cf->creds,
	    cf->ca_bundle, cf->retries, x->nrecv + x->nctl, &x->err)) != 0)
		return code;
	cloexec_all();
	if ((x->recv = calloc((size_t)x->nrecv, sizeof *x->recv)) == NULL ||
	    (x->ctl = calloc((size_t)x->nctl, sizeof *x->ctl)) == NULL) {
		buf_addf(&x->err, "out of memory");
		return EX_SOFTWARE;
	}
	for (i = 0; i < x->nrecv + x->nctl; i++)
		if (req_init(i < x->nrecv ? &x->recv[i] : &x->ctl[i - x->nrecv]) == -1) {
			buf_addf(&x->err, "curl_easy_init failed");
			return EX_SOFTWARE;
		}
	return resolve_queue(x);
}

/*
 * --check: the settings, the credentials and the queue as a run would
 * find them, by one request that changes nothing.  Standard input and
 * output are left as they are: they may belong to the ring to come.
 */
int
check_queue(struct ctx *x)
{
	const struct config *cf = x->cf;
	struct req r;
	int code;

	if ((code = client_init(&x->cl, cf->endpoint, cf->region, cf->creds,
	    cf->ca_bundle, cf->retries, 1, &x->err)) != 0)
		goto out;
	if (req_init(&r) == -1) {
		buf_addf(&x->err, "curl_easy_init failed");
		code = EX_SOFTWARE;
		goto free;
	}
	x->ctl = &r;
	x->nctl = 1;
	if ((code = resolve_queue(x)) != 0)
		goto free;
	if (sqs_get_attrs_body(&r.body, buf_cstr(&x->queue_url)) == -1) {
		buf_addf(&x->err, "queue URL too long");
		code = EX_USAGE;
		goto free;
	}
	code = call(x, &r, SQS_GET_ATTRS);
free:
	client_abort(&x->cl, &r);
	req_free(&r);
	x->ctl = NULL;
	x->nctl = 0;
out:
	client_free(&x->cl);
	return code;
}

void
teardown(struct ctx *x)
{
	int i;

	for (i = 0; i < x->nrecv + x->nctl; i++) {
		struct req *r = i < x->nrecv ? &x->recv[i] : &x->ctl[i - x->nrecv];
		if (x->recv == NULL || x->ctl == NULL)
			break;
		client_abort(&x->cl, r);
		batch_clear(r);
		req_free(r);
	}
	free(x->recv);
	free(x->ctl);
	client_free(&x->cl);
	msgtab_free(&x->tab);
	free(x->reserve);
	x->reserve = NULL;
	idset_free(&x->seen);
	ack_parser_free(&x->ap);
	lr_free(&x->in);
	if (!x->closed && out_close(&x->out) == -1 && x->status == 0) {
		warnx("standard output: %s", strerror(errno));
		x->status = EX_IOERR;
	}
	if (x->in_restore && fcntl(0, F_SETFL, x->in_oldfl) == -1 && x->status == 0) {
		warnx("standard input: %s", strerror(errno));
		x->status = EX_IOERR;
	}
	out_free(&x->out);
	buf_free(&x->queue_url);
	buf_free(&x->err);
}
