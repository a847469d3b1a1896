#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "commit.h"
#include "connect.h"
#include "copy.h"
#include "load.h"
#include "out.h"
#include "sig.h"

#define CHUNK_MAX (2 * LINE_MAX_BYTES + 2 * COPY_CHUNK)
#define OUT_MAX (2 * LINE_MAX_BYTES + 2 * COPY_CHUNK)

static void
summary(struct loader *l)
{
	const struct stats *s = &l->st;
	double secs = mono_now() - l->t_start;

	progress_end(&l->prog);
	fprintf(stderr, "%s: %llu records: %llu loaded, %llu duplicates, "
	    "%llu rejected, %llu released", program_invocation_short_name,
	    s->records, s->loaded, s->duplicates, s->rejected, s->released);
	if (s->lost)
		fprintf(stderr, ", %llu not loaded (no rejects file)", s->lost);
	fprintf(stderr, "; %.2f s, %.0f rows/s\n", secs,
	    secs > 0 ? (double)s->loaded / secs : 0.0);
}

static void
progress(struct loader *l)
{
	const struct stats *s = &l->st;
	double now = mono_now();

	if (!progress_due(&l->prog, now))
		return;
	progress_show(&l->prog, now, "%llu loaded, %llu duplicates, "
	    "%llu rejected, %llu released, %.0f rows/s", s->loaded,
	    s->duplicates, s->rejected, s->released,
	    (double)s->loaded / (now - l->t_start));
}

void
load_die(struct loader *l, int code, const char *fmt, ...)
{
	va_list ap;

	progress_end(&l->prog);
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	summary(l);
	exit(code);
}

const char *
load_who(const struct loader *l, const struct rec *r, char *s, size_t n)
{
	const char *line = batch_line(&l->b, r);

	if (r->rawmidlen > 0)
		snprintf(s, n, "message %.*s%s",
		    (int)(r->rawmidlen > MID_SHOWN ? MID_SHOWN : r->rawmidlen),
		    line + r->rawmid, r->rawmidlen > MID_SHOWN ? "..." : "");
	else
		snprintf(s, n, "line %llu", r->lineno);
	return s;
}

/* Takes one input line (or, when line is NULL, a line too long). */
static void
take(struct loader *l, const char *line, size_t len)
{
	struct batch *b = &l->b;
	struct record r;
	struct rec *rec;
	const char *kept;
	char why[80];
	size_t i;

	for (i = 0; line != NULL && i < len && (line[i] == ' ' ||
	    line[i] == '\t' || line[i] == '\r'); i++)
		;
	if (line != NULL && i == len)
		return;	/* blank lines carry nothing */
	if (b->n == 0)
		b->t0 = mono_now();
	l->st.records++;
	if ((rec = batch_add(b, line ? line : "", line ? len : 0,
	    l->lr.lineno)) == NULL)
		load_die(l, EX_OSERR, "line %llu: %s", l->lr.lineno,
		    strerror(errno));
	if (line == NULL) {
		rec->kind = REC_BAD;
		snprintf(why, sizeof why, "a line of %zu bytes, longer than %u",
		    len, LINE_MAX_BYTES);
		batch_refuse(b, rec, why, strlen(why), "", -1);
		return;
	}
	kept = batch_line(b, rec);
	if (record_parse(&l->rp, kept, len, &r) == -1)
		load_die(l, EX_OSERR, "line %llu: %s", rec->lineno,
		    strerror(errno));
	if (r.rh != NULL && batch_set_ack(b, rec, r.rh, r.rhlen, r.mid,
	    r.midlen) == -1)
		load_die(l, EX_OSERR, "line %llu: ack: %s", rec->lineno,
		    strerror(errno));
	if (r.mid != NULL) {
		rec->rawmid = (size_t)(r.mid - kept);
		rec->rawmidlen = r.midlen;
		if (r.kind != REC_BAD &&
		    batch_set_mid(b, rec, r.mid, r.midlen, r.midesc) == -1)
			load_die(l, EX_OSERR, "line %llu: message id: %s",
			    rec->lineno, strerror(errno));
	}
	rec->ts = r.ts;
	if (r.kind == REC_ROW) {
		switch (record_copy_row(&l->rp, &r, &l->chunk)) {
		case -1:
			load_die(l, EX_OSERR, "line %llu: %s", rec->lineno,
			    strerror(errno));
		case 0:
			b->rows++;
			rec->kind = REC_ROW;
			rec->status = ST_PENDING;
			commit_stream_row(l);
			return;
		}
	}
	rec->kind = (unsigned char)r.kind;
	switch (r.kind) {
	case REC_ACK_ONLY:
		rec->status = ST_ACK_ONLY;
		break;
	case REC_RELEASE:
		rec->status = ST_RELEASE;
		break;
	default:
		batch_refuse(b, rec, r.why, strlen(r.why), "", -1);
	}
}

