#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "lineread.h"
#include "reason.h"
#include "record.h"
#include "report.h"
#include "row.h"
#include "run.h"

/* Output is written in chunks of about this size, or before a read. */
#define FLUSH_AT (256 * 1024)
/* Most of a message id shown in a diagnostic (they are UUIDs). */
#define ID_SHOWN 128

struct run {
	const struct config *cfg;
	const struct masker *m;
	struct lineread lr;
	struct parser p;
	struct buf out;		/* records for stdout */
	struct buf rej;		/* one reject line */
	struct rejects rf;
	int have_rf;
	struct reasons reasons;
	unsigned long long written, lost;
	struct datecache dc;
	time_t now;
	struct progress prog;
};

/*
 * Writes what stdout has waiting, after making the rejects durable: an
 * ack_only record must never reach pg-load (and so delete its message)
 * before its reject is on disk.  One fsync covers every reject since
 * the last flush.
 */
static int
flush(struct run *s)
{
	if (s->have_rf && rejects_sync(&s->rf) == -1) {
		warn("%s: fsync", s->cfg->rejects);
		return EX_IOERR;
	}
	if (s->out.len > 0 && write_all(STDOUT_FILENO, s->out.data,
	    s->out.len) == -1) {
		warn("stdout");
		return EX_IOERR;
	}
	buf_reset(&s->out);
	return 0;
}

/*
 * A rejected line: into the rejects file, or reported on stderr.  A
 * message with a good receipt handle then passes downstream as an ack
 * (its reject is kept) or a release (it is not), whatever else is bad
 * in it: held by sqs-read and never answered, it would stay invisible
 * on the queue and keep a --drain from ending.
 */
static int
reject(struct run *s, const struct record *r, const char *line, size_t len)
{
	int pass = r->ack;

	reasons_count(&s->reasons, r->where, r->what);
	if (s->have_rf) {
		buf_reset(&s->rej);
		if (reject_put(&s->rej, r, line, len) == -1) {
			warnx("line %llu: reject too large to write", r->lineno);
			return EX_SOFTWARE;
		}
		if (rejects_append(&s->rf, s->rej.data, s->rej.len) == -1) {
			warn("%s", s->cfg->rejects);
			return EX_IOERR;
		}
		if (pass && ack_put(&s->out, r) == -1)
			goto full;
		return 0;
	}
	if (r->mid != NULL)
		warnx("message %.*s: %s: %s", (int)(r->midlen < ID_SHOWN ?
		    r->midlen : ID_SHOWN), r->mid, where_name(r->where),
		    what_name(r->what));
	else
		warnx("line %llu: %s: %s", r->lineno, where_name(r->where),
		    what_name(r->what));
	if (!pass)
		s->lost++;
	else if (release_put(&s->out, r) == -1)
		goto full;
	return 0;
full:
	warnx("line %llu: output buffer full", r->lineno);
	return EX_SOFTWARE;
}

static int
process(struct run *s, int kind, const char *line, size_t len)
{
	struct record r;

	if (kind == LR_LONG) {
		record_too_long(&r, s->lr.lineno);
		return reject(s, &r, NULL, len);
	}
	r.lineno = s->lr.lineno;
	if (record_parse(&s->p, line, len, &r) == -1)
		return reject(s, &r, line, len);
	if (row_put(&s->out, &r, s->m, &s->dc, s->now) == -1) {
		warnx("line %llu: masking failed (OpenSSL)", r.lineno);
		return EX_SOFTWARE;
	}
	s->written++;
	return 0;
}

static void
progress(struct run *s, double now)
{
	progress_show(&s->prog, now, "read %llu, written %llu, rejected %llu",
	    s->lr.lineno, s->written, s->reasons.total);
}

static int
loop(struct run *s)
{
	char *line;
	size_t len;
	double t;
	int kind, st;

	for (;;) {
		kind = lr_next(&s->lr, &line, &len);
		if (kind == LR_NEED) {
			if ((st = flush(s)) != 0)
				return st;
			if (progress_due(&s->prog, t = mono_now()))
				progress(s, t);
			if (lr_fill(&s->lr) == -1) {
				warn("stdin");
				return EX_IOERR;
			}
			s->now = time(NULL);
			continue;
		}
		if (kind == LR_EOF)
			return flush(s);
		if ((st = process(s, kind, line, len)) != 0)
			return st;
		if (s->out.len >= FLUSH_AT && (st = flush(s)) != 0)
			return st;
	}
}

/* Returns 0, or the exit status after saying why not. */
int
mask_check(const struct config *cfg)
{
	struct rejects rf;
	int st;

	if (cfg->rejects == NULL)
		return 0;
	if ((st = rejects_open_or_warn(&rf, cfg->rejects)) != 0)
		return st;
	if (rejects_close(&rf) == -1) {
		warn("%s", cfg->rejects);
		return EX_IOERR;
	}
	return 0;
}

int
mask_run(const struct config *cfg, const struct masker *m)
{
	struct run s;
	int st;

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.m = m;
	s.dc.day = -1;
	s.now = time(NULL);
	buf_init(&s.out, FLUSH_AT + RECORD_LINE_MAX + 64 * 1024);
	buf_init(&s.rej, 6 * (size_t)RECORD_LINE_MAX + 4096);
	if (cfg->rejects != NULL) {
		if ((st = rejects_open_or_warn(&s.rf, cfg->rejects)) != 0)
			return st;
		s.have_rf = 1;
	}
	if (lr_init(&s.lr, STDIN_FILENO, RECORD_LINE_MAX) == -1 ||
	    parser_init(&s.p, cfg->null_app_version) == -1) {
		warn("cannot allocate");
		st = EX_OSERR;
		goto done;
	}
	progress_init(&s.prog, stderr, cfg->verbose, 1.0);
	st = loop(&s);
	if (s.have_rf && rejects_close(&s.rf) == -1 && st == 0) {
		warn("%s", cfg->rejects);
		st = EX_IOERR;
	}
	s.have_rf = 0;
	if (st == 0 && close(STDOUT_FILENO) == -1) {
		warn("stdout");
		st = EX_IOERR;
	}
	progress_end(&s.prog);
	fprintf(stderr, "%s: read %llu, written %llu, rejected %llu\n",
	    program_invocation_short_name, s.lr.lineno, s.written,
	    s.reasons.total);
	reasons_print(&s.reasons, stderr);
	if (st == 0 && s.lost > 0) {
		warnx("%llu rejected line%s kept nowhere but in the messages "
		    "above (no -r file, nothing to release)", s.lost,
		    s.lost == 1 ? "" : "s");
		st = EX_DATAERR;
	}
done:
	if (s.have_rf)
		rejects_close(&s.rf);
	lr_free(&s.lr);
	parser_free(&s.p);
	buf_free(&s.out);
	buf_free(&s.rej);
	return st;
}