/* Reports a refused record on stderr: never its values. */
static void
report_refused(struct loader *l, const struct rec *r, const char *fate)
{
	char name[MID_SHOWN + 32], col[96];
	const char *st = r->sqlstate, *what;

	load_who(l, r, name, sizeof name);
	if (st[0] == '\0') {
		warnx("%s: %s; %s", name, batch_reason(&l->b, r), fate);
		return;
	}
	what = db_state_name(st);
	/* A trigger's exception names no column. */
	col[0] = '\0';
	if (r->col == COL_LEDGER)
		snprintf(col, sizeof col, "its ledger key: ");
	else if (r->col >= 0)
		snprintf(col, sizeof col, "column %s: ",
		    l->tab.cols.name[r->col]);
	warnx("%s: %srefused by the database: SQLSTATE %s%s%s%s; %s", name,
	    col, st, what[0] ? " (" : "", what, what[0] ? ")" : "", fate);
}

static void
flush_out(struct loader *l)
{
	if (write_all(STDOUT_FILENO, l->out.data, l->out.len) == -1)
		load_die(l, EX_IOERR, "stdout: %s", strerror(errno));
	buf_reset(&l->out);
}

/*
 * After the commit: refused records to the rejects file, made durable,
 * then one ack per record with a receipt handle, in input order.
 */
static void
finish(struct loader *l)
{
	struct batch *b = &l->b;
	struct stats *s = &l->st;
	struct rec *r;
	const char *status;
	size_t i;

	for (i = 0; i < b->n; i++) {
		r = &b->rec[i];
		if (r->status != ST_REFUSED)
			continue;
		if (!l->have_rej) {
			report_refused(l, r, r->has_rh ?
			    "released to the queue" : "not loaded");
			continue;
		}
		buf_reset(&l->out);
		if (reject_line(&l->out, &l->rp.j, batch_line(b, r), r->len,
		    batch_reason(b, r)) == -1 ||
		    rejects_append(&l->rej, l->out.data, l->out.len) == -1)
			load_die(l, EX_IOERR, "%s: %s", l->cfg->rejects,
			    strerror(errno));
		report_refused(l, r, "kept in the rejects file");
	}
	buf_reset(&l->out);
	if (l->have_rej && rejects_sync(&l->rej) == -1)
		load_die(l, EX_IOERR, "%s: %s", l->cfg->rejects,
		    strerror(errno));

	for (i = 0; i < b->n; i++) {
		r = &b->rec[i];
		switch (r->status) {
		case ST_LOADED:
			status = "loaded";
			s->loaded++;
			break;
		case ST_DUPLICATE:
			status = "duplicate";
			s->duplicates++;
			break;
		case ST_ACK_ONLY:
			status = "rejected";
			s->rejected++;
			break;
		case ST_REFUSED:
			if (l->have_rej) {
				status = "rejected";
				s->rejected++;
			} else if (r->has_rh) {
				status = "released";
				s->released++;
			} else {
				status = NULL;
				s->lost++;
			}
			break;
		case ST_RELEASE:
			status = "released";
			s->released++;
			break;
		default:
			load_die(l, EX_SOFTWARE, "line %llu: left undecided",
			    r->lineno);
		}
		if (!r->has_rh || status == NULL)
			continue;
		if (buf_add(&l->out, b->acks.data + r->ack, r->acklen) == -1 ||
		    ack_tail(&l->out, status) == -1)
			load_die(l, EX_OSERR, "ack: %s", strerror(errno));
		if (l->out.len >= COPY_CHUNK)
			flush_out(l);
	}
	flush_out(l);
	batch_reset(b);
}

static void
end_batch(struct loader *l)
{
	if (l->b.n == 0)
		return;
	commit_batch(l);
	finish(l);
	commit_prune(l, 0);
	progress(l);
}

static void
setup(struct loader *l, const struct config *cfg)
{
	struct buf sql = BUF_INIT(1u << 20);
	int rc;

	memset(l, 0, sizeof *l);
	l->cfg = cfg;
	l->blame = NO_FIRST;
	l->t_start = mono_now();
	progress_init(&l->prog, stderr, cfg->verbose, 1.0);
	buf_init(&l->chunk, CHUNK_MAX);
	buf_init(&l->out, OUT_MAX);
	if (sig_setup() == -1)
		err(EX_OSERR, "signals");
	if (cfg->rejects != NULL) {
		if ((rc = rejects_open_or_warn(&l->rej, cfg->rejects)) != 0)
			exit(rc);
		l->have_rej = 1;
	}
	db_init(&l->db, cfg->conninfo);
	if (db_connect(&l->db, 0, 1) != DB_OK) {
		if (sig_caught())
			sig_reraise();	/* nothing was read: nothing to do */
		/* A refused login is not a server that is away. */
		errx(db_exit_code(&l->db), "cannot connect: %s",
		    buf_cstr(&l->db.err.text));
	}
	if (PQserverVersion(l->db.conn) < 120000)
		errx(EX_UNAVAILABLE, "server version %d: PostgreSQL 12 or "
		    "later is needed", PQserverVersion(l->db.conn));
	if ((rc = table_open(&l->db, cfg->table, cfg->columns, &l->tab)) != 0)
		exit(rc);
	if (cfg->dedupe &&
	    (rc = ledger_open(&l->db, &l->led, cfg->ledger, &l->tab,
	    cfg->retention_days)) != 0)
		exit(rc);
	if (buf_addf(&sql, "BEGIN; SET CONSTRAINTS ALL IMMEDIATE; %s",
	    l->tab.copy_sql) == -1)
		err(EX_OSERR, "COPY statement");
	l->fast_sql = buf_detach(&sql, NULL);
	if (recparser_init(&l->rp, &l->tab.cols) == -1 ||
	    batch_init(&l->b, (size_t)cfg->batch_rows) == -1 ||
	    lr_init(&l->lr, STDIN_FILENO, LINE_MAX_BYTES) == -1 ||
	    (l->idx = calloc((size_t)cfg->batch_rows, sizeof *l->idx)) == NULL)
		err(EX_OSERR, "memory for a batch of %ld rows",
		    cfg->batch_rows);
}

static void
teardown(struct loader *l)
{
	if (l->have_rej && rejects_close(&l->rej) == -1)
		err(EX_IOERR, "%s", l->cfg->rejects);
	db_free(&l->db);
	recparser_free(&l->rp);
	batch_free(&l->b);
	lr_free(&l->lr);
	if (l->cfg->dedupe)
		ledger_free(&l->led);
	table_free(&l->tab);
	free(l->idx);
	free(l->fast_sql);
	buf_free(&l->chunk);
	buf_free(&l->out);
}

/* Milliseconds until the batch is due by age; -1 with no batch. */
static long
due_in(const struct loader *l)
{
	double left;

	if (l->b.n == 0)
		return -1;
	left = l->b.t0 + (double)l->cfg->batch_ms / 1000.0 - mono_now();
	return left <= 0 ? 0 : (long)(left * 1000.0) + 1;
}

/*
 * Milliseconds to wait for input: until the batch is due, or the next
 * progress line, which comes while input is awaited too.
 */
static long
wait_ms(const struct loader *l)
{
	long ms = due_in(l), p;
	double left;

	if (!l->prog.on)
		return ms;
	left = l->prog.last + l->prog.interval - mono_now();
	p = left <= 0 ? 0 : (long)(left * 1000.0) + 1;
	return ms < 0 || p < ms ? p : ms;
}

int
load_run(const struct config *cfg)
{
	static struct loader l;
	char *line;
	size_t len;
	int r;

	setup(&l, cfg);
	if (cfg->check) {
		teardown(&l);
		return 0;
	}
	commit_prune(&l, 1);
	for (;;) {
		r = lr_next(&l.lr, &line, &len);
		if (r == LR_LINE || r == LR_LONG) {
			take(&l, r == LR_LINE ? line : NULL, len);
			if (batch_full(&l.b))
				end_batch(&l);
			continue;
		}
		/* Between reads: a read is at most a few hundred kilobytes. */
		if (r == LR_EOF || sig_caught())
			break;
		if (due_in(&l) == 0) {
			end_batch(&l);
			continue;
		}
		progress(&l);
		/* Acks are written whole, so nothing waits in a buffer. */
		if ((r = sig_poll(STDIN_FILENO, wait_ms(&l))) == -1)
			load_die(&l, EX_OSERR, "poll: %s", strerror(errno));
		if (r == 0)
			continue;
		if (lr_fill(&l.lr) == -1)
			load_die(&l, EX_IOERR, "stdin: %s", strerror(errno));
	}
	end_batch(&l);
	summary(&l);
	teardown(&l);
	if (close(STDOUT_FILENO) == -1)
		err(EX_IOERR, "stdout");
	if (sig_caught())
		sig_reraise();
	return l.st.lost ? EX_DATAERR : 0;
}
